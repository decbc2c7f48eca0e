// SPDX-License-Identifier: BSD-2-Clause
/*
 * rebuild.h - the task trees of one process, rebuilt from a snapshot.
 * Pure logic: no I/O, no BPF. rebuild.c builds it; render_text.c and
 * render_json.c print it.
 */
#ifndef AD_FOREST_H
#define AD_FOREST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/snapshot.h"

/* Why a frame is a root of a task's detached list. */
enum ad_detach_reason {
	AD_DETACH_NONE = 0,
	AD_DETACH_PARENT_GONE,	 /* its parent exited */
	AD_DETACH_PARENT_UNSEEN, /* it named a parent that was not live
				  * when it entered (ENTER_AT): one that had
				  * exited, or was entered before
				  * observation began, or was lost */
	AD_DETACH_MOVED,	 /* ASYNCDUMP_MOVE(frame, 0) */
	AD_DETACH_CYCLE,	 /* MOVE made a cycle; broken here */
};

/* Why a frame is shown but cannot be placed for sure (asyncdump_abi.h,
 * "Overlapping polls"). */
enum ad_unsure {
	AD_UNSURE_NONE = 0,
	AD_UNSURE_PARENT,     /* entered while its poll waited for another
			       * thread's poll to end: its parent is not
			       * known (shown at the top level) */
	AD_UNSURE_CONCURRENT, /* entered while two threads ran its task */
	/* The process was not observed from its start (ad_coverage() is not
	 * WHOLE), and this frame is a root of a thread or task that may have
	 * run before observation began (a thread's own task, unless the
	 * thread started after; a task first seen after it), or named a
	 * parent that was never seen, or is under such a root: it may belong
	 * under a frame entered before observation, and a thread's frame to
	 * a task that thread was polling then. */
	AD_UNSURE_BEFORE,
};

struct ad_node {
	const struct ad_snap_frame *frame; /* points into the snapshot */
	struct ad_node **children;	   /* in enter order */
	size_t nchildren;
	uint32_t depth; /* 0 for a top-level or detached root */
	enum ad_detach_reason detached;
	bool current; /* innermost frame of a running task */
	enum ad_unsure unsure;
};

struct ad_tree_task {
	const struct ad_snap_task *task; /* points into the snapshot */
	struct ad_node **roots;		 /* top-level frames, enter order */
	size_t nroots;
	struct ad_node **detached; /* detached roots, enter order */
	size_t ndetached;
	size_t nframes; /* frames in this task, all depths */
	/* Resolved by ad_rebuild so renderers need no index of their own:
	 * the live task named by task->rec.parent_task and the shown frame
	 * named by task->rec.parent_frame (NULL: none, exited or not shown),
	 * and the frame marked current (NULL when idle). */
	const struct ad_snap_task *parent_task;
	const struct ad_snap_frame *parent_frame;
	struct ad_node *current;
	/* Running, but its innermost frame is another thread's poll's
	 * hand-over that has not come: no frame is marked current. */
	bool current_unknown;
	/* Not seen polled since observation began, which came after the
	 * process's start: it may be running (a poll begun before), so it is
	 * not shown as idle or never polled. */
	bool state_unknown;
};

/* What the rebuild found that a reader should know about. */
struct ad_rebuild_stats {
	size_t frames_in;	 /* frame records in the snapshot */
	size_t frames_shown;	 /* frames placed in some task */
	size_t duplicate_frames; /* same id twice: later ones dropped */
	size_t duplicate_tasks;
	size_t orphans;		     /* parent missing: shown as detached
				      * (AD_DETACH_PARENT_GONE, _UNSEEN) */
	size_t cycles;		     /* cycles broken */
	size_t frames_of_dead_tasks; /* task exited or unknown: not shown */
	size_t stale;		     /* records (frames and tasks) of another
				     process incarnation: not shown */
	size_t uncertain; /* frames shown that cannot be placed for sure
			   * (enum ad_unsure), running tasks whose
			   * current frame is not known, and tasks whose
			   * state is not known (state_unknown) */
	uint32_t max_depth;
};

struct ad_forest {
	const struct ad_snapshot *snap;
	struct ad_tree_task *tasks; /* spawn order */
	size_t ntasks;
	struct ad_node *nodes; /* storage for every node; a parent
					    * always precedes its children */
	size_t nnodes;
	struct ad_rebuild_stats stats;
};

/* Builds the forest. Never recurses on tree depth, never loops, never
 * fails on hostile contents; returns -ENOMEM only. The snapshot must
 * outlive the forest. */
int ad_rebuild(const struct ad_snapshot *snap, struct ad_forest *out);
void ad_forest_free(struct ad_forest *forest);

#endif /* AD_FOREST_H */
