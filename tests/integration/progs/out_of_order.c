// SPDX-License-Identifier: BSD-2-Clause
/*
 * out_of_order - frames that exit before the frame inside them, and the
 * innermost frame (the implicit parent of the next ASYNCDUMP_ENTER) after
 * that. One plain thread, no tasks:
 *
 *   root; a inside root; b inside a; EXIT(a) before b.      READY
 *       b is detached (its parent is gone), root is alone.
 *   line: EXIT(b): the innermost frame would go back to a, which is dead,
 *       so the task has none; ENTER "after b" opens at the top level
 *       (never under the dead a, i.e. never detached).       READY
 *   line: EXIT(after b); p; q inside p; EXIT(p); the id of p is entered
 *       again as "p again" (a new generation, live); EXIT(q): its parent's
 *       id is live but is another frame, so again no innermost frame:
 *       ENTER "after q" opens at the top level, not under "p again".
 *       Then in order: s inside "after q", t inside s, EXIT(t), u inside s
 *       (the live parent s is the innermost frame again).    READY
 *   EOF exits.
 */
#include <stdio.h>
#include <unistd.h>

#include "asyncdump.h"

static int ready(void)
{
	char line[16];

	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	return fgets(line, sizeof(line), stdin) != NULL;
}

int main(void)
{
	char root, a, b, c, p, q, r, s, t, u;

	ASYNCDUMP_ENTER(&root, "root");
	ASYNCDUMP_ENTER(&a, "a");
	ASYNCDUMP_ENTER(&b, "b");
	ASYNCDUMP_EXIT(&a);
	if (!ready())
		return 0;

	ASYNCDUMP_EXIT(&b);
	ASYNCDUMP_ENTER(&c, "after b");
	if (!ready())
		return 0;

	ASYNCDUMP_EXIT(&c);
	ASYNCDUMP_ENTER(&p, "p");
	ASYNCDUMP_ENTER(&q, "q");
	ASYNCDUMP_EXIT(&p);
	ASYNCDUMP_ENTER_AT(0, &p, 0, "p again", 0);
	ASYNCDUMP_EXIT(&q);
	ASYNCDUMP_ENTER(&r, "after q");
	ASYNCDUMP_ENTER(&s, "s");
	ASYNCDUMP_ENTER(&t, "t");
	ASYNCDUMP_EXIT(&t);
	ASYNCDUMP_ENTER(&u, "u");
	while (ready())
		;
	return 0;
}
