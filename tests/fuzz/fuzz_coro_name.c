// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_coro_name.c - libFuzzer target: the rewrite of GCC's names of C++
 * coroutine bodies (ad_fmt_coro_function, core/format.c), on any function
 * name an observed process's debug info could hold.
 *
 * The input is copied into an exact-size NUL-terminated heap string.
 * Invariants: a rewrite only shortens the name (it is done in place), and
 * a name left alone is left byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1), *orig = malloc(size + 1);
	size_t before;

	if (!name || !orig) {
		free(name);
		free(orig);
		return 0;
	}
	memcpy(name, data, size);
	name[size] = '\0';
	memcpy(orig, name, size + 1);
	before = strlen(name);
	if (ad_fmt_coro_function(name)) {
		if (strlen(name) >= before || !strchr(name, '('))
			abort();
	} else if (memcmp(name, orig, size + 1) != 0) {
		abort();
	}
	free(orig);
	free(name);
	return 0;
}
