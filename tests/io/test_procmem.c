// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_procmem.c - bounded, cached reads of another process's memory
 * (daemon/procmem.c) against a forked child that holds known bytes: a
 * string ending just before an unmapped page, an over-long string, an
 * unmapped address, NULL, the cache, read-only detection, and the
 * /proc/PID/mem fallback. No BPF, no root (a parent may read its child).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "observer/procmem.h"

static const char rodata_str[] = "a literal in .rodata";
static char *edge;  /* "hello" ending right before an unmapped page */
static char *hole;  /* the unmapped page */
static char *longs; /* 999 'x' */
static pid_t child;

static int setup(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	(void)state;

	if (p == MAP_FAILED)
		return -1;
	hole = p + page;
	munmap(hole, (size_t)page);
	edge = hole - 6;
	memcpy(edge, "hello", 6);
	longs = malloc(1000);
	memset(longs, 'x', 999);
	longs[999] = '\0';
	/* The child inherits identical memory at identical addresses. */
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	return child > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	free(longs);
	return 0;
}

static void test_strings(void **state)
{
	struct ad_procmem pm;
	struct ad_str s;
	char want[64];
	(void)state;

	ad_procmem_init(&pm, child);
	assert_int_equal(ad_procmem_string(&pm, (uintptr_t)edge, &s), 0);
	assert_string_equal(s.text, "hello");
	assert_false(s.truncated);
	assert_false(s.unreadable);
	ad_str_free(&s);

	assert_int_equal(ad_procmem_string(&pm, (uintptr_t)longs, &s), 0);
	assert_true(s.truncated);
	assert_int_equal(strlen(s.text), AD_PROCMEM_STR_MAX - 1);
	ad_str_free(&s);

	assert_true(ad_procmem_string(&pm, (uintptr_t)hole, &s) < 0);
	assert_true(s.unreadable);
	snprintf(want, sizeof(want), "<unreadable 0x%llx>",
		 (unsigned long long)(uintptr_t)hole);
	assert_string_equal(s.text, want);
	ad_str_free(&s);

	assert_int_equal(ad_procmem_string(&pm, 0, &s), -EFAULT);
	assert_string_equal(s.text, "<null>");
	ad_str_free(&s);
	ad_procmem_fini(&pm);
}

static void test_cache(void **state)
{
	struct ad_procmem pm;
	struct ad_str s;
	size_t reads;
	(void)state;

	ad_procmem_init(&pm, child);
	assert_int_equal(ad_procmem_string(&pm, (uintptr_t)rodata_str, &s), 0);
	ad_str_free(&s);
	reads = pm.reads;
	assert_int_equal(ad_procmem_string(&pm, (uintptr_t)rodata_str, &s), 0);
	assert_string_equal(s.text, rodata_str);
	ad_str_free(&s);
	assert_int_equal(pm.reads, reads);
	/* Thousands of distinct addresses: the table grows, stays right. */
	for (int i = 0; i < 3000; i++) {
		assert_int_equal(ad_procmem_string(
					 &pm, (uintptr_t)(longs + i % 999), &s),
				 0);
		assert_int_equal(
			strlen(s.text),
			i % 999 <= 999 - 255 ? 255 : (size_t)(999 - i % 999));
		ad_str_free(&s);
	}
	ad_procmem_fini(&pm);
}

/* A site record and a source location record (bit 0 of the address set):
 * both read as a site, the second without label or flags. */
static const struct asyncdump_site a_site = {"site.c", "site_fn", "lbl", 12,
					     ASYNCDUMP_F_DYN};
static const struct ad_srcloc_raw a_loc
	__attribute__((aligned(8))) = {0, 0, 34, 5};

static void test_sites(void **state)
{
	struct ad_procmem pm;
	struct ad_site_raw site;
	uint64_t addr = (uintptr_t)&a_loc;
	(void)state;

	ad_procmem_init(&pm, child);
	assert_int_equal(ad_procmem_site(&pm, (uintptr_t)&a_site, &site), 0);
	assert_int_equal(site.file, (uintptr_t)a_site.file);
	assert_int_equal(site.label, (uintptr_t)a_site.label);
	assert_int_equal(site.line, 12);
	assert_int_equal(site.flags, ASYNCDUMP_F_DYN);
	assert_int_equal(
		ad_procmem_site(&pm, addr | ASYNCDUMP_SITE_SRCLOC, &site), 0);
	assert_int_equal(site.file, a_loc.file);
	assert_int_equal(site.function, a_loc.function);
	assert_int_equal(site.label, 0);
	assert_int_equal(site.line, 34);
	assert_int_equal(site.flags, 0);
	/* the same address untagged is another record (and kind) */
	assert_int_equal(ad_procmem_site(&pm, addr, &site), 0);
	assert_int_equal(site.label, 34 | (uint64_t)5 << 32);
	assert_true(ad_procmem_site(&pm, (uintptr_t)hole | 1, &site) < 0);
	ad_procmem_fini(&pm);
}

static const char coro_fn[] = "void ns::f(f(int)::_ZN2ns1fEi.Frame*)";

/* A function name is shown rewritten (core/format.c), the same bytes as a
 * string are not: two cache entries. */
static void test_function(void **state)
{
	struct ad_procmem pm;
	struct ad_str s;
	(void)state;

	ad_procmem_init(&pm, child);
	assert_int_equal(ad_procmem_function(&pm, (uintptr_t)coro_fn, &s), 0);
	assert_string_equal(s.text, "ns::f(int)");
	ad_str_free(&s);
	assert_int_equal(ad_procmem_string(&pm, (uintptr_t)coro_fn, &s), 0);
	assert_string_equal(s.text, coro_fn);
	ad_str_free(&s);
	assert_int_equal(ad_procmem_function(&pm, (uintptr_t)rodata_str, &s),
			 0);
	assert_string_equal(s.text, rodata_str);
	ad_str_free(&s);
	assert_true(ad_procmem_function(&pm, (uintptr_t)hole, &s) < 0);
	assert_true(s.unreadable);
	ad_str_free(&s);
	ad_procmem_fini(&pm);
}

static void test_memfd_fallback(void **state)
{
	struct ad_procmem pm;
	char buf[sizeof(rodata_str)];
	(void)state;

	ad_procmem_init(&pm, child);
	/* as if process_vm_readv were refused */
	pm.direct.mem_pid = child;
	pm.direct.use_memfd = true;
	assert_int_equal(
		ad_procmem_read(&pm, (uintptr_t)rodata_str, buf, sizeof(buf)),
		0);
	assert_string_equal(buf, rodata_str);
	assert_int_equal(ad_procmem_read(&pm, (uintptr_t)hole, buf, 4),
			 -EFAULT);
	ad_procmem_fini(&pm);
}

static void test_gone(void **state)
{
	struct ad_procmem pm;
	struct ad_str s;
	pid_t dead = fork();
	(void)state;

	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	ad_procmem_init(&pm, dead);
	assert_true(ad_procmem_string(&pm, (uintptr_t)rodata_str, &s) < 0);
	assert_true(s.unreadable);
	ad_str_free(&s);
	ad_procmem_fini(&pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_sites),
		cmocka_unit_test(test_function),
		cmocka_unit_test(test_memfd_fallback),
		cmocka_unit_test(test_gone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
