// SPDX-License-Identifier: BSD-2-Clause
/*
 * procfs.c - see procfs.h.
 */
#include "observer/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/procstat.h"

int ad_proc_read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

void ad_proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (ad_proc_read_line(path, buf, len) || !buf[0])
		snprintf(buf, len, "?");
}

/* The start of the process or thread whose stat file is at path. */
static uint64_t started_ns(const char *path)
{
	char stat[1024];
	long tck = sysconf(_SC_CLK_TCK);
	uint64_t ticks;
	int64_t ahead, mono;

	if (tck <= 0 || ad_proc_read_line(path, stat, sizeof(stat)) ||
	    ad_proc_stat_starttime(stat, &ticks))
		return 0;
	/* starttime counts from boot (CLOCK_BOOTTIME), which runs ahead of
	 * CLOCK_MONOTONIC by the time spent suspended. */
	ahead = ad_clock_ns(CLOCK_BOOTTIME) - ad_clock_ns(CLOCK_MONOTONIC);
	mono = (int64_t)(ticks * (1000000000u / (uint64_t)tck)) - ahead;
	return mono > 0 ? (uint64_t)mono : 0;
}

uint64_t ad_proc_started_ns(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return started_ns(path);
}

uint64_t ad_thread_started_ns(pid_t pid, pid_t tid)
{
	char path[80];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)tid);
	return started_ns(path);
}
