// SPDX-License-Identifier: BSD-2-Clause
/*
 * uffd_label - a program that points a literal label into memory whose
 * every read waits forever: a page registered to a userfaultfd that is
 * never served. The label is never copied by a probe (a literal is read
 * by the daemon, at dump time), so only the dump's read of it waits; the
 * daemon must give that read up, show the label unreadable, count it, and
 * keep serving everyone else. Frames: "outer" -> <the wedged label>.
 * Needs root (vm.unprivileged_userfaultfd is 0 by default): prints
 * "NO-UFFD <why>" and exits 2 without it. READY, EOF exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "asyncdump.h"

int main(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = {.api = UFFD_API};
	struct uffdio_register reg = {.mode = UFFDIO_REGISTER_MODE_MISSING};
	char outer, inner, line[16];
	char *page = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	reg.range.start = (uintptr_t)page;
	reg.range.len = (uint64_t)ps;
	if (page == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("NO-UFFD %s\n", strerror(errno));
		return 2;
	}
	ASYNCDUMP_ENTER(&outer, "outer");
	/* never touched by this program: the page is never filled */
	ASYNCDUMP_ENTER_AT(0, &inner, &outer, page + 16, 0);
	printf("READY %d %p\n", (int)getpid(), (void *)(page + 16));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
