// SPDX-License-Identifier: BSD-2-Clause
/*
 * store_load - loads for the frame store's capacity and burst tests.
 *
 *   store_load tasks F T   spawns T tasks "t" (ids 1..T), then enters F
 *                          frames "f" (ids 1..F), frame i at the top level
 *                          of task (i % T) + 1 (ENTER_AT); READY <pid>.
 *   store_load frames F    enters F nested frames "f" in the main thread's
 *                          own task (ENTER); READY <pid>.
 *   store_load storm N F   forks N children as fast as it can, each
 *                          entering F frames "c" in its own task and then
 *                          sleeping until its parent dies; READY <pid>
 *                          <pid>... once every child has hit its probes.
 *
 * After READY each line "more K" enters K more nested frames "m" in the
 * main thread's own task and answers DONE; EOF exits (children with it).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "asyncdump.h"

static char *ids; /* addresses used as frame ids */
static long nids, used;

/* A fresh frame id: an address no other frame of this process uses. */
static char *next_id(void)
{
	if (used >= nids) {
		fprintf(stderr, "store_load: out of frame ids\n");
		exit(2);
	}
	return &ids[used++];
}

static void enter_nested(long n)
{
	for (long i = 0; i < n; i++)
		ASYNCDUMP_ENTER(next_id(), "m");
}

static void tasks(long f, long t)
{
	for (long i = 1; i <= t; i++)
		ASYNCDUMP_TASK_SPAWN(i, 0, 0, "t");
	for (long i = 0; i < f; i++)
		ASYNCDUMP_ENTER_AT(i % t + 1, next_id(), 0, "f", 0);
}

static void child(long f, int ready_fd, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0); /* the parent died before prctl */
	for (long i = 0; i < f; i++)
		ASYNCDUMP_ENTER(next_id(), "c");
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
	for (;;)
		pause();
}

/* Forks n children entering f frames each; prints their pids. */
static int storm(long n, long f)
{
	pid_t self = getpid(), *kids = calloc((size_t)n, sizeof(*kids));
	int ready[2];
	char c;

	if (!kids || pipe(ready))
		return 1;
	for (long i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (kids[i] == 0) {
			close(ready[0]);
			child(f, ready[1], self);
		}
	}
	close(ready[1]);
	for (long i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1)
			return 1;
	close(ready[0]);
	printf("READY %d", (int)self);
	for (long i = 0; i < n; i++)
		printf(" %d", (int)kids[i]);
	printf("\n");
	fflush(stdout);
	free(kids);
	return 0;
}

int main(int argc, char **argv)
{
	long a = argc > 2 ? atol(argv[2]) : 0, b = argc > 3 ? atol(argv[3]) : 0;
	char line[64];

	if (argc < 3 || a < 0 || b < 0)
		return 2;
	nids = 4L * 1024 * 1024 + 1024 * 1024;
	ids = calloc((size_t)nids, 1);
	if (!ids)
		return 1;
	if (!strcmp(argv[1], "tasks") && b > 0) {
		tasks(a, b);
	} else if (!strcmp(argv[1], "frames")) {
		enter_nested(a);
	} else if (!strcmp(argv[1], "storm")) {
		if (storm(a, b))
			return 1;
	} else {
		return 2;
	}
	if (strcmp(argv[1], "storm")) {
		printf("READY %d\n", (int)getpid());
		fflush(stdout);
	}
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "more ", 5))
			enter_nested(atol(line + 5));
		printf("DONE\n");
		fflush(stdout);
	}
	return 0;
}
