// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor.bpf.c - the floor of the observed cost: an EMPTY program on the
 * asyncdump enter and exit probes. What a pair costs with it attached is
 * what the kernel charges for the two uprobe hits and two BPF program
 * runs alone; asyncdumpd's programs add their bookkeeping on top.
 *
 * <bpf/usdt.bpf.h> is included only because bpf_program__attach_usdt()
 * needs the spec maps it defines; the programs read no argument.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h> /* usdt.bpf.h uses bool without including it */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("usdt")
int floor_enter(struct pt_regs *ctx)
{
	(void)ctx;
	return 0;
}

SEC("usdt")
int floor_exit(struct pt_regs *ctx)
{
	(void)ctx;
	return 0;
}
