// SPDX-License-Identifier: BSD-2-Clause
/*
 * render_json.h - the dump as one JSON document, streamed (render_json.c
 * has the schema).
 */
#ifndef AD_RENDER_JSON_H
#define AD_RENDER_JSON_H

#include "core/format.h"
#include "core/render_opts.h"
#include "core/view.h"

/* Writes view v into o. -ENOMEM before anything is written, else 0 (a
 * write error is o->err). */
int ad_render_json(struct ad_out *o, const struct ad_view *v,
		   const struct ad_render_opts *opts);

#endif /* AD_RENDER_JSON_H */
