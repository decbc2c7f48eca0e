// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_options.c - asyncdumpd's command line: every option, durations,
 * bad input, conflicting and missing modes, --list.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "asyncdump_abi.h"
#include "core/exit_codes.h"
#include "core/options.h"

static char err[512];

/* Parses a NULL-terminated argv (argv[0] added) with no env socket. */
#define PARSE(opts, ...)                                                       \
	parse_env(opts, NULL, (const char *[]){"asyncdumpd", __VA_ARGS__, NULL})
#define PARSE0(opts) parse_env(opts, NULL, (const char *[]){"asyncdumpd", NULL})

static int parse_env(struct ad_options *o, const char *env, const char **args)
{
	int argc = 0;

	while (args[argc])
		argc++;
	err[0] = '\0';
	return ad_options_parse(argc, (char *const *)args, env, o, err,
				sizeof(err));
}

static void expect_usage(const char *why, const char **args, const char *needle)
{
	struct ad_options o;
	int rc = parse_env(&o, NULL, args);

	if (rc != -EINVAL)
		fail_msg("%s: expected usage error, got %d", why, rc);
	assert_non_null(strstr(err, needle));
	/* One line, for a one-line error message. */
	assert_null(strchr(err, '\n'));
	ad_options_free(&o);
}
#define EXPECT_USAGE(needle, ...)                                              \
	expect_usage(#__VA_ARGS__,                                             \
		     (const char *[]){"asyncdumpd", __VA_ARGS__, NULL},        \
		     needle)

static void test_daemon_all_options(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(PARSE(&o, "--daemon", "--attach", "/bin/a",
			       "--attach=/lib/b.so", "--attach-pid", "42",
			       "--attach-pid=7", "--socket", "/tmp/s",
			       "--max-frames", "1000", "--max-tasks", "200",
			       "--max-procs", "3", "--max-slots", "2",
			       "--label-max", "128"),
			 0);
	assert_int_equal(o.mode, AD_MODE_DAEMON);
	assert_int_equal(o.nattach_paths, 2);
	assert_string_equal(o.attach_paths[0], "/bin/a");
	assert_string_equal(o.attach_paths[1], "/lib/b.so");
	assert_int_equal(o.nattach_pids, 2);
	assert_int_equal(o.attach_pids[0], 42);
	assert_int_equal(o.attach_pids[1], 7);
	assert_string_equal(o.socket_path, "/tmp/s");
	assert_int_equal(o.max_frames, 1000);
	assert_int_equal(o.max_tasks, 200);
	assert_int_equal(o.max_procs, 3);
	assert_int_equal(o.max_slots, 2);
	assert_int_equal(o.label_max, 128);
	ad_options_free(&o);
}

/* --discovery: auto unless given; auto, on or off only. */
static void test_discovery(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(PARSE(&o, "--daemon"), 0);
	assert_int_equal(o.discovery, AD_DISCOVERY_AUTO);
	assert_false(o.given & AD_GIVEN_DISCOVERY);
	ad_options_free(&o);
	assert_int_equal(PARSE(&o, "--daemon", "--discovery", "off"), 0);
	assert_int_equal(o.discovery, AD_DISCOVERY_OFF);
	assert_true(o.given & AD_GIVEN_DISCOVERY);
	ad_options_free(&o);
	assert_int_equal(
		PARSE(&o, "--daemon", "--attach", "/a", "--discovery", "on"),
		0);
	assert_int_equal(o.discovery, AD_DISCOVERY_ON);
	ad_options_free(&o);
	EXPECT_USAGE("--discovery: 'On' is not auto, on or off", "--daemon",
		     "--discovery", "On");
	EXPECT_USAGE("--discovery only applies to --daemon", "--list",
		     "--discovery", "on");
}

/* --dump-group: a daemon option, kept as given (resolved at start). */
static void test_dump_group(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(PARSE(&o, "--daemon", "--attach", "/a"), 0);
	assert_null(o.dump_group);
	ad_options_free(&o);
	assert_int_equal(PARSE(&o, "--daemon", "--attach", "/a", "--dump-group",
			       "asyncdump"),
			 0);
	assert_string_equal(o.dump_group, "asyncdump");
	ad_options_free(&o);
	EXPECT_USAGE("--dump-group only applies to --daemon", "--pid", "3",
		     "--dump-group", "wheel");
	EXPECT_USAGE("--dump-group: empty", "--daemon", "--attach", "/a",
		     "--dump-group", "");
	EXPECT_USAGE("needs a value", "--daemon", "--attach", "/a",
		     "--dump-group");
}

/* --state-dir: a daemon option, an absolute path, NULL when not given
 * (the store then goes with the daemon). */
static void test_state_dir(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(PARSE(&o, "--daemon", "--attach", "/a"), 0);
	assert_null(o.state_dir);
	ad_options_free(&o);
	assert_int_equal(PARSE(&o, "--daemon", "--attach", "/a", "--state-dir",
			       "/x", "--state-dir", "/sys/fs/bpf/ad"),
			 0);
	assert_string_equal(o.state_dir, "/sys/fs/bpf/ad"); /* the last */
	assert_true(o.given & AD_GIVEN_STATE_DIR);
	ad_options_free(&o);
	EXPECT_USAGE("--state-dir: 'bpf/ad' is not an absolute path",
		     "--daemon", "--attach", "/a", "--state-dir", "bpf/ad");
	EXPECT_USAGE("--state-dir: '' is not an absolute path", "--daemon",
		     "--attach", "/a", "--state-dir", "");
	EXPECT_USAGE("--state-dir only applies to --daemon", "--pid", "3",
		     "--state-dir", "/x");
}

/* Every observed process gets maps of its own unless --max-slots says
 * fewer; 0 puts every process in the shared maps. */
static void test_slots_follow_procs(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(
		PARSE(&o, "--daemon", "--attach", "/a", "--max-procs", "7"), 0);
	assert_int_equal(o.max_slots, 7);
	ad_options_free(&o);
	assert_int_equal(
		PARSE(&o, "--daemon", "--attach", "/a", "--max-slots", "0"), 0);
	assert_int_equal(o.max_slots, 0);
	assert_int_equal(o.max_procs, AD_DEFAULT_MAX_PROCS);
	ad_options_free(&o);
	assert_int_equal(PARSE(&o, "--daemon", "--attach", "/a", "--max-slots",
			       "3", "--max-procs", "3"),
			 0);
	assert_int_equal(o.max_slots, 3);
	ad_options_free(&o);
}

static void test_daemon_defaults(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(PARSE(&o, "--daemon", "--attach-pid", "1"), 0);
	assert_int_equal(o.mode, AD_MODE_DAEMON);
	assert_int_equal(o.nattach_paths, 0);
	assert_string_equal(o.socket_path, AD_DEFAULT_SOCKET_PATH);
	assert_int_equal(o.max_frames, AD_DEFAULT_MAX_FRAMES);
	assert_int_equal(o.max_tasks, AD_DEFAULT_MAX_TASKS);
	assert_int_equal(o.max_procs, AD_DEFAULT_MAX_PROCS);
	assert_int_equal(o.max_slots, AD_DEFAULT_MAX_PROCS); /* as many */
	assert_int_equal(o.label_max, AD_DEFAULT_LABEL_MAX);
	ad_options_free(&o);
}

static void test_dump_all_options(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(PARSE(&o, "--pid", "1234", "--format", "json",
			       "--verbose", "--stuck-after", "1.5s",
			       "--socket=/x/y"),
			 0);
	assert_int_equal(o.mode, AD_MODE_DUMP);
	assert_int_equal(o.pid, 1234);
	assert_int_equal(o.dump.format, AD_FORMAT_JSON);
	assert_true(o.dump.verbose);
	assert_int_equal(o.dump.stuck_after_ns, 1500000000ull);
	assert_string_equal(o.socket_path, "/x/y");
	ad_options_free(&o);

	assert_int_equal(PARSE(&o, "--pid=5", "--format=text"), 0);
	assert_int_equal(o.dump.format, AD_FORMAT_TEXT);
	assert_false(o.dump.verbose);
	assert_int_equal(o.dump.stuck_after_ns, AD_DEFAULT_STUCK_AFTER_NS);
	ad_options_free(&o);
}

/* --list: format and stuck-after as a dump takes them, no pid, no
 * --verbose (a list shows no frames), no daemon option, one mode. */
static void test_list(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(PARSE(&o, "--list"), 0);
	assert_int_equal(o.mode, AD_MODE_LIST);
	assert_int_equal(o.pid, 0);
	assert_int_equal(o.dump.format, AD_FORMAT_TEXT);
	assert_false(o.dump.verbose);
	assert_int_equal(o.dump.stuck_after_ns, AD_DEFAULT_STUCK_AFTER_NS);
	assert_string_equal(o.socket_path, AD_DEFAULT_SOCKET_PATH);
	ad_options_free(&o);

	assert_int_equal(PARSE(&o, "--format=json", "--list", "--stuck-after",
			       "250ms", "--socket", "/x/s"),
			 0);
	assert_int_equal(o.mode, AD_MODE_LIST);
	assert_int_equal(o.dump.format, AD_FORMAT_JSON);
	assert_int_equal(o.dump.stuck_after_ns, 250000000ull);
	assert_string_equal(o.socket_path, "/x/s");
	ad_options_free(&o);
	/* given twice is still one list */
	assert_int_equal(PARSE(&o, "--list", "--list", "--stuck-after", "0"),
			 0);
	assert_int_equal(o.mode, AD_MODE_LIST);
	assert_int_equal(o.dump.stuck_after_ns, 0);
	ad_options_free(&o);
	/* --help still wins */
	assert_int_equal(PARSE(&o, "--list", "--help"), 0);
	assert_int_equal(o.mode, AD_MODE_HELP);
	ad_options_free(&o);

	EXPECT_USAGE("--pid and --list are different modes", "--list", "--pid",
		     "3");
	EXPECT_USAGE("--daemon and --list are different modes", "--daemon",
		     "--attach", "/a", "--list");
	EXPECT_USAGE("--daemon and --list are different modes", "--daemon",
		     "--list", "--pid", "3");
	EXPECT_USAGE("--verbose only applies to --pid", "--list", "--verbose");
	EXPECT_USAGE("--attach only applies to --daemon", "--list", "--attach",
		     "/a");
	EXPECT_USAGE("--dump-group only applies to --daemon", "--list",
		     "--dump-group", "wheel");
	EXPECT_USAGE("--format: 'yaml' is not text or json", "--list",
		     "--format", "yaml");
	EXPECT_USAGE("--stuck-after: '10' is not a duration", "--list",
		     "--stuck-after", "10");
	EXPECT_USAGE("unexpected argument 'all'", "--list", "all");
}

static void test_socket_env(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(
		parse_env(&o, "/env/sock",
			  (const char *[]){"asyncdumpd", "--pid", "1", NULL}),
		0);
	assert_string_equal(o.socket_path, "/env/sock");
	ad_options_free(&o);
	/* --socket wins over the environment. */
	assert_int_equal(parse_env(&o, "/env/sock",
				   (const char *[]){"asyncdumpd", "--pid", "1",
						    "--socket", "/opt", NULL}),
			 0);
	assert_string_equal(o.socket_path, "/opt");
	ad_options_free(&o);
	/* An empty variable is as good as unset. */
	assert_int_equal(
		parse_env(&o, "",
			  (const char *[]){"asyncdumpd", "--pid", "1", NULL}),
		0);
	assert_string_equal(o.socket_path, AD_DEFAULT_SOCKET_PATH);
	ad_options_free(&o);
}

static void test_help_version(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(PARSE(&o, "--help"), 0);
	assert_int_equal(o.mode, AD_MODE_HELP);
	ad_options_free(&o);
	assert_int_equal(PARSE(&o, "--version"), 0);
	assert_int_equal(o.mode, AD_MODE_VERSION);
	ad_options_free(&o);
	/* --help wins even beside a mode. */
	assert_int_equal(PARSE(&o, "--pid", "3", "--help"), 0);
	assert_int_equal(o.mode, AD_MODE_HELP);
	ad_options_free(&o);
	/* "asyncdumpd X.Y.Z": the build passes the CMake project version. */
	assert_int_equal(strncmp(ad_version_string(), "asyncdumpd ", 11), 0);
	assert_non_null(strchr(ad_version_string() + 11, '.'));
}

static void test_usage_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	(void)state;

	ad_usage(f, "asyncdumpd");
	fclose(f);
	const char *must[] = {
		"--daemon",    "--attach PATH", "--attach-pid",
		"--socket",    "--max-frames",	"--max-tasks",
		"--max-procs", "--max-slots",	"--label-max",
		"--pid N",     "--list",	"--format",
		"--verbose",   "--stuck-after", "--help",
		"--version",   "Exit codes",	AD_DEFAULT_SOCKET_PATH,
		AD_SOCKET_ENV,
	};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (!strstr(buf, must[i]))
			fail_msg("usage lacks %s", must[i]);
	/* Every exit code is listed. */
	for (int code = AD_EXIT_OK; code <= AD_EXIT_PROCS_FULL; code++) {
		char line[16];

		snprintf(line, sizeof(line), "\n  %d  ", code);
		if (!strstr(buf, line))
			fail_msg("usage lacks exit code %d", code);
	}
	free(buf);
}

static void test_modes(void **state)
{
	struct ad_options o;
	(void)state;

	assert_int_equal(PARSE0(&o), -EINVAL);
	assert_non_null(strstr(err, "no mode"));
	ad_options_free(&o);
	EXPECT_USAGE("different modes", "--daemon", "--attach", "/a", "--pid",
		     "3");
	/* Targets may come from the config file alone (the daemon checks
	 * there are some once it has read it). */
	assert_int_equal(PARSE(&o, "--daemon"), 0);
	assert_int_equal(o.mode, AD_MODE_DAEMON);
	assert_null(o.config_path);
	assert_int_equal(o.given, 0);
	ad_options_free(&o);
	assert_int_equal(PARSE(&o, "--daemon", "--config", "/etc/x.conf",
			       "--max-frames", "99", "--socket", "/s"),
			 0);
	assert_string_equal(o.config_path, "/etc/x.conf");
	assert_int_equal(o.given, AD_GIVEN_MAX_FRAMES | AD_GIVEN_SOCKET);
	ad_options_free(&o);
	assert_int_equal(
		parse_env(&o, "/env.sock",
			  (const char *[]){"asyncdumpd", "--daemon", NULL}),
		0);
	assert_int_equal(o.given, AD_GIVEN_SOCKET);
	ad_options_free(&o);
	EXPECT_USAGE("--config: empty path", "--daemon", "--config", "");
	EXPECT_USAGE("--config only applies to --daemon", "--pid", "3",
		     "--config", "/a");
	EXPECT_USAGE("--format only applies to --pid and --list", "--daemon",
		     "--attach", "/a", "--format", "json");
	EXPECT_USAGE("--verbose only applies", "--daemon", "--attach", "/a",
		     "--verbose");
	EXPECT_USAGE("--stuck-after only applies", "--daemon", "--attach", "/a",
		     "--stuck-after", "1s");
	EXPECT_USAGE("--attach only applies to --daemon", "--pid", "3",
		     "--attach", "/a");
	EXPECT_USAGE("--max-frames only applies", "--pid", "3", "--max-frames",
		     "9");
	EXPECT_USAGE("--attach-pid only applies", "--pid", "3", "--attach-pid",
		     "9");
	EXPECT_USAGE("--max-slots only applies", "--pid", "3", "--max-slots",
		     "0");
	EXPECT_USAGE("--pid given twice", "--pid", "3", "--pid", "4");
}

static void test_bad_options(void **state)
{
	(void)state;

	EXPECT_USAGE("unknown option '--bogus'", "--pid", "3", "--bogus");
	EXPECT_USAGE("unknown option '-p'", "-p", "3");
	EXPECT_USAGE("--pid needs a value", "--pid");
	EXPECT_USAGE("--socket needs a value", "--pid", "1", "--socket");
	EXPECT_USAGE("unexpected argument 'extra'", "--pid", "1", "extra");
	EXPECT_USAGE("not a process id", "--pid", "0");
	EXPECT_USAGE("not a process id", "--pid", "-1");
	EXPECT_USAGE("not a process id", "--pid", "12x");
	EXPECT_USAGE("not a process id", "--pid", "");
	EXPECT_USAGE("not a process id", "--pid", "99999999999");
	EXPECT_USAGE("not a process id", "--daemon", "--attach-pid", "abc");
	EXPECT_USAGE("not text or json", "--pid", "1", "--format", "xml");
	EXPECT_USAGE("not a duration", "--pid", "1", "--stuck-after", "10");
	EXPECT_USAGE("not a duration", "--pid", "1", "--stuck-after", "soon");
	EXPECT_USAGE("empty path", "--daemon", "--attach", "");
	EXPECT_USAGE("empty path", "--pid", "1", "--socket", "");
	EXPECT_USAGE("--max-frames", "--daemon", "--attach", "/a",
		     "--max-frames", "0");
	EXPECT_USAGE("--max-tasks", "--daemon", "--attach", "/a", "--max-tasks",
		     "-5");
	EXPECT_USAGE("--max-procs", "--daemon", "--attach", "/a", "--max-procs",
		     "99999999999999999999999");
	EXPECT_USAGE("--max-procs", "--daemon", "--attach", "/a", "--max-procs",
		     "16385");
	EXPECT_USAGE("--max-slots", "--daemon", "--attach", "/a", "--max-slots",
		     "x");
	EXPECT_USAGE("--max-slots 5 is more than --max-procs 4", "--daemon",
		     "--attach", "/a", "--max-procs", "4", "--max-slots", "5");
	EXPECT_USAGE("--label-max", "--daemon", "--attach", "/a", "--label-max",
		     "4097");
	EXPECT_USAGE("--label-max", "--daemon", "--attach", "/a", "--label-max",
		     "7");
}

static void test_parse_twice(void **state)
{
	struct ad_options o;
	(void)state;

	/* getopt state is reset between runs. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(PARSE(&o, "--pid", "9", "--verbose"), 0);
		assert_int_equal(o.pid, 9);
		ad_options_free(&o);
	}
}

static uint64_t dur(const char *s)
{
	uint64_t ns = 0xdeadbeef;
	int rc = ad_parse_duration(s, &ns);

	if (rc)
		fail_msg("'%s' rejected: %d", s, rc);
	return ns;
}

static void test_duration_ok(void **state)
{
	(void)state;

	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("0s"), 0);
	assert_int_equal(dur("10s"), 10000000000ull);
	assert_int_equal(dur("500ms"), 500000000ull);
	assert_int_equal(dur("1.5s"), 1500000000ull);
	assert_int_equal(dur("2m"), 120000000000ull);
	assert_int_equal(dur("1h"), 3600000000000ull);
	assert_int_equal(dur("250us"), 250000ull);
	assert_int_equal(dur("7ns"), 7ull);
	assert_int_equal(dur("0.001s"), 1000000ull);
	assert_int_equal(dur("1.25ms"), 1250000ull);
	assert_int_equal(dur("0.5ns"), 0ull); /* below 1 ns truncates */
	assert_int_equal(dur("1.0000000009s"),
			 1000000000ull); /* 10th digit dropped */
	assert_int_equal(dur("1.999999999h"), 7199999996400ull);
	assert_int_equal(dur("18446744073709551615ns"), UINT64_MAX);
}

static void test_duration_bad(void **state)
{
	const char *bad[] = {
		"",    "s",   "10",    "1.5",  "-1s",	"+1s",	 " 1s",
		"1s ", "1 s", "1.s",   ".5s",  "1..5s", "1.5.s", "10sec",
		"10S", "1d",  "0x10s", "1e3s", "5mss",	"ms",
	};
	uint64_t ns;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ad_parse_duration(bad[i], &ns) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(ad_parse_duration(NULL, &ns), -EINVAL);
	assert_int_equal(ad_parse_duration("18446744073709551616ns", &ns),
			 -ERANGE);
	assert_int_equal(ad_parse_duration("18446744073709551615s", &ns),
			 -ERANGE);
	assert_int_equal(ad_parse_duration("5124096h", &ns), -ERANGE);
	assert_int_equal(ad_parse_duration("99999999999999999999999s", &ns),
			 -ERANGE);
}

static void test_parse_pid(void **state)
{
	pid_t pid;
	(void)state;

	assert_int_equal(ad_parse_pid("1", &pid), 0);
	assert_int_equal(pid, 1);
	assert_int_equal(ad_parse_pid("2147483647", &pid), 0);
	assert_int_equal(pid, 2147483647);
	assert_int_equal(ad_parse_pid("2147483648", &pid), -EINVAL);
	assert_int_equal(ad_parse_pid("0", &pid), -EINVAL);
	assert_int_equal(ad_parse_pid(" 1", &pid), -EINVAL);
	assert_int_equal(ad_parse_pid("0x10", &pid), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_all_options),
		cmocka_unit_test(test_daemon_defaults),
		cmocka_unit_test(test_slots_follow_procs),
		cmocka_unit_test(test_dump_all_options),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_socket_env),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_usage_text),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_parse_twice),
		cmocka_unit_test(test_duration_ok),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_parse_pid),
		cmocka_unit_test(test_dump_group),
		cmocka_unit_test(test_state_dir),
		cmocka_unit_test(test_discovery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
