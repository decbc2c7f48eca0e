// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_rebuild.c - ad_rebuild on synthetic and hostile snapshots: the
 * rules of core/rebuild.h (generations, MOVE, cycles, duplicates, stale and dead
 * records, current frame) and the depth/size limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/rebuild.h"
#include "core/render.h"
#include "snapshot_builder.h"

#define T1 0x1000
#define T2 0x2000
#define T3 0x3000

static void rebuild_ok(const struct sb *b, struct ad_forest *f)
{
	assert_int_equal(ad_rebuild(&b->s, f), 0);
	assert_ptr_equal(f->snap, &b->s);
}

static struct ad_node *node(const struct ad_forest *f, uint64_t id)
{
	struct ad_node *n = sb_node(f, id);

	assert_non_null(n);
	return n;
}

static void test_empty(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	rebuild_ok(&b, &f);
	assert_int_equal(f.ntasks, 0);
	assert_int_equal(f.nnodes, 0);
	assert_int_equal(f.stats.frames_in, 0);
	ad_forest_free(&f);
	sb_free(&b);
}

/* foo -> bar -> baz, plus a sibling of bar entered earlier. */
static void test_simple_tree(void **state)
{
	struct sb b;
	struct ad_forest f;
	struct ad_node *foo;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "conn");
	sb_frame(&b, 1, T1, 0, 100, "foo");
	sb_frame(&b, 3, T1, 1, 300, "bar");
	sb_frame(&b, 4, T1, 3, 400, "baz");
	sb_frame(&b, 2, T1, 1, 200, "early");
	rebuild_ok(&b, &f);
	assert_int_equal(f.ntasks, 1);
	assert_int_equal(f.tasks[0].nroots, 1);
	assert_int_equal(f.tasks[0].ndetached, 0);
	assert_int_equal(f.tasks[0].nframes, 4);
	foo = f.tasks[0].roots[0];
	assert_int_equal(foo->frame->id, 1);
	assert_int_equal(foo->depth, 0);
	assert_int_equal(foo->nchildren, 2);
	/* siblings in enter order, not record order */
	assert_int_equal(foo->children[0]->frame->id, 2);
	assert_int_equal(foo->children[1]->frame->id, 3);
	assert_int_equal(foo->children[1]->children[0]->frame->id, 4);
	assert_int_equal(foo->children[1]->children[0]->depth, 2);
	assert_int_equal(f.stats.frames_in, 4);
	assert_int_equal(f.stats.frames_shown, 4);
	assert_int_equal(f.stats.max_depth, 2);
	assert_int_equal(f.stats.orphans + f.stats.cycles + f.stats.stale +
				 f.stats.duplicate_frames +
				 f.stats.frames_of_dead_tasks,
			 0);
	/* layout guarantee: a parent precedes its children */
	for (size_t i = 0; i < f.nnodes; i++)
		for (size_t k = 0; k < f.nodes[i].nchildren; k++)
			assert_true(f.nodes[i].children[k] > &f.nodes[i]);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_task_order(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	sb_task(&b, 0x30, 500, "c");
	sb_task(&b, 0x20, 100, "b");
	sb_task(&b, 0x10, 100, "a"); /* same spawn time: id decides */
	sb_frame(&b, 1, 0x30, 0, 900, "x");
	sb_frame(&b, 2, 0x30, 0, 600, "y");
	sb_frame(&b, 3, 0x30, 0, 600, "z0"); /* same enter time: id decides */
	rebuild_ok(&b, &f);
	assert_int_equal(f.ntasks, 3);
	assert_int_equal(f.tasks[0].task->id, 0x10);
	assert_int_equal(f.tasks[1].task->id, 0x20);
	assert_int_equal(f.tasks[2].task->id, 0x30);
	assert_int_equal(f.tasks[2].nroots, 3);
	assert_int_equal(f.tasks[2].roots[0]->frame->id, 2);
	assert_int_equal(f.tasks[2].roots[1]->frame->id, 3);
	assert_int_equal(f.tasks[2].roots[2]->frame->id, 1);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_stale_pgen(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "live");
	sb_task(&b, T2, 10, "old")->rec.pgen = SB_PGEN - 1;
	sb_frame(&b, 1, T1, 0, 100, "live frame");
	sb_frame(&b, 2, T1, 0, 100, "old frame")->rec.pgen = SB_PGEN + 1;
	sb_frame(&b, 3, T1, 2, 200, "child of old"); /* parent is stale */
	rebuild_ok(&b, &f);
	assert_int_equal(f.ntasks, 1);
	assert_int_equal(f.tasks[0].task->id, T1);
	assert_null(sb_node(&f, 2));
	assert_int_equal(f.stats.stale, 2);
	assert_int_equal(node(&f, 3)->detached, AD_DETACH_PARENT_GONE);
	assert_int_equal(f.stats.frames_shown, 2);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_duplicates(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "first");
	sb_task(&b, T1, 20, "second");
	sb_frame_raw(&b, 1, T1, 10, 0, 0, 100, "first");
	sb_frame_raw(&b, 1, T1, 10, 0, 0, 50, "second");
	sb_frame_raw(&b, 1, T1, 10, 0, 0, 70, "third");
	rebuild_ok(&b, &f);
	assert_int_equal(f.ntasks, 1);
	assert_string_equal(f.tasks[0].task->name.text, "first");
	assert_int_equal(f.nnodes, 1);
	assert_string_equal(f.nodes[0].frame->label.text, "first");
	assert_int_equal(f.stats.duplicate_frames, 2);
	assert_int_equal(f.stats.duplicate_tasks, 1);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_orphan(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "t");
	sb_frame(&b, 1, T1, 0, 100, "root");
	sb_frame_raw(&b, 2, T1, 10, 99, 150, 200, "orphan");
	sb_frame(&b, 3, T1, 2, 300, "orphan child");
	rebuild_ok(&b, &f);
	assert_int_equal(f.tasks[0].nroots, 1);
	assert_int_equal(f.tasks[0].ndetached, 1);
	assert_int_equal(f.tasks[0].detached[0]->frame->id, 2);
	assert_int_equal(f.tasks[0].detached[0]->detached,
			 AD_DETACH_PARENT_GONE);
	assert_int_equal(f.tasks[0].detached[0]->nchildren, 1);
	assert_int_equal(f.tasks[0].nframes, 3);
	assert_int_equal(f.stats.orphans, 1);
	ad_forest_free(&f);
	sb_free(&b);
}

/* Frame 5 (entered at 100) exited; a new frame reuses id 5 (entered at
 * 500). A child of the dead one must not show up under the new one. */
static void test_parent_id_reuse(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "t");
	sb_frame(&b, 5, T1, 0, 500, "reuser");
	sb_frame_raw(&b, 6, T1, 10, 5, 100, 200, "child of dead 5");
	sb_frame_raw(&b, 7, T1, 10, 5, 500, 600, "child of live 5");
	rebuild_ok(&b, &f);
	assert_int_equal(node(&f, 5)->nchildren, 1);
	assert_int_equal(node(&f, 5)->children[0]->frame->id, 7);
	assert_int_equal(node(&f, 6)->detached, AD_DETACH_PARENT_GONE);
	assert_int_equal(node(&f, 6)->depth, 0);
	assert_int_equal(f.stats.orphans, 1);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_moved_detached(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "t");
	sb_frame(&b, 1, T1, 0, 100, "work");
	sb_frame(&b, 2, T1, 0, 200, "fut")->rec.flags =
		AD_FF_MOVED | AD_FF_DETACHED;
	sb_frame(&b, 3, T1, 2, 300, "inner");
	rebuild_ok(&b, &f);
	assert_int_equal(f.tasks[0].nroots, 1);
	assert_int_equal(f.tasks[0].ndetached, 1);
	assert_int_equal(f.tasks[0].detached[0]->detached, AD_DETACH_MOVED);
	assert_int_equal(f.tasks[0].detached[0]->children[0]->frame->id, 3);
	assert_int_equal(f.stats.orphans, 0);
	ad_forest_free(&f);
	sb_free(&b);
}

/* Frame 2 of task 1 was MOVEd under frame 10 of task 2; its child 3 still
 * says task 1. Both belong to task 2 now. */
static void test_move_across_tasks(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "a");
	sb_task(&b, T2, 20, "b");
	sb_frame(&b, 1, T1, 0, 100, "a root");
	sb_frame(&b, 10, T2, 0, 110, "b root");
	sb_frame(&b, 2, T1, 10, 120, "moved")->rec.flags = AD_FF_MOVED;
	sb_frame(&b, 3, T1, 2, 130, "moved child");
	rebuild_ok(&b, &f);
	assert_int_equal(f.tasks[0].nframes, 1);
	assert_int_equal(f.tasks[1].nframes, 3);
	assert_int_equal(node(&f, 10)->children[0]->frame->id, 2);
	assert_int_equal(node(&f, 3)->depth, 2);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_dead_tasks(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "live");
	sb_frame_raw(&b, 1, T2, 10, 0, 0, 100, "task never seen");
	sb_frame(&b, 2, T2, 1, 200, "its child");
	sb_frame_raw(&b, 3, T1, 5, 0, 0, 100, "older task generation");
	sb_frame(&b, 4, T1, 0, 100, "fine");
	/* frame of a live task under a root of a dead one: follows the root */
	sb_frame_raw(&b, 5, T1, 10, 1, 100, 300, "moved under dead");
	rebuild_ok(&b, &f);
	assert_int_equal(f.nnodes, 1);
	assert_int_equal(f.stats.frames_of_dead_tasks, 4);
	assert_int_equal(f.stats.frames_shown, 1);
	assert_int_equal(f.tasks[0].roots[0]->frame->id, 4);
	ad_forest_free(&f);
	sb_free(&b);
}

/* 1 -> 2 -> 1 (MOVE(1, 2) while 2 is under 1). */
static void test_cycle_two(void **state)
{
	struct sb b;
	struct ad_forest f;
	struct ad_node *n1;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "t");
	sb_frame_raw(&b, 1, T1, 10, 2, 200, 100, "one");
	sb_frame_raw(&b, 2, T1, 10, 1, 100, 200, "two");
	rebuild_ok(&b, &f);
	assert_int_equal(f.stats.cycles, 1);
	assert_int_equal(f.tasks[0].ndetached, 1);
	n1 = f.tasks[0].detached[0];
	assert_int_equal(n1->frame->id, 1); /* earliest entered */
	assert_int_equal(n1->detached, AD_DETACH_CYCLE);
	assert_int_equal(n1->nchildren, 1);
	assert_int_equal(n1->children[0]->frame->id, 2);
	assert_int_equal(f.stats.frames_shown, 2);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_cycle_self(void **state)
{
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "t");
	sb_frame_raw(&b, 1, T1, 10, 1, 100, 100, "self");
	sb_frame(&b, 2, T1, 1, 200, "under self");
	rebuild_ok(&b, &f);
	assert_int_equal(f.stats.cycles, 1);
	assert_int_equal(node(&f, 1)->detached, AD_DETACH_CYCLE);
	assert_int_equal(node(&f, 1)->nchildren, 1);
	assert_int_equal(node(&f, 2)->depth, 1);
	ad_forest_free(&f);
	sb_free(&b);
}

/* A 1000-long cycle with a 500-long tail hanging off it, records shuffled
 * so walks start in the tail, in the cycle, anywhere; and a second cycle
 * in a dead task. */
static void test_cycle_long_with_tail(void **state)
{
	enum { CYC = 1000, TAIL = 500 };
	struct sb b;
	struct ad_forest f;
	uint64_t i;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "t");
	for (i = 0; i < TAIL;
	     i++) /* tail: 5000+i under 5000+i-1, top under 100 */
		sb_frame_raw(&b, 5000 + i, T1, 10, i ? 5000 + i - 1 : 100,
			     i ? 10000 + i - 1 : 1000 + 100, 10000 + i, "tail");
	for (i = 0; i < CYC; i++) /* 1..CYC, each under the next, CYC under 1 */
		sb_frame_raw(&b, 1 + i, T1, 10, i + 1 == CYC ? 1 : 2 + i,
			     i + 1 == CYC ? 1001 : 1002 + i, 1001 + i, "cyc");
	sb_frame_raw(&b, 9001, T2, 1, 9002, 2, 1, "dead cyc");
	sb_frame_raw(&b, 9002, T2, 1, 9001, 1, 2, "dead cyc");
	rebuild_ok(&b, &f);
	assert_int_equal(f.stats.cycles, 2);
	assert_int_equal(f.stats.frames_shown, CYC + TAIL);
	assert_int_equal(f.stats.frames_of_dead_tasks, 2);
	assert_int_equal(f.tasks[0].ndetached, 1);
	assert_int_equal(f.tasks[0].detached[0]->frame->id, 1);
	assert_int_equal(f.tasks[0].detached[0]->detached, AD_DETACH_CYCLE);
	/* frame 1 is the root; CYC is at depth 1 (it was under 1), ..., 2 deepest */
	assert_int_equal(node(&f, 2)->depth, CYC - 1);
	/* 100 is at depth CYC + 1 - 100; the tail hangs below it */
	assert_int_equal(node(&f, 5000)->depth, CYC + 1 - 100 + 1);
	assert_int_equal(node(&f, 5000 + TAIL - 1)->detached, AD_DETACH_NONE);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_current_from_top(void **state)
{
	struct sb b;
	struct ad_forest f;
	struct ad_snap_task *t;

	(void)state;
	sb_init(&b);
	t = sb_task(&b, T1, 10, "running");
	t->rec.tid = 4242;
	t->rec.top = 2;
	t->rec.top_gen = 200;
	sb_task(&b, T2, 20, "idle");
	sb_frame(&b, 1, T1, 0, 100, "outer");
	sb_frame(&b, 2, T1, 1, 200, "top");
	sb_frame(&b, 3, T1, 1, 300, "newer sibling (ENTER_AT)");
	sb_frame(&b, 10, T2, 0, 100, "idle frame");
	rebuild_ok(&b, &f);
	assert_true(node(&f, 2)->current);
	assert_ptr_equal(f.tasks[0].current, node(&f, 2));
	assert_false(node(&f, 3)->current);
	assert_false(node(&f, 10)->current);
	assert_null(f.tasks[1].current);
	ad_forest_free(&f);
	sb_free(&b);
}

/* Overlapping polls (asyncdump_abi.h): a frame entered while its poll
 * waited for another poll's hand-over gets the hand-over as its parent
 * once it has come, and is uncertain (at the top level) until then; a
 * running task still waiting has no current frame; frames entered while
 * two threads ran a task are uncertain, the others are not. */
static void test_overlapping_polls(void **state)
{
	struct sb b;
	struct ad_forest f;
	struct ad_snap_task *t;
	struct ad_snap_frame *fr;

	(void)state;
	sb_init(&b);
	t = sb_task(&b, T1, 10, "handed over");
	t->rec.handoff_seq = 7;
	t->rec.handoff_top = 2;
	t->rec.handoff_top_gen = 200;
	t = sb_task(&b, T2, 20, "still waiting");
	t->rec.tid = 4242;
	t->rec.wait_seq = 9;
	t->rec.handoff_seq = 8;
	t = sb_task(&b, T3, 30, "two threads at once");
	t->rec.flags |= AD_TF_CONCURRENT;
	t->rec.overlap_ns = 1000;
	t->rec.overlap_end_ns = 2000;
	sb_frame(&b, 1, T1, 0, 100, "root");
	sb_frame(&b, 2, T1, 1, 200, "await");
	fr = sb_frame_raw(&b, 3, T1, 10, 0, 7, 300, "after wake");
	fr->rec.flags |= AD_FF_PARENT_PENDING;
	fr = sb_frame_raw(&b, 4, T2, 20, 0, 9, 400, "waiting");
	fr->rec.flags |= AD_FF_PARENT_PENDING;
	sb_frame(&b, 5, T3, 0, 500, "before");
	sb_frame(&b, 6, T3, 5, 1500, "during");
	sb_frame(&b, 7, T3, 5, 2500, "after");
	rebuild_ok(&b, &f);
	assert_ptr_equal(node(&f, 2)->children[0], node(&f, 3));
	assert_int_equal(node(&f, 3)->unsure, AD_UNSURE_NONE);
	assert_int_equal(node(&f, 4)->unsure, AD_UNSURE_PARENT);
	assert_int_equal(node(&f, 4)->depth, 0);
	assert_true(f.tasks[1].current_unknown);
	assert_null(f.tasks[1].current);
	assert_int_equal(node(&f, 5)->unsure, AD_UNSURE_NONE);
	assert_int_equal(node(&f, 6)->unsure, AD_UNSURE_CONCURRENT);
	assert_int_equal(node(&f, 7)->unsure, AD_UNSURE_NONE);
	/* two frames, and the task that does not know its current frame */
	assert_int_equal(f.stats.uncertain, 3);
	ad_forest_free(&f);
	sb_free(&b);
}

/* top names a frame whose id was reused (wrong generation): fall back to
 * the newest leaf along the newest path. */
static void test_current_fallback(void **state)
{
	struct sb b;
	struct ad_forest f;
	struct ad_snap_task *t;

	(void)state;
	sb_init(&b);
	t = sb_task(&b, T1, 10, "running");
	t->rec.tid = 7;
	t->rec.top = 2;
	t->rec.top_gen = 199;
	sb_frame(&b, 1, T1, 0, 100, "a");
	sb_frame(&b, 2, T1, 1, 200, "b");
	sb_frame(&b, 4, T1, 0, 150, "c");
	sb_frame(&b, 5, T1, 4, 160, "d");
	sb_frame(&b, 6, T1, 4, 170, "e");
	rebuild_ok(&b, &f);
	assert_true(node(&f, 6)->current);
	assert_int_equal((int)node(&f, 2)->current + node(&f, 5)->current, 0);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_spawner_resolved(void **state)
{
	struct sb b;
	struct ad_forest f;
	struct ad_snap_task *t;

	(void)state;
	sb_init(&b);
	sb_task(&b, T1, 10, "main");
	t = sb_task(&b, T2, 20, "child");
	t->rec.parent_task = T1;
	t->rec.parent_frame = 1;
	t = sb_task(&b, 0x3000, 30, "orphan task");
	t->rec.parent_task = 0x9999;
	t->rec.parent_frame = 0x8888;
	sb_frame(&b, 1, T1, 0, 15, "accept");
	rebuild_ok(&b, &f);
	assert_ptr_equal(f.tasks[1].parent_task, &b.s.tasks[0]);
	assert_ptr_equal(f.tasks[1].parent_frame, &b.s.frames[0]);
	assert_null(f.tasks[2].parent_task);
	assert_null(f.tasks[2].parent_frame);
	ad_forest_free(&f);
	sb_free(&b);
}

/* Thread tasks have a namespace of their own (AD_KIND_THREAD): a task id
 * given to the probes is never a thread's task, whatever its bits, even
 * equal to the tid or to the tid with the top bit set (a tagged
 * pointer), and even of the same generation. Each frame is in the task
 * of its own kind; one whose task of that kind is gone is not adopted by
 * the other. */
static void test_thread_task_namespace(void **state)
{
	const uint32_t tid = 0x1234;
	const uint64_t tagged = (1ull << 63) | tid;
	struct sb b;
	struct ad_forest f;
	struct ad_snap_task *t;
	size_t i;

	(void)state;
	sb_init(&b);
	t = sb_thread_task(&b, tid, 10, "worker");
	t->rec.top = 2;
	t->rec.top_gen = 200;
	sb_task(&b, tid, 10, "same id, same generation");
	sb_task(&b, tagged, 20, "tagged")->rec.flags = AD_TF_IMPLICIT;
	sb_task(&b, 0x777, 30, "user task of a gone thread's id");
	sb_thread_task(&b, 0x999, 40, "thread of a gone user task's id");
	sb_thread_frame(&b, 1, tid, 0, 100, "own outer");
	sb_thread_frame(&b, 2, tid, 1, 200, "own inner");
	sb_frame(&b, 10, tid, 0, 150, "user tid root");
	sb_frame(&b, 20, tagged, 0, 110, "tagged root");
	sb_frame(&b, 21, tagged, 20, 210, "tagged leaf");
	/* in the own task of thread 0x777 (gone), generation 30 */
	sb_frame_raw(&b, 30, 0x777, 30, 0, 0, 300, "gone thread")->rec.flags |=
		AD_FF_THREAD_TASK;
	/* in user task 0x999 (gone), of thread 0x999's task's generation */
	sb_frame_raw(&b, 31, 0x999, 40, 0, 0, 310, "gone user task");
	rebuild_ok(&b, &f);
	assert_int_equal(f.ntasks, 5);
	assert_int_equal(f.stats.duplicate_tasks, 0);
	assert_int_equal(f.stats.frames_of_dead_tasks, 2);
	for (i = 0; i < f.ntasks; i++) {
		const struct ad_tree_task *tt = &f.tasks[i];

		if (ad_task_is_thread(&tt->task->rec) &&
		    tt->task->id == 0x999) {
			assert_int_equal(tt->nframes, 0);
		} else if (ad_task_is_thread(&tt->task->rec)) {
			assert_int_equal(tt->task->id, tid);
			assert_int_equal(tt->nframes, 2);
			assert_int_equal(tt->roots[0]->frame->id, 1);
			assert_ptr_equal(tt->current, node(&f, 2));
		} else if (tt->task->id == tid) {
			assert_int_equal(tt->nframes, 1);
			assert_int_equal(tt->roots[0]->frame->id, 10);
			assert_null(tt->current);
		} else if (tt->task->id == tagged) {
			assert_int_equal(tt->nframes, 2);
			assert_int_equal(tt->roots[0]->frame->id, 20);
			assert_int_equal(tt->roots[0]->children[0]->frame->id,
					 21);
		} else {
			assert_int_equal(tt->task->id, 0x777);
			assert_int_equal(tt->nframes, 0);
		}
	}
	assert_null(sb_node(&f, 30));
	assert_null(sb_node(&f, 31));
	assert_true(node(&f, 2)->current);
	ad_forest_free(&f);
	sb_free(&b);
}

/* A process observed late (attached after it started, or when unknown):
 * what entered at the top of a thread or of a task that may have run
 * before observation, and what named a parent never seen, is uncertain,
 * and a task never seen polled is not known to be idle. Observed from its
 * start, the same records are all certain. */
static void late_case(uint64_t started, uint64_t attached, bool late)
{
	const uint64_t now = SB_NOW;
	struct ad_snap_task *t;
	struct sb b;
	struct ad_forest f;
	enum ad_unsure before = late ? AD_UNSURE_BEFORE : AD_UNSURE_NONE;

	sb_init(&b);
	b.s.started_ns = started;
	b.s.attached_ns = attached;
	sb_thread_task(&b, 4242, now - 9 * SB_S, "worker");
	t = sb_task(&b, T1, now - 8 * SB_S, "first seen late");
	t->rec.flags = AD_TF_IMPLICIT;
	sb_task(&b, T2, now - 7 * SB_S, "spawned"); /* never polled */
	t = sb_task(&b, T3, now - 6 * SB_S, "seen polled");
	t->rec.flags = AD_TF_IMPLICIT;
	t->rec.last_poll_ns = now - SB_S;
	sb_thread_frame(&b, 1, 4242, 0, now - 5 * SB_S, "thread root");
	sb_thread_frame(&b, 2, 4242, 1, now - 4 * SB_S, "thread child");
	sb_frame(&b, 3, T1, 0, now - 5 * SB_S, "t1 root");
	sb_frame(&b, 4, T2, 0, now - 5 * SB_S, "t2 root");
	sb_frame(&b, 5, T3, 0, now - 5 * SB_S, "t3 root");
	sb_frame_raw(&b, 6, T2, now - 7 * SB_S, 0x99, 0, now - 4 * SB_S,
		     "parent never seen");
	sb_frame_raw(&b, 7, T2, now - 7 * SB_S, 0x98, 123, now - 4 * SB_S,
		     "parent exited");
	sb_frame(&b, 8, T2, 0, now - 4 * SB_S, "moved away")->rec.flags |=
		AD_FF_DETACHED;
	/* A thread started after the attach, before its record: nothing of
	 * it came before. One whose record is older than its start is
	 * another thread's (a reused tid): not known. */
	sb_thread_task(&b, 4343, now - 3 * SB_S, "new")->thread_started_ns =
		now - 4 * SB_S;
	sb_thread_frame(&b, 9, 4343, 0, now - 2 * SB_S, "new thread root");
	sb_thread_task(&b, 4444, now - 3 * SB_S, "reused")->thread_started_ns =
		now - 2 * SB_S;
	sb_thread_frame(&b, 10, 4444, 0, now - SB_S, "reused tid root");
	/* Moved to the top of the thread's task it was guessed in. */
	sb_thread_frame(&b, 11, 4242, 0, now - SB_S, "moved in thread")
		->rec.flags |= AD_FF_DETACHED;
	rebuild_ok(&b, &f);
	assert_int_equal(node(&f, 1)->unsure, before);
	/* under an uncertain root: its task may be another too */
	assert_int_equal(node(&f, 2)->unsure, before);
	assert_int_equal(node(&f, 3)->unsure, before);
	assert_int_equal(node(&f, 4)->unsure, AD_UNSURE_NONE);
	assert_int_equal(node(&f, 5)->unsure, before);
	assert_int_equal(node(&f, 6)->unsure, before);
	assert_int_equal(node(&f, 6)->detached, AD_DETACH_PARENT_UNSEEN);
	assert_int_equal(node(&f, 7)->unsure, AD_UNSURE_NONE);
	assert_int_equal(node(&f, 7)->detached, AD_DETACH_PARENT_GONE);
	assert_int_equal(node(&f, 8)->unsure, AD_UNSURE_NONE);
	assert_int_equal(node(&f, 8)->detached, AD_DETACH_MOVED);
	assert_int_equal(node(&f, 9)->unsure,
			 late && !attached ? AD_UNSURE_BEFORE : AD_UNSURE_NONE);
	assert_int_equal(node(&f, 10)->unsure, before);
	assert_int_equal(node(&f, 11)->unsure, before);
	assert_int_equal(node(&f, 11)->detached, AD_DETACH_MOVED);
	for (size_t i = 0; i < f.ntasks; i++)
		assert_int_equal(f.tasks[i].state_unknown,
				 late && f.tasks[i].task->id == T1);
	assert_int_equal(f.stats.orphans, 2);
	/* seven frames (eight when the attach is unknown) and a task */
	assert_int_equal(f.stats.uncertain, !late ? 0 : attached ? 8 : 9);
	ad_forest_free(&f);
	sb_free(&b);
}

static void test_observed_late(void **state)
{
	(void)state;
	/* started 20 s ago, attached 10 s ago */
	late_case(SB_NOW - 20 * SB_S, SB_NOW - 10 * SB_S, true);
	/* when either is unknown */
	late_case(SB_NOW - 20 * SB_S, 0, true);
	late_case(0, SB_NOW - 10 * SB_S, true);
	/* attached 20 s ago, started 10 s ago */
	late_case(SB_NOW - 10 * SB_S, SB_NOW - 20 * SB_S, false);
}

static void test_deep_chain(void **state)
{
	enum { DEPTH = 100000 };
	struct sb b;
	struct ad_forest f;

	(void)state;
	sb_chain(&b, T1, DEPTH, "level");
	rebuild_ok(&b, &f);
	assert_int_equal(f.stats.max_depth, DEPTH - 1);
	assert_int_equal(f.tasks[0].nframes, DEPTH);
	assert_int_equal(node(&f, DEPTH)->depth, DEPTH - 1);
	ad_forest_free(&f);
	sb_free(&b);
}

/* Frames reachable from a task's roots and detached lists (iteratively). */
static size_t reachable(const struct ad_tree_task *t, struct ad_node **stack)
{
	size_t n = 0, sp = 0, i;

	for (i = 0; i < t->nroots; i++)
		stack[sp++] = t->roots[i];
	for (i = 0; i < t->ndetached; i++)
		stack[sp++] = t->detached[i];
	while (sp) {
		struct ad_node *x = stack[--sp];

		n++;
		for (i = 0; i < x->nchildren; i++) {
			assert_int_equal(x->children[i]->depth, x->depth + 1);
			assert_int_equal(x->children[i]->detached,
					 AD_DETACH_NONE);
			stack[sp++] = x->children[i];
		}
	}
	return n;
}

/* Random garbage from a tiny id space: ids, parents, generations, tasks
 * and flags collide all the time, making duplicates, reuse, orphans and
 * cycles of every shape. Every frame must be accounted for exactly once,
 * every shown frame reachable exactly once, and rendering must succeed. */
static void test_random_hostile(void **state)
{
	struct ad_render_opts opts = {AD_FORMAT_TEXT, false, 50};
	FILE *null = fopen("/dev/null", "w");
	unsigned seed = 12345;
	int round;

	(void)state;
	assert_non_null(null);
	for (round = 0; round < 300; round++) {
		struct ad_node **stack;
		struct ad_forest f;
		struct sb b;
		size_t i, seen = 0, stale_tasks = 0;

		sb_init(&b);
		for (i = 0; i < 8; i++) {
			struct ad_snap_task *t =
				sb_task(&b, 1 + (uint64_t)(rand_r(&seed) % 6),
					(uint64_t)(rand_r(&seed) % 3), "t");

			t->rec.tid = rand_r(&seed) % 2 ? 0 : 99;
			t->rec.top = (uint64_t)(rand_r(&seed) % 40);
			t->rec.top_gen = (uint64_t)(rand_r(&seed) % 4);
			t->rec.parent_task = (uint64_t)(rand_r(&seed) % 8);
			t->rec.parent_frame = (uint64_t)(rand_r(&seed) % 40);
			if (rand_r(&seed) % 10 == 0)
				t->rec.pgen = 1, stale_tasks++;
		}
		for (i = 0; i < 120; i++) {
			struct ad_snap_frame *fr = sb_frame_raw(
				&b, 1 + (uint64_t)(rand_r(&seed) % 40),
				1 + (uint64_t)(rand_r(&seed) % 6),
				(uint64_t)(rand_r(&seed) % 3),
				(uint64_t)(rand_r(&seed) % 41),
				(uint64_t)(rand_r(&seed) % 4),
				(uint64_t)(rand_r(&seed) % 4), "f");

			fr->rec.flags = (uint32_t)(rand_r(&seed) %
						   (2 * AD_FF_DETACHED));
			if (rand_r(&seed) % 10 == 0)
				fr->rec.pgen = 1;
		}
		rebuild_ok(&b, &f);
		assert_int_equal(
			f.stats.frames_shown + f.stats.duplicate_frames +
				f.stats.frames_of_dead_tasks + f.stats.stale,
			f.stats.frames_in + stale_tasks);
		stack = calloc(f.nnodes + 1, sizeof(*stack));
		assert_non_null(stack);
		for (i = 0; i < f.ntasks; i++) {
			size_t r = reachable(&f.tasks[i], stack);

			assert_int_equal(r, f.tasks[i].nframes);
			seen += r;
		}
		assert_int_equal(seen, f.nnodes);
		assert_int_equal(seen, f.stats.frames_shown);
		free(stack);
		opts.verbose = round % 2;
		opts.format = AD_FORMAT_TEXT;
		assert_int_equal(ad_render(null, &f, &opts), 0);
		opts.format = AD_FORMAT_JSON;
		assert_int_equal(ad_render(null, &f, &opts), 0);
		ad_forest_free(&f);
		sb_free(&b);
	}
	fclose(null);
}

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A million frames: 1000 tasks, each 1000 frames in a shape of fans and
 * short chains, ids scattered. Rebuild and render both formats. */
static void test_million_frames(void **state)
{
	enum { TASKS = 1000, PER = 1000 };
	struct sb b;
	struct ad_forest f;
	struct ad_render_opts opts = {AD_FORMAT_TEXT, false,
				      AD_DEFAULT_STUCK_AFTER_NS};
	FILE *null = fopen("/dev/null", "w");
	double t0, t1, t2, t3;
	uint64_t t, i;

	(void)state;
	assert_non_null(null);
	sb_init(&b);
	b.shared_strings = true;
	sb_reserve(&b, (size_t)TASKS * PER, TASKS);
	for (t = 0; t < TASKS; t++)
		sb_task(&b, 0x10000 + t, t + 1, "worker");
	for (t = 0; t < TASKS; t++)
		for (i = 0; i < PER; i++) {
			uint64_t id = (t * PER + i) * 0x9e3779b97f4a7c15ull | 1;
			uint64_t parent = 0, pgen = 0;

			if (i % 10) { /* chains of 10 */
				parent = (t * PER + i - 1) *
						 0x9e3779b97f4a7c15ull |
					 1;
				pgen = 1000 + i - 1;
			}
			sb_frame_raw(&b, id, 0x10000 + t, t + 1, parent, pgen,
				     1000 + i, "frame");
		}
	t0 = secs();
	rebuild_ok(&b, &f);
	t1 = secs();
	assert_int_equal(f.stats.frames_shown, (size_t)TASKS * PER);
	assert_int_equal(f.stats.max_depth, 9);
	assert_int_equal(ad_render(null, &f, &opts), 0);
	t2 = secs();
	opts.format = AD_FORMAT_JSON;
	assert_int_equal(ad_render(null, &f, &opts), 0);
	t3 = secs();
	/* Printed, never asserted: speed is not a pass/fail criterion. */
	print_message("1M frames: rebuild %.3fs, text %.3fs, json %.3fs\n",
		      t1 - t0, t2 - t1, t3 - t2);
	/* The shape: per task 100 chains of 10, in enter order. */
	for (t = 0; t < TASKS; t += 333) {
		const struct ad_tree_task *tt = &f.tasks[t];
		const struct ad_node *n;

		assert_int_equal(tt->task->id, 0x10000 + t);
		assert_int_equal(tt->nroots, PER / 10);
		assert_int_equal(tt->nframes, PER);
		assert_int_equal(tt->ndetached, 0);
		for (i = 1, n = tt->roots[PER / 10 - 1]; n->nchildren; i++) {
			assert_int_equal(n->nchildren, 1);
			n = n->children[0];
		}
		assert_int_equal(i, 10);
		assert_int_equal(n->depth, 9);
		assert_int_equal(tt->roots[1]->frame->rec.enter_ns, 1000 + 10);
	}
	ad_forest_free(&f);
	sb_free(&b);
	fclose(null);
}

/* A running thread's state names the innermost frame of the task it runs
 * (BPF keeps it there, not in the record); applied only when it is about
 * that very task. */
static void test_apply_thread(void **state)
{
	struct ad_thread th = {.pgen = 7,
			       .task = T1,
			       .task_gen = 100,
			       .top = 0xf1,
			       .top_gen = 111,
			       .own_top = 0xf2,
			       .own_top_gen = 222,
			       .own_gen = 50};
	struct ad_task polled = {.spawn_ns = 100,
				 .tid = 42,
				 .pgen = 7,
				 .top = 0xaa,
				 .top_gen = 1};
	struct ad_task own = {.spawn_ns = 50,
			      .tid = 42,
			      .pgen = 7,
			      .flags = AD_TF_THREAD,
			      .top = 0,
			      .top_gen = 0};
	struct ad_task r;

	(void)state;
	r = polled;
	assert_true(ad_task_apply_thread(T1, &r, &th, 7));
	assert_int_equal(r.top, 0xf1);
	assert_int_equal(r.top_gen, 111);
	r = own;
	assert_true(ad_task_apply_thread(42, &r, &th, 7));
	assert_int_equal(r.top, 0xf2);
	assert_int_equal(r.top_gen, 222);
	/* the thread moved on to another task: the record stands */
	r = polled;
	assert_false(ad_task_apply_thread(T2, &r, &th, 7));
	assert_int_equal(r.top, 0xaa);
	/* an older task with the same id (other spawn_ns) */
	r = polled;
	r.spawn_ns = 99;
	assert_false(ad_task_apply_thread(T1, &r, &th, 7));
	assert_int_equal(r.top, 0xaa);
	/* another incarnation's state, or an idle task */
	r = polled;
	assert_false(ad_task_apply_thread(T1, &r, &th, 8));
	r = polled;
	r.tid = 0;
	assert_false(ad_task_apply_thread(T1, &r, &th, 7));
	/* own task of another thread, or of an older record */
	r = own;
	assert_false(ad_task_apply_thread(43, &r, &th, 7));
	r = own;
	r.spawn_ns = 49;
	assert_false(ad_task_apply_thread(42, &r, &th, 7));
	assert_int_equal(r.top, 0);
	/* a task whose id is the tid (or has the top bit set) is not the
	 * thread's own task, even with the own task's generation */
	r = polled;
	r.spawn_ns = 50;
	assert_false(ad_task_apply_thread(42, &r, &th, 7));
	assert_false(ad_task_apply_thread((1ull << 63) | 42, &r, &th, 7));
	assert_int_equal(r.top, 0xaa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_simple_tree),
		cmocka_unit_test(test_task_order),
		cmocka_unit_test(test_stale_pgen),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_orphan),
		cmocka_unit_test(test_parent_id_reuse),
		cmocka_unit_test(test_moved_detached),
		cmocka_unit_test(test_move_across_tasks),
		cmocka_unit_test(test_dead_tasks),
		cmocka_unit_test(test_cycle_two),
		cmocka_unit_test(test_cycle_self),
		cmocka_unit_test(test_cycle_long_with_tail),
		cmocka_unit_test(test_current_from_top),
		cmocka_unit_test(test_current_fallback),
		cmocka_unit_test(test_overlapping_polls),
		cmocka_unit_test(test_apply_thread),
		cmocka_unit_test(test_spawner_resolved),
		cmocka_unit_test(test_thread_task_namespace),
		cmocka_unit_test(test_observed_late),
		cmocka_unit_test(test_random_hostile),
		cmocka_unit_test(test_deep_chain),
		cmocka_unit_test(test_million_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
