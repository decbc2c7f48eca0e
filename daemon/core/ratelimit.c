// SPDX-License-Identifier: BSD-2-Clause
/*
 * ratelimit.c - see ratelimit.h.
 */
#include "core/ratelimit.h"

bool ad_ratelimit_take(struct ad_ratelimit *rl, int64_t now_ms,
		       uint64_t *dropped)
{
	uint64_t cap = (uint64_t)rl->burst * 1000;

	if (!rl->started) {
		rl->started = true;
		rl->tokens_mil = cap;
		rl->last_ms = now_ms;
	}
	if (now_ms > rl->last_ms) {
		uint64_t add = (uint64_t)(now_ms - rl->last_ms) * rl->per_s;

		rl->tokens_mil = add >= cap - rl->tokens_mil
					 ? cap
					 : rl->tokens_mil + add;
		rl->last_ms = now_ms;
	}
	if (rl->tokens_mil < 1000) {
		rl->suppressed++;
		return false;
	}
	rl->tokens_mil -= 1000;
	if (dropped)
		*dropped = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
