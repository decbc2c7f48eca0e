// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor.bpf.c - the floors of the observed cost, on the asyncdump enter
 * and exit probes (and poll_begin and poll_end for the empty ones):
 *   floor_enter/floor_exit  EMPTY programs: what a pair costs with them
 *   floor_poll_beg/_end     attached is what the kernel charges for the two
 *                           uprobe hits and two BPF program runs alone;
 *   store_enter/store_exit  the least a store of frames in a BPF hash map
 *                           does: ENTER inserts one record under (tgid,
 *                           frame id) with the enter time, EXIT deletes it.
 *                           No thread state, no parent, no loss counting:
 *                           what any design keeping each frame in a hash map
 *                           pays before doing anything useful.
 * asyncdumpd's programs add their bookkeeping on top of the first, and do
 * more than the second.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h> /* usdt.bpf.h uses bool without including it */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "../bpf/usdt_args.bpf.h" /* the frame id read as asyncdumpd does */
#include "frames_map.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AD_FLOOR_EMPTY(name)                                                   \
	SEC("usdt") int name(struct pt_regs *ctx)                              \
	{                                                                      \
		(void)ctx;                                                     \
		return 0;                                                      \
	}

/* Names of at most 15 characters: the kernel keeps no more of them. */
AD_FLOOR_EMPTY(floor_enter)
AD_FLOOR_EMPTY(floor_exit)
AD_FLOOR_EMPTY(floor_poll_beg)
AD_FLOOR_EMPTY(floor_poll_end)

/* Not preallocated, like asyncdumpd's frames maps. */
AD_BENCH_FRAMES_MAP(store, BPF_F_NO_PREALLOC);

SEC("usdt")
int store_enter(struct pt_regs *ctx)
{
	struct ad_frame f = {};
	__u64 id;

	if (ad_usdt_args(ctx, &id, 1))
		return 0;
	f.enter_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&store, &id, &f, BPF_ANY);
	return 0;
}

SEC("usdt")
int store_exit(struct pt_regs *ctx)
{
	__u64 id;

	if (ad_usdt_args(ctx, &id, 1))
		return 0;
	bpf_map_delete_elem(&store, &id);
	return 0;
}
