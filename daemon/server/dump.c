// SPDX-License-Identifier: BSD-2-Clause
/*
 * dump.c - one dump request served (dump.h).
 */
#define _GNU_SOURCE
#include "server/dump.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "core/clock.h"
#include "core/errmsg.h"
#include "core/exit_codes.h"
#include "core/rebuild.h"
#include "core/render.h"
#include "observer/collect.h"

bool ad_send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

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

/* The response stream of a dump (protocol.h): "OK 2\n" just before the
 * first chunk, so a dump that fails before writing anything is still
 * answered with a clean ERR line; each write of the renderer one chunk;
 * "END" after the last. The renderers allocate everything they need before
 * their first byte (render.h), so once the body has started the only
 * failure left is the client going away or not reading in time.
 *
 * Why streamed and not rendered into memory first: a million-frame JSON
 * dump is hundreds of MB; building it in a buffer cost more in page
 * faults than rendering it (BENCHMARKS.md, "Measurements behind the
 * code"), and the client could only start reading at the end. */
struct response {
	int fd;
	int stop_fd; /* readable: the daemon is stopping (send_iov) */
	bool started;
	int err;	     /* 0, or -errno of the send that failed */
	int64_t deadline_ms; /* for the whole response */
	size_t bytes;	     /* of the body */
};

static int response_send(struct response *r, const char *head, size_t hlen,
			 const char *buf, size_t len)
{
	char ok[16];
	struct iovec iov[3];
	int cnt = 0, n;

	if (!r->started) {
		n = ad_response_ok(ok, sizeof(ok));
		iov[cnt++] = (struct iovec){ok, (size_t)n};
		r->started = true;
	}
	iov[cnt++] = (struct iovec){(void *)head, hlen};
	if (len)
		iov[cnt++] = (struct iovec){(void *)buf, len};
	r->err = send_iov(r->fd, iov, cnt, r->deadline_ms, r->stop_fd);
	return r->err;
}

static ssize_t response_write(void *cookie, const char *buf, size_t len)
{
	struct response *r = cookie;
	size_t done = 0;

	while (done < len && !r->err) {
		size_t n = len - done < AD_PROTO_MAX_CHUNK ? len - done
							   : AD_PROTO_MAX_CHUNK;
		char head[32];
		int hlen = ad_chunk_data(n, head, sizeof(head));

		if (response_send(r, head, (size_t)hlen, buf + done, n))
			break;
		done += n;
		r->bytes += n;
	}
	if (r->err) {
		errno = -r->err;
		return 0; /* fopencookie: 0 (not -1) reports a write error */
	}
	return (ssize_t)len;
}

/* The snapshot of req->pid: its records read with the observer's lock
 * held, its strings resolved from the process's memory after, by the
 * memory deadline. 0 or -errno with a message. */
static int collect(const struct ad_dump_ctx *ctx, const struct ad_request *req,
		   struct ad_snapshot *snap, struct ad_dump_times *tm,
		   char *msg, size_t msglen)
{
	struct ad_collector *c;
	int64_t t0 = ad_mono_us();
	int rc;

	/* The loop changes the observer (events, slots, sweeps) under the
	 * lock held for writing. */
	if (ctx->obs_lock)
		pthread_rwlock_rdlock(ctx->obs_lock);
	rc = ad_collect_records(ctx->obs, req->pid, ctx->stop_fd, snap, &c, msg,
				msglen);
	if (ctx->obs_lock)
		pthread_rwlock_unlock(ctx->obs_lock);
	tm->locked_us = ad_mono_us() - t0;
	if (rc)
		return rc;
	return ad_collect_resolve(
		c, ctx->mr, ad_mono_ms() + AD_SERVER_MEMORY_DEADLINE_S * 1000,
		msg, msglen);
}

int ad_dump(const struct ad_dump_ctx *ctx, int fd, const struct ad_request *req,
	    struct ad_dump_times *tm, int *sent, char *msg, size_t msglen)
{
	cookie_io_functions_t io = {.write = response_write};
	struct response resp = {.fd = fd, .stop_fd = ctx->stop_fd};
	char line[AD_PROTO_MAX_LINE];
	struct ad_snapshot snap;
	struct ad_forest forest;
	FILE *out;
	int64_t t0 = ad_mono_us(), t1;
	int rc;

	*sent = 0;
	rc = collect(ctx, req, &snap, tm, msg, msglen);
	t1 = ad_mono_us();
	tm->collect_us = t1 - t0;
	if (rc)
		return rc;
	tm->frames = snap.nframes;
	tm->tasks = snap.ntasks;
	tm->memory_timeouts = snap.dump_lost[AD_DUMP_MEMORY_TIMEOUT];
	t0 = t1;
	rc = ad_rebuild(&snap, &forest);
	if (rc) {
		ad_snapshot_free(&snap);
		ad_set_err(msg, msglen,
			   "rebuilding the trees of process %d failed: %s",
			   (int)req->pid, strerror(-rc));
		return rc;
	}
	t1 = ad_mono_us();
	tm->rebuild_us = t1 - t0;
	t0 = t1;
	resp.deadline_ms = ad_mono_ms() + AD_SERVER_SEND_DEADLINE_S * 1000;
	out = fopencookie(&resp, "w", io);
	if (out) {
		/* The renderers buffer 256 KiB themselves (format.h). */
		setvbuf(out, NULL, _IONBF, 0);
		rc = ad_render(out, &forest, &req->opts);
		if (fclose(out) && !rc)
			rc = errno ? -errno : -EIO;
	} else {
		rc = -ENOMEM;
	}
	tm->render_us = ad_mono_us() - t0;
	t0 = ad_mono_us();
	ad_forest_free(&forest);
	ad_snapshot_free(&snap);
	tm->free_us =
		ad_mono_us() - t0; /* paid per dump, after the client has it */
	tm->bytes = resp.bytes;
	if (rc && !resp.started) {
		ad_set_err(msg, msglen, "rendering process %d failed: %s",
			   (int)req->pid, strerror(-rc));
		return rc == -EINVAL ? -EIO : rc;
	}
	if (resp.err) {
		*sent = resp.err; /* the client went away, or we dropped it */
		return 0;
	}
	if (rc) {
		/* Failed midway (never expected: see above): say so in place
		 * of the next chunk, so the client does not take what it has
		 * for the whole dump. */
		char why[AD_PROTO_MAX_MSG];
		int n;

		snprintf(why, sizeof(why),
			 "rendering process %d failed midway: %s",
			 (int)req->pid, strerror(-rc));
		n = ad_response_err(AD_EXIT_FAILURE, why, line, sizeof(line));
		response_send(&resp, line, (size_t)n, NULL, 0);
		*sent = resp.err ? resp.err : rc;
		return 0;
	}
	/* "END": the client knows it has it all (an empty body cannot
	 * happen, but is answered the same way). */
	rc = ad_chunk_end(resp.bytes, line, sizeof(line));
	response_send(&resp, line, (size_t)rc, NULL, 0);
	*sent = resp.err;
	return 0;
}
