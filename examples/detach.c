// SPDX-License-Identifier: BSD-2-Clause
/*
 * detach - a future detached by a select and re-attached later
 * (await-tree's `detach` example).
 *
 * One task "detach". Each line read on stdin advances one step, and every
 * step prints READY again:
 *   step 1:  work                 select(&mut fut, rx) resolved by rx:
 *              rx                 fut is no longer polled by anyone, so it
 *            detached: fut        is detached (ASYNCDUMP_MOVE(fut, 0)),
 *                        sleep    with its own child still inside it.
 *   step 2:  work                 rx done; work awaits fut again:
 *              fut                ASYNCDUMP_MOVE(fut, work) re-attaches it
 *                sleep            with its subtree.
 * A third line finishes the task and exits (EOF, like a line, advances one
 * step and then exits).
 */
#include <stdio.h>

#include "asyncdump.h"
#include "executor.h"

struct detach {
	char work, fut, sleep, select, rx;
};

static enum ex_poll poll_detach(struct ex_task *t)
{
	struct detach *d = t->data;

	switch (t->state++) {
	case 0:
		ASYNCDUMP_ENTER(&d->work, "work");
		ASYNCDUMP_ENTER(&d->select, "select");
		ASYNCDUMP_ENTER_AT(0, &d->fut, &d->select, "fut", 0);
		ASYNCDUMP_ENTER_AT(0, &d->sleep, &d->fut, "sleep", 0);
		ASYNCDUMP_ENTER_AT(0, &d->rx, &d->select, "rx", 0);
		/* rx won the select: the select is gone, fut lives on */
		ASYNCDUMP_MOVE(&d->fut, 0);
		ASYNCDUMP_MOVE(&d->rx, &d->work);
		ASYNCDUMP_EXIT(&d->select);
		return EX_PENDING;
	case 1:
		ASYNCDUMP_EXIT(&d->rx);
		ASYNCDUMP_MOVE(&d->fut, &d->work);
		return EX_PENDING;
	default:
		ASYNCDUMP_EXIT(&d->sleep);
		ASYNCDUMP_EXIT(&d->fut);
		ASYNCDUMP_EXIT(&d->work);
		return EX_DONE;
	}
}

int main(void)
{
	struct detach d;

	return ex_main_one("detach", poll_detach, &d);
}
