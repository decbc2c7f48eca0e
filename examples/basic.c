// SPDX-License-Identifier: BSD-2-Clause
/*
 * basic - join siblings with runtime labels (await-tree's `basic` example).
 *
 * One task "basic" whose tree is
 *   foo
 *     bar
 *       baz in bar
 *         pending in baz 3      (runtime label, ENTER_AT + ASYNCDUMP_F_DYN)
 *     baz
 *       pending in baz 2        (runtime label, ENTER_DYN)
 * (baz itself is a plain ENTER, which nests under foo.)
 * bar and baz are join siblings (ENTER_AT with an explicit parent), in that
 * order. A line on stdin finishes the task.
 */
#include <stdio.h>

#include "asyncdump.h"
#include "executor.h"

struct basic {
	char foo, bar, baz_in_bar, pending3, baz, pending2;
};

static enum ex_poll poll_basic(struct ex_task *t)
{
	struct basic *b = t->data;
	char label[32];

	if (t->state == 0) {
		t->state = 1;
		ASYNCDUMP_ENTER(&b->foo, "foo");
		/* join(bar(), baz()): both children of foo, polled in turn */
		ASYNCDUMP_ENTER_AT(0, &b->bar, &b->foo, "bar", 0);
		ASYNCDUMP_ENTER_AT(0, &b->baz_in_bar, &b->bar, "baz in bar", 0);
		snprintf(label, sizeof(label), "pending in baz %d", 3);
		ASYNCDUMP_ENTER_AT(0, &b->pending3, &b->baz_in_bar, label,
				   ASYNCDUMP_F_DYN);
		/* ENTER_AT left foo the innermost ENTER frame: plain ENTER
		 * nests baz under foo, then ENTER_DYN nests under baz. */
		ASYNCDUMP_ENTER(&b->baz, "baz");
		snprintf(label, sizeof(label), "pending in baz %d", 2);
		ASYNCDUMP_ENTER_DYN(&b->pending2, label);
		return EX_PENDING;
	}
	ASYNCDUMP_EXIT(&b->pending2);
	ASYNCDUMP_EXIT(&b->baz);
	ASYNCDUMP_EXIT(&b->pending3);
	ASYNCDUMP_EXIT(&b->baz_in_bar);
	ASYNCDUMP_EXIT(&b->bar);
	ASYNCDUMP_EXIT(&b->foo);
	return EX_DONE;
}

int main(void)
{
	struct basic b;

	return ex_main_one("basic", poll_basic, &b);
}
