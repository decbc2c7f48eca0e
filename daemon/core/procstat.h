// SPDX-License-Identifier: BSD-2-Clause
/*
 * procstat.h - a process told apart from a later one with its pid, by its
 * start time: /proc/PID/stat's starttime (field 22, clock ticks since
 * boot) against a start_boottime (ns since boot) BPF read from its
 * task_struct. Pure: the caller reads the file and sysconf(_SC_CLK_TCK).
 */
#ifndef AD_PROCSTAT_H
#define AD_PROCSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* starttime (field 22) of a /proc/PID/stat line, the fields counted after
 * the last ')' (the command in parentheses may hold ')' and spaces).
 * 0, or -EINVAL if the line has no such field. */
int ad_proc_stat_starttime(const char *line, uint64_t *ticks);

/* Whether a process that started start_boottime_ns after boot is the one
 * /proc shows starting at `ticks` clock ticks (clk_tck a second) after
 * boot: the kernel rounds the ns down to a tick, so they agree within
 * one tick. False for clk_tck 0. */
bool ad_proc_same_start(uint64_t start_boottime_ns, uint64_t ticks,
			uint64_t clk_tck);

#endif /* AD_PROCSTAT_H */
