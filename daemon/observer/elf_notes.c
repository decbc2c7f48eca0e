// SPDX-License-Identifier: BSD-2-Clause
/*
 * elf_notes.c - list the asyncdump SDT probes of an ELF file with libelf.
 *
 * An SDT v3 note (type 3, owner "stapsdt") has as descriptor three
 * addresses (probe, .stapsdt.base, semaphore; 4 or 8 bytes each by ELF
 * class) followed by three NUL-terminated strings: provider, name, args.
 */
#include "observer/elf_notes.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SDT_NOTE_TYPE 3
#define SDT_NOTE_OWNER "stapsdt"
#define SDT_NOTE_SECTION ".note.stapsdt"

static const char *const probe_names[AD_PROBE_COUNT] = {AD_PROBE_NAMES};

const char *ad_probe_name(unsigned int which)
{
	return which < AD_PROBE_COUNT ? probe_names[which] : NULL;
}

static int probe_index(const char *name)
{
	for (unsigned int i = 0; i < AD_PROBE_COUNT; i++)
		if (strcmp(probe_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Counts one note descriptor if it is an asyncdump probe. */
static void count_note(const char *desc, size_t len, size_t addr_size,
		       struct ad_elf_probes *out)
{
	const char *provider, *name, *end = desc + len;
	int idx;

	if (len < 3 * addr_size)
		return;
	provider = desc + 3 * addr_size;
	name = memchr(provider, '\0', (size_t)(end - provider));
	if (!name)
		return;
	name++;
	if (name >= end || !memchr(name, '\0', (size_t)(end - name)))
		return;
	if (strcmp(provider, ASYNCDUMP_PROVIDER) != 0)
		return;
	idx = probe_index(name);
	if (idx < 0) {
		out->unknown++;
		return;
	}
	out->per_probe[idx]++;
	out->sites++;
}

static void scan_section(Elf_Data *data, size_t addr_size,
			 struct ad_elf_probes *out)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nhdr;

	while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) >
	       0) {
		const char *base = data->d_buf;

		if (nhdr.n_type != SDT_NOTE_TYPE ||
		    nhdr.n_namesz != sizeof(SDT_NOTE_OWNER) ||
		    memcmp(base + name_off, SDT_NOTE_OWNER,
			   sizeof(SDT_NOTE_OWNER)) != 0)
			continue;
		count_note(base + desc_off, nhdr.n_descsz, addr_size, out);
	}
}

/* The asyncdump probes of an ELF opened by either entry point. */
static int scan_elf(Elf *elf, const char *name, struct ad_elf_probes *out,
		    char *err, size_t errlen)
{
	size_t shstrndx, addr_size;
	Elf_Scn *scn = NULL;

	if (!elf || elf_kind(elf) != ELF_K_ELF ||
	    elf_getshdrstrndx(elf, &shstrndx) != 0) {
		snprintf(err, errlen,
			 "%s is not an ELF executable or shared library", name);
		return -ENOEXEC;
	}
	addr_size = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr shdr;
		const char *sname;
		Elf_Data *data = NULL;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		sname = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!sname || strcmp(sname, SDT_NOTE_SECTION) != 0)
			continue;
		while ((data = elf_getdata(scn, data)) != NULL)
			scan_section(data, addr_size, out);
	}
	return 0;
}

static int init_libelf(char *err, size_t errlen)
{
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf initialisation failed: %s",
			 elf_errmsg(-1));
		return -EINVAL;
	}
	return 0;
}

int ad_elf_probes_read(const char *path, struct ad_elf_probes *out, char *err,
		       size_t errlen)
{
	int fd, ret;
	Elf *elf;

	memset(out, 0, sizeof(*out));
	ret = init_libelf(err, errlen);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path,
			 strerror(errno));
		return ret;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ret = scan_elf(elf, path, out, err, errlen);
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

int ad_elf_probes_read_mem(void *image, size_t size, const char *name,
			   struct ad_elf_probes *out, char *err, size_t errlen)
{
	Elf *elf;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = init_libelf(err, errlen);
	if (ret)
		return ret;
	elf = elf_memory(image, size);
	ret = scan_elf(elf, name, out, err, errlen);
	if (elf)
		elf_end(elf);
	return ret;
}
