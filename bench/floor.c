// SPDX-License-Identifier: BSD-2-Clause
/*
 * floor.c - attach the empty programs of floor.bpf.c to the asyncdump
 * enter, exit, poll_begin and poll_end probes of one binary (or, with
 * --store, its minimal hash-map store to enter and exit), in every process
 * that maps it now or later (pid -1, as asyncdumpd --attach does), for
 * bench/run.py.
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

#define AD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A probe and what each mode attaches to it. */
struct floor_probe {
	const char *probe;
	struct bpf_program *floor, *store; /* store: NULL = not attached */
};

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct bpf_link *links[4] = {NULL};
	struct floor_probe probes[4];
	bool store = argc == 3 && !strcmp(argv[1], "--store");
	const char *binary = argv[argc - 1];
	struct floor *skel;
	size_t n = 0;
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
	probes[0] = (struct floor_probe){"enter", skel->progs.floor_enter,
					 skel->progs.store_enter};
	probes[1] = (struct floor_probe){"exit", skel->progs.floor_exit,
					 skel->progs.store_exit};
	probes[2] = (struct floor_probe){"poll_begin",
					 skel->progs.floor_poll_beg, NULL};
	probes[3] = (struct floor_probe){"poll_end", skel->progs.floor_poll_end,
					 NULL};
	/* Only the programs attached are loaded. */
	for (size_t i = 0; i < AD_ARRAY_LEN(probes); i++) {
		bpf_program__set_autoload(probes[i].floor, !store);
		if (probes[i].store)
			bpf_program__set_autoload(probes[i].store, store);
	}
	if (floor__load(skel)) {
		fprintf(stderr,
			"bench_floor: loading floor.bpf.o failed: %s (run as "
			"root)\n",
			strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < AD_ARRAY_LEN(probes); i++) {
		struct bpf_program *prog =
			store ? probes[i].store : probes[i].floor;

		if (prog && attach(prog, binary, probes[i].probe, &links[n++]))
			goto out;
	}
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	wait_for_end();
	rc = 0;
out:
	while (n > 0)
		bpf_link__destroy(links[--n]);
	floor__destroy(skel);
	return rc;
}
