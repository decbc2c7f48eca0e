// SPDX-License-Identifier: BSD-2-Clause
/*
 * snapshot.h - one process's raw records as read from the BPF maps, with
 * every string already resolved from the process's memory. This is the
 * boundary between I/O (observer/collect.c fills it) and pure logic
 * (rebuild.c, render*.c consume it), so unit tests can build snapshots by
 * hand.
 */
#ifndef AD_SNAPSHOT_H
#define AD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asyncdump_abi.h"
#include "core/strpool.h"

/* A string read from the observed process (or copied by BPF). Owned by the
 * snapshot: a heap copy of its own, or (borrowed) a string in the
 * snapshot's pool, shared by every frame that shows the same text.
 * `text` is never NULL once resolved; when it could not be read
 * `unreadable` is set and text is e.g. "<unreadable 0x7f12...>". */
struct ad_str {
	char *text;
	bool truncated;
	bool unreadable;
	bool borrowed; /* text lives in snapshot.pool: not freed on its own */
};

/* A frame record as the frames maps hold it (struct ad_frame, packed),
 * with its fields apart, and the incarnation it belongs to (in the map
 * or the key there). */
struct ad_frame_rec {
	uint64_t task, task_gen, parent, parent_gen, enter_ns, label, site;
	uint32_t pgen;
	uint32_t flags; /* ASYNCDUMP_F_* | AD_FF_* */
};

/* The record of map value v, of incarnation pgen. */
static inline struct ad_frame_rec ad_frame_rec_of(const struct ad_frame *v,
						  uint32_t pgen)
{
	struct ad_frame_rec r = {
		.task = v->task,
		.task_gen = v->task_gen,
		.parent = v->parent,
		.parent_gen = v->parent_gen,
		.enter_ns = v->enter_ns,
		.label = v->label,
		.site = ad_frame_site(v),
		.pgen = pgen,
		.flags = ad_frame_flags(v),
	};
	return r;
}

/* A frame's task is rec.task of the kind its flags say: a thread's own
 * task (AD_FF_THREAD_TASK, rec.task is the tid) or a task id given to the
 * probes (ad_frame_of_thread_task()). */
struct ad_snap_frame {
	uint64_t id;
	struct ad_frame_rec rec;
	struct ad_str label;
	struct ad_str file;
	struct ad_str function;
	uint32_t line;
};

/* A task is a thread's own task, its id the tid, exactly when
 * rec.flags has AD_TF_THREAD (tasks map key kind AD_KIND_THREAD: the
 * collector sets the flag from the key); else its id is the one given to
 * the probes, any 64-bit value (ad_task_is_thread()). A thread's own task
 * and a task whose id equals that tid are two tasks. */
struct ad_snap_task {
	uint64_t id;
	struct ad_task rec; /* as in the tasks map */
	struct ad_str name;
	struct ad_str file;
	struct ad_str function;
	uint32_t line;
	/* A thread's own task in a process not observed from its start:
	 * when the thread started (CLOCK_MONOTONIC, rounded down to a clock
	 * tick); 0 if unknown or not read. */
	uint64_t thread_started_ns;
};

/* Is the task of this record a thread's own task (its id the tid)? */
static inline bool ad_task_is_thread(const struct ad_task *rec)
{
	return rec->flags & AD_TF_THREAD;
}

/* Is the task of this frame record a thread's own task (rec->task the
 * tid)? */
static inline bool ad_frame_of_thread_task(const struct ad_frame_rec *rec)
{
	return rec->flags & AD_FF_THREAD_TASK;
}

/* Counters found while collecting (not in the BPF maps). */
enum ad_dump_lost {
	AD_DUMP_LABEL_UNREADABLE, /* literal label/site could not be read at dump time */
	AD_DUMP_STALE_RECORDS, /* records of an older incarnation of this PID, skipped */
	AD_DUMP_MEMORY_TIMEOUT, /* of the unreadable: the process's memory did not answer in time */
	AD_DUMP_LOST_COUNT,
};
#define AD_DUMP_LOST_NAMES                                                     \
	"dump_label_unreadable", "stale_records", "dump_memory_timeout"

/* Every loss a dump shows, in the order it shows them: the process's BPF
 * counters (AD_LOST_NAMES), those found while collecting, and the
 * machine-wide procs_full. */
#define AD_LOSS_COUNT (AD_LOST_COUNT + AD_DUMP_LOST_COUNT + 1)
struct ad_loss {
	const char *name;
	uint64_t value;
};

struct ad_snapshot {
	int32_t pid;
	char comm[17];
	struct ad_proc proc;	 /* procs map record */
	uint64_t now_ns;	 /* CLOCK_MONOTONIC at collection */
	int64_t mono_to_wall_ns; /* add to a CLOCK_MONOTONIC value for wall ns */
	uint64_t procs_full;	 /* machine-wide AD_GLOBAL_PROCS_FULL */
	uint64_t dump_lost[AD_DUMP_LOST_COUNT];
	/* What observation covers of the process's life (ad_coverage()),
	 * CLOCK_MONOTONIC, 0 if unknown: its start, and when the last of
	 * the files with probes it maps was attached. */
	uint64_t started_ns;
	uint64_t attached_ns;

	struct ad_snap_task *tasks;
	size_t ntasks;
	struct ad_snap_frame *frames;
	size_t nframes;
	struct ad_strpool pool; /* borrowed strings (struct ad_str) */
};

/* The innermost frame of a task that a thread is running: while a thread
 * runs a task, BPF keeps that task's innermost frame in the thread's state
 * (struct ad_thread), and the record's `top` is the value from when the
 * task last stopped running. Given the record (id, rec) and the state of
 * the thread named by rec->tid, of incarnation pgen, stores the current
 * innermost frame in rec->top/top_gen (and in rec->wait_seq the poll whose
 * hand-over it still waits for, if any) and returns true; returns false and
 * leaves rec alone when the state is not about this task (another
 * incarnation, the thread moved on to another task, or an older record
 * with the same id). */
/* The wall-clock time (ns since the epoch) of a CLOCK_MONOTONIC value of
 * this snapshot's records. Modulo 2^64: a time from a corrupt or hostile
 * record comes out wrong, never as undefined behaviour. */
static inline int64_t ad_snap_wall_ns(const struct ad_snapshot *s,
				      uint64_t mono_ns)
{
	return (int64_t)(mono_ns + (uint64_t)s->mono_to_wall_ns);
}

bool ad_task_apply_thread(uint64_t id, struct ad_task *rec,
			  const struct ad_thread *th, uint32_t pgen);

/* The snapshot's losses (AD_LOSS_COUNT of them, zeros included) into
 * out. */
void ad_snapshot_losses(const struct ad_snapshot *s,
			struct ad_loss out[AD_LOSS_COUNT]);

/* The process's record is stamped (observed_since_ns) when its first
 * probe makes it, a few µs after that probe read the clock for its own
 * frame or task: one record may look older than the observation. Moves
 * observed_since_ns back to the earliest frame enter or task spawn at most
 * AD_FIRST_PROBE_SLACK_NS before it (an older one is another story: a
 * record of an earlier process of the pid, left as it is). */
#define AD_FIRST_PROBE_SLACK_NS (10ull * 1000000ull)
void ad_snapshot_settle_since(struct ad_snapshot *s);

/* Whether the process was observed from its start: the probes of every
 * file it maps were attached before it started (WHOLE), or some after,
 * so that frames entered before are not shown (PARTIAL; so too a process
 * forked and not exec'd, AD_PF_FORKED: it runs inside frames its parent
 * entered), or either of the two times is unknown (UNKNOWN). A start time is rounded down to a
 * clock tick, so a process started within a tick after the attach may
 * show as PARTIAL: never WHOLE when it might not be. */
enum ad_coverage {
	AD_COVERAGE_UNKNOWN,
	AD_COVERAGE_WHOLE,
	AD_COVERAGE_PARTIAL,
};
enum ad_coverage ad_coverage(const struct ad_snapshot *s);
/* "whole", "partial" or "unknown". */
const char *ad_coverage_name(enum ad_coverage c);

/* Frees text unless borrowed; clears s either way. */
void ad_str_free(struct ad_str *s);
/* Frees everything the snapshot owns, its pool included (not the struct
 * itself). */
void ad_snapshot_free(struct ad_snapshot *snap);

#endif /* AD_SNAPSHOT_H */
