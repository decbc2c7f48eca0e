// SPDX-License-Identifier: BSD-2-Clause
/*
 * ratelimit.h - a token bucket: at most `burst` events at once, refilled
 * at `per_s` events a second; what it refuses is counted, so the caller
 * can say how much it dropped. Pure (the caller passes the time).
 */
#ifndef AD_RATELIMIT_H
#define AD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ad_ratelimit {
	unsigned burst, per_s;
	int64_t last_ms;     /* when tokens were last counted */
	uint64_t tokens_mil; /* tokens, in thousandths */
	uint64_t suppressed; /* refused since the last event let through */
	bool started;
};

#define AD_RATELIMIT_INIT(burst_, per_s_)                                      \
	{                                                                      \
		.burst = (burst_), .per_s = (per_s_)                           \
	}

/* True if an event at now_ms may happen. On true, *dropped (if not NULL)
 * gets the number refused since the previous one let through. */
bool ad_ratelimit_take(struct ad_ratelimit *rl, int64_t now_ms,
		       uint64_t *dropped);

#endif /* AD_RATELIMIT_H */
