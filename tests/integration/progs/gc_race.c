// SPDX-License-Identifier: BSD-2-Clause
/*
 * gc_race - frame ids reused while the daemon's GC reclaims orphans.
 *
 * Each round: task t enters N frames and exits with them open (N orphans
 * the GC must reclaim); then t is spawned again and enters the same N
 * frame ids (live records with the same keys), exits them all and exits.
 * A GC that deletes a key it judged dead without checking that the record
 * is still the one it judged deletes live frames: their EXIT then counts
 * exit_unknown. Runs for argv[1] seconds (default 12: two GC periods),
 * then enters one frame "done", prints READY and waits for EOF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "asyncdump.h"

#define N 2000

static char frames[N];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double end = now_s() + (argc > 1 ? atof(argv[1]) : 12.0);
	char t, done, line[16];

	while (now_s() < end) {
		ASYNCDUMP_TASK_SPAWN(&t, 0, 0, "t");
		for (int i = 0; i < N; i++)
			ASYNCDUMP_ENTER_AT(&t, &frames[i], 0, "orphan", 0);
		ASYNCDUMP_TASK_EXIT(&t);
		ASYNCDUMP_TASK_SPAWN(&t, 0, 0, "t");
		for (int i = 0; i < N; i++)
			ASYNCDUMP_ENTER_AT(&t, &frames[i], 0, "live", 0);
		for (int i = 0; i < N; i++)
			ASYNCDUMP_EXIT(&frames[i]);
		ASYNCDUMP_TASK_EXIT(&t);
	}
	ASYNCDUMP_ENTER(&done, "done");
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
