// SPDX-License-Identifier: BSD-2-Clause
/*
 * keysort.h - sorting records by (time, id): the rebuild orders every
 * frame by enter time and every task by spawn time, ties broken by id so
 * the order is stable across dumps. A million frames come out of the BPF
 * maps in hash order; a radix sort takes a fraction of qsort's time on
 * them (BENCHMARKS.md, "Measurements behind the code").
 */
#ifndef AD_KEYSORT_H
#define AD_KEYSORT_H

#include <stddef.h>
#include <stdint.h>

struct ad_sort_key {
	uint64_t time; /* enter_ns or spawn_ns */
	uint64_t id;
	uint32_t idx; /* the record's index in its snapshot array */
};

/* Sorts keys[0..n) ascending by time, then id (idx breaks no ties: keys
 * with equal time and id keep no particular order). 0, or -ENOMEM with
 * keys untouched. */
int ad_sort_keys(struct ad_sort_key *keys, size_t n);

#endif /* AD_KEYSORT_H */
