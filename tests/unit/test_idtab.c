// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_idtab.c - the record-key hash table (idtab.h): keys that differ
 * only in pid or kind stay apart, values are replaced, growth keeps every
 * entry, address-like ids (low bits zero) spread, clear empties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/idtab.h"

static struct ad_key key(uint32_t pid, uint32_t kind, uint64_t id)
{
	return (struct ad_key){.pid = pid, .kind = kind, .id = id};
}

static void test_put_get(void **state)
{
	struct ad_idtab t;
	struct ad_key a = key(10, AD_KIND_FRAME, 0x7f0000001000ull);
	struct ad_key b = key(11, AD_KIND_FRAME, 0x7f0000001000ull);
	struct ad_key c = key(10, AD_KIND_TASK, 0x7f0000001000ull);
	const struct ad_idtab_ent *e;

	(void)state;
	ad_idtab_init(&t);
	assert_null(ad_idtab_get(&t, &a)); /* empty: no allocation yet */
	assert_int_equal(ad_idtab_put(&t, &a, 1, 100), 0);
	assert_int_equal(ad_idtab_put(&t, &b, 2, 200), 0);
	assert_int_equal(ad_idtab_put(&t, &c, 3, 300), 0);
	assert_int_equal(t.n, 3);
	e = ad_idtab_get(&t, &a);
	assert_non_null(e);
	assert_int_equal(e->val, 1);
	assert_int_equal(e->aux, 100);
	assert_int_equal(ad_idtab_get(&t, &b)->val, 2);
	assert_int_equal(ad_idtab_get(&t, &c)->val, 3);
	/* replacing keeps one entry */
	assert_int_equal(ad_idtab_put(&t, &a, 9, 900), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(ad_idtab_get(&t, &a)->val, 9);
	assert_int_equal(ad_idtab_get(&t, &a)->aux, 900);
	ad_idtab_free(&t);
	assert_null(ad_idtab_get(&t, &a));
}

/* A million address-like ids, 64 bytes apart, in two processes: every
 * one found with its own value after many doublings, none that was not
 * put, and the table never more than half full. */
static void test_many(void **state)
{
	struct ad_idtab t;
	const uint64_t n = 500000;

	(void)state;
	ad_idtab_init(&t);
	for (uint64_t i = 0; i < n; i++) {
		struct ad_key k1 =
			key(1, AD_KIND_FRAME, 0x7f1200000000ull + i * 64);
		struct ad_key k2 =
			key(2, AD_KIND_FRAME, 0x7f1200000000ull + i * 64);

		assert_int_equal(ad_idtab_put(&t, &k1, i, 1), 0);
		assert_int_equal(ad_idtab_put(&t, &k2, i + n, 2), 0);
	}
	assert_int_equal(t.n, 2 * n);
	assert_true(t.cap >= 4 * n);
	for (uint64_t i = 0; i < n; i++) {
		struct ad_key k1 =
			key(1, AD_KIND_FRAME, 0x7f1200000000ull + i * 64);
		struct ad_key k2 =
			key(2, AD_KIND_FRAME, 0x7f1200000000ull + i * 64);
		struct ad_key miss =
			key(1, AD_KIND_FRAME, 0x7f1200000000ull + i * 64 + 8);
		const struct ad_idtab_ent *e1 = ad_idtab_get(&t, &k1);
		const struct ad_idtab_ent *e2 = ad_idtab_get(&t, &k2);

		assert_non_null(e1);
		assert_non_null(e2);
		assert_int_equal(e1->val, i);
		assert_int_equal(e2->val, i + n);
		assert_null(ad_idtab_get(&t, &miss));
	}
	/* a large table is freed by clear, and usable again */
	ad_idtab_clear(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.ent);
	{
		struct ad_key k = key(1, AD_KIND_TASK, 5);

		assert_null(ad_idtab_get(&t, &k));
		assert_int_equal(ad_idtab_put(&t, &k, 7, 0), 0);
		assert_int_equal(ad_idtab_get(&t, &k)->val, 7);
	}
	ad_idtab_free(&t);
}

/* A small table keeps its memory across clear (a sweep per map set). */
static void test_clear_small(void **state)
{
	struct ad_idtab t;
	struct ad_key k = key(3, AD_KIND_TASK, 42);
	const struct ad_idtab_ent *before;

	(void)state;
	ad_idtab_init(&t);
	assert_int_equal(ad_idtab_put(&t, &k, 1, 0), 0);
	before = t.ent;
	ad_idtab_clear(&t);
	assert_ptr_equal(t.ent, before);
	assert_int_equal(t.n, 0);
	assert_null(ad_idtab_get(&t, &k));
	ad_idtab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_clear_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
