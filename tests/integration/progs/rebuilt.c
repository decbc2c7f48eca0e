// SPDX-License-Identifier: BSD-2-Clause
/*
 * rebuilt - one program built twice, its probe sites at different
 * offsets (-DREBUILT_PAD=1 puts code before them), for copying a new
 * build over an attached executable (test_service.py).
 *
 *   rebuilt        enter two frames, exit them; exit 10 + REBUILT_PAD
 *   rebuilt wait   enter two frames, READY; the first line read enters a
 *                  third ("rebuilt line"), each line is answered LINE;
 *                  EOF exits them, as above
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "asyncdump.h"

#ifndef REBUILT_PAD
#define REBUILT_PAD 0
#endif

static volatile int sink;

#if REBUILT_PAD
/* Not inlined, called twice: the probes move by its calls. */
__attribute__((noinline)) static void pad(void)
{
	for (int i = 0; i < 50; i++)
		sink += i * 7;
	sink ^= 3;
}
#endif

int main(int argc, char **argv)
{
	char outer, inner, more, line[16];
	int lines = 0;

#if REBUILT_PAD
	pad();
	pad();
#endif
	ASYNCDUMP_ENTER(&outer, "rebuilt outer");
	sink += 5;
	ASYNCDUMP_ENTER(&inner, "rebuilt inner");
	sink *= 3;
	if (argc > 1 && strcmp(argv[1], "wait") == 0) {
		printf("READY %d\n", (int)getpid());
		fflush(stdout);
		while (fgets(line, sizeof(line), stdin)) {
			if (!lines++)
				ASYNCDUMP_ENTER(&more, "rebuilt line");
			printf("LINE\n");
			fflush(stdout);
		}
		if (lines)
			ASYNCDUMP_EXIT(&more);
	}
	ASYNCDUMP_EXIT(&inner);
	ASYNCDUMP_EXIT(&outer);
	return 10 + REBUILT_PAD;
}
