// SPDX-License-Identifier: BSD-2-Clause
/*
 * bad_events - events naming frames and tasks that are not live.
 *
 *   EXIT of a frame never entered          x2   -> exit_unknown 2
 *   MOVE of a frame never entered          x1   -> move_unknown 1
 *   TASK_EXIT of a task never spawned      x1   -> task_exit_unknown 1
 *   POLL_END of a task not being polled    x1   -> poll_end_unknown 1
 *   ENTER_AT under a parent never entered  x1   -> parent_unknown 1
 * and one good frame "alive" (a thread task) so the dump has content.
 * The orphan of the ENTER_AT is never lost: it is shown somewhere.
 */
#include <stdio.h>
#include <unistd.h>

#include "asyncdump.h"

int main(void)
{
	char alive, orphan, line[16];

	ASYNCDUMP_EXIT(0x1234);
	ASYNCDUMP_EXIT(0x5678);
	ASYNCDUMP_MOVE(0x9abc, 0);
	ASYNCDUMP_TASK_EXIT(0xdef0);
	ASYNCDUMP_POLL_END(0x4321);
	ASYNCDUMP_ENTER(&alive, "alive");
	ASYNCDUMP_ENTER_AT(0, &orphan, 0x8765, "orphan", 0);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
