// SPDX-License-Identifier: BSD-2-Clause
/*
 * elf_notes.c - list the asyncdump SDT probes of an ELF file with libelf,
 * and where the daemon attaches each one (elf_notes.h).
 *
 * An SDT v3 note (type 3, owner "stapsdt") has as descriptor three
 * addresses (probe, .stapsdt.base, semaphore; 4 or 8 bytes each by ELF
 * class) followed by three NUL-terminated strings: provider, name, args.
 * The probe address is a link-time one: if the file was prelinked, it
 * moved by as much as the .stapsdt.base section did (the note's second
 * address against that section's). A uprobe is placed by file offset:
 * the address within its executable PT_LOAD segment, plus the segment's
 * offset; the semaphore likewise within a writable segment.
 */
#include "observer/elf_notes.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/grow.h"

#define SDT_NOTE_TYPE 3
#define SDT_NOTE_OWNER "stapsdt"
#define SDT_NOTE_SECTION ".note.stapsdt"
#define SDT_BASE_SECTION ".stapsdt.base"

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

/* What the scan needs of the file besides its notes. */
struct elf_layout {
	Elf *elf;
	size_t addr_size;
	unsigned int machine; /* e_machine */
	bool have_base;
	uint64_t base; /* sh_addr of .stapsdt.base */
};

/* One note, split up. */
struct sdt_note {
	uint64_t pc, base, sema;
	const char *name, *args;
};

/* A register's byte offset in the kernel's struct pt_regs (user_pt_regs
 * on arm64), which the BPF side loads it from (bpf/usdt_args.bpf.h). */
struct reg_off {
	const char *name;
	unsigned int off;
};

static const struct reg_off x86_64_regs[] = {
	{"r15", 0},  {"r14", 8},   {"r13", 16},	 {"r12", 24},
	{"rbp", 32}, {"rbx", 40},  {"r11", 48},	 {"r10", 56},
	{"r9", 64},  {"r8", 72},   {"rax", 80},	 {"rcx", 88},
	{"rdx", 96}, {"rsi", 104}, {"rdi", 112}, {"rsp", 152},
};

static int reg_offset(unsigned int machine, const char *name, size_t len)
{
	if (machine == EM_X86_64) {
		for (size_t i = 0;
		     i < sizeof(x86_64_regs) / sizeof(x86_64_regs[0]); i++)
			if (strlen(x86_64_regs[i].name) == len &&
			    memcmp(x86_64_regs[i].name, name, len) == 0)
				return (int)x86_64_regs[i].off;
		return -1;
	}
	if (machine == EM_AARCH64) {
		unsigned int n = 0;

		if (len == 2 && memcmp(name, "sp", 2) == 0)
			return 31 * 8;
		if (len < 2 || len > 3 || name[0] != 'x')
			return -1;
		for (size_t i = 1; i < len; i++) {
			if (name[i] < '0' || name[i] > '9')
				return -1;
			n = n * 10 + (unsigned int)(name[i] - '0');
		}
		return n <= 30 ? (int)(n * 8) : -1;
	}
	return -1;
}

/* The attach cookie of an argument string: every argument a 64-bit
 * register, "8@%reg" (x86-64) or "8@xN" (arm64), as usdt/asyncdump.h
 * writes them (asyncdump_abi.h, AD_COOKIE). 0 with a reason if not. */
static uint64_t args_cookie(unsigned int machine, const char *args, char *why,
			    size_t whylen)
{
	unsigned int offs[AD_COOKIE_ARGS_MAX], n = 0;
	const char *p = args;

	while (*p) {
		const char *reg, *end;
		int off;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		end = strchr(p, ' ');
		if (!end)
			end = p + strlen(p);
		if (n == AD_COOKIE_ARGS_MAX) {
			snprintf(why, whylen, "more than %d arguments",
				 AD_COOKIE_ARGS_MAX);
			return 0;
		}
		reg = p + 2;
		if (end - p < 3 || p[0] != '8' || p[1] != '@') {
			off = -1;
		} else {
			if (*reg == '%')
				reg++;
			off = reg_offset(machine, reg, (size_t)(end - reg));
		}
		if (off < 0) {
			snprintf(why, whylen,
				 "argument \"%.*s\" is not a 64-bit register",
				 (int)(end - p > 64 ? 64 : end - p), p);
			return 0;
		}
		offs[n++] = (unsigned int)off;
		p = end;
	}
	if (!n) {
		snprintf(why, whylen, "no arguments");
		return 0;
	}
	return ad_cookie_make(n, offs);
}

/* The file offset of vaddr, in a loadable segment that is executable
 * (want_exec) or not. */
static int file_offset(const struct elf_layout *l, uint64_t vaddr,
		       bool want_exec, uint64_t *out)
{
	size_t n;

	if (elf_getphdrnum(l->elf, &n) != 0)
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(l->elf, (int)i, &ph) ||
		    ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) != !want_exec || vaddr < ph.p_vaddr ||
		    vaddr - ph.p_vaddr >= ph.p_memsz)
			continue;
		*out = vaddr - ph.p_vaddr + ph.p_offset;
		return 0;
	}
	return -ESRCH;
}

static void unusable(struct ad_elf_probes *out, const struct sdt_note *n,
		     const char *why)
{
	if (!out->unusable++)
		snprintf(out->why, sizeof(out->why),
			 "probe asyncdump:%s at 0x%" PRIx64 ": %s", n->name,
			 n->pc, why);
}

/* Where one asyncdump probe is attached, into out->site. */
static int add_site(const struct elf_layout *l, const struct sdt_note *n,
		    unsigned int probe, struct ad_elf_probes *out)
{
	struct ad_elf_site s = {.probe = probe}, *grown;
	uint64_t pc = n->pc;
	char why[128];

	if (l->have_base)
		pc += l->base - n->base; /* prelinked: moved as the base did */
	s.cookie = args_cookie(l->machine, n->args, why, sizeof(why));
	if (!s.cookie) {
		unusable(out, n, why);
		return 0;
	}
	if (file_offset(l, pc, true, &s.offset)) {
		unusable(out, n, "not in an executable segment");
		return 0;
	}
	if (n->sema && file_offset(l, n->sema, false, &s.sema_offset)) {
		unusable(out, n, "semaphore not in a data segment");
		return 0;
	}
	grown = ad_grow(out->site, &out->csite, out->nsite, sizeof(*grown), 16);
	if (!grown)
		return -ENOMEM;
	out->site = grown;
	out->site[out->nsite++] = s;
	return 0;
}

static uint64_t read_addr(const char *p, size_t addr_size)
{
	uint64_t v64;
	uint32_t v32;

	if (addr_size == 4) {
		memcpy(&v32, p, 4);
		return v32;
	}
	memcpy(&v64, p, 8);
	return v64;
}

/* One note descriptor, if it is an asyncdump probe: counted, and its
 * site kept. */
static int take_note(const struct elf_layout *l, const char *desc, size_t len,
		     struct ad_elf_probes *out)
{
	const char *provider, *end = desc + len;
	struct sdt_note n;
	int idx;

	if (len < 3 * l->addr_size)
		return 0;
	provider = desc + 3 * l->addr_size;
	n.name = memchr(provider, '\0', (size_t)(end - provider));
	if (!n.name)
		return 0;
	n.name++;
	n.args = n.name < end ? memchr(n.name, '\0', (size_t)(end - n.name))
			      : NULL;
	if (!n.args)
		return 0;
	n.args++;
	if (n.args >= end || !memchr(n.args, '\0', (size_t)(end - n.args)) ||
	    strcmp(provider, ASYNCDUMP_PROVIDER) != 0)
		return 0;
	idx = probe_index(n.name);
	if (idx < 0) {
		out->unknown++;
		return 0;
	}
	out->per_probe[idx]++;
	out->sites++;
	n.pc = read_addr(desc, l->addr_size);
	n.base = read_addr(desc + l->addr_size, l->addr_size);
	n.sema = read_addr(desc + 2 * l->addr_size, l->addr_size);
	return add_site(l, &n, (unsigned int)idx, out);
}

static int scan_section(const struct elf_layout *l, Elf_Data *data,
			struct ad_elf_probes *out)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nhdr;

	while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) >
	       0) {
		const char *base = data->d_buf;
		int e;

		if (nhdr.n_type != SDT_NOTE_TYPE ||
		    nhdr.n_namesz != sizeof(SDT_NOTE_OWNER) ||
		    memcmp(base + name_off, SDT_NOTE_OWNER,
			   sizeof(SDT_NOTE_OWNER)) != 0)
			continue;
		e = take_note(l, base + desc_off, nhdr.n_descsz, out);
		if (e)
			return e;
	}
	return 0;
}

/* Finds .stapsdt.base, for add_site(). */
static void find_base(struct elf_layout *l, size_t shstrndx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(l->elf, scn)) != NULL) {
		GElf_Shdr shdr;
		const char *sname;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		sname = elf_strptr(l->elf, shstrndx, shdr.sh_name);
		if (sname && strcmp(sname, SDT_BASE_SECTION) == 0) {
			l->have_base = true;
			l->base = shdr.sh_addr;
			return;
		}
	}
}

/* The asyncdump probes of an ELF opened by either entry point. */
static int scan_elf(Elf *elf, const char *name, struct ad_elf_probes *out,
		    char *err, size_t errlen)
{
	struct elf_layout l = {.elf = elf};
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t shstrndx, shnum;

	/* A string table index past the sections is refused whatever way
	 * the file was opened: libelf reads it from a file but not from
	 * memory (found by fuzz_elf_notes). */
	if (!elf || elf_kind(elf) != ELF_K_ELF ||
	    elf_getshdrnum(elf, &shnum) != 0 ||
	    elf_getshdrstrndx(elf, &shstrndx) != 0 ||
	    (shnum && shstrndx >= shnum) || !gelf_getehdr(elf, &eh)) {
		snprintf(err, errlen,
			 "%s is not an ELF executable or shared library", name);
		return -ENOEXEC;
	}
	l.addr_size = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	l.machine = eh.e_machine;
	find_base(&l, shstrndx);
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr shdr;
		const char *sname;
		Elf_Data *data = NULL;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		sname = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!sname || strcmp(sname, SDT_NOTE_SECTION) != 0)
			continue;
		while ((data = elf_getdata(scn, data)) != NULL) {
			int e = scan_section(&l, data, out);

			if (e) {
				snprintf(err, errlen,
					 "reading the probes of %s: %s", name,
					 strerror(-e));
				ad_elf_probes_free(out);
				return e;
			}
		}
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

void ad_elf_probes_free(struct ad_elf_probes *p)
{
	free(p->site);
	p->site = NULL;
	p->nsite = p->csite = 0;
}
