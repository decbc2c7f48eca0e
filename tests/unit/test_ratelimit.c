// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_ratelimit.c - the token bucket behind the daemon's log rate limit
 * (core/ratelimit.c): bursts, refill, the count of what was refused, and
 * a clock that goes nowhere or backwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/ratelimit.h"

static void test_burst_then_rate(void **state)
{
	struct ad_ratelimit rl = AD_RATELIMIT_INIT(5, 10);
	uint64_t dropped = 99;
	int ok = 0;
	(void)state;

	for (int i = 0; i < 20; i++)
		ok += ad_ratelimit_take(&rl, 1000, &dropped);
	assert_int_equal(ok, 5); /* the burst, at one instant */
	assert_int_equal(dropped, 0);
	/* 10 a second: 100 ms gives one more, and the 15 refused are said */
	assert_false(ad_ratelimit_take(&rl, 1099, NULL));
	assert_true(ad_ratelimit_take(&rl, 1100, &dropped));
	assert_int_equal(dropped, 16);
	/* a long pause refills to the burst, not beyond */
	ok = 0;
	for (int i = 0; i < 20; i++)
		ok += ad_ratelimit_take(&rl, 100000, NULL);
	assert_int_equal(ok, 5);
	/* a clock that goes backwards adds nothing */
	assert_false(ad_ratelimit_take(&rl, 50, NULL));
	/* a sustained flood: 10 a second over 10 s */
	ok = 0;
	for (int64_t t = 200000; t < 210000; t++)
		ok += ad_ratelimit_take(&rl, t, NULL);
	assert_true(ok >= 100 && ok <= 106);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
