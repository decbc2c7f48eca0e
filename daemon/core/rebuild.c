// SPDX-License-Identifier: BSD-2-Clause
/*
 * rebuild.c - task trees from the raw records of one process (rebuild.h).
 *
 * The records come from BPF maps that the observed process fills through
 * its probes, so they may hold anything: stale incarnations, duplicate ids,
 * parents that exited, ids reused by later objects, cycles made by MOVE,
 * chains a million deep. Every step below is iterative and linear or
 * n log n; nothing recurses on depth.
 *
 * Steps:
 *   1. keep the tasks and frames of the current incarnation (pgen), first
 *      of each id, indexed by id in a hash table (a task by id and kind:
 *      a thread's own task, whose id is its tid, and a task whose id
 *      equals that tid are two tasks, and a frame is in the one its
 *      AD_FF_THREAD_TASK flag names);
 *   2. link each frame to its parent: the frame with id == parent AND
 *      enter_ns == parent_gen (a later frame reusing a dead parent's id is
 *      not that parent); otherwise it is a root (top level, moved away, or
 *      orphaned: its parent exited, or was never seen). In a process
 *      observed late, a root whose task or thread may have run before
 *      observation began, or whose parent was never seen, is uncertain
 *      (AD_UNSURE_BEFORE), and so is everything under it (step 5);
 *   3. break cycles: walk up from every frame, marking the walk; reaching
 *      a node of the same walk means a cycle, cut at its earliest frame;
 *   4. depth first from the roots (sorted by enter time, then id): a
 *      frame's task is its root's task, so MOVEd subtrees follow; frames
 *      whose root's task is not live are dropped and counted;
 *   5. lay the nodes out in that order (task by task, parents first) and
 *      mark the current frame of every running task.
 */
#include "core/rebuild.h"
#include "core/keysort.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

/* ---- id index: open addressing over snapshot indices ---------------- */

/* Each slot keeps the id beside the index, so a probe compares ids
 * without reading the record, which at a million frames is a cache miss
 * of its own (records are in the BPF map's hash order). Keys are read
 * from the records when inserting: `id` is the first member of both
 * struct ad_snap_frame and struct ad_snap_task. A key is the id and a
 * kind: for tasks, 1 for a thread's own task (ad_task_is_thread()), else
 * 0; always 0 for frames. */
struct id_slot {
	uint64_t id;
	uint32_t idx;  /* NONE: empty */
	uint32_t kind; /* in the padding: the slot stays 16 bytes */
};

struct id_index {
	struct id_slot *slot;
	size_t mask;
	uint64_t seed;
	const char *base;
	size_t stride;
};

/* How many records ahead the linear passes prefetch the index slot they
 * will probe: the slot is a cache miss, and the next ids are known. */
#define PREFETCH_AHEAD 8

static uint64_t key_at(const struct id_index *h, uint32_t i)
{
	uint64_t k;

	memcpy(&k, h->base + (size_t)i * h->stride, sizeof(k));
	return k;
}

/* splitmix64 finalizer. The seed varies per dump so a process cannot pick
 * ids that all collide and make the daemon quadratic. */
static size_t hash_id(const struct id_index *h, uint64_t id)
{
	uint64_t x = id ^ h->seed;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (size_t)x & h->mask;
}

static void index_prefetch(const struct id_index *h, uint64_t id)
{
	__builtin_prefetch(&h->slot[hash_id(h, id)]);
}

static int index_init(struct id_index *h, size_t n, const void *base,
		      size_t stride, uint64_t seed)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap <<= 1;
	h->slot = malloc(cap * sizeof(*h->slot));
	if (!h->slot)
		return -ENOMEM;
	memset(h->slot, 0xff, cap * sizeof(*h->slot)); /* every idx NONE */
	h->mask = cap - 1;
	h->seed = seed;
	h->base = base;
	h->stride = stride;
	return 0;
}

/* The two kinds of one id share a probe sequence (the hash is the id's):
 * a process has at most one thread task per thread, so no more than two
 * entries per id. */
static uint32_t index_find(const struct id_index *h, uint64_t id, uint32_t kind)
{
	size_t s = hash_id(h, id);

	while (h->slot[s].idx != NONE) {
		if (h->slot[s].id == id && h->slot[s].kind == kind)
			return h->slot[s].idx;
		s = (s + 1) & h->mask;
	}
	return NONE;
}

/* Inserts i unless its key is present; returns false for a duplicate. */
static bool index_add(struct id_index *h, uint32_t i, uint32_t kind)
{
	uint64_t id = key_at(h, i);
	size_t s = hash_id(h, id);

	while (h->slot[s].idx != NONE) {
		if (h->slot[s].id == id && h->slot[s].kind == kind)
			return false;
		s = (s + 1) & h->mask;
	}
	h->slot[s].id = id;
	h->slot[s].idx = i;
	h->slot[s].kind = kind;
	return true;
}

/* Index kinds of tasks: a task id given to the probes, or a thread's own
 * task. */
#define KIND_TASK 0u
#define KIND_THREAD 1u

static uint32_t task_kind(const struct ad_task *rec)
{
	return ad_task_is_thread(rec) ? KIND_THREAD : KIND_TASK;
}

/* The kind of the task a frame is in. */
static uint32_t frame_task_kind(const struct ad_frame_rec *rec)
{
	return ad_frame_of_thread_task(rec) ? KIND_THREAD : KIND_TASK;
}

/* ---- ordering -------------------------------------------------------- */

static bool frame_before(const struct ad_snap_frame *f, uint32_t a, uint32_t b)
{
	if (f[a].rec.enter_ns != f[b].rec.enter_ns)
		return f[a].rec.enter_ns < f[b].rec.enter_ns;
	return f[a].id < f[b].id;
}

/* ---- working state --------------------------------------------------- */

struct work {
	const struct ad_snapshot *snap;
	struct ad_forest *out;
	struct id_index tidx, fidx;
	uint32_t *tslot; /* snapshot task -> forest task, or NONE */
	uint8_t *keep;	 /* frame is of this incarnation and first of its id */
	uint8_t *reason; /* enum ad_detach_reason of a root */
	uint8_t *unsure; /* enum ad_unsure of a frame */
	uint32_t *par;	 /* parent frame, NONE for a root */
	uint32_t *mark;	 /* cycle walk id, then node index */
	uint32_t *depth;
	uint32_t *ftask; /* forest task of the frame, NONE if not live */
	uint32_t *coff;	 /* children of frame i: clist[coff[i]..coff[i+1]) */
	uint32_t *clist;
	uint32_t *queue; /* kept frames in pre-order, task by task */
	uint32_t *roots; /* kept roots in enter order */
	size_t nkept, nroots;
	bool any_concurrent; /* a task was run by two threads at once */
	/* Observation began after the process did, or when is unknown
	 * (ad_coverage() is not WHOLE): frames may have been entered
	 * before it (AD_UNSURE_BEFORE). */
	bool late;
};

static void work_free(struct work *w)
{
	free(w->tidx.slot);
	free(w->fidx.slot);
	free(w->tslot);
	free(w->keep);
	free(w->reason);
	free(w->unsure);
	free(w->par);
	free(w->mark);
	free(w->depth);
	free(w->ftask);
	free(w->coff);
	free(w->clist);
	free(w->queue);
	free(w->roots);
}

static int work_alloc(struct work *w, size_t nf, size_t nt)
{
	size_t n = nf ? nf : 1, m = nt ? nt : 1;

	w->tslot = malloc(m * sizeof(*w->tslot));
	w->keep = calloc(n, 1);
	w->reason = calloc(n, 1);
	w->unsure = calloc(n, 1);
	w->par = malloc(n * sizeof(*w->par));
	w->mark = calloc(n, sizeof(*w->mark));
	w->depth = malloc(n * sizeof(*w->depth));
	w->ftask = malloc(n * sizeof(*w->ftask));
	w->coff = calloc(n + 1, sizeof(*w->coff));
	w->clist = malloc(n * sizeof(*w->clist));
	w->queue = malloc(n * sizeof(*w->queue));
	w->roots = malloc(n * sizeof(*w->roots));
	if (!w->tslot || !w->keep || !w->reason || !w->unsure || !w->par ||
	    !w->mark || !w->depth || !w->ftask || !w->coff || !w->clist ||
	    !w->queue || !w->roots)
		return -ENOMEM;
	return 0;
}

/* Step 1 for tasks: keep, dedupe, sort by spawn time. */
static int take_tasks(struct work *w)
{
	const struct ad_snapshot *snap = w->snap;
	struct ad_forest *out = w->out;
	struct ad_sort_key *keys;
	size_t i, n = 0;

	keys = malloc((snap->ntasks ? snap->ntasks : 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < snap->ntasks; i++) {
		const struct ad_snap_task *t = &snap->tasks[i];

		w->tslot[i] = NONE;
		if (t->rec.pgen != snap->proc.pgen) {
			out->stats.stale++;
		} else if (!index_add(&w->tidx, (uint32_t)i,
				      task_kind(&t->rec))) {
			out->stats.duplicate_tasks++;
		} else {
			w->any_concurrent |=
				!!(t->rec.flags & AD_TF_CONCURRENT);
			keys[n].time = t->rec.spawn_ns;
			keys[n].id = t->id;
			keys[n].idx = (uint32_t)i;
			n++;
		}
	}
	out->tasks = calloc(n ? n : 1, sizeof(*out->tasks));
	if (!out->tasks || ad_sort_keys(keys, n)) {
		free(keys);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		out->tasks[i].task = &snap->tasks[keys[i].idx];
		w->tslot[keys[i].idx] = (uint32_t)i;
	}
	out->ntasks = n;
	free(keys);
	return 0;
}

/* The snapshot task of frame record r's task, if live, or NULL. */
static const struct ad_snap_task *snap_task(const struct work *w,
					    const struct ad_frame_rec *r)
{
	uint32_t j = index_find(&w->tidx, r->task, frame_task_kind(r));

	if (j == NONE || w->snap->tasks[j].rec.spawn_ns != r->task_gen)
		return NULL;
	return &w->snap->tasks[j];
}

/* The forest task of frame record r (its task's id, kind and
 * generation), or NONE if it is not live. */
static uint32_t live_task(const struct work *w, const struct ad_frame_rec *r)
{
	const struct ad_snap_task *t = snap_task(w, r);

	return t ? w->tslot[t - w->snap->tasks] : NONE;
}

/* The snapshot record of frame record r's task, if live, or NULL. */
static const struct ad_task *task_rec(const struct work *w,
				      const struct ad_frame_rec *r)
{
	const struct ad_snap_task *t = snap_task(w, r);

	return t ? &t->rec : NULL;
}

/* Where a frame cannot be placed for sure (asyncdump_abi.h, "Overlapping
 * polls"): entered while its poll waited for another poll's hand-over
 * that has not come (its parent is not known: it is shown at the top
 * level), or while two threads ran its task at once. Sets the parent to
 * look for (parent, gen): the hand-over, once it has come. */
static enum ad_unsure frame_unsure(const struct work *w,
				   const struct ad_frame_rec *r,
				   uint64_t *parent, uint64_t *gen)
{
	const struct ad_task *t = task_rec(w, r);

	*parent = r->parent;
	*gen = r->parent_gen;
	if (r->flags & AD_FF_PARENT_PENDING) {
		*parent = 0;
		*gen = 0;
		if (!t || t->handoff_seq != (uint32_t)r->parent_gen)
			return AD_UNSURE_PARENT;
		*parent = t->handoff_top;
		*gen = t->handoff_top_gen;
	}
	if (t && (t->flags & AD_TF_CONCURRENT) &&
	    r->enter_ns >= t->overlap_ns &&
	    (!t->overlap_end_ns || r->enter_ns <= t->overlap_end_ns))
		return AD_UNSURE_CONCURRENT;
	return AD_UNSURE_NONE;
}

/* A thread started after its process's probes were attached, and before
 * its task record was made (so that record is not one of an earlier
 * thread with its tid): it did nothing unseen. A start is rounded down to
 * a clock tick, which can only make the first test fail when it should
 * pass; the second is a guard against a tid reused within one tick
 * after its record was made, which this cannot tell. */
static bool thread_began_seen(const struct ad_snapshot *s,
			      const struct ad_snap_task *t)
{
	/* The thread that forked a process without exec goes on in it,
	 * inside its parent's frames. */
	if ((s->proc.flags & AD_PF_FORKED) && t->id == (uint64_t)s->pid)
		return false;
	return s->attached_ns && t->thread_started_ns > s->attached_ns &&
	       t->thread_started_ns <= t->rec.spawn_ns;
}

/* Whether what a task or thread did before observation began may have
 * been missed (w->late): a thread's own task (the thread may have been in
 * a frame, or polling a task, then) unless the thread started after
 * observation began, a task first seen at a poll or by
 * ENTER_AT (AD_TF_IMPLICIT) rather than spawned under observation, or one
 * whose record is gone. A task whose spawn was seen began under
 * observation. */
static bool began_unseen(const struct work *w, const struct ad_frame_rec *r)
{
	const struct ad_snap_task *t;

	if (!w->late)
		return false;
	t = snap_task(w, r);
	if (!t) /* not shown at all (frames_of_dead_tasks) */
		return true;
	if (frame_task_kind(r) == KIND_THREAD)
		return !thread_began_seen(w->snap, t);
	return t->rec.flags & AD_TF_IMPLICIT;
}

/* Steps 1 and 2 for frames. */
static void take_frames(struct work *w)
{
	const struct ad_snapshot *snap = w->snap;
	const struct ad_snap_frame *f = snap->frames;
	size_t i;

	for (i = 0; i < snap->nframes; i++) {
		if (i + PREFETCH_AHEAD < snap->nframes)
			index_prefetch(&w->fidx, f[i + PREFETCH_AHEAD].id);
		if (f[i].rec.pgen != snap->proc.pgen)
			w->out->stats.stale++;
		else if (!index_add(&w->fidx, (uint32_t)i, 0))
			w->out->stats.duplicate_frames++;
		else
			w->keep[i] = 1, w->nkept++;
	}
	for (i = 0; i < snap->nframes; i++) {
		const struct ad_frame_rec *r = &f[i].rec;
		uint64_t parent = r->parent, gen = r->parent_gen;
		uint32_t p;

		if (i + PREFETCH_AHEAD < snap->nframes)
			index_prefetch(&w->fidx,
				       f[i + PREFETCH_AHEAD].rec.parent);
		w->par[i] = NONE;
		if (!w->keep[i])
			continue;
		if ((r->flags & AD_FF_PARENT_PENDING) || w->any_concurrent)
			w->unsure[i] = frame_unsure(w, r, &parent, &gen);
		if (parent == 0) {
			w->reason[i] = (r->flags & AD_FF_DETACHED)
					       ? AD_DETACH_MOVED
					       : AD_DETACH_NONE;
		} else {
			p = index_find(&w->fidx, parent, 0);
			if (p != NONE && f[p].rec.enter_ns == gen) {
				w->par[i] = p; /* may be i itself: a cycle */
				continue;
			}
			/* gen 0: its parent was not live when it entered
			 * (BPF found none to take the generation from). */
			w->reason[i] = gen ? AD_DETACH_PARENT_GONE
					   : AD_DETACH_PARENT_UNSEEN;
		}
		/* A root, in its task as far as observation knows. */
		if (!w->unsure[i] &&
		    (began_unseen(w, r) ||
		     (w->late && w->reason[i] == AD_DETACH_PARENT_UNSEEN)))
			w->unsure[i] = AD_UNSURE_BEFORE;
	}
}

/* Step 3. Each frame is walked once: a walk stops at the first frame some
 * walk already marked; if that is this walk, the frames from there on
 * form a cycle. */
static void break_cycles(struct work *w)
{
	const struct ad_snap_frame *f = w->snap->frames;
	uint32_t walk = 0;
	size_t i;

	for (i = 0; i < w->snap->nframes; i++) {
		uint32_t x = (uint32_t)i, best, y;

		if (!w->keep[i] || w->mark[i])
			continue;
		walk++;
		while (x != NONE && !w->mark[x]) {
			w->mark[x] = walk;
			x = w->par[x];
		}
		if (x == NONE || w->mark[x] != walk)
			continue;
		/* Cut at the earliest-entered frame of the cycle: it is the
		 * most plausible outermost one, and the choice is stable. */
		best = x;
		for (y = w->par[x]; y != x; y = w->par[y])
			if (frame_before(f, y, best))
				best = y;
		w->par[best] = NONE;
		w->reason[best] = AD_DETACH_CYCLE;
		w->out->stats.cycles++;
	}
}

/* Children lists (compressed, in enter order) and the sorted roots. */
static int link_children(struct work *w)
{
	const struct ad_snap_frame *f = w->snap->frames;
	size_t nf = w->snap->nframes, i, n = 0;
	struct ad_sort_key *keys;
	uint32_t *fill = w->depth; /* free until step 4 */

	keys = malloc((w->nkept ? w->nkept : 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < nf; i++) {
		if (!w->keep[i])
			continue;
		keys[n].time = f[i].rec.enter_ns;
		keys[n].id = f[i].id;
		keys[n].idx = (uint32_t)i;
		n++;
		if (w->par[i] != NONE)
			w->coff[w->par[i] + 1]++;
	}
	if (ad_sort_keys(keys, n)) {
		free(keys);
		return -ENOMEM;
	}
	for (i = 0; i < nf; i++) {
		w->coff[i + 1] += w->coff[i];
		fill[i] = 0;
	}
	for (i = 0; i < n; i++) {
		uint32_t c = keys[i].idx, p = w->par[c];

		if (p == NONE)
			w->roots[w->nroots++] = c;
		else
			w->clist[w->coff[p] + fill[p]++] = c;
	}
	free(keys);
	return 0;
}

/* Step 4: depth first from the roots, grouped by task (roots of one task
 * in enter order, then the roots of dead tasks), so that each task's
 * nodes end up contiguous and in drawing order: renderers then walk
 * memory mostly forward. Returns the number of frames shown (those whose
 * root's task is live), or SIZE_MAX when out of memory. */
static size_t assign_tasks(struct work *w)
{
	const struct ad_snap_frame *f = w->snap->frames;
	size_t nt = w->out->ntasks, i, tail = 0, shown = 0, sp = 0;
	uint32_t *order = w->mark; /* free until node indices go there */
	uint32_t *bucket = calloc(nt + 1, sizeof(*bucket));

	if (!bucket)
		return SIZE_MAX;
	for (i = 0; i < w->nroots; i++) {
		uint32_t r = w->roots[i];

		w->ftask[r] = live_task(w, &f[r].rec);
		bucket[w->ftask[r] == NONE ? nt : w->ftask[r]]++;
	}
	for (i = 0, sp = 0; i <= nt; i++) { /* counts -> starts */
		uint32_t c = bucket[i];

		bucket[i] = (uint32_t)sp;
		sp += c;
	}
	for (i = 0; i < w->nroots; i++) {
		uint32_t r = w->roots[i];

		order[bucket[w->ftask[r] == NONE ? nt : w->ftask[r]]++] = r;
	}
	free(bucket);
	/* Pre-order with an explicit stack; `queue` doubles as the stack
	 * from its far end, since emitted + stacked never exceeds nkept. */
	for (i = 0; i < w->nroots; i++) {
		sp = w->nkept;
		w->queue[--sp] = order[i];
		w->depth[order[i]] = 0;
		while (sp < w->nkept) {
			uint32_t u = w->queue[sp++], k;

			w->queue[tail++] = u;
			for (k = w->coff[u + 1]; k-- > w->coff[u];) {
				uint32_t c = w->clist[k];

				w->ftask[c] = w->ftask[u];
				w->depth[c] = w->depth[u] + 1;
				w->queue[--sp] = c;
			}
		}
	}
	for (i = 0; i < tail; i++) {
		uint32_t u = w->queue[i];

		if (w->ftask[u] == NONE) {
			w->out->stats.frames_of_dead_tasks++;
			continue;
		}
		w->mark[u] = (uint32_t)shown++; /* node index from now on */
	}
	return shown;
}

/* Step 5: nodes, children pointers, task roots and detached lists. All
 * pointer arrays live right after the nodes in one block (each node is
 * exactly one child or one root), so ad_forest_free frees two blocks. */
static int build_nodes(struct work *w, size_t shown)
{
	const struct ad_snap_frame *f = w->snap->frames;
	struct ad_forest *out = w->out;
	struct ad_node **ptrs, **cur;
	size_t i;

	if (shown == 0)
		return 0;
	out->nodes = malloc(shown * (sizeof(struct ad_node) + sizeof(*ptrs)));
	if (!out->nodes)
		return -ENOMEM;
	out->nnodes = shown;
	ptrs = (struct ad_node **)(out->nodes + shown);

	/* Count roots per task, then carve their ranges. */
	for (i = 0; i < w->nroots; i++) {
		uint32_t r = w->roots[i], t = w->ftask[r];

		if (t == NONE)
			continue;
		if (w->reason[r] == AD_DETACH_NONE)
			out->tasks[t].nroots++;
		else
			out->tasks[t].ndetached++;
	}
	cur = ptrs;
	for (i = 0; i < out->ntasks; i++) {
		struct ad_tree_task *t = &out->tasks[i];

		t->roots = t->nroots ? cur : NULL;
		cur += t->nroots;
		t->detached = t->ndetached ? cur : NULL;
		cur += t->ndetached;
		t->nroots = t->ndetached = 0; /* refilled below */
	}
	for (i = 0; i < w->nroots; i++) {
		uint32_t r = w->roots[i], t = w->ftask[r];
		struct ad_tree_task *tt;

		if (t == NONE)
			continue;
		tt = &out->tasks[t];
		if (w->reason[r] == AD_DETACH_NONE)
			tt->roots[tt->nroots++] = &out->nodes[w->mark[r]];
		else
			tt->detached[tt->ndetached++] = &out->nodes[w->mark[r]];
	}

	/* Nodes in pre-order: parents precede children. */
	for (i = 0; i < w->nkept; i++) {
		uint32_t u = w->queue[i], k;
		struct ad_node *n;

		if (w->ftask[u] == NONE)
			continue;
		n = &out->nodes[w->mark[u]];
		n->frame = &f[u];
		n->depth = w->depth[u];
		n->detached = w->par[u] == NONE ? w->reason[u] : AD_DETACH_NONE;
		n->current = false;
		n->unsure = (enum ad_unsure)w->unsure[u];
		/* Under a root whose task may be another (AD_UNSURE_BEFORE):
		 * so may this frame's. Its parent comes first (pre-order). */
		if (n->unsure == AD_UNSURE_NONE && w->par[u] != NONE &&
		    out->nodes[w->mark[w->par[u]]].unsure == AD_UNSURE_BEFORE)
			n->unsure = AD_UNSURE_BEFORE;
		out->stats.uncertain += n->unsure != AD_UNSURE_NONE;
		n->nchildren = w->coff[u + 1] - w->coff[u];
		n->children = n->nchildren ? cur : NULL;
		for (k = w->coff[u]; k < w->coff[u + 1]; k++)
			*cur++ = &out->nodes[w->mark[w->clist[k]]];
		out->tasks[w->ftask[u]].nframes++;
		if (n->detached == AD_DETACH_PARENT_GONE ||
		    n->detached == AD_DETACH_PARENT_UNSEEN)
			out->stats.orphans++;
		if (n->depth > out->stats.max_depth)
			out->stats.max_depth = n->depth;
	}
	out->stats.frames_shown = shown;
	return 0;
}

/* The frame whose id and enter time match, if it is shown in task t. */
static struct ad_node *shown_frame(const struct work *w, uint64_t id,
				   uint64_t gen, uint32_t t)
{
	uint32_t j = index_find(&w->fidx, id, 0);

	if (j == NONE || w->snap->frames[j].rec.enter_ns != gen ||
	    w->ftask[j] == NONE || (t != NONE && w->ftask[j] != t))
		return NULL;
	return &w->out->nodes[w->mark[j]];
}

/* Current frame of running tasks, and the spawner of every task. */
static void resolve_tasks(struct work *w)
{
	struct ad_forest *out = w->out;
	size_t i;

	for (i = 0; i < out->ntasks; i++) {
		struct ad_tree_task *t = &out->tasks[i];
		const struct ad_task *r = &t->task->rec;
		struct ad_node *c = NULL;
		uint32_t j;

		/* A spawn names its parent by the id given to the probes:
		 * never a thread's own task. */
		if (r->parent_task) {
			j = index_find(&w->tidx, r->parent_task, KIND_TASK);
			if (j != NONE && w->tslot[j] != NONE)
				t->parent_task = &w->snap->tasks[j];
		}
		/* By id, entered before the spawn: not a later frame
		 * reusing a gone one's id. */
		if (r->parent_frame) {
			j = index_find(&w->fidx, r->parent_frame, 0);
			if (j != NONE && w->ftask[j] != NONE &&
			    w->snap->frames[j].rec.enter_ns <= r->spawn_ns)
				t->parent_frame = &w->snap->frames[j];
		}
		if (r->tid == 0) {
			/* Never seen polled: before observation, it may have
			 * begun a poll that is still running. */
			if (w->late && !r->last_poll_ns &&
			    (r->flags & AD_TF_IMPLICIT)) {
				t->state_unknown = true;
				out->stats.uncertain++;
			}
			continue;
		}
		/* Its poll waits for another's hand-over: it does not know
		 * its innermost frame, and neither does the dump. */
		if (r->wait_seq && r->handoff_seq != r->wait_seq) {
			t->current_unknown = true;
			out->stats.uncertain++;
			continue;
		}
		/* The task's own record of its innermost frame wins; without
		 * one (ENTER_AT only, or it exited) take the newest leaf. */
		if (r->wait_seq)
			c = shown_frame(w, r->handoff_top, r->handoff_top_gen,
					(uint32_t)i);
		else if (r->top)
			c = shown_frame(w, r->top, r->top_gen, (uint32_t)i);
		if (!c && t->nroots) {
			c = t->roots[t->nroots - 1];
			while (c->nchildren)
				c = c->children[c->nchildren - 1];
		}
		if (c) {
			c->current = true;
			t->current = c;
		}
	}
}

int ad_rebuild(const struct ad_snapshot *snap, struct ad_forest *out)
{
	struct work w;
	uint64_t seed;
	size_t shown;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	out->snap = snap;
	out->stats.frames_in = snap->nframes;
	if (snap->nframes >= NONE || snap->ntasks >= NONE)
		return -ENOMEM; /* indices are 32-bit; far beyond any map */
	w.snap = snap;
	w.out = out;
	w.late = ad_coverage(snap) != AD_COVERAGE_WHOLE;
	seed = snap->now_ns ^ (uint64_t)(uintptr_t)&w ^ 0x9e3779b97f4a7c15ull;
	err = index_init(&w.tidx, snap->ntasks, snap->tasks,
			 sizeof(*snap->tasks), seed);
	if (!err)
		err = index_init(&w.fidx, snap->nframes, snap->frames,
				 sizeof(*snap->frames), seed);
	if (!err)
		err = work_alloc(&w, snap->nframes, snap->ntasks);
	if (!err)
		err = take_tasks(&w);
	if (!err) {
		take_frames(&w);
		break_cycles(&w);
		err = link_children(&w);
	}
	if (!err) {
		shown = assign_tasks(&w);
		err = shown == SIZE_MAX ? -ENOMEM : build_nodes(&w, shown);
	}
	if (!err)
		resolve_tasks(&w);
	work_free(&w);
	if (err)
		ad_forest_free(out);
	return err;
}

void ad_forest_free(struct ad_forest *forest)
{
	free(forest->nodes);
	free(forest->tasks);
	forest->nodes = NULL;
	forest->tasks = NULL;
	forest->nnodes = 0;
	forest->ntasks = 0;
}
