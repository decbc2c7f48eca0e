// SPDX-License-Identifier: BSD-2-Clause
/*
 * request.c - one client's connection (request.h): its request line read
 * within a deadline, parsed, answered with a dump (dump.c) or an ERR
 * line, and logged with who asked (SO_PEERCRED) and where the time went.
 * A dump is made only for a client allowed to (authorize.h).
 */
#define _GNU_SOURCE
#include "server/request.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "core/clock.h"
#include "core/exit_codes.h"
#include "core/protocol.h"
#include "server/authorize.h"
#include "server/dump.h"
#include "server/log.h"

static void send_err(int fd, int code, const char *msg)
{
	char line[AD_PROTO_MAX_LINE];
	int n = ad_response_err(code, msg, line, sizeof(line));

	if (n > 0)
		ad_send_all(fd, line, (size_t)n);
}

/* Reads one request line (up to and including '\n'). Returns its length,
 * 0 if the client closed without sending anything (a liveness check), or
 * -1 if it sent too much, an incomplete line, or did not send the whole
 * line within AD_SERVER_IO_TIMEOUT_S. The deadline is for the whole line,
 * not per recv(): a client trickling a byte at a time must not hold the
 * single-threaded loop for minutes. */
static ssize_t read_request(int fd, char *buf, size_t buflen)
{
	int64_t deadline = ad_mono_ms() + AD_SERVER_IO_TIMEOUT_S * 1000;
	size_t got = 0;

	while (got < buflen) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - ad_mono_ms();
		ssize_t n;
		int rc;

		if (left <= 0)
			return -1;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		n = recv(fd, buf + got, buflen - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0 && got == 0)
			return 0;
		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			return (ssize_t)((char *)memchr(buf, '\n', got) - buf +
					 1);
	}
	return -1;
}

enum ad_served ad_serve_client(struct ad_observer *obs,
			       const struct ad_access_policy *access, int fd)
{
	struct timeval tv = {.tv_sec = AD_SERVER_IO_TIMEOUT_S};
	int sndbuf = 4 << 20;
	struct ucred peer = {0};
	socklen_t plen = sizeof(peer);
	char line[AD_PROTO_MAX_LINE], msg[AD_PROTO_MAX_MSG];
	struct ad_request req;
	struct ad_dump_times tm = {0};
	ssize_t len;
	int e, sent;

	/* The accepted socket inherits nothing from the listener's
	 * O_NONBLOCK on Linux; the timeouts bound a stalled peer. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* Room for several render chunks in flight (the kernel caps it at
	 * net.core.wmem_max): the daemon blocks and the client wakes less
	 * often on a dump of hundreds of MB. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &plen))
		peer.pid = 0, peer.uid = (uid_t)-1;

	len = read_request(fd, line, sizeof(line));
	if (len == 0)
		return AD_SERVED_NOTHING; /* e.g. a daemon checking it is live */
	if (len < 0) {
		ad_log(AD_LOG_WARN,
		       "client pid=%d uid=%d: no complete request line, "
		       "dropped",
		       (int)peer.pid, (int)peer.uid);
		send_err(fd, AD_EXIT_USAGE, "request too long or incomplete");
		return AD_SERVED_NOTHING;
	}
	if (ad_request_parse(line, (size_t)len, &req, msg, sizeof(msg))) {
		ad_log(AD_LOG_WARN, "client pid=%d uid=%d: bad request: %s",
		       (int)peer.pid, (int)peer.uid, msg);
		char full[AD_PROTO_MAX_MSG];
		snprintf(full, sizeof(full),
			 "bad request: %.300s (client and daemon versions "
			 "differ?)",
			 msg);
		send_err(fd, AD_EXIT_USAGE, full);
		return AD_SERVED_NOTHING;
	}
	/* Who may dump what: checked now, against the process as it is. */
	e = ad_authorize(access, fd, &peer, req.pid, msg, sizeof(msg));
	if (e) {
		send_err(fd, ad_exit_code(e, AD_EXIT_PERMISSION), msg);
		return AD_SERVED_NOTHING;
	}
	e = ad_dump(obs, fd, &req, &tm, &sent, msg, sizeof(msg));
	if (e) {
		ad_log(AD_LOG_WARN,
		       "dump pid=%d format=%s for client pid=%d uid=%d: error: "
		       "%s",
		       (int)req.pid, ad_format_name(req.opts.format),
		       (int)peer.pid, (int)peer.uid, msg);
		send_err(fd, ad_exit_code(e, AD_EXIT_FAILURE), msg);
		return AD_SERVED_FAILED;
	}
	if (sent == -ETIMEDOUT) {
		ad_log(AD_LOG_WARN,
		       "client pid=%d uid=%d dropped: it did not take the dump "
		       "of pid=%d within %ds (%zu bytes sent)",
		       (int)peer.pid, (int)peer.uid, (int)req.pid,
		       AD_SERVER_SEND_DEADLINE_S, tm.bytes);
		return AD_SERVED_FAILED;
	}
	if (sent) {
		ad_log(AD_LOG_WARN,
		       "client pid=%d uid=%d: the dump of pid=%d was cut "
		       "short after %zu bytes: %s",
		       (int)peer.pid, (int)peer.uid, (int)req.pid, tm.bytes,
		       sent == -EPIPE || sent == -ECONNRESET
			       ? "the client went away"
			       : strerror(-sent));
		return AD_SERVED_FAILED;
	}
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
