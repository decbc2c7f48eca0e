// SPDX-License-Identifier: BSD-2-Clause
/*
 * procfs.h - what the daemon reads of a process from /proc without
 * touching its memory.
 */
#ifndef AD_PROCFS_H
#define AD_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A process's command name (/proc/PID/comm) into buf[len]; "?" once it
 * has gone. Never its cmdline or memory: those can make the read wait on
 * the process. */
void ad_proc_comm(pid_t pid, char *buf, size_t len);
/* When the process started, on CLOCK_MONOTONIC (ns; /proc/PID/stat's
 * starttime, rounded down to a clock tick); 0 if it cannot be read. */
uint64_t ad_proc_started_ns(pid_t pid);

#endif /* AD_PROCFS_H */
