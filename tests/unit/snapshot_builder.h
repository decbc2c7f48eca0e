// SPDX-License-Identifier: BSD-2-Clause
/*
 * snapshot_builder.h - synthetic snapshots for unit tests, and a helper
 * that rebuilds and renders one into a string.
 *
 * Defaults: pid 1234, comm "server", pgen 7, now = 100 s (monotonic),
 * observed since 12.004 s before now, which is 2026-11-21T23:40:01Z,
 * started 13 s before now, its probes attached 14 s before now (coverage
 * WHOLE).
 */
#ifndef AD_SNAPSHOT_BUILDER_H
#define AD_SNAPSHOT_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rebuild.h"
#include "core/render.h"

#define SB_NOW (100ull * 1000000000ull)
#define SB_PGEN 7u
#define SB_MS 1000000ull
#define SB_S 1000000000ull

struct sb {
	struct ad_snapshot s;
	size_t fcap, tcap;
	/* Strings point at the caller's (static) strings instead of copies:
	 * the million-frame test cannot afford 3M mallocs under ASan. */
	bool shared_strings;
};

void sb_init(struct sb *b);
void sb_reserve(struct sb *b, size_t frames, size_t tasks);
void sb_free(struct sb *b);

/* Adds a live task of this incarnation; returns it (valid until the next
 * sb_task call). */
struct ad_snap_task *sb_task(struct sb *b, uint64_t id, uint64_t spawn_ns,
			     const char *name);

/* Adds the live own task of thread tid (AD_TF_THREAD, id = tid, running
 * on tid), named by its comm. */
struct ad_snap_task *sb_thread_task(struct sb *b, uint32_t tid,
				    uint64_t spawn_ns, const char *comm);

/* Adds a live frame: task_gen is taken from the newest task `task` (a
 * task id given to the probes, never a thread's own task), parent_gen
 * from the newest frame `parent` (0 if none). File "main.c", line 1,
 * function = label. Returns it (valid until the next sb_frame). */
struct ad_snap_frame *sb_frame(struct sb *b, uint64_t id, uint64_t task,
			       uint64_t parent, uint64_t enter_ns,
			       const char *label);
/* Same in the own task of thread tid (AD_FF_THREAD_TASK). */
struct ad_snap_frame *sb_thread_frame(struct sb *b, uint64_t id, uint32_t tid,
				      uint64_t parent, uint64_t enter_ns,
				      const char *label);
/* Same with every record field explicit. */
struct ad_snap_frame *sb_frame_raw(struct sb *b, uint64_t id, uint64_t task,
				   uint64_t task_gen, uint64_t parent,
				   uint64_t parent_gen, uint64_t enter_ns,
				   const char *label);

/* The hostile-depth case every consumer is tested on: sb_init, shared
 * strings, one task `task` spawned at 1, and frames 1..depth each under
 * the previous one (frame i entered at i), labelled "level" except the
 * deepest, labelled `leaf`. */
void sb_chain(struct sb *b, uint64_t task, uint64_t depth, const char *leaf);

void sb_site(struct sb *b, struct ad_snap_frame *f, const char *file,
	     uint32_t line, const char *function);
void sb_set_str(struct sb *b, struct ad_str *s, const char *text);

/* Rebuilds and renders; returns a malloc'd NUL-terminated string (length
 * in *len if len) or NULL on failure. stats (if non-NULL) gets the
 * rebuild stats. */
char *sb_render(const struct sb *b, const struct ad_render_opts *opts,
		size_t *len, struct ad_rebuild_stats *stats);

/* Node of the forest with this frame id (linear search), or NULL. */
struct ad_node *sb_node(const struct ad_forest *f, uint64_t id);

#endif
