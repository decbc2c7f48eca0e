// SPDX-License-Identifier: BSD-2-Clause
/*
 * same_ids TAG N - records whose ids another process uses too.
 *
 * Task 1, named "task-TAG" (a _DYN name), with frames 1..N at its top
 * level, each with the _DYN label "TAG-<i>". Two of these with different
 * TAGs hold records (and strings) under keys that differ only in the pid:
 * a dump must show its own process's records and strings, never the
 * other's. READY, then EOF exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "asyncdump.h"

int main(int argc, char **argv)
{
	const char *tag = argc > 1 ? argv[1] : "x";
	long n = argc > 2 ? atol(argv[2]) : 100;
	char name[64], label[64], line[16];

	snprintf(name, sizeof(name), "task-%s", tag);
	ASYNCDUMP_TASK_SPAWN_DYN(1, 0, 0, name);
	for (long i = 1; i <= n; i++) {
		snprintf(label, sizeof(label), "%s-%ld", tag, i);
		ASYNCDUMP_ENTER_AT(1, i, 0, label, ASYNCDUMP_F_DYN);
	}
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
