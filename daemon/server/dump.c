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

/* The response stream of a dump. "OK\n" goes out just before the first
 * byte of the body, so a dump that fails before writing anything is still
 * answered with a clean ERR line. The renderers allocate everything they
 * need before their first byte (render.h), so once the body has started
 * the only failure left is the client going away or stalling.
 *
 * Why streamed and not rendered into memory first: a million-frame JSON
 * dump is hundreds of MB; building it in a buffer cost more in page
 * faults than rendering it (BENCHMARKS.md, "Measurements behind the
 * code"), and the client could only start reading at the end. */
struct response {
	int fd;
	bool started;
	size_t bytes; /* of the body */
};

static ssize_t response_write(void *cookie, const char *buf, size_t len)
{
	struct response *r = cookie;

	errno = 0;
	if (!r->started) {
		if (!ad_send_all(r->fd, "OK\n", 3))
			goto fail;
		r->started = true;
	}
	if (ad_send_all(r->fd, buf, len)) {
		r->bytes += len;
		return (ssize_t)len;
	}
fail:
	if (!errno)
		errno = EPIPE;
	return 0; /* fopencookie: 0 (not -1) reports a write error */
}

int ad_dump(struct ad_observer *obs, int fd, const struct ad_request *req,
	    struct ad_dump_times *tm, bool *gone, char *msg, size_t msglen)
{
	cookie_io_functions_t io = {.write = response_write};
	struct response resp = {.fd = fd};
	struct ad_snapshot snap;
	struct ad_forest forest;
	FILE *out;
	int64_t t0 = ad_mono_us(), t1;
	int rc;

	*gone = false;
	rc = ad_collect(obs, req->pid, &snap, msg, msglen);
	if (rc)
		return rc;
	tm->frames = snap.nframes;
	tm->tasks = snap.ntasks;
	t1 = ad_mono_us();
	tm->collect_us = t1 - t0;
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
	if (!rc && !resp.started && !ad_send_all(fd, "OK\n", 3))
		rc = -EPIPE; /* an empty dump: cannot happen, answered anyway */
	*gone = rc != 0;
	return 0;
}
