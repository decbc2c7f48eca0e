// SPDX-License-Identifier: BSD-2-Clause
/*
 * listen.c - the daemon's unix socket (listen.h): its directory, the lock
 * beside it, a stale one replaced, a live one refused.
 */
#include "server/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/errmsg.h"
#include "core/protocol.h"

/* A directory made 0755 whatever the umask: every user must reach the
 * socket. 0 or -1 with errno set. */
static int make_dir(const char *dir)
{
	int fd, rc;

	if (mkdir(dir, 0755))
		return errno == EEXIST ? 0 : -1;
	/* fchmod through O_NOFOLLOW: never the target of a symlink put in
	 * its place. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fchmod(fd, 0755);
	close(fd);
	return rc;
}

/* mkdir -p of path's parent directory: the directories it makes are 0755,
 * the ones that exist are left as they are. */
static int make_parent_dirs(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (make_dir(dir))
			goto fail;
		*p = '/';
	}
	if (make_dir(dir))
		goto fail;
	return 0;
fail:
	ad_set_err(err, errlen,
		   "cannot create directory %s: %s (use --socket PATH in a "
		   "writable directory)",
		   dir, strerror(errno));
	return -errno;
}

/* Is something accepting connections at addr? */
static bool socket_is_live(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	close(fd);
	return live;
}

/* The message of a socket another daemon serves. */
static void busy(const char *path, char *err, size_t errlen)
{
	ad_set_err(err, errlen,
		   "another asyncdumpd is running at %s: stop it first, or use "
		   "another --socket PATH",
		   path);
}

int ad_socket_check_free(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr;
	struct stat st;

	if (ad_socket_addr(path, &addr) || lstat(path, &st) ||
	    !S_ISSOCK(st.st_mode) || !socket_is_live(&addr))
		return 0;
	busy(path, err, errlen);
	return -EADDRINUSE;
}

/* Takes an exclusive flock on "<socket>.lock", held until we exit (the
 * kernel drops it even on SIGKILL). Only the holder may replace a stale
 * socket, so two daemons starting at once cannot unlink each other's
 * fresh socket. The file is never removed: unlinking a lock file reopens
 * the very race it closes. Returns the fd, or -errno with err set. */
int ad_socket_lock(const char *path, char *err, size_t errlen)
{
	char lock[PATH_MAX];
	int fd, rc;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    sizeof(lock)) {
		ad_set_err(err, errlen,
			   "socket path %s is too long: use a shorter --socket "
			   "PATH",
			   path);
		return -ENAMETOOLONG;
	}
	rc = make_parent_dirs(path, err, errlen);
	if (rc)
		return rc;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		ad_set_err(err, errlen,
			   "cannot open lock file %s.lock: %s (use --socket "
			   "PATH in a writable directory)",
			   path, strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
		if (rc == -EADDRINUSE)
			busy(path, err, errlen);
		else
			ad_set_err(err, errlen,
				   "cannot lock %s.lock: %s (use --socket PATH "
				   "on a local file system)",
				   path, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

int ad_socket_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr;
	struct stat st;
	mode_t old_umask;
	int fd, rc;

	if (ad_socket_addr(path, &addr)) {
		ad_set_err(err, errlen,
			   "socket path %s is longer than %zu bytes: use a "
			   "shorter --socket PATH",
			   path, sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	rc = make_parent_dirs(path, err, errlen);
	if (rc)
		return rc;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			ad_set_err(err, errlen,
				   "%s exists and is not a socket: remove it "
				   "or use another --socket PATH",
				   path);
			return -EEXIST;
		}
		if (socket_is_live(&addr)) {
			busy(path, err, errlen);
			return -EADDRINUSE;
		}
		/* Left behind by a daemon that was killed: replace it. */
		unlink(path);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		ad_set_err(
			err, errlen,
			"cannot create a unix socket: %s (check the service's "
			"RestrictAddressFamilies= and file-descriptor limits)",
			strerror(errno));
		return rc;
	}
	/* 0666: every local user may connect, whatever the umask; what
	 * each may dump is checked per request (authorize.h), against the
	 * peer's SO_PEERCRED credentials, which no client can forge. */
	old_umask = umask(0111);
	rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (rc == 0)
		rc = chmod(path, 0666);
	if (rc == 0)
		rc = listen(fd, SOMAXCONN); /* net.core.somaxconn caps it */
	if (rc) {
		rc = -errno;
		ad_set_err(err, errlen, "cannot listen on %s: %s", path,
			   strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

void ad_socket_remove(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	if (lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
}
