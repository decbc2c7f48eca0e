/*
 * render.h - print a forest as text (box-drawn trees) or JSON. Pure: writes
 * only to the FILE given (a memstream in tests, a socket in the daemon).
 */
#ifndef AD_RENDER_H
#define AD_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "forest.h"

enum ad_format { AD_FORMAT_TEXT, AD_FORMAT_JSON };

struct ad_render_opts {
	enum ad_format format;
	bool verbose;             /* show ASYNCDUMP_F_VERBOSE frames */
	uint64_t stuck_after_ns;  /* mark frames pending longer with !!! (0: never) */
};

#define AD_DEFAULT_STUCK_AFTER_NS (10ull * 1000000000ull)

/* Returns 0, or -errno if writing failed. Everything a renderer
 * allocates is allocated before it writes its first byte: once output has
 * begun, the only error left is a write error of `out`. The daemon relies
 * on this to stream a dump to its client (server.c). */
int ad_render_text(FILE *out, const struct ad_forest *forest,
		   const struct ad_render_opts *opts);
int ad_render_json(FILE *out, const struct ad_forest *forest,
		   const struct ad_render_opts *opts);
int ad_render(FILE *out, const struct ad_forest *forest,
	      const struct ad_render_opts *opts);

#endif /* AD_RENDER_H */
