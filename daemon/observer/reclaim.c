// SPDX-License-Identifier: BSD-2-Clause
/*
 * reclaim.c - reclaiming records the probes cannot delete themselves
 * (reclaim.h), and the events that start it.
 *
 * A process with its own maps (a slot) is reclaimed whole when it exits:
 * the daemon drops its maps (slots.c) and the kernel frees them,
 * however many records they hold. What is left to sweep:
 *   - in a slot's maps: frames of exited tasks (TASK_EXIT leaves them:
 *     BPF has no index of a task's frames) and strings whose owner went
 *     while the string was being copied;
 *   - in the shared maps (processes that found no ready slot): the same,
 *     plus the records of exited processes and older incarnations.
 *
 * A sweep goes through map sets, the shared one first and then (periodic
 * sweeps) each slot in use. For each it judges the tasks, frames and
 * strings map in turn, walking them in batches, then deletes what it
 * judged dead. A delete must be of the record that was judged: ids and
 * PIDs are reused, and a probe may re-create a key between the judgement
 * and the delete, so each record is checked again first (delete_judged).
 * Walks and deletes run in slices between the daemon's other work: a
 * sweep over a million records must not hold up dumps.
 */
#include "observer/reclaim.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "asyncdump.skel.h"
#include "core/idtab.h"
#include "core/clock.h"
#include "core/grow.h"
#include "observer/records.h"
#include "observer/slots.h"
#include "observer/store.h"
#include "observer/walk.h"

/* What a sweep judges. */
enum ad_sweep_mode {
	/* the shared maps' records whose process is gone or is another
	 * incarnation (a process in the shared maps exited) */
	AD_SWEEP_DEAD_PROCS = 0,
	/* also frames whose task is gone, in every map set (periodic) */
	AD_SWEEP_ALL = 1,
};

/* A sweep's phases, per map set: judging each map in turn (tasks before
 * frames, which are judged against the live tasks, strings last, judged
 * against their owners), then deleting in the same order (owners before
 * what they own). */
enum {
	PHASE_IDLE = -1,
	PHASE_TASKS,
	PHASE_FRAMES,
	PHASE_STRINGS,
	PHASE_DELETE
};

enum { DOOM_TASK, DOOM_FRAME, DOOM_STRING };

/* The sweep under way: the map sets it covers, and per set a judging
 * walk over tasks, frames and strings, then the deletes. */
struct ad_doomed {
	struct ad_key key;
	uint64_t gen;  /* frame enter_ns, task spawn_ns; 0 for strings */
	uint64_t task; /* frame: its task's id, task_gen and tasks map kind
			* (MOVE changes them) */
	uint64_t task_gen;
	uint32_t task_kind;
	uint32_t pgen;
	uint32_t kind; /* task, frame or string */
};

struct ad_reclaim {
	int want;	    /* enum ad_sweep_mode asked for next, -1 for none */
	int phase;	    /* idle, judging a map, deleting */
	int mode;	    /* enum ad_sweep_mode of the sweep under way */
	unsigned int nfull; /* full sweeps started, for deep ones */
	bool deep;	    /* this one judges every slot */
	uint64_t set_exits, set_tasks_full; /* the owner's, when judged */
	uint32_t set; /* the map set being judged: 0 shared, else slot */
	uint32_t set_pid, set_pgen; /* its owner (slots) */
	struct ad_mapset maps;	    /* its fds */
	struct ad_walk walk;	    /* the judging walk */
	struct ad_idtab live;	    /* live tasks, and owners of copied
				     * strings, seen by this set's walks */
	struct ad_doomed *del;
	size_t ndel, cdel, next;
	uint64_t now_ns; /* CLOCK_MONOTONIC when the sweep began */
	struct ad_reclaim_stats st;
};

/* Entries per batch of a judging walk: small enough that a slice can end
 * between two batches (one batch takes well under a slice). */
#define AD_JUDGE_BATCH 2048u

/* Every this many periodic sweeps (a minute, server.h), one judges every
 * process's maps, not only those whose task_exits changed: it finds the
 * strings left by a rare race (an owner exited while its string was being
 * copied), which no counter tells of. */
#define AD_DEEP_SWEEP_EVERY 12u

/* Keys of rq->live: a live task is stored under its own key (val =
 * spawn_ns, aux = pgen); an owner of a copied string under its key with
 * this bit in kind. */
#define AD_OWNER_KIND_BIT 0x100u

static int procs_fd(struct ad_observer *obs)
{
	return bpf_map__fd(obs->skel->maps.procs);
}

/* The current incarnation of pid, or 0 if it has none. */
static uint32_t current_pgen(struct ad_observer *obs, uint32_t pid)
{
	struct ad_proc p;

	return bpf_map_lookup_elem(procs_fd(obs), &pid, &p) ? 0 : p.pgen;
}

/* Is a record of (pid, pgen) in the set being swept from a process
 * incarnation that is still there? A slot holds one incarnation's
 * records; the shared maps anyone's. */
static bool proc_live(struct ad_observer *obs, uint32_t pid, uint32_t pgen)
{
	const struct ad_reclaim *rq = obs->rq;

	if (rq->set != AD_SLOT_SHARED)
		return pid == rq->set_pid && pgen == rq->set_pgen;
	return pgen && current_pgen(obs, pid) == pgen;
}

/* Is map value f, found under d's key, the frame judged? Its incarnation
 * is in that key (the shared map's) or the set's (a slot's). */
static bool same_frame(const struct ad_doomed *d, const struct ad_frame *f)
{
	return f->enter_ns == d->gen && f->task == d->task &&
	       f->task_gen == d->task_gen &&
	       ad_frame_task_kind(ad_frame_flags(f)) == d->task_kind;
}

static bool same_task(const struct ad_doomed *d, const struct ad_task *t)
{
	return t->pgen == d->pgen && t->spawn_ns == d->gen;
}

static int doom(struct ad_reclaim *rq, const struct ad_doomed *d)
{
	struct ad_doomed *p =
		ad_grow(rq->del, &rq->cdel, rq->ndel, sizeof(*p), 1024);

	if (!p)
		return -ENOMEM;
	rq->del = p;
	rq->del[rq->ndel++] = *d;
	return 0;
}

/* ad_entry_fn of the tasks walk. */
static int judge_task(void *ctx, const void *k, const void *v)
{
	struct ad_observer *obs = ctx;
	struct ad_reclaim *rq = obs->rq;
	const struct ad_key *key = k;
	struct ad_task t;
	struct ad_key owner = *key;

	memcpy(&t, v, sizeof(t));
	if (!proc_live(obs, key->pid, t.pgen))
		return doom(rq, &(struct ad_doomed){.key = *key,
						    .gen = t.spawn_ns,
						    .pgen = t.pgen,
						    .kind = DOOM_TASK});
	if (rq->mode == AD_SWEEP_ALL &&
	    ad_idtab_put(&rq->live, key, t.spawn_ns, t.pgen))
		return -ENOMEM;
	owner.kind |= AD_OWNER_KIND_BIT;
	if ((t.flags & AD_TF_NAME_COPIED) &&
	    ad_idtab_put(&rq->live, &owner, t.spawn_ns, t.pgen))
		return -ENOMEM;
	return 0;
}

/* Is the frame's task in another of its process's map sets (a process
 * that moved to a slot of its own or grew into a big one keeps records in
 * each, and a frame's task may be in an older set or a newer one)?
 * Remembered as live if so: the other frames of that task then cost no
 * lookup. */
static bool task_elsewhere(struct ad_observer *obs, const struct ad_key *tk,
			   const struct ad_frame_rec *f)
{
	struct ad_mapset sets[AD_LOCATIONS];
	struct ad_proc p;
	struct ad_task t;
	int n;

	if (bpf_map_lookup_elem(procs_fd(obs), &tk->pid, &p) ||
	    p.pgen != f->pgen)
		return false;
	n = ad_obs_proc_sets(obs, (pid_t)tk->pid, &p, sets, NULL);
	for (int i = 0; i < n; i++) {
		if (sets[i].tasks == obs->rq->maps.tasks ||
		    bpf_map_lookup_elem(sets[i].tasks, tk, &t) ||
		    t.pgen != f->pgen)
			continue;
		if (t.spawn_ns != f->task_gen)
			return false;
		/* On failure the next frame of it looks it up again. */
		(void)ad_idtab_put(&obs->rq->live, tk, t.spawn_ns, t.pgen);
		return true;
	}
	return false;
}

/* Is the frame's task (kind, id and generation) live? Looked up in the
 * tasks walked, else on its own: it may have been spawned after the
 * walk. */
static bool task_live(struct ad_observer *obs, const struct ad_key *fkey,
		      const struct ad_frame_rec *f)
{
	struct ad_key tk = {.pid = fkey->pid,
			    .kind = ad_frame_task_kind(f->flags),
			    .id = f->task};
	const struct ad_idtab_ent *e = ad_idtab_get(&obs->rq->live, &tk);
	struct ad_task t;

	if (e && e->val == f->task_gen && e->aux == f->pgen)
		return true;
	if (bpf_map_lookup_elem(obs->rq->maps.tasks, &tk, &t) == 0)
		return t.spawn_ns == f->task_gen && t.pgen == f->pgen;
	return task_elsewhere(obs, &tk, f);
}

/* ad_entry_fn of the frames walk. Ids are reused: a frame of an exited
 * or re-spawned task is dead even when its id is not. A task is always
 * recorded before its frames, so a frame whose task is missing now has
 * lost it. */
static int judge_frame(void *ctx, const void *k, const void *v)
{
	struct ad_observer *obs = ctx;
	struct ad_reclaim *rq = obs->rq;
	struct ad_frame_rec f;
	struct ad_key key, owner;

	ad_frame_entry(&rq->maps, rq->set_pid, rq->set_pgen, k, v, &key, &f);
	owner = key;
	if (!proc_live(obs, key.pid, f.pgen) ||
	    (rq->mode == AD_SWEEP_ALL && !task_live(obs, &key, &f)))
		return doom(rq,
			    &(struct ad_doomed){
				    .key = key,
				    .gen = f.enter_ns,
				    .task = f.task,
				    .task_gen = f.task_gen,
				    .task_kind = ad_frame_task_kind(f.flags),
				    .pgen = f.pgen,
				    .kind = DOOM_FRAME});
	owner.kind |= AD_OWNER_KIND_BIT;
	if ((f.flags & AD_FF_LABEL_COPIED) &&
	    ad_idtab_put(&rq->live, &owner, f.enter_ns, f.pgen))
		return -ENOMEM;
	return 0;
}

/* A string lives as long as its owner record, which BPF stores first: it
 * is dead when its owner is gone or of another incarnation, or (once past
 * the grace period: the copy may still be under way) does not claim a
 * copied string. Judged from the owners the walks saw, else by looking
 * the owner up now; and always by looking it up just before a delete. */
static bool string_dead(struct ad_observer *obs, const struct ad_key *key,
			bool lookup_only)
{
	struct ad_reclaim *rq = obs->rq;
	struct ad_key owner = *key;
	uint64_t born;
	bool copied;
	union {
		struct ad_frame f;
		struct ad_task t;
	} o;
	struct ad_shared_key fk;
	uint32_t pgen;

	owner.kind |= AD_OWNER_KIND_BIT;
	if (!lookup_only && ad_idtab_get(&rq->live, &owner))
		return false;
	if (key->kind == AD_KIND_FRAME) {
		/* Its owner: a frame of the live incarnation of the pid (a
		 * string's key does not say which incarnation copied it): the
		 * slot's owner, or in the shared maps the pid's current one. */
		if (rq->set != AD_SLOT_SHARED)
			pgen = key->pid == rq->set_pid ? rq->set_pgen : 0;
		else
			pgen = current_pgen(obs, key->pid);
		if (!pgen ||
		    bpf_map_lookup_elem(
			    rq->maps.frames,
			    ad_frame_map_key(&rq->maps, key, pgen, &fk), &o.f))
			return true;
		copied = ad_frame_flags(&o.f) & AD_FF_LABEL_COPIED;
		born = o.f.enter_ns;
	} else {
		if (bpf_map_lookup_elem(rq->maps.tasks, key, &o.t) ||
		    !proc_live(obs, key->pid, o.t.pgen))
			return true;
		copied = o.t.flags & AD_TF_NAME_COPIED;
		born = o.t.spawn_ns;
	}
	return !copied && born + AD_STRING_GRACE_NS < rq->now_ns;
}

static int judge_string(void *ctx, const void *k, const void *v)
{
	struct ad_observer *obs = ctx;
	const struct ad_key *key = k;

	(void)v;
	if (!string_dead(obs, key, false))
		return 0;
	return doom(obs->rq,
		    &(struct ad_doomed){.key = *key, .kind = DOOM_STRING});
}

/* Deletes one record judged dead if it still is that record: a key
 * re-created since (same id, new frame or task) is left for the next
 * sweep to judge. The check and the delete are two syscalls, so the
 * delete returns the record it removed and one re-created in between is
 * put back (NOEXIST: unless the probe has written the key again
 * meanwhile). Returns 1 if deleted. */
static int delete_judged(struct ad_observer *obs, const struct ad_doomed *d)
{
	const struct ad_mapset *m = &obs->rq->maps;
	int fd = d->kind == DOOM_TASK ? m->tasks : m->frames;
	union {
		struct ad_frame f;
		struct ad_task t;
	} v;
	struct ad_shared_key fk;
	const void *key = d->kind == DOOM_FRAME
				  ? ad_frame_map_key(m, &d->key, d->pgen, &fk)
				  : (const void *)&d->key;
	bool same;

	if (d->kind == DOOM_STRING) {
		/* Strings carry no generation: judge the owner again, now. */
		if (!string_dead(obs, &d->key, true))
			return 0;
		return bpf_map_delete_elem(m->strings, &d->key) == 0;
	}
	if (bpf_map_lookup_elem(fd, key, &v))
		return 0; /* gone already */
	if (d->kind == DOOM_FRAME ? !same_frame(d, &v.f) : !same_task(d, &v.t))
		return 0;
	if (bpf_map_lookup_and_delete_elem(fd, key, &v)) {
		/* Kernels before 5.14 cannot do this on a hash map: fall back
		 * to the plain delete rather than never reclaim. */
		if (errno == ENOENT)
			return 0;
		return bpf_map_delete_elem(fd, key) == 0;
	}
	same = d->kind == DOOM_FRAME ? same_frame(d, &v.f) : same_task(d, &v.t);
	if (!same) {
		bpf_map_update_elem(fd, key, &v, BPF_NOEXIST);
		return 0;
	}
	/* A frame's or task's copied string goes with it. */
	if (d->kind == DOOM_FRAME ? (ad_frame_flags(&v.f) & AD_FF_LABEL_COPIED)
				  : (v.t.flags & AD_TF_NAME_COPIED))
		bpf_map_delete_elem(m->strings, &d->key);
	return 1;
}

/* ---- the sweep's state machine ---------------------------------------- */

static void set_done(struct ad_reclaim *rq)
{
	ad_walk_close(&rq->walk);
	ad_idtab_clear(&rq->live);
	rq->ndel = rq->next = 0;
}

static void sweep_drop(struct ad_reclaim *rq)
{
	set_done(rq);
	rq->phase = PHASE_IDLE;
	/* The next sweep judges afresh: shrink a queue a million records
	 * long rather than keep it for good. */
	if (rq->cdel > 4096) {
		free(rq->del);
		rq->del = NULL;
		rq->cdel = 0;
	}
}

static int walk_open(struct ad_observer *obs)
{
	struct ad_reclaim *rq = obs->rq;
	const struct ad_mapset *m = &rq->maps;

	switch (rq->phase) {
	case PHASE_TASKS:
		return ad_walk_open(&rq->walk, m->tasks, sizeof(struct ad_key),
				    sizeof(struct ad_task), AD_JUDGE_BATCH);
	case PHASE_FRAMES:
		return ad_walk_open(&rq->walk, m->frames, ad_frames_key_size(m),
				    sizeof(struct ad_frame), AD_JUDGE_BATCH);
	default:
		return ad_walk_open(&rq->walk, m->strings,
				    sizeof(struct ad_key), obs->label_max,
				    AD_JUDGE_BATCH);
	}
}

/* Does the periodic sweep judge this slot's maps? Only if its owner
 * deleted a task record (or lost one to a full map, which leaves frames
 * with no task) since they were last judged, or the sweep is a deep one:
 * a process holding a million frames is not walked every few seconds for
 * nothing. Notes the owner's counts as of now in rq. */
static bool slot_due(struct ad_observer *obs, const struct ad_slot *sl)
{
	struct ad_reclaim *rq = obs->rq;
	struct ad_proc p;

	if (bpf_map_lookup_elem(procs_fd(obs), &sl->pid, &p) ||
	    p.pgen != sl->pgen)
		return false; /* gone: its exit event drops the maps */
	rq->set_exits = p.task_exits;
	rq->set_tasks_full = p.lost[AD_LOST_TASKS_FULL];
	return rq->deep || !sl->swept || sl->swept_exits != p.task_exits ||
	       sl->swept_tasks_full != p.lost[AD_LOST_TASKS_FULL];
}

/* Moves to the next map set at or after `from` (the shared one is 0;
 * a periodic sweep goes on to each slot in use that is due). Returns
 * false when there is none left. */
static bool set_next(struct ad_observer *obs, uint32_t from)
{
	struct ad_reclaim *rq = obs->rq;

	set_done(rq);
	for (uint32_t s = from; s <= obs->nslots + obs->nbig; s++) {
		const struct ad_slot *sl = &obs->slots[s];

		if (s == AD_SLOT_SHARED) {
			rq->maps = ad_obs_shared_maps(obs);
			rq->set_pid = rq->set_pgen = 0;
		} else if (rq->mode != AD_SWEEP_ALL) {
			return false;
		} else if (sl->state != AD_SLOT_OWNED || !slot_due(obs, sl)) {
			continue;
		} else {
			rq->maps = sl->maps;
			rq->set_pid = sl->pid;
			rq->set_pgen = sl->pgen;
			rq->st.slots_judged++;
		}
		rq->set = s;
		rq->phase = PHASE_TASKS;
		return true;
	}
	return false;
}

/* The set's records are judged and the dead ones deleted: a slot remembers
 * its owner's counts as they were when judging began. */
static void set_finished(struct ad_observer *obs)
{
	struct ad_reclaim *rq = obs->rq;
	struct ad_slot *sl = &obs->slots[rq->set];

	if (rq->set == AD_SLOT_SHARED || sl->state != AD_SLOT_OWNED ||
	    sl->pid != rq->set_pid || sl->pgen != rq->set_pgen)
		return;
	sl->swept = true;
	sl->swept_exits = rq->set_exits;
	sl->swept_tasks_full = rq->set_tasks_full;
}

/* Is the set being swept still there? A slot is dropped when its process
 * exits (an event read between two slices); its fds are closed then. */
static bool set_valid(struct ad_observer *obs)
{
	struct ad_reclaim *rq = obs->rq;
	struct ad_mapset m;

	if (rq->set == AD_SLOT_SHARED)
		return true;
	return ad_obs_slot_maps(obs, rq->set, rq->set_pid, rq->set_pgen, &m) &&
	       m.frames == rq->maps.frames;
}

static int sweep_start(struct ad_observer *obs)
{
	struct ad_reclaim *rq = obs->rq;

	rq->mode = rq->want;
	rq->want = -1;
	rq->now_ns = ad_mono_ns();
	memset(&rq->st, 0, sizeof(rq->st));
	rq->st.full = rq->mode == AD_SWEEP_ALL;
	rq->deep = false;
	if (rq->mode == AD_SWEEP_ALL) {
		rq->deep = rq->nfull++ % AD_DEEP_SWEEP_EVERY == 0;
		/* Slots whose events were lost to a full ring (none usually). */
		rq->st.slots_released = (size_t)ad_obs_slots_check(obs);
	}
	set_next(obs, AD_SLOT_SHARED);
	return walk_open(obs);
}

/* One batch of the walk being judged; at its end, on to the next map. */
static int judge_step(struct ad_observer *obs)
{
	static const ad_entry_fn judge[] = {
		[PHASE_TASKS] = judge_task,
		[PHASE_FRAMES] = judge_frame,
		[PHASE_STRINGS] = judge_string,
	};
	struct ad_reclaim *rq = obs->rq;
	size_t before = rq->ndel;
	int e = ad_walk_step(&rq->walk, judge[rq->phase], obs);

	rq->st.judged += rq->ndel - before;
	if (e != 0)
		return e < 0 ? e : 0;
	ad_walk_close(&rq->walk);
	rq->phase++;
	if (rq->phase == PHASE_DELETE)
		return 0;
	return walk_open(obs);
}

/* Deletes queued records until `until` (CLOCK_MONOTONIC ns). Returns true
 * when the queue is done. */
static bool delete_some(struct ad_observer *obs, uint64_t until)
{
	struct ad_reclaim *rq = obs->rq;

	while (rq->next < rq->ndel) {
		rq->st.deleted +=
			(size_t)delete_judged(obs, &rq->del[rq->next++]);
		/* The clock every 64 records: a delete is a few µs. */
		if ((rq->next & 63) == 0 && ad_mono_ns() >= until)
			break;
	}
	return rq->next >= rq->ndel;
}

enum ad_reclaim_need ad_observer_reclaim_pending(const struct ad_observer *obs)
{
	const struct ad_reclaim *rq = obs->rq;

	/* An exit sweep is urgent even while it waits for a periodic one to
	 * finish: it runs next. */
	if (rq->want == AD_SWEEP_DEAD_PROCS ||
	    (rq->phase != PHASE_IDLE && !rq->st.full) ||
	    (rq->phase == PHASE_DELETE && rq->next < rq->ndel))
		return AD_RECLAIM_URGENT;
	if (rq->want >= 0 || rq->phase != PHASE_IDLE)
		return AD_RECLAIM_BACKGROUND;
	return AD_RECLAIM_NONE;
}

int ad_observer_reclaim(struct ad_observer *obs, uint64_t budget_ns,
			struct ad_reclaim_stats *done)
{
	struct ad_reclaim *rq = obs->rq;
	uint64_t t0 = ad_mono_ns(), until = t0 + budget_ns, t;
	int e = 0;

	if (rq->phase == PHASE_IDLE) {
		if (rq->want < 0)
			return 0;
		e = sweep_start(obs);
	}
	while (!e) {
		if (!set_valid(obs)) {
			/* its process exited: its maps went with it */
			if (!set_next(obs, rq->set + 1))
				break;
			e = walk_open(obs);
			continue;
		}
		if (rq->phase < PHASE_DELETE) {
			e = judge_step(obs);
			t = ad_mono_ns();
			rq->st.judge_ns += t - t0;
		} else {
			bool finished = delete_some(obs, until);

			t = ad_mono_ns();
			rq->st.delete_ns += t - t0;
			if (finished) {
				set_finished(obs);
				if (!set_next(obs, rq->set + 1))
					break;
				e = walk_open(obs);
			}
		}
		t0 = t;
		if (!e && t >= until)
			return 0;
	}
	if (e) {
		sweep_drop(rq);
		return e;
	}
	if (done)
		*done = rq->st;
	sweep_drop(rq);
	return 1;
}

void ad_observer_gc(struct ad_observer *obs)
{
	obs->rq->want = AD_SWEEP_ALL; /* covers an exit sweep asked for too */
}

int ad_observer_events_fd(struct ad_observer *obs)
{
	return ring_buffer__epoll_fd(obs->rb);
}

/* Tells on_proc of a process that grew into a big slot, or moved out of
 * the shared maps, as its SLOT_TAKEN event says. BPF names the slot in
 * the process record before it sends the event; a slot no record names
 * (a thread that lost a race took it) is no news. */
static void note_slot(struct ad_observer *obs, const struct ad_event *ev)
{
	struct ad_proc p;

	if (!obs->on_proc ||
	    bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.procs), &ev->pid,
				&p) ||
	    p.pgen != ev->pgen)
		return;
	if (p.big == ev->slot)
		obs->on_proc(obs->on_proc_ctx, ev->pid, AD_NOTE_GREW);
	else if (p.slot == ev->slot && (p.flags & AD_PF_SHARED))
		obs->on_proc(obs->on_proc_ctx, ev->pid, AD_NOTE_MOVED);
	else if (p.slot == ev->slot)
		obs->on_proc(obs->on_proc_ctx, ev->pid, AD_NOTE_OBSERVED);
}

/* A process with a slot is reclaimed here and now: its maps are dropped.
 * One in the shared maps needs a sweep of them: an exited incarnation's
 * records there are exactly those whose process record is gone or newer,
 * found for every pid in the same walk, so the event only says that a
 * sweep is due; one lost to a full ring is found by the next sweep, or
 * the periodic one. */
int ad_obs_handle_event(void *ctx, void *data, size_t size)
{
	struct ad_observer *obs = ctx;
	struct ad_event ev;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	switch (ev.type) {
	case AD_EV_SLOT_TAKEN:
		ad_obs_slot_taken(obs, ev.slot, ev.pid, ev.pgen);
		note_slot(obs, &ev);
		break;
	case AD_EV_PROC_GONE:
		/* Told first: its maps are still there to count. */
		if (obs->on_proc)
			obs->on_proc(obs->on_proc_ctx, ev.pid, AD_NOTE_EXITED);
		if (ev.slot != AD_SLOT_SHARED)
			ad_obs_slot_gone(obs, ev.slot, ev.pid, ev.pgen);
		if (ev.big)
			ad_obs_slot_gone(obs, ev.big, ev.pid, ev.pgen);
		if ((ev.slot == AD_SLOT_SHARED || (ev.flags & AD_PF_SHARED)) &&
		    obs->rq->want < 0)
			obs->rq->want = AD_SWEEP_DEAD_PROCS;
		break;
	case AD_EV_PROC_REFUSED:
		if (obs->on_proc)
			obs->on_proc(obs->on_proc_ctx, ev.pid, AD_NOTE_REFUSED);
		break;
	default:
		break;
	}
	return 0;
}

int ad_observer_handle_events(struct ad_observer *obs)
{
	int e = ring_buffer__consume(obs->rb);

	return e < 0 ? e : 0;
}

int ad_obs_reclaim_init(struct ad_observer *obs)
{
	struct ad_reclaim *rq = calloc(1, sizeof(*rq));

	if (!rq)
		return -ENOMEM;
	rq->want = -1;
	rq->phase = PHASE_IDLE;
	rq->walk.fd = -1;
	ad_idtab_init(&rq->live);
	obs->rq = rq;
	return 0;
}

void ad_obs_reclaim_fini(struct ad_observer *obs)
{
	if (!obs->rq)
		return;
	ad_walk_close(&obs->rq->walk);
	ad_idtab_free(&obs->rq->live);
	free(obs->rq->del);
	free(obs->rq);
	obs->rq = NULL;
}
