/*
 * grow.h - the one growable-array step every explicit stack and list of
 * the daemon takes (the renderers' depth-first stacks, the observer's
 * attachment, pending-exit and to-delete lists): make room for one more
 * element, doubling. One copy, so the doubling and its overflow check are
 * written (and reviewed) once.
 */
#ifndef AD_GROW_H
#define AD_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* Returns `arr` with room for element index `len` (0-based), reallocated
 * to twice *cap (or `first` elements when empty) if it is full and *cap
 * updated; NULL when out of memory or when the byte size would overflow,
 * in which case `arr` and *cap are unchanged and still valid. */
static inline void *ad_grow(void *arr, size_t *cap, size_t len, size_t size,
			    size_t first)
{
	size_t ncap;
	void *p;

	if (len < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : first;
	if (ncap <= *cap || ncap > SIZE_MAX / size)
		return NULL;
	p = realloc(arr, ncap * size);
	if (!p)
		return NULL;
	*cap = ncap;
	return p;
}

#endif /* AD_GROW_H */
