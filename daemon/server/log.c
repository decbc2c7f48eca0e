// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - see log.h.
 */
#include "server/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ad_log(enum ad_log_prio prio, const char *fmt, ...)
{
	static int journal = -1;
	char line[1024];
	va_list ap;

	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent writers never mix. */
	if (journal)
		fprintf(stderr, "<%d>%s\n", (int)prio, line);
	else
		fprintf(stderr, "asyncdumpd: %s\n", line);
	fflush(stderr);
}
