// SPDX-License-Identifier: BSD-2-Clause
/*
 * errmsg.h - the one way a failure's message is written: into a caller's
 * buffer (err, errlen), saying what failed and what to do, while the
 * function returns -errno.
 */
#ifndef AD_ERRMSG_H
#define AD_ERRMSG_H

#include <stddef.h>

/* printf into err (NUL-terminated, truncated to errlen); nothing if err
 * is NULL or errlen 0. */
void ad_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same, returning e (a -errno): `return ad_fail(-EINVAL, err, ...)`. */
int ad_fail(int e, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* AD_ERRMSG_H */
