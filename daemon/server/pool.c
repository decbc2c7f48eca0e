// SPDX-License-Identifier: BSD-2-Clause
/*
 * pool.c - the dump workers (pool.h).
 */
#define _GNU_SOURCE
#include "server/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/exit_codes.h"
#include "server/log.h"

static void report(struct ad_pool *p, const struct ad_job *job,
		   enum ad_served served, int64_t collect_us)
{
	struct ad_pool_done d = {
		.uid = job->peer.uid,
		.served = served,
		.collect_us = collect_us,
	};
	ssize_t n;

	/* Smaller than PIPE_BUF: written whole. The loop caps the jobs
	 * under way far below the pipe's capacity, so this never waits. */
	do
		n = write(p->done_wr, &d, sizeof(d));
	while (n < 0 && errno == EINTR);
}

static void *worker(void *arg)
{
	struct ad_pool_worker *w = arg;
	struct ad_pool *p = w->pool;
	struct ad_dump_ctx ctx = {
		.obs = p->obs,
		.obs_lock = p->obs_lock,
		.mr = &w->mr,
		.stop_fd = p->stop_fd,
	};

	for (;;) {
		struct ad_job job;
		enum ad_served served = AD_SERVED_NOTHING;
		int64_t collect_us = 0;
		bool stopping;

		/* A helper killed by the last job is replaced now, not by
		 * the next job's first read. Errors are that read's to
		 * report. */
		(void)ad_memread_prepare(&w->mr);
		pthread_mutex_lock(&p->mu);
		while (!p->n && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->n) {
			pthread_mutex_unlock(&p->mu);
			ad_memread_fini(&w->mr);
			return NULL;
		}
		job = p->q[p->head];
		p->head = (p->head + 1) % AD_POOL_MAX_JOBS;
		p->n--;
		stopping = p->stop;
		pthread_mutex_unlock(&p->mu);

		if (stopping)
			ad_answer_err(job.fd, AD_EXIT_FAILURE,
				      "the observer is stopping: try again "
				      "once it is back");
		else
			served = ad_serve_job(&ctx, &job, &collect_us);
		close(job.fd);
		report(p, &job, served, collect_us);
	}
}

int ad_pool_start(struct ad_pool *p, struct ad_observer *obs,
		  pthread_rwlock_t *obs_lock)
{
	int pfd[2], e;
	sigset_t all, old;

	memset(p, 0, sizeof(*p));
	p->done_rd = p->done_wr = -1;
	p->obs = obs;
	p->obs_lock = obs_lock;
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->stop_fd < 0)
		return -errno;
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK)) {
		e = -errno;
		close(p->stop_fd);
		return e;
	}
	p->done_rd = pfd[0];
	p->done_wr = pfd[1];
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (int i = 0; i < AD_POOL_WORKERS; i++) {
		p->w[i].pool = p;
		ad_memread_init(&p->w[i].mr, true, p->stop_fd);
		/* errors: the first read tries again, and reports */
		(void)ad_memread_prepare(&p->w[i].mr);
	}
	/* The workers take no signal: the loop's signalfd gets them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (e = 0; p->nth < AD_POOL_WORKERS; p->nth++) {
		e = -pthread_create(&p->th[p->nth], NULL, worker,
				    &p->w[p->nth]);
		if (e)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		ad_pool_stop(p);
		ad_pool_free(p);
		return e;
	}
	return 0;
}

int ad_pool_push(struct ad_pool *p, const struct ad_job *job)
{
	pthread_mutex_lock(&p->mu);
	if (p->n == AD_POOL_MAX_JOBS) {
		pthread_mutex_unlock(&p->mu);
		return -EAGAIN;
	}
	p->q[(p->head + p->n) % AD_POOL_MAX_JOBS] = *job;
	p->n++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int ad_pool_done_fd(const struct ad_pool *p)
{
	return p->done_rd;
}

int ad_pool_next_done(struct ad_pool *p, struct ad_pool_done *d)
{
	ssize_t n;

	do
		n = read(p->done_rd, d, sizeof(*d));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*d);
}

void ad_pool_stop(struct ad_pool *p)
{
	uint64_t one = 1;

	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	/* Wakes the workers' waits for clients and for process memory. */
	if (write(p->stop_fd, &one, sizeof(one)) < 0)
		ad_log(AD_LOG_WARN, "stopping the dump workers: %s",
		       strerror(errno));
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	p->nth = 0;
}

void ad_pool_free(struct ad_pool *p)
{
	for (int i = 0; i < AD_POOL_WORKERS; i++) /* those never started */
		ad_memread_fini(&p->w[i].mr);
	if (p->done_rd >= 0)
		close(p->done_rd);
	if (p->done_wr >= 0)
		close(p->done_wr);
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	p->done_rd = p->done_wr = p->stop_fd = -1;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}
