/*
 * collect.h - build the snapshot of one process: its records from the BPF
 * maps (observer.h) plus every string resolved from its memory (procmem.h).
 * The result feeds the pure rebuild/render code (forest.h, render.h).
 */
#ifndef AD_COLLECT_H
#define AD_COLLECT_H

#include <stddef.h>
#include <sys/types.h>

#include "observer.h"
#include "snapshot.h"

/* Returns AD_EXIT_OK with *snap filled (free it with ad_snapshot_free),
 * or an enum ad_exit code (AD_EXIT_NO_PROCESS, AD_EXIT_NOT_OBSERVED,
 * AD_EXIT_FAILURE) with a one-line message saying what to do in err; on
 * failure *snap holds nothing that needs freeing. */
int ad_collect(struct ad_observer *obs, pid_t pid, struct ad_snapshot *snap,
	       char *err, size_t errlen);

#endif /* AD_COLLECT_H */
