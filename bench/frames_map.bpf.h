// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * frames_map.bpf.h - a hash map shaped like asyncdumpd's frames map (key
 * and value of include/asyncdump_abi.h, its default capacity), for the
 * benchmark's BPF programs that measure what such a map costs.
 *
 *   AD_BENCH_FRAMES_MAP(name, flags)   flags: BPF_F_NO_PREALLOC (as
 *                                      asyncdumpd's maps) or 0
 */
#ifndef AD_BENCH_FRAMES_MAP_BPF_H
#define AD_BENCH_FRAMES_MAP_BPF_H

#include "../include/asyncdump_abi.h"

#define AD_BENCH_FRAMES_MAP(name, flags)                                       \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_HASH);                               \
		__uint(map_flags, flags);                                      \
		__uint(max_entries, AD_DEFAULT_MAX_FRAMES);                    \
		__type(key, __u64); /* a process's own map */                  \
		__type(value, struct ad_frame);                                \
	} name SEC(".maps")

#endif /* AD_BENCH_FRAMES_MAP_BPF_H */
