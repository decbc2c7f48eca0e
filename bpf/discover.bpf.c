// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * discover.bpf.c - the processes that may have come to map a file the
 * daemon has not decided about yet (asyncdump_abi.h, "Discovery"): how
 * asyncdumpd finds a program exec'd or a library dlopen'd after it
 * started. The daemon reads such a process's maps.
 *
 * Two hooks, both available wherever USDT probes are (no kprobes, no BPF
 * trampolines: some kernels, this project's own 6.18 CI machines among
 * them, have neither):
 *   - sched_process_exec: a program exec'd, told unless its file is in
 *     the known map;
 *   - a uprobe on _dl_debug_state() of each dynamic loader (ld.so) found,
 *     the function debuggers put a breakpoint on: ld.so calls it once the
 *     libraries of a starting program are mapped, before any of them
 *     runs, and around each dlopen() and dlclose(). Always told.
 * Neither slows anything down but a process's start and its dlopen()s.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "../include/asyncdump_abi.h"
#include "kernel_types.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Files the daemon has decided about (attached, or without probes). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AD_KNOWN_FILES);
	__type(key, struct ad_file_key);
	__type(value, __u8);
} known SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, AD_FOUND_RING);
} found SEC(".maps");

/* Processes not told because the ring buffer was full: the daemon then
 * reads every process's maps again. */
__u64 found_dropped = 0;

static void tell(struct ad_found *ev)
{
	ev->pid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	if (bpf_ringbuf_output(&found, ev, sizeof(*ev), 0))
		__sync_fetch_and_add(&found_dropped, 1);
}

SEC("tracepoint/sched/sched_process_exec")
int ad_found_exec(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct ad_found ev = {};
	struct inode *inode;

	inode = BPF_CORE_READ(task, mm, exe_file, f_inode);
	if (inode) {
		ev.file.ino = BPF_CORE_READ(inode, i_ino);
		ev.file.dev = BPF_CORE_READ(inode, i_sb, s_dev);
		if (bpf_map_lookup_elem(&known, &ev.file))
			return 0;
	}
	tell(&ev);
	return 0;
}

/* Attached by the daemon to each ld.so it finds (observer/discover.c). */
SEC("uprobe")
int ad_found_ldso(struct pt_regs *ctx)
{
	struct ad_found ev = {};

	tell(&ev);
	return 0;
}
