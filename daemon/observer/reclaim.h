// SPDX-License-Identifier: BSD-2-Clause
/*
 * reclaim.h - what exited tasks and processes leave in the maps, found and
 * deleted in slices between dumps; the events ring buffer that says who
 * exited (observer.h says how errors are returned).
 */
#ifndef AD_RECLAIM_H
#define AD_RECLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ad_observer;

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
/* Ring buffer of events (a process took a slot, a process exited, a
 * process was refused): poll it for readability, then call
 * ad_observer_handle_events(), which drains it: it drops the maps of
 * exited processes, asks for a sweep of the shared maps if a process in
 * them exited, and tells on_proc (observer.h) of processes refused, grown
 * into a big slot or moved out of the shared maps. Call
 * ad_observer_refill() after it. Returns 0 or -errno. */
int ad_observer_events_fd(struct ad_observer *obs);
int ad_observer_handle_events(struct ad_observer *obs);

struct ad_reclaim_stats {
	bool full;	/* ad_observer_gc()'s sweep, else an exit sweep */
	size_t judged;	/* records judged dead */
	size_t deleted; /* of those, deleted (the rest had changed) */
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

/* The events ring buffer's callback, and the reclaim state's setup and
 * teardown (observer.c). */
int ad_obs_handle_event(void *ctx, void *data, size_t size);
int ad_obs_reclaim_init(struct ad_observer *obs); /* 0 or -ENOMEM */
void ad_obs_reclaim_fini(struct ad_observer *obs);

#endif /* AD_RECLAIM_H */
