// SPDX-License-Identifier: BSD-2-Clause
/*
 * strpool.h - the strings of one snapshot, allocated together and freed
 * together. A million-frame snapshot holds three strings per frame
 * (label, file, function), nearly all of them the same few literals read
 * from the process, plus each frame's _DYN label: one malloc and one free
 * per string cost more than the rest of collecting. Strings are bumped
 * into 64 KiB chunks instead, shared when equal (procmem.c hands out its
 * cached copy), and released in one sweep over the chunks.
 */
#ifndef AD_STRPOOL_H
#define AD_STRPOOL_H

#include <stddef.h>

struct ad_strchunk;

/* Zero-initialized is empty. */
struct ad_strpool {
	struct ad_strchunk *chunks; /* newest first */
	char *cur;		    /* free space of the newest chunk */
	size_t left;
};

/* A NUL-terminated copy of s[0..len) that lives until ad_strpool_free;
 * NULL when out of memory. s need not be NUL-terminated. */
char *ad_strpool_dup(struct ad_strpool *p, const char *s, size_t len);
void ad_strpool_free(struct ad_strpool *p);

#endif /* AD_STRPOOL_H */
