// SPDX-License-Identifier: BSD-2-Clause
/*
 * exec_into - exec must drop the old image's frames.
 *
 *   exec_into old TARGET...  enter "old image frame", READY; on a line,
 *                            execv(TARGET...) (same PID)
 *   exec_into new            enter "new image frame", READY; EOF exits
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "asyncdump.h"

int main(int argc, char **argv)
{
	char frame, line[16];

	if (argc >= 3 && strcmp(argv[1], "old") == 0) {
		ASYNCDUMP_ENTER(&frame, "old image frame");
		printf("READY %d\n", (int)getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 0;
		execv(argv[2], &argv[2]);
		perror("execv");
		return 1;
	}
	ASYNCDUMP_ENTER(&frame, "new image frame");
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
