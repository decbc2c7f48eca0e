// SPDX-License-Identifier: BSD-2-Clause
/*
 * errmsg.c - see errmsg.h.
 */
#include "core/errmsg.h"

#include <stdarg.h>
#include <stdio.h>

static void set(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
}

void ad_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(err, errlen, fmt, ap);
	va_end(ap);
}

int ad_fail(int e, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}
