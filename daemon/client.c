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

#include "exit_codes.h"

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static int connect_daemon(const char *path, char *err, size_t errlen,
			  int *code)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = AD_CLIENT_TIMEOUT_S};
	int fd;

	*code = AD_EXIT_FAILURE;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long: use a shorter --socket PATH",
			 path);
		*code = AD_EXIT_USAGE;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket(): %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		return fd;
	}
	switch (errno) {
	case ENOENT:
	case ECONNREFUSED:
	case ENOTDIR:
		snprintf(err, errlen, "no observer running at %s: start one with `asyncdumpd --daemon --attach /path/to/program`",
			 path);
		*code = AD_EXIT_NO_OBSERVER;
		break;
	case EACCES:
	case EPERM:
		snprintf(err, errlen, "permission denied on %s: dumps expose process memory, so the socket is root-only: run as root",
			 path);
		*code = AD_EXIT_PERMISSION;
		break;
	default:
		snprintf(err, errlen, "cannot connect to the observer at %s: %s",
			 path, strerror(errno));
	}
	close(fd);
	return -1;
}

int ad_client_dump(const char *socket_path, const struct ad_request *req,
		   int out_fd, char *err, size_t errlen)
{
	char buf[65536], line[AD_PROTO_MAX_LINE], msg[AD_PROTO_MAX_MSG + 1];
	size_t got = 0;
	char *nl = NULL;
	int fd, code, n;

	n = ad_request_format(req, line, sizeof(line));
	if (n < 0) {
		snprintf(err, errlen, "cannot form the request: %s", strerror(-n));
		return AD_EXIT_USAGE;
	}
	fd = connect_daemon(socket_path, err, errlen, &code);
	if (fd < 0)
		return code;
	if (!write_all(fd, line, (size_t)n)) {
		snprintf(err, errlen, "sending the request to %s failed: %s (is the observer overloaded or stopping?)",
			 socket_path, strerror(errno));
		close(fd);
		return AD_EXIT_FAILURE;
	}
	shutdown(fd, SHUT_WR);

	/* Status line first; whatever followed it in the same read is body. */
	while (!nl && got < sizeof(line)) {
		ssize_t r = read(fd, line + got, sizeof(line) - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		nl = memchr(line, '\n', got);
	}
	if (!nl || ad_response_parse(line, (size_t)(nl - line + 1), &code, msg,
				     sizeof(msg))) {
		snprintf(err, errlen, "the observer at %s %s: see its log",
			 socket_path,
			 got ? "sent a malformed answer"
			     : "closed the connection without answering");
		close(fd);
		return AD_EXIT_FAILURE;
	}
	if (code != AD_EXIT_OK) {
		snprintf(err, errlen, "%s", msg);
		close(fd);
		return code;
	}

	size_t rest = got - (size_t)(nl - line + 1);
	bool ok = write_all(out_fd, nl + 1, rest);
	for (;;) {
		ssize_t r = ok ? read(fd, buf, sizeof(buf)) : 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "reading the dump from %s failed: %s",
				 socket_path, strerror(errno));
			close(fd);
			return AD_EXIT_FAILURE;
		}
		if (r == 0)
			break;
		ok = write_all(out_fd, buf, (size_t)r);
	}
	close(fd);
	if (!ok && errno != EPIPE) {
		snprintf(err, errlen, "writing the dump failed: %s", strerror(errno));
		return AD_EXIT_FAILURE;
	}
	/* EPIPE: the reader (e.g. `| head`) has what it wanted. */
	return AD_EXIT_OK;
}
