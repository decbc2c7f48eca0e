// SPDX-License-Identifier: BSD-2-Clause
/*
 * many_procs - observed processes on demand, as many as asked for.
 *
 * READY <pid>. Each line "K" forks K children, each entering one frame
 * "idle <i>" (i counts the children from 0) in its own task "proc" and
 * then sleeping until its parent dies, and answers "FORKED <pid>..."
 * with their pids once every one has hit its probes. EOF kills the
 * children and exits.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asyncdump.h"

static void child(int i, int ready_fd, pid_t parent)
{
	char task, frame, label[32];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0); /* the parent died before prctl */
	snprintf(label, sizeof(label), "idle %d", i);
	ASYNCDUMP_TASK_SPAWN(&task, 0, 0, "proc");
	ASYNCDUMP_POLL_BEGIN(&task);
	ASYNCDUMP_ENTER_DYN(&frame, label);
	ASYNCDUMP_POLL_END(&task);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
	for (;;)
		pause();
}

int main(void)
{
	pid_t self = getpid(), *kids = NULL;
	long n = 0, cap = 0;
	char line[32], c;

	printf("READY %d\n", (int)self);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long k = atol(line), first = n;
		int ready[2];

		if (k < 1 || pipe(ready))
			break;
		if (n + k > cap) {
			pid_t *grown =
				realloc(kids, (size_t)(n + k) * sizeof(*kids));

			if (!grown)
				break;
			kids = grown;
			cap = n + k;
		}
		for (long i = 0; i < k; i++) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("many_procs: fork");
				break;
			}
			if (pid == 0) {
				close(ready[0]);
				child((int)n, ready[1], self);
			}
			kids[n++] = pid;
		}
		close(ready[1]);
		for (long got = first; got < n; got++)
			if (read(ready[0], &c, 1) != 1)
				return 1;
		close(ready[0]);
		printf("FORKED");
		for (long i = first; i < n; i++)
			printf(" %d", (int)kids[i]);
		printf("\n");
		fflush(stdout);
		if (n - first < k)
			break; /* fork failed */
	}
	for (long i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	free(kids);
	return 0;
}
