// SPDX-License-Identifier: BSD-2-Clause
/*
 * restart - a program whose observer is restarted under it (issue 14):
 * frames entered before the restart, in the gap while no observer runs,
 * and after, with exits in the gap and after. Its own record of the truth
 * is in the comments: a dump must show each frame right or mark it
 * uncertain.
 *
 *   1. "main before" (thread), T1 spawned at it and polled: "t1 before"
 *      open in T1; T3 spawned, not polled.                          READY
 *   2. (the observer is stopped) "gap exited" entered and exited in T1,
 *      "t1 gap" open under "t1 before".                              READY
 *   3. (a new observer runs) still in T1's poll: "t1 after" under
 *      "t1 gap", "t1 after inner" under it; "t1 at" (ENTER_AT T1) under
 *      "t1 before". A thread
 *      started now enters "new thread root" and stays in it.         READY
 *   4. every T1 frame exits, POLL_END(T1); T3 polled, "t3 frame" open
 *      at its top, its poll ends; "main after" under "main before"; T2
 *      spawned at it and polled: "t2 root" > "t2 child".            READY
 *   EOF exits.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

#include "asyncdump.h"

static char t1, t2, t3;
static sem_t entered, never;

/* A thread started after the restart: all it does is seen. */
static void *worker(void *arg)
{
	char root;

	(void)arg;
	ASYNCDUMP_ENTER(&root, "new thread root");
	sem_post(&entered);
	while (sem_wait(&never))
		;
	return NULL;
}

/* READY pid T1 T2 T3: the tasks' ids, as a dump names them. */
static int ready(void)
{
	char line[16];

	printf("READY %d %p %p %p\n", (int)getpid(), (void *)&t1, (void *)&t2,
	       (void *)&t3);
	fflush(stdout);
	return fgets(line, sizeof(line), stdin) != NULL;
}

int main(void)
{
	char main_before, t1_before, gap_exited, t1_gap, t1_after, t1_at;
	char t1_after_inner, t3_frame;
	char main_after, t2_root, t2_child;
	pthread_t th;

	ASYNCDUMP_ENTER(&main_before, "main before");
	ASYNCDUMP_TASK_SPAWN(&t1, 0, &main_before, "T1");
	ASYNCDUMP_TASK_SPAWN(&t3, 0, &main_before, "T3");
	ASYNCDUMP_POLL_BEGIN(&t1);
	ASYNCDUMP_ENTER(&t1_before, "t1 before");
	if (!ready())
		return 0;

	ASYNCDUMP_ENTER(&gap_exited, "gap exited");
	ASYNCDUMP_EXIT(&gap_exited);
	ASYNCDUMP_ENTER(&t1_gap, "t1 gap");
	if (!ready())
		return 0;

	ASYNCDUMP_ENTER(&t1_after, "t1 after");
	ASYNCDUMP_ENTER(&t1_after_inner, "t1 after inner");
	ASYNCDUMP_ENTER_AT(&t1, &t1_at, &t1_before, "t1 at", 0);
	sem_init(&entered, 0, 0);
	sem_init(&never, 0, 0);
	if (pthread_create(&th, NULL, worker, NULL))
		return 1;
	while (sem_wait(&entered))
		;
	if (!ready())
		return 0;

	ASYNCDUMP_EXIT(&t1_at);
	ASYNCDUMP_EXIT(&t1_after_inner);
	ASYNCDUMP_EXIT(&t1_after);
	ASYNCDUMP_EXIT(&t1_gap);
	ASYNCDUMP_EXIT(&t1_before);
	ASYNCDUMP_POLL_END(&t1);
	ASYNCDUMP_POLL_BEGIN(&t3);
	ASYNCDUMP_ENTER(&t3_frame, "t3 frame");
	ASYNCDUMP_POLL_END(&t3);
	ASYNCDUMP_ENTER(&main_after, "main after");
	ASYNCDUMP_TASK_SPAWN(&t2, 0, &main_after, "T2");
	ASYNCDUMP_POLL_BEGIN(&t2);
	ASYNCDUMP_ENTER(&t2_root, "t2 root");
	ASYNCDUMP_ENTER(&t2_child, "t2 child");
	while (ready())
		;
	return 0;
}
