// SPDX-License-Identifier: BSD-2-Clause
/*
 * request.h - one client's connection served: its request line read
 * without blocking (by the loop, server.c, a little at a time as it
 * comes), parsed and authorized, then a dump or an ERR line (by a worker,
 * pool.h). Needs _GNU_SOURCE (struct ucred).
 */
#ifndef AD_REQUEST_H
#define AD_REQUEST_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/protocol.h"
#include "server/dump.h"

struct ad_observer;
struct ad_access_policy;

/* A client must send its whole request line within this time of being
 * accepted (a total, not a per-read, timeout), or it is answered with an
 * ERR line and dropped. */
#define AD_SERVER_IO_TIMEOUT_S 5

/* What serving a connection came to. */
enum ad_served {
	AD_SERVED_NOTHING, /* no request (a liveness check) or a bad one */
	AD_SERVED_FAILED,  /* a dump was asked for and failed (it may have
			    * allocated memory) or the client left */
	AD_SERVED_DUMP,	   /* a whole dump was sent */
	AD_SERVED_LIST,	   /* a whole list was sent */
};

/* A dump asked for, read and allowed, or a list asked for (allowed to
 * all; what it shows is judged per process): what a worker serves. */
struct ad_job {
	int fd;
	struct ucred peer;
	struct ad_request req;
	const struct ad_access_policy *access; /* the daemon's, for a list */
};

/* A connection whose request line is being read. */
struct ad_conn {
	int fd;
	struct ucred peer;   /* SO_PEERCRED; pid 0, uid -1 if unknown */
	int64_t deadline_ms; /* CLOCK_MONOTONIC: the whole line by then */
	size_t got, len;     /* bytes read; the line's length once whole */
	char buf[AD_PROTO_MAX_LINE];
};

/* What reading a connection came to. */
enum ad_conn_state {
	AD_CONN_MORE, /* nothing more yet: poll it again */
	AD_CONN_LINE, /* a whole line is in buf (len bytes) */
	AD_CONN_DONE, /* answered (a bad or cut line) or closed without a
		       * request (a liveness check): the caller closes fd */
};

/* Starts reading the accepted client fd (made non-blocking) at now_ms. */
void ad_conn_start(struct ad_conn *c, int fd, int64_t now_ms);

/* Reads what the client has sent, without blocking. */
enum ad_conn_state ad_conn_read(struct ad_conn *c);

/* The deadline passed without a whole line: logged and answered (the
 * caller closes fd). */
void ad_conn_expired(struct ad_conn *c);

/* The whole line parsed and a dump checked against `access` (a list is
 * checked per process when it is made): 0 with *job filled (fd handed
 * over to it), or -errno when the client was answered with an ERR line
 * (the caller closes fd). */
int ad_conn_request(struct ad_conn *c, const struct ad_access_policy *access,
		    struct ad_job *job);

/* Answers fd with "ERR code msg" (best effort, never blocks for long). */
void ad_answer_err(int fd, int code, const char *msg);

/* Serves job (a worker does; the caller closes job->fd) with ctx: the
 * dump or the list, and the log line of how it went. *collect_us: how
 * long it held the observer's lock. */
enum ad_served ad_serve_job(const struct ad_dump_ctx *ctx,
			    const struct ad_job *job, int64_t *collect_us);

#endif /* AD_REQUEST_H */
