// SPDX-License-Identifier: BSD-2-Clause
/*
 * dumpmem.c - the memory of the dumps and sweeps, kept between them and
 * given back when the daemon is idle (see dumpmem.h for why).
 */
#include "core/dumpmem.h"

#include <limits.h>
#include <malloc.h>

void ad_dumpmem_setup(struct ad_dumpmem *m)
{
	m->since_ms = 0;
	m->kept = m->dumped = false;
	/* No mmap'ed blocks: a large block unmapped after one dump would be
	 * faulted in page by page again by the next. */
	mallopt(M_MMAP_MAX, 0);
	/* free() never shrinks the heap by itself; ad_dumpmem_release()
	 * does, when no dump came for a while. */
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	/* One heap for every thread: the dump workers' memory is then kept
	 * and given back like the rest (malloc_trim does not give back the
	 * free top of a thread's own arena), and it is reused whichever
	 * worker serves the next dump. Set before any thread starts. */
	mallopt(M_ARENA_MAX, 1);
}

void ad_dumpmem_dumped(struct ad_dumpmem *m, int64_t now_ms)
{
	m->since_ms = now_ms;
	m->kept = m->dumped = true;
}

void ad_dumpmem_freed(struct ad_dumpmem *m, int64_t now_ms)
{
	if (m->kept)
		return;
	m->since_ms = now_ms;
	m->kept = true;
}

int64_t ad_dumpmem_due_in_ms(const struct ad_dumpmem *m, int64_t now_ms)
{
	int64_t due;

	if (!m->kept)
		return -1;
	due = m->since_ms + AD_DUMPMEM_LINGER_MS - now_ms;
	return due > 0 ? due : 0;
}

bool ad_dumpmem_release(struct ad_dumpmem *m, int64_t now_ms, bool *after_dump)
{
	if (ad_dumpmem_due_in_ms(m, now_ms) != 0)
		return false;
	*after_dump = m->dumped;
	/* Gives back the heap's free top and, with madvise, the free pages
	 * inside it (glibc 2.8+), whatever is still allocated above them. */
	malloc_trim(0);
	m->kept = m->dumped = false;
	return true;
}
