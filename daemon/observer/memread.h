// SPDX-License-Identifier: BSD-2-Clause
/*
 * memread.h - read another process's memory where a read that never
 * returns can be abandoned.
 *
 * An observed program decides where its labels point. A pointer into a
 * userfaultfd page that is never served, or into a file whose FUSE server
 * hangs, leaves process_vm_readv (and a read of /proc/PID/mem) waiting in
 * the kernel for as long as that program likes, and no thread of the
 * daemon can be pulled out of that wait. So the daemon reads through a
 * helper process: a reader sends it one request at a time and waits for
 * the answer with a deadline; past it, the helper is killed (the kernel
 * waits killably there) and the read reports -ETIMEDOUT; the next read
 * starts a new helper. A wedged read costs the dump that made it, never
 * the daemon.
 *
 * The helper is this very program run again (/proc/self/exe, argv[0]
 * AD_MEMREAD_ARGV0): a fresh, small address space, not a fork of the
 * daemon's (which would keep a big dump's memory alive in the child).
 * Every program that reads through a helper must therefore start its
 * main() with ad_memread_helper_main(), as asyncdumpd does.
 */
#ifndef AD_MEMREAD_H
#define AD_MEMREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most one read may ask for: one page (callers read page by page). */
#define AD_MEMREAD_MAX 4096
/* One read that has not answered within this time is taken as wedged. */
#define AD_MEMREAD_TIMEOUT_MS 1000
/* argv[0] of the helper process. */
#define AD_MEMREAD_ARGV0 "asyncdumpd-memread"

struct ad_memread {
	bool use_helper; /* false: read in this thread (tools, tests) */
	int stop_fd;	 /* readable: abandon reads (-ECANCELED); or -1 */
	pid_t child;	 /* the helper, or 0 */
	int sock;	 /* to the helper, or -1 */
	pid_t reap;	 /* a killed helper not yet reaped, or 0 */
	pid_t mem_pid;	 /* whose /proc/PID/mem memfd is (direct reads) */
	int memfd;	 /* /proc/PID/mem, once process_vm_readv was refused */
	bool use_memfd;
	size_t helpers, timeouts; /* for tests */
};

/* A reader: through a helper process when use_helper, else directly (no
 * deadline then). stop_fd (or -1): a file that turns readable when every
 * read under way must be abandoned (the daemon is stopping). */
void ad_memread_init(struct ad_memread *mr, bool use_helper, int stop_fd);

/* Reads exactly len (at most AD_MEMREAD_MAX) bytes of process pid at
 * addr into buf, waiting for the helper until deadline_ms
 * (CLOCK_MONOTONIC, ms; 0 for none) and at most AD_MEMREAD_TIMEOUT_MS.
 * 0, or -EFAULT (not mapped), -ESRCH (no such process), -EPERM,
 * -ETIMEDOUT (no answer in time: the helper was killed), -ECANCELED
 * (stop_fd turned readable), -EINVAL, or another -errno. */
int ad_memread_read(struct ad_memread *mr, pid_t pid, uint64_t addr, void *buf,
		    size_t len, int64_t deadline_ms);

/* Starts a helper now if none runs (one was killed, or none yet), so the
 * next read does not wait for it to start up (tens of ms). 0 or -errno
 * (the next read tries again). */
int ad_memread_prepare(struct ad_memread *mr);

/* Stops the helper (if any) and closes what the reader holds. */
void ad_memread_fini(struct ad_memread *mr);

/* To be called first thing in main(): when this process is a helper
 * (argv[0] is AD_MEMREAD_ARGV0), serves reads until its reader goes away
 * and returns the exit status; else returns -1 and main goes on. */
int ad_memread_helper_main(int argc, char *argv[]);

#endif /* AD_MEMREAD_H */
