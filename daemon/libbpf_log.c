/*
 * libbpf_log.c - see libbpf_log.h.
 */
#include "libbpf_log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int to_stderr(enum libbpf_print_level level, const char *fmt,
		     va_list ap)
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
