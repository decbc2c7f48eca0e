// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_strpool.c - the string pool of a snapshot (strpool.h): every copy
 * intact and NUL-terminated, strings longer than a chunk, freeing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/strpool.h"

static void test_strpool(void **state)
{
	struct ad_strpool p = {0};
	char *small[2000], big[100000];
	const char *b;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		char s[32];
		int n = snprintf(s, sizeof(s), "label %d", i);

		small[i] = ad_strpool_dup(&p, s, (size_t)n);
		assert_non_null(small[i]);
	}
	memset(big, 'x', sizeof(big));
	b = ad_strpool_dup(&p, big, sizeof(big)); /* longer than a chunk */
	assert_non_null(b);
	assert_int_equal(strlen(b), sizeof(big));
	assert_string_equal(ad_strpool_dup(&p, "cut here", 3), "cut");
	for (int i = 0; i < 2000; i++) {
		char s[32];

		snprintf(s, sizeof(s), "label %d", i);
		assert_string_equal(small[i], s);
	}
	ad_strpool_free(&p);
	ad_strpool_free(&p); /* twice is harmless */
	assert_null(p.chunks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strpool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
