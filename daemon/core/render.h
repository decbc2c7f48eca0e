// SPDX-License-Identifier: BSD-2-Clause
/*
 * render.h - print a forest as text (box-drawn trees) or JSON. Pure: writes
 * only to the FILE given (a memstream in tests, a socket in the daemon).
 */
#ifndef AD_RENDER_H
#define AD_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/rebuild.h"
#include "core/render_opts.h"

/* Builds the view of the forest (view.h) once and has the writer of
 * opts->format draw it. Returns 0, or -errno if writing failed.
 * Everything a renderer allocates is allocated before it writes its first
 * byte: once output has begun, the only error left is a write error of
 * `out`. The daemon relies on this to stream a dump to its client
 * (server/dump.c). */
int ad_render(FILE *out, const struct ad_forest *forest,
	      const struct ad_render_opts *opts);

#endif /* AD_RENDER_H */
