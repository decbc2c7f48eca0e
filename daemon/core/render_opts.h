// SPDX-License-Identifier: BSD-2-Clause
/*
 * render_opts.h - what a dump asks for: the one description of it,
 * filled by the command line (options.c), carried by the protocol
 * (protocol.c) and obeyed by the renderers (render.c).
 */
#ifndef AD_RENDER_OPTS_H
#define AD_RENDER_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ad_format { AD_FORMAT_TEXT, AD_FORMAT_JSON };

struct ad_render_opts {
	enum ad_format format;
	bool verbose; /* show ASYNCDUMP_F_VERBOSE frames */
	/* mark frames pending longer with !!! (0: never) */
	uint64_t stuck_after_ns;
};

#define AD_DEFAULT_STUCK_AFTER_NS (10ull * 1000000000ull)

/* "text" or "json", as the command line and the protocol spell it; and
 * back from the len bytes at s: 0, or -EINVAL for anything else. */
const char *ad_format_name(enum ad_format f);
int ad_format_parse(const char *s, size_t len, enum ad_format *out);

#endif /* AD_RENDER_OPTS_H */
