// SPDX-License-Identifier: BSD-2-Clause
/*
 * options.c - parse asyncdumpd's command line (see options.h).
 *
 * Long options only, through getopt_long with a "+" optstring so argv is
 * never permuted (tests pass arrays they reuse) and the first stray
 * positional argument is reported instead of silently ignored.
 */
#include "core/options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "asyncdump_abi.h"
#include "core/errmsg.h"
#include "core/exit_codes.h"
#include "core/grow.h"
#include "core/protocol.h"

#ifndef AD_VERSION
#error "AD_VERSION must be defined by the build (the CMake project version)"
#endif

const char *ad_version_string(void)
{
	return "asyncdumpd " AD_VERSION;
}

enum opt_id {
	OPT_DAEMON = 256,
	OPT_ATTACH,
	OPT_ATTACH_PID,
	OPT_SOCKET,
	OPT_MAX_FRAMES,
	OPT_MAX_TASKS,
	OPT_MAX_PROCS,
	OPT_MAX_SLOTS,
	OPT_MAX_BIG,
	OPT_LABEL_MAX,
	OPT_DUMP_GROUP,
	OPT_STATE_DIR,
	OPT_DISCOVERY,
	OPT_CONFIG,
	OPT_PID,
	OPT_LIST,
	OPT_FORMAT,
	OPT_VERBOSE,
	OPT_STUCK_AFTER,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{"daemon", no_argument, NULL, OPT_DAEMON},
	{"attach", required_argument, NULL, OPT_ATTACH},
	{"attach-pid", required_argument, NULL, OPT_ATTACH_PID},
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"max-frames", required_argument, NULL, OPT_MAX_FRAMES},
	{"max-tasks", required_argument, NULL, OPT_MAX_TASKS},
	{"max-procs", required_argument, NULL, OPT_MAX_PROCS},
	{"max-slots", required_argument, NULL, OPT_MAX_SLOTS},
	{"max-big", required_argument, NULL, OPT_MAX_BIG},
	{"label-max", required_argument, NULL, OPT_LABEL_MAX},
	{"dump-group", required_argument, NULL, OPT_DUMP_GROUP},
	{"state-dir", required_argument, NULL, OPT_STATE_DIR},
	{"discovery", required_argument, NULL, OPT_DISCOVERY},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"pid", required_argument, NULL, OPT_PID},
	{"list", no_argument, NULL, OPT_LIST},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"verbose", no_argument, NULL, OPT_VERBOSE},
	{"stuck-after", required_argument, NULL, OPT_STUCK_AFTER},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static const char *opt_name(int id)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == id)
			return o->name;
	return "?";
}

/* A bad command line: the message, and -EINVAL. */
#define usage_err(err, errlen, ...)                                            \
	ad_fail(-EINVAL, (err), (errlen), __VA_ARGS__)

/* Unsigned decimal, digits only (strtoull would accept "-1", " 1", "0x1"). */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!s)
		return -EINVAL;
	return ad_parse_decimal(s, strlen(s), max, out);
}

int ad_parse_pid(const char *text, pid_t *out)
{
	uint64_t v;

	if (parse_u64(text, INT32_MAX, &v) || v == 0)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = {
	{"ns", 1ull},
	{"us", 1000ull},
	{"ms", 1000000ull},
	{"s", 1000000000ull},
	{"m", 60ull * 1000000000ull},
	{"h", 3600ull * 1000000000ull},
};

int ad_parse_duration(const char *text, uint64_t *ns_out)
{
	const char *p = text;
	uint64_t whole = 0, frac_nano = 0, unit = 0, ns;
	int frac_digits = 0;

	if (!p || !*p)
		return -EINVAL;
	if (strcmp(p, "0") == 0) {
		*ns_out = 0;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(whole, 10u, &whole) ||
		    __builtin_add_overflow(whole, (uint64_t)(*p - '0'), &whole))
			return -ERANGE;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		/* Keep nine digits (nanoseconds of the unit); later ones
		 * only matter below 1 ns and are dropped. */
		for (; *p >= '0' && *p <= '9'; p++) {
			if (frac_digits < 9) {
				frac_nano =
					frac_nano * 10 + (uint64_t)(*p - '0');
				frac_digits++;
			}
		}
		for (; frac_digits < 9; frac_digits++)
			frac_nano *= 10;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].suffix) == 0)
			unit = units[i].ns;
	if (!unit)
		return -EINVAL;
	if (__builtin_mul_overflow(whole, unit, &ns))
		return -ERANGE;
	/* frac_nano/1e9 of a unit, without overflowing: split the unit into
	 * whole seconds and the remainder below one second. */
	uint64_t frac_ns = frac_nano * (unit / 1000000000ull) +
			   frac_nano * (unit % 1000000000ull) / 1000000000ull;
	if (__builtin_add_overflow(ns, frac_ns, &ns))
		return -ERANGE;
	*ns_out = ns;
	return 0;
}

/* --max-frames, --max-tasks, --max-procs, --max-slots, --max-big and
 * --label-max differ only in the field they set and its bounds. */
static int parse_capacity(int id, const char *arg, struct ad_options *opts,
			  char *err, size_t errlen)
{
	uint32_t min = AD_OPT_CAPACITY_MIN, max = AD_OPT_CAPACITY_MAX, *out;
	uint64_t v;

	switch (id) {
	case OPT_MAX_FRAMES:
		out = &opts->max_frames;
		break;
	case OPT_MAX_TASKS:
		out = &opts->max_tasks;
		break;
	case OPT_MAX_PROCS:
		out = &opts->max_procs;
		max = AD_MAX_PROCS_LIMIT;
		break;
	case OPT_MAX_SLOTS:
		out = &opts->max_slots;
		min = 0;
		max = AD_MAX_PROCS_LIMIT;
		break;
	case OPT_MAX_BIG:
		out = &opts->max_big;
		min = 0;
		max = AD_MAX_PROCS_LIMIT;
		break;
	default: /* OPT_LABEL_MAX */
		out = &opts->label_max;
		min = AD_OPT_LABEL_MIN;
		max = AD_LABEL_MAX_LIMIT;
		break;
	}
	if (parse_u64(arg, UINT64_MAX, &v) || v < min || v > max)
		return usage_err(err, errlen,
				 "'%s' is not a number from %u to %u", arg, min,
				 max);
	*out = (uint32_t)v;
	return 0;
}

/* The enum ad_opt_given bit of a daemon setting's option, 0 if none. */
static unsigned given_bit(int id)
{
	switch (id) {
	case OPT_SOCKET:
		return AD_GIVEN_SOCKET;
	case OPT_MAX_FRAMES:
		return AD_GIVEN_MAX_FRAMES;
	case OPT_MAX_TASKS:
		return AD_GIVEN_MAX_TASKS;
	case OPT_MAX_PROCS:
		return AD_GIVEN_MAX_PROCS;
	case OPT_MAX_SLOTS:
		return AD_GIVEN_MAX_SLOTS;
	case OPT_MAX_BIG:
		return AD_GIVEN_MAX_BIG;
	case OPT_LABEL_MAX:
		return AD_GIVEN_LABEL_MAX;
	case OPT_DUMP_GROUP:
		return AD_GIVEN_DUMP_GROUP;
	case OPT_STATE_DIR:
		return AD_GIVEN_STATE_DIR;
	case OPT_DISCOVERY:
		return AD_GIVEN_DISCOVERY;
	default:
		return 0;
	}
}

static int parse_discovery(const char *arg, struct ad_options *opts, char *err,
			   size_t errlen)
{
	static const char *const names[] = {
		[AD_DISCOVERY_AUTO] = "auto",
		[AD_DISCOVERY_ON] = "on",
		[AD_DISCOVERY_OFF] = "off",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i]) == 0) {
			opts->discovery = (enum ad_discovery)i;
			return 0;
		}
	return usage_err(err, errlen, "'%s' is not auto, on or off", arg);
}

/* A daemon setting with a value, by option id: the command line's and
 * a config file's way in. */
static int set_value(int id, const char *arg, struct ad_options *opts,
		     char *err, size_t errlen)
{
	switch (id) {
	case OPT_SOCKET:
		if (!*arg)
			return usage_err(err, errlen, "empty path");
		opts->socket_path = arg;
		return 0;
	case OPT_DUMP_GROUP:
		if (!*arg)
			return usage_err(err, errlen, "empty group name");
		opts->dump_group = arg;
		return 0;
	case OPT_STATE_DIR:
		if (*arg != '/')
			return usage_err(err, errlen,
					 "'%s' is not an absolute path", arg);
		opts->state_dir = arg;
		return 0;
	case OPT_DISCOVERY:
		return parse_discovery(arg, opts, err, errlen);
	case OPT_MAX_FRAMES:
	case OPT_MAX_TASKS:
	case OPT_MAX_PROCS:
	case OPT_MAX_SLOTS:
	case OPT_MAX_BIG:
	case OPT_LABEL_MAX:
		return parse_capacity(id, arg, opts, err, errlen);
	default:
		return -ENOENT;
	}
}

int ad_options_set(struct ad_options *opts, const char *name, const char *value,
		   char *err, size_t errlen)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (given_bit(o->val) && strcmp(o->name, name) == 0)
			return set_value(o->val, value, opts, err, errlen);
	return -ENOENT;
}

int ad_options_settle(struct ad_options *opts, bool slots_set, char *err,
		      size_t errlen)
{
	if (!slots_set)
		opts->max_slots = opts->max_procs;
	if (opts->max_slots > opts->max_procs)
		return usage_err(err, errlen,
				 "--max-slots %u is more than --max-procs %u: "
				 "only an observed process takes a slot",
				 opts->max_slots, opts->max_procs);
	return 0;
}

static int push(void **arr, size_t *n, size_t *cap, size_t size,
		const void *item)
{
	void *grown = ad_grow(*arr, cap, *n, size, 4);

	if (!grown)
		return -ENOMEM;
	memcpy((char *)grown + *n * size, item, size);
	*arr = grown;
	(*n)++;
	return 0;
}

/* Options that belong to one mode only; using one in the other mode is a
 * usage error rather than silently ignored. */
static bool is_daemon_opt(int id)
{
	return id == OPT_ATTACH || id == OPT_ATTACH_PID || id == OPT_CONFIG ||
	       (given_bit(id) && id != OPT_SOCKET);
}

static bool is_dump_opt(int id)
{
	return id == OPT_FORMAT || id == OPT_VERBOSE || id == OPT_STUCK_AFTER;
}

/* The mode the command line asks for, from the mode options given:
 * exactly one, or a usage error naming the two that conflict. */
static int pick_mode(bool daemon, bool pid, bool list, enum ad_mode *mode,
		     char *err, size_t errlen)
{
	if (daemon + pid + list > 1)
		return usage_err(err, errlen,
				 "--%s and --%s are different modes: use one",
				 daemon ? "daemon" : "pid",
				 list ? "list" : "pid");
	if (!daemon && !pid && !list)
		return usage_err(err, errlen,
				 "no mode: use --daemon --attach PATH to "
				 "observe, --pid N to dump or --list to see "
				 "what may be dumped");
	*mode = daemon ? AD_MODE_DAEMON : pid ? AD_MODE_DUMP : AD_MODE_LIST;
	return 0;
}

/* What is left to check once the mode is known: options of another
 * mode, and the daemon's settings together. */
static int check_mode(struct ad_options *opts, int first_daemon_opt,
		      int first_dump_opt, char *err, size_t errlen)
{
	if (opts->mode == AD_MODE_DAEMON) {
		if (first_dump_opt)
			return usage_err(err, errlen,
					 "--%s only applies to --pid and "
					 "--list",
					 opt_name(first_dump_opt));
		/* Targets may come from the config file too: the daemon
		 * checks there are some once it has read it. */
		return ad_options_settle(opts, opts->given & AD_GIVEN_MAX_SLOTS,
					 err, errlen);
	}
	if (first_daemon_opt)
		return usage_err(err, errlen, "--%s only applies to --daemon",
				 opt_name(first_daemon_opt));
	if (opts->mode == AD_MODE_LIST && opts->dump.verbose)
		return usage_err(err, errlen,
				 "--verbose only applies to --pid (a list "
				 "shows no frames)");
	return 0;
}

int ad_options_parse(int argc, char *const argv[], const char *env_socket,
		     struct ad_options *opts, char *err, size_t errlen)
{
	bool want_daemon = false, want_pid = false, want_list = false,
	     help = false, version = false;
	int first_daemon_opt = 0, first_dump_opt = 0;
	int c, rc;

	memset(opts, 0, sizeof(*opts));
	opts->max_frames = AD_DEFAULT_MAX_FRAMES;
	opts->max_tasks = AD_DEFAULT_MAX_TASKS;
	opts->max_procs = AD_DEFAULT_MAX_PROCS;
	opts->max_slots = AD_OPT_SLOTS_ALL;
	opts->max_big = AD_DEFAULT_MAX_BIG;
	opts->label_max = AD_DEFAULT_LABEL_MAX;
	opts->dump.format = AD_FORMAT_TEXT;
	opts->dump.stuck_after_ns = AD_DEFAULT_STUCK_AFTER_NS;
	opts->socket_path = AD_DEFAULT_SOCKET_PATH;
	if (env_socket && *env_socket) {
		opts->socket_path = env_socket;
		opts->given |= AD_GIVEN_SOCKET;
	}
	if (err && errlen)
		err[0] = '\0';

	/* optind = 0 makes glibc re-initialise, so the parser can run more
	 * than once in a process (unit tests). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", long_opts, NULL)) != -1) {
		if (is_daemon_opt(c) && !first_daemon_opt)
			first_daemon_opt = c;
		if (is_dump_opt(c) && !first_dump_opt)
			first_dump_opt = c;
		switch (c) {
		case OPT_DAEMON:
			want_daemon = true;
			break;
		case OPT_ATTACH:
			if (!*optarg)
				return usage_err(err, errlen,
						 "--attach: empty path");
			if (push((void **)&opts->attach_paths,
				 &opts->nattach_paths, &opts->cattach_paths,
				 sizeof(char *), &optarg))
				return ad_fail(-ENOMEM, err, errlen,
					       "out of memory");
			break;
		case OPT_ATTACH_PID: {
			pid_t pid;

			if (ad_parse_pid(optarg, &pid))
				return usage_err(err, errlen,
						 "--attach-pid: '%s' is not a "
						 "process id",
						 optarg);
			if (push((void **)&opts->attach_pids,
				 &opts->nattach_pids, &opts->cattach_pids,
				 sizeof(pid), &pid))
				return ad_fail(-ENOMEM, err, errlen,
					       "out of memory");
			break;
		}
		case OPT_SOCKET:
		case OPT_MAX_FRAMES:
		case OPT_MAX_TASKS:
		case OPT_MAX_PROCS:
		case OPT_MAX_SLOTS:
		case OPT_MAX_BIG:
		case OPT_LABEL_MAX:
		case OPT_DUMP_GROUP:
		case OPT_STATE_DIR:
		case OPT_DISCOVERY: {
			char why[256];

			if (set_value(c, optarg, opts, why, sizeof(why)))
				return usage_err(err, errlen, "--%s: %s",
						 opt_name(c), why);
			opts->given |= given_bit(c);
			break;
		}
		case OPT_CONFIG:
			if (!*optarg)
				return usage_err(err, errlen,
						 "--config: empty path");
			opts->config_path = optarg;
			break;
		case OPT_PID:
			if (want_pid)
				return usage_err(err, errlen,
						 "--pid given twice: one "
						 "process per dump");
			if (ad_parse_pid(optarg, &opts->pid))
				return usage_err(
					err, errlen,
					"--pid: '%s' is not a process id",
					optarg);
			want_pid = true;
			break;
		case OPT_LIST:
			want_list = true;
			break;
		case OPT_FORMAT:
			if (ad_format_parse(optarg, strlen(optarg),
					    &opts->dump.format))
				return usage_err(
					err, errlen,
					"--format: '%s' is not text or json",
					optarg);
			break;
		case OPT_VERBOSE:
			opts->dump.verbose = true;
			break;
		case OPT_STUCK_AFTER:
			if (ad_parse_duration(optarg,
					      &opts->dump.stuck_after_ns))
				return usage_err(
					err, errlen,
					"--stuck-after: '%s' is not a duration "
					"(e.g. 10s, 500ms, 1.5s, 2m, 0)",
					optarg);
			opts->stuck_after_given = true;
			break;
		case OPT_HELP:
			help = true;
			break;
		case OPT_VERSION:
			version = true;
			break;
		case ':':
			return usage_err(err, errlen, "%s needs a value",
					 argv[optind - 1]);
		default: /* '?': unknown or ambiguous option */
			return usage_err(err, errlen, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_err(
			err, errlen,
			"unexpected argument '%s' (options are --long only)",
			argv[optind]);

	/* --help and --version win over everything else, as is customary. */
	if (help) {
		opts->mode = AD_MODE_HELP;
		return 0;
	}
	if (version) {
		opts->mode = AD_MODE_VERSION;
		return 0;
	}
	rc = pick_mode(want_daemon, want_pid, want_list, &opts->mode, err,
		       errlen);
	if (!rc)
		rc = check_mode(opts, first_daemon_opt, first_dump_opt, err,
				errlen);
	if (rc)
		opts->mode = AD_MODE_NONE;
	return rc;
}

void ad_options_free(struct ad_options *opts)
{
	free(opts->attach_paths);
	free(opts->attach_pids);
	opts->attach_paths = NULL;
	opts->attach_pids = NULL;
	opts->nattach_paths = opts->nattach_pids = 0;
	opts->cattach_paths = opts->cattach_pids = 0;
}

void ad_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage:\n"
		"  %s --daemon [--attach PATH...] [--attach-pid N...] "
		"[--config "
		"FILE]\n"
		"         [--discovery auto|on|off] [--socket PATH]"
		"\n"
		"         [--max-frames N] [--max-tasks N] [--max-procs N] "
		"[--label-max N]\n"
		"         [--dump-group NAME] [--state-dir DIR]\n"
		"  %s --pid N [--format text|json] [--verbose] [--stuck-after "
		"DUR]\n"
		"         [--socket PATH]\n"
		"  %s --list [--format text|json] [--stuck-after DUR] "
		"[--socket "
		"PATH]\n"
		"  %s --help | --version\n"
		"\n"
		"Show what every async task of a process is waiting on, from "
		"outside it.\n"
		"\n",
		prog, prog, prog, prog);
	fprintf(out,
		"Observer mode (runs in the foreground until SIGINT/SIGTERM):\n"
		"  --daemon             load the BPF programs and serve dumps\n"
		"  --attach PATH        attach the asyncdump probes of this "
		"executable or\n"
		"                       shared library, in every process that "
		"maps it, now\n"
		"                       and later (repeatable)\n"
		"  --attach-pid N       attach the probes of every object "
		"process N maps,\n"
		"                       for that process only (repeatable)\n"
		"  --discovery MODE     on: find and attach every process of "
		"the host\n"
		"                       whose program or libraries carry "
		"asyncdump probes,\n"
		"                       at start and as they start or "
		"dlopen; off: only\n"
		"                       what is named; auto (default): on "
		"when nothing\n"
		"                       is named\n"
		"  --config FILE        the settings file (default %s\n"
		"                       if it exists): targets, limits, "
		"socket, log level;\n"
		"                       the command line wins over it; SIGHUP "
		"reloads it\n"
		"  --max-frames N       live frames kept per process (default "
		"%u)\n"
		"  --max-tasks N        live tasks kept per process (default "
		"%u)\n"
		"  --max-big N          processes holding more than %u frames "
		"or %u tasks\n"
		"                       at once, each in maps sized by the two "
		"above\n"
		"                       (default %u; 0: none)\n"
		"  --max-procs N        observed processes (default %u, at "
		"most %u)\n"
		"  --max-slots N        processes given maps of their own, so "
		"that a dump\n"
		"                       reads only that process's records "
		"(default: as\n"
		"                       many as --max-procs; 0: all share one "
		"set)\n"
		"  --label-max N        bytes copied of a _DYN label or name, "
		"NUL included\n"
		"                       (default %u, %u to %u)\n"
		"  --dump-group NAME    members of this group (primary or "
		"supplementary)\n"
		"                       may dump any process, as "
		"CAP_SYS_PTRACE may;\n"
		"                       others only "
		"processes they could ptrace (README\n"
		"                       \"Who may dump what\")\n"
		"  --state-dir DIR      pin the store in the BPF filesystem "
		"under DIR (the\n"
		"                       service: /sys/fs/bpf/asyncdump): a "
		"restart adopts\n"
		"                       it, losing nothing (README "
		"\"Restarting the\n"
		"                       daemon\")\n"
		"\n",
		AD_DEFAULT_CONFIG, AD_DEFAULT_MAX_FRAMES, AD_DEFAULT_MAX_TASKS,
		AD_SMALL_FRAMES, AD_SMALL_TASKS, AD_DEFAULT_MAX_BIG,
		AD_DEFAULT_MAX_PROCS, AD_MAX_PROCS_LIMIT, AD_DEFAULT_LABEL_MAX,
		AD_OPT_LABEL_MIN, AD_LABEL_MAX_LIMIT);
	fprintf(out,
		"Dump mode (asks the running observer):\n"
		"  --pid N              the process to dump\n"
		"  --format text|json   output format (default text)\n"
		"  --verbose            also show frames marked "
		"ASYNCDUMP_F_VERBOSE\n"
		"  --stuck-after DUR    mark frames pending longer with !!! "
		"(default 10s;\n"
		"                       DUR like 250us, 500ms, 1.5s, 2m, 1h; 0 "
		"disables)\n"
		"\n"
		"List mode (asks the running observer):\n"
		"  --list               one line per observed process you may "
		"dump: pid,\n"
		"                       tasks, frames, stuck frames, the "
		"oldest "
		"frame's age,\n"
		"                       since when it is observed, losses, "
		"command\n"
		"  --format text|json   output format (default text)\n"
		"  --stuck-after DUR    count frames pending longer as stuck "
		"(default 10s)\n"
		"\n"
		"All modes:\n"
		"  --socket PATH        the observer's unix socket (default: "
		"$%s, else\n"
		"                       %s)\n"
		"  --help               this text\n"
		"  --version            print the version and, as root, what "
		"this\n"
		"                       kernel lets the observer do\n"
		"\n"
		"Environment:\n"
		"  ASYNCDUMP_DISABLE_FEATURES=LIST  leave kernel features "
		"unused even if\n"
		"                       present (comma list: sleepable, "
		"task-iter-pid)\n"
		"  ASYNCDUMP_DEBUG=1    show libbpf's messages (the verifier's "
		"log)\n"
		"  ASYNCDUMP_PTRACE_SCOPE_FILE=PATH  read "
		"kernel.yama.ptrace_scope from\n"
		"                       PATH instead of /proc/sys (for "
		"tests)\n"
		"\n",
		AD_SOCKET_ENV, AD_DEFAULT_SOCKET_PATH);
	fprintf(out,
		"Exit codes:\n"
		"  %d  success\n"
		"  %d  failure the message explains (e.g. another asyncdumpd "
		"serves the socket)\n"
		"  %d  bad command line\n"
		"  %d  --pid, --list: no observer running (start one: %s "
		"--daemon --attach\n"
		"     PATH)\n"
		"  %d  the process has hit no asyncdump probe since the "
		"observer started\n"
		"  %d  no such process\n"
		"  %d  permission denied: not allowed to dump that process "
		"(the message\n"
		"     says why), or --daemon not run as root\n"
		"  %d  --daemon: loading BPF or attaching probes failed\n"
		"  %d  --daemon: the kernel lacks a feature the observer needs "
		"(the\n"
		"     message names it and the oldest kernel that has it)\n"
		"  %d  --pid: the process hit asyncdump probes but is not "
		"observed: the\n"
		"     observer's process table is full (raise --max-procs)\n",
		AD_EXIT_OK, AD_EXIT_FAILURE, AD_EXIT_USAGE, AD_EXIT_NO_OBSERVER,
		prog, AD_EXIT_NOT_OBSERVED, AD_EXIT_NO_PROCESS,
		AD_EXIT_PERMISSION, AD_EXIT_ATTACH, AD_EXIT_KERNEL,
		AD_EXIT_PROCS_FULL);
}
