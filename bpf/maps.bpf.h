// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * maps.bpf.h - the maps of the task/frame store (asyncdump.bpf.c).
 * Layouts of keys and values, and where records live (a process's own
 * maps or the shared ones): include/asyncdump_abi.h.
 */
#ifndef AD_MAPS_BPF_H
#define AD_MAPS_BPF_H

#include "../include/asyncdump_abi.h"

/* The record maps' definitions. Capacities are defaults: the daemon
 * creates every record map itself, sized by its options, and gives libbpf
 * one of each kind as the template of the outer arrays below. Sizes
 * without BTF types: the template decides, and a strings map's value size
 * is label_max. NO_PREALLOC: kernel memory follows the live records, not
 * the configured maximum. */
#define AD_RECORD_MAP_DEF(key_bytes, value_bytes, entries)                     \
	__uint(type, BPF_MAP_TYPE_HASH);                                       \
	__uint(map_flags, BPF_F_NO_PREALLOC);                                  \
	__uint(max_entries, entries);                                          \
	__uint(key_size, key_bytes);                                           \
	__uint(value_size, value_bytes)

/* A process's own frames: keyed by the frame id alone (struct ad_frame). */
struct ad_frames_inner {
	AD_RECORD_MAP_DEF(sizeof(__u64), sizeof(struct ad_frame),
			  AD_DEFAULT_MAX_FRAMES);
};

/* The shared frames (struct ad_shared_key). */
struct ad_shared_frames_inner {
	AD_RECORD_MAP_DEF(sizeof(struct ad_shared_key), sizeof(struct ad_frame),
			  AD_DEFAULT_MAX_FRAMES);
};

struct ad_tasks_inner {
	AD_RECORD_MAP_DEF(sizeof(struct ad_key), sizeof(struct ad_task),
			  AD_DEFAULT_MAX_TASKS);
};

/* _DYN labels and names; key = the owning record's struct ad_key. */
struct ad_strings_inner {
	AD_RECORD_MAP_DEF(sizeof(struct ad_key), AD_DEFAULT_LABEL_MAX,
			  AD_DEFAULT_MAX_FRAMES + AD_DEFAULT_MAX_TASKS);
};

/* The record maps, at index ad_proc.slot: each process's own (1..
 * max_slots) and the shared ones (AD_SLOT_SHARED, 0), except the shared
 * frames map, keyed otherwise, alone in frames_shared_of. The daemon creates
 * them all; the inner definitions are the template each must match
 * (type, key and value size, flags; the daemon gives libbpf the actual
 * template, sized by its options). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, AD_DEFAULT_MAX_PROCS + 1);
	__type(key, __u32);
	__array(values, struct ad_frames_inner);
} frames_of SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ad_shared_frames_inner);
} frames_shared_of SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, AD_DEFAULT_MAX_PROCS + 1);
	__type(key, __u32);
	__array(values, struct ad_tasks_inner);
} tasks_of SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, AD_DEFAULT_MAX_PROCS + 1);
	__type(key, __u32);
	__array(values, struct ad_strings_inner);
} strings_of SEC(".maps");

/* Slots whose maps are ready, filled by the daemon (which maps it into
 * its memory), taken by a process's first probe hit (struct ad_ready). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ad_ready);
} ready_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AD_DEFAULT_MAX_PROCS + 1);
	__type(key, __u32);
	__type(value, struct ad_slot_owner);
} slot_owner SEC(".maps");

/* Written by the daemon alone (struct ad_slot_maps). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AD_DEFAULT_MAX_PROCS + 1);
	__type(key, __u32);
	__type(value, struct ad_slot_maps);
} slot_maps SEC(".maps");

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

/* Processes not observed for want of room in procs (struct ad_refused). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AD_REFUSED_MAX);
	__type(key, __u32);
	__type(value, struct ad_refused);
} refused SEC(".maps");

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

/* The dispatch tables (issue 14): a probe site's link runs a dispatcher
 * (ad_to_*), which tail-calls the program of its kind found here. The
 * daemon fills them after loading and before attaching; a new daemon
 * adopting a pinned store replaces each entry with its own program in one
 * step, so every event runs exactly one program, the old or the new, and
 * an upgrade's BPF code takes over the sites already attached. One table
 * per program type and hook (a tail call stays within both). Sleepable
 * programs cannot tail-call: the sleepable _DYN variants are attached
 * directly. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, AD_PROBE_COUNT);
	__type(key, __u32);
	__type(value, __u32);
} dispatch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} dispatch_exit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} dispatch_exec SEC(".maps");

#endif /* AD_MAPS_BPF_H */
