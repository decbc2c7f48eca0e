// SPDX-License-Identifier: BSD-2-Clause
/*
 * tagged_ids - task ids that look like a thread's own task: a tagged
 * pointer with the top bit set (0x8000000000001234), the top bit over
 * this thread's tid (what a thread's own task id once was), and the tid
 * itself. Every one is an ordinary task; the threads' own tasks are
 * separate (issue 10, item 6).
 *
 * The main thread (tid = pid):
 *   ENTER "own outer"                     its own task
 *   TASK_SPAWN (1<<63)|tid "tagged"       at frame "own outer"
 *   POLL_BEGIN it, ENTER "tagged root", ENTER "tagged leaf", POLL_END
 *   POLL_BEGIN 0x8000000000001234, ENTER "t1234 root", POLL_END
 *   ENTER_AT(tid, "at tid", parent 0)
 *   ENTER_AT(tid, "at tid top", INNERMOST), ENTER_AT(tid, "at tid inner",
 *       INNERMOST)                        task tid's innermost frames
 *   ENTER "own inner"                     own task, under "own outer"
 *   ENTER "moved in", MOVE it under "tagged leaf"
 *   ENTER_AT((1<<63)|tid, "moved out", parent 0), MOVE it under
 *       "own inner"
 *   ENTER "own last"                      under "own inner" again
 * A worker thread (tid w):
 *   ENTER "worker own"                    its own task
 *   ENTER_AT(w, "worker user", parent 0)  task w
 * then READY <pid> <tid> <w>. A line "exit-worker" ends the worker
 * (READY <pid> after its join); EOF exits.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "asyncdump.h"

#define TAGGED_1234 0x8000000000001234ull
#define TOP_BIT (1ull << 63)

static char own_outer, own_inner, own_last, tagged_root, tagged_leaf,
	t1234_root, at_tid, at_tid_top, at_tid_inner, moved_in, moved_out,
	worker_own, worker_user;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint64_t worker_tid;
static int quit;

static uint64_t my_tid(void)
{
	return (uint64_t)syscall(SYS_gettid);
}

static void *worker(void *arg)
{
	uint64_t tid = my_tid();

	(void)arg;
	ASYNCDUMP_ENTER(&worker_own, "worker own");
	ASYNCDUMP_ENTER_AT(tid, &worker_user, 0, "worker user", 0);
	pthread_mutex_lock(&mu);
	worker_tid = tid;
	pthread_cond_broadcast(&cv);
	while (!quit)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	uint64_t tid = my_tid(), tagged = TOP_BIT | tid;
	pthread_t th;
	char line[64];

	ASYNCDUMP_ENTER(&own_outer, "own outer");
	ASYNCDUMP_TASK_SPAWN(tagged, 0, &own_outer, "tagged");
	ASYNCDUMP_POLL_BEGIN(tagged);
	ASYNCDUMP_ENTER(&tagged_root, "tagged root");
	ASYNCDUMP_ENTER(&tagged_leaf, "tagged leaf");
	ASYNCDUMP_POLL_END(tagged);
	ASYNCDUMP_POLL_BEGIN(TAGGED_1234);
	ASYNCDUMP_ENTER(&t1234_root, "t1234 root");
	ASYNCDUMP_POLL_END(TAGGED_1234);
	ASYNCDUMP_ENTER_AT(tid, &at_tid, 0, "at tid", 0);
	ASYNCDUMP_ENTER_AT(tid, &at_tid_top, ASYNCDUMP_PARENT_INNERMOST,
			   "at tid top", 0);
	ASYNCDUMP_ENTER_AT(tid, &at_tid_inner, ASYNCDUMP_PARENT_INNERMOST,
			   "at tid inner", 0);
	ASYNCDUMP_ENTER(&own_inner, "own inner");
	ASYNCDUMP_ENTER(&moved_in, "moved in");
	ASYNCDUMP_MOVE(&moved_in, &tagged_leaf);
	ASYNCDUMP_ENTER_AT(tagged, &moved_out, 0, "moved out", 0);
	ASYNCDUMP_MOVE(&moved_out, &own_inner);
	ASYNCDUMP_ENTER(&own_last, "own last");

	pthread_create(&th, NULL, worker, NULL);
	pthread_mutex_lock(&mu);
	while (!worker_tid)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	printf("READY %d %llu %llu\n", (int)getpid(), (unsigned long long)tid,
	       (unsigned long long)worker_tid);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "exit-worker", 11))
			continue;
		pthread_mutex_lock(&mu);
		quit = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		pthread_join(th, NULL);
		printf("READY %d\n", (int)getpid());
		fflush(stdout);
	}
	return 0;
}
