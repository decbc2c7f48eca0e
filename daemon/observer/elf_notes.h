// SPDX-License-Identifier: BSD-2-Clause
/*
 * elf_notes.h - which asyncdump probes an ELF file carries, read from its
 * .note.stapsdt notes (provider "asyncdump"). Used to decide which objects
 * to attach and to explain why a file cannot be observed.
 */
#ifndef AD_ELF_NOTES_H
#define AD_ELF_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "asyncdump_abi.h"

/* Where one probe site is attached (attach.c): a uprobe at `offset` in
 * the file, raising the semaphore at `sema_offset` (0: none) while
 * attached, with `cookie` telling the BPF side where its arguments are
 * (asyncdump_abi.h, AD_COOKIE). */
struct ad_elf_site {
	unsigned int probe; /* enum ad_probe */
	uint64_t offset;
	uint64_t sema_offset;
	uint64_t cookie;
};

struct ad_elf_probes {
	unsigned int sites; /* asyncdump probe sites in all */
	unsigned int per_probe[AD_PROBE_COUNT]; /* sites per enum ad_probe */
	unsigned int unknown; /* asyncdump notes with a name we
						 do not know (newer header) */
	/* The sites that can be attached (nsite of them, malloc'd: free
	 * with ad_elf_probes_free()), and how many cannot (not written by
	 * usdt/asyncdump.h: an argument not a 64-bit register, an address
	 * outside the file's code), the first one's reason in why.
	 * nsite + unusable == sites. */
	struct ad_elf_site *site;
	size_t nsite, csite;
	unsigned int unusable;
	char why[192];
};

/* Reads the asyncdump probes of the ELF file at `path`. Returns 0 (even
 * when it has none: check ->sites; free ->site after) or -errno with a
 * message in err (nothing to free):
 * -ENOENT/-EACCES etc. if it cannot be opened, -ENOEXEC if it is not a
 * readable ELF file. */
int ad_elf_probes_read(const char *path, struct ad_elf_probes *out, char *err,
		       size_t errlen);

/* The same for an ELF image of `size` bytes in memory, called `name` in
 * messages (the fuzz target's entry point: a heap copy shows a sanitizer
 * every read past the end). libelf may rewrite the image in place: it
 * must be writable and stay so until the call returns. Returns 0 or
 * -ENOEXEC (-EINVAL if libelf cannot start, -ENOMEM). */
int ad_elf_probes_read_mem(void *image, size_t size, const char *name,
			   struct ad_elf_probes *out, char *err, size_t errlen);

/* Frees what a successful read allocated; *p may be read again. */
void ad_elf_probes_free(struct ad_elf_probes *p);

/* The probe name of enum ad_probe `which` ("enter", ...), NULL if out of
 * range. */
const char *ad_probe_name(unsigned int which);

#endif /* AD_ELF_NOTES_H */
