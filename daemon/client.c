// SPDX-License-Identifier: BSD-2-Clause
/*
 * client.c - one dump or list request over the daemon's socket (see
 * client.h).
 */
#include "client.h"

#include <errno.h>
#include <stdbool.h>
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
			   "permission denied on %s: the observer makes it "
			   "open to every user (who may dump what is checked "
			   "per request); check the permissions of the socket "
			   "and its directories, or use --socket PATH",
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

/* The dump's byte stream after the status line (protocol.h): framing
 * lines and chunk data, read through one buffer. */
struct stream {
	int fd;
	const char *path;
	const char *what; /* "dump" or "list", for messages */
	char *buf;
	size_t cap, off, len; /* unread bytes: buf[off, len) */
};

/* More bytes into the buffer (compacted first). 1, 0 at EOF, or -1 with
 * the error in err. */
static int stream_fill(struct stream *s, char *err, size_t errlen)
{
	if (s->off) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	for (;;) {
		ssize_t r = read(s->fd, s->buf + s->len, s->cap - s->len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			ad_set_err(
				err, errlen,
				"the observer at %s sent nothing for %ds: it "
				"is busy or wedged (see its log)",
				s->path, AD_CLIENT_TIMEOUT_S);
			return -1;
		}
		if (r < 0) {
			ad_set_err(err, errlen, "reading from %s failed: %s",
				   s->path, strerror(errno));
			return -1;
		}
		s->len += (size_t)r;
		return r > 0;
	}
}

/* The next line of the stream, '\n' included, in *line (*len bytes; it
 * stays in the buffer until the next read). 1, 0 at EOF or when no '\n'
 * comes within AD_PROTO_MAX_LINE bytes, -1 on a read error (err set). */
static int stream_line(struct stream *s, const char **line, size_t *len,
		       char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(s->buf + s->off, '\n', s->len - s->off);
		int rc;

		if (nl) {
			*line = s->buf + s->off;
			*len = (size_t)(nl - *line) + 1;
			s->off += *len;
			return 1;
		}
		if (s->len - s->off >= AD_PROTO_MAX_LINE)
			return 0;
		rc = stream_fill(s, err, errlen);
		if (rc <= 0)
			return rc;
	}
}

/* The body: chunks written to out_fd until END. Returns the exit code. */
static int read_body(struct stream *s, int out_fd, char *err, size_t errlen)
{
	char msg[AD_PROTO_MAX_MSG + 1];
	uint64_t total = 0;
	int werr = 0;

	for (;;) {
		struct ad_chunk c;
		const char *line;
		size_t len;
		int rc = stream_line(s, &line, &len, err, errlen);

		if (rc < 0)
			return AD_EXIT_FAILURE;
		if (rc == 0)
			goto cut_short; /* EOF, or a line too long: malformed */
		if (ad_chunk_parse(line, len, &c, msg, sizeof(msg)))
			goto malformed;
		if (c.kind == AD_CHUNK_ERR) {
			ad_set_err(err, errlen,
				   "%s (after %llu bytes of the %s)", msg,
				   (unsigned long long)total, s->what);
			return c.code;
		}
		if (c.kind == AD_CHUNK_END) {
			if (c.n != total)
				goto malformed;
			if (werr && werr != EPIPE) {
				ad_set_err(err, errlen,
					   "writing the %s failed: %s", s->what,
					   strerror(werr));
				return AD_EXIT_FAILURE;
			}
			if (werr) {
				ad_set_err(err, errlen,
					   "the output was closed before the "
					   "whole %s was written (%llu "
					   "bytes)",
					   s->what, (unsigned long long)total);
				return AD_EXIT_FAILURE;
			}
			return AD_EXIT_OK;
		}
		/* A data chunk: its bytes, from the buffer, then the socket. */
		while (c.n) {
			size_t have = s->len - s->off;
			size_t n = have < c.n ? have : (size_t)c.n;

			if (!n) {
				rc = stream_fill(s, err, errlen);
				if (rc < 0)
					return AD_EXIT_FAILURE;
				if (rc == 0)
					goto cut_short;
				continue;
			}
			/* After a write error, keep reading to learn
			 * whether the dump was complete. */
			if (!werr)
				werr = write_all(out_fd, s->buf + s->off, n);
			s->off += n;
			c.n -= n;
			total += n;
		}
	}
cut_short:
	if (s->len - s->off >= AD_PROTO_MAX_LINE)
		goto malformed;
	ad_set_err(err, errlen,
		   "the %s was cut short after %llu bytes: the observer at "
		   "%s stopped or dropped this client (see its log)",
		   s->what, (unsigned long long)total, s->path);
	return AD_EXIT_FAILURE;
malformed:
	ad_set_err(err, errlen,
		   "the observer at %s sent a malformed %s after %llu bytes: "
		   "see its log",
		   s->path, s->what, (unsigned long long)total);
	return AD_EXIT_FAILURE;
}

int ad_client_dump(const char *socket_path, const struct ad_request *req,
		   int out_fd, char *err, size_t errlen)
{
	static char buf[1 << 20]; /* a dump can be hundreds of MB: few reads */
	char line[AD_PROTO_MAX_LINE], msg[AD_PROTO_MAX_MSG + 1];
	struct stream st = {.buf = buf,
			    .cap = sizeof(buf),
			    .path = socket_path,
			    .what = req->verb == AD_VERB_LIST ? "list"
							      : "dump"};
	const char *status;
	size_t slen;
	int fd, code, n, werr, rc;
	bool answered;

	n = ad_request_format(req, line, sizeof(line));
	if (n < 0) {
		ad_set_err(err, errlen, "cannot form the request: %s",
			   strerror(-n));
		return AD_EXIT_USAGE;
	}
	fd = connect_daemon(socket_path, err, errlen, &code);
	if (fd < 0)
		return code;
	st.fd = fd;
	werr = write_all(fd, line, (size_t)n);
	if (!werr)
		shutdown(fd, SHUT_WR);
	/* Even if sending failed: the daemon may have answered before
	 * reading (out of file descriptors, say) and closed; its ERR line is
	 * what to report. Then the status line; what follows it is body. */
	rc = stream_line(&st, &status, &slen, err, errlen);
	if (rc < 0 && !werr) {
		close(fd);
		return AD_EXIT_FAILURE;
	}
	answered = rc > 0 &&
		   !ad_response_parse(status, slen, &code, msg, sizeof(msg));
	if (werr && (!answered || code == AD_EXIT_OK)) {
		ad_set_err(err, errlen,
			   "sending the request to %s failed: %s (is the "
			   "observer overloaded or stopping?)",
			   socket_path, strerror(werr));
		close(fd);
		return AD_EXIT_FAILURE;
	}
	if (!answered) {
		ad_set_err(err, errlen, "the observer at %s %s: see its log",
			   socket_path,
			   st.len ? "sent a malformed answer (another "
				    "asyncdumpd version?)"
				  : "closed the connection without answering");
		close(fd);
		return AD_EXIT_FAILURE;
	}
	if (code != AD_EXIT_OK) {
		ad_set_err(err, errlen, "%s", msg);
		close(fd);
		return code;
	}
	code = read_body(&st, out_fd, err, errlen);
	close(fd);
	return code;
}
