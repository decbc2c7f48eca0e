// SPDX-License-Identifier: BSD-2-Clause
/*
 * idtab.c - hash table of record keys (idtab.h).
 */
#include "core/idtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Kept across clear() up to this many slots (1 MiB); a larger table,
 * left by a sweep of a million records, is freed. */
#define AD_IDTAB_KEEP (32u * 1024u)

static uint64_t mix(const struct ad_key *k)
{
	/* splitmix64 finalizer over the id, with pid and kind folded in:
	 * ids are addresses, whose low bits are mostly zeros. */
	uint64_t x = k->id ^ ((uint64_t)k->pid << 32 | k->kind);

	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static bool same(const struct ad_idtab_ent *e, const struct ad_key *k)
{
	return e->id == k->id && e->pid == k->pid && e->kind == k->kind;
}

void ad_idtab_init(struct ad_idtab *t)
{
	memset(t, 0, sizeof(*t));
}

static struct ad_idtab_ent *slot_of(struct ad_idtab_ent *ent, size_t cap,
				    const struct ad_key *k)
{
	size_t i = (size_t)mix(k) & (cap - 1);

	while (ent[i].used && !same(&ent[i], k))
		i = (i + 1) & (cap - 1);
	return &ent[i];
}

static int resize(struct ad_idtab *t, size_t cap)
{
	struct ad_idtab_ent *ent = calloc(cap, sizeof(*ent));

	if (!ent)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		const struct ad_idtab_ent *e = &t->ent[i];
		struct ad_key k = {.pid = e->pid, .kind = e->kind, .id = e->id};

		if (e->used)
			*slot_of(ent, cap, &k) = *e;
	}
	free(t->ent);
	t->ent = ent;
	t->cap = cap;
	return 0;
}

int ad_idtab_put(struct ad_idtab *t, const struct ad_key *key, uint64_t val,
		 uint32_t aux)
{
	struct ad_idtab_ent *e;

	/* at most half full: short probe sequences */
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		if (cap <= t->cap || cap > SIZE_MAX / sizeof(*t->ent) ||
		    resize(t, cap))
			return -ENOMEM;
	}
	e = slot_of(t->ent, t->cap, key);
	if (!e->used) {
		e->used = 1;
		e->id = key->id;
		e->pid = key->pid;
		e->kind = key->kind;
		t->n++;
	}
	e->val = val;
	e->aux = aux;
	return 0;
}

const struct ad_idtab_ent *ad_idtab_get(const struct ad_idtab *t,
					const struct ad_key *key)
{
	const struct ad_idtab_ent *e;

	if (!t->n)
		return NULL;
	e = slot_of(t->ent, t->cap, key);
	return e->used ? e : NULL;
}

void ad_idtab_clear(struct ad_idtab *t)
{
	if (t->cap > AD_IDTAB_KEEP) {
		ad_idtab_free(t);
		return;
	}
	if (t->ent)
		memset(t->ent, 0, t->cap * sizeof(*t->ent));
	t->n = 0;
}

void ad_idtab_free(struct ad_idtab *t)
{
	free(t->ent);
	ad_idtab_init(t);
}
