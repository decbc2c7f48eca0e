// SPDX-License-Identifier: BSD-2-Clause
/*
 * dump.h - one dump request served: the process's snapshot collected
 * (observer/collect.h), its trees rebuilt (core/rebuild.h) and rendered
 * (core/render.h) straight into the client's socket.
 */
#ifndef AD_DUMP_H
#define AD_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/protocol.h"
#include "observer/observer.h"

/* Where one dump's time went; the daemon logs it with the dump. */
struct ad_dump_times {
	int64_t collect_us, rebuild_us, render_us, free_us; /* render: + send */
	size_t frames, tasks, bytes;
};

/* Serves req on the connected socket fd. Returns 0 once the whole answer
 * ("OK\n" and the dump) is sent; -errno with a one-line message in msg
 * when nothing was sent yet (the caller answers with an ERR line: -ESRCH
 * no such process, -ENODATA not observed, ...: core/exit_codes.h); or 0
 * with *gone set when the client went away or stalled in the middle of
 * the dump. */
int ad_dump(struct ad_observer *obs, int fd, const struct ad_request *req,
	    struct ad_dump_times *tm, bool *gone, char *msg, size_t msglen);

/* Sends all of buf; false if the client went away or stalled. */
bool ad_send_all(int fd, const char *buf, size_t len);

#endif /* AD_DUMP_H */
