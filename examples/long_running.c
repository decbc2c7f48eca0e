/*
 * long_running - a stuck frame beside a long-running one (await-tree's
 * `long_running` example).
 *
 * One task "long_running" with a top-level frame "serve" and two children,
 * in this order: "wait for lock" (plain: marked stuck once it has been
 * pending longer than --stuck-after) and "accept loop" (ASYNCDUMP_ENTER_AT
 * with ASYNCDUMP_F_LONG_RUNNING: never marked stuck). A line on stdin
 * finishes the task.
 */
#include "asyncdump.h"
#include "executor.h"

struct lr {
	char serve, lock, accept;
};

static enum ex_poll poll_lr(struct ex_task *t)
{
	struct lr *l = t->data;

	if (t->state++ == 0) {
		ASYNCDUMP_ENTER(&l->serve, "serve");
		ASYNCDUMP_ENTER_AT(0, &l->lock, &l->serve, "wait for lock", 0);
		ASYNCDUMP_ENTER_AT(0, &l->accept, &l->serve, "accept loop",
				   ASYNCDUMP_F_LONG_RUNNING);
		return EX_PENDING;
	}
	ASYNCDUMP_EXIT(&l->accept);
	ASYNCDUMP_EXIT(&l->lock);
	ASYNCDUMP_EXIT(&l->serve);
	return EX_DONE;
}

int main(void)
{
	struct ex_executor ex;
	struct ex_task task;
	struct lr l;

	ex_init(&ex);
	ex_spawn(&ex, &task, "long_running", poll_lr, &l, NULL, NULL);
	ex_run_until_idle(&ex);
	ex_ready(NULL);
	ex_wake(&ex, &task);
	ex_run_until_idle(&ex);
	ex_fini(&ex);
	return 0;
}
