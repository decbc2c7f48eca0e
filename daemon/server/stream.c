// SPDX-License-Identifier: BSD-2-Clause
/*
 * stream.c - an answer streamed into a client's socket (stream.h).
 *
 * "OK 2" goes out just before the first chunk, so an answer that fails
 * before writing anything is still a clean ERR line; each write of the
 * renderer is one chunk; "END" follows the last. The renderers allocate
 * everything they need before their first byte (render.h, render_list.h),
 * so once the body has started the only failure left is the client going
 * away or not reading in time.
 *
 * Why streamed and not rendered into memory first: a million-frame JSON
 * dump is hundreds of MB; building it in a buffer cost more in page
 * faults than rendering it (BENCHMARKS.md, "Measurements behind the
 * code"), and the client could only start reading at the end.
 */
#define _GNU_SOURCE
#include "server/stream.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "core/clock.h"
#include "core/errmsg.h"
#include "core/exit_codes.h"
#include "core/protocol.h"

/* Sends all of iov by deadline_ms (CLOCK_MONOTONIC). 0, -ETIMEDOUT when
 * the client did not take it in time (a total, not a per-send, timeout:
 * a reader trickling a little at a time cannot hold the daemon longer),
 * -ECANCELED when stop_fd turned readable (the daemon is stopping), or
 * -errno (-EPIPE, -ECONNRESET: it went away). */
static int send_iov(int fd, struct iovec *iov, int cnt, int64_t deadline_ms,
		    int stop_fd)
{
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
	struct pollfd stop = {.fd = stop_fd, .events = POLLIN};

	/* a reader that keeps up is stopped too, between two writes */
	if (poll(&stop, 1, 0) > 0)
		return -ECANCELED;
	while (mh.msg_iovlen) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd[2] = {
				{.fd = fd, .events = POLLOUT},
				{.fd = stop_fd, .events = POLLIN},
			};
			int64_t left = deadline_ms - ad_mono_ms();
			int ready;

			if (left <= 0)
				return -ETIMEDOUT;
			ready = poll(pfd, 2, (int)left);
			if (ready < 0 && errno != EINTR)
				return -errno;
			if (ready > 0 && pfd[1].revents)
				return -ECANCELED;
			continue;
		}
		if (n < 0)
			return -errno;
		/* skip what went out */
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* One frame line (head) and its bytes, "OK" before the first. */
static int stream_send(struct ad_stream *s, const char *head, size_t hlen,
		       const char *buf, size_t len)
{
	char ok[16];
	struct iovec iov[3];
	int cnt = 0, n;

	if (!s->started) {
		n = ad_response_ok(ok, sizeof(ok));
		iov[cnt++] = (struct iovec){ok, (size_t)n};
		s->started = true;
	}
	iov[cnt++] = (struct iovec){(void *)head, hlen};
	if (len)
		iov[cnt++] = (struct iovec){(void *)buf, len};
	s->err = send_iov(s->fd, iov, cnt, s->deadline_ms, s->stop_fd);
	return s->err;
}

static ssize_t stream_write(void *cookie, const char *buf, size_t len)
{
	struct ad_stream *s = cookie;
	size_t done = 0;

	while (done < len && !s->err) {
		size_t n = len - done < AD_PROTO_MAX_CHUNK ? len - done
							   : AD_PROTO_MAX_CHUNK;
		char head[32];
		int hlen = ad_chunk_data(n, head, sizeof(head));

		if (stream_send(s, head, (size_t)hlen, buf + done, n))
			break;
		done += n;
		s->bytes += n;
	}
	if (s->err) {
		errno = -s->err;
		return 0; /* fopencookie: 0 (not -1) reports a write error */
	}
	return (ssize_t)len;
}

FILE *ad_stream_open(struct ad_stream *s, int fd, int stop_fd)
{
	cookie_io_functions_t io = {.write = stream_write};
	FILE *out;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->stop_fd = stop_fd;
	s->deadline_ms = ad_mono_ms() + AD_SERVER_SEND_DEADLINE_S * 1000;
	out = fopencookie(s, "w", io);
	/* The renderers buffer 256 KiB themselves (format.h). */
	if (out)
		setvbuf(out, NULL, _IONBF, 0);
	return out;
}

int ad_stream_close(struct ad_stream *s, FILE *out, int rc, const char *what,
		    int *sent, char *msg, size_t msglen)
{
	char line[AD_PROTO_MAX_LINE];
	int n;

	*sent = 0;
	if (!out)
		rc = -ENOMEM;
	else if (fclose(out) && !rc)
		rc = errno ? -errno : -EIO;
	if (rc && !s->started) {
		ad_set_err(msg, msglen, "rendering %s failed: %s", what,
			   strerror(-rc));
		return rc == -EINVAL ? -EIO : rc;
	}
	if (s->err) {
		*sent = s->err; /* the client went away, or we dropped it */
		return 0;
	}
	if (rc) {
		/* Failed midway (never expected: see above): say so in place
		 * of the next chunk, so the client does not take what it has
		 * for the whole answer. */
		char why[AD_PROTO_MAX_MSG];

		snprintf(why, sizeof(why), "rendering %s failed midway: %s",
			 what, strerror(-rc));
		n = ad_response_err(AD_EXIT_FAILURE, why, line, sizeof(line));
		stream_send(s, line, (size_t)n, NULL, 0);
		*sent = s->err ? s->err : rc;
		return 0;
	}
	/* "END": the client knows it has it all (an empty body cannot
	 * happen, but is answered the same way). */
	n = ad_chunk_end(s->bytes, line, sizeof(line));
	stream_send(s, line, (size_t)n, NULL, 0);
	*sent = s->err;
	return 0;
}
