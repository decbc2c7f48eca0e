// SPDX-License-Identifier: BSD-2-Clause
/*
 * idtab.h - a hash table from record keys (struct ad_key: pid, kind, id)
 * to a 64-bit value and a 32-bit one, for the daemon's passes over a map:
 * a dump finds each record's _DYN string by it, a reclaim sweep the live
 * tasks and the owners of copied strings. Open addressing, one
 * allocation, grows by doubling. Pure: unit-tested (tests/unit).
 */
#ifndef AD_IDTAB_H
#define AD_IDTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asyncdump_abi.h"

struct ad_idtab_ent {
	uint64_t id;
	uint32_t pid;
	uint32_t kind;
	uint64_t val;
	uint32_t aux;
	uint32_t used; /* 0: free slot */
};

struct ad_idtab {
	struct ad_idtab_ent *ent;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

void ad_idtab_init(struct ad_idtab *t);
/* Inserts key, or replaces its values. 0, or -ENOMEM (t unchanged). */
int ad_idtab_put(struct ad_idtab *t, const struct ad_key *key, uint64_t val,
		 uint32_t aux);
/* The entry of key, or NULL. Valid until the next put or clear. */
const struct ad_idtab_ent *ad_idtab_get(const struct ad_idtab *t,
					const struct ad_key *key);
/* Empties the table; keeps its memory unless it is large. */
void ad_idtab_clear(struct ad_idtab *t);
void ad_idtab_free(struct ad_idtab *t);

#endif /* AD_IDTAB_H */
