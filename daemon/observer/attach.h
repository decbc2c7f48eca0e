// SPDX-License-Identifier: BSD-2-Clause
/*
 * attach.h - the asyncdump probes of objects and processes, attached and
 * detached (observer.h says how errors are returned).
 */
#ifndef AD_ATTACH_H
#define AD_ATTACH_H

#include <stddef.h>
#include <sys/types.h>

struct ad_observer;

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

/* Detaches every probe (ad_observer_close()). */
void ad_obs_detach_all(struct ad_observer *obs);

#endif /* AD_ATTACH_H */
