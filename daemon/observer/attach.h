// SPDX-License-Identifier: BSD-2-Clause
/*
 * attach.h - the asyncdump probes of objects and processes, attached and
 * detached (observer.h says how errors are returned).
 */
#ifndef AD_ATTACH_H
#define AD_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ad_observer;
struct stat;

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

/* The path through which the daemon opens a file process pid maps at
 * `range` ("start-end" of /proc/PID/maps) as `file`: through
 * /proc/PID/root, so a process in another mount namespace works too, or
 * /proc/PID/map_files when the file was deleted or replaced on disk. */
void ad_obs_mapped_path(pid_t pid, const char *range, const char *file,
			char *buf, size_t len);
/* ad_observer_attach_path() of the file at `path`, called `shown` in
 * messages. Returns the number of probe sites attached, 0 if an
 * attachment covers it already. */
int ad_obs_attach_as(struct ad_observer *obs, const char *path,
		     const char *shown, pid_t pid, char *err, size_t errlen);
/* The attached files process pid maps, from /proc/PID/maps: when the
 * last of them was attached (CLOCK_MONOTONIC ns, 0 if it maps none) in
 * *latest_ns, and their paths as it maps them, ", "-separated, in paths
 * (cut at len). Either may be NULL. Returns 0 or -errno (the process is
 * gone, or its maps cannot be read). */
int ad_obs_mapped_attachments(const struct ad_observer *obs, pid_t pid,
			      uint64_t *latest_ns, char *paths, size_t len);

/* What observation covers of process pid's life (core/snapshot.h,
 * ad_coverage()): when it started (procfs.h) and when the last of the
 * attached files it maps was attached; each 0 if unknown. */
void ad_obs_read_coverage(const struct ad_observer *obs, pid_t pid,
			  uint64_t *started_ns, uint64_t *attached_ns);
/* Detaches the probes of st's inode (for every pid) if `written` or if
 * its size, mtime or ctime differ from when they were attached. Returns
 * the number of probe sites detached (0: none, or unchanged). */
int ad_obs_detach_changed(struct ad_observer *obs, const struct stat *st,
			  bool written);

/* Detaches the probes of that inode attached for every process. Returns
 * the number of probe sites detached. */
int ad_obs_detach_inode(struct ad_observer *obs, dev_t dev, ino_t ino);

/* In a pinned store (pins.h): opens the map of attachments (pinned
 * beside the store's) and, for an adopted store, takes every attachment
 * it records whose file is unchanged (others are dropped, detached),
 * marked unclaimed. Returns 0 or -errno with a message. */
int ad_obs_attachments_open(struct ad_observer *obs, char *err, size_t errlen);

/* Fills the dispatch table with this daemon's probe handlers, each entry
 * in one step (an adopted store's sites then run them): before any site
 * is attached. `kinds` gets how many probes are dispatched (the others'
 * handlers are sleepable and attached directly). Returns 0 or -errno. */
int ad_obs_dispatch_fill(struct ad_observer *obs, unsigned int *kinds);
/* Detaches the adopted attachments no target or discovery attached
 * again. Returns the number of probe sites detached. */
int ad_obs_drop_unclaimed(struct ad_observer *obs);

/* Detaches every probe (ad_observer_close()); in a pinned store, leaves
 * the pinned ones attached for the next daemon. */
void ad_obs_detach_all(struct ad_observer *obs);

#endif /* AD_ATTACH_H */
