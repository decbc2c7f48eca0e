// SPDX-License-Identifier: BSD-2-Clause
/*
 * records.h - one process's records read back for a dump: its process
 * record, its tasks and frames with their _DYN strings, its threads'
 * state (observer.h says how errors are returned).
 */
#ifndef AD_RECORDS_H
#define AD_RECORDS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "asyncdump_abi.h"
#include "core/snapshot.h"
#include "observer/store.h"

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
	int (*frame)(void *ctx, uint64_t id, const struct ad_frame_rec *rec,
		     const char *text);
	void *ctx;
};

/* The key size of set m's frames map: a slot's is keyed by the frame id
 * alone, the shared one by struct ad_shared_key (asyncdump_abi.h). */
size_t ad_frames_key_size(const struct ad_mapset *m);
/* A frames map entry of set m (key k, value v, as read) as the frame's
 * struct ad_key {pid, AD_KIND_FRAME, id} in *key (the key of its copied
 * string) and its record in *rec. A slot's records are of its owner
 * (pid, pgen); the shared map's key says whose. */
void ad_frame_entry(const struct ad_mapset *m, uint32_t pid, uint32_t pgen,
		    const void *k, const void *v, struct ad_key *key,
		    struct ad_frame_rec *rec);
/* The key in set m's frames map of frame key (struct ad_key, as above) of
 * incarnation pgen, built in *buf. */
const void *ad_frame_map_key(const struct ad_mapset *m,
			     const struct ad_key *key, uint32_t pgen,
			     struct ad_shared_key *buf);

/* A tasks map entry (key, the value as read) as a task record in *out:
 * AD_TF_THREAD set exactly for a thread's own task (key kind
 * AD_KIND_THREAD), whatever the value says. false, *out untouched, for a
 * key of any other kind. */
bool ad_record_task(const struct ad_key *key, const void *val,
		    struct ad_task *out);

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

#endif /* AD_RECORDS_H */
