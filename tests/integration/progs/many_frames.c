// SPDX-License-Identifier: BSD-2-Clause
/*
 * many_frames N - N live frames in one process (default 100000):
 *   root -> chain of 200 nested frames "d<i>" (ENTER), and under root
 *   N - 201 leaves "leaf" (ENTER_AT), all in the main thread's task.
 * READY, then EOF exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "asyncdump.h"

#define CHAIN 200

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	char *frames = calloc((size_t)n, 1);
	char line[16];

	if (!frames || n < CHAIN + 1)
		return 1;
	ASYNCDUMP_ENTER(&frames[0], "root");
	for (long i = CHAIN + 1; i < n; i++)
		ASYNCDUMP_ENTER_AT(0, &frames[i], &frames[0], "leaf", 0);
	for (long i = 1; i <= CHAIN; i++)
		ASYNCDUMP_ENTER(&frames[i], "chain");
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	free(frames);
	return 0;
}
