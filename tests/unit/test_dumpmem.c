// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_dumpmem.c - when the dumps' memory is due back (dumpmem.h): never
 * before anything freed it, AD_DUMPMEM_LINGER_MS after the last dump,
 * each dump starting the wait again, other work starting it but never
 * extending it, and given back once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/dumpmem.h"

#define LINGER AD_DUMPMEM_LINGER_MS

static void test_nothing_kept_at_first(void **state)
{
	struct ad_dumpmem m;
	bool after_dump = true;

	(void)state;
	ad_dumpmem_setup(&m);
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 5000), -1);
	assert_false(ad_dumpmem_release(&m, 1000000, &after_dump));
	assert_true(after_dump); /* untouched when nothing is given back */
}

static void test_due_after_the_linger_time(void **state)
{
	struct ad_dumpmem m;
	bool after_dump = false;

	(void)state;
	ad_dumpmem_setup(&m);
	ad_dumpmem_dumped(&m, 1000);
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000), LINGER);
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000 + LINGER - 1), 1);
	assert_false(ad_dumpmem_release(&m, 1000 + LINGER - 1, &after_dump));
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000 + LINGER), 0);
	/* late (the loop was busy): due now, not negative */
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000 + 3 * LINGER), 0);
	assert_true(ad_dumpmem_release(&m, 1000 + LINGER, &after_dump));
	assert_true(after_dump);
	/* given back once: nothing is kept until memory is freed again */
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000 + 5 * LINGER), -1);
	assert_false(ad_dumpmem_release(&m, 1000 + 5 * LINGER, &after_dump));
}

static void test_each_dump_restarts_the_wait(void **state)
{
	struct ad_dumpmem m;
	bool after_dump;
	int64_t t = 50;

	(void)state;
	ad_dumpmem_setup(&m);
	for (int i = 0; i < 5; i++) { /* a dump every half linger time */
		ad_dumpmem_dumped(&m, t);
		t += LINGER / 2;
		assert_false(ad_dumpmem_release(&m, t, &after_dump));
	}
	assert_int_equal(ad_dumpmem_due_in_ms(&m, t), LINGER / 2);
	assert_true(ad_dumpmem_release(&m, t + LINGER / 2, &after_dump));
	assert_true(after_dump);
}

static void test_other_work_never_extends_the_wait(void **state)
{
	struct ad_dumpmem m;
	bool after_dump = true;

	(void)state;
	ad_dumpmem_setup(&m);
	/* freed memory alone: the wait starts, and is not after a dump */
	ad_dumpmem_freed(&m, 0);
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 0), LINGER);
	assert_true(ad_dumpmem_release(&m, LINGER, &after_dump));
	assert_false(after_dump);
	/* a dump, then a sweep every LINGER/4: still due LINGER after the
	 * dump, not after the last sweep */
	ad_dumpmem_dumped(&m, 100000);
	for (int64_t t = 100000; t < 100000 + LINGER; t += LINGER / 4) {
		ad_dumpmem_freed(&m, t);
		assert_int_equal(ad_dumpmem_due_in_ms(&m, t),
				 100000 + LINGER - t);
	}
	assert_true(ad_dumpmem_release(&m, 100000 + LINGER, &after_dump));
	assert_true(after_dump);
	/* a dump after other work started the wait: restarts it */
	ad_dumpmem_freed(&m, 200000);
	ad_dumpmem_dumped(&m, 200000 + LINGER / 2);
	assert_false(ad_dumpmem_release(&m, 200000 + LINGER, &after_dump));
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 200000 + LINGER), LINGER / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_kept_at_first),
		cmocka_unit_test(test_due_after_the_linger_time),
		cmocka_unit_test(test_each_dump_restarts_the_wait),
		cmocka_unit_test(test_other_work_never_extends_the_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
