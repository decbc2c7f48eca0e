// SPDX-License-Identifier: BSD-2-Clause
/*
 * libbpf_log.c - see libbpf_log.h.
 */
#include "observer/libbpf_log.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int to_stderr(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

bool ad_libbpf_log_shown(void)
{
	return getenv(AD_DEBUG_ENV) != NULL;
}

void ad_libbpf_log_init(void)
{
	libbpf_set_print(ad_libbpf_log_shown() ? to_stderr : quiet);
}

const char *ad_libbpf_reason(void)
{
	return ad_libbpf_log_shown() ? " (libbpf's log above says why)"
				     : " (set " AD_DEBUG_ENV
				       "=1 for libbpf's reason)";
}

const char *ad_privilege_hint(int e)
{
	if (e != EPERM && e != EACCES)
		return "";
	return geteuid() ? "; run asyncdumpd as root"
			 : "; refused although running as root (a kernel "
			   "security policy or lockdown may forbid it)";
}

const char *ad_privilege_reason(int e)
{
	return (e == EPERM || e == EACCES) && !geteuid() ? ad_libbpf_reason()
							 : "";
}
