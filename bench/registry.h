// SPDX-License-Identifier: BSD-2-Clause
/*
 * registry.h - an in-process frame registry, the design of the seeds
 * (async-backtrace, await-tree): every frame is inserted into a
 * mutex-protected hash table on enter and removed on exit, with its parent
 * (the thread's innermost frame), label and enter time. probe_bench times
 * it as context for what observing from outside costs: the in-process
 * design pays this on every frame whether or not anyone ever dumps.
 */
#ifndef AD_BENCH_REGISTRY_H
#define AD_BENCH_REGISTRY_H

void registry_enter(void *frame, const char *label);
void registry_exit(void *frame);

#endif
