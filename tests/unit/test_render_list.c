// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_render_list.c - `asyncdumpd --list`: a process's row from its
 * rebuilt forest (the dump's counts, stuck frames and the oldest one,
 * observation times, losses), from records without any string as the
 * census reads them; the text table exactly, and the JSON array parsed
 * back with every key.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/render_list.h"
#include "snapshot_builder.h"

#define T1 0x1000
#define T2 0x2000
#define DEAD 0x9999
#define TID 4242
/* The builder's observation start, as wall clock ns. */
#define SINCE_NS (1795304401ll * 1000000000ll)

static const struct ad_render_opts text_opts = {AD_FORMAT_TEXT, false,
						AD_DEFAULT_STUCK_AFTER_NS};
static const struct ad_render_opts json_opts = {AD_FORMAT_JSON, false,
						AD_DEFAULT_STUCK_AFTER_NS};

/* The snapshot a census makes: records only, every string NULL. */
static void drop_strings(struct sb *b)
{
	for (size_t i = 0; i < b->s.nframes; i++) {
		b->s.frames[i].label.text = NULL;
		b->s.frames[i].file.text = NULL;
		b->s.frames[i].function.text = NULL;
	}
	for (size_t i = 0; i < b->s.ntasks; i++) {
		b->s.tasks[i].name.text = NULL;
		b->s.tasks[i].file.text = NULL;
		b->s.tasks[i].function.text = NULL;
	}
}

/* Process 1234 "server" in maps of its own, observed for 12.004 s:
 *   task T1: a LONG_RUNNING frame 50 s old (never stuck), under it one
 *            20 s old (stuck, the oldest that may be), under that a
 *            VERBOSE one 5 s old;
 *   task T2: one frame 12.5 ms old;
 *   thread 4242's own task: one frame 11 s old (stuck);
 *   a frame of a task that exited (not shown, not counted);
 *   losses: frames_full 3, exit_unknown 2;
 *   started 60 s ago, its probes attached 70 s ago: observed all its
 *   life. */
static void build_server(struct sb *b)
{
	struct ad_snap_frame *f;

	sb_init(b);
	b->shared_strings = true;
	b->s.proc.slot = 3;
	b->s.proc.lost[AD_LOST_FRAMES_FULL] = 3;
	b->s.proc.lost[AD_LOST_EXIT_UNKNOWN] = 2;
	b->s.started_ns = SB_NOW - 60 * SB_S;
	b->s.attached_ns = SB_NOW - 70 * SB_S;
	sb_task(b, T1, 1 * SB_S, "conn");
	sb_task(b, T2, 2 * SB_S, "timer");
	sb_thread_task(b, TID, 3 * SB_S, "worker");
	f = sb_frame(b, 1, T1, 0, SB_NOW - 50 * SB_S, "serve");
	f->rec.flags |= ASYNCDUMP_F_LONG_RUNNING;
	sb_frame(b, 2, T1, 1, SB_NOW - 20 * SB_S, "read");
	f = sb_frame(b, 3, T1, 2, SB_NOW - 5 * SB_S, "poll");
	f->rec.flags |= ASYNCDUMP_F_VERBOSE;
	sb_frame(b, 4, T2, 0, SB_NOW - 12500000ull, "sleep");
	sb_thread_frame(b, 5, TID, 0, SB_NOW - 11 * SB_S, "lock");
	sb_frame_raw(b, 6, DEAD, 1, 0, 0, SB_NOW - 90 * SB_S, "gone");
	drop_strings(b);
}

static void row_of(const struct sb *b, uint64_t stuck_after_ns,
		   struct ad_list_row *row)
{
	struct ad_forest f;

	assert_int_equal(ad_rebuild(&b->s, &f), 0);
	ad_list_row_of(&f, stuck_after_ns, row);
	ad_forest_free(&f);
}

static void test_row(void **state)
{
	struct ad_list_row r;
	struct sb b;
	(void)state;

	build_server(&b);
	row_of(&b, AD_DEFAULT_STUCK_AFTER_NS, &r);
	assert_int_equal(r.pid, 1234);
	assert_string_equal(r.comm, "server");
	assert_true(r.own_maps);
	assert_int_equal(r.tasks, 3);
	assert_int_equal(r.frames, 5); /* the exited task's is not shown */
	assert_int_equal(r.stuck, 2);
	assert_true(r.has_oldest);
	assert_int_equal(r.oldest_ns, 20 * SB_S); /* not the long-running */
	assert_int_equal(r.observed_since_ns, SINCE_NS);
	assert_int_equal(r.observed_for_ns, 12004 * SB_MS);
	assert_int_equal(r.lost[AD_LOST_FRAMES_FULL], 3);
	assert_int_equal(r.lost[AD_LOST_EXIT_UNKNOWN], 2);
	assert_int_equal(r.lost[AD_LOST_TASKS_FULL], 0);
	assert_int_equal(r.coverage, AD_COVERAGE_WHOLE);
	b.s.attached_ns = b.s.started_ns + 1;
	row_of(&b, AD_DEFAULT_STUCK_AFTER_NS, &r);
	assert_int_equal(r.coverage, AD_COVERAGE_PARTIAL);
	b.s.attached_ns = 0;
	row_of(&b, AD_DEFAULT_STUCK_AFTER_NS, &r);
	assert_int_equal(r.coverage, AD_COVERAGE_UNKNOWN);
	b.s.attached_ns = SB_NOW - 70 * SB_S;

	/* --stuck-after decides what is stuck, not which frame is oldest */
	row_of(&b, 15 * SB_S, &r);
	assert_int_equal(r.stuck, 1);
	assert_int_equal(r.oldest_ns, 20 * SB_S);
	row_of(&b, 30 * SB_S, &r);
	assert_int_equal(r.stuck, 0);
	assert_int_equal(r.oldest_ns, 20 * SB_S);
	row_of(&b, 0, &r); /* 0: nothing is ever stuck */
	assert_int_equal(r.stuck, 0);
	sb_free(&b);
}

/* No frame, or only LONG_RUNNING ones: no oldest frame; in the shared
 * maps; a record from the future never makes a negative age. */
static void test_row_edges(void **state)
{
	struct ad_snap_frame *f;
	struct ad_list_row r;
	struct sb b;
	(void)state;

	sb_init(&b);
	sb_task(&b, T1, 1 * SB_S, "idle");
	row_of(&b, AD_DEFAULT_STUCK_AFTER_NS, &r);
	assert_false(r.own_maps);
	assert_int_equal(r.tasks, 1);
	assert_int_equal(r.frames, 0);
	assert_false(r.has_oldest);
	assert_int_equal(r.stuck, 0);

	f = sb_frame(&b, 1, T1, 0, SB_NOW - 100 * SB_S, "accept loop");
	f->rec.flags |= ASYNCDUMP_F_LONG_RUNNING;
	row_of(&b, AD_DEFAULT_STUCK_AFTER_NS, &r);
	assert_int_equal(r.frames, 1);
	assert_false(r.has_oldest);
	assert_int_equal(r.stuck, 0);

	sb_frame(&b, 2, T1, 1, SB_NOW + 5 * SB_S, "from the future");
	row_of(&b, AD_DEFAULT_STUCK_AFTER_NS, &r);
	assert_int_equal(r.frames, 2);
	assert_true(r.has_oldest);
	assert_int_equal(r.oldest_ns, 0);
	sb_free(&b);
}

/* The first probe's own frame is stamped a few µs before the process's
 * record: observation starts with it. A record much older is left. */
static void test_settle_since(void **state)
{
	uint64_t since;
	struct sb b;
	(void)state;

	sb_init(&b);
	since = b.s.proc.observed_since_ns;
	sb_task(&b, T1, since - 40 * SB_S, "old task of the pid");
	sb_frame(&b, 1, T1, 0, since - 57000, "first");
	ad_snapshot_settle_since(&b.s);
	assert_int_equal(b.s.proc.observed_since_ns, since - 57000);
	sb_frame(&b, 2, T1, 1, since - 57000 - AD_FIRST_PROBE_SLACK_NS - 1,
		 "long before");
	ad_snapshot_settle_since(&b.s);
	assert_int_equal(b.s.proc.observed_since_ns, since - 57000);
	sb_free(&b);
}

/* A second row, made by hand: a process whose comm carries an escape,
 * with one task and nothing pending, observed for 500 µs. */
static struct ad_list_row small_row(void)
{
	struct ad_list_row r = {
		.pid = 77,
		.tasks = 1,
		.observed_since_ns = SINCE_NS + 11 * (int64_t)SB_S,
		.observed_for_ns = 500000,
		.coverage = AD_COVERAGE_PARTIAL,
	};

	strcpy(r.comm, "a\x1b[2Jb");
	return r;
}

/* rows rendered with opts into a malloc'd string. */
static char *render(const struct ad_list_row *rows, size_t n,
		    const struct ad_render_opts *opts, size_t *len)
{
	char *buf = NULL;
	size_t l = 0;
	FILE *f = open_memstream(&buf, &l);

	assert_non_null(f);
	assert_int_equal(ad_render_list(f, rows, n, opts), 0);
	fclose(f);
	if (len)
		*len = l;
	return buf;
}

static void test_text(void **state)
{
	struct ad_list_row rows[2];
	struct sb b;
	char *s;
	(void)state;

	build_server(&b);
	rows[0] = small_row();
	row_of(&b, AD_DEFAULT_STUCK_AFTER_NS, &rows[1]);
	s = render(rows, 2, &text_opts, NULL);
	assert_string_equal(
		s,
		" PID  TASKS  FRAMES  STUCK  OLDEST       OBSERVED   SINCE     "
		"            LIFE     LOST                          COMMAND\n"
		"  77      1       0      0  -            500.000\u00b5s  "
		"2026-11-21T23:40:12Z  partial  none                          "
		"a\\x1b[2Jb\n"
		"1234      3       5      2  !!! 20.000s  12.004s    "
		"2026-11-21T23:40:01Z  whole    frames_full=3,exit_unknown=2  "
		"server\n");
	free(s);

	/* Not stuck: the age alone. */
	rows[1].stuck = 0;
	s = render(&rows[1], 1, &text_opts, NULL);
	assert_non_null(strstr(s, "  20.000s  "));
	assert_null(strstr(s, "!!!"));
	free(s);

	/* Nothing to show: the header alone. */
	s = render(rows, 0, &text_opts, NULL);
	assert_string_equal(s, "PID  TASKS  FRAMES  STUCK  OLDEST  OBSERVED  "
			       "SINCE  LIFE  LOST  COMMAND\n");
	free(s);
	sb_free(&b);
}

/* Parses s whole (nothing but spaces after it) as a JSON array. */
static json_object *parse_array(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *j;

	assert_non_null(tok);
	j = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success)
		fail_msg("bad JSON at %ld: %s", (long)tok->char_offset,
			 json_tokener_error_desc(json_tokener_get_error(tok)));
	assert_true(strspn(s + tok->char_offset, " \n") ==
		    len - (size_t)tok->char_offset);
	json_tokener_free(tok);
	assert_true(json_object_is_type(j, json_type_array));
	return j;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("key %s missing", key);
	return v;
}

static void test_json(void **state)
{
	static const char *const lost[] = {AD_LOST_NAMES};
	static const char *const keys[] = {
		"pid",
		"comm",
		"own_maps",
		"tasks",
		"frames",
		"stuck_frames",
		"oldest_age_ns",
		"oldest_stuck",
		"observed_since_ns",
		"observed_since",
		"observed_for_ns",
		"coverage",
		"lost",
	};
	struct ad_list_row rows[2];
	json_object *arr, *a, *s, *l;
	struct sb b;
	size_t len;
	char *text;
	(void)state;

	build_server(&b);
	rows[0] = small_row();
	row_of(&b, AD_DEFAULT_STUCK_AFTER_NS, &rows[1]);
	text = render(rows, 2, &json_opts, &len);
	arr = parse_array(text, len);
	assert_int_equal(json_object_array_length(arr), 2);
	for (size_t i = 0; i < 2; i++) {
		json_object *row = json_object_array_get_idx(arr, i);

		/* every key, and no other */
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			get(row, keys[k]);
		assert_int_equal(json_object_object_length(row),
				 sizeof(keys) / sizeof(keys[0]));
		l = get(row, "lost");
		assert_int_equal(json_object_object_length(l), AD_LOST_COUNT);
		for (size_t k = 0; k < AD_LOST_COUNT; k++)
			get(l, lost[k]);
	}
	s = json_object_array_get_idx(arr, 0);
	assert_int_equal(json_object_get_int(get(s, "pid")), 77);
	assert_string_equal(json_object_get_string(get(s, "comm")),
			    "a\x1b[2Jb");
	assert_true(
		json_object_is_type(get(s, "oldest_age_ns"), json_type_null));
	assert_false(json_object_get_boolean(get(s, "oldest_stuck")));
	assert_false(json_object_get_boolean(get(s, "own_maps")));
	assert_int_equal(json_object_get_int64(get(s, "observed_for_ns")),
			 500000);
	assert_string_equal(json_object_get_string(get(s, "observed_since")),
			    "2026-11-21T23:40:12.000000000Z");
	assert_string_equal(json_object_get_string(get(s, "coverage")),
			    "partial");
	assert_null(strstr(text, "\x1b")); /* escaped, as \u001b */

	a = json_object_array_get_idx(arr, 1);
	assert_int_equal(json_object_get_int(get(a, "pid")), 1234);
	assert_string_equal(json_object_get_string(get(a, "comm")), "server");
	assert_true(json_object_get_boolean(get(a, "own_maps")));
	assert_int_equal(json_object_get_int(get(a, "tasks")), 3);
	assert_int_equal(json_object_get_int(get(a, "frames")), 5);
	assert_int_equal(json_object_get_int(get(a, "stuck_frames")), 2);
	assert_int_equal(json_object_get_int64(get(a, "oldest_age_ns")),
			 (int64_t)(20 * SB_S));
	assert_true(json_object_get_boolean(get(a, "oldest_stuck")));
	assert_int_equal(json_object_get_int64(get(a, "observed_since_ns")),
			 SINCE_NS);
	assert_string_equal(json_object_get_string(get(a, "observed_since")),
			    "2026-11-21T23:40:01.000000000Z");
	assert_int_equal(json_object_get_int64(get(a, "observed_for_ns")),
			 (int64_t)(12004 * SB_MS));
	assert_string_equal(json_object_get_string(get(a, "coverage")),
			    "whole");
	l = get(a, "lost");
	assert_int_equal(json_object_get_int(get(l, "frames_full")), 3);
	assert_int_equal(json_object_get_int(get(l, "exit_unknown")), 2);
	assert_int_equal(json_object_get_int(get(l, "maps_gone")), 0);
	json_object_put(arr);
	free(text);

	/* an empty list is an empty array */
	text = render(rows, 0, &json_opts, &len);
	assert_string_equal(text, "[\n]\n");
	arr = parse_array(text, len);
	assert_int_equal(json_object_array_length(arr), 0);
	json_object_put(arr);
	free(text);
	sb_free(&b);
}

static ssize_t failing_write(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	(void)buf;
	(void)len;
	errno = EPIPE;
	return 0;
}

/* A write error is returned; a format it does not know writes nothing. */
static void test_errors(void **state)
{
	cookie_io_functions_t io = {.write = failing_write};
	struct ad_render_opts bad = text_opts;
	struct ad_list_row r = small_row();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopencookie(NULL, "w", io);
	(void)state;

	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(ad_render_list(f, &r, 1, &json_opts), -EPIPE);
	fclose(f);

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	bad.format = (enum ad_format)9;
	assert_int_equal(ad_render_list(f, &r, 1, &bad), -EINVAL);
	fclose(f);
	assert_int_equal(len, 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row),
		cmocka_unit_test(test_row_edges),
		cmocka_unit_test(test_settle_since),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
