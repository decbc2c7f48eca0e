// SPDX-License-Identifier: BSD-2-Clause
/*
 * wrapper_sites - frames entered through library-style wrappers that take
 * their caller's site (ASYNCDUMP_HERE), and the scope variants. One task
 * "sites", spawned through a wrapper, polled once:
 *
 *   outer scope                 ASYNCDUMP_SCOPE_F, LONG_RUNNING   SCOPE F
 *     dyn scope <n>             ASYNCDUMP_SCOPE_DYN               SCOPE DYN
 *       wait for io             wrapper -> ENTER_SITE             WAIT IO
 *         timer 10ms            wrapper -> ENTER_AT_SITE, runtime TIMER
 *                               label, verbose
 *
 * The trailing words are markers the test finds the expected line by.
 * READY while all are open; a line on stdin closes them, READY again;
 * EOF exits.
 */
#include <stdio.h>
#include <unistd.h>

#include "asyncdump.h"

struct io_wait {
	char frame;
};

/* A library's helpers: their frames point at whoever called them. */
static void lib_wait_io(const struct asyncdump_site *site, struct io_wait *w)
{
	ASYNCDUMP_ENTER_SITE(site, &w->frame, "wait for io", 0);
}
#define LIB_WAIT_IO(w) lib_wait_io(ASYNCDUMP_HERE(), (w))

static void lib_timer(const struct asyncdump_site *site, void *frame,
		      void *parent, unsigned ms)
{
	char label[32];

	snprintf(label, sizeof(label), "timer %ums", ms);
	ASYNCDUMP_ENTER_AT_SITE(site, 0, frame, parent, label,
				ASYNCDUMP_F_DYN | ASYNCDUMP_F_VERBOSE);
}
#define LIB_TIMER(frame, parent, ms)                                           \
	lib_timer(ASYNCDUMP_HERE(), (frame), (parent), (ms))

static void lib_spawn(const struct asyncdump_site *site, void *task,
		      const char *name)
{
	ASYNCDUMP_TASK_SPAWN_SITE(site, task, 0, 0, name);
}
#define LIB_SPAWN(task, name) lib_spawn(ASYNCDUMP_HERE(), (task), (name))

static void ready(void)
{
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
}

static int wait_line(void)
{
	char line[64];

	return fgets(line, sizeof(line), stdin) != NULL;
}

static char task;

static void body(int n)
{
	char label[32];
	struct io_wait w;
	char timer;
	unsigned lr = ASYNCDUMP_F_LONG_RUNNING;

	snprintf(label, sizeof(label), "dyn scope %d", n);
	ASYNCDUMP_SCOPE_F("outer scope", lr); /* SCOPE F */
	{
		ASYNCDUMP_SCOPE_DYN(label);	 /* SCOPE DYN */
		LIB_WAIT_IO(&w);		 /* WAIT IO */
		LIB_TIMER(&timer, &w.frame, 10); /* TIMER */
		ASYNCDUMP_POLL_END(&task);
		ready();
		if (!wait_line())
			return;
		ASYNCDUMP_POLL_BEGIN(&task);
		ASYNCDUMP_EXIT(&timer);
		ASYNCDUMP_EXIT(&w.frame);
	}
}

int main(void)
{
	LIB_SPAWN(&task, "sites"); /* SPAWN */
	ASYNCDUMP_POLL_BEGIN(&task);
	body(7);
	ASYNCDUMP_POLL_END(&task);
	ASYNCDUMP_TASK_EXIT(&task);
	ready();
	wait_line();
	return 0;
}
