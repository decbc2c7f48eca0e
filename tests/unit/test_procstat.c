// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_procstat.c - telling a process from a later one with its pid
 * (core/procstat.c): starttime read from /proc/PID/stat lines, commands
 * with spaces and parentheses included, and the comparison with a
 * start_boottime in ns, within one clock tick.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/procstat.h"

/* A real line's shape: pid (comm) state, then fields 4..52. */
#define REST                                                                   \
	" S 1 2 3 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 123456 "             \
	"1000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 "    \
	"0 0\n"

static void test_starttime(void **state)
{
	uint64_t t = 0;
	(void)state;

	assert_int_equal(ad_proc_stat_starttime("42 (prog)" REST, &t), 0);
	assert_int_equal(t, 123456);
	/* a command holding ") " and spaces: fields count after the last ')' */
	t = 0;
	assert_int_equal(ad_proc_stat_starttime("42 (a) S 1 2 (b c)" REST, &t),
			 0);
	assert_int_equal(t, 123456);
	t = 0;
	assert_int_equal(ad_proc_stat_starttime("42 ()" REST, &t), 0);
	assert_int_equal(t, 123456);
}

static void test_starttime_bad(void **state)
{
	uint64_t t = 7;
	(void)state;

	assert_int_equal(ad_proc_stat_starttime("", &t), -EINVAL);
	assert_int_equal(ad_proc_stat_starttime("42 prog S 1 2", &t), -EINVAL);
	/* too few fields */
	assert_int_equal(ad_proc_stat_starttime("42 (p) S 1 2 3\n", &t),
			 -EINVAL);
	/* field 22 not a number, or overflowing */
	assert_int_equal(ad_proc_stat_starttime(
				 "1 (p) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 "
				 "0 12x4 5",
				 &t),
			 -EINVAL);
	assert_int_equal(ad_proc_stat_starttime(
				 "1 (p) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 "
				 "0 99999999999999999999999 5",
				 &t),
			 -EINVAL);
	assert_int_equal(t, 7); /* untouched on failure */
}

static void test_same_start(void **state)
{
	const uint64_t s = 1000000000ull; /* ns */
	(void)state;

	/* 100 ticks a second: the kernel shows ns / 10 ms, rounded down */
	assert_true(ad_proc_same_start(12345678901ull, 1234, 100));
	assert_true(ad_proc_same_start(12340000000ull, 1234, 100));
	assert_true(ad_proc_same_start(12349999999ull, 1234, 100));
	/* another process: a tick or more away on either side */
	assert_false(ad_proc_same_start(12360000001ull, 1234, 100));
	assert_false(ad_proc_same_start(12329999999ull, 1234, 100));
	assert_false(ad_proc_same_start(13 * s, 1234, 100));
	/* other tick rates; no rate, or a nonsense one, matches nothing */
	assert_true(ad_proc_same_start(5 * s + 3, 5000, 1000));
	assert_false(ad_proc_same_start(5 * s, 5000, 0));
	assert_false(ad_proc_same_start(5 * s, 5, 2000000000ull));
	/* no overflow near the top of the range */
	assert_false(ad_proc_same_start(5 * s, UINT64_MAX / 2, 100));
	assert_true(ad_proc_same_start(0, 0, 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttime),
		cmocka_unit_test(test_starttime_bad),
		cmocka_unit_test(test_same_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
