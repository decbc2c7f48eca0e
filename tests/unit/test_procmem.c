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
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "procmem.h"

static const char rodata_str[] = "a literal in .rodata";
static char *edge;   /* "hello" ending right before an unmapped page */
static char *hole;   /* the unmapped page */
static char *longs;  /* 999 'x' */
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
		assert_int_equal(ad_procmem_string(&pm, (uintptr_t)(longs + i % 999), &s), 0);
		assert_int_equal(strlen(s.text), i % 999 <= 999 - 255 ? 255 : (size_t)(999 - i % 999));
		ad_str_free(&s);
	}
	ad_procmem_fini(&pm);
}

static void test_immutable_and_fallback(void **state)
{
	struct ad_procmem pm;
	char buf[sizeof(rodata_str)];
	(void)state;

	ad_procmem_init(&pm, child);
	assert_true(ad_procmem_immutable(&pm, (uintptr_t)rodata_str));
	assert_false(ad_procmem_immutable(&pm, (uintptr_t)longs));
	assert_false(ad_procmem_immutable(&pm, (uintptr_t)hole));
	pm.use_memfd = true; /* as if process_vm_readv were refused */
	assert_int_equal(ad_procmem_read(&pm, (uintptr_t)rodata_str, buf, sizeof(buf)), 0);
	assert_string_equal(buf, rodata_str);
	assert_int_equal(ad_procmem_read(&pm, (uintptr_t)hole, buf, 4), -EFAULT);
	ad_procmem_fini(&pm);
}

/* Column at which `path` starts in its /proc/self/maps line, or -1. */
static long maps_path_column(const char *path)
{
	char line[8192];
	long col = -1;
	FILE *f = fopen("/proc/self/maps", "re");

	assert_non_null(f);
	while (col < 0 && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, path);

		if (p && strcmp(p + strlen(path), "\n") == 0)
			col = p - line;
	}
	fclose(f);
	return col;
}

/* A mapped file's path is chosen by the observed process. One long
 * enough that a fake "start-end r--p" lands where procmem's line buffer
 * splits the line must not make writable memory look read-only (which
 * would let the daemon show a _DYN label rewritten after the probe). */
static void test_immutable_long_path(void **state)
{
	enum { SPLIT = 511 }; /* procmem reads maps in 512-byte fgets() */
	char dir[] = "/tmp/ad_pm_XXXXXX", path[4096], next[4096], forged[64];
	struct ad_procmem pm;
	size_t len, fill;
	long col;
	void *m;
	int fd;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	m = mmap(NULL, 1, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(m != MAP_FAILED);
	col = maps_path_column(path);
	assert_true(col > 0 && col < 200);

	/* Rename it (maps shows the live name) to dir/xxx.../xxx.../<forged>
	 * with the forged range starting exactly at column SPLIT. */
	snprintf(forged, sizeof(forged), "%llx-%llx r--p",
		 (unsigned long long)(uintptr_t)longs,
		 (unsigned long long)(uintptr_t)longs + 1);
	len = strlen(dir);
	memcpy(next, dir, len + 1);
	fill = SPLIT - (size_t)col - len - 1; /* bytes of "xx/" directories */
	while (fill > 0) {
		size_t n = fill > 200 ? 200 : fill;

		if (fill - n == 1) /* never leave a lone '/' to place */
			n--;
		next[len++] = '/';
		memset(next + len, 'x', n - 1);
		len += n - 1;
		next[len] = '\0';
		assert_int_equal(mkdir(next, 0700), 0);
		fill -= n;
	}
	snprintf(next + len, sizeof(next) - len, "/%s", forged);
	assert_int_equal(rename(path, next), 0);
	assert_int_equal(maps_path_column(next), col);
	assert_int_equal(strstr(next, forged) - next + col, SPLIT);

	ad_procmem_init(&pm, getpid());
	assert_true(ad_procmem_immutable(&pm, (uintptr_t)m)); /* the real one */
	assert_false(ad_procmem_immutable(&pm, (uintptr_t)longs));
	ad_procmem_fini(&pm);

	munmap(m, 1);
	close(fd);
	unlink(next);
	while ((len = strlen(next)) > strlen(dir)) {
		*strrchr(next, '/') = '\0';
		rmdir(next);
	}
	rmdir(dir);
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
		cmocka_unit_test(test_immutable_and_fallback),
		cmocka_unit_test(test_immutable_long_path),
		cmocka_unit_test(test_gone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
