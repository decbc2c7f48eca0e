// SPDX-License-Identifier: BSD-2-Clause
/*
 * multiple - several tasks, each suspended in foo -> bar -> baz
 * (async-backtrace's `multiple` example).
 *
 * Expected dump: tasks "worker 0".."worker 2" in spawn order, each idle with
 * one top-level frame foo whose only child is bar whose only child is baz.
 * A line on stdin lets every task finish; then the program exits.
 */
#include <stdio.h>

#include "asyncdump.h"
#include "executor.h"

#define NTASKS 3

struct worker {
	char foo, bar, baz; /* frame ids: their addresses */
	char name[32];
};

static enum ex_poll baz(struct ex_task *t)
{
	struct worker *w = t->data;

	if (t->state == 0) {
		ASYNCDUMP_ENTER(&w->baz, "baz");
		t->state = 1;
		return EX_PENDING; /* suspended in baz */
	}
	ASYNCDUMP_EXIT(&w->baz);
	return EX_DONE;
}

static enum ex_poll bar(struct ex_task *t)
{
	struct worker *w = t->data;

	if (t->state == 0)
		ASYNCDUMP_ENTER(&w->bar, "bar");
	if (baz(t) == EX_PENDING)
		return EX_PENDING;
	ASYNCDUMP_EXIT(&w->bar);
	return EX_DONE;
}

static enum ex_poll foo(struct ex_task *t)
{
	struct worker *w = t->data;

	if (t->state == 0)
		ASYNCDUMP_ENTER(&w->foo, "foo");
	if (bar(t) == EX_PENDING)
		return EX_PENDING;
	ASYNCDUMP_EXIT(&w->foo);
	return EX_DONE;
}

int main(void)
{
	struct ex_executor ex;
	struct ex_task tasks[NTASKS];
	struct worker workers[NTASKS];

	ex_init(&ex);
	for (int i = 0; i < NTASKS; i++) {
		snprintf(workers[i].name, sizeof(workers[i].name), "worker %d",
			 i);
		ex_spawn(&ex, &tasks[i], workers[i].name, foo, &workers[i],
			 NULL, NULL);
	}
	ex_step_on_stdin(&ex);
	ex_fini(&ex);
	return 0;
}
