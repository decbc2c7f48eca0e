// SPDX-License-Identifier: BSD-2-Clause
/*
 * executor_stress - a multi-threaded executor whose wakers re-queue a task
 * before the poll that woke it has ended, so another worker often begins
 * polling it first (the usual C++ pattern; asyncdump_abi.h, "Overlapping
 * polls").
 *
 *   executor_stress WORKERS TASKS POLLS
 *
 * Each task keeps a stack of frames "level 0", "level 1", ...; each poll
 * enters or exits one or two of them at random, records how deep the task
 * is now, re-queues the task (its waker) and only then ends its poll.
 * After POLLS polls of each task every worker parks, and the program
 * prints its own record of every task, then READY:
 *   TASK <id hex> <depth>
 * EOF exits.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "asyncdump.h"

#define DEPTH 6

static const char *const names[DEPTH] = {"level 0", "level 1", "level 2",
					 "level 3", "level 4", "level 5"};

struct task {
	char id;
	char frames[DEPTH];
	int depth;
	int polls;
};

static struct task *tasks;
static int ntasks, npolls, *queue, qhead, qtail, qcap, parked;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;

static void push(int i)
{
	pthread_mutex_lock(&mu);
	queue[qtail++ % qcap] = i;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static int pop(void)
{
	int i;

	pthread_mutex_lock(&mu);
	while (qhead == qtail)
		pthread_cond_wait(&cv, &mu);
	i = queue[qhead++ % qcap];
	pthread_mutex_unlock(&mu);
	return i;
}

static void poll_task(struct task *t, unsigned int *seed)
{
	int ops = 1 + (int)(rand_r(seed) % 2);

	for (int k = 0; k < ops; k++) {
		if (t->depth == 0 || (t->depth < DEPTH && rand_r(seed) % 2)) {
			ASYNCDUMP_ENTER_F(&t->frames[t->depth], names[t->depth],
					  0);
			t->depth++;
		} else {
			t->depth--;
			ASYNCDUMP_EXIT(&t->frames[t->depth]);
		}
	}
}

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(unsigned long)arg;

	for (;;) {
		int i = pop();
		struct task *t = &tasks[i];
		int last;

		ASYNCDUMP_POLL_BEGIN(&t->id);
		poll_task(t, &seed);
		last = ++t->polls >= npolls;
		if (!last)
			push(i); /* the waker, before this poll has ended */
		sched_yield();	 /* leave room for another worker to start */
		ASYNCDUMP_POLL_END(&t->id);
		if (last) {
			pthread_mutex_lock(&mu);
			if (++parked == ntasks)
				pthread_cond_signal(&done);
			pthread_mutex_unlock(&mu);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nworkers;
	char line[16];

	if (argc != 4)
		return 2;
	nworkers = atoi(argv[1]);
	ntasks = atoi(argv[2]);
	npolls = atoi(argv[3]);
	tasks = calloc((size_t)ntasks, sizeof(*tasks));
	qcap = ntasks + 1;
	queue = calloc((size_t)qcap, sizeof(*queue));
	if (!tasks || !queue || nworkers < 1)
		return 1;
	for (int i = 0; i < ntasks; i++) {
		ASYNCDUMP_TASK_SPAWN(&tasks[i].id, 0, 0, "task");
		push(i);
	}
	for (long w = 0; w < nworkers; w++) {
		pthread_t th;

		if (pthread_create(&th, NULL, worker, (void *)(w + 1)))
			return 1;
	}
	pthread_mutex_lock(&mu);
	while (parked < ntasks)
		pthread_cond_wait(&done, &mu);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < ntasks; i++)
		printf("TASK %p %d\n", (void *)&tasks[i].id, tasks[i].depth);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
