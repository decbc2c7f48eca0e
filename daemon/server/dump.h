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
#include "observer/memread.h"
#include "observer/observer.h"
#include "server/stream.h"

/* All the reads of one dump from the dumped process's memory (labels,
 * files, functions) must be answered within this time, and each within
 * AD_MEMREAD_TIMEOUT_MS (memread.h); what is not is shown unreadable and
 * counted (dump_memory_timeout), and the dump goes on. */
#define AD_SERVER_MEMORY_DEADLINE_S 5

/* Where one dump's time went; the daemon logs it with the dump. */
struct ad_dump_times {
	int64_t collect_us, rebuild_us, render_us, free_us; /* render: + send */
	int64_t locked_us; /* of collect_us, the observer's lock held */
	size_t frames, tasks, bytes;
	uint64_t memory_timeouts; /* frames and tasks left unread by them */
};

/* What a worker serves dumps with. */
struct ad_dump_ctx {
	struct ad_observer *obs;
	pthread_rwlock_t *obs_lock; /* read-held while the maps are read */
	struct ad_memread *mr;	    /* reads the dumped process's memory */
	int stop_fd; /* readable once the daemon stops: abandon (or -1) */
};

/* Serves req on the connected socket fd. Returns 0 once the answer is
 * over: *sent is then 0 when the whole dump went out ("OK 2", chunks,
 * "END"), else -errno: -ETIMEDOUT when the daemon dropped a client that
 * did not take the dump within AD_SERVER_SEND_DEADLINE_S, -ECANCELED when
 * the daemon stopped (ctx->stop_fd) before it was sent, -EPIPE or
 * -ECONNRESET when the client went away, another -errno when rendering
 * failed midway (the client got an ERR line). Returns -errno with a
 * one-line message in msg when nothing was sent yet (the caller answers
 * with an ERR line: -ESRCH no such process, -ENODATA not observed, ...:
 * core/exit_codes.h). The observer is read with ctx->obs_lock (if not
 * NULL) held for reading, only while its maps are read: the process's
 * memory is read after, without the lock, through ctx->mr. */
int ad_dump(const struct ad_dump_ctx *ctx, int fd, const struct ad_request *req,
	    struct ad_dump_times *tm, int *sent, char *msg, size_t msglen);

/* Sends all of buf; false if the client went away or stalled. */
bool ad_send_all(int fd, const char *buf, size_t len);

#endif /* AD_DUMP_H */
