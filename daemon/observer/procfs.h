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

/* Reads a short /proc text file's first line into buf[len] (no
 * newline). Returns 0, or -errno (-EIO for a failed read). */
int ad_proc_read_line(const char *path, char *buf, size_t len);
/* A process's command name (/proc/PID/comm) into buf[len]; "?" once it
 * has gone. Never its cmdline or memory: those can make the read wait on
 * the process. */
void ad_proc_comm(pid_t pid, char *buf, size_t len);
/* When the process started, on CLOCK_MONOTONIC (ns; /proc/PID/stat's
 * starttime, rounded down to a clock tick); 0 if it cannot be read. */
uint64_t ad_proc_started_ns(pid_t pid);
/* The same of thread tid of process pid (/proc/PID/task/TID/stat). */
uint64_t ad_thread_started_ns(pid_t pid, pid_t tid);

#endif /* AD_PROCFS_H */
