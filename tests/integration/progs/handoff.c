// SPDX-License-Identifier: BSD-2-Clause
/*
 * handoff - one task polled by two threads whose polls overlap, step by
 * step as the test asks (a line on stdin each; READY after each step):
 *
 *   a-begin     thread A: POLL_BEGIN(T), ENTER "root", ENTER "await"
 *   b-begin     thread B: POLL_BEGIN(T) while A has not ended its poll
 *   b-enter     thread B: ENTER "after wake"
 *   a-late      thread A: ENTER "late" (A still runs T: both threads do)
 *   a-end       thread A: POLL_END(T)
 *   b-move      thread B: MOVE "after wake" under "root"
 *   b-exit      thread B: EXIT "after wake", EXIT "await"
 *   b-next      thread B: ENTER "next"
 *   b-end       thread B: POLL_END(T)
 *
 * Each thread runs only the steps addressed to it, in order; EOF exits.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "asyncdump.h"

static char task, root, await_, after_wake, late, next_;

struct worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char cmd[64];
	int busy;
};

static struct worker wa, wb;

static void ready(void)
{
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
}

static void step(const char *cmd)
{
	if (!strcmp(cmd, "a-begin")) {
		ASYNCDUMP_POLL_BEGIN(&task);
		ASYNCDUMP_ENTER(&root, "root");
		ASYNCDUMP_ENTER(&await_, "await");
	} else if (!strcmp(cmd, "b-begin")) {
		ASYNCDUMP_POLL_BEGIN(&task);
	} else if (!strcmp(cmd, "b-enter")) {
		ASYNCDUMP_ENTER(&after_wake, "after wake");
	} else if (!strcmp(cmd, "a-late")) {
		ASYNCDUMP_ENTER(&late, "late");
	} else if (!strcmp(cmd, "a-end")) {
		ASYNCDUMP_POLL_END(&task);
	} else if (!strcmp(cmd, "b-move")) {
		ASYNCDUMP_MOVE(&after_wake, &root);
	} else if (!strcmp(cmd, "b-exit")) {
		ASYNCDUMP_EXIT(&after_wake);
		ASYNCDUMP_EXIT(&await_);
	} else if (!strcmp(cmd, "b-next")) {
		ASYNCDUMP_ENTER(&next_, "next");
	} else if (!strcmp(cmd, "b-end")) {
		ASYNCDUMP_POLL_END(&task);
	}
}

static void *run(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->busy)
			pthread_cond_wait(&w->cv, &w->mu);
		step(w->cmd);
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	return NULL;
}

static void give(struct worker *w, const char *cmd)
{
	pthread_mutex_lock(&w->mu);
	snprintf(w->cmd, sizeof(w->cmd), "%s", cmd);
	w->busy = 1;
	pthread_cond_broadcast(&w->cv);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

static void start(struct worker *w)
{
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_create(&w->th, NULL, run, w);
}

int main(void)
{
	char line[64];

	start(&wa);
	start(&wb);
	ASYNCDUMP_TASK_SPAWN(&task, 0, 0, "T");
	ready();
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		give(line[0] == 'a' ? &wa : &wb, line);
		ready();
	}
	return 0;
}
