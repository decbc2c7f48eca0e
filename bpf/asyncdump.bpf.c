// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * asyncdump.bpf.c - the task and frame store.
 *
 * One USDT program per asyncdump probe keeps every live task and frame of
 * every observed process in hash maps keyed by (tgid, kind, id): each
 * process's own maps (its slot), or the shared ones when it got no slot
 * (include/asyncdump_abi.h, "Where records live"); two tracepoint programs
 * notice thread exit, process exit and exec so that the daemon can reclaim
 * what is left. The contract is the comment block of usdt/asyncdump.h; map
 * layouts are include/asyncdump_abi.h.
 *
 * Generations make reused ids and PIDs harmless: a process incarnation gets
 * a fresh pgen at its first probe hit (stored in every record), a task is
 * matched by id and spawn_ns, a frame by id and enter_ns.
 *
 * Hot paths (enter, exit) do a handful of map operations, no loops and
 * touch no machine-wide counter; losses are counted per process.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "usdt_args.bpf.h"

#include "kernel_types.h"
#include "../include/asyncdump_abi.h"
#include "maps.bpf.h"

#ifndef E2BIG
#define E2BIG 7
#endif
#ifndef EEXIST
#define EEXIST 17
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Bytes kept of a _DYN string, NUL included. Set by the loader in .rodata
 * (equal to the value size of `strings` and `zeros`), so the verifier
 * sees a constant bound. */
const volatile __u32 label_max = AD_DEFAULT_LABEL_MAX;
/* A process's share of the shared maps (asyncdump_abi.h, "Where records
 * live"), set by the loader. */
const volatile __u32 shared_frames_share = AD_SHARED_FRAMES_SHARE;
const volatile __u32 shared_tasks_share = AD_SHARED_TASKS_SHARE;
/* The pool beyond the shares (0: none). */
const volatile __u32 shared_frames_pool;
const volatile __u32 shared_tasks_pool;

/* What every probe handler starts from. */
struct ad_ctx {
	struct ad_thread *thr; /* this thread's state; NULL if it could not
				* be created (counted as threads_full) */
	__u64 now;	       /* bpf_ktime_get_ns(), 0 where not needed */
	__u32 tgid;
	__u32 tid;
	__u32 pgen; /* this process incarnation's generation */
	/* The map sets its records are in, newest first: its big slot, its
	 * own slot, the shared maps (asyncdump_abi.h, "Where records live"),
	 * as far as this thread knows (struct ad_thread). New records go to
	 * loc[0]. */
	__u32 loc[AD_LOCATIONS];
	__u32 nloc;
	__u32 stored; /* the set task_store() stored a record in */
};

/* The error of a map update, as an int. Before Linux 6.4 the verifier
 * turns the helper call into a direct call of the map's own update
 * function, which returns an int: the upper half of the 64-bit result is
 * zero there, so -EEXIST read as a long is 4294967279 (seen on Debian
 * 12's 6.1: a thread losing the race to create its process record was
 * counted as procs_full). Compared as an int it is -EEXIST everywhere. */
static __always_inline int map_update(void *map, const void *key,
				      const void *value, __u64 flags)
{
	return (int)bpf_map_update_elem(map, key, value, flags);
}

static __always_inline void global_inc(__u32 which)
{
	__u64 *g = bpf_map_lookup_elem(&globals, &which);

	if (g)
		__sync_fetch_and_add(g, 1);
}

/* Counts a loss in the process record. Losses are rare, so the hot paths
 * do not keep the record at hand: it is looked up here, and only counted
 * if it is still this incarnation's. A global function (scalar arguments):
 * the verifier checks it once, not at each of its many calls. Returns 0. */
__noinline int ad_lost(__u32 tgid, __u32 pgen, __u32 which)
{
	struct ad_proc *proc = bpf_map_lookup_elem(&procs, &tgid);

	if (proc && proc->pgen == pgen && which < AD_LOST_COUNT)
		__sync_fetch_and_add(&proc->lost[which], 1);
	return 0;
}

#define AD_LOST(c, which) ad_lost((c)->tgid, (c)->pgen, (which))

static __always_inline void event_out(__u32 type, __u32 pid, __u32 pgen,
				      __u32 slot, __u32 big, __u32 flags)
{
	struct ad_event ev = {.type = type,
			      .pid = pid,
			      .pgen = pgen,
			      .slot = slot,
			      .big = big,
			      .flags = flags};

	/* A full ring only delays the daemon: its periodic sweep finds
	 * exited owners and taken slots by itself (slot_owner). */
	bpf_ringbuf_output(&events, &ev, sizeof(ev), 0);
}

static __always_inline struct ad_ready *ready_table(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ready_slots, &zero);
}

/* Takes the slot at the head of a ring (asyncdump_abi.h, struct
 * ad_ready); 0 if the ring is empty, or other threads kept winning the
 * race for its head. */
static __always_inline __u32 ring_take(__u32 *ring, __u32 mask, __u32 *head,
				       __u32 *tail)
{
#pragma unroll
	for (int i = 0; i < 3; i++) {
		__u32 h = *(volatile __u32 *)head;

		if (h == *(volatile __u32 *)tail)
			return 0;
		if (__sync_val_compare_and_swap(head, h, h + 1) == h)
			return __sync_lock_test_and_set(&ring[h & mask], 0);
	}
	return 0;
}

/* Is a small slot ready? */
static __always_inline bool slot_ready(struct ad_ready *r)
{
	return *(volatile __u32 *)&r->head != *(volatile __u32 *)&r->tail;
}

/* A ready small slot, 0 if none. Only a process's first probe hit, or one
 * in the shared maps when slot_ready(), comes here. */
static __always_inline __u32 slot_take(void)
{
	struct ad_ready *r = ready_table();

	return r ? ring_take(r->slot, AD_READY_RING - 1, &r->head, &r->tail)
		 : 0;
}

/* A ready big slot, 0 if none. */
static __always_inline __u32 big_take(void)
{
	struct ad_ready *r = ready_table();

	return r ? ring_take(r->big, AD_READY_BIG_RING - 1, &r->big_head,
			     &r->big_tail)
		 : 0;
}

/* Notes a slot as taken by (tgid, pgen), before the process record says
 * so: the daemon never takes back a slot whose owner it cannot judge yet
 * (daemon/observer/slots.c). */
static __always_inline void owner_set(__u32 slot, __u32 tgid, __u32 pgen,
				      __u64 now)
{
	struct ad_slot_owner owner = {
		.pid = tgid, .pgen = pgen, .taken_ns = now};

	bpf_map_update_elem(&slot_owner, &slot, &owner, BPF_ANY);
}

/* A probe hit of a process that could not be given a process record (the
 * procs map is full): counted in its refused entry, which its first
 * refusal creates and announces (asyncdump_abi.h, struct ad_refused). Runs
 * at every event of such a process (each retries proc_create): after the
 * first, one lookup and one add. Its threads keep a zeroed state (pgen 0),
 * which claims no incarnation. Called by ctx_first, not proc_create: one
 * call deeper, the combined stack of the _DYN programs would pass 512
 * bytes (refused by Linux 6.1). */
static __noinline void proc_refused(__u32 tgid)
{
	struct ad_refused *r = bpf_map_lookup_elem(&refused, &tgid);
	struct ad_refused nr = {};
	struct task_struct *task;

	if (!r) {
		task = bpf_get_current_task_btf();
		nr.start_boottime =
			BPF_CORE_READ(task, group_leader, start_boottime);
		nr.first_ns = bpf_ktime_get_ns();
		nr.dropped = 1;
		nr.reason = AD_REFUSED_PROCS_FULL;
		if (!map_update(&refused, &tgid, &nr, BPF_NOEXIST)) {
			event_out(AD_EV_PROC_REFUSED, tgid, 0, 0, 0, 0);
			return;
		}
		r = bpf_map_lookup_elem(&refused, &tgid); /* lost the race */
		if (!r)
			return;
	}
	__sync_fetch_and_add(&r->dropped, 1);
}

/* Forgets a refused process that exits or execs, so that a later process
 * with its pid is not taken for it. */
static __always_inline void refused_forget(__u32 tgid)
{
	if (bpf_map_lookup_elem(&refused, &tgid))
		bpf_map_delete_elem(&refused, &tgid);
}

/* First probe hit of a process incarnation: a new pgen, never 0, and a
 * slot (its own maps) if the daemon has one ready, else the shared maps.
 * Two threads may race here; BPF_NOEXIST makes one win and the other
 * adopt its record (wasting one pgen, which is harmless). The loser's slot
 * goes to the winner if the winner found none, else back to the daemon.
 * Uses only map types every program may use, sleepable ones
 * included (Linux 6.1 refuses a queue map there). */
/* Has the calling process been forked and not exec'd since (AD_PF_FORKED)?
 * An exec increments the group leader's self_exec_id, which the fork
 * copied from the parent's, as it did into parent_exec_id. */
static __always_inline bool forked_unexeced(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return BPF_CORE_READ(task, group_leader, self_exec_id) ==
	       BPF_CORE_READ(task, group_leader, parent_exec_id);
}

static __noinline struct ad_proc *proc_create(__u32 tgid)
{
	__u32 which = AD_GLOBAL_PGEN;
	struct ad_proc np = {}, *p;
	__u32 slot;
	__u64 *g;
	int err;

	g = bpf_map_lookup_elem(&globals, &which);
	if (!g)
		return NULL;
	np.pgen = (__u32)(__sync_fetch_and_add(g, 1) + 1);
	if (np.pgen == 0) /* wrapped */
		np.pgen = (__u32)(__sync_fetch_and_add(g, 1) + 1);
	np.observed_since_ns = bpf_ktime_get_ns();
	if (forked_unexeced())
		np.flags = AD_PF_FORKED;
	slot = slot_take();
	np.slot = slot;
	if (slot)
		owner_set(slot, tgid, np.pgen, np.observed_since_ns);
	else
		np.flags |= AD_PF_SHARED;
	err = map_update(&procs, &tgid, &np, BPF_NOEXIST);
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (err == -EEXIST && slot && p && !*(volatile __u32 *)&p->slot) {
		/* Lost the race to a thread that found the ring empty: the
		 * process moves to this slot, as ad_share_take() would move
		 * it at its next record (its records so far stay in the
		 * shared maps, AD_PF_SHARED). */
		np.pgen = p->pgen;
		owner_set(slot, tgid, np.pgen, np.observed_since_ns);
		__sync_val_compare_and_swap(&p->slot, 0, slot);
	}
	/* Announced whatever became of it: a slot no process record names
	 * (lost to a record that had one, or to a full procs map) is
	 * released by the daemon. */
	if (slot)
		event_out(AD_EV_SLOT_TAKEN, tgid, np.pgen, slot, 0, 0);
	if (err && err != -EEXIST) {
		global_inc(AD_GLOBAL_PROCS_FULL);
		return NULL;
	}
	if (!err && !slot)
		global_inc(AD_GLOBAL_PROCS_SHARED);
	return p;
}

/* The map sets of a process's records, newest first (struct ad_ctx).
 * Constant indices only: clang turns a variable one into an OR on the
 * stack pointer, which the verifier refuses. */
static __always_inline __u32 locs_fill(__u32 *loc, __u32 slot, __u32 big,
				       __u32 pflags)
{
	bool shared = !slot || (pflags & AD_PF_SHARED);

	loc[1] = AD_SLOT_SHARED;
	loc[2] = AD_SLOT_SHARED;
	if (!big) {
		loc[0] = slot;
		return slot && shared ? 2 : 1;
	}
	loc[0] = big;
	if (!slot)
		return 2;
	loc[1] = slot;
	return shared ? 3 : 2;
}

/* The thread's view of where its process's records are, from the
 * process record. */
static __always_inline void ctx_locs(struct ad_ctx *c, const struct ad_proc *p)
{
	c->nloc = locs_fill(c->loc, p->slot, p->big, p->flags);
	if (c->thr) {
		c->thr->slot = p->slot;
		c->thr->big = p->big;
		c->thr->pflags = p->flags;
	}
}

/* A thread's first event (or every event of a thread whose state could
 * not be created): the process record, created at the process's first
 * event, gives the incarnation; the thread state remembers it. */
static __noinline bool ctx_first(struct ad_ctx *c)
{
	struct ad_proc *proc = bpf_map_lookup_elem(&procs, &c->tgid);

	if (!proc) {
		proc = proc_create(c->tgid);
		if (!proc) {
			proc_refused(c->tgid); /* procs is full */
			return false;
		}
	}
	c->pgen = proc->pgen;
	if (!c->thr) {
		__sync_fetch_and_add(&proc->lost[AD_LOST_THREADS_FULL], 1);
		ctx_locs(c, proc);
		return true;
	}
	__builtin_memset(c->thr, 0, sizeof(*c->thr));
	c->thr->pgen = c->pgen;
	ctx_locs(c, proc);
	return true;
}

/* Brings the thread's view of its process's map sets up to date (another
 * thread may have moved the process to a slot of its own or to a big
 * one). True if it changed. Only where a record was not found, did not
 * fit, or the process is in the shared maps. */
static __noinline bool ctx_sync(struct ad_ctx *c)
{
	struct ad_proc *proc = bpf_map_lookup_elem(&procs, &c->tgid);
	__u32 old = c->nloc, first = c->loc[0];

	if (!proc || proc->pgen != c->pgen)
		return false;
	ctx_locs(c, proc);
	return c->nloc != old || c->loc[0] != first;
}

/* The maps of map set `slot`. Always through the outer arrays, never
 * &some_map: a helper call that may see two different maps is not
 * inlined nor called directly by the verifier but goes through the map's
 * ops, an indirect call, costly with Spectre mitigations (BENCHMARKS.md,
 * "Measurements behind the code"). A slot's maps stay in place until the
 * daemon learns the process has gone, so missing ones mean a daemon bug:
 * the event is dropped and counted (maps_gone), never written elsewhere. */
static __always_inline void *frames_in(__u32 slot)
{
	return bpf_map_lookup_elem(&frames_of, &slot);
}

/* Frame records. A process's own frames maps (frames_of) hold only its
 * current incarnation's frames and are keyed by the frame id alone; the
 * shared one (frames_shared_of) by (tgid, pgen, id), struct
 * ad_shared_key. Each function below takes the key in a struct
 * ad_shared_key and passes its id alone to an own map. The shared map is
 * used only in the shared_frame_* functions, each a BPF function of its
 * own, so that no helper call may see both kinds of map (frames_in()). */
#define AD_ENOMAPS 9 /* EBADF: the set's maps are missing */

/* Scalars, not a key on the caller's stack: ad_set_of() calls it with
 * little stack to spare (see there). */
static __noinline struct ad_frame *shared_frame_get(__u32 tgid, __u32 pgen,
						    __u64 id)
{
	struct ad_shared_key k = {.pid = tgid, .pgen = pgen, .id = id};
	__u32 zero = 0;
	void *m = bpf_map_lookup_elem(&frames_shared_of, &zero);

	return m ? bpf_map_lookup_elem(m, &k) : NULL;
}

static __noinline int shared_frame_put(const struct ad_shared_key *k,
				       const struct ad_frame *f)
{
	__u32 zero = 0;
	void *m = bpf_map_lookup_elem(&frames_shared_of, &zero);

	return m ? map_update(m, k, f, BPF_ANY) : -AD_ENOMAPS;
}

static __noinline int shared_frame_del(const struct ad_shared_key *k)
{
	__u32 zero = 0;
	void *m = bpf_map_lookup_elem(&frames_shared_of, &zero);

	return m ? (int)bpf_map_delete_elem(m, k) : -AD_ENOMAPS;
}

static __always_inline struct ad_frame *frame_at(__u32 slot, __u32 tgid,
						 __u32 pgen, __u64 id)
{
	void *m;

	if (slot == AD_SLOT_SHARED)
		return shared_frame_get(tgid, pgen, id);
	m = frames_in(slot);
	return m ? bpf_map_lookup_elem(m, &id) : NULL;
}

/* Stores f under k in set slot: 0, -AD_ENOMAPS or the update's -errno. */
static __always_inline int frame_put(__u32 slot, const struct ad_shared_key *k,
				     const struct ad_frame *f)
{
	void *m;

	if (slot == AD_SLOT_SHARED)
		return shared_frame_put(k, f);
	m = frames_in(slot);
	return m ? map_update(m, &k->id, f, BPF_ANY) : -AD_ENOMAPS;
}

/* Deletes the frame under k from set slot: 0, -AD_ENOMAPS or -errno. */
static __always_inline int frame_del(__u32 slot, const struct ad_shared_key *k)
{
	void *m;

	if (slot == AD_SLOT_SHARED)
		return shared_frame_del(k);
	m = frames_in(slot);
	return m ? (int)bpf_map_delete_elem(m, &k->id) : -AD_ENOMAPS;
}

static __always_inline void *tasks_in(__u32 slot)
{
	return bpf_map_lookup_elem(&tasks_of, &slot);
}

static __always_inline void *strings_in(__u32 slot)
{
	return bpf_map_lookup_elem(&strings_of, &slot);
}

/* Fills c; false when the event cannot be recorded (counted globally).
 *
 * The hot path is one task-storage access: the thread's state holds the
 * incarnation it belongs to. That cache cannot go stale: the process
 * record it names is deleted only when the last thread exits or at exec,
 * and exec drops the thread state too (ad_sched_exec). */
static __always_inline bool ctx_init(struct ad_ctx *c, bool need_now)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	c->now = need_now ? bpf_ktime_get_ns() : 0;
	c->tgid = pid_tgid >> 32;
	c->tid = (__u32)pid_tgid;
	c->thr = bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0,
				      BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (c->thr && c->thr->pgen) {
		c->pgen = c->thr->pgen;
		c->nloc = locs_fill(c->loc, c->thr->slot, c->thr->big,
				    c->thr->pflags);
		return true;
	}
	return ctx_first(c);
}

/* Each probe's arguments, in the order usdt/asyncdump.h passes them (the
 * README's probe table). */
struct ad_args_enter {
	__u64 frame, site;
};
struct ad_args_enter_dyn {
	__u64 frame, label, site;
};
struct ad_args_enter_at {
	__u64 task, frame, parent, label, flags, site;
};
struct ad_args_move {
	__u64 frame, new_parent;
};
struct ad_args_spawn {
	__u64 task, parent_task, parent_frame, site;
};
struct ad_args_spawn_dyn {
	__u64 task, parent_task, parent_frame, name, site;
};
struct ad_args_frame {
	__u64 frame;
}; /* EXIT */
struct ad_args_task {
	__u64 task;
}; /* TASK_EXIT, POLL_BEGIN, POLL_END */

/* What every probe handler starts with: the probe's arguments into *args
 * (one of the ad_args_* above) and the event's context (ctx_init());
 * false when the event cannot be recorded. */
#define probe_begin(ctx, args, c, need_now)                                    \
	(!ad_usdt_args((ctx), (__u64 *)(args),                                 \
		       (int)(sizeof(*(args)) / sizeof(__u64))) &&              \
	 ctx_init((c), (need_now)))

/* The calling thread's state (NULL if it could not be created: the
 * thread is then treated as running its own thread task). */
static __always_inline struct ad_thread *thread_get(struct ad_ctx *c)
{
	return c->thr;
}

/* ---- records in the process's map sets (struct ad_ctx) ------------------ */

/* The map set, among sets (two slot numbers, the low half first; n of
 * them), holding a live record of incarnation pgen of process tgid (who,
 * tgid in the high half) under id: a frame if kind is AD_KIND_FRAME, else
 * a task of that kind; -1 if none. A global function: the verifier checks
 * it once, not at every call with each caller's states (with a loop,
 * that made loading the programs several times slower). Its arguments are
 * scalars: a pointer to the caller's stack would make the verifier forget
 * every pointer the caller keeps there. Only records beyond a process's
 * newest set come here. */
__noinline int ad_set_of(__u32 kind, __u64 id, __u64 who, __u64 sets, __u32 n)
{
	__u32 pgen = (__u32)who, tgid = (__u32)(who >> 32);

	/* Each branch has its own key, so that they share stack: through
	 * this function a probe's calls come within 512 bytes of stack on
	 * Linux 6.1, which counts every frame rounded up to 32 bytes. */
#pragma unroll
	for (__u32 i = 0; i < 2; i++) {
		__u32 slot = (__u32)(sets >> (32 * i));

		if (i >= n)
			break;
		if (kind == AD_KIND_FRAME) {
			if (frame_at(slot, tgid, pgen, id))
				return (int)slot;
		} else {
			struct ad_key key = {
				.pid = tgid, .kind = kind, .id = id};
			void *m = tasks_in(slot);
			struct ad_task *tk =
				m ? bpf_map_lookup_elem(m, &key) : NULL;

			if (tk && tk->pgen == pgen)
				return (int)slot;
		}
	}
	return -1;
}

/* ad_set_of() over the sets after the newest one. */
static __always_inline int older_set_of(struct ad_ctx *c, __u32 kind, __u64 id)
{
	return ad_set_of(kind, id, ((__u64)c->tgid << 32) | c->pgen,
			 c->loc[1] | ((__u64)c->loc[2] << 32), c->nloc - 1);
}

/* The live frame `id` of this incarnation in the sets this thread knows
 * of, newest first, with *where its set; NULL if none. */
static __noinline struct ad_frame *frame_seek(struct ad_ctx *c, __u64 id,
					      __u32 *where)
{
	struct ad_frame *f = frame_at(c->loc[0], c->tgid, c->pgen, id);
	int s;

	if (f) {
		*where = c->loc[0];
		return f;
	}
	if (c->nloc < 2)
		return NULL;
	s = older_set_of(c, AD_KIND_FRAME, id);
	if (s < 0)
		return NULL;
	f = frame_at((__u32)s, c->tgid, c->pgen, id);
	if (!f)
		return NULL;
	*where = (__u32)s;
	return f;
}

/* The live task (kind, id) of this incarnation, as frame_seek(). */
static __noinline struct ad_task *task_seek(struct ad_ctx *c, __u32 kind,
					    __u64 id, __u32 *where)
{
	struct ad_key key = {.pid = c->tgid, .kind = kind, .id = id};
	void *m = tasks_in(c->loc[0]);
	struct ad_task *tk = m ? bpf_map_lookup_elem(m, &key) : NULL;
	int s;

	if (tk && tk->pgen == c->pgen) {
		*where = c->loc[0];
		return tk;
	}
	if (c->nloc < 2)
		return NULL;
	s = older_set_of(c, kind, id);
	if (s < 0)
		return NULL;
	m = tasks_in((__u32)s);
	tk = m ? bpf_map_lookup_elem(m, &key) : NULL;
	if (!tk || tk->pgen != c->pgen)
		return NULL;
	*where = (__u32)s;
	return tk;
}

/* A live frame of this incarnation, or NULL; *where = its map set. A
 * frame not where the thread looks may be where another thread put it
 * after moving the process: the view is refreshed once. */
static __always_inline struct ad_frame *frame_find(struct ad_ctx *c, __u64 id,
						   __u32 *where)
{
	struct ad_frame *f = frame_seek(c, id, where);

	if (!f && ctx_sync(c))
		f = frame_seek(c, id, where);
	return f;
}

static __always_inline struct ad_task *task_lookup(struct ad_ctx *c, __u32 kind,
						   __u64 id, __u32 *where)
{
	struct ad_task *tk = task_seek(c, kind, id, where);

	if (!tk && ctx_sync(c))
		tk = task_seek(c, kind, id, where);
	return tk;
}

/* Who a record belongs to, for the global functions below: tgid in the
 * high half, pgen in the low. */
static __always_inline __u64 ctx_who(const struct ad_ctx *c)
{
	return ((__u64)c->tgid << 32) | c->pgen;
}

/* The process record of `who`'s incarnation, or NULL. */
static __always_inline struct ad_proc *proc_of(__u64 who)
{
	__u32 tgid = (__u32)(who >> 32);
	struct ad_proc *proc = bpf_map_lookup_elem(&procs, &tgid);

	return proc && proc->pgen == (__u32)who ? proc : NULL;
}

/* One record borrowed from the shared pool (which: AD_GLOBAL_POOL_*, of
 * `size` records); false if it is empty. */
static __always_inline bool pool_take(__u32 which, __u32 size)
{
	__u64 *g = bpf_map_lookup_elem(&globals, &which);

	if (!g)
		return false;
	if (__sync_fetch_and_add(g, 1) < size)
		return true;
	__sync_fetch_and_sub(g, 1);
	return false;
}

static __always_inline void pool_put(__u32 which)
{
	__u64 *g = bpf_map_lookup_elem(&globals, &which);

	if (g)
		__sync_fetch_and_sub(g, 1);
}

/* Outcomes of ad_share_take(). */
enum { AD_ROOM_NONE, AD_ROOM_SHARED, AD_ROOM_MOVED };

/* The rare paths of storing a record are global functions with scalar
 * arguments: the verifier checks each once, not at every store of every
 * program with its caller's states (which made loading several times
 * slower), and a pointer to the caller's stack would make it forget the
 * pointers kept there. The caller refreshes its view (ctx_sync) after. */

/* Room for one more record (a task, else a frame) of a process in the
 * shared maps: it takes a slot of its own if one is ready (the ring says
 * so: no scan otherwise), or another thread did (AD_ROOM_MOVED: its
 * records so far stay in the shared maps, AD_PF_SHARED); else it uses its
 * share of the shared maps, then the pool (AD_ROOM_SHARED); else the
 * record is lost, counted as share_full (AD_ROOM_NONE). */
__noinline int ad_share_take(__u64 who, __u32 task)
{
	struct ad_proc *proc = proc_of(who);
	struct ad_ready *r;
	__u64 now;
	__u32 s, n;

	if (!proc)
		return AD_ROOM_NONE;
	if (proc->slot)
		return AD_ROOM_MOVED;
	r = ready_table();
	if (r && slot_ready(r)) {
		s = slot_take();
		if (s) {
			now = bpf_ktime_get_ns();
			owner_set(s, (__u32)(who >> 32), (__u32)who, now);
			/* Lost to another thread: the record does not name
			 * it, the daemon releases it. */
			__sync_val_compare_and_swap(&proc->slot, 0, s);
			event_out(AD_EV_SLOT_TAKEN, (__u32)(who >> 32),
				  (__u32)who, s, 0, 0);
			return AD_ROOM_MOVED;
		}
	}
	if (task) {
		n = __sync_fetch_and_add(&proc->shared_tasks, 1);
		if (n < shared_tasks_share ||
		    pool_take(AD_GLOBAL_POOL_TASKS, shared_tasks_pool))
			return AD_ROOM_SHARED;
		__sync_fetch_and_sub(&proc->shared_tasks, 1);
	} else {
		n = __sync_fetch_and_add(&proc->shared_frames, 1);
		if (n < shared_frames_share ||
		    pool_take(AD_GLOBAL_POOL_FRAMES, shared_frames_pool))
			return AD_ROOM_SHARED;
		__sync_fetch_and_sub(&proc->shared_frames, 1);
	}
	__sync_fetch_and_add(&proc->lost[AD_LOST_SHARE_FULL], 1);
	return AD_ROOM_NONE;
}

/* A record left the shared maps (deleted, or never stored): its share is
 * free again. Records beyond its share were borrowed: the last ones go
 * back to the pool first. Returns 0. */
__noinline int ad_share_put(__u64 who, __u32 task)
{
	struct ad_proc *proc = proc_of(who);
	__u32 n;

	if (!proc)
		return 0;
	if (task) {
		n = __sync_fetch_and_sub(&proc->shared_tasks, 1);
		if (n > shared_tasks_share)
			pool_put(AD_GLOBAL_POOL_TASKS);
	} else {
		n = __sync_fetch_and_sub(&proc->shared_frames, 1);
		if (n > shared_frames_share)
			pool_put(AD_GLOBAL_POOL_FRAMES);
	}
	return 0;
}

static __always_inline void share_put(struct ad_ctx *c, bool task)
{
	ad_share_put(ctx_who(c), task);
}

/* Room for one more record in the set new records go to (struct
 * ad_ctx). */
static __always_inline bool room(struct ad_ctx *c, bool task)
{
	int r;

	if (c->loc[0] != AD_SLOT_SHARED)
		return true;
	r = ad_share_take(ctx_who(c), task);
	if (r == AD_ROOM_MOVED)
		ctx_sync(c);
	return r != AD_ROOM_NONE;
}

/* The process's own maps are full: it takes a big slot (one the daemon
 * keeps ready), where its new records go from now on. 1 if its process
 * record names a big slot now (taken here or by another thread), 0 if
 * not: its big maps are full too, none is ready, or it is in the shared
 * maps (shares do not grow). */
__noinline int ad_grow(__u64 who)
{
	struct ad_proc *proc = proc_of(who);
	__u64 now;
	__u32 b;

	if (!proc || !proc->slot)
		return 0;
	if (proc->big)
		return 1;
	b = big_take();
	if (!b)
		return 0;
	now = bpf_ktime_get_ns();
	owner_set(b, (__u32)(who >> 32), (__u32)who, now);
	__sync_val_compare_and_swap(&proc->big, 0, b);
	event_out(AD_EV_SLOT_TAKEN, (__u32)(who >> 32), (__u32)who, b, 0, 0);
	return 1;
}

/* True if the set new records go to changed (grown here, or by another
 * thread). */
static __always_inline bool grow(struct ad_ctx *c)
{
	__u32 first = c->loc[0];

	if (first == AD_SLOT_SHARED)
		return false;
	if (!ad_grow(ctx_who(c)))
		return false;
	ctx_sync(c);
	return c->loc[0] != first;
}

/* Can a record that does not fit in the big maps go to the small ones
 * (loc[1], the process's own slot)? */
static __always_inline bool spill_to(struct ad_ctx *c)
{
	return c->nloc > 1 && c->loc[0] != AD_SLOT_SHARED &&
	       c->loc[1] != AD_SLOT_SHARED && c->loc[0] != c->loc[1];
}

/* Error of a store that found no room: the loss is counted already
 * (share_full), or is the caller's to count (-E2BIG: the maps are
 * full). */
#define AD_ENOROOM 122 /* EDQUOT */

/* Stores a frame record where new records go; 0 with *where its set, or
 * -errno. */
static __noinline int frame_store(struct ad_ctx *c, __u64 id,
				  struct ad_frame *f, __u32 *where)
{
	struct ad_shared_key k = {.pid = c->tgid, .pgen = c->pgen, .id = id};
	int err;

	if (!room(c, false))
		return -AD_ENOROOM;
	err = frame_put(c->loc[0], &k, f);
	if (err == -AD_ENOMAPS) {
		AD_LOST(c, AD_LOST_MAPS_GONE);
		return -AD_ENOROOM;
	}
	if (err == -E2BIG && grow(c)) {
		err = frame_put(c->loc[0], &k, f);
		if (err == -AD_ENOMAPS)
			return -AD_ENOROOM;
	}
	if (err && c->loc[0] == AD_SLOT_SHARED)
		share_put(c, false);
	if (!err) {
		*where = c->loc[0];
	} else if (err == -E2BIG && spill_to(c)) {
		/* The big maps are full: what room the small ones have left
		 * (their frames or tasks exited) is still the process's. */
		int e = frame_put(c->loc[1], &k, f);

		if (!e)
			*where = c->loc[1];
		if (e != -AD_ENOMAPS)
			err = e;
	}
	return err;
}

/* Stores a task record as frame_store() does, its set in c->stored (a
 * BPF function takes at most five arguments). A record of another
 * incarnation under the same key (the shared maps keep them until
 * reclaimed) is replaced; with BPF_NOEXIST, one of this incarnation is
 * not (-EEXIST). */
static __noinline int task_store(struct ad_ctx *c, __u32 kind, __u64 id,
				 struct ad_task *t, __u64 flags)
{
	__u32 *where = &c->stored;
	struct ad_key k = {.pid = c->tgid, .kind = kind, .id = id};
	struct ad_key *key = &k;
	struct ad_task *old;
	void *m;
	int err;

	if (!room(c, true))
		return -AD_ENOROOM;
	m = tasks_in(c->loc[0]);
	if (!m) {
		AD_LOST(c, AD_LOST_MAPS_GONE);
		return -AD_ENOROOM;
	}
	err = map_update(m, key, t, flags);
	if (err == -E2BIG && grow(c)) {
		m = tasks_in(c->loc[0]);
		if (!m)
			return -AD_ENOROOM;
		err = map_update(m, key, t, flags);
	}
	if (err == -EEXIST) {
		old = bpf_map_lookup_elem(m, key);
		if (old && old->pgen != c->pgen)
			err = map_update(m, key, t, BPF_ANY);
	}
	if (err && c->loc[0] == AD_SLOT_SHARED)
		share_put(c, true);
	if (!err) {
		*where = c->loc[0];
	} else if (err == -E2BIG && spill_to(c)) {
		m = tasks_in(c->loc[1]);
		if (m && !(err = map_update(m, key, t, flags)))
			*where = c->loc[1];
	}
	return err;
}

/* Deletes the record under key (of a frame unless task) from set `where`,
 * with its copied string if it has one. True if it was there. */
static __noinline bool record_delete(struct ad_ctx *c, struct ad_key *key,
				     __u32 where, bool task, bool string)
{
	struct ad_shared_key k = {
		.pid = c->tgid, .pgen = c->pgen, .id = key->id};
	void *m, *sm;
	long err = -1;

	if (task) {
		m = tasks_in(where);
		if (m)
			err = bpf_map_delete_elem(m, key);
	} else {
		err = frame_del(where, &k);
	}
	if (string) {
		sm = strings_in(where);
		if (sm)
			bpf_map_delete_elem(sm, key);
	}
	if (!err && where == AD_SLOT_SHARED)
		share_put(c, task);
	return !err;
}

/* A live task of this incarnation, created when unknown: a thread's own
 * task (kind AD_KIND_THREAD, id = its tid) at its first ENTER, a task id
 * given to a probe (AD_KIND_TASK, any value) as AD_TF_IMPLICIT (the
 * observer attached after its spawn). NULL (counted) when the tasks map is
 * full. Not inlined: the new record takes stack that the programs calling
 * it cannot spare (512 bytes with the calls a first probe makes). */
static __noinline struct ad_task *task_get(struct ad_ctx *c, __u32 kind,
					   __u64 id)
{
	struct ad_task nt = {};
	struct ad_task *tk;
	__u32 where = 0;
	int err;

	tk = task_lookup(c, kind, id, &where);
	if (tk)
		return tk;
	nt.spawn_ns = c->now;
	nt.pgen = c->pgen;
	if (kind == AD_KIND_THREAD) {
		nt.flags = AD_TF_THREAD;
		nt.tid = (__u32)id;
	} else {
		nt.flags = AD_TF_IMPLICIT;
	}
	/* NOEXIST, so two threads creating the same task agree on one
	 * spawn_ns. */
	err = task_store(c, kind, id, &nt, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		if (err != -AD_ENOROOM)
			AD_LOST(c, AD_LOST_TASKS_FULL);
		return NULL;
	}
	/* No key on this stack: a program's calls share 512 bytes (Linux
	 * 6.1 counts each call's frame rounded up to 32). */
	return task_seek(c, kind, id, &where);
}

/* The task this thread runs now, whose innermost frame is kept in the
 * thread state (struct ad_thread): the task it polls, else its own thread
 * task. */
struct ad_run {
	__u64 task; /* task id; the tid when own */
	__u64 gen;  /* the task record's spawn_ns */
	bool own;   /* the thread's own task (AD_KIND_THREAD): own_top, else
		     * top */
};

/* Fills r without touching any map; false if the running task has no
 * record yet (or the thread has no state): the caller then takes the
 * record path. */
static __always_inline bool run_peek(struct ad_ctx *c, struct ad_run *r)
{
	struct ad_thread *t = c->thr;

	if (!t)
		return false;
	r->own = !t->task;
	r->task = r->own ? c->tid : t->task;
	r->gen = r->own ? t->own_gen : t->task_gen;
	return r->gen != 0;
}

/* As run_peek(), but creates the own task's record at the thread's first
 * ENTER. */
static __always_inline bool run_get(struct ad_ctx *c, struct ad_run *r)
{
	struct ad_task *tk;

	if (run_peek(c, r))
		return true;
	if (!c->thr || !r->own)
		return false;
	tk = task_get(c, AD_KIND_THREAD, r->task);
	if (!tk)
		return false;
	c->thr->own_gen = tk->spawn_ns;
	r->gen = tk->spawn_ns;
	return true;
}

static __always_inline void run_top(struct ad_ctx *c, const struct ad_run *r,
				    __u64 *top, __u64 *gen)
{
	*top = r->own ? c->thr->own_top : c->thr->top;
	*gen = r->own ? c->thr->own_top_gen : c->thr->top_gen;
}

static __always_inline void run_set_top(struct ad_ctx *c,
					const struct ad_run *r, __u64 top,
					__u64 gen)
{
	if (r->own) {
		c->thr->own_top = top;
		c->thr->own_top_gen = gen;
	} else {
		c->thr->top = top;
		c->thr->top_gen = gen;
	}
}

/* The record of task (kind, id) of generation gen, or NULL. Not inlined:
 * it is on slow paths only (overlapping polls), and its key would
 * otherwise take stack in every program that might call it (512 bytes in
 * all). */
static __noinline struct ad_task *task_find(struct ad_ctx *c, __u32 kind,
					    __u64 id, __u64 gen)
{
	__u32 where = 0;
	struct ad_task *tk = task_lookup(c, kind, id, &where);

	if (tk && tk->spawn_ns == gen)
		return tk;
	return NULL;
}

/* The innermost frame of a task that no thread runs, from its record
 * (asyncdump_abi.h, "Overlapping polls"): `top`, or the hand-over of the
 * poll it waits for once that has come. Returns the number of the poll
 * still awaited, 0 when *top is sure. */
static __always_inline __u32 record_top(const struct ad_task *tk, __u64 *top,
					__u64 *gen)
{
	if (tk->wait_seq && tk->handoff_seq == tk->wait_seq) {
		*top = tk->handoff_top;
		*gen = tk->handoff_top_gen;
		return 0;
	}
	*top = tk->top;
	*gen = tk->top_gen;
	return tk->wait_seq;
}

/* Notes in the task's record the frame entered while waiting for a
 * hand-over, for the hand-over to give it its parent (hand_over()). */
static __always_inline void pending_note(struct ad_ctx *c, __u32 kind,
					 __u64 task, __u64 gen, __u64 id,
					 __u64 enter_ns)
{
	struct ad_task *tk = task_find(c, kind, task, gen);

	if (tk) {
		tk->pending_frame = id;
		tk->pending_frame_gen = enter_ns;
	}
}

/* This thread's poll of the task it runs waits for another poll's
 * hand-over: take it if it has come. The slow path, only while waiting. */
static __always_inline void pending_resolve(struct ad_ctx *c)
{
	struct ad_thread *t = c->thr;
	struct ad_task *tk = task_find(c, AD_KIND_TASK, t->task, t->task_gen);

	if (tk && tk->handoff_seq == t->pending) {
		t->top = tk->handoff_top;
		t->top_gen = tk->handoff_top_gen;
		t->pending = 0;
	}
}

/* Outcome of str_copy(), mapped by the caller to its AD_FF_ or AD_TF_
 * flags. */
#define AD_STR_COPIED 0x1u
#define AD_STR_TRUNCATED 0x2u
#define AD_STR_UNREADABLE 0x4u

/* After a sleep every map value pointer taken before it may be stale: the
 * element may have been deleted and its memory reused for another one
 * (non-preallocated hash maps recycle elements without waiting for
 * sleepable programs). Looks the process record up again; false if this
 * incarnation's record is gone (the process exec'd meanwhile). */
static __always_inline bool ctx_refresh(struct ad_ctx *c)
{
	struct ad_proc *proc = bpf_map_lookup_elem(&procs, &c->tgid);

	return proc && proc->pgen == c->pgen;
}

/* The string value of key after a possible sleep; NULL (counted as an
 * unreadable label) if it is gone. */
static __always_inline char *str_again(struct ad_ctx *c, struct ad_key *key,
				       __u32 where)
{
	void *m = strings_in(where);
	char *dst = m ? bpf_map_lookup_elem(m, key) : NULL;

	if (!dst && ctx_refresh(c))
		AD_LOST(c, AD_LOST_LABEL_UNREADABLE);
	return dst;
}

/* Copies a _DYN string at user address src into the strings map under
 * the owner's key (the owner record is stored first, so a reader or the
 * daemon's GC that finds the string also finds its owner) and returns the
 * outcome (AD_STR_*), which the caller records in its owner, looked up
 * again: this may sleep.
 *
 * may_fault: the calling program is loaded sleepable (where the kernel
 * allows it: observer.c). A string literal passed as a _DYN label sits in
 * a read-only page this process may never have touched, which the
 * non-faulting read cannot see; bpf_copy_from_user() faults that page in
 * (and the next one, for a string crossing a page boundary), then the
 * read is retried. Without it (a kernel without sleepable uprobes) such
 * a string is counted and shown unreadable. */
static __always_inline __u32 str_copy(struct ad_ctx *c, struct ad_key *key,
				      __u32 where, __u64 src, bool may_fault)
{
	__u32 zero = 0, out = AD_STR_COPIED;
	void *m = strings_in(where);
	char *z, *dst;
	char last = 0;
	long n;

	z = bpf_map_lookup_elem(&zeros, &zero);
	if (!z || !m)
		return 0;
	if (bpf_map_update_elem(m, key, z, BPF_ANY)) {
		AD_LOST(c, AD_LOST_STRINGS_FULL);
		return 0;
	}
	dst = bpf_map_lookup_elem(m, key);
	if (!dst)
		return 0;
	n = bpf_probe_read_user_str(dst, label_max, (const void *)src);
	if (n < 0 && may_fault) {
		bpf_copy_from_user(&last, 1, (const void *)src); /* may sleep */
		dst = str_again(c, key, where);
		if (!dst)
			return AD_STR_UNREADABLE;
		n = bpf_probe_read_user_str(dst, label_max, (const void *)src);
	}
	if (n < 0 && may_fault) {
		__u64 next = (src | 4095) + 1;

		if (next - src < label_max)
			bpf_copy_from_user(&last, 1, (const void *)next);
		dst = str_again(c, key, where);
		if (!dst)
			return AD_STR_UNREADABLE;
		n = bpf_probe_read_user_str(dst, label_max, (const void *)src);
	}
	if (n <= 0) {
		if (ctx_refresh(c))
			AD_LOST(c, AD_LOST_LABEL_UNREADABLE);
		m = strings_in(where);
		if (m)
			bpf_map_delete_elem(m, key);
		return AD_STR_UNREADABLE;
	}
	if (n == label_max) {
		/* The buffer is full: truncated unless the byte replaced by
		 * the final NUL was itself the terminator. */
		last = 0;
		if (bpf_probe_read_user(&last, 1,
					(const void *)(src + label_max - 1)) ||
		    last)
			out |= AD_STR_TRUNCATED;
	}
	return out;
}

static __always_inline __u32 str_flags(__u32 out, __u32 copied, __u32 truncated,
				       __u32 unreadable)
{
	return ((out & AD_STR_COPIED) ? copied : 0) |
	       ((out & AD_STR_TRUNCATED) ? truncated : 0) |
	       ((out & AD_STR_UNREADABLE) ? unreadable : 0);
}

/* A frame of task (kind, id, generation gen) of `who` could not be
 * recorded: the task says so (a dump shows it as having lost frames,
 * never as idle and whole). The task is looked up in the process's sets
 * (sets: up to three slot numbers of 21 bits, newest first; kind_n: the
 * kind, and their number above bit 8). A global function with scalar
 * arguments, as ad_share_take(). Returns 0. */
__noinline int ad_frames_lost(__u64 who, __u32 kind_n, __u64 id, __u64 gen,
			      __u64 sets)
{
	struct ad_key key = {
		.pid = (__u32)(who >> 32), .kind = kind_n & 0xffu, .id = id};

#pragma unroll
	for (__u32 i = 0; i < AD_LOCATIONS; i++) {
		void *m = tasks_in((__u32)(sets >> (21 * i)) & 0x1fffffu);
		struct ad_task *tk;

		if (i >= (kind_n >> 8))
			break;
		tk = m ? bpf_map_lookup_elem(m, &key) : NULL;
		if (!tk || tk->pgen != (__u32)who)
			continue;
		if (tk->spawn_ns == gen && !(tk->flags & AD_TF_FRAMES_LOST))
			__sync_fetch_and_or(&tk->flags, AD_TF_FRAMES_LOST);
		break;
	}
	return 0;
}

static __always_inline void frames_lost(struct ad_ctx *c, __u32 kind, __u64 id,
					__u64 gen)
{
	__u64 sets = (__u64)(c->loc[0] & 0x1fffffu) |
		     ((__u64)(c->loc[1] & 0x1fffffu) << 21) |
		     ((__u64)(c->loc[2] & 0x1fffffu) << 42);

	ad_frames_lost(ctx_who(c), kind | (c->nloc << 8), id, gen, sets);
}

/* ENTER, ENTER_DYN and ENTER_AT. task 0 = the thread's current task (the
 * task it polls, else its own task); any other value names a task by its
 * id (AD_KIND_TASK), never a thread's own task, even one equal to a tid.
 * from_top: parent = that task's innermost frame, which becomes this one. */
static __always_inline int frame_enter(struct ad_ctx *c, __u64 task, __u64 id,
				       __u64 parent, __u64 label, __u32 flags,
				       __u64 site, bool from_top,
				       bool may_fault)
{
	struct ad_key key = {.pid = c->tgid, .kind = AD_KIND_FRAME, .id = id};
	struct ad_task *tk = NULL;
	struct ad_frame f = {};
	struct ad_frame *pf;
	/* Zeroed: clang may spill r.own on paths that never set it, which
	 * the verifier refuses (an uninitialised register). */
	struct ad_run r = {};
	struct ad_thread *t;
	__u32 wait = 0, where = 0;
	bool run, own = false;
	int err;

	/* The task this thread runs: its generation and innermost frame are
	 * in the thread state, no task record is looked up. Any other task
	 * (ENTER_AT naming it, or no thread state): through its record. A
	 * thread that only names tasks explicitly gets no record of its own
	 * task. */
	if (task)
		run = run_peek(c, &r) && !r.own && task == r.task;
	else
		run = run_get(c, &r);
	if (run) {
		task = r.task;
		own = r.own;
		f.task_gen = r.gen;
		if (!r.own && c->thr->pending)
			pending_resolve(c);
		if (!r.own && from_top)
			wait = c->thr->pending;
	} else {
		if (!task) {
			/* the task it polls, else its own */
			t = thread_get(c);
			task = t ? t->task : 0;
			own = !task;
			if (own)
				task = c->tid;
		}
		tk = task_get(c, own ? AD_KIND_THREAD : AD_KIND_TASK, task);
		if (tk)
			f.task_gen = tk->spawn_ns;
	}
	f.task = task;
	f.enter_ns = c->now;
	f.label = label;
	flags = (flags & ASYNCDUMP_F_USER_MASK) | (own ? AD_FF_THREAD_TASK : 0);
	if (from_top) {
		if (run) {
			run_top(c, &r, &f.parent, &f.parent_gen);
		} else if (tk) {
			wait = record_top(tk, &f.parent, &f.parent_gen);
		}
		if (wait) {
			/* The innermost frame is another poll's hand-over that
			 * has not come: it will give this frame its parent. */
			f.parent = 0;
			f.parent_gen = wait;
			flags |= AD_FF_PARENT_PENDING;
		}
	} else if (parent) {
		f.parent = parent;
		pf = frame_find(c, parent, &where);
		if (pf)
			f.parent_gen = pf->enter_ns;
		else
			AD_LOST(c, AD_LOST_PARENT_UNKNOWN);
	}
	f.site_flags = ad_frame_pack(site, flags);
	err = frame_store(c, id, &f, &where);
	if (err) {
		if (err != -AD_ENOROOM)
			AD_LOST(c, AD_LOST_FRAMES_FULL);
		frames_lost(c, own ? AD_KIND_THREAD : AD_KIND_TASK, task,
			    f.task_gen);
		return 0;
	}
	if (from_top) {
		if (run) {
			run_set_top(c, &r, id, c->now);
			if (!r.own)
				c->thr->pending = 0;
		} else if (tk) {
			tk->top = id;
			tk->top_gen = c->now;
			tk->wait_seq = 0;
		}
		if (wait)
			pending_note(c, own ? AD_KIND_THREAD : AD_KIND_TASK,
				     task, f.task_gen, id, c->now);
	}
	if (flags & ASYNCDUMP_F_DYN) {
		__u32 out = str_copy(c, &key, where, label, may_fault);
		/* Looked up after the copy (which may sleep), and only this
		 * frame: not a later one that reused its id meanwhile. */
		struct ad_frame *fp = frame_at(where, c->tgid, c->pgen, id);

		if (fp && fp->enter_ns == c->now)
			ad_frame_flags_set(fp,
					   str_flags(out, AD_FF_LABEL_COPIED,
						     AD_FF_LABEL_TRUNCATED,
						     AD_FF_LABEL_UNREADABLE),
					   0);
	}
	return 0;
}

SEC("uprobe")
int ad_enter(struct pt_regs *ctx)
{
	struct ad_args_enter a;
	struct ad_ctx c;

	if (!probe_begin(ctx, &a, &c, true))
		return 0;
	return frame_enter(&c, 0, a.frame, 0, 0, 0, a.site, true, false);
}

/* ENTER_DYN, ENTER_AT and TASK_SPAWN_DYN may copy a _DYN string: each
 * comes twice, loaded sleepable (copies fault a string's page in) or,
 * where the kernel has no sleepable uprobes, not (ad_nf_*: such a string
 * is counted unreadable). The daemon loads one of each pair. */
static __always_inline int enter_dyn(struct pt_regs *ctx, bool may_fault)
{
	struct ad_args_enter_dyn a;
	struct ad_ctx c;

	if (!probe_begin(ctx, &a, &c, true))
		return 0;
	return frame_enter(&c, 0, a.frame, 0, a.label, ASYNCDUMP_F_DYN, a.site,
			   true, may_fault);
}

SEC("uprobe")
int ad_enter_dyn(struct pt_regs *ctx)
{
	return enter_dyn(ctx, true);
}

SEC("uprobe")
int ad_nf_enter_dyn(struct pt_regs *ctx)
{
	return enter_dyn(ctx, false);
}

/* ENTER_AT, and ENTER_F: parent ASYNCDUMP_PARENT_INNERMOST takes the
 * task's innermost frame as the parent and makes this frame the innermost,
 * exactly as ENTER does, but with the caller's flags. */
static __always_inline int enter_at(struct pt_regs *ctx, bool may_fault)
{
	struct ad_args_enter_at a;
	__u64 task, frame, parent, label, site;
	struct ad_ctx c;
	bool from_top;
	__u32 flags;

	if (!probe_begin(ctx, &a, &c, true))
		return 0;
	/* Out of the struct, so its stack can serve the frame record (a
	 * program's stack, with the calls it makes, is at most 512 bytes). */
	task = a.task;
	frame = a.frame;
	parent = a.parent;
	label = a.label;
	flags = (__u32)a.flags;
	site = a.site;
	from_top = parent == ASYNCDUMP_PARENT_INNERMOST;
	return frame_enter(&c, task, frame, from_top ? 0 : parent, label, flags,
			   site, from_top, may_fault);
}

SEC("uprobe")
int ad_enter_at(struct pt_regs *ctx)
{
	return enter_at(ctx, true);
}

SEC("uprobe")
int ad_nf_enter_at(struct pt_regs *ctx)
{
	return enter_at(ctx, false);
}

/* Frame f (id) is leaving its place (EXIT, or MOVE elsewhere). If it is
 * its task's innermost frame, the innermost frame goes back to f's parent,
 * the next ENTER's implicit parent.
 *
 * Usually that parent is live (frames exit innermost first). But the
 * parent may have exited first (out-of-order EXIT: B inside A, A exits,
 * then B); then restoring it would hand the next plain ENTER a dead parent
 * and show it detached. So the parent is checked, by id and generation,
 * with one lookup: only here, when the innermost frame is popped, never on
 * enter and never for frames that are not the innermost.
 *
 * A dead parent cannot be walked past: its record was deleted when it
 * exited, so its own parent is not known any more (keeping the grandparent
 * in every frame record would cost every frame for a misuse). The task
 * then has no innermost frame: the next ENTER opens at the top level of
 * the task, where it is shown, never detached.
 *
 * A frame entered while its poll waited for a hand-over has that
 * hand-over as its parent (asyncdump_abi.h, "Overlapping polls"); if it
 * has not come yet, the task waits for it again. Returns the poll number
 * still awaited, 0 when *parent is sure. */
static __always_inline __u32 live_parent(struct ad_ctx *c,
					 const struct ad_frame *f,
					 __u64 *parent, __u64 *parent_gen)
{
	struct ad_frame *pf;
	__u32 where = 0;

	*parent = f->parent;
	*parent_gen = f->parent_gen;
	if (ad_frame_flags(f) & AD_FF_PARENT_PENDING) {
		/* Its parent is a hand-over that had not come when it was
		 * entered: the hand-over, or still the wait for it. */
		struct ad_task *tk =
			task_find(c, ad_frame_task_kind(ad_frame_flags(f)),
				  f->task, f->task_gen);
		__u32 wait = (__u32)f->parent_gen;

		*parent = 0;
		*parent_gen = 0;
		if (tk && tk->handoff_seq == wait) {
			*parent = tk->handoff_top;
			*parent_gen = tk->handoff_top_gen;
			return 0;
		}
		return wait;
	}
	if (!*parent)
		return 0;
	pf = frame_find(c, *parent, &where);
	if (!pf || pf->enter_ns != *parent_gen) {
		*parent = 0;
		*parent_gen = 0;
	}
	return 0;
}

/* The innermost frame of the task this thread runs is in the thread
 * state (no task lookup); of any other task, in its record. */
static __always_inline void top_pop(struct ad_ctx *c, __u64 id,
				    struct ad_frame *f)
{
	__u64 top, top_gen, parent, parent_gen;
	struct ad_task *tk;
	struct ad_run r;
	__u32 wait, where = 0;

	if (run_peek(c, &r) && f->task == r.task && f->task_gen == r.gen &&
	    !(ad_frame_flags(f) & AD_FF_THREAD_TASK) == !r.own) {
		if (!r.own && c->thr->pending)
			pending_resolve(c);
		run_top(c, &r, &top, &top_gen);
		/* Still waiting, this poll does not know the innermost frame;
		 * a frame of its task leaving its place was it (frames leave
		 * innermost first), which ends the wait. */
		if ((r.own || !c->thr->pending) &&
		    (top != id || top_gen != f->enter_ns))
			return; /* not the innermost frame: nothing to pop */
		wait = live_parent(c, f, &parent, &parent_gen);
		run_set_top(c, &r, parent, parent_gen);
		if (!r.own)
			c->thr->pending = wait;
		return;
	}
	tk = task_lookup(c, ad_frame_task_kind(ad_frame_flags(f)), f->task,
			 &where);
	if (!tk || tk->wait_seq || tk->top != id || tk->top_gen != f->enter_ns)
		return;
	wait = live_parent(c, f, &parent, &parent_gen);
	tk->top = parent;
	tk->top_gen = parent_gen;
	tk->wait_seq = wait;
}

SEC("uprobe")
int ad_exit(struct pt_regs *ctx)
{
	struct ad_args_frame a;
	struct ad_key key = {.kind = AD_KIND_FRAME};
	struct ad_frame *f;
	struct ad_ctx c;
	__u32 flags, where = 0;

	if (!probe_begin(ctx, &a, &c, false))
		return 0;
	key.pid = c.tgid;
	key.id = a.frame;
	f = frame_find(&c, a.frame, &where);
	if (!f) {
		AD_LOST(&c, AD_LOST_EXIT_UNKNOWN);
		return 0;
	}
	top_pop(&c, a.frame, f);
	flags = ad_frame_flags(f);
	record_delete(&c, &key, where, false, flags & AD_FF_LABEL_COPIED);
	return 0;
}

SEC("uprobe")
int ad_move(struct pt_regs *ctx)
{
	struct ad_args_move a;
	struct ad_frame *f, *np;
	struct ad_ctx c;
	__u32 where = 0, pwhere = 0;

	if (!probe_begin(ctx, &a, &c, false))
		return 0;
	f = frame_find(&c, a.frame, &where);
	if (!f) {
		AD_LOST(&c, AD_LOST_MOVE_UNKNOWN);
		return 0;
	}
	np = NULL;
	if (a.new_parent) {
		np = frame_find(&c, a.new_parent, &pwhere);
		if (!np) {
			AD_LOST(&c, AD_LOST_PARENT_UNKNOWN);
			return 0;
		}
	}
	/* Leaving its place: if it was its task's innermost frame, ENTER
	 * continues from its old parent. */
	top_pop(&c, a.frame, f);
	/* The move names its parent: one still pending from an overlapping
	 * poll is settled, a later hand-over must not undo it. */
	ad_frame_flags_set(f, 0, AD_FF_PARENT_PENDING);
	if (np) {
		/* Into its new parent's task, of whichever kind. */
		f->parent = a.new_parent;
		f->parent_gen = np->enter_ns;
		f->task = np->task;
		f->task_gen = np->task_gen;
		ad_frame_flags_set(f,
				   (ad_frame_flags(np) & AD_FF_THREAD_TASK) |
					   AD_FF_MOVED,
				   AD_FF_DETACHED | AD_FF_THREAD_TASK);
	} else {
		f->parent = 0;
		f->parent_gen = 0;
		ad_frame_flags_set(f, AD_FF_DETACHED | AD_FF_MOVED, 0);
	}
	return 0;
}

/* Counts a deleted task record in the process record (not a hot path:
 * once per task). */
static __noinline void task_exited(struct ad_ctx *c)
{
	struct ad_proc *proc = bpf_map_lookup_elem(&procs, &c->tgid);

	if (proc && proc->pgen == c->pgen)
		__sync_fetch_and_add(&proc->task_exits, 1);
}

static __always_inline int task_spawn(struct ad_ctx *c, __u64 task,
				      __u64 parent_task, __u64 parent_frame,
				      __u64 name, __u64 site, bool dyn,
				      bool may_fault)
{
	struct ad_key key = {.pid = c->tgid, .kind = AD_KIND_TASK, .id = task};
	struct ad_task nt = {};
	struct ad_task *old, *tp;
	__u32 where = 0;
	void *m;
	int err;

	nt.parent_task = parent_task;
	nt.parent_frame = parent_frame;
	nt.spawn_ns = c->now;
	nt.site = site;
	nt.pgen = c->pgen;
	if (parent_frame && !frame_find(c, parent_frame, &where))
		AD_LOST(c, AD_LOST_PARENT_UNKNOWN);
	if (dyn)
		nt.name = name;
	/* A record being replaced: one in an older map set goes (the new
	 * one is stored in the newest), one in the same set is overwritten,
	 * its copied name deleted unless a new one is copied over it. */
	old = task_seek(c, AD_KIND_TASK, task, &where);
	if (old && where != c->loc[0]) {
		record_delete(c, &key, where, true,
			      old->flags & AD_TF_NAME_COPIED);
	} else if (old) {
		if (!dyn && (old->flags & AD_TF_NAME_COPIED)) {
			m = strings_in(where);
			if (m)
				bpf_map_delete_elem(m, &key);
		}
		if (where == AD_SLOT_SHARED)
			share_put(c, true); /* overwritten: not one more */
	}
	err = task_store(c, AD_KIND_TASK, task, &nt, BPF_ANY);
	if (err) {
		if (err != -AD_ENOROOM)
			AD_LOST(c, AD_LOST_TASKS_FULL);
		return 0;
	}
	where = c->stored;
	if (dyn) {
		__u32 out = str_copy(c, &key, where, name, may_fault);

		m = tasks_in(where);
		tp = m ? bpf_map_lookup_elem(m, &key) : NULL;
		if (tp && tp->spawn_ns == c->now && tp->pgen == c->pgen)
			tp->flags |= str_flags(out, AD_TF_NAME_COPIED,
					       AD_TF_NAME_TRUNCATED,
					       AD_TF_NAME_UNREADABLE);
	}
	return 0;
}

SEC("uprobe")
int ad_task_spawn(struct pt_regs *ctx)
{
	struct ad_args_spawn a;
	struct ad_ctx c;

	if (!probe_begin(ctx, &a, &c, true))
		return 0;
	return task_spawn(&c, a.task, a.parent_task, a.parent_frame, 0, a.site,
			  false, false);
}

static __always_inline int task_spawn_dyn(struct pt_regs *ctx, bool may_fault)
{
	struct ad_args_spawn_dyn a;
	struct ad_ctx c;

	if (!probe_begin(ctx, &a, &c, true))
		return 0;
	return task_spawn(&c, a.task, a.parent_task, a.parent_frame, a.name,
			  a.site, true, may_fault);
}

SEC("uprobe")
int ad_task_spawn_dyn(struct pt_regs *ctx)
{
	return task_spawn_dyn(ctx, true);
}

SEC("uprobe")
int ad_nf_spawn_dyn(struct pt_regs *ctx)
{
	return task_spawn_dyn(ctx, false);
}

SEC("uprobe")
int ad_task_exit(struct pt_regs *ctx)
{
	struct ad_args_task a;
	struct ad_key key = {.kind = AD_KIND_TASK};
	struct ad_task *tk;
	struct ad_ctx c;
	__u32 flags, where = 0;

	if (!probe_begin(ctx, &a, &c, false))
		return 0;
	key.pid = c.tgid;
	key.id = a.task;
	tk = task_lookup(&c, AD_KIND_TASK, a.task, &where);
	if (!tk) {
		AD_LOST(&c, AD_LOST_TASK_EXIT_UNKNOWN);
		return 0;
	}
	/* Its frames stay in the frames map: user space hides them (their
	 * task generation no longer matches) and the daemon's GC frees them;
	 * task_exits tells it there may be some. */
	flags = tk->flags;
	record_delete(&c, &key, where, true, flags & AD_TF_NAME_COPIED);
	task_exited(&c);
	return 0;
}

/* The thread stops running task (generation gen) without ending its
 * poll (a nested poll begins): the record gets back its innermost frame,
 * or the wait for it (POLL_END of the nested poll reloads it). */
static __always_inline void top_store(struct ad_ctx *c, struct ad_thread *t)
{
	struct ad_task *tk = task_find(c, AD_KIND_TASK, t->task, t->task_gen);

	if (tk) {
		tk->top = t->top;
		tk->top_gen = t->top_gen;
		tk->wait_seq = t->pending;
	}
}

/* The thread runs t->task again (end of a nested poll): its innermost
 * frame comes back from its record. */
static __always_inline void top_load(struct ad_ctx *c, struct ad_thread *t)
{
	struct ad_task *tk = task_find(c, AD_KIND_TASK, t->task, t->task_gen);

	if (tk)
		t->pending = record_top(tk, &t->top, &t->top_gen);
	else
		t->task_gen = 0; /* gone: ENTER takes the record path */
}

SEC("uprobe")
int ad_poll_begin(struct pt_regs *ctx)
{
	struct ad_args_task a;
	struct ad_thread *t;
	struct ad_task *tk;
	struct ad_ctx c;
	__u64 gen = 0, top = 0, top_gen = 0;
	__u32 seq = 0, pending = 0, prev;

	if (!probe_begin(ctx, &a, &c, true))
		return 0;
	t = thread_get(&c);
	/* A nested poll: the task polled so far stops running here. */
	if (t && t->task && t->task_gen)
		top_store(&c, t);
	tk = task_get(&c, AD_KIND_TASK, a.task);
	if (tk) {
		prev = __sync_lock_test_and_set(&tk->tid, c.tid);
		seq = __sync_fetch_and_add(&tk->polls, 1) + 1;
		tk->last_poll_ns = c.now;
		gen = tk->spawn_ns;
		pending = record_top(tk, &top, &top_gen);
		if (prev && prev != c.tid) {
			/* Another thread's poll of it has not ended: its
			 * innermost frame is that poll's to hand over. */
			pending = seq - 1;
			if (!(tk->flags & AD_TF_CONCURRENT))
				tk->overlap_ns = c.now;
			tk->overlap_end_ns = 0;
		}
	}
	if (t) {
		t->prev_task = t->task;
		t->prev_task_gen = t->task_gen;
		t->prev_seq = t->seq;
		t->task = a.task;
		t->task_gen = gen;
		t->top = top;
		t->top_gen = top_gen;
		t->seq = seq;
		t->pending = pending;
	}
	return 0;
}

/* A poll ends after another thread began the next one: its innermost frame
 * is handed over instead of written back (asyncdump_abi.h, "Overlapping
 * polls"). A frame the next poll entered while waiting for it gets its
 * parent now. If this poll entered a frame still live after the next one
 * began, or never learnt its own innermost frame, two threads ran the task
 * at once: the task is flagged and the window noted. */
static __always_inline void hand_over(struct ad_ctx *c, struct ad_task *tk,
				      __u32 seq, __u64 top, __u64 top_gen,
				      bool unsure)
{
	struct ad_frame *f;
	__u32 where = 0;

	if (unsure || (tk->overlap_ns && top_gen >= tk->overlap_ns))
		tk->flags |= AD_TF_CONCURRENT;
	if (tk->flags & AD_TF_CONCURRENT)
		tk->overlap_end_ns = c->now;
	tk->handoff_top = top;
	tk->handoff_top_gen = top_gen;
	tk->handoff_seq = seq;
	if (!tk->pending_frame)
		return;
	f = frame_find(c, tk->pending_frame, &where);
	if (f && f->enter_ns == tk->pending_frame_gen &&
	    (ad_frame_flags(f) & AD_FF_PARENT_PENDING) &&
	    (__u32)f->parent_gen == seq) {
		f->parent = top;
		f->parent_gen = top_gen;
		ad_frame_flags_set(f, 0, AD_FF_PARENT_PENDING);
	}
	tk->pending_frame = 0;
	tk->pending_frame_gen = 0;
}

SEC("uprobe")
int ad_poll_end(struct pt_regs *ctx)
{
	struct ad_args_task a;
	struct ad_thread *t;
	struct ad_task *tk;
	struct ad_ctx c;
	bool ended = false;
	__u32 where = 0;

	if (!probe_begin(ctx, &a, &c, true))
		return 0;
	t = thread_get(&c);
	tk = task_lookup(&c, AD_KIND_TASK, a.task, &where);
	if (t && t->task == a.task) {
		if (tk && tk->spawn_ns == t->task_gen) {
			if (t->pending && tk->handoff_seq == t->pending) {
				t->top = tk->handoff_top;
				t->top_gen = tk->handoff_top_gen;
				t->pending = 0;
			}
			/* Atomic: another thread may have begun polling it
			 * already. */
			ended = __sync_val_compare_and_swap(&tk->tid, c.tid,
							    0) == c.tid;
			if (ended) {
				/* It stops running here: its record gets back
				 * its innermost frame (or the wait for it). */
				tk->top = t->top;
				tk->top_gen = t->top_gen;
				tk->wait_seq = t->pending;
			} else {
				hand_over(&c, tk, t->seq, t->top, t->top_gen,
					  t->pending != 0);
			}
			ended = true;
		}
		/* The task polled before it (nested polls) runs again, from
		 * its record. */
		t->task = t->prev_task;
		t->task_gen = t->prev_task_gen;
		t->seq = t->prev_seq;
		t->prev_task = 0;
		t->prev_task_gen = 0;
		t->prev_seq = 0;
		t->top = 0;
		t->top_gen = 0;
		t->pending = 0;
		if (t->task)
			top_load(&c, t);
	} else {
		AD_LOST(&c, AD_LOST_POLL_END_UNKNOWN);
	}
	if (tk) {
		if (!ended)
			__sync_val_compare_and_swap(&tk->tid, c.tid, 0);
		tk->last_poll_ns = c.now;
	}
	return 0;
}

/* Tells the daemon to reclaim an incarnation's records. If the ring is
 * full the daemon's periodic GC still finds them (their proc is gone). */
static __always_inline void proc_gone(__u32 tgid, struct ad_proc *proc)
{
	__u32 pgen = proc->pgen, slot = proc->slot, big = proc->big;
	__u32 flags = proc->flags;

	bpf_map_delete_elem(&procs, &tgid);
	event_out(AD_EV_PROC_GONE, tgid, pgen, slot, big, flags);
}

/* A thread polling a task when it dies leaves that task idle; the task
 * it was running gets back its innermost frame, or the wait for it (store:
 * the thread's state; NULL for the task of an outer nested poll, whose
 * record has it already). */
static __always_inline void task_idle(struct ad_ctx *c, __u64 id, __u64 gen,
				      const struct ad_thread *store)
{
	struct ad_task *tk;
	__u32 where = 0;

	if (!id)
		return;
	tk = task_seek(c, AD_KIND_TASK, id, &where);
	if (!tk)
		return;
	/* Atomic: another thread may start polling it right now (and then
	 * keeps waiting for a hand-over that will not come: its frames are
	 * shown uncertain). */
	if (__sync_val_compare_and_swap(&tk->tid, c->tid, 0) != c->tid)
		return;
	if (store && gen && tk->spawn_ns == gen) {
		tk->top = store->top;
		tk->top_gen = store->top_gen;
		tk->wait_seq = store->pending;
	}
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ad_sched_exit, struct task_struct *p)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ad_ctx c = {.tgid = pid_tgid >> 32, .tid = (__u32)pid_tgid};
	struct ad_key key = {.kind = AD_KIND_THREAD};
	struct ad_proc *proc;
	struct ad_thread *t;
	__u32 where = 0;

	proc = bpf_map_lookup_elem(&procs, &c.tgid);
	if (!proc) {
		/* not observed; if refused, forgotten when the group ends */
		if (bpf_map_lookup_elem(&refused, &c.tgid) &&
		    BPF_CORE_READ(p, signal, live.counter) == 0)
			bpf_map_delete_elem(&refused, &c.tgid);
		return 0;
	}
	c.pgen = proc->pgen;
	c.nloc = locs_fill(c.loc, proc->slot, proc->big, proc->flags);
	key.pid = c.tgid;
	key.id = c.tid;
	/* A thread's own task: frames it left open are the GC's. */
	if (task_seek(&c, AD_KIND_THREAD, c.tid, &where) &&
	    record_delete(&c, &key, where, true, false))
		__sync_fetch_and_add(&proc->task_exits, 1);
	t = bpf_task_storage_get(&threads, p, 0, 0);
	if (t && t->pgen == proc->pgen) {
		task_idle(&c, t->task, t->task_gen, t);
		task_idle(&c, t->prev_task, 0, NULL);
	}
	/* do_exit() decrements signal->live before this tracepoint; the
	 * thread that takes it to 0 ends the thread group. (Works on every
	 * kernel, unlike the tracepoint's newer group_dead argument.) The
	 * process record is looked up again: the calls above may have
	 * changed what the verifier knows of it. */
	proc = bpf_map_lookup_elem(&procs, &c.tgid);
	if (proc && BPF_CORE_READ(p, signal, live.counter) == 0) {
		proc_gone(c.tgid, proc);
		refused_forget(c.tgid); /* refused before it found room */
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ad_sched_exec, struct task_struct *p)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ad_proc *proc;

	/* exec keeps the task_struct: drop its per-thread state so the new
	 * image starts clean (other threads are already gone). */
	bpf_task_storage_delete(&threads, p);
	proc = bpf_map_lookup_elem(&procs, &tgid);
	if (proc)
		proc_gone(tgid, proc);
	refused_forget(tgid);
	return 0;
}

/* The dispatchers: what the links run (maps.bpf.h, "dispatch"). Each
 * tail-calls the program of its kind; one that finds none (never
 * expected) counts its event lost in the process's record, if any. */
static __always_inline int undispatched(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ad_proc *proc = bpf_map_lookup_elem(&procs, &tgid);

	if (proc)
		__sync_fetch_and_add(&proc->lost[AD_LOST_UNDISPATCHED], 1);
	return 0;
}

#define AD_DISPATCHER(name, kind)                                              \
	SEC("uprobe")                                                          \
	int ad_to_##name(struct pt_regs *ctx)                                  \
	{                                                                      \
		bpf_tail_call(ctx, &dispatch, (kind));                         \
		return undispatched();                                         \
	}

AD_DISPATCHER(task_spawn, AD_PROBE_TASK_SPAWN)
AD_DISPATCHER(task_spawn_dyn, AD_PROBE_TASK_SPAWN_DYN)
AD_DISPATCHER(task_exit, AD_PROBE_TASK_EXIT)
AD_DISPATCHER(poll_begin, AD_PROBE_POLL_BEGIN)
AD_DISPATCHER(poll_end, AD_PROBE_POLL_END)
AD_DISPATCHER(enter, AD_PROBE_ENTER)
AD_DISPATCHER(enter_dyn, AD_PROBE_ENTER_DYN)
AD_DISPATCHER(enter_at, AD_PROBE_ENTER_AT)
AD_DISPATCHER(exit, AD_PROBE_EXIT)
AD_DISPATCHER(move, AD_PROBE_MOVE)

SEC("tp_btf/sched_process_exit")
int ad_to_sched_exit(void *ctx)
{
	bpf_tail_call(ctx, &dispatch_exit, 0);
	return undispatched();
}

SEC("tp_btf/sched_process_exec")
int ad_to_sched_exec(void *ctx)
{
	bpf_tail_call(ctx, &dispatch_exec, 0);
	return undispatched();
}

/* Every thread with state (struct ad_thread_rec), for a dump: the
 * innermost frame of a task being polled is in its thread's state, and
 * Linux 6.1 cannot look a single thread's task storage up from user space
 * (no PIDFD_THREAD before 6.9). The daemon runs it for one process (the
 * iterator's pid parameter, Linux 6.1) or, where the kernel cannot, over
 * every task, keeping those of the process. */
SEC("iter/task")
int ad_iter_threads(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct ad_thread_rec rec;
	struct ad_thread *t;

	if (!task)
		return 0;
	t = bpf_task_storage_get(&threads, task, 0, 0);
	if (!t || !t->pgen)
		return 0;
	rec.tgid = task->tgid;
	rec.tid = task->pid;
	__builtin_memcpy(&rec.state, t, sizeof(rec.state));
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
