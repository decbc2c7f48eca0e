// SPDX-License-Identifier: BSD-2-Clause
/*
 * opcost.c - run opcost.bpf.c's program for each operation and print what
 * one costs inside the kernel, for bench/run.py (section 6).
 *
 *   bench_opcost [--loops N] [--reps R]
 *
 * Per operation prints `OP <name> <ns per iteration>`, the median of R
 * runs of N iterations, the empty iteration (`empty`) included; the cost
 * of an operation is its value less empty's. Exits 1 with a message
 * naming what failed (needs root: it loads BPF).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opcost.skel.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* In the order of enum op in opcost.bpf.c. */
static const char *const op_names[] = {
	"empty",       "hash_insert_delete", "hash_insert_delete_prealloc",
	"hash_lookup", "ktime_get_ns",	     "get_current_pid_tgid",
};
#define NOPS (sizeof(op_names) / sizeof(op_names[0]))
#define MAX_REPS 101

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int parse_count(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	long loops = 1000000, reps = 5;
	struct opcost *skel;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		long *out = !strcmp(argv[i], "--loops")	 ? &loops
			    : !strcmp(argv[i], "--reps") ? &reps
							 : NULL;

		if (!out || i + 1 >= argc ||
		    parse_count(argv[++i], out == &loops ? 8000000 : MAX_REPS,
				out)) {
			fprintf(stderr,
				"usage: bench_opcost [--loops 1..8000000] "
				"[--reps 1..%d]\n",
				MAX_REPS);
			return 2;
		}
	}
	skel = opcost__open_and_load();
	if (!skel) {
		fprintf(stderr,
			"bench_opcost: loading opcost.bpf.o failed: %s (run as "
			"root)\n",
			strerror(errno));
		return 1;
	}
	skel->bss->loops = (__u32)loops;
	for (size_t op = 0; op < NOPS; op++) {
		double t[MAX_REPS];

		skel->bss->op = (int)op;
		for (long r = 0; r < reps; r++) {
			LIBBPF_OPTS(bpf_test_run_opts, o);
			double t0 = now_s();

			if (bpf_prog_test_run_opts(
				    bpf_program__fd(skel->progs.opcost), &o)) {
				fprintf(stderr,
					"bench_opcost: running the %s loop "
					"failed: %s\n",
					op_names[op], strerror(errno));
				goto out;
			}
			t[r] = (now_s() - t0) * 1e9 / (double)loops;
		}
		qsort(t, (size_t)reps, sizeof(t[0]), cmp_double);
		printf("OP %s %.2f\n", op_names[op], t[reps / 2]);
	}
	rc = 0;
out:
	opcost__destroy(skel);
	return rc;
}
