// SPDX-License-Identifier: BSD-2-Clause
/*
 * request.c - one client's connection (request.h): its request line read
 * without blocking within a deadline, parsed, answered with a dump
 * (dump.c) or a list (list.c), in a worker, or an ERR line, and logged
 * with who asked (SO_PEERCRED) and where the time went.
 * A dump is made only for a client allowed to, and a list shows only what
 * it may dump (authorize.h).
 */
#define _GNU_SOURCE
#include "server/request.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/exit_codes.h"
#include "core/protocol.h"
#include "server/authorize.h"
#include "server/dump.h"
#include "server/list.h"
#include "server/log.h"

void ad_answer_err(int fd, int code, const char *msg)
{
	char line[AD_PROTO_MAX_LINE];
	int n = ad_response_err(code, msg, line, sizeof(line));

	if (n > 0)
		ad_send_all(fd, line, (size_t)n);
}

void ad_conn_start(struct ad_conn *c, int fd, int64_t now_ms)
{
	int sndbuf = 4 << 20;
	socklen_t plen = sizeof(c->peer);

	c->fd = fd;
	c->got = c->len = 0;
	c->deadline_ms = now_ms + AD_SERVER_IO_TIMEOUT_S * 1000;
	/* The loop never waits on a client: reads and the ERR lines it
	 * sends are non-blocking; the worker's sends poll with a deadline
	 * (dump.c). */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* Room for several render chunks in flight (the kernel caps it at
	 * net.core.wmem_max): the worker blocks and the client wakes less
	 * often on a dump of hundreds of MB. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->peer, &plen)) {
		c->peer.pid = 0;
		c->peer.uid = (uid_t)-1;
	}
}

static void no_line(struct ad_conn *c)
{
	ad_log(AD_LOG_WARN,
	       "client pid=%d uid=%d: no complete request line, dropped",
	       (int)c->peer.pid, (int)c->peer.uid);
	ad_answer_err(c->fd, AD_EXIT_USAGE, "request too long or incomplete");
}

/* The line must be whole within AD_SERVER_IO_TIMEOUT_S of the accept (the
 * loop checks the deadline): a client trickling a byte at a time holds
 * nothing but its own connection, and only that long. */
enum ad_conn_state ad_conn_read(struct ad_conn *c)
{
	while (c->got < sizeof(c->buf)) {
		ssize_t n = recv(c->fd, c->buf + c->got,
				 sizeof(c->buf) - c->got, MSG_DONTWAIT);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return AD_CONN_MORE;
		if (n == 0 && c->got == 0)
			return AD_CONN_DONE; /* e.g. a daemon checking it is live */
		if (n <= 0)
			break;
		nl = memchr(c->buf + c->got, '\n', (size_t)n);
		c->got += (size_t)n;
		if (nl) {
			c->len = (size_t)(nl - c->buf) + 1;
			return AD_CONN_LINE;
		}
	}
	no_line(c);
	return AD_CONN_DONE;
}

void ad_conn_expired(struct ad_conn *c)
{
	no_line(c);
}

int ad_conn_request(struct ad_conn *c, const struct ad_access_policy *access,
		    struct ad_job *job)
{
	char msg[AD_PROTO_MAX_MSG];
	int e;

	if (ad_request_parse(c->buf, c->len, &job->req, msg, sizeof(msg))) {
		char full[AD_PROTO_MAX_MSG];

		ad_log(AD_LOG_WARN, "client pid=%d uid=%d: bad request: %s",
		       (int)c->peer.pid, (int)c->peer.uid, msg);
		snprintf(full, sizeof(full),
			 "bad request: %.300s (client and daemon versions "
			 "differ?)",
			 msg);
		ad_answer_err(c->fd, AD_EXIT_USAGE, full);
		return -EINVAL;
	}
	/* Who may dump what: checked now, against the process as it is (a
	 * list, against each process when it is made). */
	e = job->req.verb == AD_VERB_LIST
		    ? 0
		    : ad_authorize(access, c->fd, &c->peer, job->req.pid, msg,
				   sizeof(msg));
	if (e) {
		ad_answer_err(c->fd, ad_exit_code(e, AD_EXIT_PERMISSION), msg);
		return e;
	}
	job->fd = c->fd;
	job->peer = c->peer;
	job->access = access;
	return 0;
}

/* An answer that did not all go out (sent: its -errno), logged: `what`
 * names it ("the dump of pid=N", "the list"). */
static void log_cut(const struct ucred *peer, const char *what, size_t bytes,
		    int sent)
{
	if (sent == -ETIMEDOUT)
		ad_log(AD_LOG_WARN,
		       "client pid=%d uid=%d dropped: it did not take %s "
		       "within %ds (%zu bytes sent)",
		       (int)peer->pid, (int)peer->uid, what,
		       AD_SERVER_SEND_DEADLINE_S, bytes);
	else
		ad_log(AD_LOG_WARN,
		       "client pid=%d uid=%d: %s was cut short after %zu "
		       "bytes: %s",
		       (int)peer->pid, (int)peer->uid, what, bytes,
		       sent == -EPIPE || sent == -ECONNRESET
			       ? "the client went away"
		       : sent == -ECANCELED ? "the daemon is stopping"
					    : strerror(-sent));
}

static enum ad_served serve_dump(const struct ad_dump_ctx *ctx,
				 const struct ad_job *job, int64_t *collect_us)
{
	const struct ucred peer = job->peer;
	const struct ad_request req = job->req;
	char msg[AD_PROTO_MAX_MSG], what[48];
	struct ad_dump_times tm = {0};
	int fd = job->fd, e, sent;

	e = ad_dump(ctx, fd, &req, &tm, &sent, msg, sizeof(msg));
	*collect_us = tm.locked_us;
	if (e) {
		ad_log(AD_LOG_WARN,
		       "dump pid=%d format=%s for client pid=%d uid=%d: error: "
		       "%s",
		       (int)req.pid, ad_format_name(req.opts.format),
		       (int)peer.pid, (int)peer.uid, msg);
		ad_answer_err(fd, ad_exit_code(e, AD_EXIT_FAILURE), msg);
		return AD_SERVED_FAILED;
	}
	if (sent) {
		snprintf(what, sizeof(what), "the dump of pid=%d",
			 (int)req.pid);
		log_cut(&peer, what, tm.bytes, sent);
		return AD_SERVED_FAILED;
	}
	if (tm.memory_timeouts)
		ad_log(AD_LOG_WARN,
		       "dump pid=%d: its memory did not answer in time (%d ms "
		       "a read, %d s a dump): %llu frames and tasks shown with "
		       "unread labels",
		       (int)req.pid, AD_MEMREAD_TIMEOUT_MS,
		       AD_SERVER_MEMORY_DEADLINE_S,
		       (unsigned long long)tm.memory_timeouts);
	/* Where the time went: a slow dump says which phase to look at. */
	ad_log(AD_LOG_INFO,
	       "dump pid=%d format=%s for client pid=%d uid=%d: ok, %zu frames "
	       "%zu tasks %zu bytes; ms: collect %.1f rebuild %.1f "
	       "render+send %.1f free %.1f",
	       (int)req.pid, ad_format_name(req.opts.format), (int)peer.pid,
	       (int)peer.uid, tm.frames, tm.tasks, tm.bytes,
	       (double)tm.collect_us / 1e3, (double)tm.rebuild_us / 1e3,
	       (double)tm.render_us / 1e3, (double)tm.free_us / 1e3);
	return AD_SERVED_DUMP;
}

static enum ad_served serve_list(const struct ad_dump_ctx *ctx,
				 const struct ad_job *job, int64_t *collect_us)
{
	const struct ucred peer = job->peer;
	const struct ad_request req = job->req;
	char msg[AD_PROTO_MAX_MSG];
	struct ad_list_times tm = {0};
	int fd = job->fd, e, sent;

	e = ad_list(ctx, job->access, fd, &peer, &req, &tm, &sent, msg,
		    sizeof(msg));
	*collect_us = tm.collect_us;
	if (e) {
		ad_log(AD_LOG_WARN,
		       "list format=%s for client pid=%d uid=%d: error: %s",
		       ad_format_name(req.opts.format), (int)peer.pid,
		       (int)peer.uid, msg);
		ad_answer_err(fd, ad_exit_code(e, AD_EXIT_FAILURE), msg);
		return AD_SERVED_FAILED;
	}
	if (sent) {
		log_cut(&peer, "the list", tm.bytes, sent);
		return AD_SERVED_FAILED;
	}
	ad_log(AD_LOG_INFO,
	       "list format=%s for client pid=%d uid=%d: ok, %zu of %zu "
	       "observed processes shown, %zu bytes; ms: collect %.1f "
	       "authorize %.1f rebuild %.1f render+send %.1f",
	       ad_format_name(req.opts.format), (int)peer.pid, (int)peer.uid,
	       tm.shown, tm.observed, tm.bytes, (double)tm.collect_us / 1e3,
	       (double)tm.authorize_us / 1e3, (double)tm.rebuild_us / 1e3,
	       (double)tm.render_us / 1e3);
	return AD_SERVED_LIST;
}

enum ad_served ad_serve_job(const struct ad_dump_ctx *ctx,
			    const struct ad_job *job, int64_t *collect_us)
{
	if (job->req.verb == AD_VERB_LIST)
		return serve_list(ctx, job, collect_us);
	return serve_dump(ctx, job, collect_us);
}
