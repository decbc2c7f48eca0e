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

int ad_dump(struct ad_observer *obs, pthread_rwlock_t *obs_lock, int fd,
	    const struct ad_request *req, struct ad_dump_times *tm, int *sent,
	    char *msg, size_t msglen)
{
	struct ad_stream resp;
	char what[32];
	struct ad_snapshot snap;
	struct ad_forest forest;
	FILE *out;
	int64_t t0 = ad_mono_us(), t1;
	int rc;

	*sent = 0;
	/* Only the collect reads the observer; the loop changes it (events,
	 * slots, sweeps) under the lock held for writing. */
	if (obs_lock)
		pthread_rwlock_rdlock(obs_lock);
	rc = ad_collect(obs, req->pid, &snap, msg, msglen);
	if (obs_lock)
		pthread_rwlock_unlock(obs_lock);
	t1 = ad_mono_us();
	tm->collect_us = t1 - t0;
	if (rc)
		return rc;
	tm->frames = snap.nframes;
	tm->tasks = snap.ntasks;
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
	out = ad_stream_open(&resp, fd);
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
