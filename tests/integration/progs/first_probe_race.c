// SPDX-License-Identifier: BSD-2-Clause
/*
 * first_probe_race - every thread's first probe is the process's first
 * probe, all at once: THREADS threads wait at a barrier, then each enters
 * a frame with a _DYN label (a sleepable program where the kernel allows
 * it) in one task none of them has named before. Each races to create the
 * process record and take a ready slot (the losers give theirs back:
 * bpf/asyncdump.bpf.c, proc_create), and to create the task's record.
 * Every frame must be recorded, in that one task, in the one set of maps
 * the winner took, and nothing counted lost.
 *
 *   READY <pid>, then EOF exits.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "asyncdump.h"

#define THREADS 8

static pthread_barrier_t start;
static char task; /* its address is the task's id */
static pthread_barrier_t done;

static void *run(void *arg)
{
	char frame, label[32];

	snprintf(label, sizeof(label), "racer %d", (int)(long)arg);
	pthread_barrier_wait(&start);
	ASYNCDUMP_ENTER_AT(&task, &frame, 0, label, ASYNCDUMP_F_DYN);
	pthread_barrier_wait(&done);
	/* Stay entered until the process exits. */
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	char line[16];

	pthread_barrier_init(&start, NULL, THREADS);
	pthread_barrier_init(&done, NULL, THREADS + 1);
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, run, (void *)i))
			return 1;
	pthread_barrier_wait(&done);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
