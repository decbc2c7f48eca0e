// SPDX-License-Identifier: BSD-2-Clause
/*
 * server.c - the daemon (server.h): the kernel probed and the observer
 * loaded and attached, the socket made (listen.c), then one loop over
 * clients' request lines (request.c, read without blocking), signals, the
 * observer's events and its reclaim work, and the dumps' memory
 * (core/dumpmem.h); the dumps themselves run on the workers (pool.h).
 */
#define _GNU_SOURCE
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/format.h"
#include "core/dumpmem.h"
#include "core/exit_codes.h"
#include "core/protocol.h"
#include "core/ratelimit.h"
#include "observer/attach.h"
#include "observer/discover.h"
#include "observer/census.h"
#include "observer/kernel_features.h"
#include "observer/observer.h"
#include "observer/procfs.h"
#include "observer/reclaim.h"
#include "observer/slots.h"
#include "observer/watch.h"
#include "server/authorize.h"
#include "server/listen.h"
#include "server/log.h"
#include "server/pool.h"
#include "server/settings.h"
#include "server/request.h"

/* Connections whose request is being read or, read and allowed, waits
 * for its uid's dumps under way to drop below AD_SERVER_MAX_DUMPS_PER_UID
 * (or for room in the pool's queue): the daemon accepts no more until one
 * is done (new clients wait in the listen backlog). A silent one holds its
 * place for AD_SERVER_IO_TIMEOUT_S at most. */
#define AD_SERVER_MAX_CONNS 256
/* Of them, one uid's: a request beyond it is answered "too many dumps in
 * progress for uid N, try again" (exit code 1), so one user cannot hold
 * every place. */
#define AD_SERVER_MAX_CONNS_PER_UID 128
/* Dumps of one uid queued or running at once: its other requests wait
 * in the loop while other users' dumps go ahead. Half the workers: one
 * user's dumps to clients that do not read leave the others free. */
#define AD_SERVER_MAX_DUMPS_PER_UID (AD_POOL_WORKERS / 2)
/* Clients accepted in one pass of the loop: a flood of connections
 * (opened and closed at once, or each sending garbage) keeps the listen
 * queue full, and accepting until it is empty would never return to hand
 * the requests already read to the workers. */
#define AD_SERVER_ACCEPT_BATCH 16
/* File descriptors kept free for clients and dumps: processes get maps of
 * their own (3 descriptors each) only while this many stay below the limit
 * on open files (the rest use the shared maps), so a daemon at its limit
 * still holds every connection it allows and serves dumps. */
#define AD_SERVER_FD_RESERVE (AD_SERVER_MAX_CONNS + 64)
/* Lines about processes refused for want of room (--max-procs), and apart
 * about processes that grew or moved (observer.h, enum ad_proc_note): a
 * burst of 10, then one a second; the next line says how many were left
 * out. */
#define AD_REFUSED_LOG_BURST 10
#define AD_REFUSED_LOG_PER_S 1

struct conn {
	bool used, held; /* held: read and allowed, waiting for a worker */
	uint64_t seq;	 /* arrival: held requests go in this order */
	struct ad_conn c;
	struct ad_job job;
};

struct uid_jobs {
	uid_t uid;
	unsigned int n; /* queued or running */
};

struct server {
	const struct ad_options *cli;  /* the command line */
	struct ad_settings set;	       /* it over the config file */
	const struct ad_options *opts; /* &set.opts */
	struct ad_observer *obs;
	struct ad_access_policy access; /* who may dump what */
	int listen_fd;
	int signal_fd;
	int events_fd;
	dev_t sock_dev; /* identity of the socket file we bound, so exit */
	ino_t sock_ino; /* never removes a successor's socket */
	bool stop;
	bool reload;	     /* SIGHUP: read the config file again */
	bool refill_failing; /* creating slot maps failed (logged once) */
	struct ad_ratelimit refused_rl; /* the refused processes' lines */
	struct ad_ratelimit store_rl;	/* grown and moved processes' lines */
	struct ad_ratelimit watch_rl;	/* attached files' changes */
	struct ad_ratelimit life_rl;	/* processes observed and gone */
	struct ad_ratelimit found_rl;	/* files found by discovery */
	bool discovery;			/* observer/discover.h is on */
	/* Out of file descriptors (EMFILE, ENFILE): a descriptor held in
	 * reserve lets the daemon still answer the client that hit the limit;
	 * accepting then pauses until accept_resume_ms, doubling the pause
	 * while it lasts (nginx's way), and the log says so once. */
	int reserve_fd;
	bool fds_exhausted;
	int64_t accept_resume_ms;
	int accept_backoff_ms;
	unsigned long served;
	struct ad_dumpmem mem; /* the dumps' and sweeps' memory, kept a while */
	/* Dumps: the workers read the observer under obs_lock held for
	 * reading; the loop changes it (events, slots, sweeps) holding it
	 * for writing. */
	pthread_rwlock_t obs_lock;
	struct ad_pool pool;
	bool pool_started;
	struct conn *conns; /* [AD_SERVER_MAX_CONNS] */
	size_t nconns;	    /* in use */
	uint64_t next_seq;
	struct uid_jobs jobs[AD_POOL_MAX_JOBS]; /* dumps under way, by uid */
	size_t njobs;				/* ... in all */
	int64_t collect_us; /* the workers' reads since the last sweep */
};

/* ---- clients, signals, loop -------------------------------------------- */

/* The first and the longest pause in accepting while out of file
 * descriptors. */
#define AD_ACCEPT_BACKOFF_MIN_MS 100
#define AD_ACCEPT_BACKOFF_MAX_MS 2000

static void reserve_fd(struct server *s)
{
	if (s->reserve_fd < 0)
		s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* accept() failed with EMFILE or ENFILE: answer that client with the
 * reserved descriptor, then pause accepting (not spin on a listening
 * socket that stays readable). */
static void out_of_fds(struct server *s, int err)
{
	int fd;

	if (s->reserve_fd >= 0) {
		close(s->reserve_fd);
		s->reserve_fd = -1;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			ad_answer_err(
				fd, AD_EXIT_FAILURE,
				"the observer is out of file descriptors: "
				"try again later, and see its log");
			close(fd);
		}
		reserve_fd(s);
	}
	if (!s->fds_exhausted) {
		struct rlimit rl = {0};

		getrlimit(RLIMIT_NOFILE, &rl);
		ad_log(AD_LOG_WARN,
		       "accept: %s (limit %llu open files): new clients are "
		       "refused, in pauses of up to %d ms, until descriptors "
		       "are free (raise LimitNOFILE= or observe fewer "
		       "processes)",
		       strerror(err), (unsigned long long)rl.rlim_cur,
		       AD_ACCEPT_BACKOFF_MAX_MS);
		s->fds_exhausted = true;
		s->accept_backoff_ms = AD_ACCEPT_BACKOFF_MIN_MS;
	} else if (s->accept_backoff_ms < AD_ACCEPT_BACKOFF_MAX_MS) {
		s->accept_backoff_ms *= 2;
		if (s->accept_backoff_ms > AD_ACCEPT_BACKOFF_MAX_MS)
			s->accept_backoff_ms = AD_ACCEPT_BACKOFF_MAX_MS;
	}
	s->accept_resume_ms = ad_mono_ms() + s->accept_backoff_ms;
}

static unsigned int uid_jobs(const struct server *s, uid_t uid)
{
	for (size_t i = 0; i < s->njobs; i++)
		if (s->jobs[i].uid == uid)
			return s->jobs[i].n;
	return 0;
}

static void uid_jobs_add(struct server *s, uid_t uid, int d)
{
	size_t i;

	for (i = 0; i < s->njobs && s->jobs[i].uid != uid; i++)
		;
	if (i == s->njobs) {
		if (d < 0 || s->njobs == AD_POOL_MAX_JOBS)
			return; /* cannot be: the loop counts every job */
		s->jobs[s->njobs++] = (struct uid_jobs){.uid = uid};
	}
	s->jobs[i].n += (unsigned int)d;
	if (!s->jobs[i].n)
		s->jobs[i] = s->jobs[--s->njobs];
}

static size_t jobs_in_all(const struct server *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->njobs; i++)
		n += s->jobs[i].n;
	return n;
}

static void conn_close(struct server *s, struct conn *k)
{
	close(k->c.fd);
	k->used = k->held = false;
	s->nconns--;
}

/* Held requests to the workers, oldest first, while their uid and the
 * pool have room. */
static void dispatch(struct server *s)
{
	for (;;) {
		struct conn *best = NULL;

		if (jobs_in_all(s) >= AD_POOL_MAX_JOBS)
			return;
		for (size_t i = 0; i < AD_SERVER_MAX_CONNS; i++) {
			struct conn *k = &s->conns[i];

			if (k->used && k->held &&
			    uid_jobs(s, k->job.peer.uid) <
				    AD_SERVER_MAX_DUMPS_PER_UID &&
			    (!best || k->seq < best->seq))
				best = k;
		}
		if (!best)
			return;
		if (ad_pool_push(&s->pool, &best->job))
			return; /* cannot be: the loop counts every job */
		uid_jobs_add(s, best->job.peer.uid, 1);
		best->used = best->held = false; /* the worker closes fd */
		s->nconns--;
	}
}

/* A connection readable: its line read, then parsed and authorized; an
 * allowed request waits for a worker (dispatch). */
static void conn_readable(struct server *s, struct conn *k)
{
	switch (ad_conn_read(&k->c)) {
	case AD_CONN_MORE:
		return;
	case AD_CONN_DONE:
		conn_close(s, k);
		return;
	case AD_CONN_LINE:
		break;
	}
	if (ad_conn_request(&k->c, &s->access, &k->job)) {
		conn_close(s, k);
		return;
	}
	/* No --stuck-after: the config file's (as reloaded). */
	if (!k->job.req.stuck_after_given)
		k->job.req.opts.stuck_after_ns =
			s->set.file ? s->set.cfg.stuck_after_ns
				    : AD_DEFAULT_STUCK_AFTER_NS;
	k->held = true;
}

static unsigned int uid_conns(const struct server *s, uid_t uid)
{
	unsigned int n = 0;

	for (size_t i = 0; i < AD_SERVER_MAX_CONNS; i++)
		n += s->conns[i].used && s->conns[i].c.peer.uid == uid;
	return n;
}

static void accept_clients(struct server *s)
{
	for (int n = 0;
	     n < AD_SERVER_ACCEPT_BATCH && s->nconns < AD_SERVER_MAX_CONNS;
	     n++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		struct conn *k = NULL;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				out_of_fds(s, errno);
			else if (errno != EAGAIN && errno != EWOULDBLOCK &&
				 errno != EINTR)
				ad_log(AD_LOG_WARN, "accept: %s",
				       strerror(errno));
			return;
		}
		if (s->fds_exhausted) {
			s->fds_exhausted = false;
			ad_log(AD_LOG_INFO,
			       "accepting clients again: file descriptors are "
			       "free");
		}
		reserve_fd(s);
		for (size_t i = 0; i < AD_SERVER_MAX_CONNS && !k; i++)
			if (!s->conns[i].used)
				k = &s->conns[i];
		memset(k, 0, sizeof(*k));
		ad_conn_start(&k->c, fd, ad_mono_ms());
		if (uid_conns(s, k->c.peer.uid) >=
		    AD_SERVER_MAX_CONNS_PER_UID) {
			char msg[AD_PROTO_MAX_MSG];

			ad_log(AD_LOG_WARN,
			       "client pid=%d uid=%d refused: %d requests of "
			       "uid %d in progress",
			       (int)k->c.peer.pid, (int)k->c.peer.uid,
			       AD_SERVER_MAX_CONNS_PER_UID, (int)k->c.peer.uid);
			snprintf(msg, sizeof(msg),
				 "too many dumps in progress for uid %d, try "
				 "again",
				 (int)k->c.peer.uid);
			ad_answer_err(fd, AD_EXIT_FAILURE, msg);
			close(fd);
			continue;
		}
		k->used = true;
		k->seq = s->next_seq++;
		s->nconns++;
		/* Its line may be there already: read it now. */
		conn_readable(s, k);
	}
}

/* Connections past their deadline without a whole line: answered and
 * dropped. Returns the ms until the next deadline (-1: none). */
static int64_t expire_conns(struct server *s, int64_t now)
{
	int64_t next = -1;

	for (size_t i = 0; i < AD_SERVER_MAX_CONNS; i++) {
		struct conn *k = &s->conns[i];

		if (!k->used || k->held)
			continue;
		if (k->c.deadline_ms <= now) {
			ad_conn_expired(&k->c);
			conn_close(s, k);
		} else if (next < 0 || k->c.deadline_ms - now < next) {
			next = k->c.deadline_ms - now;
		}
	}
	return next;
}

/* Finished dumps: their uid's count down, the dumps' memory kept for the
 * next ones (dumpmem.h). */
static void reap_jobs(struct server *s)
{
	struct ad_pool_done d;
	bool any = false;

	while (ad_pool_next_done(&s->pool, &d)) {
		uid_jobs_add(s, d.uid, -1);
		s->served += d.served == AD_SERVED_DUMP;
		s->collect_us += d.collect_us;
		any = true;
	}
	if (any)
		ad_dumpmem_dumped(&s->mem, ad_mono_ms());
}

/* The soft limit on open files raised to the hard one (3 map descriptors
 * per observed process, more while a dump or a sweep runs): systemd and
 * nginx do the same. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		ad_log(AD_LOG_WARN,
		       "cannot raise the open-file limit to %llu: %s",
		       (unsigned long long)rl.rlim_max, strerror(errno));
}

static int setup_signals(struct server *s)
{
	sigset_t set;

	/* A client closing early must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return s->signal_fd < 0 ? -errno : 0;
}

static void handle_signals(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGINT:
		case SIGTERM:
			ad_log(AD_LOG_INFO, "%s from pid %u: stopping",
			       si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM",
			       si.ssi_pid);
			s->stop = true;
			break;
		case SIGHUP:
			s->reload = true;
			break;
		}
	}
}

/* Sweeps run in slices between the loop's other work (observer.h): a
 * dump's collect waits for at most one slice (the observer lock), not for
 * a walk over a million records or a million deletes. A slice is
 * AD_RECLAIM_SLICE_NS. Urgent work (dead records to delete) gets as long
 * as the dumps spent reading the observer since the last slice, up to
 * AD_RECLAIM_SLICE_MAX_NS: back-to-back dumps must not starve it, because
 * dead records fill the maps (the probes lose records) and every dump
 * walks over them, so sharing the time evenly ends the slow dumps sooner
 * than capping the deletes would. The periodic sweep's walk, which usually
 * finds nothing, stays in the background, so a big dump arriving during it
 * does not wait for it. (What each choice cost when measured:
 * BENCHMARKS.md, "Measurements behind the code".) */
#define AD_RECLAIM_SLICE_NS (10ull * 1000000ull)
#define AD_RECLAIM_SLICE_MAX_NS (250ull * 1000000ull)

/* A sweep is logged when it was slow (this long in all: the maps are
 * large), and a periodic one when it reclaimed anything (the exit events
 * should have: it found what they missed). A sweep after every process
 * exit is routine and not logged. */
#define AD_SLOW_SWEEP_NS (250ull * 1000000ull)

static void reclaim(struct server *s, uint64_t slice_ns)
{
	struct ad_reclaim_stats st;
	int rc = ad_observer_reclaim(s->obs, slice_ns, &st);

	/* A finished or dropped sweep freed its list of dead records into
	 * the heap (dumpmem.h). */
	if (rc < 0 || (rc > 0 && st.judged))
		ad_dumpmem_freed(&s->mem, ad_mono_ms());
	if (rc < 0)
		ad_log(AD_LOG_WARN, "sweep: %s", strerror(-rc));
	else if (rc > 0 && ((st.full && st.deleted) || st.slots_released ||
			    st.judge_ns + st.delete_ns >= AD_SLOW_SWEEP_NS))
		ad_log(AD_LOG_INFO,
		       "sweep (%s): %zu records reclaimed, %zu judged dead, "
		       "%zu processes' maps judged, %zu slots of exited "
		       "processes released; ms: judge %.1f delete %.1f",
		       st.full ? "periodic" : "exit events", st.deleted,
		       st.judged, st.slots_judged, st.slots_released,
		       (double)st.judge_ns / 1e6, (double)st.delete_ns / 1e6);
}

/* Keeps process slots ready; a failure is logged when it starts and when
 * it ends, not at every retry. */
static void refill(struct server *s)
{
	char err[512];

	if (ad_observer_refill(s->obs, err, sizeof(err))) {
		if (!s->refill_failing)
			ad_log(AD_LOG_WARN, "%s", err);
		s->refill_failing = true;
	} else if (s->refill_failing) {
		ad_log(AD_LOG_INFO, "process slots are being created again");
		s->refill_failing = false;
	}
}

/* What became of a process's storage (observer.h, enum ad_proc_note):
 * one line each, rate-limited apart for refusals (warnings) and for
 * growth (news). A refused process's dump says the same, with how many
 * of its events were dropped. */
/* Whether a rate-limited kind of line may be logged now; if so, `more`
 * says how many of its kind were left out before it (or is empty). */
static bool log_allowed(struct ad_ratelimit *rl, char *more, size_t len)
{
	uint64_t dropped = 0;

	if (!ad_ratelimit_take(rl, ad_mono_ms(), &dropped))
		return false;
	more[0] = '\0';
	if (dropped)
		snprintf(more, len, " (%llu more such lines left out)",
			 (unsigned long long)dropped);
	return true;
}

/* Records counted for a process's exit line, at most, in each of its
 * maps: one system call each, under the observer's lock. */
#define AD_EXIT_COUNT_LIMIT 10000u

/* "12 frames and 3 tasks" (or "more than N ...") of what it left. */
static void left_text(const struct ad_proc_left *l, char *buf, size_t len)
{
	snprintf(buf, len, "%s%llu frame%s and %llu task%s",
		 l->capped ? "at least " : "", (unsigned long long)l->frames,
		 l->frames == 1 ? "" : "s", (unsigned long long)l->tasks,
		 l->tasks == 1 ? "" : "s");
}

/* A process observed or gone: one line each, rate-limited together. */
static void proc_life_log(struct server *s, uint32_t pid,
			  enum ad_proc_note what, const char *more)
{
	char comm[64], files[512], left[96], dur[AD_DURATION_MAX];
	struct ad_proc_left l;

	if (what == AD_NOTE_OBSERVED) {
		ad_proc_comm((pid_t)pid, comm, sizeof(comm));
		if (ad_obs_mapped_attachments(s->obs, (pid_t)pid, NULL, files,
					      sizeof(files)) ||
		    !files[0])
			snprintf(files, sizeof(files), "?");
		ad_log(AD_LOG_INFO, "observing process %u (%s): probes in %s%s",
		       pid, comm, files, more);
		return;
	}
	if (ad_observer_proc_left(s->obs, pid, AD_EXIT_COUNT_LIMIT, &l)) {
		ad_log(AD_LOG_INFO,
		       "process %u exited or exec'd: its records in the "
		       "shared maps go at the next sweep%s",
		       pid, more);
		return;
	}
	left_text(&l, left, sizeof(left));
	ad_log(AD_LOG_INFO,
	       "process %u (%s) exited or exec'd after %s observed: %s left "
	       "in its maps, dropped%s",
	       pid, l.comm,
	       ad_fmt_duration(dur, ad_age(ad_mono_ns(), l.since_ns)), left,
	       more);
}

static void proc_note_log(void *ctx, uint32_t pid, enum ad_proc_note what)
{
	struct server *s = ctx;
	struct ad_ratelimit *rl = &s->store_rl;
	char comm[64], more[64];

	if (what == AD_NOTE_REFUSED)
		rl = &s->refused_rl;
	else if (what == AD_NOTE_OBSERVED || what == AD_NOTE_EXITED)
		rl = &s->life_rl;
	if (!log_allowed(rl, more, sizeof(more)))
		return;
	if (rl == &s->life_rl) {
		proc_life_log(s, pid, what, more);
		return;
	}
	ad_proc_comm((pid_t)pid, comm, sizeof(comm));
	switch (what) {
	case AD_NOTE_REFUSED:
		ad_log(AD_LOG_WARN,
		       "process %u (%s) not observed: the process table is "
		       "full (--max-procs %u): its probe events are dropped "
		       "until it finds room; raise --max-procs%s",
		       pid, comm, s->opts->max_procs, more);
		break;
	case AD_NOTE_GREW:
		ad_log(AD_LOG_INFO,
		       "process %u (%s) filled its small maps: it grew into "
		       "a big slot (--max-frames %u, --max-tasks %u in all)%s",
		       pid, comm, s->opts->max_frames, s->opts->max_tasks,
		       more);
		break;
	case AD_NOTE_MOVED:
		ad_log(AD_LOG_INFO,
		       "process %u (%s) found no slot ready at its first "
		       "probe: its first records are in the shared maps, "
		       "its next ones in maps of its own%s",
		       pid, comm, more);
		break;
	default:
		break;
	}
}

static void watch_note_log(void *ctx, const struct ad_watch_note *n)
{
	struct server *s = ctx;
	char more[64];

	/* A file found by discovery is decided about again when next
	 * mapped (a file named as a target is attached again by the watch). */
	if (n->what == AD_WATCH_DETACHED)
		ad_obs_discover_forget(s->obs, n->dev, n->ino);
	if (!log_allowed(&s->watch_rl, more, sizeof(more)))
		return;
	switch (n->what) {
	case AD_WATCH_DETACHED:
		ad_log(AD_LOG_WARN,
		       "%s was written to: its %d probe sites detached, so "
		       "that no process runs it with probes at old offsets%s",
		       n->path, n->sites, more);
		break;
	case AD_WATCH_REATTACHED:
		ad_log(AD_LOG_INFO,
		       "re-attached %d probe sites of %s (its new contents)%s",
		       n->sites, n->path, more);
		break;
	case AD_WATCH_REPLACED:
		ad_log(AD_LOG_INFO,
		       "%s is a new file: attached its %d probe sites "
		       "(processes still running the old one stay "
		       "observed)%s",
		       n->path, n->sites, more);
		break;
	case AD_WATCH_FAILED:
		ad_log(AD_LOG_WARN,
		       "%s changed and cannot be attached again: %s; not "
		       "observed until it changes again%s",
		       n->path, n->err, more);
		break;
	case AD_WATCH_OVERFLOW:
		ad_log(AD_LOG_WARN,
		       "file change notifications were lost (the kernel's "
		       "queue overflowed): every attached file checked%s",
		       more);
		break;
	}
}

/* A file found by discovery: attached (and watched for change), or not. */
static void found_note(void *ctx, const struct ad_discover_note *n)
{
	struct server *s = ctx;
	char more[64], err[512];
	bool log = log_allowed(&s->found_rl, more, sizeof(more));

	if (n->err) {
		if (log)
			ad_log(AD_LOG_WARN, "discovery: %s (process %d): %s%s",
			       n->path, (int)n->pid, n->err, more);
		return;
	}
	if (log)
		ad_log(AD_LOG_INFO,
		       "found %d asyncdump probe sites in %s (process %d): "
		       "attached for every process, now and later%s",
		       n->sites, n->path, (int)n->pid, more);
	if (ad_observer_watch_inode(s->obs, n->opened, err, sizeof(err)) && log)
		ad_log(AD_LOG_WARN,
		       "cannot watch %s for change (%s): a new build copied "
		       "over it in place would run with probes at old "
		       "offsets",
		       n->path, err);
}

/* Discovery at start: the hook for what starts later first, so nothing
 * exec'd during the scan is missed, then every process's maps. */
static void discover_start(struct server *s)
{
	struct ad_discover_stats st;
	char err[512];
	int rc;

	rc = ad_observer_discover_open(s->obs, err, sizeof(err));
	if (rc)
		ad_log(AD_LOG_WARN,
		       "discovery: %s; programs started from now on are not "
		       "found: name them in [targets] (asyncdumpd.conf) to "
		       "observe them",
		       err);
	rc = ad_observer_discover_scan(s->obs, found_note, s, &st);
	if (rc < 0) {
		ad_log(AD_LOG_WARN, "discovery: cannot read /proc: %s",
		       strerror(-rc));
		return;
	}
	ad_log(AD_LOG_INFO,
	       "discovery: read the maps of %u processes and the notes of %u "
	       "files in %.1f ms: %u files with probes attached (%u probe "
	       "sites)%s",
	       st.procs, st.files_read, (double)st.ns / 1e6, st.attached,
	       st.sites,
	       ad_observer_discover_fd(s->obs) >= 0
		       ? "; programs and libraries mapped from now on are "
			 "found as they are mapped"
		       : "");
}

/* The daemon's resident memory in MB (/proc/self/statm), 0 if unknown. */
static double rss_mb(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1e6;
}

/* The last dumps' and sweeps' memory back to the system once the daemon
 * has been idle for a while (dumpmem.h). */
static void release_dump_memory(struct server *s)
{
	int64_t now = ad_mono_ms();
	double before, after;
	bool after_dump;

	/* Checked first only so that the resident size is read when needed. */
	if (ad_dumpmem_due_in_ms(&s->mem, now) != 0)
		return;
	before = rss_mb();
	if (!ad_dumpmem_release(&s->mem, now, &after_dump))
		return;
	after = rss_mb();
	/* After a dump always (what a dump costs in memory, and for how
	 * long, is worth a line); after other work only when it mattered. */
	if (after_dump || before - after >= 1.0)
		ad_log(AD_LOG_INFO,
		       "idle for %d s: gave the memory no longer used back to "
		       "the system, resident %.1f MB -> %.1f MB",
		       AD_DUMPMEM_LINGER_MS / 1000, before, after);
}

static void obs_write_lock(struct server *s)
{
	pthread_rwlock_wrlock(&s->obs_lock);
}

static void obs_unlock(struct server *s)
{
	pthread_rwlock_unlock(&s->obs_lock);
}

/* ---- targets: the files attached for every process ------------------- */

/* Attaches a file for every process and watches it for change. One the
 * command line names must attach (the caller stops, exit 7); one the
 * config file names is a warning, so that a host missing one of its
 * targets still has the others observed. Returns 0 or -errno. */
static int attach_target(struct server *s, const char *path, bool from_file)
{
	char err[512];
	int rc = ad_observer_attach_path(s->obs, path, -1, err, sizeof(err));

	if (rc < 0) {
		if (from_file)
			ad_log(AD_LOG_WARN,
			       "cannot attach to %s (a target in %s): %s; not "
			       "observed",
			       path, s->set.file, err);
		else
			ad_log(AD_LOG_ERR, "cannot attach to %s: %s", path,
			       err);
		return rc;
	}
	if (rc)
		ad_log(AD_LOG_INFO,
		       "attached %d probe sites of %s (every process, now and "
		       "later)",
		       rc, path);
	else
		ad_log(AD_LOG_INFO,
		       "%s: its probes are attached already (kept from the "
		       "pinned store, or named twice)",
		       path);
	if (ad_observer_watch_path(s->obs, path, err, sizeof(err)))
		ad_log(AD_LOG_WARN,
		       "cannot watch %s for change (%s): a new build copied "
		       "over it in place would run with probes at the old "
		       "offsets and may crash; replace it with a new file "
		       "instead (install, mv, gcc -o)",
		       path, err);
	return 0;
}

/* Attaches set's targets not in `before` (NULL: none), and keeps in set
 * only those attached, so that a reload tries the others again. */
static void attach_file_targets(struct server *s, struct ad_settings *set,
				const struct ad_settings *before)
{
	size_t j = 0;

	for (size_t i = 0; i < set->ntargets; i++) {
		char *t = set->targets[i];

		if ((before && ad_settings_has_target(before, t)) ||
		    attach_target(s, t, true) == 0)
			set->targets[j++] = t;
		else
			free(t);
	}
	set->ntargets = j;
}

/* The settings a reload cannot change (the maps are made, the socket
 * bound): said, and kept until the next start. */
static void log_restart_only(const struct ad_options *was,
			     const struct ad_options *now, const char *file)
{
	static const struct {
		const char *name;
		size_t off;
	} nums[] = {
		{"max_frames", offsetof(struct ad_options, max_frames)},
		{"max_tasks", offsetof(struct ad_options, max_tasks)},
		{"max_procs", offsetof(struct ad_options, max_procs)},
		{"max_slots", offsetof(struct ad_options, max_slots)},
		{"max_big", offsetof(struct ad_options, max_big)},
		{"label_max", offsetof(struct ad_options, label_max)},
	};
	const char *wg = was->dump_group ? was->dump_group : "",
		   *ng = now->dump_group ? now->dump_group : "";

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		uint32_t a, b;

		memcpy(&a, (const char *)was + nums[i].off, sizeof(a));
		memcpy(&b, (const char *)now + nums[i].off, sizeof(b));
		if (a != b)
			ad_log(AD_LOG_WARN,
			       "%s: %s is now %u: takes effect at the next "
			       "start (%u until then)",
			       file, nums[i].name, b, a);
	}
	if (strcmp(was->socket_path, now->socket_path))
		ad_log(AD_LOG_WARN,
		       "%s: socket is now %s: takes effect at the next start "
		       "(%s until then)",
		       file, now->socket_path, was->socket_path);
	if (strcmp(wg, ng))
		ad_log(AD_LOG_WARN,
		       "%s: dump_group is now '%s': takes effect at the next "
		       "start ('%s' until then)",
		       file, ng, wg);
	if (strcmp(was->state_dir ? was->state_dir : "",
		   now->state_dir ? now->state_dir : ""))
		ad_log(AD_LOG_WARN,
		       "%s: state_dir changed: takes effect at the next start",
		       file);
	if (was->discovery != now->discovery)
		ad_log(AD_LOG_WARN,
		       "%s: discovery changed: takes effect at the next start",
		       file);
}

/* SIGHUP: the config file read again. Targets added are attached, those
 * removed detached, the log level applied; the observed state stays. A
 * file with an error changes nothing. */
static void reload(struct server *s)
{
	const char *file;
	struct ad_settings next;
	char err[512];
	int sites;

	s->reload = false;
	if (ad_settings_load(s->cli, &next, err, sizeof(err))) {
		ad_log(AD_LOG_ERR,
		       "SIGHUP: %s; the settings in effect are kept", err);
		ad_settings_free(&next);
		return;
	}
	file = next.file ? next.file : AD_DEFAULT_CONFIG " (absent)";
	ad_log(AD_LOG_INFO, "SIGHUP: reading %s", file);
	log_restart_only(&s->set.opts, &next.opts, file);
	ad_log_set_level((enum ad_log_prio)next.cfg.log_level);
	/* Read by the loop only, for each request (conn_readable()). */
	s->set.cfg.stuck_after_ns = next.cfg.stuck_after_ns;
	obs_write_lock(s);
	for (size_t i = 0; i < s->set.ntargets; i++) {
		const char *t = s->set.targets[i];

		if (ad_settings_has_target(&next, t))
			continue;
		sites = ad_observer_forget_path(s->obs, t);
		ad_log(AD_LOG_INFO,
		       "detached %d probe sites of %s (no longer a target in "
		       "%s)",
		       sites, t, file);
	}
	/* Set's name, for attach_target()'s messages. */
	s->set.file = next.file;
	attach_file_targets(s, &next, &s->set);
	obs_unlock(s);
	/* The targets in effect now; the options stay (above). */
	for (size_t i = 0; i < s->set.ntargets; i++)
		free(s->set.targets[i]);
	free(s->set.targets);
	s->set.targets = next.targets;
	s->set.ntargets = next.ntargets;
	s->set.ctargets = next.ctargets;
	next.targets = NULL;
	next.ntargets = next.ctargets = 0;
	ad_settings_free(&next);
}

/* The fixed entries of the loop's poll set; the connections being read
 * follow. */
enum {
	PFD_LISTEN,
	PFD_SIGNAL,
	PFD_DONE,
	PFD_EVENTS,
	PFD_WATCH,
	PFD_FOUND,
	PFD_FIXED
};

static void run_loop(struct server *s)
{
	static struct pollfd pfd[PFD_FIXED + AD_SERVER_MAX_CONNS];
	static struct conn *polled[AD_SERVER_MAX_CONNS];
	uint64_t next_gc =
		(uint64_t)(ad_mono_ms() / 1000) + AD_SERVER_GC_INTERVAL_S;

	/* Loading and attaching freed memory into the heap too (libbpf's
	 * parse of the kernel's BTF): given back once idle. */
	ad_dumpmem_freed(&s->mem, ad_mono_ms());

	while (!s->stop) {
		uint64_t now = (uint64_t)(ad_mono_ms() / 1000);
		int timeout = now >= next_gc ? 0 : (int)(next_gc - now) * 1000;
		int64_t mem_due = ad_dumpmem_due_in_ms(&s->mem, ad_mono_ms()),
			pause = s->accept_resume_ms - ad_mono_ms(), conn_due;
		uint64_t slice;
		nfds_t n = PFD_FIXED;
		int rc;

		/* Before the poll set is made: it holds no closed fd. */
		conn_due = expire_conns(s, ad_mono_ms());
		pfd[PFD_LISTEN] =
			(struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		pfd[PFD_SIGNAL] =
			(struct pollfd){.fd = s->signal_fd, .events = POLLIN};
		pfd[PFD_DONE] = (struct pollfd){.fd = ad_pool_done_fd(&s->pool),
						.events = POLLIN};
		pfd[PFD_EVENTS] =
			(struct pollfd){.fd = s->events_fd, .events = POLLIN};
		pfd[PFD_WATCH] = (struct pollfd){
			.fd = ad_observer_watch_fd(s->obs), .events = POLLIN};
		pfd[PFD_FOUND] =
			(struct pollfd){.fd = ad_observer_discover_fd(s->obs),
					.events = POLLIN};
		for (size_t i = 0; i < AD_SERVER_MAX_CONNS; i++) {
			struct conn *k = &s->conns[i];

			if (!k->used || k->held)
				continue;
			polled[n - PFD_FIXED] = k;
			pfd[n++] = (struct pollfd){.fd = k->c.fd,
						   .events = POLLIN};
		}
		/* The memory is given back only while no dump runs. */
		if (mem_due >= 0 && mem_due < timeout && !s->njobs)
			timeout = (int)mem_due;
		/* Out of descriptors, or as many connections as allowed: not
		 * accepting for a while (poll skips a negative fd). */
		if (pause > 0) {
			pfd[PFD_LISTEN].fd = -1;
			if (pause < timeout)
				timeout = (int)pause;
		}
		if (s->nconns >= AD_SERVER_MAX_CONNS)
			pfd[PFD_LISTEN].fd = -1;
		if (conn_due >= 0 && conn_due < timeout)
			timeout = (int)conn_due;

		/* Pending reclaim work or slots still to make ready (a batch
		 * per turn: dumps wait for the lock one batch at most): only
		 * look, do not wait. */
		if (ad_observer_reclaim_pending(s->obs) != AD_RECLAIM_NONE ||
		    ad_observer_refill_due(s->obs))
			timeout = 0;
		rc = poll(pfd, n, timeout);
		if (rc < 0 && errno != EINTR) {
			ad_log(AD_LOG_ERR, "poll: %s", strerror(errno));
			s->stop = true;
			break;
		}
		if (rc > 0 && pfd[PFD_SIGNAL].revents)
			handle_signals(s);
		if (s->stop)
			break;
		if (s->reload)
			reload(s);
		/* Events first (a few µs each): a process that took a slot
		 * gets it replaced before the next one starts, and one that
		 * exited has its maps dropped. */
		if (rc > 0 && s->events_fd >= 0 && pfd[PFD_EVENTS].revents) {
			int h;

			obs_write_lock(s);
			h = ad_observer_handle_events(s->obs);
			if (h < 0)
				ad_log(AD_LOG_WARN, "reading BPF events: %s",
				       strerror(-h));
			refill(s);
			obs_unlock(s);
		}
		/* A watched file written or about to run: held execs wait
		 * for this. */
		if (rc > 0 && pfd[PFD_WATCH].fd >= 0 &&
		    pfd[PFD_WATCH].revents) {
			int h;

			obs_write_lock(s);
			h = ad_observer_watch_handle(s->obs, watch_note_log, s);
			obs_unlock(s);
			if (h < 0)
				ad_log(AD_LOG_WARN,
				       "reading file change notifications: %s",
				       strerror(-h));
		}
		/* A file mapped executable for the first time: attached if it
		 * has probes. */
		if (rc > 0 && pfd[PFD_FOUND].fd >= 0 &&
		    pfd[PFD_FOUND].revents) {
			int h;

			obs_write_lock(s);
			h = ad_observer_discover_handle(s->obs, found_note, s);
			obs_unlock(s);
			if (h < 0)
				ad_log(AD_LOG_WARN,
				       "discovery: reading mappings: %s",
				       strerror(-h));
		}
		if (rc > 0 && pfd[PFD_DONE].revents)
			reap_jobs(s);
		/* Request lines as they come, then new clients. */
		for (nfds_t i = PFD_FIXED; rc > 0 && i < n; i++)
			if (pfd[i].revents && polled[i - PFD_FIXED]->used)
				conn_readable(s, polled[i - PFD_FIXED]);
		if (rc > 0 && pfd[PFD_LISTEN].fd >= 0 &&
		    pfd[PFD_LISTEN].revents)
			accept_clients(s);
		dispatch(s);
		if (!s->njobs)
			release_dump_memory(s);
		if (ad_observer_refill_due(s->obs)) {
			obs_write_lock(s);
			refill(s);
			obs_unlock(s);
		}
		if ((uint64_t)(ad_mono_ms() / 1000) >= next_gc) {
			obs_write_lock(s);
			ad_observer_gc(s->obs);
			refill(s); /* retries a refill that failed */
			obs_unlock(s);
			next_gc = (uint64_t)(ad_mono_ms() / 1000) +
				  AD_SERVER_GC_INTERVAL_S;
		}
		/* Urgent work gets as long as the dumps read the observer
		 * since the last slice (see above). */
		slice = AD_RECLAIM_SLICE_NS;
		if (ad_observer_reclaim_pending(s->obs) == AD_RECLAIM_URGENT &&
		    (uint64_t)s->collect_us * 1000 > slice)
			slice = (uint64_t)s->collect_us * 1000;
		if (slice > AD_RECLAIM_SLICE_MAX_NS)
			slice = AD_RECLAIM_SLICE_MAX_NS;
		if (ad_observer_reclaim_pending(s->obs) != AD_RECLAIM_NONE) {
			obs_write_lock(s);
			reclaim(s, slice);
			obs_unlock(s);
			s->collect_us = 0;
		}
	}
}

/* Stopping: no more clients; requests still being read or waiting are
 * answered, the workers finish what they run (within their send
 * deadline), then the rest of the finished dumps are counted. */
static void stop_serving(struct server *s)
{
	for (size_t i = 0; i < AD_SERVER_MAX_CONNS; i++) {
		struct conn *k = &s->conns[i];

		if (!k->used)
			continue;
		if (k->held)
			ad_answer_err(k->c.fd, AD_EXIT_FAILURE,
				      "the observer is stopping: try again "
				      "once it is back");
		conn_close(s, k);
	}
	ad_pool_stop(&s->pool);
	reap_jobs(s);
}

/* ---- setup, teardown -------------------------------------------------- */

/* What the kernel can do, and the variant of the programs chosen: logged
 * before they are loaded. */
static int probe_kernel(struct ad_features *f)
{
	char err[512], line[256];
	int rc = ad_features_probe(f, err, sizeof(err));

	if (rc == -ENOTSUP)
		ad_log(AD_LOG_ERR, "%s", err);
	else if (rc < 0)
		ad_log(AD_LOG_ERR, "cannot probe the kernel's BPF features: %s",
		       err);
	if (rc < 0)
		return ad_exit_code(rc, AD_EXIT_ATTACH);
	for (unsigned int i = 0; ad_features_line(f, i, line, sizeof(line));
	     i++)
		ad_log(AD_LOG_INFO, "kernel: %s", line);
	return AD_EXIT_OK;
}

/* No file and no process is named to observe, anywhere. */
static bool names_nothing(const struct server *s)
{
	const struct ad_options *o = &s->set.opts;

	return !o->nattach_paths && !o->nattach_pids && !s->set.cfg.ntargets;
}

/* --discovery (or discovery = in the file): auto is on when nothing is
 * named to observe. */
static bool discovery_on(const struct server *s)
{
	switch (s->set.opts.discovery) {
	case AD_DISCOVERY_ON:
		return true;
	case AD_DISCOVERY_OFF:
		return false;
	default:
		return names_nothing(s);
	}
}

/* The kernel's features, then the BPF observer loaded: nothing attached. */
static int load_observer(struct server *s)
{
	const struct ad_options *o = s->opts;
	struct ad_features feat;
	char err[512], note[1024] = "";
	struct ad_observer_opts oo = {
		.max_frames = o->max_frames,
		.max_tasks = o->max_tasks,
		.max_procs = o->max_procs,
		.max_slots = o->max_slots,
		.max_big = o->max_big ? o->max_big : AD_OBS_BIG_NONE,
		.label_max = o->label_max,
		.fd_reserve = AD_SERVER_FD_RESERVE,
		.features = &feat,
		.on_proc = proc_note_log,
		.on_proc_ctx = s,
		.state_dir = o->state_dir,
		.state_note = note,
		.state_note_len = sizeof(note),
	};
	int rc;

	rc = probe_kernel(&feat);
	if (rc != AD_EXIT_OK)
		return rc;
	rc = ad_observer_open(&oo, &s->obs, err, sizeof(err));
	if (rc < 0) {
		ad_log(AD_LOG_ERR, "cannot load the BPF observer: %s", err);
		return ad_exit_code(rc, AD_EXIT_ATTACH);
	}
	if (note[0])
		ad_log(AD_LOG_WARN, "%s", note);
	ad_log(AD_LOG_INFO,
	       "observer loaded: max_frames=%u max_tasks=%u (per process) "
	       "max_procs=%u max_slots=%u max_big=%u label_max=%u",
	       o->max_frames, o->max_tasks, o->max_procs, o->max_slots,
	       o->max_big, o->label_max);
	if (o->state_dir)
		ad_log(AD_LOG_INFO, "%s",
		       ad_observer_pinned_line(s->obs, note, sizeof(note)));
	return AD_EXIT_OK;
}

/* An adopted store's attachments that no target and no process wants any
 * more (a target removed from the config across the restart, a file
 * discovered once whose processes all exited): detached. */
static void drop_unclaimed(struct server *s)
{
	int n = ad_obs_drop_unclaimed(s->obs);

	if (n > 0)
		ad_log(AD_LOG_INFO,
		       "detached %d probe sites adopted from the pinned store "
		       "that no target or process uses any more",
		       n);
}

/* The probes: named files, the [targets] of the file, named processes,
 * then discovery's scan, then what an adopted store had that none of
 * those wants. */
static int attach_all(struct server *s)
{
	const struct ad_options *o = s->opts;
	char err[512];
	int rc;

	for (size_t i = 0; i < o->nattach_paths; i++)
		if (attach_target(s, o->attach_paths[i], false))
			return AD_EXIT_ATTACH;
	attach_file_targets(s, &s->set, NULL);
	for (size_t i = 0; i < o->nattach_pids; i++) {
		rc = ad_observer_attach_pid(s->obs, o->attach_pids[i], err,
					    sizeof(err));
		if (rc < 0) {
			ad_log(AD_LOG_ERR, "cannot attach to process %d: %s",
			       (int)o->attach_pids[i], err);
			return AD_EXIT_ATTACH;
		}
		ad_log(AD_LOG_INFO, "attached %d probe sites in process %d", rc,
		       (int)o->attach_pids[i]);
	}
	if (s->discovery)
		discover_start(s);
	drop_unclaimed(s);
	return AD_EXIT_OK;
}

/* The dump workers, the lock they share with the loop and the loop's
 * table of connections. */
static int start_workers(struct server *s)
{
	pthread_rwlockattr_t attr;
	int e;

	s->conns = calloc(AD_SERVER_MAX_CONNS, sizeof(*s->conns));
	if (!s->conns) {
		ad_log(AD_LOG_ERR, "out of memory for the connection table");
		return AD_EXIT_FAILURE;
	}
	/* The loop's writes (events, slot refills, sweep slices) must not
	 * wait behind a stream of dumps: readers arriving while it waits
	 * queue after it. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	e = pthread_rwlock_init(&s->obs_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (!e) {
		e = -ad_pool_start(&s->pool, s->obs, &s->obs_lock);
		if (e)
			pthread_rwlock_destroy(&s->obs_lock);
	}
	if (e) {
		ad_log(AD_LOG_ERR, "cannot start the dump workers: %s",
		       strerror(e));
		return AD_EXIT_FAILURE;
	}
	s->pool_started = true;
	return AD_EXIT_OK;
}

int ad_server_run(const struct ad_options *cli)
{
	struct server s = {
		.cli = cli,
		.listen_fd = -1,
		.signal_fd = -1,
		.events_fd = -1,
		.reserve_fd = -1,
		.refused_rl = AD_RATELIMIT_INIT(AD_REFUSED_LOG_BURST,
						AD_REFUSED_LOG_PER_S),
		.store_rl = AD_RATELIMIT_INIT(AD_REFUSED_LOG_BURST,
					      AD_REFUSED_LOG_PER_S),
		.watch_rl = AD_RATELIMIT_INIT(AD_REFUSED_LOG_BURST,
					      AD_REFUSED_LOG_PER_S),
		.life_rl = AD_RATELIMIT_INIT(AD_REFUSED_LOG_BURST,
					     AD_REFUSED_LOG_PER_S),
		.found_rl = AD_RATELIMIT_INIT(AD_REFUSED_LOG_BURST,
					      AD_REFUSED_LOG_PER_S),
	};
	const struct ad_options *opts = &s.set.opts;
	char err[512];
	struct stat st;
	int code, lock_fd = -1;
	bool stopped = false, pinned = false;
	int64_t detach_ms;

	ad_dumpmem_setup(&s.mem);
	raise_nofile();
	reserve_fd(&s);
	/* Signals are blocked before anything slow, so a SIGTERM during
	 * loading is seen by the loop rather than killing us mid-attach. */
	if (setup_signals(&s)) {
		ad_log(AD_LOG_ERR,
		       "cannot set up signal handling (signalfd): %s; check "
		       "the file-descriptor limit (ulimit -n)",
		       strerror(errno));
		return AD_EXIT_FAILURE;
	}
	/* The config file, then what there is to observe: a bad line or
	 * nothing to observe is a bad command line (exit 2), said before the
	 * slow BPF load. */
	code = ad_settings_load(cli, &s.set, err, sizeof(err));
	s.opts = opts;
	if (code) {
		ad_log(AD_LOG_ERR, "%s", err);
		code = ad_exit_code(code, AD_EXIT_USAGE);
		goto out;
	}
	if (s.set.file)
		ad_log_set_level((enum ad_log_prio)s.set.cfg.log_level);
	s.discovery = discovery_on(&s);
	if (!s.discovery && names_nothing(&s)) {
		ad_log(AD_LOG_ERR,
		       "nothing to observe: discovery is off and nothing is "
		       "named: name a file with --attach PATH, a process with "
		       "--attach-pid N, or files in the [targets] section of "
		       "%s, or turn discovery on (see asyncdumpd --help)",
		       s.set.file ? s.set.file : AD_DEFAULT_CONFIG);
		code = AD_EXIT_USAGE;
		goto out;
	}
	/* An unknown --dump-group is a bad command line: said before the
	 * slow BPF load. */
	code = ad_authorize_init(&s.access, opts->dump_group, err, sizeof(err));
	if (code) {
		ad_log(AD_LOG_ERR, "%s", err);
		code = ad_exit_code(code, AD_EXIT_USAGE);
		goto out;
	}
	/* Fail fast, before the slow BPF load, if another daemon serves
	 * here; the lock taken below settles a race between two starting. */
	if (ad_socket_check_free(opts->socket_path, err, sizeof(err))) {
		ad_log(AD_LOG_ERR, "%s", err);
		code = AD_EXIT_FAILURE;
		goto out;
	}
	code = load_observer(&s);
	if (code != AD_EXIT_OK)
		goto out;
	/* Locked once the load has shown we may use BPF, and before any
	 * probe is attached: of two daemons starting at once the loser has
	 * nothing to detach (seconds on a slow machine) and gives way at
	 * once. Once taken, PATH.lock stays, after a failed attach or listen
	 * too: removing a lock file reopens the race it closes
	 * (ad_socket_lock). */
	lock_fd = ad_socket_lock(opts->socket_path, err, sizeof(err));
	if (lock_fd < 0) {
		ad_log(AD_LOG_ERR, "%s", err);
		code = ad_exit_code(lock_fd, AD_EXIT_FAILURE);
		goto out;
	}
	code = attach_all(&s);
	if (code != AD_EXIT_OK)
		goto out;
	s.events_fd = ad_observer_events_fd(s.obs);
	code = start_workers(&s);
	if (code != AD_EXIT_OK)
		goto out;
	/* The socket comes last: a client that can connect gets dumps. */
	s.listen_fd = ad_socket_listen(opts->socket_path, err, sizeof(err));
	if (s.listen_fd < 0) {
		ad_log(AD_LOG_ERR, "%s", err);
		code = ad_exit_code(s.listen_fd, AD_EXIT_FAILURE);
		goto out;
	}
	if (stat(opts->socket_path, &st) == 0) {
		s.sock_dev = st.st_dev;
		s.sock_ino = st.st_ino;
	}
	ad_log(AD_LOG_INFO, "serving dumps on %s (pid %d)", opts->socket_path,
	       (int)getpid());
	if (s.access.has_group)
		ad_log(AD_LOG_INFO,
		       "group %s (gid %u) may dump any process, as "
		       "CAP_SYS_PTRACE may",
		       s.access.group_name, (unsigned)s.access.group);
	sd_notify(0, "READY=1");

	run_loop(&s);

	sd_notify(0, "STOPPING=1");
	/* No new client from now on; the ones connected are answered. */
	close(s.listen_fd);
	s.listen_fd = -1;
	ad_socket_remove(opts->socket_path, s.sock_dev, s.sock_ino);
	stop_serving(&s);
	/* Given up before the probes are detached, which takes a while (on
	 * Linux 6.18 about 0.1 s a probe site, one after the other): a new
	 * daemon may start meanwhile. */
	close(lock_fd);
	lock_fd = -1;
	code = AD_EXIT_OK;
	stopped = true;
	pinned = opts->state_dir != NULL; /* settings freed before the log */
out:
	if (s.pool_started) {
		ad_pool_stop(&s.pool);
		ad_pool_free(&s.pool);
		pthread_rwlock_destroy(&s.obs_lock);
	}
	free(s.conns);
	if (s.listen_fd >= 0)
		close(s.listen_fd);
	detach_ms = ad_mono_ms();
	if (s.obs)
		ad_observer_close(s.obs);
	detach_ms = ad_mono_ms() - detach_ms;
	if (s.signal_fd >= 0)
		close(s.signal_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	if (s.reserve_fd >= 0)
		close(s.reserve_fd);
	ad_settings_free(&s.set);
	/* Said once the probes are detached and the lock is free: a new
	 * daemon started after this line starts. */
	if (stopped && pinned)
		ad_log(AD_LOG_INFO,
		       "stopped after %lu dumps in %lld ms; the probes and "
		       "what they recorded stay pinned for the next daemon",
		       s.served, (long long)detach_ms);
	else if (stopped)
		ad_log(AD_LOG_INFO,
		       "stopped after %lu dumps (probes detached in %lld ms)",
		       s.served, (long long)detach_ms);
	return code;
}
