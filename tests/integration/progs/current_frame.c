// SPDX-License-Identifier: BSD-2-Clause
/*
 * current_frame - the innermost frame of a running task is kept in the
 * BPF thread state, not in the task record, and must still be what a dump
 * marks "current" and what the next ENTER nests under. Each stage makes
 * the innermost frame differ from the newest leaf (an ENTER_AT sibling
 * entered after it), so a dump that guessed from the tree would be wrong.
 *
 *   1. thread task: root > inner (innermost), root > late (ENTER_AT).
 *   2. task T polled: "t root" > "t inner", "t root" > "t late".   READY
 *   3. POLL_END(T), POLL_BEGIN(T) again, ENTER "t deeper": under
 *      "t inner" (written back at POLL_END, reloaded at POLL_BEGIN).
 *      Nested poll of U (ENTER/EXIT "u", POLL_END U), then ENTER
 *      "t after nested": under "t deeper" again.                    READY
 *   4. POLL_END(T): T idle.                                        READY
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
	char root, inner, late, troot, tinner, tlate, tdeeper, u, tafter;
	char task_t, task_u;

	ASYNCDUMP_ENTER(&root, "root");
	ASYNCDUMP_ENTER(&inner, "inner");
	ASYNCDUMP_ENTER_AT(0, &late, &root, "late", 0);

	ASYNCDUMP_TASK_SPAWN(&task_t, 0, &inner, "T");
	ASYNCDUMP_TASK_SPAWN(&task_u, 0, &inner, "U");
	ASYNCDUMP_POLL_BEGIN(&task_t);
	ASYNCDUMP_ENTER(&troot, "t root");
	ASYNCDUMP_ENTER(&tinner, "t inner");
	ASYNCDUMP_ENTER_AT(&task_t, &tlate, &troot, "t late", 0);
	if (!ready())
		return 0;

	ASYNCDUMP_POLL_END(&task_t);
	ASYNCDUMP_POLL_BEGIN(&task_t);
	ASYNCDUMP_ENTER(&tdeeper, "t deeper");
	ASYNCDUMP_POLL_BEGIN(&task_u);
	ASYNCDUMP_ENTER(&u, "u");
	ASYNCDUMP_EXIT(&u);
	ASYNCDUMP_POLL_END(&task_u);
	ASYNCDUMP_ENTER(&tafter, "t after nested");
	if (!ready())
		return 0;

	ASYNCDUMP_POLL_END(&task_t);
	while (ready())
		;
	return 0;
}
