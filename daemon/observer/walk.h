// SPDX-License-Identifier: BSD-2-Clause
/*
 * walk.h - a BPF map read in batches (bpf_map_lookup_batch, or
 * get_next_key where the kernel has no batch operations), resumable.
 */
#ifndef AD_WALK_H
#define AD_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A map walked in batches, resumable, so that a sweep
 * can read a million records a few thousand at a time between dumps. */
struct ad_walk {
	int fd;
	size_t ksz, vsz, cap; /* key/value size, entries per batch */
	char *keys, *vals;
	uint64_t in_batch, out_batch;
	bool started, done;
	bool no_batch; /* the kernel has no batch ops: get_next_key */
	bool have_prev;
	char *prev; /* last key of the get_next_key fallback */
};

/* One record of a walk; nonzero stops the walk and is returned. */
typedef int (*ad_entry_fn)(void *ctx, const void *key, const void *value);

int ad_walk_open(struct ad_walk *w, int fd, size_t ksz, size_t vsz,
		 size_t per_batch);
/* One batch: fn for each of its entries. Returns 1 while there is more,
 * 0 at the end, or -errno / fn's nonzero return. Entries inserted or
 * deleted during a walk may be missed or seen twice. */
int ad_walk_step(struct ad_walk *w, ad_entry_fn fn, void *ctx);
void ad_walk_close(struct ad_walk *w);
/* The whole map at once. */
int ad_walk_map(int fd, size_t ksz, size_t vsz, ad_entry_fn fn, void *ctx);

#endif /* AD_WALK_H */
