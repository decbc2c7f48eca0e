// SPDX-License-Identifier: BSD-2-Clause
/*
 * registry.c - see registry.h. One global lock, as in the seeds: that lock
 * is what their users reported as contention at high request rates, so the
 * benchmark keeps it rather than sharding it away.
 */
#define _GNU_SOURCE
#include "registry.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Open addressing, linear probing, backward-shift deletion: no per-frame
 * allocation and no tombstones, like a Rust HashMap holding values inline. */
#define REG_BITS 16
#define REG_CAP (1u << REG_BITS)
#define REG_MASK (REG_CAP - 1)

struct reg_slot {
	uintptr_t frame; /* 0 = empty */
	uintptr_t parent;
	const char *label;
	uint64_t enter_ns;
};

static struct reg_slot table[REG_CAP];
static unsigned int live;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread uintptr_t innermost; /* the next enter's parent */

static unsigned int home(uintptr_t key)
{
	return (unsigned int)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >>
			      (64 - REG_BITS));
}

/* Is h cyclically in (i, j]? Then the entry at j may not move to i. */
static int in_range(unsigned int h, unsigned int i, unsigned int j)
{
	return i <= j ? (i < h && h <= j) : (i < h || h <= j);
}

void registry_enter(void *frame, const char *label)
{
	uintptr_t key = (uintptr_t)frame;
	struct timespec ts;
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&lock);
	for (i = home(key); table[i].frame && table[i].frame != key;
	     i = (i + 1) & REG_MASK)
		;
	if (!table[i].frame) {
		if (live == REG_CAP - 1) { /* full: dropped, as a loss */
			pthread_mutex_unlock(&lock);
			return;
		}
		live++;
	}
	table[i].frame = key;
	table[i].parent = innermost;
	table[i].label = label;
	table[i].enter_ns =
		(uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	pthread_mutex_unlock(&lock);
	innermost = key;
}

void registry_exit(void *frame)
{
	uintptr_t key = (uintptr_t)frame, parent;
	unsigned int i, j;

	pthread_mutex_lock(&lock);
	for (i = home(key); table[i].frame && table[i].frame != key;
	     i = (i + 1) & REG_MASK)
		;
	if (!table[i].frame) {
		pthread_mutex_unlock(&lock);
		return;
	}
	parent = table[i].parent;
	for (j = (i + 1) & REG_MASK; table[j].frame; j = (j + 1) & REG_MASK) {
		if (!in_range(home(table[j].frame), i, j)) {
			table[i] = table[j];
			i = j;
		}
	}
	table[i].frame = 0;
	live--;
	pthread_mutex_unlock(&lock);
	if (innermost == key)
		innermost = parent;
}
