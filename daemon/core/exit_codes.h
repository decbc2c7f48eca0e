// SPDX-License-Identifier: BSD-2-Clause
/*
 * exit_codes.h - asyncdumpd's documented exit codes (README "The CLI"),
 * and the one mapping from the -errno every function inside returns to
 * the code the edges (main.c, the server's ERR lines, the client) use.
 */
#ifndef AD_EXIT_CODES_H
#define AD_EXIT_CODES_H

enum ad_exit {
	AD_EXIT_OK = 0,
	/* unexpected runtime failure (message says what) */
	AD_EXIT_FAILURE = 1,
	/* bad command line */
	AD_EXIT_USAGE = 2,
	/* --pid: no asyncdumpd --daemon is running */
	AD_EXIT_NO_OBSERVER = 3,
	/* --pid: process alive but has hit no probe */
	AD_EXIT_NOT_OBSERVED = 4,
	/* --pid: no such process */
	AD_EXIT_NO_PROCESS = 5,
	/* not allowed (socket, BPF, /proc/N/mem) */
	AD_EXIT_PERMISSION = 6,
	/* --daemon: BPF load or probe attach failed */
	AD_EXIT_ATTACH = 7,
	/* --daemon: the kernel lacks a feature it needs */
	AD_EXIT_KERNEL = 8,
	/* --pid: process hit probes but was not observed: the observer's
	 * process table is full (--max-procs) */
	AD_EXIT_PROCS_FULL = 9,
};

/* The exit code of a failure -e (0 gives AD_EXIT_OK). The errno values
 * with a code of their own, wherever they come from:
 *   EINVAL        AD_EXIT_USAGE        a bad option, request or setting
 *   ECONNREFUSED  AD_EXIT_NO_OBSERVER  nothing serves the socket
 *   ENODATA       AD_EXIT_NOT_OBSERVED the process hit no probe
 *   ESRCH         AD_EXIT_NO_PROCESS   no such process (or it exited)
 *   EPERM, EACCES AD_EXIT_PERMISSION
 *   ENOTSUP       AD_EXIT_KERNEL       a kernel feature is missing
 *   EUSERS        AD_EXIT_PROCS_FULL   the process was refused: no room
 *                                      for it (--max-procs)
 * Every other one is `otherwise`: what failing means where it happened
 * (AD_EXIT_ATTACH while loading and attaching, else AD_EXIT_FAILURE). */
int ad_exit_code(int e, enum ad_exit otherwise);

#endif /* AD_EXIT_CODES_H */
