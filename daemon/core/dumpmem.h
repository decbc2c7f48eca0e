// SPDX-License-Identifier: BSD-2-Clause
/*
 * dumpmem.h - the memory of the dumps (and sweeps): kept between dumps,
 * given back to the system once the daemon has been idle for a while.
 *
 * A dump of a million frames allocates hundreds of MB (records, snapshot,
 * rebuild, sort buffers) and frees it all when sent. Left to glibc, the
 * large blocks are mmap'ed and unmapped per dump, so the next dump faults
 * every page in again, and the kernel clears each one: a large share of a
 * big dump's time (BENCHMARKS.md, "Measurements behind the code"). Here every
 * allocation comes from the heap and freed memory stays mapped, so dumps
 * repeated within AD_DUMPMEM_LINGER_MS (a watch loop, a script polling a
 * wedged service) reuse it; after that long without a dump it is handed
 * back (malloc_trim), so an idle daemon does not hold a big dump's memory.
 * Other work frees memory into the same heap and it must be given back
 * too: a sweep's list of dead records (large after a process exits with
 * a million frames in the shared maps), the daemon's start (libbpf
 * parsing the kernel's BTF). That work starts the wait if none is under
 * way but never extends it: periodic sweeps every few seconds must not
 * keep a big dump's memory for good. Only dumps do.
 *
 * The policy (when memory is due back) is pure and unit-tested; the two
 * libc calls are ad_dumpmem_setup() and ad_dumpmem_release().
 */
#ifndef AD_DUMPMEM_H
#define AD_DUMPMEM_H

#include <stdbool.h>
#include <stdint.h>

/* How long the memory of the last dump is kept for the next one. */
#define AD_DUMPMEM_LINGER_MS 10000

struct ad_dumpmem {
	int64_t since_ms; /* CLOCK_MONOTONIC ms the wait started */
	bool kept;	  /* freed memory is held since then */
	bool dumped;	  /* ... and a dump's is part of it */
};

/* Heap-only allocation, freed memory kept (mallopt); once at start. */
void ad_dumpmem_setup(struct ad_dumpmem *m);

/* A dump request was handled at now_ms (served or not: it may have
 * allocated): memory is kept for AD_DUMPMEM_LINGER_MS from now. */
void ad_dumpmem_dumped(struct ad_dumpmem *m, int64_t now_ms);

/* Other work freed memory at now_ms: the wait starts now unless one is
 * under way, which it leaves as it is. */
void ad_dumpmem_freed(struct ad_dumpmem *m, int64_t now_ms);

/* ms until the kept memory is due back (0: now), or -1 if none is kept:
 * what the daemon's poll may wait at most for it. */
int64_t ad_dumpmem_due_in_ms(const struct ad_dumpmem *m, int64_t now_ms);

/* If the memory is due back at now_ms, gives it back (malloc_trim) and
 * returns true, *after_dump telling whether a dump's memory was part of
 * it; else does nothing and returns false. */
bool ad_dumpmem_release(struct ad_dumpmem *m, int64_t now_ms, bool *after_dump);

#endif /* AD_DUMPMEM_H */
