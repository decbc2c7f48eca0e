// SPDX-License-Identifier: BSD-2-Clause
/*
 * discover.h - every process of the host whose program or libraries carry
 * asyncdump probes, found and attached without being named (observer.h
 * says how errors are returned).
 *
 * At start the maps of every process are read (/proc/PID/maps). Then the
 * BPF programs of bpf/discover.bpf.c tell each process that may have
 * come to map a new file: one that exec'd a program not decided about,
 * and one whose dynamic loader (ld.so, hooked by a uprobe on
 * _dl_debug_state(), the debuggers' breakpoint) has just mapped the
 * libraries of a starting program or of a dlopen(). That process's maps
 * are read and every new file with asyncdump notes is attached for every
 * process: from then on the kernel puts its probes in each process that
 * maps it, at the mapping, with no window. Each file is read once: its
 * inode is remembered, in user space and in the BPF programs' known map,
 * with or without probes.
 *
 * What remains: the first process to map a file never seen before runs
 * a few ms (until the daemon has read its notes and attached it) without
 * its probes; what it entered then is not seen, and its dumps say so
 * (their coverage starts at the attach).
 */
#ifndef AD_DISCOVER_H
#define AD_DISCOVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ad_observer;

/* A file found with probes (sites > 0, attached for every process), or
 * one that could not be attached (err). path is as process pid maps it;
 * opened is the path the daemon opened it by. */
struct ad_discover_note {
	pid_t pid;
	const char *path;
	const char *opened;
	int sites;
	const char *err;
};
typedef void (*ad_discover_fn)(void *ctx, const struct ad_discover_note *note);

/* What a scan of every process did. */
struct ad_discover_stats {
	unsigned int procs;	 /* processes whose maps were read */
	unsigned int files_read; /* files whose notes were read */
	unsigned int attached;	 /* files attached */
	unsigned int sites;	 /* probe sites attached */
	uint64_t ns;		 /* how long it took (CLOCK_MONOTONIC) */
};

/* Starts telling new executable mappings: loads and attaches the BPF
 * program. Returns 0, or -errno with a message (the kernel refuses it:
 * then only scans find processes). */
int ad_observer_discover_open(struct ad_observer *obs, char *err,
			      size_t errlen);
/* Reads every process's maps and attaches the files with probes not
 * attached yet; tells fn of each. Returns the number of files attached,
 * or -errno if /proc cannot be read. */
int ad_observer_discover_scan(struct ad_observer *obs, ad_discover_fn fn,
			      void *ctx, struct ad_discover_stats *st);
/* The descriptor to poll for mappings told; -1 if not open. */
int ad_observer_discover_fd(const struct ad_observer *obs);
/* Reads the mappings told and acts on them; after mappings were dropped
 * (the ring buffer was full) scans every process again. Returns the
 * number of files attached, or -errno. */
int ad_observer_discover_handle(struct ad_observer *obs, ad_discover_fn fn,
				void *ctx);
/* The file (dev, ino), as stat() gives them, changed: it is decided
 * about again at its next mapping. */
void ad_obs_discover_forget(struct ad_observer *obs, dev_t dev, ino_t ino);
/* Stops (ad_observer_close()). */
void ad_obs_discover_close(struct ad_observer *obs);

#endif /* AD_DISCOVER_H */
