// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_config.c - libFuzzer target: asyncdumpd.conf (core/config.c), as
 * parsed and then applied to the options of `asyncdumpd --daemon`.
 *
 * The input is the file's bytes, in a heap buffer of their exact size
 * (not NUL-terminated), so ASan sees a read past them. A refused file has
 * a one-line reason naming it; an accepted one has absolute targets and
 * settings the command line would accept, and applying it leaves options
 * as consistent as the command line's (options.h). Everything allocated
 * is freed (LeakSanitizer checks).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/options.h"

#define NAME "fuzz.conf"

static void check_refused(const char *err)
{
	if (strncmp(err, NAME ":", strlen(NAME ":")) != 0 || strchr(err, '\n'))
		abort();
}

static void check_applied(const struct ad_options *o)
{
	if (o->max_slots > o->max_procs ||
	    o->max_frames < AD_OPT_CAPACITY_MIN ||
	    o->max_frames > AD_OPT_CAPACITY_MAX ||
	    o->label_max < AD_OPT_LABEL_MIN || !o->socket_path ||
	    !o->socket_path[0] || (o->dump_group && !o->dump_group[0]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = {"asyncdumpd", "--daemon", NULL};
	char *text = malloc(size ? size : 1), err[512];
	struct ad_config cfg;
	struct ad_options o;
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	rc = ad_config_parse(text, size, NAME, &cfg, err, sizeof(err));
	free(text);
	if (rc) {
		if (rc != -ENOMEM)
			check_refused(err);
		ad_config_free(&cfg);
		return 0;
	}
	for (size_t i = 0; i < cfg.ntargets; i++)
		if (cfg.targets[i][0] != '/')
			abort();
	if (cfg.log_level != 3 && cfg.log_level != 4 && cfg.log_level != 6)
		abort();
	if (ad_options_parse(2, argv, NULL, &o, err, sizeof(err)))
		abort();
	rc = ad_config_apply(&cfg, &o, err, sizeof(err));
	if (rc == 0)
		check_applied(&o);
	else
		check_refused(err);
	ad_options_free(&o);
	ad_config_free(&cfg);
	return 0;
}
