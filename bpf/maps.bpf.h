// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * maps.bpf.h - the maps of the task/frame store, included by every BPF
 * object that uses them: asyncdump.bpf.c (the probes, which create them)
 * and iter.bpf.c (the dump and reclaim iterators, loaded with the same
 * maps by fd). Layouts of keys and values: include/asyncdump_abi.h.
 */
#ifndef AD_MAPS_BPF_H
#define AD_MAPS_BPF_H

#include "../include/asyncdump_abi.h"

/* Capacities below are defaults; the observer resizes every map before
 * load. NO_PREALLOC: kernel memory follows the live records, not the
 * configured maximum. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, AD_DEFAULT_MAX_FRAMES);
	__type(key, struct ad_key);
	__type(value, struct ad_frame);
} frames SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, AD_DEFAULT_MAX_TASKS);
	__type(key, struct ad_key);
	__type(value, struct ad_task);
} tasks SEC(".maps");

/* _DYN labels and names; key = the owning record's key. Sizes without BTF
 * types so the loader can change the value size to label_max. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, AD_DEFAULT_MAX_FRAMES + AD_DEFAULT_MAX_TASKS);
	__uint(key_size, sizeof(struct ad_key));
	__uint(value_size, AD_DEFAULT_LABEL_MAX);
} strings SEC(".maps");

/* label_max zero bytes: the initial value of a string before the copy,
 * which is done straight into the map value (no per-CPU buffer: the
 * programs that copy are sleepable, hence preemptible). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, AD_DEFAULT_LABEL_MAX);
} zeros SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, AD_DEFAULT_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct ad_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AD_GLOBAL_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} globals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ad_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

#endif /* AD_MAPS_BPF_H */
