// SPDX-License-Identifier: BSD-2-Clause
/*
 * clock.c - see clock.h.
 */
#include "core/clock.h"

int64_t ad_clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return 0;
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

uint64_t ad_mono_ns(void)
{
	return (uint64_t)ad_clock_ns(CLOCK_MONOTONIC);
}

int64_t ad_mono_us(void)
{
	return ad_clock_ns(CLOCK_MONOTONIC) / 1000;
}

int64_t ad_mono_ms(void)
{
	return ad_clock_ns(CLOCK_MONOTONIC) / 1000000;
}
