// SPDX-License-Identifier: BSD-2-Clause
/*
 * floor.c - attach the empty programs of floor.bpf.c (or, with --store,
 * its minimal hash-map store) to the asyncdump enter and exit probes of
 * one binary, in every process that maps it now or later (pid -1, as
 * asyncdumpd --attach does), for bench/run.py.
 *
 *   bench_floor [--store] BINARY
 *
 * Prints READY <pid> once attached; detaches and exits 0 on stdin EOF,
 * SIGTERM or SIGINT. Exits 1 with a message naming what failed otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "floor.skel.h"
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int attach(struct bpf_program *prog, const char *binary,
		  const char *name, struct bpf_link **link)
{
	*link = bpf_program__attach_usdt(prog, -1, binary, "asyncdump", name,
					 NULL);
	if (!*link) {
		int err = errno;

		fprintf(stderr,
			"bench_floor: attaching to probe asyncdump:%s of %s "
			"failed: %s%s\n",
			name, binary, strerror(err),
			err == ENOENT  ? " (is it built with usdt/asyncdump.h "
					 "and does it use"
					 " that probe?)"
			: err == EPERM ? " (BPF needs root)"
				       : "");
		return -1;
	}
	return 0;
}

/* Until stdin EOF or a signal: the handlers are installed without
 * SA_RESTART, so a signal ends a blocked read with EINTR. */
static void wait_for_end(void)
{
	char buf[256];
	ssize_t n;

	while (!stop) {
		n = read(0, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct bpf_link *enter = NULL, *exit_link = NULL;
	struct bpf_program *on_enter, *on_exit;
	bool store = argc == 3 && !strcmp(argv[1], "--store");
	const char *binary = argv[argc - 1];
	struct floor *skel;
	int rc = 1;

	if ((argc != 2 && !store) || binary[0] == '-') {
		fprintf(stderr, "usage: bench_floor [--store] BINARY\n");
		return 2;
	}
	if (access(binary, R_OK)) {
		fprintf(stderr, "bench_floor: cannot read %s: %s\n", binary,
			strerror(errno));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	skel = floor__open();
	if (!skel) {
		fprintf(stderr, "bench_floor: opening floor.bpf.o failed: %s\n",
			strerror(errno));
		return 1;
	}
	/* Only the pair attached is loaded. */
	on_enter = store ? skel->progs.store_enter : skel->progs.floor_enter;
	on_exit = store ? skel->progs.store_exit : skel->progs.floor_exit;
	bpf_program__set_autoload(store ? skel->progs.floor_enter
					: skel->progs.store_enter,
				  false);
	bpf_program__set_autoload(
		store ? skel->progs.floor_exit : skel->progs.store_exit, false);
	if (floor__load(skel)) {
		fprintf(stderr,
			"bench_floor: loading floor.bpf.o failed: %s (run as "
			"root)\n",
			strerror(errno));
		goto out;
	}
	if (attach(on_enter, binary, "enter", &enter) ||
	    attach(on_exit, binary, "exit", &exit_link))
		goto out;
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	wait_for_end();
	rc = 0;
out:
	bpf_link__destroy(exit_link);
	bpf_link__destroy(enter);
	floor__destroy(skel);
	return rc;
}
