// SPDX-License-Identifier: BSD-2-Clause
/*
 * authorize.c - the facts of one dump request read from /proc and judged
 * (authorize.h, core/access.h).
 *
 * The peer's uid, gid and pid are SO_PEERCRED's. Its capabilities and
 * supplementary groups are read from /proc/<peer pid>/status, which could
 * belong to another process if the peer exited and its pid was reused:
 * they count only if the process read is the peer. The peer is held by a
 * pidfd (SO_PEERPIDFD, else pidfd_open), and the status read counts only
 * if it shows the credentials SO_PEERCRED gave and the pidfd's process is
 * still alive afterwards (a live process's pid cannot be reused). The
 * target is read through one open /proc/<pid> directory, so its ids and
 * dumpable state are of one process. Whether it is dumpable is read as
 * the kernel shows it: a file in /proc/<pid> of a process that is not is
 * owned by root (the directory itself is left to the process's euid).
 */
#define _GNU_SOURCE
#include "server/authorize.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/errmsg.h"
#include "server/log.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* A status file with a long Groups: line is still far below this. */
#define STATUS_MAX (1u << 20)

static const char *scope_path = AD_PTRACE_SCOPE_PATH;

int ad_authorize_init(struct ad_access_policy *policy, const char *group,
		      char *err, size_t errlen)
{
	const char *env = getenv(AD_PTRACE_SCOPE_ENV);
	struct group *gr;
	char *end;

	memset(policy, 0, sizeof(*policy));
	if (env && *env)
		scope_path = env;
	if (!group)
		return 0;
	errno = 0;
	gr = getgrnam(group);
	if (gr) {
		policy->group = gr->gr_gid;
	} else {
		unsigned long v;

		errno = 0;
		v = strtoul(group, &end, 10);
		if (*group < '0' || *group > '9' || *end || errno ||
		    v > 0xfffffffful)
			return ad_fail(-EINVAL, err, errlen,
				       "--dump-group %s: no such group (see "
				       "`getent group`; a number is taken as "
				       "a gid)",
				       group);
		policy->group = (gid_t)v;
	}
	policy->has_group = true;
	snprintf(policy->group_name, sizeof(policy->group_name), "%s", group);
	return 0;
}

/* The whole of a small /proc file, NUL-terminated; NULL with errno set. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 4096, got = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (;;) {
		ssize_t n;

		if (got + 1 >= cap) {
			char *b =
				cap < STATUS_MAX ? realloc(buf, cap * 2) : NULL;

			if (!b) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = b;
			cap *= 2;
		}
		n = read(fd, buf + got, cap - got - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* status (of the directory dirfd, or of path) parsed: 0 or -errno; and
 * the file's owner if owner is not NULL. */
static int read_status(int dirfd, const char *path, struct ad_proc_status *st,
		       uid_t *owner)
{
	struct stat fst;
	int fd = dirfd >= 0 ? openat(dirfd, "status", O_RDONLY | O_CLOEXEC)
			    : open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	char *text;
	int rc;

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		return -errno;
	if (owner && fstat(fd, &fst)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (owner)
		*owner = fst.st_uid;
	text = read_all(fd, &len);
	rc = text ? 0 : -errno;
	close(fd);
	if (rc)
		return rc;
	rc = ad_proc_status_parse(text, len, st);
	free(text);
	return rc;
}

/* kernel.yama.ptrace_scope: 0 without Yama, AD_PTRACE_SCOPE_UNKNOWN if
 * it cannot be read. */
static int read_ptrace_scope(void)
{
	char buf[32];
	ssize_t n;
	long v;
	char *end;
	int fd = open(scope_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : AD_PTRACE_SCOPE_UNKNOWN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return AD_PTRACE_SCOPE_UNKNOWN;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno || (*end && *end != '\n') || v < 0 || v > 3)
		return AD_PTRACE_SCOPE_UNKNOWN;
	return (int)v;
}

static bool pidfd_alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

static bool same_userns(int dirfd)
{
	struct stat mine, theirs;

	return stat("/proc/self/ns/user", &mine) == 0 &&
	       fstatat(dirfd, "ns/user", &theirs, 0) == 0 &&
	       mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino;
}

/* The peer's capabilities and groups into *peer (known only if sure);
 * st keeps the groups the peer points into. */
static void read_peer(int sock, const struct ucred *cr,
		      struct ad_access_peer *peer, struct ad_proc_status *st)
{
	socklen_t len = sizeof(int);
	int pidfd = -1, dirfd = -1;
	char path[64];

	memset(peer, 0, sizeof(*peer));
	memset(st, 0, sizeof(*st));
	peer->pid = cr->pid;
	peer->uid = cr->uid;
	peer->gid = cr->gid;
	if (cr->uid == 0 || cr->pid <= 0)
		return; /* root needs nothing more; no pid, nothing sure */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) ||
	    pidfd < 0)
		pidfd = (int)syscall(SYS_pidfd_open, cr->pid, 0);
	if (pidfd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d", (int)cr->pid);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || read_status(dirfd, NULL, st, NULL))
		goto out;
	/* The process read is the peer: the one that connected, with the
	 * credentials it connected with, and alive after the read. */
	if (st->tgid != cr->pid || st->uid[1] != cr->uid ||
	    st->gid[1] != cr->gid || !st->has_cap_eff || !st->has_groups)
		goto out;
	peer->same_userns = same_userns(dirfd);
	if (!pidfd_alive(pidfd))
		goto out;
	peer->cap_eff = st->cap_eff;
	peer->groups = st->groups;
	peer->ngroups = st->ngroups;
	peer->known = true;
out:
	if (dirfd >= 0)
		close(dirfd);
	close(pidfd);
}

/* The target's ancestors into t (for ptrace_scope 1), from its status st:
 * its thread-group id, then parent after parent up to pid 1 or the peer. */
static void read_lineage(const struct ad_proc_status *st, pid_t peer_pid,
			 struct ad_access_target *t, pid_t **out)
{
	pid_t *chain = malloc(AD_ACCESS_MAX_LINEAGE * sizeof(*chain));
	pid_t p = st->ppid;
	size_t n = 0;

	*out = chain;
	if (!chain)
		return;
	chain[n++] = st->tgid;
	if (st->tgid == peer_pid || st->tgid == 1)
		t->lineage_complete = true;
	while (!t->lineage_complete && p > 0 && n < AD_ACCESS_MAX_LINEAGE) {
		struct ad_proc_status up;
		char path[64];

		chain[n++] = p;
		if (p == peer_pid || p == 1) {
			t->lineage_complete = true;
			break;
		}
		snprintf(path, sizeof(path), "/proc/%d/status", (int)p);
		if (read_status(-1, path, &up, NULL)) {
			ad_proc_status_free(&up);
			break;
		}
		p = up.ppid;
		ad_proc_status_free(&up);
	}
	t->lineage = chain;
	t->nlineage = n;
}

/* The target's facts into t; -ESRCH if there is no such process, -EPERM
 * if they cannot be read (unsure: refused), with msg set. */
static int read_target(pid_t pid, struct ad_access_target *t,
		       struct ad_proc_status *st, char *msg, size_t msglen)
{
	char path[64];
	int dirfd, rc;

	memset(t, 0, sizeof(*t));
	memset(st, 0, sizeof(*st));
	t->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 && (errno == ENOENT || errno == ESRCH))
		return ad_fail(-ESRCH, msg, msglen,
			       "no process %d: check the PID (ps -e)",
			       (int)pid);
	if (dirfd < 0)
		return ad_fail(-EPERM, msg, msglen,
			       "not allowed to dump pid %d: its credentials "
			       "cannot be read (%s)",
			       (int)pid, strerror(errno));
	/* The owner of its status file (not of the directory, which stays
	 * the process's for ps), then the text: a read through this
	 * directory succeeds only while this very process lives, so both
	 * are of the process that had the pid when it was opened. */
	rc = read_status(dirfd, NULL, st, &t->proc_owner);
	close(dirfd);
	if (rc == -ESRCH || rc == -ENOENT)
		return ad_fail(-ESRCH, msg, msglen,
			       "no process %d: it exited (check the PID, ps "
			       "-e)",
			       (int)pid);
	if (rc)
		return ad_fail(-EPERM, msg, msglen,
			       "not allowed to dump pid %d: its credentials "
			       "cannot be read (%s)",
			       (int)pid, strerror(-rc));
	memcpy(t->uid, st->uid, sizeof(t->uid));
	memcpy(t->gid, st->gid, sizeof(t->gid));
	return 0;
}

void ad_authorizer_init(struct ad_authorizer *z,
			const struct ad_access_policy *policy, int fd,
			const struct ucred *cr)
{
	z->policy = policy;
	z->scope = read_ptrace_scope();
	read_peer(fd, cr, &z->peer, &z->st);
}

void ad_authorizer_fini(struct ad_authorizer *z)
{
	ad_proc_status_free(&z->st);
	z->peer.groups = NULL;
	z->peer.ngroups = 0;
}

/* The facts of process pid read, and judged for z's client: 0 with *a
 * and *t (its ids; its lineage is freed, lineage_complete kept) set, or
 * -ESRCH / -EPERM (its facts cannot be read) with msg set. */
static int judge(const struct ad_authorizer *z, pid_t pid, enum ad_access *a,
		 struct ad_access_target *t, char *msg, size_t msglen)
{
	struct ad_proc_status tst;
	pid_t *lineage = NULL;
	int rc = read_target(pid, t, &tst, msg, msglen);

	if (!rc) {
		if (z->scope == 1 && z->peer.uid != 0)
			read_lineage(&tst, z->peer.pid, t, &lineage);
		*a = ad_access_decide(&z->peer, t, z->scope, z->policy);
	}
	free(lineage);
	t->lineage = NULL;
	t->nlineage = 0;
	ad_proc_status_free(&tst);
	return rc;
}

bool ad_authorizer_allows(const struct ad_authorizer *z, pid_t pid)
{
	struct ad_access_target t;
	enum ad_access a;

	return judge(z, pid, &a, &t, NULL, 0) == 0 && ad_access_allowed(a);
}

int ad_authorize(const struct ad_access_policy *policy, int fd,
		 const struct ucred *cr, pid_t pid, char *msg, size_t msglen)
{
	const char *group = policy->group_name;
	struct ad_authorizer z;
	struct ad_access_target t;
	enum ad_access a;
	int rc;

	ad_authorizer_init(&z, policy, fd, cr);
	rc = judge(&z, pid, &a, &t, msg, msglen);
	if (rc) {
		ad_log(AD_LOG_WARN, "dump pid=%d for client pid=%d uid=%d: %s",
		       (int)pid, (int)cr->pid, (int)cr->uid,
		       rc == -ESRCH ? "no such process" : msg);
	} else if (ad_access_allowed(a)) {
		if (a == AD_ACCESS_CAP || a == AD_ACCESS_GROUP)
			ad_log(AD_LOG_INFO,
			       "dump pid=%d for client pid=%d uid=%d: allowed "
			       "as %s%s%s",
			       (int)pid, (int)cr->pid, (int)cr->uid,
			       ad_access_name(a),
			       a == AD_ACCESS_GROUP ? " " : "",
			       a == AD_ACCESS_GROUP ? group : "");
	} else {
		rc = -EPERM;
		ad_access_refusal(a, &z.peer, &t, z.scope, policy, msg, msglen);
		ad_log(AD_LOG_WARN,
		       "dump pid=%d (uid %u) for client pid=%d uid=%d: "
		       "refused: %s (ptrace_scope %d)",
		       (int)pid, (unsigned)t.uid[1], (int)cr->pid, (int)cr->uid,
		       ad_access_name(a), z.scope);
	}
	ad_authorizer_fini(&z);
	return rc;
}
