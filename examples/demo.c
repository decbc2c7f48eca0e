// SPDX-License-Identifier: BSD-2-Clause
/*
 * demo - a lively program for the README: a listener task that spawns
 * connection tasks, each cycling through reading a request, waiting for a
 * lock, querying a database shard, with runtime labels (peers, lock names,
 * paths) and frames pending for seconds; and a flusher with a verbose
 * frame. Frames meant to last (accept, serve, flush loop) are LONG_RUNNING,
 * so --stuck-after marks only the waits. Flagged frames are entered with
 * ASYNCDUMP_ENTER_F, which makes them the innermost frame like a plain
 * ENTER: the frames entered next nest inside them with no explicit parent,
 * and each EXIT hands the innermost place back to the parent. Runs until
 * killed.
 * Prints "READY <pid>" once its tasks exist.
 *
 *   ./demo & sleep 1; asyncdumpd --pid $!
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "asyncdump.h"
#include "executor.h"

#define NCONN 3
#define SEC 1000000000ull
#define MS 1000000ull

struct conn {
	struct ex_task task;
	char name[48], peer[32];
	char serve, read, handle, lock, query; /* frame ids */
	unsigned n, requests;
};

struct listener {
	struct ex_executor *ex;
	char accept;
	struct conn conns[NCONN];
};

static const char *const locks[] = {"accounts.lock", "sessions.lock",
				    "inventory.lock"};

/* Build runtime labels only when somebody is looking. */
#define LABEL(buf, ...)                                                        \
	(ASYNCDUMP_ACTIVE() ? (snprintf(buf, sizeof(buf), __VA_ARGS__), buf)   \
			    : "")

static enum ex_poll poll_conn(struct ex_task *t)
{
	struct conn *c = t->data;
	char label[96];
	uint64_t now = ex_now_ns();

	switch (t->state) {
	case 0:
		/* serving a connection is meant to last: never "stuck" */
		ASYNCDUMP_ENTER_F(&c->serve, LABEL(label, "serve %s", c->peer),
				  ASYNCDUMP_F_DYN | ASYNCDUMP_F_LONG_RUNNING);
		ASYNCDUMP_ENTER_DYN(
			&c->read, /* under serve */
			LABEL(label, "read request from %s", c->peer));
		t->state = 1;
		ex_sleep_until(t, now + (1 + c->n) * SEC);
		return EX_PENDING;
	case 1:
		ASYNCDUMP_EXIT(&c->read); /* serve is the innermost again */
		c->requests++;
		ASYNCDUMP_ENTER_DYN(&c->handle,
				    LABEL(label, "handle GET /api/items/%u",
					  c->requests * 7 + c->n));
		ASYNCDUMP_ENTER_DYN(&c->lock,
				    LABEL(label, "lock %s", locks[c->n % 3]));
		t->state = 2;
		ex_sleep_until(t, now + (2 + c->n) * SEC);
		return EX_PENDING;
	case 2:
		ASYNCDUMP_EXIT(&c->lock);
		ASYNCDUMP_ENTER_DYN(&c->query, /* under handle */
				    LABEL(label, "query db shard %u",
					  (c->requests + c->n) % 4));
		t->state = 3;
		ex_sleep_until(t, now + 800 * MS);
		return EX_PENDING;
	default:
		ASYNCDUMP_EXIT(&c->query);
		ASYNCDUMP_EXIT(&c->handle);
		ASYNCDUMP_ENTER_DYN(
			&c->read,
			LABEL(label, "read request from %s", c->peer));
		t->state = 1;
		ex_sleep_until(t, now + (1 + c->n) * SEC / 2);
		return EX_PENDING;
	}
}

static enum ex_poll poll_listener(struct ex_task *t)
{
	struct listener *l = t->data;

	if (t->state++ == 0) {
		ASYNCDUMP_ENTER_F(&l->accept, "accept on 0.0.0.0:8080",
				  ASYNCDUMP_F_LONG_RUNNING);
		for (unsigned i = 0; i < NCONN; i++) {
			struct conn *c = &l->conns[i];

			c->n = i;
			snprintf(c->peer, sizeof(c->peer), "10.0.0.%u:%u",
				 7 + i, 51234 + 17 * i);
			snprintf(c->name, sizeof(c->name), "conn %s", c->peer);
			ex_spawn(l->ex, &c->task, c->name, poll_conn, c, t,
				 &l->accept);
		}
	}
	return EX_PENDING; /* accepts forever */
}

struct flusher {
	char loop, tick, fsync;
	unsigned ticks;
};

static enum ex_poll poll_flusher(struct ex_task *t)
{
	struct flusher *f = t->data;
	char label[32];

	if (t->state == 0) {
		ASYNCDUMP_ENTER_F(&f->loop, "flush loop",
				  ASYNCDUMP_F_LONG_RUNNING);
		t->state = 1;
	} else {
		ASYNCDUMP_EXIT(&f->fsync);
		ASYNCDUMP_EXIT(
			&f->tick); /* flush loop is the innermost again */
	}
	f->ticks++;
	ASYNCDUMP_ENTER_F(&f->tick, LABEL(label, "tick %u", f->ticks),
			  ASYNCDUMP_F_DYN | ASYNCDUMP_F_VERBOSE);
	ASYNCDUMP_ENTER(&f->fsync, "fsync journal.log"); /* under tick */
	ex_sleep_until(t, ex_now_ns() + 3 * SEC);
	return EX_PENDING;
}

int main(void)
{
	struct ex_executor ex;
	struct ex_task listener_task, flusher_task;
	static struct listener l;
	static struct flusher f;

	ex_init(&ex);
	l.ex = &ex;
	ex_spawn(&ex, &listener_task, "listener", poll_listener, &l, NULL,
		 NULL);
	ex_spawn(&ex, &flusher_task, "flusher", poll_flusher, &f, NULL, NULL);
	ex_run_until_idle(&ex);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		ex_run_timers(&ex, SEC);
}
