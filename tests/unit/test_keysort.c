// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_keysort.c - the (time, id) order of snapshot records (keysort.h):
 * the radix sort must agree with a plain comparison sort on every shape a
 * dump can hand it (hash order, already sorted, ties, one time for all,
 * times spanning all 64 bits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/keysort.h"

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rnd_state += 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int cmp(const void *a, const void *b)
{
	const struct ad_sort_key *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

/* Sorts keys both ways and checks they agree on (time, id), and that
 * every idx is still there once. */
static void check(struct ad_sort_key *keys, size_t n)
{
	struct ad_sort_key *want = malloc((n ? n : 1) * sizeof(*want));
	uint8_t *seen = calloc(n ? n : 1, 1);

	assert_non_null(want);
	assert_non_null(seen);
	for (size_t i = 0; i < n; i++)
		keys[i].idx = (uint32_t)i;
	memcpy(want, keys, n * sizeof(*want));
	qsort(want, n, sizeof(*want), cmp);
	assert_int_equal(ad_sort_keys(keys, n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(keys[i].time == want[i].time);
		assert_true(keys[i].id == want[i].id);
		assert_true(keys[i].idx < n);
		assert_false(seen[keys[i].idx]);
		seen[keys[i].idx] = 1;
	}
	free(want);
	free(seen);
}

static void fill(struct ad_sort_key *k, size_t n, uint64_t base, uint64_t span,
		 uint64_t ids)
{
	for (size_t i = 0; i < n; i++) {
		k[i].time = base + (span ? rnd() % span : 0);
		k[i].id = ids ? rnd() % ids : rnd();
	}
}

static void test_shapes(void **state)
{
	static const size_t sizes[] = {0,   1,	 2,    100,   511,
				       512, 513, 5000, 100000};
	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		struct ad_sort_key *k = malloc((n ? n : 1) * sizeof(*k));

		assert_non_null(k);
		/* enter times of one process: seconds apart at most */
		fill(k, n, 1700000000000000000ull, 5000000000ull, 0);
		check(k, n);
		/* already in order (what collect.c hands the rebuild) */
		check(k, n);
		/* reversed */
		for (size_t i = 0; i < n / 2; i++) {
			struct ad_sort_key t = k[i];

			k[i] = k[n - 1 - i];
			k[n - 1 - i] = t;
		}
		check(k, n);
		/* many ties: few distinct times, ids decide */
		fill(k, n, 42, 7, 0);
		check(k, n);
		/* one time for all (every radix pass skipped) */
		fill(k, n, 99, 0, 1000);
		check(k, n);
		/* the whole 64-bit range (hostile records) */
		for (size_t i = 0; i < n; i++)
			k[i].time = rnd(), k[i].id = rnd() % 3;
		check(k, n);
		free(k);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
