// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_elf_notes.c - the SDT note reader (daemon/observer/elf_notes.c) on
 * this test's own executable, which holds asyncdump probes: the file entry
 * point and the in-memory one (the fuzz target's, tests/fuzz) read the
 * same probes; cut or garbage images are refused, not misread.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "asyncdump.h"
#include "observer/elf_notes.h"
#include "../integration/progs/bad_note.h"

/* Two probe sites of our own: one enter, one exit. */
static __attribute__((noinline)) void probed(void)
{
	static char frame;

	ASYNCDUMP_ENTER(&frame, "test_elf_notes");
	ASYNCDUMP_EXIT(&frame);
}

/* And one the header never writes (bad_note.h: its argument is no
 * register): counted, not usable, and said why. */
AD_BAD_NOTE_ASM(unusable_site);

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
	assert_int_equal(file.sites, mem.sites);
	assert_memory_equal(file.per_probe, mem.per_probe,
			    sizeof(file.per_probe));
	assert_int_equal(file.nsite, mem.nsite);
	for (size_t i = 0; i < file.nsite; i++) {
		assert_int_equal(file.site[i].offset, mem.site[i].offset);
		assert_int_equal(file.site[i].cookie, mem.site[i].cookie);
	}
	ad_elf_probes_free(&file);
	ad_elf_probes_free(&mem);
	free(image);
}

/* Each usable site: on x86-64 the header's 5-byte nop at its file
 * offset, the semaphore's bytes in the file (zero), and a cookie
 * naming as many registers as the probe has arguments. The hand-written
 * note is counted but not usable. */
static void test_sites(void **state)
{
	struct ad_elf_probes p;
	unsigned int enters = 0;
	char err[256];
	size_t len;
	char *image;

	(void)state;
	assert_int_equal(
		ad_elf_probes_read("/proc/self/exe", &p, err, sizeof(err)), 0);
	image = slurp("/proc/self/exe", &len);
	assert_int_equal(p.unusable, 1);
	assert_int_equal(p.nsite + p.unusable, p.sites);
	assert_non_null(strstr(p.why, "asyncdump:exit"));
	assert_non_null(strstr(p.why, "-8@(%rdx,%rsi,8)"));
	assert_non_null(strstr(p.why, "not a 64-bit register"));
	for (size_t i = 0; i < p.nsite; i++) {
		const struct ad_elf_site *s = &p.site[i];

		assert_true(AD_COOKIE_VALID(s->cookie));
		assert_true(s->offset < len);
#if defined(__x86_64__)
		assert_true(s->offset + 5 <= len);
		assert_memory_equal(image + s->offset, "\x0f\x1f\x44\x00\x00",
				    5);
#endif
		assert_true(s->sema_offset > 0 && s->sema_offset + 2 <= len);
		assert_int_equal(image[s->sema_offset], 0);
		assert_int_equal(image[s->sema_offset + 1], 0);
		if (s->probe == AD_PROBE_ENTER) {
			enters++;
			/* ENTER(frame, label, site): frame and site */
			assert_int_equal(AD_COOKIE_NARGS(s->cookie), 2);
			assert_true(AD_COOKIE_REG_OFF(s->cookie, 0) <= 152);
		}
	}
	assert_true(enters >= 1);
	ad_elf_probes_free(&p);
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

/* A section-name table index past the sections (SHN_XINDEX, and section
 * 0's sh_link far out): refused from memory and from a file alike
 * (libelf took it from a file but not from memory: found by
 * fuzz_elf_notes). */
static void test_bad_shstrndx(void **state)
{
	char path[] = "/tmp/test_elf_notes.XXXXXX", err[256];
	struct ad_elf_probes p;
	uint16_t xindex = 0xffff;
	uint32_t far = 0x7f454c46;
	uint64_t shoff;
	size_t len;
	char *image;
	int fd;

	(void)state;
	image = slurp("/proc/self/exe", &len);
	assert_true(len > 64 && image[4] == ELFCLASS64);
	memcpy(&shoff, image + 40, sizeof(shoff)); /* e_shoff */
	assert_true(shoff + 64 <= len);
	memcpy(image + 62, &xindex, sizeof(xindex));   /* e_shstrndx */
	memcpy(image + shoff + 40, &far, sizeof(far)); /* section 0's sh_link */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_true(write(fd, image, len) == (ssize_t)len);
	close(fd);
	assert_int_equal(ad_elf_probes_read(path, &p, err, sizeof(err)),
			 -ENOEXEC);
	unlink(path);
	assert_int_equal(
		ad_elf_probes_read_mem(image, len, "bad", &p, err, sizeof(err)),
		-ENOEXEC);
	assert_non_null(strstr(err, "bad is not an ELF"));
	free(image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_and_memory_agree),
		cmocka_unit_test(test_sites),
		cmocka_unit_test(test_bad_images),
		cmocka_unit_test(test_bad_shstrndx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
