// SPDX-License-Identifier: BSD-2-Clause
/*
 * nondumpable - an instrumented process that made itself non-dumpable
 * (prctl(PR_SET_DUMPABLE, 0)), as a setuid program or one holding secrets
 * does: its owner may not ptrace it, so may not dump it either; root may.
 * Frame: "secret". READY, EOF exits.
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "asyncdump.h"

int main(void)
{
	char frame, line[16];

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return 1;
	ASYNCDUMP_ENTER(&frame, "secret");
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	ASYNCDUMP_EXIT(&frame);
	return 0;
}
