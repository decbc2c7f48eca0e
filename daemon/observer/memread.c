// SPDX-License-Identifier: BSD-2-Clause
/*
 * memread.c - reads of another process's memory that can be abandoned
 * (memread.h).
 *
 * The reader and its helper talk over a SOCK_SEQPACKET pair, one request
 * and one answer at a time, so a message is always whole and an answer
 * is always the one to the request just sent: a request given up on is
 * never answered late, because its helper is killed with it.
 */
#define _GNU_SOURCE
#include "observer/memread.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"

/* The helper's end of the pair, in the helper. */
#define HELPER_FD 3

struct mr_request {
	int32_t pid;
	uint32_t len;
	uint64_t addr;
};

struct mr_answer {
	int32_t err; /* 0 or -errno */
	uint32_t len;
	unsigned char data[AD_MEMREAD_MAX];
};

#define ANSWER_HEAD offsetof(struct mr_answer, data)

void ad_memread_init(struct ad_memread *mr, bool use_helper, int stop_fd)
{
	memset(mr, 0, sizeof(*mr));
	mr->use_helper = use_helper;
	mr->stop_fd = stop_fd;
	mr->sock = -1;
	mr->memfd = -1;
}

/* ---------------------------------------------------- the read itself */

static int read_memfd(struct ad_memread *mr, pid_t pid, uint64_t addr,
		      void *buf, size_t len)
{
	char path[32];
	ssize_t n;

	if (addr > (uint64_t)INT64_MAX - len)
		return -EFAULT;
	if (mr->memfd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		mr->memfd = open(path, O_RDONLY | O_CLOEXEC);
		if (mr->memfd < 0)
			return errno == ENOENT ? -ESRCH : -errno;
	}
	n = pread(mr->memfd, buf, len, (off_t)addr);
	if (n < 0)
		return errno == EIO ? -EFAULT : -errno;
	return n == (ssize_t)len ? 0 : -EFAULT;
}

/* process_vm_readv first (one system call, no fd); /proc/PID/mem when it
 * is refused or missing (seccomp, older kernels), from then on for that
 * process. */
static int read_direct(struct ad_memread *mr, pid_t pid, uint64_t addr,
		       void *buf, size_t len)
{
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr,
			       .iov_len = len};
	ssize_t n;

	if (pid != mr->mem_pid) {
		if (mr->memfd >= 0)
			close(mr->memfd);
		mr->memfd = -1;
		mr->use_memfd = false;
		mr->mem_pid = pid;
	}
	if (!mr->use_memfd) {
		n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return -EFAULT;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		mr->use_memfd = true;
	}
	return read_memfd(mr, pid, addr, buf, len);
}

/* ------------------------------------------------------- the helper */

int ad_memread_helper_main(int argc, char *argv[])
{
	struct ad_memread mr;
	struct mr_answer *ans;
	char *end;
	long parent;

	if (argc < 1 || !argv[0] || strcmp(argv[0], AD_MEMREAD_ARGV0) != 0)
		return -1;
	if (argc != 2)
		return 2;
	parent = strtol(argv[1], &end, 10);
	/* Dies with the thread that started it; if that already happened,
	 * there is no one to serve. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || *end || getppid() != parent)
		return 1;
	prctl(PR_SET_NAME, "ad-memread");
	close_range(HELPER_FD + 1, ~0u, 0);
	ans = malloc(sizeof(*ans));
	if (!ans)
		return 1;
	ad_memread_init(&mr, false, -1);
	for (;;) {
		struct mr_request rq;
		ssize_t n = recv(HELPER_FD, &rq, sizeof(rq), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(rq))
			break; /* 0: the reader closed its end */
		ans->err = rq.len && rq.len <= AD_MEMREAD_MAX
				   ? read_direct(&mr, rq.pid, rq.addr,
						 ans->data, rq.len)
				   : -EINVAL;
		ans->len = ans->err ? 0 : rq.len;
		if (send(HELPER_FD, ans, ANSWER_HEAD + ans->len, MSG_NOSIGNAL) <
		    0)
			break;
	}
	ad_memread_fini(&mr);
	free(ans);
	return 0;
}

/* ------------------------------------------------------- the reader */

/* Reaps the killed helpers that have died by now. */
static void reap_killed(struct ad_memread *mr)
{
	if (mr->reap && waitpid(mr->reap, NULL, WNOHANG) != 0)
		mr->reap = 0;
}

/* Gives the helper up: killed (its wait in the kernel is killable) and
 * reaped now or at a later read. */
static void abandon(struct ad_memread *mr)
{
	if (!mr->child)
		return;
	kill(mr->child, SIGKILL);
	close(mr->sock);
	mr->sock = -1;
	reap_killed(mr);
	/* Reaped at the next read. Should the one before still not have
	 * died (SIGKILL has always ended the wait so far), it is left a
	 * zombie rather than waited for. */
	if (waitpid(mr->child, NULL, WNOHANG) == 0)
		mr->reap = mr->child;
	mr->child = 0;
}

/* Starts a helper: this program again, its end of the pair as
 * HELPER_FD, no other descriptor (all the daemon's are close-on-exec,
 * and the helper closes any that is not), default signals, no
 * environment. 0 or -errno. */
static int spawn(struct ad_memread *mr)
{
	char ppid[24];
	char *argv[] = {AD_MEMREAD_ARGV0, ppid, NULL};
	char *envp[] = {NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int sv[2], theirs, e;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	/* dup2 onto itself would leave it close-on-exec */
	theirs = sv[1] == HELPER_FD ? fcntl(sv[1], F_DUPFD_CLOEXEC, 16) : sv[1];
	if (theirs < 0) {
		e = -errno;
		close(sv[0]);
		close(sv[1]);
		return e;
	}
	snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	e = posix_spawn_file_actions_adddup2(&fa, theirs, HELPER_FD);
	if (!e)
		e = posix_spawnattr_setsigmask(&at, &none);
	if (!e)
		e = posix_spawnattr_setsigdefault(&at, &all);
	if (!e)
		e = posix_spawnattr_setflags(
			&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (!e)
		e = posix_spawn(&child, "/proc/self/exe", &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (theirs != sv[1])
		close(theirs);
	close(sv[1]);
	if (e) {
		close(sv[0]);
		return -e;
	}
	mr->child = child;
	mr->sock = sv[0];
	mr->helpers++;
	return 0;
}

/* Waits for the helper's answer until the earlier of deadline_ms and
 * AD_MEMREAD_TIMEOUT_MS from now. 0 when it is there, -ETIMEDOUT,
 * -ECANCELED (stop_fd readable), or -errno. */
static int wait_answer(struct ad_memread *mr, int64_t deadline_ms)
{
	int64_t limit = ad_mono_ms() + AD_MEMREAD_TIMEOUT_MS;

	if (deadline_ms && deadline_ms < limit)
		limit = deadline_ms;
	for (;;) {
		struct pollfd pfd[2] = {
			{.fd = mr->sock, .events = POLLIN},
			{.fd = mr->stop_fd, .events = POLLIN},
		};
		int64_t left = limit - ad_mono_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(pfd, 2, (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && pfd[1].revents)
			return -ECANCELED;
		if (n > 0 && pfd[0].revents)
			return 0; /* an answer, or the helper died: recv says */
	}
}

/* The helper's answer to a read of len bytes, into buf. */
static int take_answer(struct ad_memread *mr, void *buf, size_t len)
{
	struct mr_answer ans;
	ssize_t n;

	do
		n = recv(mr->sock, &ans, sizeof(ans), 0);
	while (n < 0 && errno == EINTR);
	if (n < (ssize_t)ANSWER_HEAD)
		return -EIO; /* it died (0), or worse */
	if (ans.err)	     /* a -errno of the read, nothing else */
		return ans.err < 0 && ans.err > -4096 && ans.len == 0 &&
				       n == (ssize_t)ANSWER_HEAD
			       ? ans.err
			       : -EIO;
	if (ans.len != len || n != (ssize_t)(ANSWER_HEAD + len))
		return -EIO;
	memcpy(buf, ans.data, len);
	return 0;
}

int ad_memread_read(struct ad_memread *mr, pid_t pid, uint64_t addr, void *buf,
		    size_t len, int64_t deadline_ms)
{
	struct mr_request rq = {.pid = pid, .len = (uint32_t)len, .addr = addr};
	int rc;

	if (!len || len > AD_MEMREAD_MAX)
		return -EINVAL;
	if (!mr->use_helper)
		return read_direct(mr, pid, addr, buf, len);
	if (deadline_ms && ad_mono_ms() >= deadline_ms) {
		mr->timeouts++;
		return -ETIMEDOUT;
	}
	reap_killed(mr);
	if (!mr->child) {
		rc = spawn(mr);
		if (rc)
			return rc;
	}
	if (send(mr->sock, &rq, sizeof(rq), MSG_NOSIGNAL) != sizeof(rq)) {
		abandon(mr); /* it died: the next read starts another */
		return -EIO;
	}
	rc = wait_answer(mr, deadline_ms);
	if (!rc)
		rc = take_answer(mr, buf, len);
	if (rc == -ETIMEDOUT)
		mr->timeouts++;
	if (rc == -ETIMEDOUT || rc == -ECANCELED || rc == -EIO)
		abandon(mr);
	return rc;
}

int ad_memread_prepare(struct ad_memread *mr)
{
	if (!mr->use_helper)
		return 0;
	reap_killed(mr);
	return mr->child ? 0 : spawn(mr);
}

void ad_memread_fini(struct ad_memread *mr)
{
	abandon(mr);
	reap_killed(mr);
	if (mr->memfd >= 0)
		close(mr->memfd);
	mr->memfd = -1;
	mr->mem_pid = 0;
}
