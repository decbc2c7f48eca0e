// SPDX-License-Identifier: BSD-2-Clause
/*
 * threads - plain threads with no tasks. A thread that never polls a task
 * is its own task (id "tid:<TID>" in a dump).
 *
 * Two threads, "alpha" and "beta", each open "thread main" (alpha with
 * ASYNCDUMP_SCOPE, beta with ASYNCDUMP_ENTER) and, nested in it,
 * "wait for <name>" (ASYNCDUMP_ENTER_DYN, a runtime label), then block. The main thread enters no frame. It prints
 *   READY <pid> <tid of alpha> <tid of beta>
 * and then, per line on stdin:
 *   line 1: beta returns from its thread function WITHOUT exiting its
 *           frames (its thread task must vanish with the
 *           thread); main joins it and prints READY <pid> again.
 *   line 2: alpha exits its frames properly and returns; main exits.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "asyncdump.h"

struct thr {
	const char *name;
	pid_t tid;
	int go;	       /* set by main: leave */
	int in_frames; /* set by the thread: frames entered */
	pthread_t handle;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void wait_flag(int *flag)
{
	pthread_mutex_lock(&mu);
	while (!*flag)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void set_flag(int *flag)
{
	pthread_mutex_lock(&mu);
	*flag = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	char label[64];
	char wait_frame;

	t->tid = (pid_t)syscall(SYS_gettid);
	/* The thread's name is what a dump calls its task. */
	pthread_setname_np(pthread_self(), t->name);
	snprintf(label, sizeof(label), "wait for %s", t->name);
	if (t->name[0] == 'b') {
		/* beta: plain ENTERs, never exited; the thread just ends */
		char main_frame;

		ASYNCDUMP_ENTER(&main_frame, "thread main");
		ASYNCDUMP_ENTER_DYN(&wait_frame, label);
		set_flag(&t->in_frames);
		wait_flag(&t->go);
		return NULL;
	}
	{
		ASYNCDUMP_SCOPE("thread main");
		ASYNCDUMP_ENTER_DYN(&wait_frame, label);
		set_flag(&t->in_frames);
		wait_flag(&t->go);
		ASYNCDUMP_EXIT(&wait_frame);
	} /* the scope guard exits "thread main" here */
	return NULL;
}

int main(void)
{
	struct thr thr[2] = {{.name = "alpha"}, {.name = "beta"}};
	char line[64];

	for (int i = 0; i < 2; i++) {
		pthread_create(&thr[i].handle, NULL, thread_main, &thr[i]);
		wait_flag(&thr[i].in_frames);
	}
	printf("READY %d %d %d\n", (int)getpid(), (int)thr[0].tid,
	       (int)thr[1].tid);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		goto out;
	set_flag(&thr[1].go);
	pthread_join(thr[1].handle, NULL);
	thr[1].handle = 0;
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		goto out;
out:
	for (int i = 0; i < 2; i++) {
		set_flag(&thr[i].go);
		if (thr[i].handle)
			pthread_join(thr[i].handle, NULL);
	}
	return 0;
}
