// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_elf_notes.c - libFuzzer target: the SDT note reader
 * (observer/elf_notes.c) on hostile ELF files, the files --attach names.
 *
 * The input is read as an ELF image from an exact-size heap copy
 * (ad_elf_probes_read_mem: ASan sees any read past its end), and as a
 * file, written to a memfd and opened as /proc/self/fd/N the way the
 * daemon opens one (ad_elf_probes_read: open, libelf over a private
 * mmap). Invariants: both read the same probes and sites; the count of
 * sites is the sum of the per-probe counts and of the usable and unusable
 * ones; every usable site has a cookie; a failure says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "observer/elf_notes.h"

static int memfd = -1;
static char path[64];

static void check(int rc, const struct ad_elf_probes *p, const char *err)
{
	unsigned int sum = 0;

	if (rc == 0) {
		for (unsigned int i = 0; i < AD_PROBE_COUNT; i++)
			sum += p->per_probe[i];
		if (sum != p->sites || p->nsite + p->unusable != p->sites ||
		    (p->unusable && !p->why[0]))
			abort();
		for (size_t i = 0; i < p->nsite; i++)
			if (p->site[i].probe >= AD_PROBE_COUNT ||
			    !AD_COOKIE_VALID(p->site[i].cookie) ||
			    AD_COOKIE_NARGS(p->site[i].cookie) == 0)
				abort();
	} else if (rc != -ENOEXEC || !err[0]) {
		/* the image is always there: only "not an ELF file" */
		abort();
	}
}

/* Both reads found the same probes and sites. */
static bool same_probes(const struct ad_elf_probes *a,
			const struct ad_elf_probes *b)
{
	if (a->sites != b->sites || a->unknown != b->unknown ||
	    a->unusable != b->unusable || a->nsite != b->nsite ||
	    memcmp(a->per_probe, b->per_probe, sizeof(a->per_probe)) ||
	    strcmp(a->why, b->why))
		return false;
	for (size_t i = 0; i < a->nsite; i++)
		if (a->site[i].probe != b->site[i].probe ||
		    a->site[i].offset != b->site[i].offset ||
		    a->site[i].sema_offset != b->site[i].sema_offset ||
		    a->site[i].cookie != b->site[i].cookie)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_elf_probes mem, file;
	char err[512], ferr[512];
	void *image;
	int rc, frc;

	/* libelf may rewrite the image: a copy, exactly `size` bytes */
	image = malloc(size ? size : 1);
	if (!image)
		return 0;
	memcpy(image, data, size);
	err[0] = '\0';
	rc = ad_elf_probes_read_mem(image, size, "input", &mem, err,
				    sizeof(err));
	free(image);
	check(rc, &mem, err);

	if (memfd < 0) {
		memfd = memfd_create("fuzz_elf", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) || ftruncate(memfd, (off_t)size) ||
	    (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	ferr[0] = '\0';
	frc = ad_elf_probes_read(path, &file, ferr, sizeof(ferr));
	check(frc, &file, ferr);
	if (frc != rc || !same_probes(&mem, &file))
		abort();
	if (!rc) {
		ad_elf_probes_free(&mem);
		ad_elf_probes_free(&file);
	}

	for (unsigned int i = 0; i <= AD_PROBE_COUNT; i++)
		if ((ad_probe_name(i) == NULL) != (i == AD_PROBE_COUNT))
			abort();
	return 0;
}
