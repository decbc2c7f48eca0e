// SPDX-License-Identifier: BSD-2-Clause
/*
 * collect.h - build the snapshot of one process: its records from the BPF
 * maps (records.h) plus every string resolved from its memory (procmem.h).
 * The result feeds the pure rebuild/render code (core/rebuild.h,
 * core/render.h).
 */
#ifndef AD_COLLECT_H
#define AD_COLLECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/snapshot.h"
#include "observer/memread.h"
#include "observer/observer.h"

struct ad_collector;

/* A dump's snapshot is made in two steps, so that the observer's lock is
 * never held while the process's memory is read (which the process can
 * make slow: memread.h):
 *
 * ad_collect_records(), with the observer read-locked: the process's
 * records from the BPF maps into *snap, and *out, what the second step
 * needs. Both steps give up with -ECANCELED once stop_fd (the first's;
 * the second's is mr's) turns readable: the daemon is stopping. Returns
 * 0, or -ESRCH (no such process, or it exited), -EINVAL
 * (pid is a thread's: the message names its process), -ENODATA (it has
 * hit no probe), -EUSERS (it hit probes but was refused: no room for it,
 * refused.h), -EIO (reading the maps failed), -ENOMEM, with a one-line
 * message saying what to do in err; on failure *snap holds nothing that
 * needs freeing and *out is NULL. */
int ad_collect_records(struct ad_observer *obs, pid_t pid, int stop_fd,
		       struct ad_snapshot *snap, struct ad_collector **out,
		       char *err, size_t errlen);

/* ad_collect_resolve(), with no lock: every label, name, file and
 * function resolved from the process's memory, through mr (NULL: read in
 * this thread, with no deadline) by deadline_ms (memread.h), and the
 * frames put in order. Frees c. 0 with *snap filled (free it with
 * ad_snapshot_free), or -ENOMEM or -ECANCELED with a message and *snap
 * empty. Reads
 * that fail or time out leave placeholders, counted in the snapshot's
 * dump_lost. */
int ad_collect_resolve(struct ad_collector *c, struct ad_memread *mr,
		       int64_t deadline_ms, char *err, size_t errlen);

#endif /* AD_COLLECT_H */
