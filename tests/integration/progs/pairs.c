// SPDX-License-Identifier: BSD-2-Clause
/*
 * pairs - ENTER/EXIT pairs as fast as two threads can make them, while
 * the test restarts the observer under it (issue 14): a frame "pair"
 * with "inner" in it, entered and exited in a loop. Any event lost or
 * doubled at a restart leaves a trace a dump shows: an EXIT lost leaves
 * a frame open, an ENTER lost or an EXIT doubled counts exit_unknown.
 *
 *   READY pid                   the threads are looping
 *   (a line on stdin)           they stop, each enters "hold" and stays
 *   STOPPED pairs               pairs made by both threads
 *   EOF exits.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "asyncdump.h"

#define THREADS 2

static atomic_bool stop;
static atomic_ulong pairs;
static atomic_int held;
static atomic_bool quit;

static void *loop(void *arg)
{
	char pair, inner, hold;
	unsigned long n = 0;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		ASYNCDUMP_ENTER(&pair, "pair");
		ASYNCDUMP_ENTER(&inner, "inner");
		ASYNCDUMP_EXIT(&inner);
		ASYNCDUMP_EXIT(&pair);
		n++;
	}
	atomic_fetch_add(&pairs, n);
	ASYNCDUMP_ENTER(&hold, "hold");
	atomic_fetch_add(&held, 1);
	while (!atomic_load(&quit)) /* "hold" stays open until EOF */
		usleep(10000);
	ASYNCDUMP_EXIT(&hold);
	return NULL;
}

int main(void)
{
	pthread_t looper[THREADS];
	char line[16];

	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&looper[i], NULL, loop, NULL))
			return 1;
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	atomic_store(&stop, 1);
	while (atomic_load(&held) < THREADS)
		usleep(1000);
	printf("STOPPED %lu\n", atomic_load(&pairs));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	atomic_store(&quit, 1);
	for (int i = 0; i < THREADS; i++)
		pthread_join(looper[i], NULL);
	return 0;
}
