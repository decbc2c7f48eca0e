// SPDX-License-Identifier: BSD-2-Clause
/*
 * watch.h - the objects attached for every process, watched for change
 * (observer.h says how errors are returned).
 *
 * The kernel keeps a uprobe at a file offset of an inode. A new build
 * copied over an attached executable in place (same inode: `cp`,
 * `cat >`) moves its code but not the uprobes, and the next start of it
 * would take a breakpoint in the middle of an instruction and crash. So
 * each attached file is marked with fanotify: a write to it detaches its
 * probes at once, and every exec of it waits (FAN_OPEN_EXEC_PERM) until
 * the daemon has read the events before it, detached what changed and
 * attached the new contents' probes. A path that comes to name a new
 * file (`gcc -o`, `install`, a package upgrade: a new inode) is seen
 * through inotify on its directory and the new file attached; the old
 * one stays attached for processes still running it.
 *
 * What remains: a shared library rewritten in place and mapped by a
 * process before the daemon reads the write (a few ms) gets the old
 * offsets; an exec cannot, it waits for the daemon.
 */
#ifndef AD_WATCH_H
#define AD_WATCH_H

#include <stddef.h>
#include <sys/types.h>

struct ad_observer;

enum ad_watch_what {
	AD_WATCH_DETACHED,   /* written to: its probes detached */
	AD_WATCH_REATTACHED, /* its new contents' probes attached */
	AD_WATCH_REPLACED,   /* the path names a new file: attached */
	AD_WATCH_FAILED,     /* its new contents could not be attached */
	AD_WATCH_OVERFLOW,   /* the kernel dropped events: all checked */
};

struct ad_watch_note {
	enum ad_watch_what what;
	const char *path;
	int sites;	 /* probe sites detached or attached */
	const char *err; /* AD_WATCH_FAILED: why */
	dev_t dev;	 /* AD_WATCH_DETACHED: the file's inode */
	ino_t ino;
};

typedef void (*ad_watch_fn)(void *ctx, const struct ad_watch_note *note);

/* Watches `path`, attached with ad_observer_attach_path(pid -1), for
 * change. Returns 0, or -errno with a message (e.g. fanotify is not
 * available: -ENOSYS, -EPERM). */
int ad_observer_watch_path(struct ad_observer *obs, const char *path, char *err,
			   size_t errlen);

/* Watches the inode of `path`, attached with ad_observer_attach_path(pid
 * -1) but not by that path (a file found by discovery.h, opened through
 * /proc): a write detaches its probes, an exec waits for the daemon, as
 * above; what comes to be at its path is not watched. Returns 0 or -errno
 * with a message. */
int ad_observer_watch_inode(struct ad_observer *obs, const char *path,
			    char *err, size_t errlen);
/* Detaches the probes of the file `path` names, attached for every
 * process, and stops watching it (files it named before stay attached
 * for the processes running them). Returns the number of probe sites
 * detached. */
int ad_observer_forget_path(struct ad_observer *obs, const char *path);

/* The descriptor to poll for changes; -1 while nothing is watched. */
int ad_observer_watch_fd(const struct ad_observer *obs);

/* Reads the pending changes and acts on them (above); tells each to fn.
 * Every exec waiting for the daemon is let through, whatever happened.
 * Returns 0, or -errno if the notifications could not be read. */
int ad_observer_watch_handle(struct ad_observer *obs, ad_watch_fn fn,
			     void *ctx);

/* Stops watching (ad_observer_close()). */
void ad_obs_watch_close(struct ad_observer *obs);

#endif /* AD_WATCH_H */
