// SPDX-License-Identifier: BSD-2-Clause
/*
 * clock.h - the one way the daemon reads a clock: nanoseconds of
 * CLOCK_MONOTONIC (the clock of bpf_ktime_get_ns(), so of every record's
 * times) or of any other clock.
 */
#ifndef AD_CLOCK_H
#define AD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* ns of clock `id` (0 if it cannot be read, which Linux never does for
 * the clocks used here). */
int64_t ad_clock_ns(clockid_t id);

/* CLOCK_MONOTONIC in ns. */
uint64_t ad_mono_ns(void);

/* CLOCK_MONOTONIC in µs. */
int64_t ad_mono_us(void);

/* CLOCK_MONOTONIC in ms. */
int64_t ad_mono_ms(void);

#endif /* AD_CLOCK_H */
