/*
 * dump.h - one dump request served: the process's snapshot collected
 * (collect.h), its trees rebuilt (forest.h) and rendered (render.h)
 * straight into the client's socket.
 */
#ifndef AD_DUMP_H
#define AD_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "observer.h"
#include "protocol.h"

/* Where one dump's time went; the daemon logs it with the dump. */
struct ad_dump_times {
	int64_t collect_us, rebuild_us, render_us, free_us; /* render: + send */
	size_t frames, tasks, bytes;
};

/* Serves req on the connected socket fd. Returns AD_EXIT_OK once the
 * whole answer ("OK\n" and the dump) is sent; an enum ad_exit code with a
 * one-line message in msg when nothing was sent yet (the caller answers
 * with an ERR line); or AD_EXIT_OK with *gone set when the client went
 * away or stalled in the middle of the dump. */
int ad_dump(struct ad_observer *obs, int fd, const struct ad_request *req,
	    struct ad_dump_times *tm, bool *gone, char *msg, size_t msglen);

/* Sends all of buf; false if the client went away or stalled. */
bool ad_send_all(int fd, const char *buf, size_t len);

#endif /* AD_DUMP_H */
