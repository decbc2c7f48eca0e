// SPDX-License-Identifier: BSD-2-Clause
/*
 * forked - a pre-forking server's shape: the parent enters "parent frame"
 * and forks without exec; the child, inside that frame (its record cannot
 * hold it), enters "child frame" and starts a thread that enters "child
 * thread frame". A dump of the child must not show "child frame" as a
 * certain root.
 *
 *   READY <pid>, then a line: forks; CHILD <child pid> once the child's
 *   frames are entered. EOF: the child is killed, the parent exits.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asyncdump.h"

static int tell[2];

static void *child_thread(void *arg)
{
	char f;

	(void)arg;
	ASYNCDUMP_ENTER(&f, "child thread frame");
	if (write(tell[1], "x", 1) != 1)
		return NULL;
	for (;;)
		pause();
}

int main(void)
{
	char parent_frame, child_frame, line[16], c;
	pthread_t th;
	pid_t child;

	ASYNCDUMP_ENTER(&parent_frame, "parent frame");
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin) || pipe(tell))
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		ASYNCDUMP_ENTER(&child_frame, "child frame");
		if (pthread_create(&th, NULL, child_thread, NULL))
			_exit(1);
		for (;;)
			pause();
	}
	if (read(tell[0], &c, 1) != 1)
		return 1;
	printf("CHILD %d\n", (int)child);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ASYNCDUMP_EXIT(&parent_frame);
	return 0;
}
