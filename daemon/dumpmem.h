/*
 * dumpmem.h - the memory of the dumps (and sweeps): kept between dumps,
 * given back to the system once the daemon has been idle for a while.
 *
 * A dump of a million frames allocates about 270 MB (records, snapshot,
 * rebuild, sort buffers) and frees it all when sent. Left to glibc, the
 * large blocks are mmap'ed and unmapped per dump, so the next dump faults
 * every page in again, and the kernel clears each one: measured on the
 * project's machines (a VM), a third of a 1M-frame dump's time. Here every
 * allocation comes from the heap and freed memory stays mapped, so dumps
 * repeated within AD_DUMPMEM_LINGER_MS (a watch loop, a script polling a
 * wedged service) reuse it; after that long without a dump it is handed
 * back (malloc_trim), so an idle daemon does not hold a big dump's memory.
 * A sweep that judged records dead counts like a dump: its list of them
 * (tens of MB after a process exits with a million frames in the shared
 * maps) is freed into the same heap and must be given back too; so does
 * the daemon's start (libbpf parsing the kernel's BTF).
 *
 * The policy (when memory is due back) is pure and unit-tested; the two
 * libc calls are ad_dumpmem_setup() and ad_dumpmem_release().
 */
#ifndef AD_DUMPMEM_H
#define AD_DUMPMEM_H

#include <stdbool.h>
#include <stdint.h>

/* How long the memory of the last dump (or sweep) is kept. */
#define AD_DUMPMEM_LINGER_MS 10000

struct ad_dumpmem {
	int64_t last_use_ms; /* CLOCK_MONOTONIC ms of the last dump or sweep */
	bool kept;           /* memory it used is held since then */
};

/* Heap-only allocation, freed memory kept (mallopt); once at start. */
void ad_dumpmem_setup(struct ad_dumpmem *m);

/* A dump was served (or a sweep judged records dead) at now_ms: the
 * memory it used is kept from now on, for AD_DUMPMEM_LINGER_MS. */
void ad_dumpmem_used(struct ad_dumpmem *m, int64_t now_ms);

/* ms until the kept memory is due back (0: now), or -1 if none is kept:
 * what the daemon's poll may wait at most for it. */
int64_t ad_dumpmem_due_in_ms(const struct ad_dumpmem *m, int64_t now_ms);

/* If the memory is due back at now_ms, gives it back (malloc_trim) and
 * returns true; else does nothing and returns false. */
bool ad_dumpmem_release(struct ad_dumpmem *m, int64_t now_ms);

#endif /* AD_DUMPMEM_H */
