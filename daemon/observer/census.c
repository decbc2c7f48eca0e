// SPDX-License-Identifier: BSD-2-Clause
/*
 * census.c - every observed process's record and records, without
 * strings (census.h).
 *
 * The procs map is walked once. A process with maps of its own has them
 * read whole (walk.h, batches), as a dump reads them; the processes in
 * the shared maps are served by one walk of those maps, each record
 * handed to its process found by pid in the sorted list, so a list of k
 * such processes costs one walk, not k.
 */
#include "observer/census.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asyncdump.skel.h"
#include "core/clock.h"
#include "core/grow.h"
#include "observer/attach.h"
#include "observer/observer.h"
#include "observer/procfs.h"
#include "observer/records.h"
#include "observer/slots.h"
#include "observer/store.h"
#include "observer/walk.h"

/* ---- the process records ---------------------------------------------- */

struct procs_ctx {
	struct ad_census_proc *v;
	size_t n, cap;
};

static int on_proc(void *ctx, const void *k, const void *v)
{
	struct procs_ctx *c = ctx;
	struct ad_census_proc *p = ad_grow(c->v, &c->cap, c->n, sizeof(*p), 64);

	if (!p)
		return -ENOMEM;
	c->v = p;
	p[c->n].pid = (pid_t) * (const uint32_t *)k;
	memcpy(&p[c->n].proc, v, sizeof(p[c->n].proc));
	c->n++;
	return 0;
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct ad_census_proc *)a)->pid;
	pid_t y = ((const struct ad_census_proc *)b)->pid;

	return (x > y) - (x < y);
}

int ad_census_procs(struct ad_observer *obs, struct ad_census_proc **out,
		    size_t *n)
{
	struct procs_ctx c = {0};
	int e = ad_walk_map(bpf_map__fd(obs->skel->maps.procs),
			    sizeof(uint32_t), sizeof(struct ad_proc), on_proc,
			    &c);

	if (e) {
		free(c.v);
		return e;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), by_pid);
	*out = c.v;
	*n = c.n;
	return 0;
}

/* ---- their records ------------------------------------------------------ */

/* The processes one walk fills: procs[i]'s records go to snaps[i]. */
struct census {
	const struct ad_census_proc *procs;
	struct ad_snapshot *snaps;
	size_t n;
	bool shared;		  /* a walk of the shared maps: only processes
			       * that keep their records there */
	size_t *ctasks, *cframes; /* capacities of snaps[i].tasks, .frames */
	const struct ad_mapset *set; /* the set being walked */
};

/* Does the process keep records in the shared maps? */
static bool in_shared(const struct ad_proc *p)
{
	return p->slot == AD_SLOT_SHARED || (p->flags & AD_PF_SHARED);
}

/* Where a record of pid goes: true with *i its process's index; false
 * for a process not asked for (another one's, or, in the shared maps, one
 * that never kept records there: those are of an older incarnation). */
static bool find(const struct census *c, uint32_t pid, size_t *i)
{
	struct ad_census_proc key = {.pid = (pid_t)pid};
	const struct ad_census_proc *p =
		bsearch(&key, c->procs, c->n, sizeof(key), by_pid);

	if (!p || (c->shared && !in_shared(&p->proc)))
		return false;
	*i = (size_t)(p - c->procs);
	return true;
}

/* Of the incarnation listed? Records of an older one are counted, as a
 * dump counts them. */
static bool current(const struct census *c, size_t i, uint32_t pgen)
{
	if (pgen == c->procs[i].proc.pgen)
		return true;
	c->snaps[i].dump_lost[AD_DUMP_STALE_RECORDS]++;
	return false;
}

static int on_task(void *ctx, const void *k, const void *v)
{
	struct census *c = ctx;
	const struct ad_key *key = k;
	struct ad_snapshot *s;
	struct ad_snap_task *t;
	struct ad_task rec;
	size_t i;

	if (!find(c, key->pid, &i) || !ad_record_task(key, v, &rec) ||
	    !current(c, i, rec.pgen))
		return 0;
	s = &c->snaps[i];
	t = ad_grow(s->tasks, &c->ctasks[i], s->ntasks, sizeof(*t), 16);
	if (!t)
		return -ENOMEM;
	s->tasks = t;
	t = &s->tasks[s->ntasks++];
	memset(t, 0, sizeof(*t));
	t->id = key->id;
	t->rec = rec;
	return 0;
}

static int on_frame(void *ctx, const void *k, const void *v)
{
	struct census *c = ctx;
	struct ad_snapshot *s;
	struct ad_snap_frame *f;
	struct ad_frame_rec rec;
	struct ad_key key;
	size_t i;

	/* A slot's walk is of its one process (procs[0]). */
	ad_frame_entry(c->set, (uint32_t)c->procs[0].pid, c->procs[0].proc.pgen,
		       k, v, &key, &rec);
	if (!find(c, key.pid, &i) || !current(c, i, rec.pgen))
		return 0;
	s = &c->snaps[i];
	f = ad_grow(s->frames, &c->cframes[i], s->nframes, sizeof(*f), 16);
	if (!f)
		return -ENOMEM;
	s->frames = f;
	f = &s->frames[s->nframes++];
	memset(f, 0, sizeof(*f));
	f->id = key.id;
	f->rec = rec;
	return 0;
}

/* Tasks, then frames, as a dump reads them. */
static int read_set(struct census *c, const struct ad_mapset *maps)
{
	int e = ad_walk_map(maps->tasks, sizeof(struct ad_key),
			    sizeof(struct ad_task), on_task, c);

	c->set = maps;
	if (!e)
		e = ad_walk_map(maps->frames, ad_frames_key_size(maps),
				sizeof(struct ad_frame), on_frame, c);
	return e;
}

/* What a snapshot holds before its records: who, and when. */
static void snap_start(struct ad_observer *obs, struct ad_snapshot *s,
		       const struct ad_census_proc *p, uint64_t procs_full)
{
	memset(s, 0, sizeof(*s));
	s->pid = p->pid;
	s->proc = p->proc;
	s->procs_full = procs_full;
	ad_proc_comm(p->pid, s->comm, sizeof(s->comm));
	ad_obs_read_coverage(obs, (pid_t)p->pid, &s->started_ns,
			     &s->attached_ns);
	s->now_ns = (uint64_t)ad_clock_ns(CLOCK_MONOTONIC);
	s->mono_to_wall_ns = ad_clock_ns(CLOCK_REALTIME) - (int64_t)s->now_ns;
}

int ad_census_read(struct ad_observer *obs, const struct ad_census_proc *procs,
		   size_t n, struct ad_snapshot *snaps, bool *gone)
{
	uint64_t procs_full = ad_observer_global(obs, AD_GLOBAL_PROCS_FULL);
	size_t *caps = calloc(2 * (n ? n : 1), sizeof(*caps));
	struct census all = {.procs = procs,
			     .snaps = snaps,
			     .n = n,
			     .shared = true,
			     .ctasks = caps,
			     .cframes = caps + n};
	bool any_shared = false;
	int e = 0;

	for (size_t i = 0; i < n; i++) {
		memset(&snaps[i], 0, sizeof(snaps[i]));
		gone[i] = false;
	}
	if (!caps)
		return -ENOMEM;
	for (size_t i = 0; i < n && !e; i++) {
		const struct ad_census_proc *p = &procs[i];
		struct census one = {.procs = p,
				     .snaps = &snaps[i],
				     .n = 1,
				     .ctasks = &caps[i],
				     .cframes = &caps[n + i]};
		struct ad_mapset maps[AD_LOCATIONS];
		uint32_t ids[AD_LOCATIONS];
		int nsets;

		snap_start(obs, &snaps[i], p, procs_full);
		any_shared |= in_shared(&p->proc);
		nsets = ad_obs_proc_sets(obs, p->pid, &p->proc, maps, ids);
		if (nsets < 0) {
			gone[i] = true; /* exited meanwhile: its maps went */
			continue;
		}
		/* Its own sets here; the shared maps once for all below. */
		for (int k = 0; k < nsets && !e; k++)
			if (ids[k] != AD_SLOT_SHARED)
				e = read_set(&one, &maps[k]);
	}
	if (!e && any_shared) {
		struct ad_mapset maps = ad_obs_shared_maps(obs);

		e = read_set(&all, &maps);
	}
	for (size_t i = 0; !e && i < n; i++)
		if (!gone[i])
			ad_snapshot_settle_since(&snaps[i]);
	free(caps);
	return e;
}
