// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * opcost.bpf.c - what the operations of an observed frame cost inside the
 * kernel, without any uprobe: one BPF_PROG_TYPE_SYSCALL program, run by
 * BPF_PROG_TEST_RUN (bench/opcost.c), repeats one operation `loops` times
 * with bpf_loop. The time per iteration, less that of the empty iteration,
 * is the operation's cost on this kernel and CPU (mitigations included).
 *
 * The hash maps have the key and value sizes of asyncdumpd's frames map
 * (include/asyncdump_abi.h); one is not preallocated (as asyncdumpd's),
 * the other is.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "frames_map.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

enum op {
	OP_EMPTY,	  /* the loop alone */
	OP_HASH_PAIR,	  /* insert + delete, not preallocated */
	OP_HASH_PAIR_PRE, /* insert + delete, preallocated */
	OP_HASH_LOOKUP,	  /* a lookup that finds the record */
	OP_KTIME,	  /* bpf_ktime_get_ns() */
	OP_PID_TGID,	  /* bpf_get_current_pid_tgid() */
};

AD_BENCH_FRAMES_MAP(frames, BPF_F_NO_PREALLOC);
AD_BENCH_FRAMES_MAP(frames_pre, 0);

int op;
__u32 loops;
__u64 sink; /* keeps the helpers' results live */

static long step(__u64 i, void *ctx)
{
	__u64 key = 0x7ffc1000 + (i & 7) * 64; /* a frame id */
	struct ad_frame f = {.enter_ns = i};
	struct ad_frame *p;

	(void)ctx;
	switch (op) {
	case OP_HASH_PAIR:
		bpf_map_update_elem(&frames, &key, &f, BPF_ANY);
		bpf_map_delete_elem(&frames, &key);
		break;
	case OP_HASH_PAIR_PRE:
		bpf_map_update_elem(&frames_pre, &key, &f, BPF_ANY);
		bpf_map_delete_elem(&frames_pre, &key);
		break;
	case OP_HASH_LOOKUP:
		p = bpf_map_lookup_elem(&frames, &key);
		if (p)
			sink += p->enter_ns;
		break;
	case OP_KTIME:
		sink += bpf_ktime_get_ns();
		break;
	case OP_PID_TGID:
		sink += bpf_get_current_pid_tgid();
		break;
	default:
		break;
	}
	return 0;
}

SEC("syscall")
int opcost(void *ctx)
{
	(void)ctx;
	/* the lookups find a record: the 8 keys step() uses */
	if (op == OP_HASH_LOOKUP) {
		for (__u64 i = 0; i < 8; i++) {
			__u64 key = 0x7ffc1000 + i * 64;
			struct ad_frame f = {};

			bpf_map_update_elem(&frames, &key, &f, BPF_ANY);
		}
	}
	bpf_loop(loops, step, NULL, 0);
	return 0;
}
