// SPDX-License-Identifier: BSD-2-Clause
/*
 * procstat.c - see procstat.h.
 */
#include "core/procstat.h"

#include <errno.h>
#include <string.h>

/* The field of /proc/PID/stat that holds starttime (1-based), and the
 * field that follows the command's ')'. */
#define STAT_STARTTIME 22
#define STAT_AFTER_COMM 3

int ad_proc_stat_starttime(const char *line, uint64_t *ticks)
{
	const char *p = strrchr(line, ')');
	uint64_t v = 0;
	int field = STAT_AFTER_COMM;
	bool digits = false;

	if (!p)
		return -EINVAL;
	p++;
	while (field < STAT_STARTTIME) { /* skip to the field's start */
		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		while (*p && *p != ' ')
			p++;
		field++;
	}
	while (*p == ' ')
		p++;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		digits = true;
	}
	if (!digits || (*p && *p != ' ' && *p != '\n'))
		return -EINVAL;
	*ticks = v;
	return 0;
}

bool ad_proc_same_start(uint64_t start_boottime_ns, uint64_t ticks,
			uint64_t clk_tck)
{
	uint64_t tick_ns, ns;

	if (!clk_tck || clk_tck > 1000000000u)
		return false;
	tick_ns = 1000000000u / clk_tck;
	if (ticks > UINT64_MAX / tick_ns)
		return false;
	ns = ticks * tick_ns;
	return ns > start_boottime_ns ? ns - start_boottime_ns <= tick_ns
				      : start_boottime_ns - ns <= tick_ns;
}
