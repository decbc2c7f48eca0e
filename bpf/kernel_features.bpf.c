// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kernel_features.bpf.c - what asyncdumpd asks of the running kernel, one small
 * program per question (daemon/kernel_features.c loads each on its own: a
 * program the kernel refuses answers "no" without failing the others).
 *
 * Each program uses the same kinds of maps and helpers as the programs of
 * asyncdump.bpf.c that depend on the answer, nothing more; what the
 * programs do with them is irrelevant, they are never run for their
 * result (feat_uprobe excepted, which does nothing).
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kernel_types.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct feat_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16);
	__type(key, __u64);
	__type(value, __u64);
};

/* A process's record maps: no-prealloc hash maps in an array of maps. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct feat_inner);
} feat_outer SEC(".maps");

/* The ready-slot table: an mmap'able array changed by compare-and-swap. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} feat_ready SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} feat_threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} feat_events SEC(".maps");

/* What every USDT program of the store does. */
static __always_inline int store(bool sleepable, void *user)
{
	__u32 zero = 0;
	__u64 key = 0, one = 1;
	__u64 *t;
	__u32 *r;
	void *inner;
	char c;

	t = bpf_task_storage_get(&feat_threads, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t)
		*t += 1;
	r = bpf_map_lookup_elem(&feat_ready, &zero);
	if (r)
		__sync_val_compare_and_swap(r, 0, 1);
	inner = bpf_map_lookup_elem(&feat_outer, &zero);
	if (inner)
		bpf_map_update_elem(inner, &key, &one, BPF_ANY);
	bpf_ringbuf_output(&feat_events, &one, sizeof(one), 0);
	if (sleepable)
		bpf_copy_from_user(&c, 1, user);
	return 0;
}

/* Required: the non-sleepable probe programs. */
SEC("uprobe")
int feat_store(struct pt_regs *ctx)
{
	return store(false, 0);
}

/* Optional (Linux 6.0): the _DYN programs loaded sleepable, so that a
 * string copy can fault its page in. */
SEC("uprobe.s")
int feat_sleepable(struct pt_regs *ctx)
{
	return store(true, (void *)PT_REGS_PARM1(ctx));
}

/* Required: the thread states read for a dump (ad_iter_threads). Whether
 * it can be limited to one process (Linux 6.1) is asked when attaching. */
SEC("iter/task")
int feat_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u64 *t;

	if (!task)
		return 0;
	t = bpf_task_storage_get(&feat_threads, task, 0, 0);
	if (t)
		bpf_seq_write(ctx->meta->seq, t, sizeof(*t));
	return 0;
}

/* Attached to a 5-byte nop in asyncdumpd itself, to see what the kernel
 * makes of an attached site: an int3, or (Linux 6.18) a call. */
SEC("uprobe")
int feat_uprobe(struct pt_regs *ctx)
{
	return 0;
}
