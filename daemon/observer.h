/*
 * observer.h - the BPF side of asyncdumpd: load the programs with the
 * configured capacities, attach them to the asyncdump probes of binaries
 * and processes, reclaim records of exited processes, and read one
 * process's records back. Everything that touches libbpf lives behind this.
 */
#ifndef AD_OBSERVER_H
#define AD_OBSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../include/asyncdump_abi.h"
#include "kernel_features.h"

struct ad_observer_opts {
	uint32_t max_frames; /* live frames per process (AD_DEFAULT_MAX_FRAMES) */
	uint32_t max_tasks;  /* live tasks per process, thread tasks included
			      * (AD_DEFAULT_MAX_TASKS) */
	uint32_t max_procs;  /* observed processes (AD_DEFAULT_MAX_PROCS) */
	uint32_t max_slots;  /* processes given maps of their own, <= max_procs
			      * (asyncdump_abi.h, "Where records live") */
	uint32_t label_max;  /* bytes kept of a _DYN string, NUL included */
	/* What the kernel can do (ad_features_probe()): which variant of
	 * the programs to load, how to read thread states. Required. */
	const struct ad_features *features;
};

struct ad_observer;

/* Where ad_observer_read_records() hands one process's records, one at a
 * time, each with the _DYN string BPF copied for it: `text` is a frame's
 * label or a task's name, NUL-terminated (at most label_max - 1 bytes),
 * or NULL when the record claims no copied string (no AD_FF_LABEL_COPIED
 * / AD_TF_NAME_COPIED flag) or its string was deleted between the two
 * lookups (the owner was exiting). rec and text are valid only during the
 * call. A nonzero return stops the read and is returned by it. */
struct ad_record_sink {
	int (*task)(void *ctx, uint64_t id, const struct ad_task *rec,
		    const char *text);
	int (*frame)(void *ctx, uint64_t id, const struct ad_frame *rec,
		     const char *text);
	void *ctx;
};

/* Every function returning int returns 0 (or a count) on success and
 * -errno on failure, with a message naming what failed and what to do
 * written to err (NUL-terminated, truncated to errlen). */

int ad_observer_open(const struct ad_observer_opts *opts,
		     struct ad_observer **out, char *err, size_t errlen);
void ad_observer_close(struct ad_observer *obs);

/* Attaches every asyncdump probe of the ELF file at `path` (executable or
 * shared library). pid -1: every process that maps it, now and later.
 * Returns the number of probe sites attached; -ENOENT (with a message) if
 * the file has no asyncdump probes. */
int ad_observer_attach_path(struct ad_observer *obs, const char *path,
			    pid_t pid, char *err, size_t errlen);
/* Attaches, for that PID only, every object it maps that has asyncdump
 * probes. Returns the number of probe sites attached. */
int ad_observer_attach_pid(struct ad_observer *obs, pid_t pid, char *err,
			   size_t errlen);

/* Each process's own maps (asyncdump_abi.h, "Where records live"). The
 * daemon keeps a few slots ready; every process that takes one is
 * announced by an event, after which the daemon should call this to make
 * another. 0, or -errno with a message (new processes then use the
 * shared maps, which loses nothing but makes their dumps slower). */
int ad_observer_refill(struct ad_observer *obs, char *err, size_t errlen);

/* Reclaiming. An exited process with its own maps is reclaimed when its
 * exit event is read: its maps are dropped, the kernel frees them. The
 * probes cannot delete what exited tasks leave behind (frames), nor what
 * exited processes leave in the shared maps; sweeps do, in two parts:
 *   judging: each map of each map set (the shared maps, then each
 *     process's) is read in batches and its dead records noted;
 *   deleting: each of those is checked again and deleted only if it is
 *     still the record that was judged (a few syscalls per record).
 * Both run in slices of a given length, so dumps are served in between.
 * ad_observer_gc() and ad_observer_handle_events() ask for a sweep;
 * ad_observer_reclaim() does the work while ad_observer_reclaim_pending().
 */

/* Asks for a full sweep of every map set: records whose process is gone
 * or is another incarnation, frames whose task is gone or is another
 * generation, strings whose owner is gone or (after a grace period) does
 * not claim them; and slots whose owner has gone without its exit event
 * being read (a full ring buffer). */
void ad_observer_gc(struct ad_observer *obs);
/* Ring buffer of events (a process took a slot, a process exited): poll
 * it for readability, then call ad_observer_handle_events(), which drains
 * it: it drops the maps of exited processes, and asks for a sweep of the
 * shared maps if a process in them exited. Call ad_observer_refill()
 * after it. Returns 0 or -errno. */
int ad_observer_events_fd(struct ad_observer *obs);
int ad_observer_handle_events(struct ad_observer *obs);

struct ad_reclaim_stats {
	bool full;             /* ad_observer_gc()'s sweep, else an exit sweep */
	size_t judged;         /* records judged dead */
	size_t deleted;        /* of those, deleted (the rest had changed) */
	size_t slots_released; /* slots of processes gone without an event */
	size_t slots_judged;   /* processes' maps judged (the rest were
				* unchanged since they were last judged) */
	uint64_t judge_ns;     /* the walks */
	uint64_t delete_ns;    /* the deletes, all slices */
};

/* Whether reclaim work is waiting, and how much it matters: a periodic
 * sweep still judging (it usually finds nothing: background) or an exit
 * sweep, or any sweep with records to delete (urgent: dead records fill
 * the maps and slow every dump of the shared maps down until they are
 * gone). */
enum ad_reclaim_need {
	AD_RECLAIM_NONE,
	AD_RECLAIM_BACKGROUND,
	AD_RECLAIM_URGENT,
};
enum ad_reclaim_need ad_observer_reclaim_pending(const struct ad_observer *obs);
/* Works for about budget_ns on the sweep under way, or starts the one
 * asked for: judging (a batch of a few thousand records at a time), then
 * deleting (at least 64 records at a time). Returns 1 when a sweep
 * finished in this call (its numbers in *done, if not NULL), 0 when there
 * is more to do or nothing was pending, or -errno (the sweep is dropped;
 * the next one finds what it missed). */
int ad_observer_reclaim(struct ad_observer *obs, uint64_t budget_ns,
			struct ad_reclaim_stats *done);

/* -ENOENT if the process has no record (never hit a probe, or exited). */
int ad_observer_read_proc(struct ad_observer *obs, pid_t pid,
			  struct ad_proc *out);
/* Hands every task, then every frame, of `pid` whose pgen matches
 * proc->pgen to sink, each with its copied _DYN string. proc is the
 * process's record (ad_observer_read_proc()): its slot says which maps
 * hold its records. A process with its own maps costs a read of those
 * maps, whatever other processes hold; one in the shared maps a walk over
 * every shared record. Records of other incarnations of pid (in the
 * shared maps, until reclaimed) are skipped and counted in *stale.
 * Records entered or exited during the read may be missed or seen twice
 * (the rebuild drops duplicate ids). Returns 0, a sink's nonzero return,
 * -ESRCH if the process exited meanwhile (its maps are gone), or -errno. */
int ad_observer_read_records(struct ad_observer *obs, pid_t pid,
			     const struct ad_proc *proc,
			     const struct ad_record_sink *sink,
			     uint64_t *stale);
/* Hands the BPF per-thread state of every thread of `pid` that has one to
 * fn (rec valid only during the call; a nonzero return stops the read and
 * is returned), through the task iterator: over that process's threads,
 * or where the kernel cannot limit it, over every task of the host.
 * Threads starting or exiting meanwhile may be missed. 0 or -errno. */
int ad_observer_read_threads(struct ad_observer *obs, pid_t pid,
			     int (*fn)(void *ctx,
				       const struct ad_thread_rec *rec),
			     void *ctx);
uint64_t ad_observer_global(struct ad_observer *obs, enum ad_global which);
uint32_t ad_observer_label_max(const struct ad_observer *obs);

#endif /* AD_OBSERVER_H */
