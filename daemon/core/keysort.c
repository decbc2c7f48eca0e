// SPDX-License-Identifier: BSD-2-Clause
/*
 * keysort.c - (time, id) order of snapshot records (keysort.h).
 *
 * LSD radix sort on time, 16 bits per pass. Times of one process's
 * records share their high bits (they span seconds or hours, not the
 * whole 64-bit range), so every pass whose digit is the same for all keys
 * is skipped: a typical dump takes two or three passes. Radix passes are
 * stable but know nothing of ids, so runs of equal time are sorted by id
 * afterwards; they are short in real dumps (ns clocks), and a hostile
 * process making them long gets n log n, never worse.
 */
#include "core/keysort.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DIGIT_BITS 16
#define DIGITS (64 / DIGIT_BITS)
#define RADIX (1u << DIGIT_BITS)
/* Below this, the histograms cost more than they save. */
#define SMALL 512

static unsigned digit(uint64_t t, unsigned d)
{
	return (unsigned)(t >> (d * DIGIT_BITS)) & (RADIX - 1);
}

static int cmp_key(const void *a, const void *b)
{
	const struct ad_sort_key *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct ad_sort_key *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Runs of equal time, by id. */
static void sort_ties(struct ad_sort_key *keys, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i + 1;

		while (j < n && keys[j].time == keys[i].time)
			j++;
		if (j - i > 1)
			qsort(keys + i, j - i, sizeof(*keys), cmp_id);
		i = j;
	}
}

static bool sorted(const struct ad_sort_key *keys, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (cmp_key(&keys[i - 1], &keys[i]) > 0)
			return false;
	return true;
}

int ad_sort_keys(struct ad_sort_key *keys, size_t n)
{
	struct ad_sort_key *tmp, *src = keys, *dst;
	uint32_t(*count)[RADIX];
	unsigned d;

	/* The daemon's snapshots come in this order already (collect.c):
	 * one pass to see it. */
	if (sorted(keys, n))
		return 0;
	if (n < SMALL) {
		qsort(keys, n, sizeof(*keys), cmp_key);
		return 0;
	}
	if (n > UINT32_MAX)
		return -ENOMEM; /* counts are 32-bit; far beyond any map */
	count = calloc(DIGITS, sizeof(*count));
	tmp = malloc(n * sizeof(*tmp));
	if (!count || !tmp) {
		free(count);
		free(tmp);
		return -ENOMEM;
	}
	/* Every digit's histogram in one pass over the keys. */
	for (size_t i = 0; i < n; i++)
		for (d = 0; d < DIGITS; d++)
			count[d][digit(keys[i].time, d)]++;
	dst = tmp;
	for (d = 0; d < DIGITS; d++) {
		uint32_t *c = count[d], sum = 0;

		/* One bucket holds every key: this digit orders nothing. */
		if (c[digit(src[0].time, d)] == n)
			continue;
		for (unsigned b = 0; b < RADIX; b++) {
			uint32_t k = c[b];

			c[b] = sum;
			sum += k;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[digit(src[i].time, d)]++] = src[i];
		dst = src;
		src = src == keys ? tmp : keys;
	}
	if (src != keys)
		memcpy(keys, src, n * sizeof(*keys));
	free(tmp);
	free(count);
	sort_ties(keys, n);
	return 0;
}
