// SPDX-License-Identifier: BSD-2-Clause
/*
 * census.h - every observed process and its records, for `asyncdumpd
 * --list`: the process records, then each process's tasks and frames as a
 * snapshot without strings (observer.h says how errors are returned).
 * Nothing is read from the processes' memory, and no _DYN string from the
 * maps: a list needs counts and times, and a hostile process's memory can
 * make a read block.
 */
#ifndef AD_CENSUS_H
#define AD_CENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "asyncdump_abi.h"
#include "core/snapshot.h"

struct ad_observer;

/* One observed process, as its record in the procs map says. */
struct ad_census_proc {
	pid_t pid;
	struct ad_proc proc;
};

/* Every process record, sorted by pid, into *out (malloc'd, free() it;
 * NULL when there is none) and *n. 0 or -errno. */
int ad_census_procs(struct ad_observer *obs, struct ad_census_proc **out,
		    size_t *n);

/* Reads procs[0..n) (sorted by pid) into snaps[0..n): each as collect.h
 * would make its snapshot, but without a string: pid, comm (from
 * /proc/PID/comm, "?" once gone), its process record, the clocks (read
 * before its records, so no frame looks older than now), its tasks and
 * frames of the incarnation procs[i].proc.pgen (others skipped, counted
 * in dump_lost[AD_DUMP_STALE_RECORDS]). Every ad_str is left NULL.
 *
 * Those with maps of their own cost a read of those maps each; those in
 * the shared maps one walk of the shared maps for all of them, so call it
 * with every process of the shared maps at once. snaps[i] of a process
 * whose own maps have gone meanwhile (it exited) is left empty and
 * gone[i] set. Returns 0 or -errno; free each snapshot
 * (ad_snapshot_free) whatever it returned. */
int ad_census_read(struct ad_observer *obs, const struct ad_census_proc *procs,
		   size_t n, struct ad_snapshot *snaps, bool *gone);

#endif /* AD_CENSUS_H */
