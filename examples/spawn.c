// SPDX-License-Identifier: BSD-2-Clause
/*
 * spawn - a task spawned from inside another.
 *
 * Task "parent" enters "accept" and, inside it, spawns task "child"
 * (ASYNCDUMP_TASK_SPAWN with a literal name, parent task and parent frame),
 * then waits in "join child". The child enters "handle connection" ->
 * "read request" and waits. Expected dump, tasks in spawn order:
 *   parent: accept -> join child            (parent null)
 *   child:  handle connection -> read request
 *           (parent = parent's id, parent_frame = accept's id)
 * A line on stdin lets the child finish, then the parent.
 */
#include "asyncdump.h"
#include "executor.h"

struct state {
	struct ex_executor *ex;
	struct ex_task child;
	char accept, join, handle, read;
};

static enum ex_poll poll_child(struct ex_task *t)
{
	struct state *s = t->data;

	if (t->state++ == 0) {
		ASYNCDUMP_ENTER(&s->handle, "handle connection");
		ASYNCDUMP_ENTER(&s->read, "read request");
		return EX_PENDING;
	}
	ASYNCDUMP_EXIT(&s->read);
	ASYNCDUMP_EXIT(&s->handle);
	return EX_DONE;
}

static enum ex_poll poll_parent(struct ex_task *t)
{
	struct state *s = t->data;

	switch (t->state++) {
	case 0:
		ASYNCDUMP_ENTER(&s->accept, "accept");
		ASYNCDUMP_TASK_SPAWN(&s->child, t, &s->accept, "child");
		ex_spawn_quiet(s->ex, &s->child, "child", poll_child, s);
		ASYNCDUMP_ENTER(&s->join, "join child");
		return EX_PENDING;
	default:
		if (!s->child.done) {
			ex_wake(s->ex, t); /* poll again after the child */
			return EX_PENDING;
		}
		ASYNCDUMP_EXIT(&s->join);
		ASYNCDUMP_EXIT(&s->accept);
		return EX_DONE;
	}
}

int main(void)
{
	struct ex_executor ex;
	struct ex_task parent;
	struct state s = {.ex = &ex};

	ex_init(&ex);
	ex_spawn(&ex, &parent, "parent", poll_parent, &s, NULL, NULL);
	ex_step_on_stdin(&ex); /* the line wakes parent, then child */
	ex_fini(&ex);
	return 0;
}
