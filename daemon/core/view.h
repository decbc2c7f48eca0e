// SPDX-License-Identifier: BSD-2-Clause
/*
 * view.h - what a renderer draws: the forest with VERBOSE frames left out
 * unless asked for. Built once per dump (render.c) and handed to the text
 * and JSON writers.
 *
 * A hidden frame's children are re-attached, in its place and in order, to
 * its nearest shown ancestor (or become roots of the same list): hiding a
 * verbose wrapper such as "poll loop" must not hide the frames a task is
 * actually waiting in, which are what the dump is for. For the same reason
 * a hidden current frame passes its marker to that ancestor. A verbose
 * frame marked uncertain is shown: its children in its place would not
 * carry the mark.
 */
#ifndef AD_VIEW_H
#define AD_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rebuild.h"

struct ad_view_root {
	struct ad_node *node;
	enum ad_detach_reason reason; /* of the detached root it came from */
};

struct ad_view_task {
	struct ad_view_root *roots; /* top-level, then detached ones */
	size_t nroots, ndetached;
	const struct ad_node *current; /* shown frame marked current, or NULL */
	size_t nshown;
};

struct ad_view {
	const struct ad_forest *forest;
	bool verbose;
	/* Nothing hidden: kids are the forest's own children and kids, koff,
	 * nkids and shown are not allocated. The common case, kept cheap. */
	bool identity;
	uint8_t *shown;		    /* per node: drawn */
	struct ad_view_task *tasks; /* parallel to forest->tasks */
	struct ad_view_root *roots; /* storage for every task's roots */
	struct ad_node **kids;	    /* storage for shown children */
	uint32_t *koff;		    /* per node: first kid in kids */
	uint32_t *nkids;	    /* per node: number of shown kids */
	size_t hidden;		    /* frames left out */
};

int ad_view_build(struct ad_view *v, const struct ad_forest *forest,
		  bool verbose);
void ad_view_free(struct ad_view *v);

static inline size_t ad_view_idx(const struct ad_view *v,
				 const struct ad_node *n)
{
	return (size_t)(n - v->forest->nodes);
}

static inline bool ad_view_shows(const struct ad_view *v,
				 const struct ad_node *n)
{
	return v->identity || v->shown[ad_view_idx(v, n)];
}

static inline size_t ad_view_nkids(const struct ad_view *v,
				   const struct ad_node *n)
{
	return v->identity ? n->nchildren : v->nkids[ad_view_idx(v, n)];
}

static inline struct ad_node *ad_view_kid(const struct ad_view *v,
					  const struct ad_node *n, size_t i)
{
	return v->identity ? n->children[i]
			   : v->kids[v->koff[ad_view_idx(v, n)] + i];
}

/* How many nodes ahead ad_view_prefetch() looks. */
#define AD_VIEW_PREFETCH_AHEAD 16

/* Renderers visit nodes mostly in the order the rebuild laid them out
 * (pre-order, task by task), but each node's frame is wherever the BPF
 * map's hash order put it in the snapshot: at a million frames that was a
 * cache and TLB miss per frame, most of the rendering time. Fetching the
 * frame of the node a little ahead (all of its bytes: a snapshot frame
 * spans up to three cache lines) hides that latency; when the walk is not
 * sequential (hidden frames) it only costs the prefetches. */
static inline void ad_view_prefetch(const struct ad_view *v,
				    const struct ad_node *n)
{
	size_t i = ad_view_idx(v, n) + AD_VIEW_PREFETCH_AHEAD;
	const char *f;

	if (i >= v->forest->nnodes)
		return;
	f = (const char *)v->forest->nodes[i].frame;
	__builtin_prefetch(f);
	__builtin_prefetch(f + 64);
	__builtin_prefetch(f + sizeof(struct ad_snap_frame) - 1);
}

/* Pending longer than stuck_after_ns (--stuck-after; 0: never) and not
 * LONG_RUNNING. */
static inline bool ad_frame_stuck(uint64_t stuck_after_ns, uint64_t now,
				  const struct ad_node *n)
{
	uint64_t enter = n->frame->rec.enter_ns;

	return stuck_after_ns && now > enter && now - enter > stuck_after_ns &&
	       !(n->frame->rec.flags & ASYNCDUMP_F_LONG_RUNNING);
}

#endif /* AD_VIEW_H */
