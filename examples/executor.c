// SPDX-License-Identifier: BSD-2-Clause
/*
 * executor.c - see executor.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "executor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asyncdump.h"

uint64_t ex_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ex_init(struct ex_executor *ex)
{
	memset(ex, 0, sizeof(*ex));
}

void ex_fini(struct ex_executor *ex)
{
	free(ex->all);
	memset(ex, 0, sizeof(*ex));
}

static void ex_track(struct ex_executor *ex, struct ex_task *task)
{
	if (ex->nall == ex->capall) {
		unsigned cap = ex->capall ? ex->capall * 2 : 16;
		struct ex_task **all = realloc(ex->all, cap * sizeof(*all));

		if (!all) {
			perror("realloc");
			exit(1);
		}
		ex->all = all;
		ex->capall = cap;
	}
	ex->all[ex->nall++] = task;
}

static void ex_untrack(struct ex_executor *ex, struct ex_task *task)
{
	for (unsigned i = 0; i < ex->nall; i++) {
		if (ex->all[i] == task) {
			memmove(&ex->all[i], &ex->all[i + 1],
				(ex->nall - i - 1) * sizeof(ex->all[0]));
			ex->nall--;
			return;
		}
	}
}

static void ex_setup(struct ex_executor *ex, struct ex_task *task,
		     ex_poll_fn poll, void *data)
{
	task->poll = poll;
	task->data = data;
	ex_track(ex, task);
	ex_wake(ex, task);
}

static void ex_name(struct ex_task *task, const char *name)
{
	memset(task, 0, sizeof(*task));
	snprintf(task->name, sizeof(task->name), "%s", name);
}

void ex_spawn(struct ex_executor *ex, struct ex_task *task, const char *name,
	      ex_poll_fn poll, void *data, struct ex_task *parent,
	      const void *parent_frame)
{
	ex_name(task, name);
	ASYNCDUMP_TASK_SPAWN_DYN(task, parent, parent_frame, task->name);
	ex_setup(ex, task, poll, data);
}

void ex_spawn_quiet(struct ex_executor *ex, struct ex_task *task,
		    const char *name, ex_poll_fn poll, void *data)
{
	ex_name(task, name);
	ex_setup(ex, task, poll, data);
}

void ex_wake(struct ex_executor *ex, struct ex_task *task)
{
	if (task->queued || task->done)
		return;
	task->queued = true;
	task->next = NULL;
	if (ex->tail)
		ex->tail->next = task;
	else
		ex->head = task;
	ex->tail = task;
}

void ex_sleep_until(struct ex_task *task, uint64_t deadline_ns)
{
	task->wake_at_ns = deadline_ns;
}

unsigned ex_run_until_idle(struct ex_executor *ex)
{
	unsigned polls = 0;

	while (ex->head) {
		struct ex_task *task = ex->head;
		enum ex_poll r;

		ex->head = task->next;
		if (!ex->head)
			ex->tail = NULL;
		task->queued = false;
		task->wake_at_ns = 0;

		ASYNCDUMP_POLL_BEGIN(task);
		r = task->poll(task);
		ASYNCDUMP_POLL_END(task);
		polls++;
		ex->polls++;
		if (r == EX_DONE) {
			task->done = true;
			ASYNCDUMP_TASK_EXIT(task);
			ex_untrack(ex, task);
		}
	}
	return polls;
}

bool ex_run_timers(struct ex_executor *ex, uint64_t max_wait_ns)
{
	uint64_t now = ex_now_ns(), next = now + max_wait_ns;

	if (!ex->nall)
		return false;
	for (unsigned i = 0; i < ex->nall; i++) {
		uint64_t w = ex->all[i]->wake_at_ns;

		if (w && w < next)
			next = w;
	}
	if (next > now) {
		uint64_t d = next - now;
		struct timespec ts = {(time_t)(d / 1000000000ull),
				      (long)(d % 1000000000ull)};

		nanosleep(&ts, NULL);
	}
	now = ex_now_ns();
	for (unsigned i = 0; i < ex->nall; i++) {
		struct ex_task *t = ex->all[i];

		if (t->wake_at_ns && t->wake_at_ns <= now)
			ex_wake(ex, t);
	}
	ex_run_until_idle(ex);
	return ex->nall != 0;
}

bool ex_ready(const char *extra)
{
	char line[256];

	printf("READY %d%s%s\n", (int)getpid(), extra ? " " : "",
	       extra ? extra : "");
	fflush(stdout);
	return fgets(line, sizeof(line), stdin) != NULL;
}

void ex_step_on_stdin(struct ex_executor *ex)
{
	ex_run_until_idle(ex);
	while (ex->nall) {
		bool more = ex_ready(NULL);

		/* ex_wake only queues, so ex->all does not change here */
		for (unsigned i = 0; i < ex->nall; i++)
			ex_wake(ex, ex->all[i]);
		ex_run_until_idle(ex);
		if (!more)
			break;
	}
}

int ex_main_one(const char *name, ex_poll_fn poll, void *data)
{
	struct ex_executor ex;
	struct ex_task task;

	ex_init(&ex);
	ex_spawn(&ex, &task, name, poll, data, NULL, NULL);
	ex_step_on_stdin(&ex);
	ex_fini(&ex);
	return 0;
}
