// SPDX-License-Identifier: BSD-2-Clause
/*
 * incarnation - records of an older incarnation of the same PID.
 *
 *   incarnation old N  enter frames 1..N ("old"), READY; on a line, exec
 *                      this program again as "new" (same PID, new
 *                      incarnation: the old records stay in the maps until
 *                      the daemon reclaims them)
 *   incarnation new    enter frame 1 ("new", the key of an old frame),
 *                      READY; EOF exits
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncdump.h"

int main(int argc, char **argv)
{
	char line[16];

	if (argc >= 3 && strcmp(argv[1], "old") == 0) {
		long n = atol(argv[2]);
		char *args[] = {argv[0], "new", NULL};

		for (long i = 1; i <= n; i++)
			ASYNCDUMP_ENTER_AT(0, i, 0, "old", 0);
		printf("READY %d\n", (int)getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 0;
		execv("/proc/self/exe", args);
		perror("execv");
		return 1;
	}
	ASYNCDUMP_ENTER_AT(0, 1, 0, "new", 0);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
