// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - see log.h.
 */
#include "server/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/protocol.h"
#include "core/ratelimit.h"

/* Warnings and notices: bursts of 100, then 10 a second, whatever clients
 * send; errors always. */
#define AD_LOG_BURST 100
#define AD_LOG_PER_S 10

/* What starts a line: journald takes the priority from a "<N>" prefix; a
 * terminal gets the program's name. */
static const char *line_head(int journal, enum ad_log_prio prio, char buf[8])
{
	if (!journal)
		return "asyncdumpd: ";
	snprintf(buf, 8, "<%d>", (int)prio);
	return buf;
}

/* The least urgent priority logged (the config file's log_level). */
static _Atomic int max_prio = AD_LOG_INFO;

void ad_log_set_level(enum ad_log_prio prio)
{
	max_prio = (int)prio;
}

void ad_log(enum ad_log_prio prio, const char *fmt, ...)
{
	/* The loop and the dump workers log: the limiter, the journal flag
	 * and the "suppressed" line with the one after it under one lock. */
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static struct ad_ratelimit rl =
		AD_RATELIMIT_INIT(AD_LOG_BURST, AD_LOG_PER_S);
	static int journal = -1;
	char raw[1024], line[1024], head[8];
	uint64_t dropped = 0;
	va_list ap;

	if ((int)prio > max_prio)
		return;
	pthread_mutex_lock(&mu);
	if (prio != AD_LOG_ERR &&
	    !ad_ratelimit_take(&rl, ad_mono_ms(), &dropped)) {
		pthread_mutex_unlock(&mu);
		return;
	}
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Whatever a request or a process name carried: no control
	 * character or invalid UTF-8 reaches the log. */
	ad_clean_msg(raw, line, sizeof(line));
	/* One write per line, so lines of concurrent writers never mix. */
	if (dropped)
		fprintf(stderr,
			"%s%llu log messages suppressed (more than %d a "
			"second)\n",
			line_head(journal, AD_LOG_WARN, head),
			(unsigned long long)dropped, AD_LOG_PER_S);
	fprintf(stderr, "%s%s\n", line_head(journal, prio, head), line);
	fflush(stderr);
	pthread_mutex_unlock(&mu);
}
