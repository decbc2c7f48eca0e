// SPDX-License-Identifier: BSD-2-Clause
/*
 * list.c - one list request served (list.h).
 *
 * The cost follows the processes the client may see: the process records
 * are read once (a small map), each process is judged from /proc as a
 * dump of it would be, and only those allowed have their records read:
 * a process with maps of its own by a read of those maps, every process
 * in the shared maps by one walk of them for all. No string is resolved,
 * from the maps or from any process's memory, so a hostile process
 * cannot make a list wait on it.
 */
#define _GNU_SOURCE
#include "server/list.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/errmsg.h"
#include "core/rebuild.h"
#include "core/render_list.h"
#include "observer/census.h"
#include "server/authorize.h"
#include "server/stream.h"

/* The observer's lock, held for reading while it is read; the time it
 * was held is added to *us. */
static void obs_read_lock(pthread_rwlock_t *lock, int64_t *t0)
{
	if (lock)
		pthread_rwlock_rdlock(lock);
	*t0 = ad_mono_us();
}

static void obs_read_unlock(pthread_rwlock_t *lock, int64_t t0, int64_t *us)
{
	*us += ad_mono_us() - t0;
	if (lock)
		pthread_rwlock_unlock(lock);
}

/* Keeps, in order, the processes the client may dump; returns how many. */
static size_t keep_allowed(const struct ad_access_policy *access, int fd,
			   const struct ucred *peer,
			   struct ad_census_proc *procs, size_t n)
{
	struct ad_authorizer z;
	size_t kept = 0;

	ad_authorizer_init(&z, access, fd, peer);
	for (size_t i = 0; i < n; i++)
		if (ad_authorizer_allows(&z, procs[i].pid))
			procs[kept++] = procs[i];
	ad_authorizer_fini(&z);
	return kept;
}

/* The row of one snapshot, rebuilt as its dump would be. 0 or -ENOMEM. */
static int row_of(const struct ad_snapshot *snap, uint64_t stuck_after_ns,
		  struct ad_list_row *row)
{
	struct ad_forest forest;
	int rc = ad_rebuild(snap, &forest);

	if (rc)
		return rc;
	ad_list_row_of(&forest, stuck_after_ns, row);
	ad_forest_free(&forest);
	return 0;
}

/* What reading the rows needs. */
struct reader {
	struct ad_observer *obs;
	pthread_rwlock_t *lock;
	uint64_t stuck_after_ns;
	struct ad_list_times *tm;
};

/* Reads procs[0..n) (sorted by pid) in one census and makes their rows:
 * rows[i] is procs[i]'s, left alone (pid 0, no row) if the process went
 * meanwhile. 0 or -errno. */
static int read_rows(struct reader *r, const struct ad_census_proc *procs,
		     size_t n, struct ad_list_row *rows)
{
	struct ad_snapshot *snaps = calloc(n ? n : 1, sizeof(*snaps));
	bool *gone = calloc(n ? n : 1, sizeof(*gone));
	int64_t t0;
	int rc = -ENOMEM;

	if (snaps && gone) {
		obs_read_lock(r->lock, &t0);
		rc = ad_census_read(r->obs, procs, n, snaps, gone);
		obs_read_unlock(r->lock, t0, &r->tm->collect_us);
	}
	t0 = ad_mono_us();
	for (size_t i = 0; i < n && snaps; i++) {
		if (!rc && !gone[i])
			rc = row_of(&snaps[i], r->stuck_after_ns, &rows[i]);
		ad_snapshot_free(&snaps[i]);
	}
	r->tm->rebuild_us += ad_mono_us() - t0;
	free(snaps);
	free(gone);
	return rc;
}

/* Every row: each process with maps of its own alone (the lock is let go
 * between them, so the loop's updates never wait for a whole list), then
 * all those in the shared maps in one walk. 0 or -errno. */
static int read_all_rows(struct reader *r, struct ad_census_proc *procs,
			 size_t n, struct ad_list_row *rows)
{
	struct ad_census_proc *shared = malloc((n ? n : 1) * sizeof(*shared));
	size_t *at = malloc((n ? n : 1) * sizeof(*at));
	struct ad_list_row *srows = calloc(n ? n : 1, sizeof(*srows));
	size_t nshared = 0;
	int rc = shared && at && srows ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !rc; i++) {
		if (procs[i].proc.slot == AD_SLOT_SHARED) {
			at[nshared] = i;
			shared[nshared++] = procs[i];
		} else {
			rc = read_rows(r, &procs[i], 1, &rows[i]);
		}
	}
	if (!rc && nshared)
		rc = read_rows(r, shared, nshared, srows);
	for (size_t i = 0; i < nshared && !rc; i++)
		rows[at[i]] = srows[i];
	free(shared);
	free(at);
	free(srows);
	return rc;
}

/* The rows of processes gone meanwhile left out. Returns how many stay. */
static size_t compact(struct ad_list_row *rows, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (rows[i].pid)
			rows[kept++] = rows[i];
	return kept;
}

int ad_list(const struct ad_dump_ctx *ctx,
	    const struct ad_access_policy *access, int fd,
	    const struct ucred *peer, const struct ad_request *req,
	    struct ad_list_times *tm, int *sent, char *msg, size_t msglen)
{
	struct ad_observer *obs = ctx->obs;
	pthread_rwlock_t *obs_lock = ctx->obs_lock;
	struct reader r = {.obs = obs,
			   .lock = obs_lock,
			   .stuck_after_ns = req->opts.stuck_after_ns,
			   .tm = tm};
	struct ad_census_proc *procs = NULL;
	struct ad_list_row *rows = NULL;
	struct ad_stream st;
	size_t n = 0;
	int64_t t0;
	FILE *out;
	int rc;

	*sent = 0;
	obs_read_lock(obs_lock, &t0);
	rc = ad_census_procs(obs, &procs, &n);
	obs_read_unlock(obs_lock, t0, &tm->collect_us);
	if (rc)
		return ad_fail(rc == -ENOMEM ? rc : -EIO, msg, msglen,
			       "reading the observed processes failed: %s",
			       strerror(-rc));
	tm->observed = n;
	t0 = ad_mono_us();
	n = keep_allowed(access, fd, peer, procs, n);
	tm->authorize_us = ad_mono_us() - t0;
	rows = calloc(n ? n : 1, sizeof(*rows));
	rc = rows ? read_all_rows(&r, procs, n, rows) : -ENOMEM;
	free(procs);
	if (rc) {
		free(rows);
		return ad_fail(rc == -ENOMEM ? rc : -EIO, msg, msglen,
			       "reading the observed processes' records "
			       "failed: %s",
			       strerror(-rc));
	}
	tm->shown = compact(rows, n);
	t0 = ad_mono_us();
	out = ad_stream_open(&st, fd, ctx->stop_fd);
	rc = out ? ad_render_list(out, rows, tm->shown, &req->opts) : -ENOMEM;
	rc = ad_stream_close(&st, out, rc, "the list", sent, msg, msglen);
	tm->render_us = ad_mono_us() - t0;
	tm->bytes = st.bytes;
	free(rows);
	return rc;
}
