/*
 * test_dumpmem.c - when the dumps' memory is due back (dumpmem.h): never
 * before a dump, AD_DUMPMEM_LINGER_MS after the last one, each dump
 * starting the wait again, and given back once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dumpmem.h"

static void test_nothing_kept_before_a_dump(void **state)
{
	struct ad_dumpmem m;

	(void)state;
	ad_dumpmem_setup(&m);
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 5000), -1);
	assert_false(ad_dumpmem_release(&m, 1000000));
}

static void test_due_after_the_linger_time(void **state)
{
	struct ad_dumpmem m;

	(void)state;
	ad_dumpmem_setup(&m);
	ad_dumpmem_used(&m, 1000);
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000), AD_DUMPMEM_LINGER_MS);
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000 + AD_DUMPMEM_LINGER_MS - 1), 1);
	assert_false(ad_dumpmem_release(&m, 1000 + AD_DUMPMEM_LINGER_MS - 1));
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000 + AD_DUMPMEM_LINGER_MS), 0);
	/* late (the loop was busy): due now, not negative */
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000 + 3 * AD_DUMPMEM_LINGER_MS), 0);
	assert_true(ad_dumpmem_release(&m, 1000 + AD_DUMPMEM_LINGER_MS));
	/* given back once: nothing is kept until the next dump */
	assert_int_equal(ad_dumpmem_due_in_ms(&m, 1000 + 5 * AD_DUMPMEM_LINGER_MS), -1);
	assert_false(ad_dumpmem_release(&m, 1000 + 5 * AD_DUMPMEM_LINGER_MS));
}

static void test_each_dump_restarts_the_wait(void **state)
{
	struct ad_dumpmem m;
	int64_t t = 50;

	(void)state;
	ad_dumpmem_setup(&m);
	for (int i = 0; i < 5; i++) { /* a dump every half linger time */
		ad_dumpmem_used(&m, t);
		t += AD_DUMPMEM_LINGER_MS / 2;
		assert_false(ad_dumpmem_release(&m, t));
	}
	assert_int_equal(ad_dumpmem_due_in_ms(&m, t), AD_DUMPMEM_LINGER_MS / 2);
	assert_true(ad_dumpmem_release(&m, t + AD_DUMPMEM_LINGER_MS / 2));
}

static void test_memory_still_usable_after_release(void **state)
{
	struct ad_dumpmem m;
	char *big;

	(void)state;
	ad_dumpmem_setup(&m);
	big = malloc(64u << 20); /* from the heap now: no mmap'ed blocks */
	assert_non_null(big);
	for (size_t i = 0; i < (64u << 20); i += 4096)
		big[i] = (char)i;
	free(big);
	ad_dumpmem_used(&m, 0);
	assert_true(ad_dumpmem_release(&m, AD_DUMPMEM_LINGER_MS));
	big = malloc(64u << 20);
	assert_non_null(big);
	big[(64u << 20) - 1] = 1;
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_kept_before_a_dump),
		cmocka_unit_test(test_due_after_the_linger_time),
		cmocka_unit_test(test_each_dump_restarts_the_wait),
		cmocka_unit_test(test_memory_still_usable_after_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
