// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_memread.c - reads of another process's memory through a helper
 * process (daemon/observer/memread.c), against forked children: bytes
 * read right, errors passed on, one helper for many reads, and a read of
 * a userfaultfd page that is never served: it times out, the helper is
 * killed and reaped, and the next read works through a new one; a stop
 * request abandons such a read at once. The userfaultfd part needs root
 * (or vm.unprivileged_userfaultfd=1) and is skipped without it; CI runs
 * it as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "observer/memread.h"

static const char rodata_str[] = "read through the helper";

/* A child that pauses, holding this program's memory. */
static pid_t start_child(void)
{
	pid_t c = fork();

	if (c == 0) {
		pause();
		_exit(0);
	}
	assert_true(c > 0);
	return c;
}

static void stop_child(pid_t c)
{
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_reads_through_one_helper(void **state)
{
	struct ad_memread mr;
	char buf[sizeof(rodata_str)];
	pid_t c = start_child(), dead = fork();
	(void)state;

	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	ad_memread_init(&mr, true, -1);
	for (int i = 0; i < 3; i++) {
		memset(buf, 0, sizeof(buf));
		assert_int_equal(ad_memread_read(&mr, c, (uintptr_t)rodata_str,
						 buf, sizeof(buf), 0),
				 0);
		assert_string_equal(buf, rodata_str);
	}
	assert_int_equal(ad_memread_read(&mr, c, 8, buf, 4, 0), -EFAULT);
	assert_int_equal(
		ad_memread_read(&mr, dead, (uintptr_t)rodata_str, buf, 4, 0),
		-ESRCH);
	assert_int_equal(
		ad_memread_read(&mr, c, (uintptr_t)rodata_str, buf, 0, 0),
		-EINVAL);
	assert_int_equal(ad_memread_read(&mr, c, (uintptr_t)rodata_str, buf,
					 AD_MEMREAD_MAX + 1, 0),
			 -EINVAL);
	/* a deadline already past: no read, no helper asked */
	assert_int_equal(ad_memread_read(&mr, c, (uintptr_t)rodata_str, buf, 4,
					 now_ms() - 1),
			 -ETIMEDOUT);
	assert_int_equal(mr.helpers, 1); /* errors do not cost the helper */
	assert_true(mr.child > 0);
	assert_int_equal(mr.timeouts, 1);
	ad_memread_fini(&mr);
	assert_int_equal(mr.child, 0);
	stop_child(c);
}

/* A child with one page registered to a userfaultfd nobody serves: any
 * access to it waits forever. Its address comes back through a pipe;
 * NULL when userfaultfd is not allowed here. */
static pid_t wedged_child(void **page)
{
	int pfd[2];
	pid_t c;
	void *addr = NULL;

	assert_int_equal(pipe(pfd), 0);
	c = fork();
	if (c == 0) {
		long ps = sysconf(_SC_PAGESIZE);
		struct uffdio_api api = {.api = UFFD_API};
		struct uffdio_register reg = {0};
		void *p = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

		reg.range.start = (uintptr_t)p;
		reg.range.len = (uint64_t)ps;
		reg.mode = UFFDIO_REGISTER_MODE_MISSING;
		if (p == MAP_FAILED || uffd < 0 ||
		    ioctl(uffd, UFFDIO_API, &api) ||
		    ioctl(uffd, UFFDIO_REGISTER, &reg))
			p = NULL;
		if (write(pfd[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		pause();
		_exit(0);
	}
	assert_true(c > 0);
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &addr, sizeof(addr)), sizeof(addr));
	close(pfd[0]);
	*page = addr;
	return c;
}

static void test_wedged_read_times_out(void **state)
{
	struct ad_memread mr;
	char buf[16];
	void *page;
	pid_t c = wedged_child(&page), first;
	int64_t t0;
	(void)state;

	if (!page) {
		stop_child(c);
		skip(); /* userfaultfd of kernel accesses needs privilege */
	}
	ad_memread_init(&mr, true, -1);
	t0 = now_ms();
	assert_int_equal(
		ad_memread_read(&mr, c, (uintptr_t)page, buf, sizeof(buf), 0),
		-ETIMEDOUT);
	/* not before the timeout: the read was really waiting */
	assert_true(now_ms() - t0 >= AD_MEMREAD_TIMEOUT_MS);
	assert_int_equal(mr.timeouts, 1);
	assert_int_equal(mr.child, 0);
	first = mr.reap;
	/* the next read works, through a new helper */
	assert_int_equal(ad_memread_read(&mr, c, (uintptr_t)rodata_str, buf,
					 sizeof(buf), 0),
			 0);
	assert_memory_equal(buf, rodata_str, sizeof(buf));
	assert_int_equal(mr.helpers, 2);
	/* the killed one is reaped by a later read, not left behind */
	for (int i = 0; i < 50 && mr.reap; i++) {
		usleep(100 * 1000);
		assert_int_equal(ad_memread_read(&mr, c, (uintptr_t)rodata_str,
						 buf, 4, 0),
				 0);
	}
	assert_int_equal(mr.reap, 0);
	if (first)
		assert_true(kill(first, 0) < 0 && errno == ESRCH);
	/* a deadline of the caller's shorter than the timeout is kept */
	t0 = now_ms();
	assert_int_equal(ad_memread_read(&mr, c, (uintptr_t)page, buf,
					 sizeof(buf), t0 + 100),
			 -ETIMEDOUT);
	assert_true(now_ms() - t0 < AD_MEMREAD_TIMEOUT_MS);
	ad_memread_fini(&mr);
	stop_child(c);
}

static void test_stop_abandons_a_wedged_read(void **state)
{
	struct ad_memread mr;
	char buf[16];
	void *page;
	pid_t c = wedged_child(&page);
	int efd = eventfd(1, EFD_CLOEXEC); /* readable: stop at once */
	(void)state;

	if (!page) {
		stop_child(c);
		close(efd);
		skip();
	}
	assert_true(efd >= 0);
	ad_memread_init(&mr, true, efd);
	assert_int_equal(
		ad_memread_read(&mr, c, (uintptr_t)page, buf, sizeof(buf), 0),
		-ECANCELED);
	assert_int_equal(mr.timeouts, 0);
	assert_int_equal(mr.child, 0);
	ad_memread_fini(&mr);
	close(efd);
	stop_child(c);
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_through_one_helper),
		cmocka_unit_test(test_wedged_read_times_out),
		cmocka_unit_test(test_stop_abandons_a_wedged_read),
	};
	/* this program is also the helper it starts */
	int rc = ad_memread_helper_main(argc, argv);

	if (rc >= 0)
		return rc;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
