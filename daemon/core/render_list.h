// SPDX-License-Identifier: BSD-2-Clause
/*
 * render_list.h - `asyncdumpd --list`: one row per observed process, made
 * from its rebuilt forest (so its counts are the ones a dump of it shows)
 * and written as a text table or a JSON array. Pure: writes only to the
 * FILE given.
 */
#ifndef AD_RENDER_LIST_H
#define AD_RENDER_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "asyncdump_abi.h"
#include "core/rebuild.h"
#include "core/render_opts.h"
#include "core/snapshot.h"

/* One process of the list. */
struct ad_list_row {
	int32_t pid;
	char comm[17];
	bool own_maps;	 /* its records in maps of its own (not the shared) */
	size_t tasks;	 /* live tasks, as its dump counts them */
	size_t frames;	 /* frames shown in them, VERBOSE ones included */
	size_t stuck;	 /* of those, the ones a dump marks stuck (!!!) */
	bool has_oldest; /* it has a frame that may be stuck: not
			  * LONG_RUNNING (those are never marked) */
	uint64_t oldest_ns;	   /* then the age of the oldest such frame */
	int64_t observed_since_ns; /* wall clock ns of its first probe hit */
	uint64_t observed_for_ns;  /* how long ago that was */
	enum ad_coverage coverage; /* observed all its life, or not */
	uint64_t lost[AD_LOST_COUNT]; /* its BPF loss counters (enum ad_lost) */
};

/* The row of the process whose forest f is (records only: the row needs
 * no string but the snapshot's comm), frames pending longer than
 * stuck_after_ns counted stuck as a dump marks them (0: none). */
void ad_list_row_of(const struct ad_forest *f, uint64_t stuck_after_ns,
		    struct ad_list_row *row);

/* Writes the n rows, in the order given, as opts->format says: text, a
 * table with a header line (the command last, escaped like a dump's
 * strings), or JSON, an array of one object per row (README "Output").
 * Its one allocation, the buffered writer, comes before its first byte
 * (as render.h's). 0, or -errno: -ENOMEM before anything was written,
 * -EINVAL for a format it does not know, else a write error of out. */
int ad_render_list(FILE *out, const struct ad_list_row *rows, size_t n,
		   const struct ad_render_opts *opts);

#endif /* AD_RENDER_LIST_H */
