// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_format.c - the function names of C++ coroutine bodies as GCC gives
 * them, shown as the coroutine's name and parameters (core/format.c); every
 * other name untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/format.h"

static void check(const char *in, const char *want)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", in);
	assert_int_equal(ad_fmt_coro_function(buf), want != NULL);
	assert_string_equal(buf, want ? want : in);
}

static void test_coroutine_bodies(void **state)
{
	(void)state;
	/* as GCC 12 names them (from examples/coro_deadlock.cc) */
	check("void {anonymous}::worker(worker(async_mutex&, async_mutex&, "
	      "async_barrier&)::_ZN12_GLOBAL__N_16workerERNS_11async_"
	      "mutexES1_RNS_13async_barrierE.Frame*)",
	      "{anonymous}::worker(async_mutex&, async_mutex&, "
	      "async_barrier&)");
	check("void worker(worker(int)::_Z6workeri.Frame*)", "worker(int)");
	check("void ns::C::run(run()::_ZN2ns1C3runEv.Frame*)", "ns::C::run()");
	/* parentheses inside the parameters */
	check("void f(f(void (*)(int), int)::_Z1fPFviEi.Frame*)",
	      "f(void (*)(int), int)");
}

static void test_other_names(void **state)
{
	(void)state;
	check("main", NULL);
	check("", NULL);
	check("void f(int)", NULL);
	check("{anonymous}::task {anonymous}::take_both(async_mutex&)", NULL);
	check(".Frame*)", NULL);
	check("void .Frame*)", NULL);
	check("void f(::_Z.Frame*)", NULL);
	check("void f(g(int)::_Z1gi.Frame*)", NULL);  /* other name */
	check("void xf(f(int)::_Z1fi.Frame*)", NULL); /* not at a "::" */
	check("void f(f(int))::_Z1fi.Frame*)", NULL); /* unbalanced */
	check("void f(f((int)::_Z1fi.Frame*)", NULL); /* unbalanced */
	check("void f(f(int)::_Z1fi.Frame*", NULL);   /* cut short */
	check("int f(f(int)::_Z1fi.Frame*)", NULL);   /* not void */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coroutine_bodies),
		cmocka_unit_test(test_other_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
