// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_render_text.c - the text dump: exact output for small trees,
 * markers (stuck, long-running, current, verbose, detached), escaping of
 * hostile strings, durations, and linear output for deep trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/format.h"
#include "core/render.h"
#include "snapshot_builder.h"

#define T1 0x1000
#define T2 0x2000
/* a tagged pointer: the top bit set, thread 4242's tid below */
#define T3 ((1ull << 63) | 4242)

static const struct ad_render_opts text_opts = {AD_FORMAT_TEXT, false,
						AD_DEFAULT_STUCK_AFTER_NS};

static char *render(const struct sb *b, const struct ad_render_opts *o)
{
	char *s = sb_render(b, o, NULL, NULL);

	assert_non_null(s);
	return s;
}

/* The part after the header and first task header: the frames of task 1.
 * Tests that only care about one tree compare this. */
static const char *after_line(const char *s, int lines)
{
	while (lines-- > 0) {
		s = strchr(s, '\n');
		assert_non_null(s);
		s++;
	}
	return s;
}

static void test_duration_format(void **state)
{
	static const struct {
		uint64_t ns;
		const char *text;
	} cases[] = {
		{0, "0.000\u00b5s"},
		{999, "0.999\u00b5s"},
		{12345, "12.345\u00b5s"},
		{999999, "999.999\u00b5s"},
		{1000000, "1.000ms"},
		{106290000, "106.290ms"},
		{999999999, "999.999ms"},
		{1000000000, "1.000s"},
		{1006000000, "1.006s"},
		{3600123456789ull, "3600.123s"},
		{UINT64_MAX, "18446744073.709s"},
	};
	char buf[AD_DURATION_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(ad_fmt_duration(buf, cases[i].ns),
				    cases[i].text);
}

static void test_ids_and_time(void **state)
{
	char buf[AD_ID_MAX > AD_TIMESTAMP_MAX ? AD_ID_MAX : AD_TIMESTAMP_MAX];

	(void)state;
	assert_string_equal(ad_fmt_task_id(buf, 0x5581a0, false), "0x5581a0");
	assert_string_equal(ad_fmt_task_id(buf, 4242, true), "tid:4242");
	/* any id given to the probes is a task id, top bit set or not */
	assert_string_equal(ad_fmt_task_id(buf, (1ull << 63) | 4242, false),
			    "0x8000000000001092");
	assert_string_equal(ad_fmt_task_id(buf, 4242, false), "0x1092");
	assert_string_equal(
		ad_fmt_timestamp(buf, 1795304401LL * 1000000000LL + 999999999),
		"2026-11-21T23:40:01Z");
	assert_string_equal(ad_fmt_timestamp(buf, -5), "1970-01-01T00:00:00Z");
}

/* foo -> bar -> baz in a running task, a stuck frame in an idle task
 * spawned from foo: the whole document, byte for byte. */
static void test_golden_foo_bar_baz(void **state)
{
	struct sb b;
	struct ad_snap_task *t;
	char *s;

	(void)state;
	sb_init(&b);
	/* Started after its probes were attached: seen all its life. */
	b.s.attached_ns = SB_NOW - 20 * SB_S;
	b.s.started_ns = SB_NOW - 15 * SB_S;
	t = sb_task(&b, T1, SB_NOW - 3 * SB_S, "conn");
	t->rec.tid = 4242;
	t->rec.top = 0x30;
	t->rec.top_gen = SB_NOW - 12345;
	t->rec.last_poll_ns = SB_NOW - 5 * SB_MS;
	t = sb_task(&b, T2, SB_NOW - 1 * SB_S, "idle one");
	t->rec.parent_task = T1;
	t->rec.parent_frame = 0x10;
	t->rec.last_poll_ns = SB_NOW - 1002 * SB_MS;
	sb_site(&b, sb_frame(&b, 0x10, T1, 0, SB_NOW - 1006 * SB_MS, "foo"),
		"main.c", 20, "serve");
	sb_site(&b, sb_frame(&b, 0x20, T1, 0x10, SB_NOW - 106290000, "bar"),
		"main.c", 25, "bar");
	sb_site(&b, sb_frame(&b, 0x30, T1, 0x20, SB_NOW - 12345, "baz"),
		"lib/baz.c", 40, "baz");
	sb_site(&b,
		sb_frame(&b, 0x40, T2, 0, SB_NOW - 11006 * SB_MS, "pending"),
		"main.c", 50, "wait");
	s = render(&b, &text_opts);
	assert_string_equal(
		s, "pid 1234 (server): observed for 12.004s since "
		   "2026-11-21T23:40:01Z, all its life, 2 tasks, 4 frames\n"
		   "lost: none\n"
		   "\n"
		   "task \"conn\" 0x1000: running on tid 4242, age 3.000s\n"
		   "\u257c foo at main.c:20 in serve [1.006s]\n"
		   "  \u2514\u257c bar at main.c:25 in bar [106.290ms]\n"
		   "     \u2514\u257c baz at lib/baz.c:40 in baz "
		   "[12.345\u00b5s]  <== current\n"
		   "\n"
		   "task \"idle one\" 0x2000: idle 1.002s, age 1.000s, spawned "
		   "by task \"conn\" 0x1000 at frame \"foo\" 0x10\n"
		   "\u257c pending at main.c:50 in wait [!!! 11.006s]\n");
	free(s);
	sb_free(&b);
}

/* The shape of async-backtrace's taskdump example. */
static void test_golden_branches(void **state)
{
	struct sb b;
	char *s;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 1, "t");
	sb_frame(&b, 1, T1, 0, SB_NOW - 5 * SB_S, "foo");
	sb_frame(&b, 2, T1, 1, SB_NOW - 4 * SB_S, "bar");
	sb_frame(&b, 3, T1, 2, SB_NOW - 3 * SB_S, "buz");
	sb_frame(&b, 4, T1, 3, SB_NOW - 2 * SB_S, "baz");
	sb_frame(&b, 5, T1, 2, SB_NOW - 1 * SB_S, "fiz");
	sb_frame(&b, 6, T1, 0, SB_NOW - 1 * SB_S, "pending");
	s = render(&b, &text_opts);
	assert_string_equal(
		after_line(s, 4),
		"\u257c foo at main.c:1 in foo [5.000s]\n"
		"  \u2514\u257c bar at main.c:1 in bar [4.000s]\n"
		"     \u251c\u257c buz at main.c:1 in buz [3.000s]\n"
		"     \u2502  \u2514\u257c baz at main.c:1 in baz [2.000s]\n"
		"     \u2514\u257c fiz at main.c:1 in fiz [1.000s]\n"
		"\u257c pending at main.c:1 in pending [1.000s]\n");
	free(s);
	sb_free(&b);
}

static void test_stuck_and_long_running(void **state)
{
	struct sb b;
	struct ad_render_opts o = text_opts;
	char *s;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 1, "t");
	sb_frame(&b, 1, T1, 0, SB_NOW - 11006 * SB_MS, "stuck");
	sb_frame(&b, 2, T1, 0, SB_NOW - 12 * SB_S, "daemon loop")->rec.flags =
		ASYNCDUMP_F_LONG_RUNNING;
	sb_frame(&b, 3, T1, 0, SB_NOW - 10 * SB_S, "exactly at threshold");
	s = render(&b, &o);
	assert_non_null(
		strstr(s, "stuck at main.c:1 in stuck [!!! 11.006s]\n"));
	assert_non_null(strstr(
		s, "daemon loop at main.c:1 in daemon loop [12.000s]\n"));
	assert_non_null(strstr(s, "in exactly at threshold [10.000s]\n"));
	free(s);
	o.stuck_after_ns = 0; /* disables the marker */
	s = render(&b, &o);
	assert_null(strstr(s, "!!!"));
	free(s);
	o.stuck_after_ns = SB_S;
	s = render(&b, &o);
	assert_non_null(strstr(s, "[!!! 10.000s]"));
	free(s);
	sb_free(&b);
}

/* Verbose frames are hidden by default; their children move up to the
 * nearest shown ancestor, in place; a hidden current frame passes its
 * marker up. */
static void test_verbose(void **state)
{
	struct sb b;
	struct ad_render_opts o = text_opts;
	struct ad_snap_task *t;
	char *s;

	(void)state;
	sb_init(&b);
	t = sb_task(&b, T1, 1, "t");
	t->rec.tid = 9;
	sb_frame(&b, 1, T1, 0, SB_NOW - 5 * SB_S, "outer");
	sb_frame(&b, 2, T1, 1, SB_NOW - 4 * SB_S, "poll loop")->rec.flags =
		ASYNCDUMP_F_VERBOSE;
	sb_frame(&b, 3, T1, 2, SB_NOW - 3 * SB_S, "a");
	sb_frame(&b, 4, T1, 2, SB_NOW - 2 * SB_S, "b");
	sb_frame(&b, 5, T1, 1, SB_NOW - 1 * SB_S, "c");
	sb_frame(&b, 6, T1, 5, SB_NOW - SB_MS, "tick")->rec.flags =
		ASYNCDUMP_F_VERBOSE;
	s = render(&b, &o);
	assert_non_null(strstr(s, ", 6 frames (2 verbose hidden)\n"));
	assert_string_equal(
		after_line(s, 4),
		"\u257c outer at main.c:1 in outer [5.000s]\n"
		"  \u251c\u257c a at main.c:1 in a [3.000s]\n"
		"  \u251c\u257c b at main.c:1 in b [2.000s]\n"
		"  \u2514\u257c c at main.c:1 in c [1.000s]  <== current\n");
	free(s);
	o.verbose = true;
	s = render(&b, &o);
	assert_null(strstr(s, "hidden"));
	assert_string_equal(
		after_line(s, 4),
		"\u257c outer at main.c:1 in outer [5.000s]\n"
		"  \u251c\u257c poll loop at main.c:1 in poll loop [4.000s]\n"
		"  \u2502  \u251c\u257c a at main.c:1 in a [3.000s]\n"
		"  \u2502  \u2514\u257c b at main.c:1 in b [2.000s]\n"
		"  \u2514\u257c c at main.c:1 in c [1.000s]\n"
		"     \u2514\u257c tick at main.c:1 in tick [1.000ms]  <== "
		"current\n");
	free(s);
	sb_free(&b);
}

/* A verbose root: its children become roots. */
static void test_verbose_root(void **state)
{
	struct sb b;
	char *s;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 1, "t");
	sb_frame(&b, 1, T1, 0, SB_NOW - 5 * SB_S, "runtime")->rec.flags =
		ASYNCDUMP_F_VERBOSE;
	sb_frame(&b, 2, T1, 1, SB_NOW - 4 * SB_S, "x");
	sb_frame(&b, 3, T1, 2, SB_NOW - 3 * SB_S, "y");
	s = render(&b, &text_opts);
	assert_string_equal(after_line(s, 4),
			    "\u257c x at main.c:1 in x [4.000s]\n"
			    "  \u2514\u257c y at main.c:1 in y [3.000s]\n");
	free(s);
	/* Uncertain (a task first seen after a late start), it is shown:
	 * its children in its place would not carry the mark. */
	b.s.attached_ns = SB_NOW - 10 * SB_S;
	b.s.started_ns = SB_NOW - 20 * SB_S;
	b.s.tasks[0].rec.flags = AD_TF_IMPLICIT;
	b.s.tasks[0].rec.last_poll_ns = SB_NOW - SB_S;
	s = render(&b, &text_opts);
	assert_non_null(strstr(s, "\u257c runtime at main.c:1 in runtime "
				  "[5.000s]  (uncertain: "));
	assert_non_null(strstr(s, "  \u2514\u257c x at main.c:1 in x "
				  "[4.000s]  (uncertain, as above)\n"));
	free(s);
	sb_free(&b);
}

static void test_detached(void **state)
{
	struct sb b;
	char *s;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 1, "t");
	sb_frame(&b, 1, T1, 0, SB_NOW - 5 * SB_S, "work");
	sb_frame_raw(&b, 2, T1, 1, 77, 1, SB_NOW - 4 * SB_S, "orphan a");
	sb_frame_raw(&b, 3, T1, 1, 77, 1, SB_NOW - 3 * SB_S, "orphan b");
	sb_frame(&b, 4, T1, 0, SB_NOW - 2 * SB_S, "fut")->rec.flags =
		AD_FF_DETACHED | AD_FF_MOVED;
	sb_frame(&b, 5, T1, 4, SB_NOW - 2 * SB_S, "inner");
	sb_frame_raw(&b, 6, T1, 1, 7, SB_NOW - SB_S, SB_NOW - SB_S, "c1");
	sb_frame_raw(&b, 7, T1, 1, 6, SB_NOW - SB_S, SB_NOW - SB_S, "c2");
	s = render(&b, &text_opts);
	assert_non_null(
		strstr(s, "\nlost: none\nfound: orphans=2, cycles=1\n"));
	assert_string_equal(
		after_line(s, 5),
		"\u257c work at main.c:1 in work [5.000s]\n"
		"  [detached: parent exited]\n"
		"\u257c orphan a at main.c:1 in orphan a [4.000s]\n"
		"\u257c orphan b at main.c:1 in orphan b [3.000s]\n"
		"  [detached: moved]\n"
		"\u257c fut at main.c:1 in fut [2.000s]\n"
		"  \u2514\u257c inner at main.c:1 in inner [2.000s]\n"
		"  [detached: cycle broken]\n"
		"\u257c c1 at main.c:1 in c1 [1.000s]\n"
		"  \u2514\u257c c2 at main.c:1 in c2 [1.000s]\n");
	free(s);
	sb_free(&b);
}

static void test_lost_counters(void **state)
{
	struct sb b;
	char *s;

	(void)state;
	sb_init(&b);
	b.s.proc.lost[AD_LOST_FRAMES_FULL] = 3;
	b.s.proc.lost[AD_LOST_THREADS_FULL] = 1;
	b.s.dump_lost[AD_DUMP_STALE_RECORDS] = 2;
	b.s.procs_full = 5;
	sb_task(&b, T1, 1, "t");
	sb_task(&b, T1, 2, "dup"); /* dropped: frames naming it are dead */
	sb_frame_raw(&b, 1, T1, 1, 0, 0, 10, "a");
	sb_frame_raw(&b, 1, T1, 1, 0, 0, 10, "a again");
	sb_frame_raw(&b, 2, T2, 1, 0, 0, 10, "dead")->rec.pgen = SB_PGEN;
	sb_frame_raw(&b, 3, T1, 1, 0, 0, 10, "old")->rec.pgen = 1;
	s = render(&b, &text_opts);
	assert_non_null(strstr(s, ", 1 task, 1 frame\n"));
	assert_non_null(strstr(
		s,
		"\nlost: frames_full=3, threads_full=1, stale_records=2, "
		"procs_full=5\nfound: duplicate_frames=1, duplicate_tasks=1, "
		"frames_of_dead_tasks=1, stale=1\n"));
	free(s);
	sb_free(&b);
}

/* Nothing the process writes reaches the terminal raw. */
static void test_escaping(void **state)
{
	struct sb b;
	struct ad_snap_frame *f;
	struct ad_snap_task *t;
	char *s;

	(void)state;
	sb_init(&b);
	strcpy(b.s.comm, "ev\x1b[2Jil");
	t = sb_task(&b, T1, 1, "na\"me\n");
	(void)t;
	f = sb_frame(
		&b, 1, T1, 0, SB_NOW - SB_S,
		"a\nb\tc\rd\x1b[31me\x7f\\f\xff\xc3g\xc2\x9bh\xe2\x80\xaei");
	sb_site(&b, f, "evil\x07.c", 3, "fn\x01");
	f = sb_frame(&b, 2, T1, 0, SB_NOW - SB_S,
		     "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x99\x82 \"q\"");
	f = sb_frame(&b, 3, T1, 0, SB_NOW - SB_S,
		     "\xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80");
	s = render(&b, &text_opts);
	for (const char *p = s; *p; p++)
		assert_true(((unsigned char)*p >= 0x20 && *p != 0x7f) ||
			    *p == '\n');
	assert_non_null(strstr(s, "pid 1234 (ev\\x1b[2Jil)"));
	assert_non_null(strstr(s, "task \"na\\\"me\\n\" 0x1000"));
	assert_non_null(strstr(
		s,
		"\u257c "
		"a\\nb\\tc\\rd\\x1b[31me\\x7f\\\\f\\xff\\xc3g\\u009bh\\u202ei "
		"at evil\\x07.c:3 in fn\\x01 [1.000s]\n"));
	/* valid UTF-8 passes through; quotes are not escaped in labels */
	assert_non_null(
		strstr(s, "\u257c caf\u00e9 \u2713 \xf0\x9f\x99\x82 \"q\" at"));
	/* surrogate, overlong, beyond U+10FFFF: byte by byte */
	assert_non_null(strstr(
		s,
		"\u257c \\xed\\xa0\\x80 \\xc0\\xaf \\xf4\\x90\\x80\\x80 at"));
	free(s);
	sb_free(&b);
}

static void test_truncated_unreadable(void **state)
{
	struct sb b;
	struct ad_snap_frame *f;
	char *s;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 1, "t")->name.truncated = true;
	f = sb_frame(&b, 1, T1, 0, SB_NOW - SB_S, "request from 10.0.0.1:4");
	f->label.truncated = true;
	f = sb_frame(&b, 2, T1, 0, SB_NOW - SB_S, "<unreadable 0x7f1200>");
	f->label.unreadable = true;
	s = render(&b, &text_opts);
	assert_non_null(strstr(s, "task \"t\u2026\" 0x1000"));
	assert_non_null(
		strstr(s, "\u257c request from 10.0.0.1:4\u2026 at main.c:1"));
	assert_non_null(strstr(s, "\u257c <unreadable 0x7f1200> at main.c:1"));
	free(s);
	sb_free(&b);
}

static void test_task_headers(void **state)
{
	struct sb b;
	struct ad_snap_task *t;
	char *s;

	(void)state;
	sb_init(&b);
	sb_thread_task(&b, 4242, SB_NOW - 7 * SB_S, "worker");
	t = sb_task(&b, T1, SB_NOW - 6 * SB_S, "never");
	t->rec.parent_task = T3;
	sb_task(&b, T3, SB_NOW - 8 * SB_S, "spawner")->rec.last_poll_ns =
		SB_NOW - 2 * SB_S;
	t = sb_task(&b, T2, SB_NOW - 5 * SB_S, "lost parent");
	t->rec.parent_task = 0x5555;
	t->rec.parent_frame = 0x6666;
	t->rec.last_poll_ns = SB_NOW - SB_MS;
	s = render(&b, &text_opts);
	assert_non_null(strstr(
		s,
		"\nthread 4242 (worker): running on tid 4242, age 7.000s\n"));
	assert_non_null(strstr(s, "\ntask \"never\" 0x1000: never polled, age "
				  "6.000s, spawned by task \"spawner\" "
				  "0x8000000000001092\n"));
	assert_non_null(strstr(
		s, "\ntask \"lost parent\" 0x2000: idle 1.000ms, age 5.000s, "
		   "spawned by exited task 0x5555 at frame (gone) 0x6666\n"));
	free(s);
	/* Observed late, a spawner not found may be live and unseen. */
	b.s.attached_ns = SB_NOW - 10 * SB_S;
	b.s.started_ns = SB_NOW - 20 * SB_S;
	s = render(&b, &text_opts);
	assert_non_null(strstr(s, "spawned by task not seen 0x5555 at frame "
				  "(not seen) 0x6666\n"));
	assert_null(strstr(s, "exited"));
	free(s);
	sb_free(&b);
}

/* A task whose id has the top bit set and the tid of a thread in its low
 * bits, next to that thread's own task and a task whose id is the tid:
 * three tasks, each with its own frames, only the thread's shown as a
 * thread. The whole document, byte for byte. The process was observed
 * late: the tops of its thread's own task and of the task first seen
 * after observation began are uncertain, and that task, never seen
 * polled, is not called idle; the task spawned under observation is
 * certain. */
#define UNSEEN                                                                 \
	"  (uncertain: may be under a frame, or in a task, begun before "      \
	"observation)"
static void test_thread_namespace(void **state)
{
	struct sb b;
	struct ad_snap_task *t;
	char *s;

	(void)state;
	sb_init(&b);
	/* Started 90 s ago, before its probes were attached 12 s ago. */
	b.s.attached_ns = SB_NOW - 12 * SB_S;
	b.s.started_ns = SB_NOW - 90 * SB_S;
	t = sb_thread_task(&b, 4242, SB_NOW - 9 * SB_S, "worker");
	t->rec.top = 2;
	t->rec.top_gen = SB_NOW - 2 * SB_S;
	t = sb_task(&b, T3, SB_NOW - 8 * SB_S, "tagged");
	t->rec.last_poll_ns = SB_NOW - SB_S;
	t = sb_task(&b, 4242, SB_NOW - 7 * SB_S, "task");
	t->rec.flags = AD_TF_IMPLICIT;
	sb_thread_frame(&b, 1, 4242, 0, SB_NOW - 3 * SB_S, "own outer");
	sb_thread_frame(&b, 2, 4242, 1, SB_NOW - 2 * SB_S, "own inner");
	sb_frame(&b, 3, T3, 0, SB_NOW - 3 * SB_S, "tagged root");
	sb_frame(&b, 4, T3, 3, SB_NOW - 2 * SB_S, "tagged leaf");
	sb_frame(&b, 5, 4242, 0, SB_NOW - 4 * SB_S, "at tid");
	s = render(&b, &text_opts);
	assert_string_equal(
		s,
		"pid 1234 (server): observed for 12.000s of the process's "
		"90.000s (frames entered before 2026-11-21T23:40:01Z are not "
		"shown), 3 tasks, 5 frames\n"
		"lost: none\n"
		"found: uncertain=4\n"
		"\n"
		"thread 4242 (worker): running on tid 4242, age 9.000s\n"
		"\u257c own outer at main.c:1 in own outer [3.000s]" UNSEEN "\n"
		"  \u2514\u257c own inner at main.c:1 in own inner "
		"[2.000s]  (uncertain, as above)  <== current\n"
		"\n"
		"task \"tagged\" 0x8000000000001092: idle 1.000s, age "
		"8.000s\n"
		"\u257c tagged root at main.c:1 in tagged root [3.000s]\n"
		"  \u2514\u257c tagged leaf at main.c:1 in tagged leaf "
		"[2.000s]\n"
		"\n"
		"task \"task\" 0x1092: not seen polled since observation "
		"began (may be running), age 7.000s\n"
		"\u257c at tid at main.c:1 in at tid [4.000s]" UNSEEN "\n");
	free(s);
	sb_free(&b);
}

static void test_consolidate(void **state)
{
	struct sb b;
	char *s;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 1, "t");
	sb_frame(&b, 1, T1, 0, SB_NOW - 5 * SB_S, "join");
	sb_frame(&b, 2, T1, 1, SB_NOW - 4 * SB_S, "yield");
	sb_frame(&b, 3, T1, 1, SB_NOW - 3 * SB_S, "yield");
	sb_frame(&b, 4, T1, 1, SB_NOW - 2 * SB_S, "yield");
	sb_frame(&b, 5, T1, 1, SB_NOW - 2 * SB_S, "other");
	sb_frame(&b, 6, T1, 1, SB_NOW - 1 * SB_S, "yield");
	sb_frame(&b, 7, T1, 6, SB_NOW - 1 * SB_S, "inner");
	sb_frame(&b, 8, T1, 1, SB_NOW - 1 * SB_S, "yield");
	s = render(&b, &text_opts);
	assert_string_equal(
		after_line(s, 4),
		"\u257c join at main.c:1 in join [5.000s]\n"
		"  \u251c\u257c 3x yield at main.c:1 in yield [4.000s]\n"
		"  \u251c\u257c other at main.c:1 in other [2.000s]\n"
		"  \u251c\u257c yield at main.c:1 in yield [1.000s]\n"
		"  \u2502  \u2514\u257c inner at main.c:1 in inner [1.000s]\n"
		"  \u2514\u257c yield at main.c:1 in yield [1.000s]\n");
	free(s);
	sb_free(&b);
}

/* A chain 100,000 deep prints one bounded-width line per frame. */
static void test_deep_chain(void **state)
{
	enum { DEPTH = 100000 };
	struct sb b;
	size_t len, lines = 0, longest = 0, cur = 0;
	char *s, *p;

	(void)state;
	sb_chain(&b, T1, DEPTH, "level");
	s = sb_render(&b, &text_opts, &len, NULL);
	assert_non_null(s);
	for (p = s; *p; p++, cur++)
		if (*p == '\n') {
			lines++;
			longest = cur > longest ? cur : longest;
			cur = 0;
		}
	assert_int_equal(lines, 4 + DEPTH);
	assert_true(longest < 400);
	assert_true(len < (size_t)DEPTH * 100);
	assert_non_null(
		strstr(s, "\n  \u22ee[depth 99999] \u2514\u257c level at"));
	assert_non_null(
		strstr(s, "\n  \u22ee[depth 65] \u2514\u257c level at"));
	assert_null(strstr(s, "[depth 64]"));
	free(s);
	sb_free(&b);
}

/* Writing to a closed pipe or full disk is reported, not ignored. */
static void test_write_error(void **state)
{
	struct sb b;
	struct ad_forest f;
	FILE *full = fopen("/dev/full", "w");

	(void)state;
	assert_non_null(full);
	sb_init(&b);
	sb_task(&b, T1, 1, "t");
	sb_frame(&b, 1, T1, 0, 1, "x");
	assert_int_equal(ad_rebuild(&b.s, &f), 0);
	assert_true(ad_render(full, &f, &text_opts) < 0);
	ad_forest_free(&f);
	fclose(full);
	sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_ids_and_time),
		cmocka_unit_test(test_golden_foo_bar_baz),
		cmocka_unit_test(test_golden_branches),
		cmocka_unit_test(test_stuck_and_long_running),
		cmocka_unit_test(test_verbose),
		cmocka_unit_test(test_verbose_root),
		cmocka_unit_test(test_detached),
		cmocka_unit_test(test_lost_counters),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_truncated_unreadable),
		cmocka_unit_test(test_task_headers),
		cmocka_unit_test(test_thread_namespace),
		cmocka_unit_test(test_consolidate),
		cmocka_unit_test(test_deep_chain),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
