// SPDX-License-Identifier: BSD-2-Clause
/*
 * probe_bench.c - what one frame (an enter+exit pair) costs, for
 * bench/run.py. Every variant is a loop in this one file, built with the
 * same flags, so the only difference between two loops is what they mark.
 *
 *   probe_bench MODE [--pairs N] [--threads T] [--pin]
 *     MODE  loop       empty body (a compiler barrier): the loop's own cost
 *           asyncdump  ASYNCDUMP_ENTER(&frame, "bench"); ASYNCDUMP_EXIT(&frame)
 *           poll       ASYNCDUMP_POLL_BEGIN(&task); ASYNCDUMP_POLL_END(&task),
 *                      the task spawned before the loop and exited after
 *           sdt        <sys/sdt.h> DTRACE_PROBE2/1 with the same arguments
 *           registry   the in-process registry of registry.c
 *     T threads each warm up, wait at a barrier, then time N pairs.
 *     --pin puts thread i on CPU i (mod the CPUs it may use): "2 threads on
 *     2 cores" then means exactly that, not what the scheduler chose.
 *     Prints NS_PER_PAIR_THREAD <i> <ns> per thread, NS_PER_PAIR <median
 *     over threads> and ACTIVE <asyncdump semaphore>: nonzero proves an
 *     observer really had the probes attached.
 *
 *   probe_bench rate [--hold K]
 *     Enters K nested frames (so dumps have content), prints READY <pid>,
 *     then per stdin line `run SECONDS` runs the asyncdump loop that long
 *     and prints RATE <pairs per second> ACTIVE <semaphore>. EOF exits.
 *
 * `frame` is a local variable, as in real code: its address is the id.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asyncdump.h"
#include "registry.h"
#include <sys/sdt.h>

/* The loop body must stay a loop body: without it an empty loop is
 * deleted and nothing stops the compiler from merging iterations. */
#define BARRIER() __asm__ __volatile__("" ::: "memory")

#define RATE_CHUNK 1024 /* pairs between two clock reads in rate mode */

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	       (unsigned long long)ts.tv_nsec;
}

/* noinline: each loop stays a separate function, easy to find and read
 * with objdump, and not specialized for its caller's constant n.
 *
 * Checked with objdump (gcc 12, -O2): no loop is unrolled or vectorized.
 * Per iteration, loop_empty is add/cmp/jne; loop_asyncdump adds two loads
 * of asyncdump_semaphore, each tested with a branch not taken (the probe
 * sites sit out of line); loop_sdt adds two 1-byte nops. In both probe
 * loops the loop-invariant arguments (&frame, &site) are computed once
 * before the loop, alike, so neither variant is favoured. */
static __attribute__((noinline)) void loop_empty(long n)
{
	for (long i = 0; i < n; i++)
		BARRIER();
}

static __attribute__((noinline)) void loop_asyncdump(long n)
{
	char frame;

	for (long i = 0; i < n; i++) {
		ASYNCDUMP_ENTER(&frame, "bench");
		ASYNCDUMP_EXIT(&frame);
		BARRIER();
	}
}

/* A task polled over and over, as an event loop does: one spawn and one
 * exit per call, outside the pairs. */
static __attribute__((noinline)) void loop_poll(long n)
{
	char task;

	ASYNCDUMP_TASK_SPAWN(&task, 0, 0, "bench");
	for (long i = 0; i < n; i++) {
		ASYNCDUMP_POLL_BEGIN(&task);
		ASYNCDUMP_POLL_END(&task);
		BARRIER();
	}
	ASYNCDUMP_TASK_EXIT(&task);
}

/* What our ENTER passes: the frame id and the address of a static,
 * read-only site record; EXIT: the frame id. */
static __attribute__((noinline)) void loop_sdt(long n)
{
	static const struct asyncdump_site site = {__FILE__, __func__, "bench",
						   __LINE__, 0};
	char frame;

	for (long i = 0; i < n; i++) {
		DTRACE_PROBE2(asyncdump_bench, enter, &frame, &site);
		DTRACE_PROBE1(asyncdump_bench, exit, &frame);
		BARRIER();
	}
}

static __attribute__((noinline)) void loop_registry(long n)
{
	char frame;

	for (long i = 0; i < n; i++) {
		registry_enter(&frame, "bench");
		registry_exit(&frame);
		BARRIER();
	}
}

static const struct {
	const char *name;
	void (*fn)(long);
} modes[] = {
	{"loop", loop_empty},	     {"asyncdump", loop_asyncdump},
	{"poll", loop_poll},	     {"sdt", loop_sdt},
	{"registry", loop_registry},
};

struct worker {
	pthread_t th;
	int cpu; /* -1: not pinned */
	void (*fn)(long);
	long pairs;
	double ns_per_pair;
};

static pthread_barrier_t start_line;

/* Warm-up first: the first hit of an attached site is slow (the kernel
 * rewrites it into a call) and BPF creates this thread's state. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	long warm = w->pairs / 20 > 1000 ? w->pairs / 20 : 1000;
	unsigned long long t0;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			fprintf(stderr,
				"probe_bench: cannot pin a thread to CPU %d\n",
				w->cpu);
	}
	w->fn(warm);
	pthread_barrier_wait(&start_line);
	t0 = now_ns();
	w->fn(w->pairs);
	w->ns_per_pair = (double)(now_ns() - t0) / (double)w->pairs;
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The i-th CPU this process may run on, or -1. */
static int nth_cpu(int i)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) || !(n = CPU_COUNT(&set)))
		return -1;
	i %= n;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && i-- == 0)
			return cpu;
	return -1;
}

static int run_threads(void (*fn)(long), long pairs, int threads, int pin)
{
	struct worker *w = calloc((size_t)threads, sizeof(*w));
	double *ns = calloc((size_t)threads, sizeof(*ns));
	double median;
	int err;

	if (!w || !ns) {
		fprintf(stderr, "probe_bench: out of memory\n");
		return 1;
	}
	pthread_barrier_init(&start_line, NULL, (unsigned int)threads);
	for (int i = 0; i < threads; i++) {
		w[i].fn = fn;
		w[i].pairs = pairs;
		w[i].cpu = pin ? nth_cpu(i) : -1;
		err = pthread_create(&w[i].th, NULL, worker_main, &w[i]);
		if (err) {
			fprintf(stderr, "probe_bench: pthread_create: %s\n",
				strerror(err));
			exit(1); /* the started threads wait at the barrier forever */
		}
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		ns[i] = w[i].ns_per_pair;
		printf("NS_PER_PAIR_THREAD %d %.3f\n", i, ns[i]);
	}
	qsort(ns, (size_t)threads, sizeof(*ns), cmp_double);
	median = threads % 2 ? ns[threads / 2]
			     : (ns[threads / 2 - 1] + ns[threads / 2]) / 2;
	printf("NS_PER_PAIR %.3f\n", median);
	printf("ACTIVE %d\n", (int)asyncdump_semaphore);
	free(w);
	free(ns);
	return 0;
}

static int run_rate(long hold)
{
	char *held = calloc(hold > 0 ? (size_t)hold : 1, 1);
	char line[64];
	double secs;

	if (!held) {
		fprintf(stderr, "probe_bench: out of memory\n");
		return 1;
	}
	for (long i = 0; i < hold; i++)
		ASYNCDUMP_ENTER(&held[i], "held");
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "run %lf", &secs) == 1 && secs > 0) {
			unsigned long long t0 = now_ns(), t;
			unsigned long long end =
				t0 + (unsigned long long)(secs * 1e9);
			long pairs = 0;

			do {
				loop_asyncdump(RATE_CHUNK);
				pairs += RATE_CHUNK;
				t = now_ns();
			} while (t < end);
			printf("RATE %.1f ACTIVE %d\n",
			       (double)pairs * 1e9 / (double)(t - t0),
			       (int)asyncdump_semaphore);
		} else {
			printf("ERROR expected: run SECONDS\n");
		}
		fflush(stdout);
	}
	for (long i = hold; i-- > 0;)
		ASYNCDUMP_EXIT(&held[i]);
	free(held);
	return 0;
}

static long parse_long(const char *opt, const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s ? s : "", &end, 10);
	if (!s || errno || *end || v < min) {
		fprintf(stderr,
			"probe_bench: %s needs an integer >= %ld, got '%s'\n",
			opt, min, s ? s : "");
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: probe_bench loop|asyncdump|poll|sdt|registry "
			"[--pairs N] [--threads T]"
			" [--pin]\n"
			"       probe_bench rate [--hold K]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long pairs = 10000000, threads = 1, hold = 1000;
	int pin = 0;

	if (argc < 2)
		usage();
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--pairs"))
			pairs = parse_long("--pairs", argv[++i], 1);
		else if (!strcmp(argv[i], "--threads"))
			threads = parse_long("--threads", argv[++i], 1);
		else if (!strcmp(argv[i], "--pin"))
			pin = 1;
		else if (!strcmp(argv[i], "--hold"))
			hold = parse_long("--hold", argv[++i], 0);
		else
			usage();
	}
	if (!strcmp(argv[1], "rate"))
		return run_rate(hold);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		if (!strcmp(argv[1], modes[m].name))
			return run_threads(modes[m].fn, pairs, (int)threads,
					   pin);
	usage();
	return 2;
}
