// SPDX-License-Identifier: BSD-2-Clause
/*
 * grow.h - the one growable-array step every explicit stack, list and
 * buffer of the daemon takes (the renderers' depth-first stacks, the
 * observer's attachment, pending-exit and to-delete lists, a dump's
 * copied strings, the command line's lists): make room for more
 * elements, doubling. One copy, so the doubling and its overflow checks
 * are written (and reviewed) once. Header-only: it is inline.
 */
#ifndef AD_GROW_H
#define AD_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* Returns `arr` with room for `more` elements from index `len` (0-based),
 * reallocated if needed to *cap doubled as often as it takes (from `first`
 * elements when empty) and *cap updated; NULL when out of memory or when
 * a size would overflow, in which case `arr` and *cap are unchanged and
 * still valid. */
static inline void *ad_grow_n(void *arr, size_t *cap, size_t len, size_t more,
			      size_t size, size_t first)
{
	size_t need, ncap;
	void *p;

	if (more > SIZE_MAX - len)
		return NULL;
	need = len + more;
	if (need <= *cap)
		return arr;
	ncap = *cap ? *cap : first;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return NULL;
		ncap *= 2;
	}
	if (!ncap || ncap > SIZE_MAX / size)
		return NULL;
	p = realloc(arr, ncap * size);
	if (!p)
		return NULL;
	*cap = ncap;
	return p;
}

/* Room for one more element at index `len`. */
static inline void *ad_grow(void *arr, size_t *cap, size_t len, size_t size,
			    size_t first)
{
	return ad_grow_n(arr, cap, len, 1, size, first);
}

#endif /* AD_GROW_H */
