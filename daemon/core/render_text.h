// SPDX-License-Identifier: BSD-2-Clause
/*
 * render_text.h - the default, human-readable dump (render_text.c shows
 * what it looks like).
 */
#ifndef AD_RENDER_TEXT_H
#define AD_RENDER_TEXT_H

#include "core/format.h"
#include "core/render_opts.h"
#include "core/view.h"

/* Draws view v into o. -ENOMEM before anything is written, else 0 (a
 * write error is o->err). */
int ad_render_text(struct ad_out *o, const struct ad_view *v,
		   const struct ad_render_opts *opts);

#endif /* AD_RENDER_TEXT_H */
