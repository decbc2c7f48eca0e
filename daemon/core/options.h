// SPDX-License-Identifier: BSD-2-Clause
/*
 * options.h - asyncdumpd's command line. Pure: parses argv into a struct and
 * formats usage text; never opens, connects or exits, so unit tests drive it
 * with synthetic argv arrays.
 */
#ifndef AD_OPTIONS_H
#define AD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/render_opts.h"

/* The daemon's settings file, read if it exists (--config names another,
 * which must); core/config.h. */
#define AD_DEFAULT_CONFIG "/etc/asyncdump/asyncdumpd.conf"

/* The socket both modes use unless --socket or ASYNCDUMP_SOCKET says
 * otherwise. Open to every local user (0666): each request is checked
 * against the process it asks for (server/authorize.h). */
#define AD_DEFAULT_SOCKET_DIR "/run/asyncdump"
#define AD_DEFAULT_SOCKET_PATH AD_DEFAULT_SOCKET_DIR "/asyncdumpd.sock"
#define AD_SOCKET_ENV "ASYNCDUMP_SOCKET"

/* Bounds that keep a typo from asking the kernel for absurd maps. */
#define AD_OPT_CAPACITY_MIN 1u
#define AD_OPT_CAPACITY_MAX (64u * 1024u * 1024u)
#define AD_OPT_LABEL_MIN 8u
/* max_slots while parsing when --max-slots was not given: max_procs. */
#define AD_OPT_SLOTS_ALL UINT32_MAX

enum ad_mode {
	AD_MODE_NONE = 0,
	AD_MODE_DAEMON,	 /* --daemon: observe and serve */
	AD_MODE_DUMP,	 /* --pid N: ask the daemon for one dump */
	AD_MODE_LIST,	 /* --list: the observed processes one may dump */
	AD_MODE_HELP,	 /* --help: print usage, exit 0 */
	AD_MODE_VERSION, /* --version */
};

/* The daemon's settings the command line gave (or $ASYNCDUMP_SOCKET, for
 * the socket): a config file does not override them (config.h). */
enum ad_opt_given {
	AD_GIVEN_SOCKET = 1u << 0,
	AD_GIVEN_MAX_FRAMES = 1u << 1,
	AD_GIVEN_MAX_TASKS = 1u << 2,
	AD_GIVEN_MAX_PROCS = 1u << 3,
	AD_GIVEN_MAX_SLOTS = 1u << 4,
	AD_GIVEN_MAX_BIG = 1u << 5,
	AD_GIVEN_LABEL_MAX = 1u << 6,
	AD_GIVEN_DUMP_GROUP = 1u << 7,
	AD_GIVEN_DISCOVERY = 1u << 8,
	AD_GIVEN_STATE_DIR = 1u << 9,
};
/* --discovery: finding every instrumented process of the host without
 * naming it (observer/discover.h). */
enum ad_discovery {
	AD_DISCOVERY_AUTO = 0, /* on when no target and no pid is named */
	AD_DISCOVERY_ON,
	AD_DISCOVERY_OFF,
};

struct ad_options {
	enum ad_mode mode;
	const char *socket_path; /* never NULL after a successful parse */
	unsigned given;		 /* enum ad_opt_given bits */

	/* --daemon */
	const char **attach_paths; /* points into argv; owned array */
	size_t nattach_paths, cattach_paths;
	pid_t *attach_pids; /* owned array */
	size_t nattach_pids, cattach_pids;
	uint32_t max_frames;
	uint32_t max_tasks;
	uint32_t max_procs;
	uint32_t max_slots; /* <= max_procs once parsed */
	uint32_t max_big;   /* processes that may grow big maps at once */
	uint32_t label_max;
	const char *dump_group; /* --dump-group NAME, or NULL */
	/* --state-dir DIR (absolute), or NULL: the store not pinned */
	const char *state_dir;
	enum ad_discovery discovery; /* --discovery auto|on|off */
	/* --config PATH (which must exist), or NULL: AD_DEFAULT_CONFIG if
	 * it exists (config.h) */
	const char *config_path;

	/* --pid, --list */
	pid_t pid;		    /* --pid */
	struct ad_render_opts dump; /* --format, --verbose (--pid only),
				     * --stuck-after */
	bool stuck_after_given;	    /* --stuck-after was given */
};

/* Parses argv (getopt_long, long options only). `env_socket` is the value
 * of ASYNCDUMP_SOCKET (or NULL), passed in so the parser stays pure.
 * Returns 0 on success, or -EINVAL (a bad command line; -ENOMEM) with a
 * one-line message in err (no trailing newline). Strings in *opts point into argv or env_socket.
 * Call ad_options_free() whatever it returned. */
int ad_options_parse(int argc, char *const argv[], const char *env_socket,
		     struct ad_options *opts, char *err, size_t errlen);
void ad_options_free(struct ad_options *opts);

/* Sets one of the daemon's settings by its long option's name
 * ("max-frames", "max-tasks", "max-procs", "max-slots", "max-big",
 * "label-max", "socket", "dump-group", "discovery", "state-dir") from text, checked as the command
 * line checks it, without marking it given. Strings are kept by pointer.
 * Returns 0, or -EINVAL with a message that does not name the option
 * (e.g. "'x' is not a number from 1 to 67108864"); -ENOENT for an unknown
 * name. */
int ad_options_set(struct ad_options *opts, const char *name, const char *value,
		   char *err, size_t errlen);

/* After the daemon's settings change (a config file applied): max-slots
 * not given anywhere follows max-procs, and is at most max-procs.
 * Returns 0, or -EINVAL with a message. */
int ad_options_settle(struct ad_options *opts, bool slots_set, char *err,
		      size_t errlen);

/* Parses a duration: a decimal number (fraction allowed) followed by one
 * of ns, us, ms, s, m, h; a bare "0" is accepted. Stores nanoseconds.
 * Returns 0, or -EINVAL (malformed) / -ERANGE (too large for 64 bits). */
int ad_parse_duration(const char *text, uint64_t *ns_out);

/* Parses a PID (1..INT32_MAX, decimal only). 0 or -EINVAL. */
int ad_parse_pid(const char *text, pid_t *out);

void ad_usage(FILE *out, const char *prog);
/* "asyncdumpd 0.1.0", from the CMake project version. */
const char *ad_version_string(void);

#endif /* AD_OPTIONS_H */
