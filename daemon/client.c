// SPDX-License-Identifier: BSD-2-Clause
/*
 * client.c - one dump request over the daemon's socket (see client.h).
 */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/errmsg.h"
#include "core/exit_codes.h"

/* 0, or the errno of the write that failed (kept, since close() and
 * later calls may overwrite errno before it is reported). */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int connect_daemon(const char *path, char *err, size_t errlen, int *code)
{
	struct timeval tv = {.tv_sec = AD_CLIENT_TIMEOUT_S};
	struct sockaddr_un addr;
	int fd;

	*code = AD_EXIT_FAILURE;
	if (ad_socket_addr(path, &addr)) {
		ad_set_err(err, errlen,
			   "socket path %s is too long: use a shorter --socket "
			   "PATH",
			   path);
		*code = AD_EXIT_USAGE;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ad_set_err(err, errlen, "socket(): %s", strerror(errno));
		return -1;
	}
	/* Before connect(): a unix connect() waits (up to the send timeout)
	 * while the daemon's backlog is full, e.g. when it is wedged. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ECONNREFUSED:
	case ENOTDIR:
		ad_set_err(err, errlen,
			   "no observer running at %s: start one with "
			   "`asyncdumpd --daemon --attach /path/to/program`",
			   path);
		*code = AD_EXIT_NO_OBSERVER;
		break;
	case EACCES:
	case EPERM:
		ad_set_err(err, errlen,
			   "permission denied on %s: dumps expose process "
			   "memory, so the socket is root-only: run as root",
			   path);
		*code = AD_EXIT_PERMISSION;
		break;
	case EAGAIN:
		ad_set_err(err, errlen,
			   "the observer at %s accepted no connection within "
			   "%ds: it is busy or wedged, see its log",
			   path, AD_CLIENT_TIMEOUT_S);
		break;
	default:
		ad_set_err(err, errlen,
			   "cannot connect to the observer at %s: %s", path,
			   strerror(errno));
	}
	close(fd);
	return -1;
}

int ad_client_dump(const char *socket_path, const struct ad_request *req,
		   int out_fd, char *err, size_t errlen)
{
	static char buf[1 << 20]; /* a dump can be hundreds of MB: few reads */
	char line[AD_PROTO_MAX_LINE], msg[AD_PROTO_MAX_MSG + 1];
	size_t got = 0;
	char *nl = NULL;
	int fd, code, n, werr;

	n = ad_request_format(req, line, sizeof(line));
	if (n < 0) {
		ad_set_err(err, errlen, "cannot form the request: %s",
			   strerror(-n));
		return AD_EXIT_USAGE;
	}
	fd = connect_daemon(socket_path, err, errlen, &code);
	if (fd < 0)
		return code;
	werr = write_all(fd, line, (size_t)n);
	if (werr) {
		ad_set_err(err, errlen,
			   "sending the request to %s failed: %s (is the "
			   "observer overloaded or stopping?)",
			   socket_path, strerror(werr));
		close(fd);
		return AD_EXIT_FAILURE;
	}
	shutdown(fd, SHUT_WR);

	/* Status line first; whatever followed it in the same read is body. */
	while (!nl && got < sizeof(line)) {
		ssize_t r = read(fd, line + got, sizeof(line) - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			ad_set_err(err, errlen,
				   "the observer at %s did not answer within "
				   "%ds: it is busy or wedged, see its log",
				   socket_path, AD_CLIENT_TIMEOUT_S);
			close(fd);
			return AD_EXIT_FAILURE;
		}
		if (r <= 0)
			break;
		got += (size_t)r;
		nl = memchr(line, '\n', got);
	}
	if (!nl || ad_response_parse(line, (size_t)(nl - line + 1), &code, msg,
				     sizeof(msg))) {
		ad_set_err(err, errlen, "the observer at %s %s: see its log",
			   socket_path,
			   got ? "sent a malformed answer"
			       : "closed the connection without answering");
		close(fd);
		return AD_EXIT_FAILURE;
	}
	if (code != AD_EXIT_OK) {
		ad_set_err(err, errlen, "%s", msg);
		close(fd);
		return code;
	}

	size_t rest = got - (size_t)(nl - line + 1);
	werr = write_all(out_fd, nl + 1, rest);
	for (;;) {
		ssize_t r = werr ? 0 : read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			ad_set_err(err, errlen,
				   "reading the dump from %s failed: no data "
				   "for %ds, the observer is busy or wedged "
				   "(see its log)",
				   socket_path, AD_CLIENT_TIMEOUT_S);
			close(fd);
			return AD_EXIT_FAILURE;
		}
		if (r < 0) {
			ad_set_err(err, errlen,
				   "reading the dump from %s failed: %s",
				   socket_path, strerror(errno));
			close(fd);
			return AD_EXIT_FAILURE;
		}
		if (r == 0)
			break;
		werr = write_all(out_fd, buf, (size_t)r);
	}
	close(fd);
	if (werr && werr != EPIPE) {
		ad_set_err(err, errlen, "writing the dump failed: %s",
			   strerror(werr));
		return AD_EXIT_FAILURE;
	}
	/* EPIPE: the reader (e.g. `| head`) has what it wanted. */
	return AD_EXIT_OK;
}
