// SPDX-License-Identifier: BSD-2-Clause
/*
 * pool.h - the dump workers: a few threads that serve the requests the
 * loop has read and allowed (request.h), so dumps of different processes
 * proceed in parallel and a slow dump or a client that does not read
 * holds one worker, never the loop. Each finished job is reported on a
 * pipe the loop polls (who asked, how it went), so the loop keeps its
 * accounting (per-uid limits, the dumps' memory) to itself.
 */
#ifndef AD_POOL_H
#define AD_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "observer/memread.h"
#include "server/request.h"

/* Dumps served at once. A dump is mostly system calls (map and memory
 * reads) and sending; more threads than this mostly wait for clients. */
#define AD_POOL_WORKERS 4
/* Dumps queued and running in all; the loop hands over no more (a
 * request read beyond it waits in the loop, its client connected). */
#define AD_POOL_MAX_JOBS 64

struct ad_pool;

/* One worker's own: its reader of process memory (its helper process). */
struct ad_pool_worker {
	struct ad_pool *pool;
	struct ad_memread mr;
};

/* One finished job, as the loop reads it. */
struct ad_pool_done {
	uid_t uid;
	enum ad_served served;
	int64_t collect_us; /* how long it held the observer's lock */
};

struct ad_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ad_job q[AD_POOL_MAX_JOBS];
	size_t head, n;
	bool stop;
	pthread_t th[AD_POOL_WORKERS];
	struct ad_pool_worker w[AD_POOL_WORKERS];
	int nth;
	struct ad_observer *obs;
	pthread_rwlock_t *obs_lock;
	int done_rd, done_wr; /* the pipe of finished jobs */
	int stop_fd;	      /* an eventfd, readable once stopping */
};

/* Starts the workers, which read obs under obs_lock, and their helper
 * processes: started here, before the caller opens its socket and lock
 * file, so no helper being started holds a copy of those (until its
 * exec closes them) when the daemon dies. 0 or -errno. */
int ad_pool_start(struct ad_pool *p, struct ad_observer *obs,
		  pthread_rwlock_t *obs_lock);

/* Queues job (the pool closes its fd once served). -EAGAIN if
 * AD_POOL_MAX_JOBS are queued (the loop counts and never gets there). */
int ad_pool_push(struct ad_pool *p, const struct ad_job *job);

/* The read end of the pipe of finished jobs (poll it), and one finished
 * job read from it: 1, or 0 when there is none now. */
int ad_pool_done_fd(const struct ad_pool *p);
int ad_pool_next_done(struct ad_pool *p, struct ad_pool_done *d);

/* Stops the workers: jobs not started are answered with an ERR line (the
 * daemon is stopping); running ones are abandoned at their next read of
 * process memory or their next send that would wait (the client sees the
 * dump cut short); then the threads are joined. The pipe stays readable
 * until ad_pool_free. */
void ad_pool_stop(struct ad_pool *p);
void ad_pool_free(struct ad_pool *p);

#endif /* AD_POOL_H */
