// SPDX-License-Identifier: BSD-2-Clause
/*
 * probe_target.c - one program, built as several attach variants (see
 * CMakeLists.txt): PIE, non-PIE, with <sys/sdt.h> probes beside ours
 * (-DAD_WITH_SDT), and with every probe in a shared library
 * (-DAD_PROBES_IN_LIB: the probes live in probe_lib.c).
 *
 * At start the main thread enters "target <variant>" -> "waiting in
 * <variant>" and prints "READY <pid>". Then it obeys lines on stdin:
 *   hit N    run N enter/exit pairs of hot(); print "HIT <ns per pair>"
 *   active   print "ACTIVE <ASYNCDUMP_ACTIVE()>"
 *   (EOF)    exit its frames and exit 0
 * The sdt variant also enters "beside sdt" under "waiting in sdt" from
 * this file, next to its DTRACE_PROBE sites.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef AD_WITH_SDT
/* Both kinds of probe in one translation unit: they share .stapsdt.base. */
#include "asyncdump.h"
#include <sys/sdt.h>
#endif

#include "probe_lib.h"

#ifndef AD_VARIANT
#define AD_VARIANT "unknown"
#endif

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	       (unsigned long long)ts.tv_nsec;
}

int main(void)
{
	char line[128];
	char outer, inner;

	/* _DYN labels that are literals: their .rodata page is usually not
	 * resident yet when the probe fires, and must still be copied. */
	probe_enter(&outer, "target " AD_VARIANT);
	probe_enter(&inner, "waiting in " AD_VARIANT);
#ifdef AD_WITH_SDT
	char beside;

	DTRACE_PROBE1(adtest, sdt_ready, getpid());
	ASYNCDUMP_ENTER(&beside, "beside sdt"); /* nested in "waiting in" */
#endif
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "hit ", 4) == 0) {
			long n = atol(line + 4);
			unsigned long long t0 = now_ns();

			for (long i = 0; i < n; i++)
				probe_hot((unsigned long long)i + 1);
#ifdef AD_WITH_SDT
			DTRACE_PROBE1(adtest, sdt_hit, n);
#endif
			printf("HIT %.1f\n",
			       n ? (double)(now_ns() - t0) / (double)n : 0.0);
		} else if (strncmp(line, "active", 6) == 0) {
			printf("ACTIVE %d\n", probe_active());
		} else {
			printf("ERROR unknown command\n");
		}
		fflush(stdout);
	}
#ifdef AD_WITH_SDT
	ASYNCDUMP_EXIT(&beside);
#endif
	probe_exit(&inner);
	probe_exit(&outer);
	return 0;
}
