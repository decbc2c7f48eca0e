// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kernel_types.h - the few kernel types the BPF programs touch, declared
 * locally instead of a vmlinux.h generated from the build host's kernel.
 *
 * preserve_access_index makes every field access a CO-RE relocation: libbpf
 * rewrites the offsets against the running kernel's BTF at load time, so
 * only the field names (not the layout below) have to match that kernel.
 * Declare only fields that are read; never use sizeof() of these types.
 */
#ifndef AD_KERNEL_TYPES_H
#define AD_KERNEL_TYPES_H

typedef struct {
	int counter;
} __attribute__((preserve_access_index)) atomic_t;

/* signal->live counts the group's threads that have not yet passed the
 * decrement in do_exit(); it is 0 once the last thread is exiting. */
struct signal_struct {
	atomic_t live;
} __attribute__((preserve_access_index));

struct mm_struct;

struct task_struct {
	struct mm_struct *mm;
	int pid;
	int tgid;
	struct signal_struct *signal;
	struct task_struct *group_leader;
	unsigned long long start_boottime; /* u64, ns since boot (5.3+) */
	/* Incremented at each exec; the parent's at the fork (u64, 5.7+). */
	unsigned long long self_exec_id;
	unsigned long long parent_exec_id;
} __attribute__((preserve_access_index));

/* The context of an iter/task program (ad_iter_threads). */
struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));

/* A mapped file's inode, as /proc/PID/maps names it (discover.bpf.c). */
struct super_block {
	unsigned int s_dev; /* dev_t: major << 20 | minor */
} __attribute__((preserve_access_index));

struct inode {
	unsigned long i_ino;
	struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct file {
	struct inode *f_inode;
} __attribute__((preserve_access_index));

struct mm_struct {
	struct file *exe_file;
} __attribute__((preserve_access_index));

#endif /* AD_KERNEL_TYPES_H */
