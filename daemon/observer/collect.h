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
#include <sys/types.h>

#include "core/snapshot.h"
#include "observer/observer.h"

/* Returns 0 with *snap filled (free it with ad_snapshot_free), or -ESRCH
 * (no such process, or it exited), -ENODATA (it has hit no probe), -EIO
 * (reading the maps failed), -ENOMEM, with a one-line message saying what
 * to do in err; on failure *snap holds nothing that needs freeing. */
int ad_collect(struct ad_observer *obs, pid_t pid, struct ad_snapshot *snap,
	       char *err, size_t errlen);

#endif /* AD_COLLECT_H */
