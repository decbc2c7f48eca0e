// SPDX-License-Identifier: BSD-2-Clause
/*
 * task_exit_open - a task that exits with frames still open vanishes.
 *
 * Tasks "a" and "b", each polled once: a enters a1 -> a2, b enters b1, and
 * both stay open. READY. On a line: TASK_EXIT(a) with a1/a2 still open,
 * READY. EOF exits.
 */
#include <stdio.h>
#include <unistd.h>

#include "asyncdump.h"

int main(void)
{
	char a, b, a1, a2, b1, line[16];

	ASYNCDUMP_TASK_SPAWN(&a, 0, 0, "a");
	ASYNCDUMP_TASK_SPAWN(&b, 0, 0, "b");
	ASYNCDUMP_POLL_BEGIN(&a);
	ASYNCDUMP_ENTER(&a1, "a1");
	ASYNCDUMP_ENTER(&a2, "a2");
	ASYNCDUMP_POLL_END(&a);
	ASYNCDUMP_POLL_BEGIN(&b);
	ASYNCDUMP_ENTER(&b1, "b1");
	ASYNCDUMP_POLL_END(&b);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin)) {
		ASYNCDUMP_TASK_EXIT(&a);
		printf("READY %d\n", (int)getpid());
		fflush(stdout);
		while (fgets(line, sizeof(line), stdin))
			;
	}
	return 0;
}
