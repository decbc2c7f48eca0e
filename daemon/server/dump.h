// SPDX-License-Identifier: BSD-2-Clause
/*
 * dump.h - one dump request served: the process's snapshot collected
 * (observer/collect.h), its trees rebuilt (core/rebuild.h) and rendered
 * (core/render.h) straight into the client's socket (stream.h).
 */
#ifndef AD_DUMP_H
#define AD_DUMP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/protocol.h"
#include "observer/observer.h"
#include "server/stream.h"

/* Where one dump's time went; the daemon logs it with the dump. */
struct ad_dump_times {
	int64_t collect_us, rebuild_us, render_us, free_us; /* render: + send */
	size_t frames, tasks, bytes;
};

/* Serves req on the connected socket fd. Returns 0 once the answer is
 * over: *sent is then 0 when the whole dump went out ("OK 2", chunks,
 * "END"), else -errno: -ETIMEDOUT when the daemon dropped a client that
 * did not take the dump within AD_SERVER_SEND_DEADLINE_S, -EPIPE or
 * -ECONNRESET when the client went away, another -errno when rendering
 * failed midway (the client got an ERR line). Returns -errno with a
 * one-line message in msg when nothing was sent yet (the caller answers
 * with an ERR line: -ESRCH no such process, -ENODATA not observed, ...:
 * core/exit_codes.h). The observer is read with obs_lock (if not NULL)
 * held for reading, and only while collecting. */
int ad_dump(struct ad_observer *obs, pthread_rwlock_t *obs_lock, int fd,
	    const struct ad_request *req, struct ad_dump_times *tm, int *sent,
	    char *msg, size_t msglen);

/* Sends all of buf; false if the client went away or stalled. */
bool ad_send_all(int fd, const char *buf, size_t len);

#endif /* AD_DUMP_H */
