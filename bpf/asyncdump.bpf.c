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
/* Distinct USDT argument specs over all attached objects (libbpf's default
 * of 256 is quickly exhausted by programs with many probe sites). */
#define BPF_USDT_MAX_SPEC_CNT 4096
#include <bpf/usdt.bpf.h>
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

/* What every probe handler starts from. */
struct ad_ctx {
	struct ad_thread *thr; /* this thread's state; NULL if it could not
				* be created (counted as threads_full) */
	__u64 now;	       /* bpf_ktime_get_ns(), 0 where not needed */
	__u32 tgid;
	__u32 tid;
	__u32 pgen; /* this process incarnation's generation */
	__u32 slot; /* its ad_proc.slot */
	/* The maps this process's records live in: its slot's, or the
	 * shared ones (asyncdump_abi.h, "Where records live"). */
	void *frames;
	void *tasks;
	void *strings;
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
 * if it is still this incarnation's. */
static __noinline void ad_lost(__u32 tgid, __u32 pgen, __u32 which)
{
	struct ad_proc *proc = bpf_map_lookup_elem(&procs, &tgid);

	if (proc && proc->pgen == pgen && which < AD_LOST_COUNT)
		__sync_fetch_and_add(&proc->lost[which], 1);
}

#define AD_LOST(c, which) ad_lost((c)->tgid, (c)->pgen, (which))

static __always_inline void event_out(__u32 type, __u32 pid, __u32 pgen,
				      __u32 slot)
{
	struct ad_event ev = {
		.type = type, .pid = pid, .pgen = pgen, .slot = slot};

	/* A full ring only delays the daemon: its periodic sweep finds
	 * exited owners and taken slots by itself (slot_owner). */
	bpf_ringbuf_output(&events, &ev, sizeof(ev), 0);
}

/* Takes a ready slot (asyncdump_abi.h, struct ad_ready); 0 if none is
 * ready. Only a process's first probe hit comes here, so the scan of the
 * few entries costs nothing on the hot paths. */
static __always_inline __u32 slot_take(void)
{
	__u32 zero = 0;
	struct ad_ready *r = bpf_map_lookup_elem(&ready_slots, &zero);

	if (!r)
		return 0;
#pragma unroll
	for (__u32 i = 0; i < AD_READY_RING; i++) {
		__u32 s = *(volatile __u32 *)&r->slot[i];

		if (s && __sync_val_compare_and_swap(&r->slot[i], s, 0) == s)
			return s;
	}
	return 0;
}

/* Puts a slot taken by slot_take() back into an empty entry; false if
 * none was empty (never expected: the daemon fills at most half). */
static __always_inline bool slot_give_back(__u32 slot)
{
	__u32 zero = 0;
	struct ad_ready *r = bpf_map_lookup_elem(&ready_slots, &zero);

	if (!r)
		return false;
#pragma unroll
	for (__u32 i = 0; i < AD_READY_RING; i++) {
		if (__sync_val_compare_and_swap(&r->slot[i], 0, slot) == 0)
			return true;
	}
	return false;
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
			event_out(AD_EV_PROC_REFUSED, tgid, 0, 0);
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
 * adopt its record (wasting one pgen, which is harmless, and giving its
 * slot back). Uses only map types every program may use, sleepable ones
 * included (Linux 6.1 refuses a queue map there). */
static __noinline struct ad_proc *proc_create(__u32 tgid)
{
	__u32 which = AD_GLOBAL_PGEN;
	struct ad_slot_owner owner = {};
	struct ad_proc np = {};
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
	slot = slot_take();
	np.slot = slot;
	if (slot) {
		/* Before the process record: the daemon never takes back
		 * a slot whose owner it cannot judge yet
		 * (daemon/observer/slots.c). */
		owner.pid = tgid;
		owner.pgen = np.pgen;
		owner.taken_ns = np.observed_since_ns;
		bpf_map_update_elem(&slot_owner, &slot, &owner, BPF_ANY);
	}
	err = map_update(&procs, &tgid, &np, BPF_NOEXIST);
	if (err) {
		if (slot) {
			/* Cleared before it is given back, so that a process
			 * taking it at once owns it cleanly; if there was no
			 * room, the owner is written again: a pgen no process
			 * has, so the daemon's check releases the slot. */
			__builtin_memset(&owner, 0, sizeof(owner));
			bpf_map_update_elem(&slot_owner, &slot, &owner,
					    BPF_ANY);
			if (!slot_give_back(slot)) {
				owner.pid = tgid;
				owner.pgen = np.pgen;
				owner.taken_ns = np.observed_since_ns;
				bpf_map_update_elem(&slot_owner, &slot, &owner,
						    BPF_ANY);
			}
		}
		if (err != -EEXIST) {
			global_inc(AD_GLOBAL_PROCS_FULL);
			return NULL;
		}
	} else if (slot) {
		event_out(AD_EV_SLOT_TAKEN, tgid, np.pgen, slot);
	} else {
		global_inc(AD_GLOBAL_PROCS_SHARED);
	}
	return bpf_map_lookup_elem(&procs, &tgid);
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
	c->slot = proc->slot;
	if (!c->thr) {
		__sync_fetch_and_add(&proc->lost[AD_LOST_THREADS_FULL], 1);
		return true;
	}
	__builtin_memset(c->thr, 0, sizeof(*c->thr));
	c->thr->pgen = c->pgen;
	c->thr->slot = c->slot;
	return true;
}

/* The maps of the process's records: its slot's, the shared ones being
 * slot 0. Always through the outer arrays, never &some_map: a helper call
 * that may see two different maps is not inlined nor called directly by
 * the verifier but goes through the map's ops, an indirect call, costly
 * with Spectre mitigations (BENCHMARKS.md, "Measurements behind the
 * code"). A slot's maps stay
 * in place until the daemon learns the process has gone, so missing ones
 * mean a daemon bug: the event is dropped and counted, never written
 * elsewhere. */
static __always_inline bool ctx_maps(struct ad_ctx *c)
{
	__u32 slot = c->slot;

	c->frames = bpf_map_lookup_elem(&frames_of, &slot);
	c->tasks = bpf_map_lookup_elem(&tasks_of, &slot);
	c->strings = bpf_map_lookup_elem(&strings_of, &slot);
	if (c->frames && c->tasks && c->strings)
		return true;
	AD_LOST(c, AD_LOST_MAPS_GONE);
	return false;
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
		c->slot = c->thr->slot;
	} else if (!ctx_first(c)) {
		return false;
	}
	return ctx_maps(c);
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

/* A live task of this incarnation, created when unknown: a thread's own
 * task (kind AD_KIND_THREAD, id = its tid) at its first ENTER, a task id
 * given to a probe (AD_KIND_TASK, any value) as AD_TF_IMPLICIT (the
 * observer attached after its spawn). NULL (counted) when the tasks map is
 * full. Not inlined: the new record takes stack that the programs calling
 * it cannot spare (512 bytes with the calls a first probe makes). */
static __noinline struct ad_task *task_get(struct ad_ctx *c, __u32 kind,
					   __u64 id)
{
	struct ad_key key = {.pid = c->tgid, .kind = kind, .id = id};
	struct ad_task nt = {};
	struct ad_task *tk;
	int err;

	tk = bpf_map_lookup_elem(c->tasks, &key);
	if (tk && tk->pgen == c->pgen)
		return tk;
	nt.spawn_ns = c->now;
	nt.pgen = c->pgen;
	if (kind == AD_KIND_THREAD) {
		nt.flags = AD_TF_THREAD;
		nt.tid = (__u32)id;
	} else {
		nt.flags = AD_TF_IMPLICIT;
	}
	/* NOEXIST unless replacing a stale record, so two threads creating
	 * the same task agree on one spawn_ns. */
	err = map_update(c->tasks, &key, &nt, tk ? BPF_ANY : BPF_NOEXIST);
	if (err && err != -EEXIST) {
		AD_LOST(c, AD_LOST_TASKS_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(c->tasks, &key);
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

/* A live frame of this incarnation, or NULL. */
static __always_inline struct ad_frame *frame_find(struct ad_ctx *c, __u64 id)
{
	struct ad_key key = {.pid = c->tgid, .kind = AD_KIND_FRAME, .id = id};
	struct ad_frame *f = bpf_map_lookup_elem(c->frames, &key);

	if (f && f->pgen == c->pgen)
		return f;
	return NULL;
}

/* The record of task (kind, id) of generation gen, or NULL. Not inlined:
 * it is on slow paths only (overlapping polls), and its key would
 * otherwise take stack in every program that might call it (512 bytes in
 * all). */
static __noinline struct ad_task *task_find(struct ad_ctx *c, __u32 kind,
					    __u64 id, __u64 gen)
{
	struct ad_key key = {.pid = c->tgid, .kind = kind, .id = id};
	struct ad_task *tk = bpf_map_lookup_elem(c->tasks, &key);

	if (tk && tk->pgen == c->pgen && tk->spawn_ns == gen)
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
static __always_inline char *str_again(struct ad_ctx *c, struct ad_key *key)
{
	char *dst = bpf_map_lookup_elem(c->strings, key);

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
				      __u64 src, bool may_fault)
{
	__u32 zero = 0, out = AD_STR_COPIED;
	char *z, *dst;
	char last = 0;
	long n;

	z = bpf_map_lookup_elem(&zeros, &zero);
	if (!z)
		return 0;
	if (bpf_map_update_elem(c->strings, key, z, BPF_ANY)) {
		AD_LOST(c, AD_LOST_STRINGS_FULL);
		return 0;
	}
	dst = bpf_map_lookup_elem(c->strings, key);
	if (!dst)
		return 0;
	n = bpf_probe_read_user_str(dst, label_max, (const void *)src);
	if (n < 0 && may_fault) {
		bpf_copy_from_user(&last, 1, (const void *)src); /* may sleep */
		dst = str_again(c, key);
		if (!dst)
			return AD_STR_UNREADABLE;
		n = bpf_probe_read_user_str(dst, label_max, (const void *)src);
	}
	if (n < 0 && may_fault) {
		__u64 next = (src | 4095) + 1;

		if (next - src < label_max)
			bpf_copy_from_user(&last, 1, (const void *)next);
		dst = str_again(c, key);
		if (!dst)
			return AD_STR_UNREADABLE;
		n = bpf_probe_read_user_str(dst, label_max, (const void *)src);
	}
	if (n <= 0) {
		if (ctx_refresh(c))
			AD_LOST(c, AD_LOST_LABEL_UNREADABLE);
		bpf_map_delete_elem(c->strings, key);
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
	__u32 wait = 0;
	bool run, own = false;

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
	f.site = site;
	f.pgen = c->pgen;
	f.flags =
		(flags & ASYNCDUMP_F_USER_MASK) | (own ? AD_FF_THREAD_TASK : 0);
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
			f.flags |= AD_FF_PARENT_PENDING;
		}
	} else if (parent) {
		f.parent = parent;
		pf = frame_find(c, parent);
		if (pf)
			f.parent_gen = pf->enter_ns;
		else
			AD_LOST(c, AD_LOST_PARENT_UNKNOWN);
	}
	if (bpf_map_update_elem(c->frames, &key, &f, BPF_ANY)) {
		AD_LOST(c, AD_LOST_FRAMES_FULL);
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
		__u32 out = str_copy(c, &key, label, may_fault);
		/* Looked up after the copy (which may sleep), and only this
		 * frame: not a later one that reused its id meanwhile. */
		struct ad_frame *fp = bpf_map_lookup_elem(c->frames, &key);

		if (fp && fp->enter_ns == c->now && fp->pgen == c->pgen)
			fp->flags |= str_flags(out, AD_FF_LABEL_COPIED,
					       AD_FF_LABEL_TRUNCATED,
					       AD_FF_LABEL_UNREADABLE);
	}
	return 0;
}

SEC("usdt")
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

SEC("usdt")
int ad_enter_dyn(struct pt_regs *ctx)
{
	return enter_dyn(ctx, true);
}

SEC("usdt")
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

SEC("usdt")
int ad_enter_at(struct pt_regs *ctx)
{
	return enter_at(ctx, true);
}

SEC("usdt")
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

	*parent = f->parent;
	*parent_gen = f->parent_gen;
	if (f->flags & AD_FF_PARENT_PENDING) {
		/* Its parent is a hand-over that had not come when it was
		 * entered: the hand-over, or still the wait for it. */
		struct ad_task *tk = task_find(c, ad_frame_task_kind(f->flags),
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
	pf = frame_find(c, *parent);
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
	struct ad_key tkey = {.pid = c->tgid,
			      .kind = ad_frame_task_kind(f->flags),
			      .id = f->task};
	__u64 top, top_gen, parent, parent_gen;
	struct ad_task *tk;
	struct ad_run r;

	__u32 wait;

	if (run_peek(c, &r) && f->task == r.task && f->task_gen == r.gen &&
	    !(f->flags & AD_FF_THREAD_TASK) == !r.own) {
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
	tk = bpf_map_lookup_elem(c->tasks, &tkey);
	if (!tk || tk->wait_seq || tk->top != id || tk->top_gen != f->enter_ns)
		return;
	wait = live_parent(c, f, &parent, &parent_gen);
	tk->top = parent;
	tk->top_gen = parent_gen;
	tk->wait_seq = wait;
}

SEC("usdt")
int ad_exit(struct pt_regs *ctx)
{
	struct ad_args_frame a;
	struct ad_key key = {.kind = AD_KIND_FRAME};
	struct ad_frame *f;
	struct ad_ctx c;
	__u32 flags;

	if (!probe_begin(ctx, &a, &c, false))
		return 0;
	key.pid = c.tgid;
	key.id = a.frame;
	f = frame_find(&c, a.frame);
	if (!f) {
		AD_LOST(&c, AD_LOST_EXIT_UNKNOWN);
		return 0;
	}
	top_pop(&c, a.frame, f);
	flags = f->flags;
	bpf_map_delete_elem(c.frames, &key);
	if (flags & AD_FF_LABEL_COPIED)
		bpf_map_delete_elem(c.strings, &key);
	return 0;
}

SEC("usdt")
int ad_move(struct pt_regs *ctx)
{
	struct ad_args_move a;
	struct ad_frame *f, *np;
	struct ad_ctx c;

	if (!probe_begin(ctx, &a, &c, false))
		return 0;
	f = frame_find(&c, a.frame);
	if (!f) {
		AD_LOST(&c, AD_LOST_MOVE_UNKNOWN);
		return 0;
	}
	np = NULL;
	if (a.new_parent) {
		np = frame_find(&c, a.new_parent);
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
	f->flags &= ~AD_FF_PARENT_PENDING;
	if (np) {
		/* Into its new parent's task, of whichever kind. */
		f->parent = a.new_parent;
		f->parent_gen = np->enter_ns;
		f->task = np->task;
		f->task_gen = np->task_gen;
		f->flags = (f->flags & ~(AD_FF_DETACHED | AD_FF_THREAD_TASK)) |
			   (np->flags & AD_FF_THREAD_TASK) | AD_FF_MOVED;
	} else {
		f->parent = 0;
		f->parent_gen = 0;
		f->flags |= AD_FF_DETACHED | AD_FF_MOVED;
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

	nt.parent_task = parent_task;
	nt.parent_frame = parent_frame;
	nt.spawn_ns = c->now;
	nt.site = site;
	nt.pgen = c->pgen;
	if (parent_frame && !frame_find(c, parent_frame))
		AD_LOST(c, AD_LOST_PARENT_UNKNOWN);
	if (dyn)
		nt.name = name;
	/* A record being replaced may own a copied name we no longer use. */
	old = bpf_map_lookup_elem(c->tasks, &key);
	if (old && (old->flags & AD_TF_NAME_COPIED) && !dyn)
		bpf_map_delete_elem(c->strings, &key);
	if (bpf_map_update_elem(c->tasks, &key, &nt, BPF_ANY)) {
		AD_LOST(c, AD_LOST_TASKS_FULL);
		return 0;
	}
	if (dyn) {
		__u32 out = str_copy(c, &key, name, may_fault);

		tp = bpf_map_lookup_elem(c->tasks, &key);
		if (tp && tp->spawn_ns == c->now && tp->pgen == c->pgen)
			tp->flags |= str_flags(out, AD_TF_NAME_COPIED,
					       AD_TF_NAME_TRUNCATED,
					       AD_TF_NAME_UNREADABLE);
	}
	return 0;
}

SEC("usdt")
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

SEC("usdt")
int ad_task_spawn_dyn(struct pt_regs *ctx)
{
	return task_spawn_dyn(ctx, true);
}

SEC("usdt")
int ad_nf_spawn_dyn(struct pt_regs *ctx)
{
	return task_spawn_dyn(ctx, false);
}

SEC("usdt")
int ad_task_exit(struct pt_regs *ctx)
{
	struct ad_args_task a;
	struct ad_key key = {.kind = AD_KIND_TASK};
	struct ad_task *tk;
	struct ad_ctx c;
	__u32 flags;

	if (!probe_begin(ctx, &a, &c, false))
		return 0;
	key.pid = c.tgid;
	key.id = a.task;
	tk = bpf_map_lookup_elem(c.tasks, &key);
	if (!tk || tk->pgen != c.pgen) {
		AD_LOST(&c, AD_LOST_TASK_EXIT_UNKNOWN);
		return 0;
	}
	/* Its frames stay in the frames map: user space hides them (their
	 * task generation no longer matches) and the daemon's GC frees them;
	 * task_exits tells it there may be some. */
	flags = tk->flags;
	bpf_map_delete_elem(c.tasks, &key);
	if (flags & AD_TF_NAME_COPIED)
		bpf_map_delete_elem(c.strings, &key);
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

SEC("usdt")
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

	if (unsure || (tk->overlap_ns && top_gen >= tk->overlap_ns))
		tk->flags |= AD_TF_CONCURRENT;
	if (tk->flags & AD_TF_CONCURRENT)
		tk->overlap_end_ns = c->now;
	tk->handoff_top = top;
	tk->handoff_top_gen = top_gen;
	tk->handoff_seq = seq;
	if (!tk->pending_frame)
		return;
	f = frame_find(c, tk->pending_frame);
	if (f && f->enter_ns == tk->pending_frame_gen &&
	    (f->flags & AD_FF_PARENT_PENDING) && (__u32)f->parent_gen == seq) {
		f->parent = top;
		f->parent_gen = top_gen;
		f->flags &= ~AD_FF_PARENT_PENDING;
	}
	tk->pending_frame = 0;
	tk->pending_frame_gen = 0;
}

SEC("usdt")
int ad_poll_end(struct pt_regs *ctx)
{
	struct ad_args_task a;
	struct ad_key key = {.kind = AD_KIND_TASK};
	struct ad_thread *t;
	struct ad_task *tk;
	struct ad_ctx c;
	bool ended = false;

	if (!probe_begin(ctx, &a, &c, true))
		return 0;
	t = thread_get(&c);
	key.pid = c.tgid;
	key.id = a.task;
	tk = bpf_map_lookup_elem(c.tasks, &key);
	if (tk && tk->pgen != c.pgen)
		tk = NULL;
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
	__u32 pgen = proc->pgen, slot = proc->slot;

	bpf_map_delete_elem(&procs, &tgid);
	event_out(AD_EV_PROC_GONE, tgid, pgen, slot);
}

/* A thread polling a task when it dies leaves that task idle; the task
 * it was running gets back its innermost frame, or the wait for it (store:
 * the thread's state; NULL for the task of an outer nested poll, whose
 * record has it already). */
static __always_inline void task_idle(void *tasks_map, __u32 tgid, __u64 id,
				      __u32 tid, __u64 gen,
				      const struct ad_thread *store)
{
	struct ad_key key = {.pid = tgid, .kind = AD_KIND_TASK, .id = id};
	struct ad_task *tk;

	if (!id)
		return;
	tk = bpf_map_lookup_elem(tasks_map, &key);
	if (!tk)
		return;
	/* Atomic: another thread may start polling it right now (and then
	 * keeps waiting for a hand-over that will not come: its frames are
	 * shown uncertain). */
	if (__sync_val_compare_and_swap(&tk->tid, tid, 0) != tid)
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
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct ad_key key = {.pid = tgid, .kind = AD_KIND_THREAD, .id = tid};
	struct ad_proc *proc;
	struct ad_thread *t;
	void *tasks_map;
	__u32 slot;

	proc = bpf_map_lookup_elem(&procs, &tgid);
	if (!proc) {
		/* not observed; if refused, forgotten when the group ends */
		if (bpf_map_lookup_elem(&refused, &tgid) &&
		    BPF_CORE_READ(p, signal, live.counter) == 0)
			bpf_map_delete_elem(&refused, &tgid);
		return 0;
	}
	slot = proc->slot;
	tasks_map = bpf_map_lookup_elem(&tasks_of, &slot);
	if (tasks_map) {
		/* A thread's own task: frames it left open are the GC's. */
		if (!bpf_map_delete_elem(tasks_map, &key))
			__sync_fetch_and_add(&proc->task_exits, 1);
		t = bpf_task_storage_get(&threads, p, 0, 0);
		if (t && t->pgen == proc->pgen) {
			task_idle(tasks_map, tgid, t->task, tid, t->task_gen,
				  t);
			task_idle(tasks_map, tgid, t->prev_task, tid, 0, NULL);
		}
	}
	/* do_exit() decrements signal->live before this tracepoint; the
	 * thread that takes it to 0 ends the thread group. (Works on every
	 * kernel, unlike the tracepoint's newer group_dead argument.) */
	if (BPF_CORE_READ(p, signal, live.counter) == 0) {
		proc_gone(tgid, proc);
		refused_forget(tgid); /* refused before it found room */
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
