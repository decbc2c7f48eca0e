// SPDX-License-Identifier: BSD-2-Clause
/*
 * garbage_label - hostile _DYN strings.
 *
 * Main thread (its own task):
 *   good                                  literal
 *     (unreadable ENTER_DYN, pointer 0x10)
 *     (unreadable ENTER_DYN, unmapped pointer)
 *     (unreadable ENTER_AT + F_DYN, pointer 0x8)
 *     <200 x 'L'>                         longer than any label limit
 *     "evil\033[31m red\n\ttab"           control characters
 * plus a task spawned with an unreadable _DYN name (pointer 0x18).
 * Expected: label_unreadable == 4, every frame still shown, the long
 * label truncated, control characters escaped in text. READY, then EOF
 * exits.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "asyncdump.h"

int main(void)
{
	char good, f1, f2, f3, f4, f5, task;
	char longlabel[201];
	char evil[] = "evil\033[31m red\n\ttab";
	char line[16];

	memset(longlabel, 'L', 200);
	longlabel[200] = '\0';
	ASYNCDUMP_ENTER(&good, "good");
	ASYNCDUMP_ENTER_AT(0, &f1, &good, (const char *)0x10, ASYNCDUMP_F_DYN);
	ASYNCDUMP_ENTER_AT(0, &f2, &good, (const char *)0x7ffffffff000ull,
			   ASYNCDUMP_F_DYN);
	ASYNCDUMP_ENTER_AT(0, &f3, &good, (const char *)0x8, ASYNCDUMP_F_DYN);
	ASYNCDUMP_ENTER_AT(0, &f4, &good, longlabel, ASYNCDUMP_F_DYN);
	ASYNCDUMP_ENTER_AT(0, &f5, &good, evil, ASYNCDUMP_F_DYN);
	ASYNCDUMP_TASK_SPAWN_DYN(&task, 0, 0, (const char *)0x18);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
