// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * usdt_args.bpf.h - fetch all of a USDT probe's arguments at once.
 *
 * The daemon attaches each probe site itself, with an attach cookie that
 * says in which registers the site's arguments are (asyncdump_abi.h,
 * AD_COOKIE): every asyncdump argument is a 64-bit register. So no spec
 * map is looked up (libbpf's bpf_usdt_arg() looks one up, then reads
 * pt_regs through a helper once per argument: a measurable part of the
 * BPF cost of an ENTER/EXIT pair, BENCHMARKS.md), and each register is
 * loaded straight from the context (pt_regs).
 */
#ifndef AD_USDT_ARGS_BPF_H
#define AD_USDT_ARGS_BPF_H

#include "../include/asyncdump_abi.h"

/* Context load at a constant offset, in asm so the compiler cannot turn
 * it into arithmetic on the context pointer, which the verifier rejects. */
#define AD_CTX_LOAD(ctx, off)                                                  \
	({                                                                     \
		__u64 _v;                                                      \
		asm volatile("%0 = *(u64 *)(%1 + " #off ")"                    \
			     : "=r"(_v)                                        \
			     : "r"(ctx));                                      \
		_v;                                                            \
	})
#define AD_REG_CASE(off)                                                       \
	case off:                                                              \
		*v = AD_CTX_LOAD(ctx, off);                                    \
		return 0

/* The register at byte offset off of ctx (struct pt_regs), as recorded by
 * the site's cookie, into *v; -1 if off is outside pt_regs (no cookie the
 * daemon makes holds one). The verifier accepts context loads only at
 * constant offsets, so on x86-64 (21 registers) the offset selects one by
 * switch: cheaper than a helper call. Elsewhere, through the helper.
 *
 * A bad offset fails the probe rather than yield a constant: every path
 * out of the switch then leaves the same state (an unknown value), which
 * the verifier prunes as one. With a constant 0 on one path, Linux 6.1
 * explored each of the six ENTER_AT arguments' two states in every
 * combination and refused the program (over a million instructions). */
static __always_inline int ad_reg(struct pt_regs *ctx, __u32 off, __u64 *v)
{
#if defined(__TARGET_ARCH_x86)
	_Static_assert(sizeof(struct pt_regs) == 21 * 8, "x86-64 pt_regs");
	switch (off) {
		AD_REG_CASE(0);
		AD_REG_CASE(8);
		AD_REG_CASE(16);
		AD_REG_CASE(24);
		AD_REG_CASE(32);
		AD_REG_CASE(40);
		AD_REG_CASE(48);
		AD_REG_CASE(56);
		AD_REG_CASE(64);
		AD_REG_CASE(72);
		AD_REG_CASE(80);
		AD_REG_CASE(88);
		AD_REG_CASE(96);
		AD_REG_CASE(104);
		AD_REG_CASE(112);
		AD_REG_CASE(120);
		AD_REG_CASE(128);
		AD_REG_CASE(136);
		AD_REG_CASE(144);
		AD_REG_CASE(152);
		AD_REG_CASE(160);
	default:
		return -1;
	}
#else
	if (off > sizeof(struct pt_regs) - sizeof(*v))
		return -1;
	return bpf_probe_read_kernel(v, sizeof(*v), (void *)ctx + off) ? -1 : 0;
#endif
}

/* Reads the first n arguments (n <= AD_USDT_MAX_ARGS) into out. Returns
 * 0, or -1 if the site's cookie is not one of asyncdump's or names fewer
 * than n arguments (out is then unusable). */
#define AD_USDT_MAX_ARGS AD_COOKIE_ARGS_MAX

static __always_inline int ad_usdt_args(struct pt_regs *ctx, __u64 *out, int n)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);

	if (!AD_COOKIE_VALID(cookie) || (int)AD_COOKIE_NARGS(cookie) < n)
		return -1;
#pragma unroll
	for (int i = 0; i < AD_USDT_MAX_ARGS; i++) {
		if (i >= n)
			break;
		if (ad_reg(ctx, AD_COOKIE_REG_OFF(cookie, i), &out[i]))
			return -1;
	}
	return 0;
}

#endif /* AD_USDT_ARGS_BPF_H */
