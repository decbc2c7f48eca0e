// SPDX-License-Identifier: BSD-2-Clause
/*
 * elf_notes.h - which asyncdump probes an ELF file carries, read from its
 * .note.stapsdt notes (provider "asyncdump"). Used to decide which objects
 * to attach and to explain why a file cannot be observed.
 */
#ifndef AD_ELF_NOTES_H
#define AD_ELF_NOTES_H

#include <stddef.h>

#include "asyncdump_abi.h"

struct ad_elf_probes {
	unsigned int sites; /* asyncdump probe sites in all */
	unsigned int per_probe[AD_PROBE_COUNT]; /* sites per enum ad_probe */
	unsigned int unknown; /* asyncdump notes with a name we
						 do not know (newer header) */
};

/* Reads the asyncdump probes of the ELF file at `path`. Returns 0 (even
 * when it has none: check ->sites) or -errno with a message in err:
 * -ENOENT/-EACCES etc. if it cannot be opened, -ENOEXEC if it is not a
 * readable ELF file. */
int ad_elf_probes_read(const char *path, struct ad_elf_probes *out, char *err,
		       size_t errlen);

/* The same for an ELF image of `size` bytes in memory, called `name` in
 * messages (the fuzz target's entry point: a heap copy shows a sanitizer
 * every read past the end). libelf may rewrite the image in place: it
 * must be writable and stay so until the call returns. Returns 0 or
 * -ENOEXEC (-EINVAL if libelf cannot start). */
int ad_elf_probes_read_mem(void *image, size_t size, const char *name,
			   struct ad_elf_probes *out, char *err, size_t errlen);

/* The probe name of enum ad_probe `which` ("enter", ...), NULL if out of
 * range. */
const char *ad_probe_name(unsigned int which);

#endif /* AD_ELF_NOTES_H */
