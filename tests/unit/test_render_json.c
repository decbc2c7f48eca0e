// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_render_json.c - the JSON dump, parsed back with json-c and checked
 * on the parsed structure: schema keys, values, escaping, verbose hiding,
 * detached reasons, and nesting 100,000 deep.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/render.h"
#include "snapshot_builder.h"

#define T1 0x1000
#define T2 0x2000
/* a tagged pointer: the top bit set, thread 77's tid below */
#define T3 ((1ull << 63) | 77)

static const struct ad_render_opts json_opts = {AD_FORMAT_JSON, false,
						AD_DEFAULT_STUCK_AFTER_NS};
static const struct ad_render_opts text_opts = {AD_FORMAT_TEXT, false,
						AD_DEFAULT_STUCK_AFTER_NS};

/* Parses a whole document; fails the test on any syntax error or on
 * trailing garbage. depth: nesting allowed. */
static json_object *parse(const char *s, size_t len, int depth)
{
	struct json_tokener *tok = json_tokener_new_ex(depth);
	json_object *j;

	assert_non_null(tok);
	j = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success)
		fail_msg("bad JSON at %ld: %s", (long)tok->char_offset,
			 json_tokener_error_desc(json_tokener_get_error(tok)));
	assert_true(strspn(s + tok->char_offset, " \n") ==
		    len - (size_t)tok->char_offset);
	json_tokener_free(tok);
	return j;
}

static json_object *render_parse(const struct sb *b,
				 const struct ad_render_opts *o)
{
	size_t len;
	char *s = sb_render(b, o, &len, NULL);
	json_object *j;

	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	j = parse(s, len, 64);
	free(s);
	return j;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("missing key \"%s\"", key);
	return v;
}

static json_object *at(json_object *arr, size_t i)
{
	assert_true(json_object_is_type(arr, json_type_array));
	assert_true(i < json_object_array_length(arr));
	return json_object_array_get_idx(arr, i);
}

static int64_t num(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static bool boolean(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

static bool is_null(json_object *o, const char *key)
{
	return get(o, key) == NULL; /* present and JSON null */
}

static size_t len(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_array));
	return json_object_array_length(v);
}

static void build_small(struct sb *b)
{
	struct ad_snap_task *t;

	sb_init(b);
	t = sb_task(b, T1, SB_NOW - 3 * SB_S, "conn");
	t->rec.tid = 4242;
	t->rec.top = 0x30;
	t->rec.top_gen = SB_NOW - 12345;
	t = sb_task(b, T2, SB_NOW - 2 * SB_S, "idle one");
	t->rec.parent_task = T1;
	t->rec.parent_frame = 0x10;
	t->rec.last_poll_ns = SB_NOW - 1002 * SB_MS;
	sb_site(b, sb_frame(b, 0x10, T1, 0, SB_NOW - 1006 * SB_MS, "foo"),
		"main.c", 20, "serve");
	sb_site(b, sb_frame(b, 0x20, T1, 0x10, SB_NOW - 106290000, "bar"),
		"main.c", 25, "bar");
	sb_site(b, sb_frame(b, 0x30, T1, 0x20, SB_NOW - 12345, "baz"),
		"lib/baz.c", 40, "baz");
	sb_site(b, sb_frame(b, 0x40, T2, 0, SB_NOW - 11006 * SB_MS, "pending"),
		"main.c", 50, "wait");
	sb_frame(b, 0x50, T2, 0, SB_NOW - 12 * SB_S, "daemon")->rec.flags =
		ASYNCDUMP_F_LONG_RUNNING;
}

static void test_small_tree(void **state)
{
	const int64_t wall0 = 1795304401LL * 1000000000LL;
	json_object *j, *t, *foo, *baz, *f;
	struct sb b;

	(void)state;
	build_small(&b);
	j = render_parse(&b, &json_opts);
	assert_int_equal(num(j, "pid"), 1234);
	assert_string_equal(str(j, "comm"), "server");
	assert_false(boolean(j, "own_maps")); /* slot 0: the shared maps */
	assert_int_equal(num(j, "observed_since_ns"), wall0);
	assert_int_equal(num(j, "now_ns"), wall0 + 12004000000LL);
	json_object_put(j);
	b.s.proc.slot = 3;
	j = render_parse(&b, &json_opts);
	assert_true(boolean(j, "own_maps"));
	assert_int_equal(num(get(j, "stats"), "frames_shown"), 5);
	assert_int_equal(len(j, "tasks"), 2);

	t = at(get(j, "tasks"), 0);
	assert_string_equal(str(t, "id"), "0x1000");
	assert_string_equal(str(t, "name"), "conn");
	assert_false(boolean(t, "name_truncated"));
	assert_true(is_null(t, "parent"));
	assert_true(is_null(t, "parent_frame"));
	assert_string_equal(str(t, "state"), "running");
	assert_int_equal(num(t, "tid"), 4242);
	assert_int_equal(num(t, "age_ns"), 3000000000LL);
	assert_true(is_null(t, "idle_ns"));
	assert_int_equal(len(t, "frames"), 1);
	assert_int_equal(len(t, "detached"), 0);
	foo = at(get(t, "frames"), 0);
	assert_string_equal(str(foo, "id"), "0x10");
	assert_string_equal(str(foo, "label"), "foo");
	assert_string_equal(str(foo, "file"), "main.c");
	assert_int_equal(num(foo, "line"), 20);
	assert_string_equal(str(foo, "function"), "serve");
	assert_int_equal(num(foo, "age_ns"), 1006000000LL);
	assert_false(boolean(foo, "verbose"));
	assert_false(boolean(foo, "long_running"));
	assert_false(boolean(foo, "stuck"));
	assert_false(boolean(foo, "current"));
	assert_false(boolean(foo, "label_truncated"));
	assert_false(boolean(foo, "label_unreadable"));
	assert_int_equal(len(foo, "children"), 1);
	baz = at(get(at(get(foo, "children"), 0), "children"), 0);
	assert_string_equal(str(baz, "label"), "baz");
	assert_string_equal(str(baz, "file"), "lib/baz.c");
	assert_int_equal(num(baz, "age_ns"), 12345);
	assert_true(boolean(baz, "current"));
	assert_int_equal(len(baz, "children"), 0);

	t = at(get(j, "tasks"), 1);
	assert_string_equal(str(t, "id"), "0x2000");
	assert_string_equal(str(t, "parent"), "0x1000");
	assert_string_equal(str(t, "parent_frame"), "0x10");
	assert_string_equal(str(t, "state"), "idle");
	assert_true(is_null(t, "tid"));
	assert_int_equal(num(t, "idle_ns"), 1002000000LL);
	f = at(get(t, "frames"), 0);
	assert_string_equal(str(f, "label"), "daemon");
	assert_true(boolean(f, "long_running"));
	assert_false(boolean(f, "stuck"));
	f = at(get(t, "frames"), 1);
	assert_string_equal(str(f, "label"), "pending");
	assert_true(boolean(f, "stuck"));
	json_object_put(j);
	sb_free(&b);
}

static void test_lost_and_stats_keys(void **state)
{
	static const char *const lost[] = {
		AD_LOST_NAMES,
		AD_DUMP_LOST_NAMES,
		"procs_full",
	};
	static const char *const stats[] = {
		"frames_in",	    "frames_shown",	    "frames_hidden",
		"duplicate_frames", "duplicate_tasks",	    "orphans",
		"cycles",	    "frames_of_dead_tasks", "stale",
		"max_depth",
	};
	json_object *j;
	struct sb b;
	size_t i;

	(void)state;
	sb_init(&b);
	b.s.proc.lost[AD_LOST_STRINGS_FULL] = 9;
	b.s.dump_lost[AD_DUMP_LABEL_UNREADABLE] = 4;
	b.s.procs_full = 2;
	j = render_parse(&b, &json_opts);
	assert_int_equal(json_object_object_length(get(j, "lost")),
			 sizeof(lost) / sizeof(lost[0]));
	for (i = 0; i < sizeof(lost) / sizeof(lost[0]); i++)
		(void)num(get(j, "lost"), lost[i]);
	assert_int_equal(num(get(j, "lost"), "strings_full"), 9);
	assert_int_equal(num(get(j, "lost"), "frames_full"), 0);
	assert_int_equal(num(get(j, "lost"), "dump_label_unreadable"), 4);
	assert_int_equal(num(get(j, "lost"), "procs_full"), 2);
	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		(void)num(get(j, "stats"), stats[i]);
	assert_int_equal(len(j, "tasks"), 0);
	json_object_put(j);
	sb_free(&b);
}

/* Whether the process was observed all its life, in both formats: never
 * silent, unknown when either time is. */
static void test_coverage(void **state)
{
	static const struct {
		uint64_t started, attached;
		const char *json, *text;
	} cases[] = {
		{0, 0, "unknown",
		 "(its start is unknown: frames entered "
		 "before may not be shown)"},
		{SB_NOW - 5 * SB_S, 0, "unknown", "its start is unknown"},
		{SB_NOW - 5 * SB_S, SB_NOW - 9 * SB_S, "whole",
		 ", all its life,"},
		{SB_NOW - 9 * SB_S, SB_NOW - 5 * SB_S, "partial",
		 "observed for 5.000s of the process's 9.000s (frames entered "
		 "before"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *j, *v;
		struct sb b;
		char *s;

		sb_init(&b);
		b.s.started_ns = cases[i].started;
		b.s.attached_ns = cases[i].attached;
		j = render_parse(&b, &json_opts);
		assert_string_equal(json_object_get_string(get(j, "coverage")),
				    cases[i].json);
		v = get(j, "process_started_ns");
		if (cases[i].started)
			assert_int_equal(
				json_object_get_int64(v),
				ad_snap_wall_ns(&b.s, cases[i].started));
		else
			assert_true(json_object_is_type(v, json_type_null));
		v = get(j, "attached_ns");
		assert_true(cases[i].attached
				    ? json_object_is_type(v, json_type_int)
				    : json_object_is_type(v, json_type_null));
		json_object_put(j);
		s = sb_render(&b, &text_opts, NULL, NULL);
		assert_non_null(s);
		if (!strstr(s, cases[i].text))
			fail_msg("case %zu: no '%s' in:\n%s", i, cases[i].text,
				 s);
		free(s);
		sb_free(&b);
	}
}

/* Times from a corrupt record: wrong, but rendered, in both formats,
 * with no undefined behaviour (UBSan stops the test otherwise; found by
 * fuzz_snapshot). */
static void test_wall_clock_overflow(void **state)
{
	struct sb b;
	size_t n;
	char *s;
	json_object *j;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, UINT64_MAX, "late");
	b.s.proc.observed_since_ns = UINT64_MAX - 1;
	b.s.mono_to_wall_ns = INT64_MAX;
	j = render_parse(&b, &json_opts);
	assert_int_equal(len(j, "tasks"), 1);
	json_object_put(j);
	s = sb_render(&b, &text_opts, &n, NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, "task \"late\""));
	free(s);
	sb_free(&b);
}

static void test_thread_ids(void **state)
{
	json_object *j, *t;
	struct sb b;

	(void)state;
	sb_init(&b);
	sb_thread_task(&b, 77, 1, "worker")->rec.tid = 0;
	sb_task(&b, T1, 2, "child")->rec.parent_task = T3;
	sb_task(&b, T3, 3, "tagged");
	sb_task(&b, 77, 4, "same id");
	sb_thread_frame(&b, 1, 77, 0, 10, "own");
	sb_frame(&b, 2, T3, 0, 11, "tagged root");
	sb_frame(&b, 3, T3, 2, 12, "tagged leaf");
	sb_frame(&b, 4, 77, 0, 13, "at tid");
	j = render_parse(&b, &json_opts);
	assert_int_equal(len(j, "tasks"), 4);
	t = at(get(j, "tasks"), 0);
	assert_string_equal(str(t, "id"), "tid:77");
	assert_string_equal(str(t, "name"), "worker");
	assert_int_equal(len(t, "frames"), 1);
	assert_string_equal(str(at(get(t, "frames"), 0), "label"), "own");
	t = at(get(j, "tasks"), 1);
	/* named by a task id with the top bit set: a task, not thread 77 */
	assert_string_equal(str(t, "parent"), "0x800000000000004d");
	assert_true(is_null(t, "idle_ns")); /* never polled */
	t = at(get(j, "tasks"), 2);
	assert_string_equal(str(t, "id"), "0x800000000000004d");
	assert_string_equal(str(t, "name"), "tagged");
	assert_int_equal(len(t, "frames"), 1);
	assert_string_equal(str(at(get(t, "frames"), 0), "label"),
			    "tagged root");
	assert_string_equal(
		str(at(get(at(get(t, "frames"), 0), "children"), 0), "label"),
		"tagged leaf");
	t = at(get(j, "tasks"), 3);
	assert_string_equal(str(t, "id"), "0x4d");
	assert_int_equal(len(t, "frames"), 1);
	assert_string_equal(str(at(get(t, "frames"), 0), "label"), "at tid");
	json_object_put(j);
	sb_free(&b);
}

static void test_escaping(void **state)
{
	static const char ctl[] = "a\"b\\c\n\t\x01\x1b[31m\x7f\xc2\x9b "
				  "caf\xc3\xa9 \xf0\x9f\x99\x82";
	json_object *j, *t;
	struct sb b;
	size_t n;
	char *s;

	(void)state;
	sb_init(&b);
	strcpy(b.s.comm, "c\x1b");
	sb_task(&b, T1, 1, "n\xff");
	sb_frame(&b, 1, T1, 0, 1, ctl);
	sb_frame(&b, 2, T1, 0, 2, "bad \xff\xc3( \xed\xa0\x80 end");
	s = sb_render(&b, &json_opts, &n, NULL);
	assert_non_null(s);
	for (const char *p = s; *p; p++)
		assert_true(((unsigned char)*p >= 0x20 && *p != 0x7f) ||
			    *p == '\n');
	assert_non_null(strstr(s, "\\u001b[31m\\u007f\\u009b caf\xc3\xa9"));
	j = parse(s, n, 64);
	free(s);
	assert_string_equal(str(j, "comm"), "c\x1b");
	t = at(get(j, "tasks"), 0);
	assert_string_equal(str(t, "name"), "n\xef\xbf\xbd");
	assert_string_equal(str(at(get(t, "frames"), 0), "label"), ctl);
	assert_string_equal(str(at(get(t, "frames"), 1), "label"),
			    "bad \xef\xbf\xbd\xef\xbf\xbd( "
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
	json_object_put(j);
	sb_free(&b);
}

static void test_verbose(void **state)
{
	struct ad_render_opts o = json_opts;
	json_object *j, *outer, *kids;
	struct ad_snap_task *t;
	struct sb b;

	(void)state;
	sb_init(&b);
	t = sb_task(&b, T1, 1, "t");
	t->rec.tid = 5;
	t->rec.top = 6;
	t->rec.top_gen = 60;
	sb_frame(&b, 1, T1, 0, 10, "outer");
	sb_frame(&b, 2, T1, 1, 20, "poll loop")->rec.flags =
		ASYNCDUMP_F_VERBOSE;
	sb_frame(&b, 3, T1, 2, 30, "a");
	sb_frame(&b, 4, T1, 2, 40, "b");
	sb_frame(&b, 5, T1, 1, 50, "c");
	sb_frame(&b, 6, T1, 5, 60, "tick")->rec.flags = ASYNCDUMP_F_VERBOSE;
	j = render_parse(&b, &o);
	assert_int_equal(num(get(j, "stats"), "frames_hidden"), 2);
	outer = at(get(at(get(j, "tasks"), 0), "frames"), 0);
	kids = get(outer, "children");
	assert_int_equal(json_object_array_length(kids), 3);
	assert_string_equal(str(at(kids, 0), "label"), "a");
	assert_string_equal(str(at(kids, 1), "label"), "b");
	assert_string_equal(str(at(kids, 2), "label"), "c");
	assert_true(boolean(at(kids, 2), "current")); /* tick is hidden */
	assert_int_equal(len(at(kids, 2), "children"), 0);
	json_object_put(j);

	o.verbose = true;
	j = render_parse(&b, &o);
	assert_int_equal(num(get(j, "stats"), "frames_hidden"), 0);
	outer = at(get(at(get(j, "tasks"), 0), "frames"), 0);
	kids = get(outer, "children");
	assert_int_equal(json_object_array_length(kids), 2);
	assert_true(boolean(at(kids, 0), "verbose"));
	assert_int_equal(len(at(kids, 0), "children"), 2);
	assert_false(boolean(at(kids, 1), "current"));
	assert_true(boolean(at(get(at(kids, 1), "children"), 0), "current"));
	json_object_put(j);
	sb_free(&b);
}

static void test_detached(void **state)
{
	json_object *j, *t, *d;
	struct sb b;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 1, "t");
	sb_frame(&b, 1, T1, 0, 10, "work");
	sb_frame_raw(&b, 2, T1, 1, 99, 5, 20, "orphan");
	sb_frame(&b, 3, T1, 0, 30, "fut")->rec.flags = AD_FF_DETACHED;
	sb_frame_raw(&b, 4, T1, 1, 4, 40, 40, "self");
	j = render_parse(&b, &json_opts);
	t = at(get(j, "tasks"), 0);
	assert_int_equal(len(t, "frames"), 1);
	assert_int_equal(len(t, "detached"), 3);
	d = get(t, "detached");
	assert_string_equal(str(at(d, 0), "reason"), "parent_gone");
	assert_string_equal(str(at(d, 0), "label"), "orphan");
	assert_string_equal(str(at(d, 1), "reason"), "moved");
	assert_string_equal(str(at(d, 2), "reason"), "cycle");
	assert_int_equal(num(get(j, "stats"), "orphans"), 1);
	assert_int_equal(num(get(j, "stats"), "cycles"), 1);
	json_object_put(j);
	sb_free(&b);
}

/* Forked without exec after the attach: partial, in both formats, and
 * its forking thread's top uncertain; a thread it started is not. */
static void test_forked(void **state)
{
	json_object *j, *tasks;
	struct sb b;
	char *s;

	(void)state;
	sb_init(&b); /* started after the attach */
	b.s.proc.flags = AD_PF_FORKED;
	sb_thread_task(&b, 1234, SB_NOW - 5 * SB_S, "worker")
		->thread_started_ns = SB_NOW - 6 * SB_S;
	sb_thread_frame(&b, 1, 1234, 0, SB_NOW - 4 * SB_S, "in the fork");
	sb_thread_task(&b, 1300, SB_NOW - 3 * SB_S, "new")->thread_started_ns =
		SB_NOW - 4 * SB_S;
	sb_thread_frame(&b, 2, 1300, 0, SB_NOW - 2 * SB_S, "new thread");
	j = render_parse(&b, &json_opts);
	assert_string_equal(str(j, "coverage"), "partial");
	assert_true(boolean(j, "forked"));
	tasks = get(j, "tasks");
	assert_string_equal(
		str(at(get(at(tasks, 0), "frames"), 0), "uncertain"),
		"before_observation");
	assert_true(json_object_is_type(
		get(at(get(at(tasks, 1), "frames"), 0), "uncertain"),
		json_type_null));
	json_object_put(j);
	s = sb_render(&b, &text_opts, NULL, NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, "): observed for 12.004s since "
				  "2026-11-21T23:40:01Z (forked without exec: "
				  "frames its parent had open at the fork are "
				  "not shown), 2 tasks"));
	free(s);
	b.s.proc.flags = 0;
	j = render_parse(&b, &json_opts);
	assert_string_equal(str(j, "coverage"), "whole");
	assert_false(boolean(j, "forked"));
	json_object_put(j);
	sb_free(&b);
}

/* Observed late: the names of what cannot be known. A parent not live
 * when its child entered is "parent_unseen" whatever the coverage. */
static void test_observed_late(void **state)
{
	json_object *j, *t, *d;
	struct sb b;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, SB_NOW - 5 * SB_S, "t")->rec.flags = AD_TF_IMPLICIT;
	sb_frame(&b, 1, T1, 0, SB_NOW - 4 * SB_S, "top");
	sb_frame_raw(&b, 2, T1, SB_NOW - 5 * SB_S, 99, 0, SB_NOW - 3 * SB_S,
		     "unseen parent");
	j = render_parse(&b, &json_opts);
	t = at(get(j, "tasks"), 0);
	d = get(t, "detached");
	assert_string_equal(str(at(d, 0), "reason"), "parent_unseen");
	assert_true(json_object_is_type(get(at(d, 0), "uncertain"),
					json_type_null));
	assert_string_equal(str(t, "state"), "idle");
	json_object_put(j);

	b.s.attached_ns = SB_NOW - 10 * SB_S;
	b.s.started_ns = SB_NOW - 20 * SB_S;
	j = render_parse(&b, &json_opts);
	t = at(get(j, "tasks"), 0);
	assert_string_equal(str(t, "state"), "unknown");
	assert_string_equal(str(at(get(t, "frames"), 0), "uncertain"),
			    "before_observation");
	d = get(t, "detached");
	assert_string_equal(str(at(d, 0), "reason"), "parent_unseen");
	assert_string_equal(str(at(d, 0), "uncertain"), "before_observation");
	assert_int_equal(num(get(j, "stats"), "uncertain"), 3);
	json_object_put(j);
	sb_free(&b);
}

/* json-c frees nested objects recursively; give it a stack that holds
 * 200,000 levels (object + children array per frame). */
struct deep_job {
	const char *s;
	size_t len;
	size_t depth_seen;
	const char *leaf_label;
	char leaf[32];
};

static void *deep_parse(void *arg)
{
	struct deep_job *job = arg;
	struct json_tokener *tok = json_tokener_new_ex(250000);
	json_object *j, *n;

	j = json_tokener_parse_ex(tok, job->s, (int)job->len);
	if (!j || json_tokener_get_error(tok) != json_tokener_success) {
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	n = NULL;
	json_object_object_get_ex(j, "tasks", &n);
	n = json_object_array_get_idx(n, 0);
	json_object_object_get_ex(n, "frames", &n);
	n = json_object_array_get_idx(n, 0);
	while (n) { /* iteratively down the only child */
		json_object *kids = NULL, *label = NULL;

		job->depth_seen++;
		json_object_object_get_ex(n, "label", &label);
		snprintf(job->leaf, sizeof(job->leaf), "%s",
			 json_object_get_string(label));
		json_object_object_get_ex(n, "children", &kids);
		n = json_object_array_length(kids)
			    ? json_object_array_get_idx(kids, 0)
			    : NULL;
	}
	json_object_put(j);
	return job;
}

static void test_deep_chain(void **state)
{
	enum { DEPTH = 100000 };
	struct deep_job job = {0};
	pthread_attr_t attr;
	pthread_t th;
	struct sb b;
	void *ret;
	char *s;

	(void)state;
	sb_chain(&b, T1, DEPTH, "bottom");
	s = sb_render(&b, &json_opts, &job.len, NULL);
	assert_non_null(s);
	assert_true(job.len < (size_t)DEPTH * 400); /* linear */
	job.s = s;
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstacksize(&attr, 1024ul << 20), 0);
	assert_int_equal(pthread_create(&th, &attr, deep_parse, &job), 0);
	assert_int_equal(pthread_join(th, &ret), 0);
	pthread_attr_destroy(&attr);
	assert_non_null(ret);
	assert_int_equal(job.depth_seen, DEPTH);
	assert_string_equal(job.leaf, "bottom");
	free(s);
	sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_tree),
		cmocka_unit_test(test_lost_and_stats_keys),
		cmocka_unit_test(test_thread_ids),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_verbose),
		cmocka_unit_test(test_detached),
		cmocka_unit_test(test_deep_chain),
		cmocka_unit_test(test_wall_clock_overflow),
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_observed_late),
		cmocka_unit_test(test_forked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
