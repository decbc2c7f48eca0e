// SPDX-License-Identifier: BSD-2-Clause
/*
 * hold_frames.c - a process holding N live frames in a realistic shape,
 * for the dump and memory sections of bench/run.py.
 *
 *   hold_frames N [--tasks T] [--dyn]
 *
 * T tasks (default N/100, at least 1) are spawned with ASYNCDUMP_TASK_SPAWN
 * and each owns an equal share of the frames: a root frame and, side by
 * side under it, chains of CHAIN nested frames (siblings as in a join,
 * nesting as in a chain of awaits). Frames are entered with ASYNCDUMP_ENTER_AT
 * naming their task and parent, so building a million takes no polling
 * dance. --dyn gives every frame a runtime label ("frame <i>") that BPF
 * copies, for the memory cost of _DYN labels.
 *
 * Prints READY <pid> once every frame is entered. On stdin EOF it exits
 * every frame and task (so the maps are empty again when it is gone, not
 * waiting for the observer's reclaim) and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncdump.h"

#define CHAIN 8

static long parse_long(const char *what, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s ? s : "", &end, 10);
	if (!s || errno || *end || v < 1) {
		fprintf(stderr,
			"hold_frames: %s needs a positive integer, got '%s'\n",
			what, s ? s : "");
		exit(2);
	}
	return v;
}

static int usage(void)
{
	fprintf(stderr, "usage: hold_frames N [--tasks T] [--dyn]\n");
	return 2;
}

/* Local index k of a task's frames: 0 is the root; chains of CHAIN frames
 * hang from it, each frame's parent the one before it in its chain. */
static long parent_of(long k)
{
	if (k == 0)
		return -1;
	return (k % CHAIN == 1) ? 0 : k - 1;
}

int main(int argc, char **argv)
{
	long n = 0, ntasks = 0;
	int dyn = 0;
	char label[32], line[64];
	char *frames, *tasks;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tasks"))
			ntasks = parse_long("--tasks", argv[++i]);
		else if (!strcmp(argv[i], "--dyn"))
			dyn = 1;
		else if (!n)
			n = parse_long("N", argv[i]);
		else
			return usage();
	}
	if (!n)
		return usage();
	if (!ntasks)
		ntasks = n / 100 > 0 ? n / 100 : 1;
	if (ntasks > n)
		ntasks = n;
	/* One byte per id: the ids are these addresses, distinct and live. */
	frames = calloc((size_t)n, 1);
	tasks = calloc((size_t)ntasks, 1);
	if (!frames || !tasks) {
		fprintf(stderr, "hold_frames: out of memory\n");
		return 1;
	}
	for (long t = 0; t < ntasks; t++) {
		long first = t * n / ntasks, last = (t + 1) * n / ntasks;

		ASYNCDUMP_TASK_SPAWN(&tasks[t], 0, 0, "holder");
		for (long i = first; i < last; i++) {
			long p = parent_of(i - first);
			char *parent = p < 0 ? NULL : &frames[first + p];

			if (dyn) {
				snprintf(label, sizeof(label), "frame %ld", i);
				ASYNCDUMP_ENTER_AT(&tasks[t], &frames[i],
						   parent, label,
						   ASYNCDUMP_F_DYN);
			} else {
				ASYNCDUMP_ENTER_AT(&tasks[t], &frames[i],
						   parent, "hold", 0);
			}
		}
	}
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	for (long i = n; i-- > 0;)
		ASYNCDUMP_EXIT(&frames[i]);
	for (long t = ntasks; t-- > 0;)
		ASYNCDUMP_TASK_EXIT(&tasks[t]);
	free(frames);
	free(tasks);
	return 0;
}
