// SPDX-License-Identifier: BSD-2-Clause
/*
 * render.c - one dump's rendering: the view built once, drawn by the
 * writer of the format asked for, through one buffered writer.
 */
#include "core/render.h"

#include <errno.h>
#include <stdlib.h>

#include "core/format.h"
#include "core/render_json.h"
#include "core/render_text.h"
#include "core/view.h"

int ad_render(FILE *out, const struct ad_forest *forest,
	      const struct ad_render_opts *opts)
{
	struct ad_out *o;
	struct ad_view v;
	int err;

	if (opts->format != AD_FORMAT_TEXT && opts->format != AD_FORMAT_JSON)
		return -EINVAL;
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	err = ad_view_build(&v, forest, opts->verbose);
	if (err) {
		free(o);
		return err;
	}
	ad_out_init(o, out);
	if (opts->format == AD_FORMAT_JSON)
		err = ad_render_json(o, &v, opts);
	else
		err = ad_render_text(o, &v, opts);
	if (!err)
		err = ad_out_finish(o);
	else
		ad_out_finish(o);
	ad_view_free(&v);
	free(o);
	return err;
}
