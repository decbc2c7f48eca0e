// SPDX-License-Identifier: BSD-2-Clause
/*
 * strpool.c - bump allocation of a snapshot's strings (strpool.h).
 */
#include "core/strpool.h"

#include <stdlib.h>
#include <string.h>

#define AD_STRCHUNK 65536u

struct ad_strchunk {
	struct ad_strchunk *next;
	char data[];
};

char *ad_strpool_dup(struct ad_strpool *p, const char *s, size_t len)
{
	char *out;

	if (len >= p->left) {
		/* A string longer than a chunk gets a chunk of its own. */
		size_t size = len + 1 > AD_STRCHUNK ? len + 1 : AD_STRCHUNK;
		struct ad_strchunk *c = malloc(sizeof(*c) + size);

		if (!c)
			return NULL;
		c->next = p->chunks;
		p->chunks = c;
		p->cur = c->data;
		p->left = size;
	}
	out = p->cur;
	memcpy(out, s, len);
	out[len] = '\0';
	p->cur += len + 1;
	p->left -= len + 1;
	return out;
}

void ad_strpool_free(struct ad_strpool *p)
{
	while (p->chunks) {
		struct ad_strchunk *c = p->chunks;

		p->chunks = c->next;
		free(c);
	}
	p->cur = NULL;
	p->left = 0;
}
