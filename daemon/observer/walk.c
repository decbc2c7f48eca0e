// SPDX-License-Identifier: BSD-2-Clause
/*
 * walk.c - reading a BPF hash map in batches (walk.h):
 * bpf_map_lookup_batch, a few thousand entries per syscall, resumable
 * between batches so a sweep can stop and serve a dump. Kernels without
 * batch operations fall back to get_next_key + lookup.
 */
#include "observer/walk.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A bucket larger than this many entries cannot be read in one batch;
 * the buffer grows up to it (ENOSPC). */
#define AD_WALK_MAX_BATCH (1u << 20)

int ad_walk_open(struct ad_walk *w, int fd, size_t ksz, size_t vsz,
		 size_t per_batch)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->ksz = ksz;
	w->vsz = vsz;
	w->cap = per_batch ? per_batch : 1;
	w->keys = malloc(w->cap * ksz);
	w->vals = malloc(w->cap * vsz);
	w->prev = malloc(ksz);
	if (!w->keys || !w->vals || !w->prev) {
		ad_walk_close(w);
		return -ENOMEM;
	}
	return 0;
}

void ad_walk_close(struct ad_walk *w)
{
	free(w->keys);
	free(w->vals);
	free(w->prev);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

static int grow(struct ad_walk *w)
{
	size_t cap = w->cap * 2;
	char *k, *v;

	if (cap > AD_WALK_MAX_BATCH)
		return -ENOSPC;
	k = realloc(w->keys, cap * w->ksz);
	if (!k)
		return -ENOMEM;
	w->keys = k;
	v = realloc(w->vals, cap * w->vsz);
	if (!v)
		return -ENOMEM;
	w->vals = v;
	w->cap = cap;
	return 0;
}

/* One key at a time, for kernels without batch lookups: up to cap
 * entries per step, like a batch. */
static int step_get_next(struct ad_walk *w, ad_entry_fn fn, void *ctx)
{
	for (size_t i = 0; i < w->cap; i++) {
		char *key = w->keys, *val = w->vals;
		int e;

		if (bpf_map_get_next_key(w->fd, w->have_prev ? w->prev : NULL,
					 key)) {
			w->done = true;
			return errno == ENOENT ? 0 : -errno;
		}
		memcpy(w->prev, key, w->ksz);
		w->have_prev = true;
		if (bpf_map_lookup_elem(w->fd, key, val))
			continue; /* deleted meanwhile */
		e = fn(ctx, key, val);
		if (e)
			return e;
	}
	return 1;
}

int ad_walk_step(struct ad_walk *w, ad_entry_fn fn, void *ctx)
{
	__u32 count;
	int e;

	if (w->done)
		return 0;
	if (w->no_batch)
		return step_get_next(w, fn, ctx);
	for (;;) {
		count = (__u32)w->cap;
		e = bpf_map_lookup_batch(
			w->fd, w->started ? &w->in_batch : NULL, &w->out_batch,
			w->keys, w->vals, &count, NULL);
		e = e ? -errno : 0;
		if (e == -ENOSPC) { /* a bucket larger than the buffer */
			e = grow(w);
			if (e)
				return e;
			continue;
		}
		if ((e == -EINVAL || e == -ENOTSUP || e == -EOPNOTSUPP) &&
		    !w->started) {
			w->no_batch = true;
			return step_get_next(w, fn, ctx);
		}
		break;
	}
	/* ENOENT ends the walk but may still return the last entries. */
	if (e && e != -ENOENT)
		return e;
	w->done = e == -ENOENT;
	w->started = true;
	w->in_batch = w->out_batch;
	for (__u32 i = 0; i < count; i++) {
		int r = fn(ctx, w->keys + i * w->ksz, w->vals + i * w->vsz);

		if (r)
			return r;
	}
	return w->done ? 0 : 1;
}

/* Entries per batch of a whole-map read: large batches, few syscalls. */
#define AD_WALK_BATCH 4096u

int ad_walk_map(int fd, size_t ksz, size_t vsz, ad_entry_fn fn, void *ctx)
{
	struct ad_walk w;
	int e = ad_walk_open(&w, fd, ksz, vsz, AD_WALK_BATCH);

	while (e == 0 && (e = ad_walk_step(&w, fn, ctx)) == 1)
		e = 0;
	ad_walk_close(&w);
	return e;
}
