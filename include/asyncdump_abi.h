// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * asyncdump_abi.h - the single definition of everything the BPF programs
 * (bpf/asyncdump.bpf.c) and user space (daemon/) share: map keys and values,
 * loss counters, and the probe-side ABI from usdt/asyncdump.h (flags, site
 * record layout, provider name).
 *
 * Compiled both by `clang -target bpf` (no libc) and by the host compiler.
 */
#ifndef ASYNCDUMP_ABI_H
#define ASYNCDUMP_ABI_H

#define ASYNCDUMP_ABI_ONLY
#include "../usdt/asyncdump.h"
#undef ASYNCDUMP_ABI_ONLY

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Probe names, in the order of enum ad_probe. */
#define AD_PROBE_NAMES                                                         \
	"task_spawn", "task_spawn_dyn", "task_exit", "poll_begin", "poll_end", \
		"enter", "enter_dyn", "enter_at", "exit", "move"
enum ad_probe {
	AD_PROBE_TASK_SPAWN,
	AD_PROBE_TASK_SPAWN_DYN,
	AD_PROBE_TASK_EXIT,
	AD_PROBE_POLL_BEGIN,
	AD_PROBE_POLL_END,
	AD_PROBE_ENTER,
	AD_PROBE_ENTER_DYN,
	AD_PROBE_ENTER_AT,
	AD_PROBE_EXIT,
	AD_PROBE_MOVE,
	AD_PROBE_COUNT,
};

/* The attach cookie of a probe site, which the daemon computes from the
 * site's note (daemon/observer/elf_notes.c) and the BPF programs read
 * (bpf/usdt_args.bpf.h): where the probe's arguments are. Every
 * asyncdump argument is a 64-bit register ("8@%reg", usdt/asyncdump.h),
 * so a site is described whole by the count of its arguments (bits 0-2)
 * and, for argument i, its register's byte offset in struct pt_regs
 * divided by 8 (bits 8 + 8i). AD_COOKIE_TAG in the top byte tells a
 * cookie of this layout from anything else. No map holds the layout of
 * a site, so a link outlives any daemon with nothing to look up. */
#define AD_COOKIE_TAG 0xadull
#define AD_COOKIE_ARGS_MAX 6
#define AD_COOKIE_VALID(c) (((c) >> 56) == AD_COOKIE_TAG)
#define AD_COOKIE_NARGS(c) ((unsigned int)((c)&7u))
#define AD_COOKIE_REG_OFF(c, i)                                                \
	((unsigned int)(((c) >> (8 + 8 * (i))) & 0xffu) * 8u)

/* The cookie of n (1..AD_COOKIE_ARGS_MAX) arguments in the registers at
 * byte offsets off[0..n-1] (multiples of 8, below 2048) of pt_regs. */
static inline __u64 ad_cookie_make(unsigned int n, const unsigned int *off)
{
	__u64 c = AD_COOKIE_TAG << 56 | n;

	for (unsigned int i = 0; i < n && i < AD_COOKIE_ARGS_MAX; i++)
		c |= (__u64)((off[i] / 8u) & 0xffu) << (8 + 8 * i);
	return c;
}

/* The version of the maps' layout (keys, values, which maps there are and
 * what they mean): a daemon adopts a store pinned by another only when
 * it is the same (daemon/observer/pins.h). Raise it with any change to
 * this file's records or to bpf/maps.bpf.h. */
#define AD_LAYOUT_VERSION 2u

/* Key of every record map: frames, tasks and strings (a process's own
 * maps and the shared ones alike, see "Where records live" below). */
struct ad_key {
	__u32 pid;  /* tgid of the observed process */
	__u32 kind; /* enum ad_key_kind */
	__u64 id;   /* frame or task id as given to the probe; the tid
		     * for AD_KIND_THREAD */
};

/* A thread that never polled a task is its own task: a record of the tasks
 * map under its own kind, {pid, AD_KIND_THREAD, tid}. Task ids given to
 * the probes may be any 64-bit value (tagged pointers with high bits set
 * included) and always use AD_KIND_TASK, so no user id can name a
 * thread's task, whatever its bits. */
enum ad_key_kind {
	AD_KIND_FRAME = 0,  /* frames map; strings map: a frame's _DYN label */
	AD_KIND_TASK = 1,   /* tasks map; strings map: a task's _DYN name */
	AD_KIND_THREAD = 2, /* tasks map: a thread's own task (id = tid);
			     * no strings (it has no copied name) */
};

/* Internal frame flags, above ASYNCDUMP_F_USER_MASK. */
#define AD_FF_LABEL_COPIED 0x100u     /* label is in the strings map */
#define AD_FF_LABEL_UNREADABLE 0x200u /* _DYN copy failed (counted) */
#define AD_FF_LABEL_TRUNCATED 0x400u  /* _DYN label longer than the limit */
#define AD_FF_MOVED 0x800u	      /* re-parented by ASYNCDUMP_MOVE */
#define AD_FF_DETACHED 0x1000u	      /* moved to parent 0 */
/* Entered while the previous poll of its task, on another thread, had not
 * ended: its parent is that poll's innermost frame when it ended, which
 * BPF did not know yet. parent is 0 and parent_gen holds the awaited
 * poll's number (struct ad_task, "Overlapping polls"). */
#define AD_FF_PARENT_PENDING 0x2000u
/* Its task is a thread's own task (AD_KIND_THREAD): `task` is the tid.
 * MOVE gives a frame its new parent's; a detached frame keeps its own. */
#define AD_FF_THREAD_TASK 0x4000u

/* The tasks map key kind of the task of a frame with these flags. */
static inline __u32 ad_frame_task_kind(__u32 flags)
{
	return (flags & AD_FF_THREAD_TASK) ? AD_KIND_THREAD : AD_KIND_TASK;
}

/* frames map value: one live frame. Generations: a parent or task is
 * matched by id AND by its enter/spawn time, so a reused id never adopts
 * another object's children.
 *
 * 56 bytes, so that a frame's hash element (the kernel's 48-byte header,
 * the key, this value and the allocator's 8-byte link) is at most 128
 * bytes: its incarnation is in the map or the key, not here (a process's
 * own frames maps hold only its records and are keyed by the frame id
 * alone; the shared one by struct ad_shared_key), and its flags share a
 * word with the site address, which is a user-space address below 2^48
 * (ad_frame_site_ok()). Read and written through the ad_frame_* helpers
 * below. */
struct ad_frame {
	__u64 task;	  /* task id; the tid with AD_FF_THREAD_TASK */
	__u64 task_gen;	  /* spawn_ns of that task record */
	__u64 parent;	  /* parent frame id, 0 = top level of the task */
	__u64 parent_gen; /* enter_ns of the parent frame, 0 when parent == 0 */
	__u64 enter_ns;	  /* bpf_ktime_get_ns() at enter (CLOCK_MONOTONIC) */
	__u64 label;	  /* user address of the label; 0 = site->label */
	/* user address of struct asyncdump_site (low AD_SITE_BITS bits) and
	 * the frame's flags, ASYNCDUMP_F_* | AD_FF_* (the high 16 bits) */
	__u64 site_flags;
};

#define AD_SITE_BITS 48
#define AD_SITE_MASK ((1ULL << AD_SITE_BITS) - 1)

/* Can site be kept in a frame record? Every user-space address on the
 * 64-bit architectures Linux runs is below 2^48 unless the program maps
 * memory above it on purpose (x86-64 5-level paging, arm64 52-bit): a
 * site there is not kept (the frame shows no call site). */
static inline int ad_frame_site_ok(__u64 site)
{
	return (site & ~AD_SITE_MASK) == 0;
}

static inline __u64 ad_frame_site(const struct ad_frame *f)
{
	return f->site_flags & AD_SITE_MASK;
}

static inline __u32 ad_frame_flags(const struct ad_frame *f)
{
	return (__u32)(f->site_flags >> AD_SITE_BITS);
}

/* site_flags of a site (kept if ad_frame_site_ok()) and flags. */
static inline __u64 ad_frame_pack(__u64 site, __u32 flags)
{
	return (ad_frame_site_ok(site) ? site : 0) |
	       ((__u64)(flags & 0xffffu) << AD_SITE_BITS);
}

static inline void ad_frame_flags_set(struct ad_frame *f, __u32 set,
				      __u32 clear)
{
	f->site_flags = ad_frame_pack(ad_frame_site(f),
				      (ad_frame_flags(f) & ~clear) | set);
}

/* Key of the shared frames map (frames_shared_of): the frames of every
 * process that has no maps of its own, of each incarnation apart. A
 * process's own frames maps are keyed by the frame id alone (__u64). */
struct ad_shared_key {
	__u32 pid;  /* tgid */
	__u32 pgen; /* ad_proc.pgen of the incarnation */
	__u64 id;   /* frame id */
};

/* Task flags. */
#define AD_TF_THREAD 0x1u      /* a thread's own task: AD_KIND_THREAD */
#define AD_TF_NAME_COPIED 0x2u /* name is in the strings map */
#define AD_TF_IMPLICIT 0x4u    /* first seen at POLL_BEGIN, never spawned */
#define AD_TF_NAME_UNREADABLE 0x8u
#define AD_TF_NAME_TRUNCATED 0x10u
#define AD_TF_CONCURRENT 0x20u /* two threads ran it at once: see below */
#define AD_TF_FRAMES_LOST                                                      \
	0x40u /* a frame of it was not recorded (a loss
				 * counted in the process record) */

/* tasks map value: one live task.
 *
 * Overlapping polls. Executors often wake a task from inside its poll:
 * thread A polls it, the task registers a waker and suspends, the waker
 * re-queues it, and thread B begins polling it before A has reached its
 * POLL_END. The task's innermost frame is then in A's thread state, which
 * B cannot read. So each POLL_BEGIN takes a number (`polls`); a poll that
 * began while another thread still held the task waits for that poll's
 * end (its thread state's `pending`). The overtaken poll, ending, leaves
 * its innermost frame as a hand-over (`handoff_*`) instead of in `top`.
 * B's first EXIT of a frame it inherited resolves the wait itself; a frame
 * B enters before then is stored with AD_FF_PARENT_PENDING (and noted in
 * `pending_frame`), and A's hand-over gives it its parent. A poll that
 * ends still waiting leaves the wait to the next one (`wait_seq`). What
 * is still unresolved when a dump looks is shown uncertain. If A entered
 * a frame after B began (two threads really running the task at once),
 * the frames entered between `overlap_ns` and `overlap_end_ns` cannot be
 * placed for sure: the task is flagged AD_TF_CONCURRENT and a dump marks
 * them uncertain. */
struct ad_task {
	__u64 parent_task;  /* 0 = none */
	__u64 parent_frame; /* 0 = none */
	__u64 spawn_ns;	    /* generation; time of spawn or first sight */
	__u64 name;	    /* user address of the name; 0 = site->label */
	/* user address of struct asyncdump_site, 0 if none */
	__u64 site;
	/* innermost frame opened by ENTER/_DYN/_F or ENTER_AT(..,
	 * ASYNCDUMP_PARENT_INNERMOST, ..), 0 = none; on its exit, its parent
	 * if that is still live, else 0 (bpf top_pop). While a thread runs
	 * the task, that thread's ad_thread holds it instead (see there). */
	__u64 top;
	__u64 top_gen;	    /* its enter_ns */
	__u64 last_poll_ns; /* last POLL_BEGIN or POLL_END, 0 = never */
	/* The innermost frame of poll number handoff_seq when it ended after
	 * another thread had begun the next poll (0: none yet). */
	__u64 handoff_top;
	__u64 handoff_top_gen;
	/* AD_TF_CONCURRENT: frames entered in [overlap_ns, overlap_end_ns]
	 * (0: not ended yet) were entered by two threads at once. */
	__u64 overlap_ns;
	__u64 overlap_end_ns;
	/* The frame a poll entered while waiting for handoff_seq's poll
	 * (AD_FF_PARENT_PENDING), and its enter_ns; 0 = none. */
	__u64 pending_frame;
	__u64 pending_frame_gen;
	__u32 tid; /* thread polling it now, 0 = idle; of a thread's own
		    * task (AD_TF_THREAD), that thread */
	__u32 pgen;
	__u32 flags; /* AD_TF_* */
	__u32 polls; /* POLL_BEGIN count (wraps): each poll's number */
	__u32 handoff_seq;
	/* Nonzero: the innermost frame is the hand-over of this poll number,
	 * not `top` (a poll ended before it arrived). */
	__u32 wait_seq;
};

/* Per-process loss and anomaly counters. Every one is shown in every dump
 * of the process. Names for display are AD_LOST_NAMES, same order. */
enum ad_lost {
	AD_LOST_FRAMES_FULL,	  /* frame not recorded: frames map full */
	AD_LOST_TASKS_FULL,	  /* task not recorded: tasks map full */
	AD_LOST_STRINGS_FULL,	  /* _DYN string not copied: strings map full */
	AD_LOST_LABEL_UNREADABLE, /* _DYN label/name pointer could not be read */
	AD_LOST_EXIT_UNKNOWN,	  /* EXIT of a frame that is not live */
	AD_LOST_TASK_EXIT_UNKNOWN, /* TASK_EXIT of a task that is not live */
	AD_LOST_POLL_END_UNKNOWN, /* POLL_END of a task the thread is not polling */
	AD_LOST_MOVE_UNKNOWN,	  /* MOVE of a frame that is not live */
	AD_LOST_PARENT_UNKNOWN, /* ENTER_AT/MOVE/SPAWN naming a parent not live */
	AD_LOST_THREADS_FULL,	/* per-thread state could not be created */
	AD_LOST_MAPS_GONE,	/* event dropped: the process's own maps
				   * were missing (never expected: the daemon
				   * removes them only after the process) */
	/* record not kept: the process had no maps of its own yet (none was
	 * ready when it started) and had used its share of the shared maps
	 * (asyncdump_abi.h, "Where records live") */
	AD_LOST_SHARE_FULL,
	/* event dropped: its dispatcher found no program of its kind in the
	 * dispatch table (never expected: the daemon fills the table before
	 * it attaches, and a new daemon replaces each entry in one step) */
	AD_LOST_UNDISPATCHED,
	AD_LOST_COUNT,
};
#define AD_LOST_NAMES                                                          \
	"frames_full", "tasks_full", "strings_full", "label_unreadable",       \
		"exit_unknown", "task_exit_unknown", "poll_end_unknown",       \
		"move_unknown", "parent_unknown", "threads_full", "maps_gone", \
		"share_full", "undispatched"

/* Where records live.
 *
 * Each observed process incarnation has maps of its own: a frames, a tasks
 * and a strings hash map, held at index `slot` of the map-in-map arrays
 * frames_of, tasks_of and strings_of (tasks and strings keyed by struct
 * ad_key, frames by the frame id alone: struct ad_frame). The shared
 * maps' frames map, keyed by struct ad_shared_key, is alone in
 * frames_shared_of (the inner maps of one outer array have one key size).
 * A dump then reads only that
 * process's records, whatever other processes hold, and reclaiming an
 * exited process is dropping its maps. BPF cannot create maps: asyncdumpd
 * creates them ahead of time and puts the ready slots in the table
 * ready_slots (struct ad_ready); a process's first probe hit takes one.
 *
 * Two sizes. A process starts with SMALL maps (AD_SMALL_*: a few hundred
 * kB of kernel memory, so a host of a thousand small processes costs
 * little). The first record its small maps cannot hold makes it take a
 * BIG slot (ad_proc.big; the daemon keeps one ready), sized by asyncdumpd's
 * --max-frames and --max-tasks less the small maps': new records go there,
 * and its records are then in both. Small slots are 1..max_slots, big
 * ones follow them in the same arrays.
 *
 * When no small slot is ready (a burst of new processes faster than the
 * daemon refills, more processes than --max-slots, no file descriptors
 * left), the process starts in the shared maps, slot 0, with a share of
 * them (shared_frames_share frames and shared_tasks_share tasks, counted
 * in ad_proc.shared_*) that no other process can take. Beyond its share
 * it borrows from a pool as large as all the shares together (counted in
 * the globals AD_GLOBAL_POOL_*), while the pool lasts: a flood can empty
 * the pool, never another process's share. A record that finds neither
 * is lost and counted (AD_LOST_SHARE_FULL). It takes a
 * slot of its own as soon as one is ready (struct ad_ready),
 * and keeps what it has in the shared maps (AD_PF_SHARED).
 *
 * So a process's records are in up to three map sets, looked up newest
 * first: its big slot, its own slot, the shared maps (struct ad_proc). */
#define AD_SLOT_SHARED                                                         \
	0u		/* ad_proc.slot of a process in the shared maps;
			   * its own slots are 1..max_slots */
#define AD_LOCATIONS 3u /* map sets a process's records may be in */

/* Capacities of a small slot's maps (at most the big ones'). */
#define AD_SMALL_FRAMES 1024u
#define AD_SMALL_TASKS 512u
#define AD_SMALL_STRINGS (AD_SMALL_FRAMES + AD_SMALL_TASKS)

/* ready_slots map value (an array of one, mmap'ed by the daemon): two
 * rings of slots whose maps are ready, the small and the big ones. Not
 * QUEUE maps: Linux 6.1 refuses queue maps in sleepable programs, and a
 * process's first probe may be a sleepable _DYN one. The daemon alone
 * fills a ring: it writes slot[tail % size], then advances tail. A
 * process takes the entry at head by advancing head with a
 * compare-and-swap (while head != tail) and swapping the entry for 0: no
 * scan, a constant cost. A slot taken by a thread that then loses a race
 * (two threads creating one process record, or moving it at once) is not
 * given back: its owner (slot_owner) names an incarnation whose record
 * does not hold it, and the daemon releases it (slots.c). The daemon
 * keeps at most half of each ring filled. */
#define AD_READY_RING 256u   /* a power of two */
#define AD_READY_BIG_RING 4u /* a power of two */
struct ad_ready {
	__u32 slot[AD_READY_RING];    /* small slots */
	__u32 big[AD_READY_BIG_RING]; /* big slots */
	__u32 head, tail;	      /* of slot[] */
	__u32 big_head, big_tail;     /* of big[] */
};

/* procs map value, keyed by tgid: one observed process. Created at its
 * first probe hit, deleted when the process exits or execs. */
struct ad_proc {
	__u64 observed_since_ns; /* first probe hit (CLOCK_MONOTONIC) */
	__u32 pgen;		 /* unique per process incarnation, never 0 */
	__u32 slot;		 /* its own maps, or AD_SLOT_SHARED */
	__u32 big;		 /* its big maps, 0 = none (yet) */
	__u32 flags;		 /* AD_PF_* */
	/* Its records in the shared maps, against its share of them. */
	__u32 shared_frames;
	__u32 shared_tasks;
	__u64 task_exits; /* task records deleted (TASK_EXIT, thread
				  * exit): each may leave frames behind for
				  * the daemon to reclaim; unchanged, its
				  * sweeps skip the process's maps */
	__u64 lost[AD_LOST_COUNT];
};

/* Process flags. */
#define AD_PF_SHARED 0x1u /* began in the shared maps: records may be there */
/* Forked and not exec'd since when its record was made: it runs inside
 * frames its parent had entered before the fork, which its record does
 * not hold (its dumps' coverage is partial). Told by the group leader's
 * self_exec_id, which each exec increments, being still the parent's at
 * the fork (parent_exec_id). */
#define AD_PF_FORKED 0x2u

/* slot_owner map value (array, index = slot): the incarnation that took
 * the slot, written by BPF when it takes one and zeroed by the daemon
 * before it queues the slot again. Lets the daemon find slots whose
 * owner has gone when the exit event was lost to a full ring buffer. */
struct ad_slot_owner {
	__u32 pid;
	__u32 pgen;
	__u64 taken_ns; /* CLOCK_MONOTONIC */
};

/* slot_maps map value (array, index = slot; AD_SLOT_SHARED for the
 * shared maps): the ids of the maps the daemon installed in the outer
 * arrays at that index, zero when none. Written by the daemon only,
 * before it installs the maps and after it takes them out, so that a
 * daemon adopting a pinned store finds every slot's maps without looking
 * the outer arrays up (a lookup there waits for an RCU grace period on
 * kernels before 6.8: thousands of them took minutes). BPF never reads
 * it. */
struct ad_slot_maps {
	__u32 frames;
	__u32 tasks;
	__u32 strings;
	__u32 pad;
};

/* Machine-wide counters (array map "globals", one slot each): events that
 * have no process record to be counted in. */
enum ad_global {
	AD_GLOBAL_PGEN,		/* last process generation handed out */
	AD_GLOBAL_PROCS_FULL,	/* events dropped: procs map full */
	AD_GLOBAL_PROCS_SHARED, /* processes that found no ready slot and
				 * keep their records in the shared maps */
	AD_GLOBAL_POOL_FRAMES,	/* frames borrowed from the shared pool */
	AD_GLOBAL_POOL_TASKS,	/* tasks borrowed from the shared pool */
	AD_GLOBAL_COUNT,
};

/* Ring buffer events, BPF to daemon. */
enum ad_event_type {
	AD_EV_PROC_GONE = 1,	/* the incarnation exited or exec'd: reclaim
			       * its records (drop its slot's maps) */
	AD_EV_SLOT_TAKEN = 2,	/* a new incarnation took a ready slot: queue
			       * another one */
	AD_EV_PROC_REFUSED = 3, /* a process could not be observed: its
				 * first refusal (struct ad_refused) */
};

struct ad_event {
	__u32 type; /* enum ad_event_type */
	__u32 pid;
	__u32 pgen;
	__u32 slot;  /* AD_SLOT_SHARED for a process in the shared maps */
	__u32 big;   /* PROC_GONE: its big slot, 0 = none */
	__u32 flags; /* PROC_GONE: its AD_PF_* */
};

/* refused map value, keyed by tgid: a process whose probe hits could not
 * create its process record, so it is not observed and every event of it
 * is dropped. Written at its first refusal (announced by
 * AD_EV_PROC_REFUSED) and counted at each dropped event after; deleted
 * when the process exits or execs. An LRU map, so that inserting never
 * fails: an entry may outlive its process (evicted entries are only
 * forgotten refusals), so the daemon checks start_boottime against the
 * process before it believes one. */
enum ad_refused_reason {
	AD_REFUSED_PROCS_FULL = 1, /* the procs map was full (--max-procs) */
};

struct ad_refused {
	__u64 start_boottime; /* the group leader's start_boottime (ns
			       * since boot: /proc/PID/stat's starttime) */
	__u64 first_ns;	      /* first refusal (CLOCK_MONOTONIC) */
	__u64 dropped;	      /* probe events dropped */
	__u32 reason;	      /* enum ad_refused_reason */
	__u32 pad;
};
#define AD_REFUSED_MAX 4096u /* entries of the refused map */

/* Per-thread state (task storage "threads").
 *
 * The innermost frame of the task a thread is running lives HERE while it
 * runs, not in the task record: ENTER and EXIT then touch no task record
 * (two hash lookups less per frame). The record's `top` is brought up to
 * date when the thread stops running the task (POLL_END, a nested
 * POLL_BEGIN, thread exit); a thread's own task keeps it here for good.
 * A dump reads the running threads' state for the tasks they run, through
 * the task iterator ad_iter_threads (struct ad_thread_rec). */
struct ad_thread {
	__u64 task;	 /* task being polled, 0 = the thread's own task */
	__u64 task_gen;	 /* its spawn_ns; 0 = no record (the slow path) */
	__u64 prev_task; /* task polled before (one level of nested polls) */
	__u64 prev_task_gen;
	__u64 top;     /* innermost frame of `task` while it is polled */
	__u64 top_gen; /* its enter_ns */
	__u64 own_top; /* innermost frame of the thread's own task */
	__u64 own_top_gen;
	__u64 own_gen; /* spawn_ns of the own task's record, 0 = none yet */
	__u32 pgen;    /* incarnation this state belongs to, 0 = new */
	/* That incarnation's ad_proc.slot, .big and .flags as this thread
	 * last saw them: refreshed when a record is not found where they
	 * say, or does not fit. */
	__u32 slot;
	__u32 big;
	__u32 pflags;
	__u32 seq;	/* number of the poll of `task` (ad_task.polls) */
	__u32 prev_seq; /* that of prev_task's poll */
	/* Nonzero: this poll began while poll number `pending` of `task` was
	 * still running on another thread; `top` is a guess until that poll's
	 * hand-over or this thread's first EXIT (ad_task, "Overlapping
	 * polls"). */
	__u32 pending;
};

/* What the task iterator ad_iter_threads writes for each thread that has
 * state: Linux 6.1 has no pidfd of a single thread (PIDFD_THREAD is 6.9),
 * which the task storage lookup from user space would need. */
struct ad_thread_rec {
	__u32 tgid;
	__u32 tid;
	struct ad_thread state;
};

/* LP64 layout of struct asyncdump_site as the observer reads it from the
 * observed process's memory. */
struct ad_site_raw {
	__u64 file;
	__u64 function;
	__u64 label;
	__u32 line;
	__u32 flags;
};

/* LP64 layout of the source location record a site address with bit 0
 * set (ASYNCDUMP_SITE_SRCLOC) points at, bit cleared: the static record of
 * GCC's and Clang's __builtin_source_location() (C++20
 * std::source_location). It has no label: the probe gives one. */
struct ad_srcloc_raw {
	__u64 file;
	__u64 function;
	__u32 line;
	__u32 column;
};

/* Defaults for capacities set when the observer loads (asyncdumpd
 * options). Frames and tasks are per process: a process's small maps
 * (AD_SMALL_*) and big maps together hold max_frames frames and max_tasks
 * tasks; a strings map holds as many strings as its frames and tasks map
 * records, the small one AD_SMALL_STRINGS. Every map is a hash map without
 * preallocation: memory follows the live records, plus 16 bytes per hash
 * bucket (capacity rounded up to a power of two) of each map. */
#define AD_DEFAULT_MAX_FRAMES (1024u * 1024u)
#define AD_DEFAULT_MAX_TASKS (256u * 1024u)
#define AD_DEFAULT_MAX_PROCS 4096u
/* Processes that may grow into big maps at once (asyncdumpd --max-big). */
#define AD_DEFAULT_MAX_BIG 8u
/* A process's share of the shared maps (struct ad_proc, "Where records
 * live"); the shared maps hold max_procs shares and a pool as large. */
#define AD_SHARED_FRAMES_SHARE 64u
#define AD_SHARED_TASKS_SHARE 16u
/* Each slot in use holds three map fds in the daemon. */
#define AD_MAX_PROCS_LIMIT 16384u
#define AD_DEFAULT_LABEL_MAX                                                   \
	64u /* bytes copied for a _DYN string, NUL included */
#define AD_LABEL_MAX_LIMIT 4096u

/* A string copied less than this long ago may still lack its owner's
 * COPIED flag: the copying probe is sleepable and sets the flag only after
 * the copy, which may have to fault the string's page in. Reclaim leaves
 * such strings alone. */
#define AD_STRING_GRACE_NS (10ull * 1000000000ull)

/* ---- Discovery (bpf/discover.bpf.c, daemon/observer/discover.c) ----
 *
 * A process that may have come to map a file the daemon has not decided
 * about yet (it exec'd one, or its ld.so mapped libraries) is told to it;
 * it reads that process's maps, attaches each new file that has
 * asyncdump probes, and puts every file it decided about in the known
 * map, so that the next exec of it is not told. The key is the inode as
 * /proc/PID/maps shows it: the superblock's kernel dev_t (major << 20 |
 * minor) and the inode number. */
struct ad_file_key {
	__u64 ino;
	__u32 dev;
	__u32 pad; /* 0 */
};

/* One process to look at, from the ring buffer `found`. */
struct ad_found {
	__u32 pid; /* the process (tgid) */
	__u32 pad;
	/* The program it exec'd; all 0 when ld.so mapped or unmapped
	 * libraries. */
	struct ad_file_key file;
};

#define AD_KNOWN_FILES 16384u	     /* entries of the known map (LRU) */
#define AD_FOUND_RING (256u * 1024u) /* bytes of the found ring buffer */

#endif /* ASYNCDUMP_ABI_H */
