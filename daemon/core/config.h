// SPDX-License-Identifier: BSD-2-Clause
/*
 * config.h - asyncdumpd.conf, the daemon's settings file: INI, read with
 * libinih. Pure: parses text the caller read (the server reads the file)
 * into a struct, and applies it to the options the command line left
 * unset; globs in targets are kept as written (the server expands them).
 *
 *   [targets]
 *   attach = /usr/bin/myservice        ; repeatable; globs allowed
 *   attach = /usr/lib/x86_64-linux-gnu/libmyrt.so*
 *   [limits]
 *   max_frames = 1048576               ; and max_tasks, max_procs,
 *                                      ; max_slots, max_big, label_max
 *   [daemon]
 *   socket = /run/asyncdump/asyncdumpd.sock
 *   dump_group = oncall
 *   discovery = on                     ; auto (default), on or off
 *   stuck_after = 10s                  ; for dumps and lists that do
 *                                      ; not give --stuck-after
 *   log_level = info                   ; err, warning or info
 *   state_dir = /sys/fs/bpf/asyncdump  ; pin the store there (options.h)
 *
 * Comments start a line with '#' or ';', or follow a value after " ;".
 * Each error names FILE:LINE.
 */
#ifndef AD_CONFIG_H
#define AD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

/* Bounds on what is read: a line (libinih's line buffer) and the file. */
#define AD_CONFIG_MAX_LINE 190u
#define AD_CONFIG_MAX_BYTES (1024u * 1024u)

/* The settings a file may give besides targets, in [limits] and
 * [daemon]. */
enum ad_config_key {
	AD_CFG_MAX_FRAMES,
	AD_CFG_MAX_TASKS,
	AD_CFG_MAX_PROCS,
	AD_CFG_MAX_SLOTS,
	AD_CFG_MAX_BIG,
	AD_CFG_LABEL_MAX,
	AD_CFG_SOCKET,
	AD_CFG_DUMP_GROUP,
	AD_CFG_LOG_LEVEL,
	AD_CFG_DISCOVERY,
	AD_CFG_STUCK_AFTER,
	AD_CFG_STATE_DIR,
	AD_CFG_KEY_COUNT,
};

struct ad_config {
	const char *name; /* the file, for messages (not owned) */
	char **targets;	  /* [targets] attach: paths and globs, owned */
	size_t ntargets, ctargets;
	/* Each setting's text (owned), NULL if not given. */
	char *value[AD_CFG_KEY_COUNT];
	int log_level; /* syslog priority: 3, 4 or 6; 6 if not given */
	/* stuck_after: the --stuck-after of a request without one;
	 * AD_DEFAULT_STUCK_AFTER_NS if not given */
	uint64_t stuck_after_ns;
};

/* Parses `len` bytes of `text` (need not be NUL-terminated) read from
 * the file `name`. Returns 0, or -EINVAL with "NAME:LINE: why" in err
 * (-ENOMEM: out of memory). Call ad_config_free() whatever it returned. */
int ad_config_parse(const char *text, size_t len, const char *name,
		    struct ad_config *cfg, char *err, size_t errlen);
void ad_config_free(struct ad_config *cfg);

/* The option name (as --NAME) and config key of a setting. */
const char *ad_config_key_name(enum ad_config_key key);

/* Applies the file's settings to those the command line did not give
 * (opts->given), then ad_options_settle(). String settings point into
 * cfg, which must outlive opts. Returns 0, or -EINVAL with a message
 * naming the file. */
int ad_config_apply(const struct ad_config *cfg, struct ad_options *opts,
		    char *err, size_t errlen);

#endif /* AD_CONFIG_H */
