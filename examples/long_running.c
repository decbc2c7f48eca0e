// SPDX-License-Identifier: BSD-2-Clause
/*
 * long_running - a stuck frame beside a long-running one (await-tree's
 * `long_running` example).
 *
 * One task "long_running":
 *   serve
 *     wait for lock          plain: marked stuck once it has been pending
 *                            longer than --stuck-after
 *     accept loop            ASYNCDUMP_F_LONG_RUNNING: never marked stuck
 *       wait for connection  plain ENTER: nests under accept loop, and is
 *                            judged on its own (LONG_RUNNING is not
 *                            inherited)
 * "wait for lock" is a sibling entered with ASYNCDUMP_ENTER_AT (it does not
 * become the innermost frame); "accept loop" is entered with
 * ASYNCDUMP_ENTER_F, which does, so the plain ENTER after it nests inside
 * it with no explicit parent. A line on stdin finishes the task.
 */
#include "asyncdump.h"
#include "executor.h"

struct lr {
	char serve, lock, accept, conn;
};

static enum ex_poll poll_lr(struct ex_task *t)
{
	struct lr *l = t->data;

	if (t->state++ == 0) {
		ASYNCDUMP_ENTER(&l->serve, "serve");
		ASYNCDUMP_ENTER_AT(0, &l->lock, &l->serve, "wait for lock", 0);
		ASYNCDUMP_ENTER_F(&l->accept, "accept loop",
				  ASYNCDUMP_F_LONG_RUNNING);
		ASYNCDUMP_ENTER(&l->conn, "wait for connection");
		return EX_PENDING;
	}
	ASYNCDUMP_EXIT(&l->conn);
	ASYNCDUMP_EXIT(&l->accept);
	ASYNCDUMP_EXIT(&l->lock);
	ASYNCDUMP_EXIT(&l->serve);
	return EX_DONE;
}

int main(void)
{
	struct lr l;

	return ex_main_one("long_running", poll_lr, &l);
}
