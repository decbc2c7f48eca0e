// SPDX-License-Identifier: BSD-2-Clause
/*
 * server.c - the daemon (server.h): the kernel probed and the observer
 * loaded and attached, the socket made (listen.c), then one loop over
 * clients (request.c), signals, the observer's events and its reclaim
 * work, and the dumps' memory (core/dumpmem.h).
 */
#define _GNU_SOURCE
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/dumpmem.h"
#include "core/exit_codes.h"
#include "core/protocol.h"
#include "observer/attach.h"
#include "observer/kernel_features.h"
#include "observer/observer.h"
#include "observer/reclaim.h"
#include "observer/slots.h"
#include "server/authorize.h"
#include "server/listen.h"
#include "server/dump.h"
#include "server/log.h"
#include "server/request.h"

struct server {
	const struct ad_options *opts;
	struct ad_observer *obs;
	struct ad_access_policy access; /* who may dump what */
	int listen_fd;
	int signal_fd;
	int events_fd;
	dev_t sock_dev; /* identity of the socket file we bound, so exit */
	ino_t sock_ino; /* never removes a successor's socket */
	bool stop;
	bool refill_failing; /* creating slot maps failed (logged once) */
	/* Out of file descriptors (EMFILE, ENFILE): a descriptor held in
	 * reserve lets the daemon still answer the client that hit the limit;
	 * accepting then pauses until accept_resume_ms, doubling the pause
	 * while it lasts (nginx's way), and the log says so once. */
	int reserve_fd;
	bool fds_exhausted;
	int64_t accept_resume_ms;
	int accept_backoff_ms;
	unsigned long served;
	unsigned long requests; /* dump requests that reached ad_dump() */
	struct ad_dumpmem mem; /* the dumps' and sweeps' memory, kept a while */
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
	char line[AD_PROTO_MAX_LINE];
	int fd, n;

	if (s->reserve_fd >= 0) {
		close(s->reserve_fd);
		s->reserve_fd = -1;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			n = ad_response_err(AD_EXIT_FAILURE,
					    "the observer is out of file "
					    "descriptors: try again later, and "
					    "see its log",
					    line, sizeof(line));
			if (n > 0)
				ad_send_all(fd, line, (size_t)n);
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

static void accept_clients(struct server *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		enum ad_served r;

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
		r = ad_serve_client(s->obs, &s->access, fd);
		close(fd);
		s->requests += r != AD_SERVED_NOTHING;
		s->served += r == AD_SERVED_DUMP;
	}
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
			/* Where a config reload will go (systemd issue). */
			ad_log(AD_LOG_INFO,
			       "SIGHUP: reload not supported yet, ignored");
			break;
		}
	}
}

/* Sweeps run in slices between the loop's other work (observer.h): a
 * dump waits for at most one slice, not for a walk over a million records
 * or a million deletes. A slice is AD_RECLAIM_SLICE_NS. Urgent work (dead
 * records to delete) gets as long as the dumps just served, up to
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

static void run_loop(struct server *s)
{
	uint64_t next_gc =
		(uint64_t)(ad_mono_ms() / 1000) + AD_SERVER_GC_INTERVAL_S;

	/* Loading and attaching freed memory into the heap too (libbpf's
	 * parse of the kernel's BTF): given back once idle. */
	ad_dumpmem_freed(&s->mem, ad_mono_ms());

	while (!s->stop) {
		struct pollfd pfd[3] = {
			{.fd = s->listen_fd, .events = POLLIN},
			{.fd = s->signal_fd, .events = POLLIN},
			{.fd = s->events_fd, .events = POLLIN},
		};
		nfds_t n = s->events_fd >= 0 ? 3 : 2;
		uint64_t now = (uint64_t)(ad_mono_ms() / 1000);
		int timeout = now >= next_gc ? 0 : (int)(next_gc - now) * 1000;
		int64_t served_us,
			mem_due = ad_dumpmem_due_in_ms(&s->mem, ad_mono_ms()),
			pause = s->accept_resume_ms - ad_mono_ms();
		uint64_t slice;
		int rc;

		if (mem_due >= 0 && mem_due < timeout)
			timeout = (int)mem_due;
		/* Out of descriptors: not accepting for a while (poll skips
		 * a negative fd). */
		if (pause > 0) {
			pfd[0].fd = -1;
			if (pause < timeout)
				timeout = (int)pause;
		}

		/* Pending reclaim work: only look, do not wait. */
		if (ad_observer_reclaim_pending(s->obs) != AD_RECLAIM_NONE)
			timeout = 0;
		rc = poll(pfd, n, timeout);
		if (rc < 0 && errno != EINTR) {
			ad_log(AD_LOG_ERR, "poll: %s", strerror(errno));
			s->stop = true;
			break;
		}
		if (rc > 0 && pfd[1].revents)
			handle_signals(s);
		if (s->stop)
			break;
		/* Events first (a few µs each): a process that took a slot
		 * gets it replaced before the next one starts, and one that
		 * exited has its maps dropped. */
		if (rc > 0 && n == 3 && pfd[2].revents) {
			int h = ad_observer_handle_events(s->obs);

			if (h < 0)
				ad_log(AD_LOG_WARN, "reading BPF events: %s",
				       strerror(-h));
			refill(s);
		}
		/* Then dumps: a client never waits for more than one slice
		 * of reclaim work. */
		served_us = 0;
		if (rc > 0 && pfd[0].revents) {
			int64_t t0 = ad_mono_us();
			unsigned long requests = s->requests;

			accept_clients(s);
			served_us = ad_mono_us() - t0;
			/* Any dump request, failed ones too, may have allocated;
			 * a liveness check (connect, close) has not. */
			if (s->requests != requests)
				ad_dumpmem_dumped(&s->mem, ad_mono_ms());
		}
		release_dump_memory(s);
		if ((uint64_t)(ad_mono_ms() / 1000) >= next_gc) {
			ad_observer_gc(s->obs);
			refill(s); /* retries a refill that failed */
			next_gc = (uint64_t)(ad_mono_ms() / 1000) +
				  AD_SERVER_GC_INTERVAL_S;
		}
		slice = AD_RECLAIM_SLICE_NS;
		if (ad_observer_reclaim_pending(s->obs) == AD_RECLAIM_URGENT &&
		    (uint64_t)served_us * 1000 > slice)
			slice = (uint64_t)served_us * 1000;
		if (slice > AD_RECLAIM_SLICE_MAX_NS)
			slice = AD_RECLAIM_SLICE_MAX_NS;
		reclaim(s, slice);
	}
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

static int open_and_attach(struct server *s)
{
	const struct ad_options *o = s->opts;
	struct ad_features feat;
	struct ad_observer_opts oo = {
		.max_frames = o->max_frames,
		.max_tasks = o->max_tasks,
		.max_procs = o->max_procs,
		.max_slots = o->max_slots,
		.label_max = o->label_max,
		.features = &feat,
	};
	char err[512];
	int rc;

	rc = probe_kernel(&feat);
	if (rc != AD_EXIT_OK)
		return rc;
	rc = ad_observer_open(&oo, &s->obs, err, sizeof(err));
	if (rc < 0) {
		ad_log(AD_LOG_ERR, "cannot load the BPF observer: %s", err);
		return ad_exit_code(rc, AD_EXIT_ATTACH);
	}
	ad_log(AD_LOG_INFO,
	       "observer loaded: max_frames=%u max_tasks=%u (per process) "
	       "max_procs=%u max_slots=%u label_max=%u",
	       o->max_frames, o->max_tasks, o->max_procs, o->max_slots,
	       o->label_max);
	for (size_t i = 0; i < o->nattach_paths; i++) {
		rc = ad_observer_attach_path(s->obs, o->attach_paths[i], -1,
					     err, sizeof(err));
		if (rc < 0) {
			ad_log(AD_LOG_ERR, "cannot attach to %s: %s",
			       o->attach_paths[i], err);
			return AD_EXIT_ATTACH;
		}
		ad_log(AD_LOG_INFO,
		       "attached %d probe sites of %s (every process, now and "
		       "later)",
		       rc, o->attach_paths[i]);
	}
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
	return AD_EXIT_OK;
}

int ad_server_run(const struct ad_options *opts)
{
	struct server s = {
		.opts = opts,
		.listen_fd = -1,
		.signal_fd = -1,
		.events_fd = -1,
		.reserve_fd = -1,
	};
	char err[512];
	struct stat st;
	int code, lock_fd = -1;

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
	code = open_and_attach(&s);
	if (code != AD_EXIT_OK)
		goto out;
	s.events_fd = ad_observer_events_fd(s.obs);

	/* Locked only now, so a failed attach leaves no file behind. Once
	 * taken, PATH.lock stays, after a failed listen too: removing a lock
	 * file reopens the race it closes (ad_socket_lock). */
	lock_fd = ad_socket_lock(opts->socket_path, err, sizeof(err));
	if (lock_fd < 0) {
		ad_log(AD_LOG_ERR, "%s", err);
		code = ad_exit_code(lock_fd, AD_EXIT_FAILURE);
		goto out;
	}
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
	ad_socket_remove(opts->socket_path, s.sock_dev, s.sock_ino);
	ad_log(AD_LOG_INFO, "stopped after %lu dumps", s.served);
	code = AD_EXIT_OK;
out:
	if (s.listen_fd >= 0)
		close(s.listen_fd);
	if (s.obs)
		ad_observer_close(s.obs);
	if (s.signal_fd >= 0)
		close(s.signal_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	if (s.reserve_fd >= 0)
		close(s.reserve_fd);
	return code;
}
