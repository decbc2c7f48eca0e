// SPDX-License-Identifier: BSD-2-Clause
/*
 * dump.c - one dump request served (dump.h).
 */
#define _GNU_SOURCE
#include "server/dump.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/errmsg.h"
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
	struct ad_stream resp;
	char what[32];
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
	out = ad_stream_open(&resp, fd, ctx->stop_fd);
	rc = out ? ad_render(out, &forest, &req->opts) : -ENOMEM;
	snprintf(what, sizeof(what), "process %d", (int)req->pid);
	rc = ad_stream_close(&resp, out, rc, what, sent, msg, msglen);
	tm->render_us = ad_mono_us() - t0;
	tm->bytes = resp.bytes;
	t0 = ad_mono_us();
	ad_forest_free(&forest);
	ad_snapshot_free(&snap);
	tm->free_us =
		ad_mono_us() - t0; /* paid per dump, after the client has it */
	return rc;
}
