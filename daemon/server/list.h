// SPDX-License-Identifier: BSD-2-Clause
/*
 * list.h - one list request served (`asyncdumpd --list`): every observed
 * process the client may dump, judged one by one by the rules of a dump
 * (authorize.h; the others are left out, unsaid), its records read
 * without strings (observer/census.h) and rebuilt as a dump rebuilds them
 * (so its counts are its dump's), one row each (core/render_list.h),
 * streamed into the client's socket (stream.h).
 */
#ifndef AD_LIST_H
#define AD_LIST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/protocol.h"
#include "server/dump.h"

struct ad_observer;
struct ad_access_policy;
struct ucred;

/* Where one list's time went, and what it showed; the daemon logs it. */
struct ad_list_times {
	int64_t collect_us; /* reading the observer, its lock held */
	int64_t authorize_us, rebuild_us, render_us; /* render: + send */
	size_t observed; /* processes observed (the log's, not the
			     * client's, to know) */
	size_t shown, bytes;
};

/* Serves the LIST request req for the client on the connected socket fd,
 * with SO_PEERCRED peer, who may see what `access` lets it dump. Returns
 * as ad_dump (dump.h) does: 0 once the answer is over, with *sent 0 when
 * all of it went out, else -errno; or -errno with a one-line message in
 * msg when nothing was sent (the caller answers with an ERR line). The
 * observer is read with ctx->obs_lock (if not NULL) held for reading:
 * once for the process records, once per process with maps of its own,
 * once for all those in the shared maps. No process memory is read. */
int ad_list(const struct ad_dump_ctx *ctx,
	    const struct ad_access_policy *access, int fd,
	    const struct ucred *peer, const struct ad_request *req,
	    struct ad_list_times *tm, int *sent, char *msg, size_t msglen);

#endif /* AD_LIST_H */
