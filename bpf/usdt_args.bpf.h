// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * usdt_args.bpf.h - fetch all of a USDT probe's arguments at once.
 *
 * libbpf's bpf_usdt_arg() finds the probe's argument spec (attach cookie,
 * then a map lookup) and reads pt_regs with a helper call once per
 * argument, a measurable part of the BPF cost of an ENTER/EXIT pair
 * (BENCHMARKS.md, "Measurements behind the code"). ad_usdt_args() finds
 * the spec once and loads each register straight from the context
 * (pt_regs) instead of through a helper,
 * then decodes every argument the same way libbpf does, from the same spec
 * map libbpf fills at attach time (<bpf/usdt.bpf.h> defines it; libbpf's
 * user-space half writes it).
 */
#ifndef AD_USDT_ARGS_BPF_H
#define AD_USDT_ARGS_BPF_H

#include <bpf/usdt.bpf.h>

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
		return AD_CTX_LOAD(ctx, off)

/* The register at byte offset off of ctx (struct pt_regs), as recorded by
 * libbpf in an argument spec. The verifier accepts context loads only at
 * constant offsets, so on x86-64 (21 registers) the offset selects one by
 * switch: cheaper than a helper call. Elsewhere, through the helper. */
static __always_inline __u64 ad_reg(struct pt_regs *ctx, __u32 off)
{
	__u64 v = 0;

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
		return 0; /* libbpf never records an offset outside pt_regs */
	}
#else
	if (off <= sizeof(struct pt_regs) - sizeof(v))
		bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + off);
#endif
	return v;
}

/* Reads the first n arguments (n <= AD_USDT_MAX_ARGS) into out. Returns
 * 0, or -1 if the probe's spec is missing or has fewer than n arguments
 * or one could not be read (out is then unusable). */
#define AD_USDT_MAX_ARGS 6

static __always_inline int ad_usdt_args(struct pt_regs *ctx, __u64 *out, int n)
{
	struct __bpf_usdt_spec *spec;
	int id = __bpf_usdt_spec_id(ctx);

	if (id < 0)
		return -1;
	spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
	if (!spec || spec->arg_cnt < n)
		return -1;
#pragma unroll
	for (int i = 0; i < AD_USDT_MAX_ARGS; i++) {
		struct __bpf_usdt_arg_spec *a = &spec->args[i];
		__u64 v;

		if (i >= n)
			break;
		if (a->arg_type == BPF_USDT_ARG_CONST) {
			v = a->val_off;
		} else {
			v = ad_reg(ctx, (__u32)(__u16)a->reg_off);
			if (a->arg_type == BPF_USDT_ARG_REG_DEREF &&
			    bpf_probe_read_user(&v, sizeof(v),
						(void *)(v + a->val_off)))
				return -1;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			if (a->arg_type == BPF_USDT_ARG_REG_DEREF)
				v >>= a->arg_bitshift;
#endif
			if (a->arg_type != BPF_USDT_ARG_REG &&
			    a->arg_type != BPF_USDT_ARG_REG_DEREF)
				return -1;
		}
		/* 1-, 2- and 4-byte arguments: clear (or sign-extend) the
		 * upper bits, as libbpf does. */
		v <<= a->arg_bitshift;
		if (a->arg_signed)
			v = (__u64)((__s64)v >> a->arg_bitshift);
		else
			v >>= a->arg_bitshift;
		out[i] = v;
	}
	return 0;
}

#endif /* AD_USDT_ARGS_BPF_H */
