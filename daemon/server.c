/*
 * server.c - the daemon's socket, signal and request loop (see server.h).
 *
 * Logging: one line per event on stderr. Under systemd (JOURNAL_STREAM set)
 * each line carries a "<N>" syslog priority prefix, which journald turns
 * into the entry's priority; on a terminal the prefix is left out.
 */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"
#include "dumpmem.h"
#include "exit_codes.h"
#include "observer.h"
#include "protocol.h"
#include "render.h"

#define LOG_ERR_ 3
#define LOG_WARN_ 4
#define LOG_INFO_ 6

__attribute__((format(printf, 2, 3))) static void log_line(int prio,
							   const char *fmt, ...)
{
	static int journal = -1;
	char line[1024];
	va_list ap;

	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent writers never mix. */
	if (journal)
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "asyncdumpd: %s\n", line);
	fflush(stderr);
}

struct server {
	const struct ad_options *opts;
	struct ad_observer *obs;
	int listen_fd;
	int signal_fd;
	int events_fd;
	dev_t sock_dev;   /* identity of the socket file we bound, so exit */
	ino_t sock_ino;   /* never removes a successor's socket */
	bool stop;
	bool refill_failing; /* creating slot maps failed (logged once) */
	unsigned long served;
	unsigned long requests; /* dump requests that reached ad_dump() */
	struct ad_dumpmem mem; /* the dumps' and sweeps' memory, kept a while */
};

/* ---- socket ---------------------------------------------------------- */

/* mkdir -p of path's parent directory, 0755. */
static int make_parent_dirs(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot create directory %s: %s (use --socket PATH in a writable directory)",
		 dir, strerror(errno));
	return -errno;
}

/* Is something accepting connections at addr? */
static bool socket_is_live(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	close(fd);
	return live;
}

static bool socket_in_use(const char *path)
{
	struct sockaddr_un addr;
	struct stat st;

	if (ad_socket_addr(path, &addr) || lstat(path, &st) ||
	    !S_ISSOCK(st.st_mode))
		return false;
	return socket_is_live(&addr);
}

/* Takes an exclusive flock on "<socket>.lock", held until we exit (the
 * kernel drops it even on SIGKILL). Only the holder may replace a stale
 * socket, so two daemons starting at once cannot unlink each other's
 * fresh socket. The file is never removed: unlinking a lock file reopens
 * the very race it closes. Returns the fd, or -errno with err set. */
static int lock_socket_path(const char *path, char *err, size_t errlen)
{
	char lock[PATH_MAX];
	int fd, rc;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >= sizeof(lock)) {
		snprintf(err, errlen, "socket path %s is too long: use a shorter --socket PATH", path);
		return -ENAMETOOLONG;
	}
	rc = make_parent_dirs(path, err, errlen);
	if (rc)
		return rc;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open lock file %s.lock: %s (use --socket PATH in a writable directory)",
			 path, strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
		if (rc == -EADDRINUSE)
			snprintf(err, errlen, "another asyncdumpd is running at %s: stop it first, or use another --socket PATH",
				 path);
		else
			snprintf(err, errlen, "cannot lock %s.lock: %s (use --socket PATH on a local file system)",
				 path, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

int ad_server_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr;
	struct stat st;
	mode_t old_umask;
	int fd, rc;

	if (ad_socket_addr(path, &addr)) {
		snprintf(err, errlen, "socket path %s is longer than %zu bytes: use a shorter --socket PATH",
			 path, sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	rc = make_parent_dirs(path, err, errlen);
	if (rc)
		return rc;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket: remove it or use another --socket PATH",
				 path);
			return -EEXIST;
		}
		if (socket_is_live(&addr)) {
			snprintf(err, errlen, "another asyncdumpd is running at %s: stop it first, or use another --socket PATH",
				 path);
			return -EADDRINUSE;
		}
		/* Left behind by a daemon that was killed: replace it. */
		unlink(path);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a unix socket: %s (check the service's RestrictAddressFamilies= and file-descriptor limits)",
			 strerror(errno));
		return rc;
	}
	/* 0600 from the moment it exists: dumps expose process memory. */
	old_umask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (rc == 0)
		rc = chmod(path, 0600);
	if (rc == 0)
		rc = listen(fd, 16);
	if (rc) {
		rc = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path,
			 strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

/* ---- one request ------------------------------------------------------ */

static void send_err(int fd, int code, const char *msg)
{
	char line[AD_PROTO_MAX_LINE];
	int n = ad_response_err(code, msg, line, sizeof(line));

	if (n > 0)
		ad_send_all(fd, line, (size_t)n);
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void)
{
	return mono_us() / 1000;
}

/* Reads one request line (up to and including '\n'). Returns its length,
 * 0 if the client closed without sending anything (a liveness check), or
 * -1 if it sent too much, an incomplete line, or did not send the whole
 * line within AD_SERVER_IO_TIMEOUT_S. The deadline is for the whole line,
 * not per recv(): a client trickling a byte at a time must not hold the
 * single-threaded loop for minutes. */
static ssize_t read_request(int fd, char *buf, size_t buflen)
{
	int64_t deadline = mono_ms() + AD_SERVER_IO_TIMEOUT_S * 1000;
	size_t got = 0;

	while (got < buflen) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - mono_ms();
		ssize_t n;
		int rc;

		if (left <= 0)
			return -1;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		n = recv(fd, buf + got, buflen - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0 && got == 0)
			return 0;
		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			return (ssize_t)((char *)memchr(buf, '\n', got) - buf + 1);
	}
	return -1;
}

/* The access policy goes here (a later issue: per-uid rules, "may this
 * peer dump that process"). Today the socket's 0600 mode is the policy:
 * only root can connect. Returns AD_EXIT_OK or a code with msg set. */
static int authorize(const struct ucred *peer, const struct ad_request *req,
		     char *msg, size_t msglen)
{
	(void)peer;
	(void)req;
	(void)msg;
	(void)msglen;
	return AD_EXIT_OK;
}

static const char *format_name(enum ad_format f)
{
	return f == AD_FORMAT_JSON ? "json" : "text";
}

static void serve_client(struct server *s, int fd)
{
	struct timeval tv = {.tv_sec = AD_SERVER_IO_TIMEOUT_S};
	int sndbuf = 4 << 20;
	struct ucred peer = {0};
	socklen_t plen = sizeof(peer);
	char line[AD_PROTO_MAX_LINE], msg[AD_PROTO_MAX_MSG];
	struct ad_request req;
	struct ad_dump_times tm = {0};
	ssize_t len;
	bool gone;
	int code;

	/* The accepted socket inherits nothing from the listener's
	 * O_NONBLOCK on Linux; the timeouts bound a stalled peer. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* Room for several render chunks in flight (the kernel caps it at
	 * net.core.wmem_max): the daemon blocks and the client wakes less
	 * often on a dump of hundreds of MB. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &plen))
		peer.pid = 0, peer.uid = (uid_t)-1;

	len = read_request(fd, line, sizeof(line));
	if (len == 0)
		return; /* e.g. another asyncdumpd checking the socket is live */
	if (len < 0) {
		log_line(LOG_WARN_, "client pid=%d uid=%d: no complete request line, dropped",
			 (int)peer.pid, (int)peer.uid);
		send_err(fd, AD_EXIT_USAGE, "request too long or incomplete");
		return;
	}
	if (ad_request_parse(line, (size_t)len, &req, msg, sizeof(msg))) {
		log_line(LOG_WARN_, "client pid=%d uid=%d: bad request: %s",
			 (int)peer.pid, (int)peer.uid, msg);
		char full[AD_PROTO_MAX_MSG];
		snprintf(full, sizeof(full), "bad request: %.300s (client and daemon versions differ?)", msg);
		send_err(fd, AD_EXIT_USAGE, full);
		return;
	}
	code = authorize(&peer, &req, msg, sizeof(msg));
	if (code == AD_EXIT_OK) {
		s->requests++;
		code = ad_dump(s->obs, fd, &req, &tm, &gone, msg, sizeof(msg));
	}
	if (code) {
		log_line(LOG_WARN_, "dump pid=%d format=%s for client pid=%d uid=%d: error: %s",
			 (int)req.pid, format_name(req.format), (int)peer.pid,
			 (int)peer.uid, msg);
		send_err(fd, code, msg);
		return;
	}
	if (gone) {
		log_line(LOG_WARN_, "client pid=%d went away during the dump of pid=%d",
			 (int)peer.pid, (int)req.pid);
		return;
	}
	/* Where the time went: a slow dump says which phase to look at. */
	log_line(LOG_INFO_,
		 "dump pid=%d format=%s for client pid=%d uid=%d: ok, %zu frames "
		 "%zu tasks %zu bytes; ms: collect %.1f rebuild %.1f "
		 "render+send %.1f free %.1f",
		 (int)req.pid, format_name(req.format), (int)peer.pid,
		 (int)peer.uid, tm.frames, tm.tasks, tm.bytes,
		 (double)tm.collect_us / 1e3, (double)tm.rebuild_us / 1e3,
		 (double)tm.render_us / 1e3, (double)tm.free_us / 1e3);
	s->served++;
}

static void accept_clients(struct server *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_line(LOG_WARN_, "accept: %s", strerror(errno));
			return;
		}
		serve_client(s, fd);
		close(fd);
	}
}

/* ---- signals, loop ---------------------------------------------------- */

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
			log_line(LOG_INFO_, "%s from pid %u: stopping",
				 si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM",
				 si.ssi_pid);
			s->stop = true;
			break;
		case SIGHUP:
			/* Where a config reload will go (systemd issue). */
			log_line(LOG_INFO_, "SIGHUP: reload not supported yet, ignored");
			break;
		}
	}
}

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* Sweeps run in slices between the loop's other work (observer.h): a
 * dump waits for at most one slice, not for a walk over a million records
 * or a million deletes. A slice is AD_RECLAIM_SLICE_NS. Urgent work (dead
 * records to delete) gets as long as the dumps just served, up to
 * AD_RECLAIM_SLICE_MAX_NS: back-to-back dumps must not starve it, because
 * dead records fill the maps (the probes lose records) and every dump
 * walks over them. Measured with a process exiting with a million frames
 * while a 1k-frame one was dumped every 10 ms: with slices capped at 50 ms
 * the deletes took over 6 s and the small dumps stayed at ~260 ms
 * throughout; sharing the time evenly they took ~4 s, after which the
 * dumps took ~25 ms. The periodic sweep's walk, which usually finds
 * nothing, stays in the background: a 1M-frame dump arriving during it
 * waited up to 250 ms with even sharing. */
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
		ad_dumpmem_freed(&s->mem, mono_ms());
	if (rc < 0)
		log_line(LOG_WARN_, "sweep: %s", strerror(-rc));
	else if (rc > 0 && ((st.full && st.deleted) || st.slots_released ||
			    st.judge_ns + st.delete_ns >= AD_SLOW_SWEEP_NS))
		log_line(LOG_INFO_,
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
			log_line(LOG_WARN_, "%s", err);
		s->refill_failing = true;
	} else if (s->refill_failing) {
		log_line(LOG_INFO_, "process slots are being created again");
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
	int64_t now = mono_ms();
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
		log_line(LOG_INFO_,
			 "idle for %d s: gave the memory no longer used back to the system, resident %.1f MB -> %.1f MB",
			 AD_DUMPMEM_LINGER_MS / 1000, before, after);
}

static void run_loop(struct server *s)
{
	uint64_t next_gc = mono_s() + AD_SERVER_GC_INTERVAL_S;

	/* Loading and attaching freed memory into the heap too (libbpf's
	 * parse of the kernel's BTF, about 10 MB): given back once idle. */
	ad_dumpmem_freed(&s->mem, mono_ms());

	while (!s->stop) {
		struct pollfd pfd[3] = {
			{.fd = s->listen_fd, .events = POLLIN},
			{.fd = s->signal_fd, .events = POLLIN},
			{.fd = s->events_fd, .events = POLLIN},
		};
		nfds_t n = s->events_fd >= 0 ? 3 : 2;
		uint64_t now = mono_s();
		int timeout = now >= next_gc ? 0 : (int)(next_gc - now) * 1000;
		int64_t served_us, mem_due = ad_dumpmem_due_in_ms(&s->mem, mono_ms());
		uint64_t slice;
		int rc;

		if (mem_due >= 0 && mem_due < timeout)
			timeout = (int)mem_due;

		/* Pending reclaim work: only look, do not wait. */
		if (ad_observer_reclaim_pending(s->obs) != AD_RECLAIM_NONE)
			timeout = 0;
		rc = poll(pfd, n, timeout);
		if (rc < 0 && errno != EINTR) {
			log_line(LOG_ERR_, "poll: %s", strerror(errno));
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
				log_line(LOG_WARN_, "reading BPF events: %s",
					 strerror(-h));
			refill(s);
		}
		/* Then dumps: a client never waits for more than one slice
		 * of reclaim work. */
		served_us = 0;
		if (rc > 0 && pfd[0].revents) {
			int64_t t0 = mono_us();
			unsigned long requests = s->requests;

			accept_clients(s);
			served_us = mono_us() - t0;
			/* Any dump request, failed ones too, may have allocated;
			 * a liveness check (connect, close) has not. */
			if (s->requests != requests)
				ad_dumpmem_dumped(&s->mem, mono_ms());
		}
		release_dump_memory(s);
		if (mono_s() >= next_gc) {
			ad_observer_gc(s->obs);
			refill(s); /* retries a refill that failed */
			next_gc = mono_s() + AD_SERVER_GC_INTERVAL_S;
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

	if (rc == -ENOTSUP) {
		log_line(LOG_ERR_, "%s", err);
		return AD_EXIT_KERNEL;
	}
	if (rc < 0) {
		log_line(LOG_ERR_, "cannot probe the kernel's BPF features: %s", err);
		return (rc == -EPERM || rc == -EACCES) ? AD_EXIT_PERMISSION
		       : rc == -EINVAL		       ? AD_EXIT_USAGE
						       : AD_EXIT_ATTACH;
	}
	for (unsigned int i = 0; ad_features_line(f, i, line, sizeof(line)); i++)
		log_line(LOG_INFO_, "kernel: %s", line);
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
		log_line(LOG_ERR_, "cannot load the BPF observer: %s", err);
		return (rc == -EPERM || rc == -EACCES) ? AD_EXIT_PERMISSION
						       : AD_EXIT_ATTACH;
	}
	log_line(LOG_INFO_, "observer loaded: max_frames=%u max_tasks=%u (per process) "
		 "max_procs=%u max_slots=%u label_max=%u",
		 o->max_frames, o->max_tasks, o->max_procs, o->max_slots,
		 o->label_max);
	for (size_t i = 0; i < o->nattach_paths; i++) {
		rc = ad_observer_attach_path(s->obs, o->attach_paths[i], -1,
					     err, sizeof(err));
		if (rc < 0) {
			log_line(LOG_ERR_, "cannot attach to %s: %s",
				 o->attach_paths[i], err);
			return AD_EXIT_ATTACH;
		}
		log_line(LOG_INFO_, "attached %d probe sites of %s (every process, now and later)",
			 rc, o->attach_paths[i]);
	}
	for (size_t i = 0; i < o->nattach_pids; i++) {
		rc = ad_observer_attach_pid(s->obs, o->attach_pids[i], err,
					    sizeof(err));
		if (rc < 0) {
			log_line(LOG_ERR_, "cannot attach to process %d: %s",
				 (int)o->attach_pids[i], err);
			return AD_EXIT_ATTACH;
		}
		log_line(LOG_INFO_, "attached %d probe sites in process %d",
			 rc, (int)o->attach_pids[i]);
	}
	return AD_EXIT_OK;
}

static void remove_socket(struct server *s)
{
	struct stat st;

	if (lstat(s->opts->socket_path, &st) == 0 &&
	    st.st_dev == s->sock_dev && st.st_ino == s->sock_ino)
		unlink(s->opts->socket_path);
}

int ad_server_run(const struct ad_options *opts)
{
	struct server s = {
		.opts = opts, .listen_fd = -1, .signal_fd = -1, .events_fd = -1,
	};
	char err[512];
	struct stat st;
	int code, lock_fd = -1;

	ad_dumpmem_setup(&s.mem);
	/* Signals are blocked before anything slow, so a SIGTERM during
	 * loading is seen by the loop rather than killing us mid-attach. */
	if (setup_signals(&s)) {
		log_line(LOG_ERR_, "cannot set up signal handling (signalfd): %s; check the file-descriptor limit (ulimit -n)",
			 strerror(errno));
		return AD_EXIT_FAILURE;
	}
	/* Fail fast, before the slow BPF load, if another daemon serves
	 * here; the lock taken below settles a race between two starting. */
	if (socket_in_use(opts->socket_path)) {
		log_line(LOG_ERR_, "another asyncdumpd is running at %s: stop it first, or use another --socket PATH",
			 opts->socket_path);
		code = AD_EXIT_FAILURE;
		goto out;
	}
	code = open_and_attach(&s);
	if (code != AD_EXIT_OK)
		goto out;
	s.events_fd = ad_observer_events_fd(s.obs);

	/* Locked only now, so a failed attach leaves no file behind. */
	lock_fd = lock_socket_path(opts->socket_path, err, sizeof(err));
	if (lock_fd < 0) {
		log_line(LOG_ERR_, "%s", err);
		code = lock_fd == -EACCES || lock_fd == -EPERM ? AD_EXIT_PERMISSION
							       : AD_EXIT_FAILURE;
		goto out;
	}
	/* The socket comes last: a client that can connect gets dumps. */
	s.listen_fd = ad_server_listen(opts->socket_path, err, sizeof(err));
	if (s.listen_fd < 0) {
		log_line(LOG_ERR_, "%s", err);
		code = s.listen_fd == -EACCES || s.listen_fd == -EPERM
			       ? AD_EXIT_PERMISSION
			       : AD_EXIT_FAILURE;
		goto out;
	}
	if (stat(opts->socket_path, &st) == 0) {
		s.sock_dev = st.st_dev;
		s.sock_ino = st.st_ino;
	}
	log_line(LOG_INFO_, "serving dumps on %s (pid %d)", opts->socket_path,
		 (int)getpid());
	sd_notify(0, "READY=1");

	run_loop(&s);

	sd_notify(0, "STOPPING=1");
	remove_socket(&s);
	log_line(LOG_INFO_, "stopped after %lu dumps", s.served);
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
	return code;
}
