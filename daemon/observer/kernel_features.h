// SPDX-License-Identifier: BSD-2-Clause
/*
 * kernel_features.h - what the running kernel can do for asyncdumpd, found by
 * trying it (loading small BPF programs, attaching a probe to asyncdumpd
 * itself), never by its version string. The observer loads the variant
 * of its programs each answer allows.
 */
#ifndef AD_KERNEL_FEATURES_H
#define AD_KERNEL_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

/* What an attached 5-byte nop probe site becomes. */
enum ad_uprobe_site {
	AD_UPROBE_UNKNOWN, /* not x86-64, or the probe could not tell */
	AD_UPROBE_INT3,	   /* a breakpoint: every hit traps */
	AD_UPROBE_CALL,	   /* a call into a uprobe trampoline (Linux 6.18) */
};

struct ad_features {
	/* The _DYN programs load sleepable, so a string's page can be
	 * faulted in while it is copied (Linux 6.0). Without: a string in a
	 * page the process never touched is counted unreadable. */
	bool sleepable;
	/* The task iterator can be limited to one process (Linux 6.1).
	 * Without: a dump's thread states come from a walk over every task
	 * of the host. */
	bool task_iter_pid;
	enum ad_uprobe_site uprobe_site;
	/* Turned off by ASYNCDUMP_DISABLE_FEATURES, though the kernel has
	 * them. */
	bool sleepable_off, task_iter_pid_off;
};

/* The environment variable naming features to leave unused (a comma
 * list: "sleepable", "task-iter-pid"), to test the fallbacks or to work
 * around a kernel bug. */
#define AD_DISABLE_FEATURES_ENV "ASYNCDUMP_DISABLE_FEATURES"

/* Probes the kernel: 0, or -errno with a message in err naming the first
 * required feature missing and the oldest kernel that has it (-ENOTSUP),
 * or what else failed. Needs the privileges of the daemon (BPF). */
int ad_features_probe(struct ad_features *out, char *err, size_t errlen);

/* Line i (from 0) of what was chosen, "<what>: <variant> (<why>)", for
 * the start-up log and --version: buf, or NULL past the last line. */
const char *ad_features_line(const struct ad_features *f, unsigned int i,
			     char *buf, size_t len);

#endif /* AD_KERNEL_FEATURES_H */
