// SPDX-License-Identifier: BSD-2-Clause
/*
 * procmem.h - read strings and site records from an observed process's
 * memory at dump time. Literal labels, file and function names are never
 * copied when a probe fires (that is what keeps probes cheap), so the
 * daemon reads them here, bounded, with per-request caching: one site
 * address is typically shared by thousands of frames.
 */
#ifndef AD_PROCMEM_H
#define AD_PROCMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "asyncdump_abi.h"
#include "core/snapshot.h"
#include "core/strpool.h"
#include "observer/memread.h"

/* Bytes read of one string, NUL included; longer strings are cut to
 * AD_PROCMEM_STR_MAX - 1 bytes and flagged truncated. */
#define AD_PROCMEM_STR_MAX 256

struct ad_pm_entry;

struct ad_procmem {
	pid_t pid;
	struct ad_memread direct;  /* reads in this thread, by default */
	struct ad_memread *mr;	   /* the reader used: &direct or a helper's */
	int64_t deadline_ms;	   /* for all reads (CLOCK_MONOTONIC), or 0 */
	int wedged;		   /* -ETIMEDOUT/-ECANCELED once a read was */
	struct ad_pm_entry *cache; /* open addressing, power-of-two size */
	size_t cache_cap;
	size_t cache_used;
	size_t reads;		 /* memory reads issued (for tests and logs) */
	struct ad_strpool *pool; /* see ad_procmem_init_pooled */
};

void ad_procmem_init(struct ad_procmem *pm, pid_t pid);
/* As ad_procmem_init, but the cache keeps its strings in `pool` and
 * ad_procmem_string() lends them (out->borrowed) instead of copying: every
 * frame of a snapshot whose pool this is shares one copy of each literal.
 * The strings outlive ad_procmem_fini; they go with the pool. */
void ad_procmem_init_pooled(struct ad_procmem *pm, pid_t pid,
			    struct ad_strpool *pool);
/* Reads from now on through mr (a helper process: memread.h), each read
 * answered by deadline_ms (0: AD_MEMREAD_TIMEOUT_MS only). Once one read
 * times out or is cancelled, every later read fails the same way at once:
 * the process's memory is not waited for twice in one dump. */
void ad_procmem_use_reader(struct ad_procmem *pm, struct ad_memread *mr,
			   int64_t deadline_ms);
void ad_procmem_fini(struct ad_procmem *pm);

/* Reads exactly len bytes at addr. Returns 0 or -errno (-EFAULT for an
 * address that is not mapped, -ESRCH if the process is gone, -EPERM,
 * -ETIMEDOUT or -ECANCELED through a helper: ad_procmem_use_reader). */
int ad_procmem_read(struct ad_procmem *pm, uint64_t addr, void *buf,
		    size_t len);

/* Resolves the NUL-terminated string at addr into *out (which then owns a
 * fresh copy, or borrows the pool's). On failure *out still gets a
 * placeholder text such as "<unreadable 0x7f12ab>" (or "<read timed out
 * 0x7f12ab>") with unreadable set, and -errno is returned so
 * the caller can count it. Address 0 gives "<null>", -EFAULT. */
int ad_procmem_string(struct ad_procmem *pm, uint64_t addr, struct ad_str *out);

/* As ad_procmem_string(), for a site's function name: the body of a C++
 * coroutine as GCC names it is shown as the coroutine's name and
 * parameters (ad_fmt_coro_function). */
int ad_procmem_function(struct ad_procmem *pm, uint64_t addr,
			struct ad_str *out);

/* Reads the struct asyncdump_site at addr (cached), or with bit 0 set
 * the source location record at addr & ~1 (struct ad_srcloc_raw), given
 * as a site without label. 0 or -errno. */
int ad_procmem_site(struct ad_procmem *pm, uint64_t addr,
		    struct ad_site_raw *out);

/* Sets *out to a copy of `text` (never unreadable): in pool when it is
 * not NULL (borrowed), else on the heap. 0 or -ENOMEM. */
int ad_str_set(struct ad_str *out, const char *text, bool truncated,
	       struct ad_strpool *pool);

#endif /* AD_PROCMEM_H */
