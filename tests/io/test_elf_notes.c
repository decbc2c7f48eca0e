// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_elf_notes.c - the SDT note reader (daemon/observer/elf_notes.c) on
 * this test's own executable, which holds asyncdump probes: the file entry
 * point and the in-memory one (the fuzz target's, tests/fuzz) read the
 * same probes; cut or garbage images are refused, not misread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "asyncdump.h"
#include "observer/elf_notes.h"

/* Two probe sites of our own: one enter, one exit. */
static __attribute__((noinline)) void probed(void)
{
	static char frame;

	ASYNCDUMP_ENTER(&frame, "test_elf_notes");
	ASYNCDUMP_EXIT(&frame);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	assert_non_null(f);
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 1 << 20;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

static void test_file_and_memory_agree(void **state)
{
	struct ad_elf_probes file, mem;
	char err[256];
	size_t len;
	char *image;

	(void)state;
	probed();
	assert_int_equal(
		ad_elf_probes_read("/proc/self/exe", &file, err, sizeof(err)),
		0);
	assert_true(file.per_probe[AD_PROBE_ENTER] >= 1);
	assert_true(file.per_probe[AD_PROBE_EXIT] >= 1);
	image = slurp("/proc/self/exe", &len);
	assert_int_equal(ad_elf_probes_read_mem(image, len, "self", &mem, err,
						sizeof(err)),
			 0);
	assert_memory_equal(&file, &mem, sizeof(file));
	free(image);
}

static void test_bad_images(void **state)
{
	static char garbage[] = "#!/bin/sh\necho not an ELF file\n";
	struct ad_elf_probes p;
	char err[256];
	size_t len;
	char *image;
	int rc;

	(void)state;
	assert_int_equal(ad_elf_probes_read_mem(garbage, sizeof(garbage),
						"script", &p, err, sizeof(err)),
			 -ENOEXEC);
	assert_non_null(strstr(err, "script is not an ELF"));
	assert_int_equal(p.sites, 0);
	assert_int_equal(ad_elf_probes_read_mem(garbage, 0, "empty", &p, err,
						sizeof(err)),
			 -ENOEXEC);
	/* the ELF header alone: its sections are past the end, so none is
	 * read (libelf may refuse the image or see no sections) */
	image = slurp("/proc/self/exe", &len);
	assert_true(len > 64);
	rc = ad_elf_probes_read_mem(image, 64, "cut", &p, err, sizeof(err));
	assert_true(rc == 0 || rc == -ENOEXEC);
	assert_int_equal(p.sites, 0);
	free(image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_and_memory_agree),
		cmocka_unit_test(test_bad_images),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
