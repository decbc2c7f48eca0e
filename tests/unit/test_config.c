// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_config.c - asyncdumpd.conf: every key, each error with its line,
 * bounds on what is read, and the command line winning over the file.
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

#include "core/config.h"
#include "core/options.h"

static char err[512];

static int parse(const char *text, struct ad_config *cfg)
{
	err[0] = '\0';
	return ad_config_parse(text, strlen(text), "t.conf", cfg, err,
			       sizeof(err));
}

/* text must be refused with err naming t.conf:line and containing
 * needle, on one line. */
static void expect_error(const char *text, unsigned line, const char *needle)
{
	struct ad_config cfg;
	char where[32];
	int rc = parse(text, &cfg);

	if (rc != -EINVAL)
		fail_msg("%s: expected -EINVAL, got %d", text, rc);
	snprintf(where, sizeof(where), "t.conf:%u: ", line);
	if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, needle))
		fail_msg("%s: got '%s', want '%s...%s'", text, err, where,
			 needle);
	assert_null(strchr(err, '\n'));
	ad_config_free(&cfg);
}

static void test_every_key(void **state)
{
	struct ad_config cfg;
	(void)state;

	assert_int_equal(parse("# the service's config\n"
			       "[targets]\n"
			       "attach = /usr/bin/a ; inline comment\n"
			       "attach = /opt/*/lib*.so\n"
			       "\n"
			       "[limits]\n"
			       "max_frames = 1000\n"
			       "max_tasks = 200\n"
			       "max_procs = 30\n"
			       "max_slots = 20\n"
			       "max_big = 2\n"
			       "label_max = 48\n"
			       "[daemon]\n"
			       "socket = /run/x.sock\n"
			       "dump_group = oncall\n"
			       "log_level = warning\n"
			       "discovery = off\n"
			       "stuck_after = 1.5s\n",
			       &cfg),
			 0);
	assert_int_equal(cfg.ntargets, 2);
	assert_string_equal(cfg.targets[0], "/usr/bin/a");
	assert_string_equal(cfg.targets[1], "/opt/*/lib*.so");
	assert_string_equal(cfg.value[AD_CFG_MAX_FRAMES], "1000");
	assert_string_equal(cfg.value[AD_CFG_LABEL_MAX], "48");
	assert_string_equal(cfg.value[AD_CFG_SOCKET], "/run/x.sock");
	assert_string_equal(cfg.value[AD_CFG_DUMP_GROUP], "oncall");
	assert_int_equal(cfg.log_level, 4);
	assert_string_equal(cfg.value[AD_CFG_DISCOVERY], "off");
	assert_int_equal(cfg.stuck_after_ns, 1500000000ull);
	ad_config_free(&cfg);
}

static void test_empty_is_defaults(void **state)
{
	struct ad_config cfg;
	(void)state;

	assert_int_equal(parse("", &cfg), 0);
	assert_int_equal(cfg.ntargets, 0);
	assert_int_equal(cfg.log_level, 6);
	assert_int_equal(cfg.stuck_after_ns, AD_DEFAULT_STUCK_AFTER_NS);
	for (int k = 0; k < AD_CFG_KEY_COUNT; k++)
		assert_null(cfg.value[k]);
	ad_config_free(&cfg);
	assert_int_equal(parse("; nothing\n\n# at all\n[targets]\n", &cfg), 0);
	ad_config_free(&cfg);
}

static void test_errors_name_their_line(void **state)
{
	(void)state;

	expect_error("[limits]\nmax_frames = many\n", 2,
		     "max_frames: 'many' is not a number from");
	expect_error("[limits]\nmax_frames = 0\n", 2, "from 1 to");
	expect_error("[limits]\nlabel_max = 1\n", 2, "label_max");
	expect_error("[targets]\nattach = bin/a\n", 2, "not an absolute path");
	expect_error("[daemon]\nstate_dir = bpf\n", 2,
		     "'bpf' is not an absolute path");
	expect_error("\n\n[nope]\nx = 1\n", 4, "unknown section [nope]");
	expect_error("[limits]\nmax_fames = 3\n", 2,
		     "unknown key max_fames in [limits]");
	expect_error("max_frames = 3\n", 1, "outside a section");
	expect_error("[limits]\nmax_frames = 3\nmax_frames = 4\n", 3,
		     "given twice");
	expect_error("[daemon]\nlog_level = debug\n", 2,
		     "not err, warning or info");
	expect_error("[daemon]\nsocket =\n", 2, "empty path");
	expect_error("[daemon]\ndiscovery = yes\n", 2,
		     "discovery: 'yes' is not auto, on or off");
	expect_error("[daemon]\nstuck_after = 5 days\n", 2,
		     "stuck_after = 5 days: not a duration");
	expect_error("[targets]\njust words\n", 2,
		     "not a [section], key = value or comment");
	expect_error("[targets\n", 1, "not a [section]");
	/* The first error is the one said. */
	expect_error("[a]\nx = 1\n[limits]\nmax_tasks = x\n", 2,
		     "unknown section");
}

static void test_bounds(void **state)
{
	struct ad_config cfg;
	char line[400], *big;
	(void)state;

	/* A NUL byte: the rest would be cut off unseen. */
	assert_int_equal(ad_config_parse("[targets]\nattach = /a\0x\n", 24,
					 "t.conf", &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "t.conf:2: a NUL byte"));
	ad_config_free(&cfg);
	/* A line libinih would split in two. */
	snprintf(line, sizeof(line), "[targets]\nattach = /%0300d\n", 0);
	expect_error(line, 2, "longer than 190 bytes");
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(ad_config_parse("[limits]\nmax_big = 3XXXX", 20,
					 "t.conf", &cfg, err, sizeof(err)),
			 0);
	assert_string_equal(cfg.value[AD_CFG_MAX_BIG], "3");
	ad_config_free(&cfg);
	/* A file too big to be a config file. */
	big = malloc(AD_CONFIG_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, '#', AD_CONFIG_MAX_BYTES + 1);
	big[AD_CONFIG_MAX_BYTES + 1] = '\0';
	assert_int_equal(parse(big, &cfg), -EINVAL);
	assert_non_null(strstr(err, "larger than"));
	ad_config_free(&cfg);
	free(big);
}

static void daemon_opts(struct ad_options *o, const char **args)
{
	int argc = 0;

	while (args[argc])
		argc++;
	assert_int_equal(ad_options_parse(argc, (char *const *)args, NULL, o,
					  err, sizeof(err)),
			 0);
}

/* The command line wins; the file fills in the rest; max-slots follows
 * max-procs unless one of them sets it. */
static void test_apply(void **state)
{
	struct ad_options o;
	struct ad_config cfg;
	(void)state;

	daemon_opts(&o,
		    (const char *[]){"asyncdumpd", "--daemon", "--max-frames",
				     "77", "--socket", "/cli.sock", NULL});
	assert_int_equal(parse("[limits]\nmax_frames = 1000\nmax_tasks = 9\n"
			       "max_procs = 5\n[daemon]\nsocket = /f.sock\n"
			       "dump_group = g\ndiscovery = on\n"
			       "state_dir = /sys/fs/bpf/ad\n",
			       &cfg),
			 0);
	assert_int_equal(ad_config_apply(&cfg, &o, err, sizeof(err)), 0);
	assert_int_equal(o.discovery, AD_DISCOVERY_ON);
	assert_string_equal(o.state_dir, "/sys/fs/bpf/ad");
	assert_int_equal(o.max_frames, 77);
	assert_int_equal(o.max_tasks, 9);
	assert_int_equal(o.max_procs, 5);
	assert_int_equal(o.max_slots, 5);
	assert_string_equal(o.socket_path, "/cli.sock");
	assert_string_equal(o.dump_group, "g");
	ad_config_free(&cfg);
	ad_options_free(&o);

	/* More slots than processes, from the file: refused, naming it. */
	daemon_opts(&o, (const char *[]){"asyncdumpd", "--daemon", NULL});
	assert_int_equal(
		parse("[limits]\nmax_procs = 4\nmax_slots = 6\n", &cfg), 0);
	assert_int_equal(ad_config_apply(&cfg, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.conf: "));
	assert_non_null(strstr(err, "more than --max-procs"));
	ad_config_free(&cfg);
	ad_options_free(&o);

	/* --max-slots on the command line, max_procs in the file. */
	daemon_opts(&o, (const char *[]){"asyncdumpd", "--daemon",
					 "--max-slots", "2", NULL});
	assert_int_equal(parse("[limits]\nmax_procs = 4\n", &cfg), 0);
	assert_int_equal(ad_config_apply(&cfg, &o, err, sizeof(err)), 0);
	assert_int_equal(o.max_procs, 4);
	assert_int_equal(o.max_slots, 2);
	ad_config_free(&cfg);
	ad_options_free(&o);
}

static void test_key_names(void **state)
{
	(void)state;
	assert_string_equal(ad_config_key_name(AD_CFG_MAX_FRAMES),
			    "max_frames");
	assert_string_equal(ad_config_key_name(AD_CFG_LOG_LEVEL), "log_level");
	assert_string_equal(ad_config_key_name(AD_CFG_KEY_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_empty_is_defaults),
		cmocka_unit_test(test_errors_name_their_line),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_key_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
