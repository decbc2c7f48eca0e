// SPDX-License-Identifier: BSD-2-Clause
/*
 * settings.h - the daemon's settings: the command line over the config
 * file (core/config.h, read here), and the files the file's targets name
 * now (globs expanded). SIGHUP reads the file again: ad_settings_load()
 * into a new struct, compared with the one in effect by the server.
 */
#ifndef AD_SETTINGS_H
#define AD_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/options.h"

struct ad_settings {
	struct ad_options opts; /* in effect; its strings point into cli's
				 * argv or into cfg */
	const char *file;	/* the file read, NULL if none */
	struct ad_config cfg;	/* its contents (empty if none) */
	/* The file's targets as the files they name now: real paths,
	 * sorted, without duplicates or --attach paths. */
	char **targets;
	size_t ntargets, ctargets;
};

/* Reads the config file (cli->config_path, which must exist, else
 * AD_DEFAULT_CONFIG if it exists), applies it under the command line's
 * settings and expands its targets; a target naming nothing is logged
 * (a warning), not an error. Returns 0, or -errno with a message naming
 * the file (and the line: "FILE:LINE: why"). Call ad_settings_free()
 * whatever it returned. */
int ad_settings_load(const struct ad_options *cli, struct ad_settings *set,
		     char *err, size_t errlen);
void ad_settings_free(struct ad_settings *set);

/* Whether the sorted target list has `path`. */
bool ad_settings_has_target(const struct ad_settings *set, const char *path);

#endif /* AD_SETTINGS_H */
