// SPDX-License-Identifier: BSD-2-Clause
/*
 * uv_server - a libuv TCP server instrumented the recommended way (README,
 * "Instrumenting an executor"): one task per connection, every libuv
 * callback run on its behalf one poll of that task, frames for what it
 * waits on, threadpool work a task of its own.
 *
 *   uv_server [PORT]        listens on 127.0.0.1:PORT (default 0: any)
 *
 * Prints "READY <pid> <port>" once it listens. Line protocol, one reply
 * line per request, requests of one connection handled in order:
 *   echo <text>       replies <text>
 *   sleep <ms>        a uv_timer; replies "slept <ms>"
 *   work <name>       uv_queue_work whose work blocks until released;
 *                     replies "worked <name>"
 *   release <name>    releases every job of that name (from any
 *                     connection); replies "released <name> <count>"
 * When stdin closes (EOF) it releases every job, cancels pending timers,
 * closes the listener and every connection once its request is done, and
 * exits 0 when the loop has nothing left.
 *
 * What a dump shows:
 *   task "listener"                 accept on 127.0.0.1:PORT (long-running)
 *   task "conn 127.0.0.1:PEERPORT"  spawned by the listener at that frame
 *     read request                  waiting for a request line, or
 *     <the request line>            a request being served, inside it
 *       timer <ms>ms                a pending uv_timer, or
 *       threadpool: <name>          work queued or running on the pool
 *   task "job <name>"               spawned by the connection at its
 *                                   threadpool frame; idle and never polled
 *                                   while queued, running on the pool
 *                                   thread's tid while it runs:
 *     wait for release
 *
 * Threadpool work. work_cb runs on a pool thread while the loop thread may
 * poll the connection again (its write callbacks, a close at shutdown), so
 * the pool thread must not POLL_BEGIN the connection: two threads would
 * run one task at once and the dump could only mark those frames
 * `concurrent`. Instead the work is a task of its own, spawned on the
 * loop thread when it is queued (parent: the connection and its
 * threadpool frame) and polled only on the pool thread. Code run by the
 * work (here job_run's ASYNCDUMP_SCOPE, in a real server any instrumented
 * library) then uses the plain macros and its frames land in the job's
 * tree, and the job shows which pool thread runs it. The connection's
 * threadpool frame spans queued and running and ends in after_work_cb, a
 * poll of the connection on the loop thread.
 *
 * Frames spanning callbacks. A request's frames are entered in one
 * callback and exited in another, so every one is entered with
 * ASYNCDUMP_ENTER_AT naming its task and its parent (the README's rule
 * for callback code): the tree never depends on which frame happened to
 * be innermost when a callback ran.
 *
 * Call sites. The frames of waits are entered by small wrappers (uvd_*)
 * around the libuv calls. Each is called through a macro that passes
 * ASYNCDUMP_HERE(), so the frame's file, line and function are those of
 * the server code that started the wait, not of the wrapper. Each such
 * call is kept on one line: for a macro call spread over lines gcc records
 * the line of its name, clang the line of its closing parenthesis.
 */
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <uv.h>

#include "asyncdump.h"

#define CONTAINER_OF(p, type, member)                                          \
	((type *)(void *)((char *)(p)-offsetof(type, member)))

/* ---------------------------------------------------------------------
 * uvd: libuv calls that start a wait, each entering the frame of that
 * wait at its caller's site, and the calls that end it. A frame's id is
 * the address of the handle waited on (of a byte of struct uvd_work for
 * threadpool work, whose address is the work's task id). `task` and
 * `parent` name the task and the frame the wait belongs to (0: top
 * level). Called inside a poll of `task`, like any code of the task.
 * --------------------------------------------------------------------- */

/* uv_read_start, in a frame "read request" until uvd_read_stop. */
#define UVD_READ_START(task, parent, stream, alloc_cb, read_cb)                \
	uvd_read_start_at(ASYNCDUMP_HERE(), task, parent, stream, alloc_cb,    \
			  read_cb)

static int uvd_read_start_at(const struct asyncdump_site *site,
			     const void *task, const void *parent,
			     uv_stream_t *stream, uv_alloc_cb alloc_cb,
			     uv_read_cb read_cb)
{
	int err = uv_read_start(stream, alloc_cb, read_cb);

	/* a literal label: recorded by address, read at dump time */
	if (!err)
		ASYNCDUMP_ENTER_AT_SITE(site, task, stream, parent,
					"read request", 0);
	return err;
}

static void uvd_read_stop(uv_stream_t *stream)
{
	uv_read_stop(stream);
	ASYNCDUMP_EXIT(stream);
}

/* A one-shot uv_timer_start, in a frame "timer <ms>ms" until the timer
 * fires (uvd_timer_fired, first thing in its callback) or is stopped
 * (uvd_timer_stop). */
#define UVD_TIMER_START(task, parent, timer, cb, ms)                           \
	uvd_timer_start_at(ASYNCDUMP_HERE(), task, parent, timer, cb, ms)

static int uvd_timer_start_at(const struct asyncdump_site *site,
			      const void *task, const void *parent,
			      uv_timer_t *timer, uv_timer_cb cb, uint64_t ms)
{
	char label[40] = "";
	int err = uv_timer_start(timer, cb, ms, 0);

	if (err)
		return err;
	if (ASYNCDUMP_ACTIVE()) /* format only when observed */
		snprintf(label, sizeof(label), "timer %llums",
			 (unsigned long long)ms);
	ASYNCDUMP_ENTER_AT_SITE(site, task, timer, parent, label,
				ASYNCDUMP_F_DYN);
	return 0;
}

static void uvd_timer_fired(uv_timer_t *timer)
{
	ASYNCDUMP_EXIT(timer);
}

/* Cancellation: the wait is dropped, its frame ends. */
static void uvd_timer_stop(uv_timer_t *timer)
{
	uv_timer_stop(timer);
	ASYNCDUMP_EXIT(timer);
}

/* uv_queue_work as a task of its own. The waiting task gets a frame
 * "threadpool: <name>" (id &w->frame) until uvd_work_done, called first
 * thing in after_work_cb; the work is a task "job <name>" (id w) spawned
 * now under that frame, polled by the pool thread around run(w) and
 * exited there when run returns (or by uvd_work_done if it never ran:
 * uv_cancel). Never a POLL_BEGIN of `task` on the pool thread: the loop
 * thread may be polling it. */
struct uvd_work {
	uv_work_t req;
	void (*run)(struct uvd_work *w); /* on a pool thread */
	char frame;			 /* id of the waiting task's frame */
	int ran;			 /* run(w) returned (pool thread) */
	char name[32];			 /* set by the caller */
};

#define UVD_QUEUE_WORK(task, parent, loop, w, run, after_cb)                   \
	uvd_queue_work_at(ASYNCDUMP_HERE(), task, parent, loop, w, run,        \
			  after_cb)

static void uvd_work_cb(uv_work_t *req)
{
	struct uvd_work *w = CONTAINER_OF(req, struct uvd_work, req);

	ASYNCDUMP_POLL_BEGIN(w);
	w->run(w);
	ASYNCDUMP_POLL_END(w);
	ASYNCDUMP_TASK_EXIT(w);
	/* read by after_work_cb on the loop thread, which libuv runs after
	 * this returns (its queue's lock orders the two) */
	w->ran = 1;
}

static int uvd_queue_work_at(const struct asyncdump_site *site,
			     const void *task, const void *parent,
			     uv_loop_t *loop, struct uvd_work *w,
			     void (*run)(struct uvd_work *),
			     uv_after_work_cb after_cb)
{
	char label[64] = "", job[64] = "";
	int err;

	w->run = run;
	w->ran = 0;
	if (ASYNCDUMP_ACTIVE()) {
		snprintf(label, sizeof(label), "threadpool: %s", w->name);
		snprintf(job, sizeof(job), "job %s", w->name);
	}
	/* Both before uv_queue_work: from then on a pool thread may poll
	 * the job. */
	ASYNCDUMP_ENTER_AT_SITE(site, task, &w->frame, parent, label,
				ASYNCDUMP_F_DYN);
	ASYNCDUMP_TASK_SPAWN_SITE(site, w, task, &w->frame, job);
	err = uv_queue_work(loop, &w->req, uvd_work_cb, after_cb);
	if (err) {
		ASYNCDUMP_TASK_EXIT(w);
		ASYNCDUMP_EXIT(&w->frame);
	}
	return err;
}

static void uvd_work_done(struct uvd_work *w)
{
	if (!w->ran) /* cancelled before a pool thread took it */
		ASYNCDUMP_TASK_EXIT(w);
	ASYNCDUMP_EXIT(&w->frame);
}

/* ---------------------------------------------------------------------
 * the server
 * --------------------------------------------------------------------- */

struct listener {
	uv_tcp_t tcp;
	char accept; /* frame id: accept on ... */
	char name[64];
};

struct conn {
	/* "conn 127.0.0.1:PORT"; the task id is the conn's address */
	char name[64];
	uv_tcp_t tcp;	  /* its address: the "read request" frame */
	uv_timer_t timer; /* its address: the "timer" frame */
	char request;	  /* frame id of the request being served */
	char buf[1024];	  /* bytes read, not yet handled */
	size_t len;
	char line[1024]; /* the request being served, its frame's label */
	int reading, busy, timer_pending, closing;
	int refs; /* open handles (2) and queued jobs */
	struct conn *prev, *next;
};

struct job {
	struct uvd_work w;
	struct conn *c;
	int released; /* under jobs_mu */
	struct job *prev, *next;
};

static uv_loop_t *loop;
static struct listener listener;
static uv_pipe_t stdin_pipe;
static struct conn *conns;
static int draining; /* stdin closed: every job released, no new one waits */

/* Jobs wait for a `release`; the pool threads and the loop share these. */
static uv_mutex_t jobs_mu;
static uv_cond_t jobs_cv;
static struct job *jobs;

static void conn_next(struct conn *c);

/* After the last callback of c (the task exits: a poll of an exited task
 * would bring it back, nameless). */
static void conn_free(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ASYNCDUMP_TASK_EXIT(c);
	free(c);
}

/* The last callbacks of a connection: its two handles closed. */
static void on_conn_close(uv_handle_t *h)
{
	struct conn *c = h->data;
	int last;

	ASYNCDUMP_POLL_BEGIN(c);
	last = !--c->refs;
	ASYNCDUMP_POLL_END(c);
	if (last)
		conn_free(c);
}

/* The request being served ends: its frame, and the busy state. */
static void request_end(struct conn *c)
{
	ASYNCDUMP_EXIT(&c->request);
	c->busy = 0;
}

/* Inside a poll of c. A request in flight on the pool finishes first (its
 * after_work_cb sees `closing`); a pending timer is cancelled. */
static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->reading) {
		uvd_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
	if (c->timer_pending) {
		uvd_timer_stop(&c->timer);
		c->timer_pending = 0;
		request_end(c);
	}
	uv_close((uv_handle_t *)&c->tcp, on_conn_close);
	uv_close((uv_handle_t *)&c->timer, on_conn_close);
}

struct write_req {
	uv_write_t req;
	struct conn *c;
	char data[];
};

static void on_write(uv_write_t *req, int status)
{
	struct write_req *wr = CONTAINER_OF(req, struct write_req, req);
	struct conn *c = wr->c;

	ASYNCDUMP_POLL_BEGIN(c);
	if (status < 0) /* the peer went away, or UV_ECANCELED: closing */
		conn_close(c);
	free(wr);
	ASYNCDUMP_POLL_END(c);
}

static void reply(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply(struct conn *c, const char *fmt, ...)
{
	struct write_req *wr;
	va_list ap;
	uv_buf_t buf;
	int n;

	if (c->closing)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	wr = n < 0 ? NULL : malloc(sizeof(*wr) + (size_t)n + 2);
	if (!wr) {
		conn_close(c);
		return;
	}
	wr->c = c;
	va_start(ap, fmt);
	vsnprintf(wr->data, (size_t)n + 2, fmt, ap);
	va_end(ap);
	wr->data[n] = '\n';
	buf = uv_buf_init(wr->data, (unsigned)n + 1);
	if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write)) {
		free(wr);
		conn_close(c);
	}
}

static void job_run(struct uvd_work *w)
{
	struct job *j = CONTAINER_OF(w, struct job, w);

	/* a plain macro: this thread polls the job, so the frame is the
	 * job's */
	ASYNCDUMP_SCOPE("wait for release");
	uv_mutex_lock(&jobs_mu);
	while (!j->released && !draining)
		uv_cond_wait(&jobs_cv, &jobs_mu);
	uv_mutex_unlock(&jobs_mu);
}

static void job_unlink(struct job *j)
{
	uv_mutex_lock(&jobs_mu);
	if (j->prev)
		j->prev->next = j->next;
	else
		jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	uv_mutex_unlock(&jobs_mu);
}

static void on_job_done(uv_work_t *req, int status)
{
	struct job *j = CONTAINER_OF(req, struct job, w.req);
	struct conn *c = j->c;
	int last;

	ASYNCDUMP_POLL_BEGIN(c);
	uvd_work_done(&j->w);
	job_unlink(j);
	reply(c, "%s %s", status ? "cancelled" : "worked", j->w.name);
	request_end(c);
	free(j);
	conn_next(c);
	last = !--c->refs; /* closed meanwhile: its handles may be gone */
	ASYNCDUMP_POLL_END(c);
	if (last)
		conn_free(c);
}

static void on_timer(uv_timer_t *timer)
{
	struct conn *c = timer->data;

	ASYNCDUMP_POLL_BEGIN(c);
	uvd_timer_fired(timer);
	c->timer_pending = 0;
	reply(c, "slept %s", c->line + strlen("sleep "));
	request_end(c);
	conn_next(c);
	ASYNCDUMP_POLL_END(c);
}

static int release_jobs(const char *name)
{
	int n = 0;

	uv_mutex_lock(&jobs_mu);
	for (struct job *j = jobs; j; j = j->next) {
		if (!j->released && !strcmp(j->w.name, name)) {
			j->released = 1;
			n++;
		}
	}
	uv_cond_broadcast(&jobs_cv);
	uv_mutex_unlock(&jobs_mu);
	return n;
}

/* `sleep <ms>`: the request waits in a timer. */
static int start_sleep(struct conn *c, const char *arg)
{
	char *end;
	unsigned long long ms = strtoull(arg, &end, 10);
	int err;

	if (end == arg || *end)
		return UV_EINVAL;
	err = UVD_TIMER_START(c, &c->request, &c->timer, on_timer, ms);
	if (!err)
		c->timer_pending = 1;
	return err;
}

/* `work <name>`: the request waits for a job on the threadpool. */
static int start_work(struct conn *c, const char *name)
{
	struct job *j = calloc(1, sizeof(*j));
	int err;

	if (!j)
		return UV_ENOMEM;
	j->c = c;
	snprintf(j->w.name, sizeof(j->w.name), "%s", name);
	uv_mutex_lock(&jobs_mu);
	j->next = jobs;
	if (jobs)
		jobs->prev = j;
	jobs = j;
	uv_mutex_unlock(&jobs_mu);
	err = UVD_QUEUE_WORK(c, &c->request, loop, &j->w, job_run, on_job_done);
	if (!err) {
		c->refs++; /* the connection outlives its jobs */
		return 0;
	}
	job_unlink(j);
	free(j);
	return err;
}

/* Serves c->line, inside a poll of c. A request either completes here or
 * leaves c busy until the callback of what it waits for. */
static void handle_request(struct conn *c)
{
	const char *line = c->line;
	int err = 0;

	c->busy = 1;
	/* the request's frame, at the top level of the connection's task */
	ASYNCDUMP_ENTER_AT(c, &c->request, 0, line, ASYNCDUMP_F_DYN);
	if (!strncmp(line, "echo ", 5)) {
		reply(c, "%s", line + 5);
	} else if (!strncmp(line, "sleep ", 6)) {
		err = start_sleep(c, line + 6);
		if (!err)
			return;
	} else if (!strncmp(line, "work ", 5) && line[5]) {
		err = start_work(c, line + 5);
		if (!err)
			return;
	} else if (!strncmp(line, "release ", 8)) {
		reply(c, "released %s %d", line + 8, release_jobs(line + 8));
	} else {
		reply(c, "error: unknown request: %s", line);
	}
	if (err)
		reply(c, "error: %s", uv_strerror(err));
	request_end(c);
}

/* Moves the next complete line of c->buf to c->line; 0 if there is none. */
static int take_line(struct conn *c)
{
	char *nl = memchr(c->buf, '\n', c->len);
	size_t n;

	if (!nl)
		return 0;
	n = (size_t)(nl - c->buf);
	memcpy(c->line, c->buf, n);
	c->line[n] = 0;
	if (n && c->line[n - 1] == '\r')
		c->line[n - 1] = 0;
	c->len -= n + 1;
	memmove(c->buf, nl + 1, c->len);
	return 1;
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)size;
	ASYNCDUMP_POLL_BEGIN(c);
	*buf = uv_buf_init(c->buf + c->len,
			   (unsigned)(sizeof(c->buf) - c->len));
	ASYNCDUMP_POLL_END(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	(void)buf;
	ASYNCDUMP_POLL_BEGIN(c);
	if (nread < 0) { /* UV_EOF: the peer closed */
		conn_close(c);
	} else {
		c->len += (size_t)nread;
		if (memchr(c->buf, '\n', c->len)) {
			uvd_read_stop(s);
			c->reading = 0;
		}
		conn_next(c);
	}
	ASYNCDUMP_POLL_END(c);
}

/* Inside a poll of c: serves the buffered requests until one waits, then
 * waits for the next line. */
static void conn_next(struct conn *c)
{
	int err;

	while (!c->busy && !c->closing && take_line(c))
		handle_request(c);
	if (c->busy || c->closing || c->reading)
		return;
	if (draining) {
		conn_close(c);
		return;
	}
	if (c->len == sizeof(c->buf)) {
		reply(c, "error: line too long");
		conn_close(c);
		return;
	}
	err = UVD_READ_START(c, 0, (uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (err)
		conn_close(c);
	else
		c->reading = 1;
}

/* A poll of the listener; the new connection's task is spawned at its
 * accept frame, then polled for the first time. */
static void on_connection(uv_stream_t *server, int status)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	char ip[INET6_ADDRSTRLEN] = "?";
	int len = sizeof(ss), err;
	struct conn *c;

	ASYNCDUMP_POLL_BEGIN(&listener);
	c = status < 0 ? NULL : calloc(1, sizeof(*c));
	if (!c) {
		ASYNCDUMP_POLL_END(&listener);
		return;
	}
	uv_tcp_init(loop, &c->tcp);
	uv_timer_init(loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->refs = 2;
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	err = uv_accept(server, (uv_stream_t *)&c->tcp);
	if (!err)
		err = uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len);
	if (!err)
		uv_ip4_name(sin, ip, sizeof(ip));
	snprintf(c->name, sizeof(c->name), "conn %s:%d", ip,
		 err ? 0 : ntohs(sin->sin_port));
	/* spawned even if the accept failed: its close callbacks poll it */
	ASYNCDUMP_TASK_SPAWN_DYN(c, &listener, &listener.accept, c->name);
	ASYNCDUMP_POLL_END(&listener);

	ASYNCDUMP_POLL_BEGIN(c);
	if (err)
		conn_close(c);
	else
		conn_next(c);
	ASYNCDUMP_POLL_END(c);
}

static void on_listener_close(uv_handle_t *h)
{
	(void)h;
	ASYNCDUMP_EXIT(&listener.accept);
	ASYNCDUMP_TASK_EXIT(&listener);
}

static void on_stdin_close(uv_handle_t *h)
{
	(void)h;
}

static void stdin_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	static char sink[256];

	(void)h;
	(void)size;
	*buf = uv_buf_init(sink, sizeof(sink));
}

/* stdin is not a task: when it closes, the server shuts down. */
static void on_stdin(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c, *next;

	(void)buf;
	if (nread >= 0)
		return;
	uv_close((uv_handle_t *)s, on_stdin_close);
	uv_mutex_lock(&jobs_mu);
	draining = 1;
	uv_cond_broadcast(&jobs_cv);
	uv_mutex_unlock(&jobs_mu);
	uv_close((uv_handle_t *)&listener.tcp, on_listener_close);
	for (c = conns; c; c = next) {
		next = c->next;
		/* Idle ones close now, busy ones when their request ends
		 * (conn_next sees `draining`); a timer is cancelled. */
		ASYNCDUMP_POLL_BEGIN(c);
		if (!c->busy || c->timer_pending)
			conn_close(c);
		ASYNCDUMP_POLL_END(c);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct sockaddr_storage ss;
	int len = sizeof(ss), port = argc > 1 ? atoi(argv[1]) : 0, err;

	signal(SIGPIPE, SIG_IGN);
	loop = uv_default_loop();
	uv_mutex_init(&jobs_mu);
	uv_cond_init(&jobs_cv);

	uv_tcp_init(loop, &listener.tcp);
	uv_ip4_addr("127.0.0.1", port, &addr);
	err = uv_tcp_bind(&listener.tcp, (const struct sockaddr *)&addr, 0);
	if (!err)
		err = uv_listen((uv_stream_t *)&listener.tcp, 128,
				on_connection);
	if (!err)
		err = uv_tcp_getsockname(&listener.tcp, (struct sockaddr *)&ss,
					 &len);
	if (err) {
		fprintf(stderr, "uv_server: listen on 127.0.0.1:%d: %s\n", port,
			uv_strerror(err));
		return 1;
	}
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(listener.name, sizeof(listener.name), "accept on 127.0.0.1:%d",
		 port);
	ASYNCDUMP_TASK_SPAWN(&listener, 0, 0, "listener");
	ASYNCDUMP_ENTER_AT(&listener, &listener.accept, 0, listener.name,
			   ASYNCDUMP_F_DYN | ASYNCDUMP_F_LONG_RUNNING);

	/* Runs until stdin closes (a pipe; anything else: until killed). */
	uv_pipe_init(loop, &stdin_pipe, 0);
	if (uv_pipe_open(&stdin_pipe, 0) ||
	    uv_read_start((uv_stream_t *)&stdin_pipe, stdin_alloc, on_stdin))
		uv_close((uv_handle_t *)&stdin_pipe, on_stdin_close);

	printf("READY %d %d\n", (int)getpid(), port);
	fflush(stdout);

	uv_run(loop, UV_RUN_DEFAULT);
	err = uv_loop_close(loop);
	uv_cond_destroy(&jobs_cv);
	uv_mutex_destroy(&jobs_mu);
	if (err) {
		fprintf(stderr, "uv_server: uv_loop_close: %s\n",
			uv_strerror(err));
		return 1;
	}
	return 0;
}
