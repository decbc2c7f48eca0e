// SPDX-License-Identifier: BSD-2-Clause
/*
 * render_opts.c - the output formats by name (render_opts.h).
 */
#include "core/render_opts.h"

#include <errno.h>
#include <string.h>

const char *ad_format_name(enum ad_format f)
{
	return f == AD_FORMAT_JSON ? "json" : "text";
}

int ad_format_parse(const char *s, size_t len, enum ad_format *out)
{
	static const enum ad_format all[] = {AD_FORMAT_TEXT, AD_FORMAT_JSON};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *name = ad_format_name(all[i]);

		if (len == strlen(name) && memcmp(s, name, len) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -EINVAL;
}
