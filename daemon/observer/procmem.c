// SPDX-License-Identifier: BSD-2-Clause
/*
 * procmem.c - bounded, cached reads of another process's memory.
 *
 * The reads themselves are memread.h's: in this thread, or through a
 * helper process that can be abandoned. Reads never cross a page boundary
 * in one go, so a short string that ends just before an unmapped page is
 * still read.
 */
#define _GNU_SOURCE
#include "observer/procmem.h"

#include "core/format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE_GUESS 4096u /* the smallest x86-64/arm64 page: safe chunking */

/* A function name is a string shown as ad_fmt_coro_function() rewrites
 * it: cached apart from the same bytes read as a label. */
enum pm_kind { PM_STRING = 1, PM_SITE = 2, PM_FUNCTION = 3 };

struct ad_pm_entry {
	uint64_t addr;
	int kind; /* 0 = empty slot */
	int err;  /* 0 or -errno of the read */
	struct ad_str str;
	struct ad_site_raw site;
};

void ad_procmem_init(struct ad_procmem *pm, pid_t pid)
{
	memset(pm, 0, sizeof(*pm));
	pm->pid = pid;
	ad_memread_init(&pm->direct, false, -1);
	pm->mr = &pm->direct;
}

void ad_procmem_init_pooled(struct ad_procmem *pm, pid_t pid,
			    struct ad_strpool *pool)
{
	ad_procmem_init(pm, pid);
	pm->pool = pool;
}

void ad_procmem_use_reader(struct ad_procmem *pm, struct ad_memread *mr,
			   int64_t deadline_ms)
{
	pm->mr = mr;
	pm->deadline_ms = deadline_ms;
}

void ad_procmem_fini(struct ad_procmem *pm)
{
	for (size_t i = 0; i < pm->cache_cap; i++)
		if (pm->cache[i].kind == PM_STRING ||
		    pm->cache[i].kind == PM_FUNCTION)
			ad_str_free(&pm->cache[i].str); /* borrowed: kept */
	free(pm->cache);
	ad_memread_fini(&pm->direct);
	ad_procmem_init(pm, 0);
}

/* One read inside one page. */
static int read_chunk(struct ad_procmem *pm, uint64_t addr, void *buf,
		      size_t len)
{
	int rc;

	if (pm->wedged)
		return pm->wedged;
	pm->reads++;
	rc = ad_memread_read(pm->mr, pm->pid, addr, buf, len, pm->deadline_ms);
	if (rc == -ETIMEDOUT || rc == -ECANCELED)
		pm->wedged = rc;
	return rc;
}

int ad_procmem_read(struct ad_procmem *pm, uint64_t addr, void *buf, size_t len)
{
	char *out = buf;

	if (addr == 0 || addr + len < addr)
		return -EFAULT;
	while (len) {
		size_t room = PAGE_GUESS - (size_t)(addr % PAGE_GUESS);
		size_t n = len < room ? len : room;
		int rc = read_chunk(pm, addr, out, n);

		if (rc)
			return rc;
		addr += n;
		out += n;
		len -= n;
	}
	return 0;
}

int ad_str_set(struct ad_str *out, const char *text, bool truncated,
	       struct ad_strpool *pool)
{
	out->text =
		pool ? ad_strpool_dup(pool, text, strlen(text)) : strdup(text);
	out->truncated = truncated;
	out->unreadable = false;
	out->borrowed = pool != NULL;
	return out->text ? 0 : -ENOMEM;
}

/* The cache's own copy of a string: in the pool when there is one. */
static void cache_text(struct ad_procmem *pm, struct ad_pm_entry *e,
		       const char *text)
{
	if (pm->pool) {
		e->str.text = ad_strpool_dup(pm->pool, text, strlen(text));
		e->str.borrowed = true;
	} else {
		e->str.text = strdup(text);
	}
}

static uint64_t hash_key(uint64_t addr, int kind)
{
	uint64_t h = addr * 0x9e3779b97f4a7c15ull ^ (uint64_t)kind;

	return h ^ (h >> 29);
}

/* Linear probing in a table of cap (a power of two) entries: the entry
 * for (addr, kind), or the empty slot where it goes. Used both to look up
 * and to re-insert while growing (keys are unique, so there it always
 * ends at an empty slot). */
static struct ad_pm_entry *probe(struct ad_pm_entry *tab, size_t cap,
				 uint64_t addr, int kind)
{
	size_t j = hash_key(addr, kind) & (cap - 1);

	while (tab[j].kind && !(tab[j].kind == kind && tab[j].addr == addr))
		j = (j + 1) & (cap - 1);
	return &tab[j];
}

/* Finds the slot for (addr, kind): the entry, or the empty slot where it
 * goes. Grows the table first so it stays at most half full. */
static struct ad_pm_entry *slot(struct ad_procmem *pm, uint64_t addr, int kind)
{
	if ((pm->cache_used + 1) * 2 > pm->cache_cap) {
		size_t ncap = pm->cache_cap ? pm->cache_cap * 2 : 256;
		struct ad_pm_entry *n = calloc(ncap, sizeof(*n));

		if (!n)
			return NULL;
		for (size_t i = 0; i < pm->cache_cap; i++) {
			struct ad_pm_entry *e = &pm->cache[i];

			if (e->kind)
				*probe(n, ncap, e->addr, e->kind) = *e;
		}
		free(pm->cache);
		pm->cache = n;
		pm->cache_cap = ncap;
	}
	return probe(pm->cache, pm->cache_cap, addr, kind);
}

/* Reads the string at addr into the cache entry (text owned by the cache);
 * a function name (PM_FUNCTION) as ad_fmt_coro_function() shows it. */
static void fill_string(struct ad_procmem *pm, uint64_t addr,
			struct ad_pm_entry *e)
{
	char buf[AD_PROCMEM_STR_MAX];
	size_t got = 0;
	int rc = addr ? 0 : -EFAULT;

	/* Page by page until a NUL or the limit: never ask for bytes past
	 * the string's page that might not be mapped. */
	while (!rc && got < sizeof(buf)) {
		uint64_t a = addr + got;
		size_t room = PAGE_GUESS - (size_t)(a % PAGE_GUESS);
		size_t n = sizeof(buf) - got < room ? sizeof(buf) - got : room;

		rc = read_chunk(pm, a, buf + got, n);
		if (rc)
			break;
		if (memchr(buf + got, '\0', n)) {
			got += n;
			break;
		}
		got += n;
	}
	e->err = rc;
	if (rc) {
		char ph[48];

		if (addr)
			snprintf(ph, sizeof(ph), "<%s 0x%llx>",
				 rc == -ETIMEDOUT || rc == -ECANCELED
					 ? "read timed out"
					 : "unreadable",
				 (unsigned long long)addr);
		else
			snprintf(ph, sizeof(ph), "<null>");
		cache_text(pm, e, ph);
		e->str.unreadable = true;
		return;
	}
	e->str.truncated = memchr(buf, '\0', got) == NULL;
	buf[sizeof(buf) - 1] = '\0';
	if (e->kind == PM_FUNCTION && !e->str.truncated)
		ad_fmt_coro_function(buf);
	cache_text(pm, e, buf);
}

static int string_of_kind(struct ad_procmem *pm, uint64_t addr, int kind,
			  struct ad_str *out)
{
	struct ad_pm_entry *e = slot(pm, addr, kind);

	memset(out, 0, sizeof(*out));
	if (!e)
		return -ENOMEM;
	if (!e->kind) {
		e->kind = kind;
		e->addr = addr;
		pm->cache_used++;
		fill_string(pm, addr, e);
	}
	if (!e->str.text)
		return -ENOMEM;
	out->borrowed = pm->pool != NULL;
	out->text = out->borrowed ? e->str.text : strdup(e->str.text);
	if (!out->text)
		return -ENOMEM;
	out->truncated = e->str.truncated;
	out->unreadable = e->str.unreadable;
	return e->err;
}

int ad_procmem_string(struct ad_procmem *pm, uint64_t addr, struct ad_str *out)
{
	return string_of_kind(pm, addr, PM_STRING, out);
}

int ad_procmem_function(struct ad_procmem *pm, uint64_t addr,
			struct ad_str *out)
{
	return string_of_kind(pm, addr, PM_FUNCTION, out);
}

/* A site record, or a source location record (ASYNCDUMP_SITE_SRCLOC) as
 * one without label or flags. */
static int read_site(struct ad_procmem *pm, uint64_t addr,
		     struct ad_site_raw *out)
{
	struct ad_srcloc_raw loc;
	int err;

	if (!(addr & ASYNCDUMP_SITE_SRCLOC))
		return ad_procmem_read(pm, addr, out, sizeof(*out));
	err = ad_procmem_read(pm, addr & ~ASYNCDUMP_SITE_SRCLOC, &loc,
			      sizeof(loc));
	if (err)
		return err;
	*out = (struct ad_site_raw){
		.file = loc.file, .function = loc.function, .line = loc.line};
	return 0;
}

int ad_procmem_site(struct ad_procmem *pm, uint64_t addr,
		    struct ad_site_raw *out)
{
	struct ad_pm_entry *e = slot(pm, addr, PM_SITE);

	if (!e)
		return -ENOMEM;
	if (!e->kind) {
		e->kind = PM_SITE;
		e->addr = addr;
		pm->cache_used++;
		e->err = read_site(pm, addr, &e->site);
	}
	*out = e->site;
	return e->err;
}
