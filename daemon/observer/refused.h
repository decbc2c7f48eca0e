// SPDX-License-Identifier: BSD-2-Clause
/*
 * refused.h - processes the observer could not take: their probe hits
 * found no room for a process record (more live processes than
 * --max-procs), so every event of theirs is dropped. BPF notes each in
 * the refused map (asyncdump_abi.h, struct ad_refused) and announces the
 * first refusal with an event (reclaim.h reads them; the daemon logs
 * each through ad_observer_opts.on_proc). A dump of such a process
 * says so, with the reason, instead of blaming its build.
 */
#ifndef AD_REFUSED_H
#define AD_REFUSED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ad_observer;

/* A dump's answer for a process with no process record: -EUSERS with a
 * message in err (not observed and why, how many of its probe events
 * were dropped since when, what to do) if it was refused, else -ENOENT
 * and err untouched: pid was never refused, or its entry belongs to an
 * earlier process with that pid (its start time is not this one's), or
 * the process is gone. */
int ad_observer_refused_err(struct ad_observer *obs, pid_t pid, char *err,
			    size_t errlen);

/* --max-procs: how many processes the observer takes. */
uint32_t ad_observer_max_procs(const struct ad_observer *obs);

#endif /* AD_REFUSED_H */
