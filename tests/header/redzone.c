// SPDX-License-Identifier: BSD-2-Clause
/*
 * redzone.c - a leaf function that keeps data in its red zone across
 * probe sites.
 *
 * leaf() is noinline and compiled with -O2 (no frame pointer, no call): the
 * compiler keeps its volatile array in the 128 bytes below %rsp without
 * moving %rsp (the integration test checks the disassembly: stores to
 * negative %rsp offsets, no sub/push on %rsp). It fills the array, passes
 * an ENTER and an EXIT probe site, and checks the array after each.
 *
 * Built twice: redzone (the header's real probe site) and redzone_nolea,
 * a test-only build whose site lacks the `lea -128(%rsp)` bracketing, to
 * prove the test detects the hazard: with a uprobe attached, the kernel's
 * optimized path (a CALL that pushes at -8(%rsp)) corrupts it.
 *
 * Prints "READY <pid>", then per line "run N" on stdin runs leaf() N times
 * and prints "CORRUPT <calls that saw a changed value> <N>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncdump.h"

#ifdef AD_TEST_NO_LEA
/* Test only: the header's site without the red-zone bracketing. The note
 * and operands are the header's own (macros expand at use). */
#undef ASYNCDUMP_SITE_INSN_
#define ASYNCDUMP_SITE_INSN_(lbl) lbl ": .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
#endif

#define SLOTS 12 /* 96 bytes: the whole array sits in the red zone */

__attribute__((noinline)) int leaf(unsigned long long seed)
{
	volatile unsigned long long buf[SLOTS];
	int bad = 0;

	for (int i = 0; i < SLOTS; i++)
		buf[i] = seed * 0x9e3779b97f4a7c15ull + (unsigned long long)i;
	ASYNCDUMP_ENTER(seed, "red zone leaf");
	for (int i = 0; i < SLOTS; i++)
		bad |= buf[i] !=
		       seed * 0x9e3779b97f4a7c15ull + (unsigned long long)i;
	ASYNCDUMP_EXIT(seed);
	for (int i = 0; i < SLOTS; i++)
		bad |= buf[i] !=
		       seed * 0x9e3779b97f4a7c15ull + (unsigned long long)i;
	return bad;
}

int main(void)
{
	char line[64];

	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long n = strncmp(line, "run ", 4) == 0 ? atol(line + 4) : 0;
		long bad = 0;

		for (long i = 1; i <= n; i++)
			bad += leaf((unsigned long long)i);
		printf("CORRUPT %ld %ld\n", bad, n);
		fflush(stdout);
	}
	return 0;
}
