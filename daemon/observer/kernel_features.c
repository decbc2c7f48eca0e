// SPDX-License-Identifier: BSD-2-Clause
/*
 * kernel_features.c - probe what the running kernel can do (see
 * kernel_features.h).
 *
 * Each question is one program of bpf/features.bpf.c, loaded on its own:
 * the kernel's verifier answers it exactly as it will for the real
 * programs, which use the same maps and helpers. The uprobe question is
 * answered by attaching a probe to a 5-byte nop in asyncdumpd itself and
 * looking at what the kernel made of it.
 */
#define _GNU_SOURCE
#include "observer/kernel_features.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/errmsg.h"
#include "kernel_features.skel.h"
#include "observer/libbpf_log.h"

/* A feature every variant needs: what it is and the oldest kernel that
 * has it. */
struct requirement {
	const char *what;
	const char *since;
};

static int missing(const struct requirement *r, char *err, size_t errlen)
{
	struct utsname u;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	ad_set_err(err, errlen,
		   "this kernel (%s) lacks %s, which asyncdumpd needs: run "
		   "Linux %s or later",
		   u.release, r->what, r->since);
	return -ENOTSUP;
}

/* The features named in ASYNCDUMP_DISABLE_FEATURES. */
static int read_disabled(struct ad_features *f, char *err, size_t errlen)
{
	const char *env = getenv(AD_DISABLE_FEATURES_ENV);
	char *list, *save = NULL;
	int e = 0;

	if (!env || !*env)
		return 0;
	list = strdup(env);
	if (!list)
		return -ENOMEM;
	for (char *w = strtok_r(list, ", ", &save); w && !e;
	     w = strtok_r(NULL, ", ", &save)) {
		if (strcmp(w, "sleepable") == 0) {
			f->sleepable_off = true;
		} else if (strcmp(w, "task-iter-pid") == 0) {
			f->task_iter_pid_off = true;
		} else {
			ad_set_err(err, errlen,
				   "unknown feature '%s' "
				   "in " AD_DISABLE_FEATURES_ENV
				   ": use a comma list of sleepable, "
				   "task-iter-pid",
				   w);
			e = -EINVAL;
		}
	}
	free(list);
	return e;
}

/* Opens the probe object with only program `name` to load, and loads
 * it: 0 with *out open, or the kernel's -errno (*out NULL). */
static int load_only(const char *name, struct kernel_features **out)
{
	struct kernel_features *skel = kernel_features__open();
	struct bpf_program *p;
	int e;

	*out = NULL;
	if (!skel)
		return -errno;
	bpf_object__for_each_program(p, skel->obj) bpf_program__set_autoload(
		p, strcmp(bpf_program__name(p), name) == 0);
	e = kernel_features__load(skel);
	if (e) {
		kernel_features__destroy(skel);
		return e;
	}
	*out = skel;
	return 0;
}

/* Whether program `name` loads. */
static bool loads(const char *name)
{
	struct kernel_features *skel;
	int e = load_only(name, &skel);

	kernel_features__destroy(skel);
	return e == 0;
}

/* Whether this process may use BPF at all: an array map, which every
 * kernel with BPF has. 0 or -errno. */
static int may_use_bpf(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ad_probe", 4, 4, 1, NULL);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The task iterator: -1 if it cannot run at all, else whether it can be
 * limited to one process. */
static int task_iter(void)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, o);
	union bpf_iter_link_info li;
	struct kernel_features *skel;
	struct bpf_link *l;
	int one;

	if (load_only("feat_iter", &skel))
		return -1;
	l = bpf_program__attach_iter(skel->progs.feat_iter, NULL);
	if (!l) {
		kernel_features__destroy(skel);
		return -1;
	}
	bpf_link__destroy(l);
	memset(&li, 0, sizeof(li));
	li.task.pid = (uint32_t)getpid();
	o.link_info = &li;
	o.link_info_len = sizeof(li);
	l = bpf_program__attach_iter(skel->progs.feat_iter, &o);
	one = l != NULL;
	bpf_link__destroy(l);
	kernel_features__destroy(skel);
	return one;
}

#if defined(__x86_64__)
/* A probe site as usdt/asyncdump.h makes them, a 5-byte nop, as the first
 * instruction of a function of its own (which keeps nothing in its red
 * zone, so the kernel's CALL there is harmless). */
__asm__(".pushsection .text\n"
	".globl ad_features_site\n"
	".type ad_features_site, @function\n"
	"ad_features_site:\n"
	"\t.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
	"\tret\n"
	".size ad_features_site, . - ad_features_site\n"
	".popsection\n");
void ad_features_site(void);

/* The file and offset of the code at addr in this process. */
static int where(uintptr_t addr, char *path, size_t pathlen, size_t *off)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096 + 128];
	int e = -ENOENT;

	if (!f)
		return -errno;
	while (e && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, pgoff;
		int n = 0;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &lo, &hi,
			   &pgoff, &n) < 3 ||
		    !n)
			continue;
		if (addr < lo || addr >= hi || line[n] != '/')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, pathlen, "%s", line + n);
		*off = (size_t)(addr - lo + pgoff);
		e = 0;
	}
	fclose(f);
	return e;
}

static enum ad_uprobe_site uprobe_site(void)
{
	const volatile unsigned char *site =
		(const volatile unsigned char *)(uintptr_t)ad_features_site;
	enum ad_uprobe_site kind = AD_UPROBE_UNKNOWN;
	struct kernel_features *skel;
	struct bpf_link *l;
	char path[4096];
	size_t off = 0;

	if (where((uintptr_t)site, path, sizeof(path), &off) ||
	    load_only("feat_uprobe", &skel))
		return AD_UPROBE_UNKNOWN;
	l = bpf_program__attach_uprobe(skel->progs.feat_uprobe, false, getpid(),
				       path, off);
	if (l) {
		/* The first hit traps; a kernel that optimizes rewrites the
		 * site then. */
		for (int i = 0; i < 3; i++)
			ad_features_site();
		if (site[0] == 0xe8)
			kind = AD_UPROBE_CALL;
		else if (site[0] == 0xcc)
			kind = AD_UPROBE_INT3;
		bpf_link__destroy(l);
	}
	kernel_features__destroy(skel);
	return kind;
}
#else
static enum ad_uprobe_site uprobe_site(void)
{
	return AD_UPROBE_UNKNOWN;
}
#endif

int ad_features_probe(struct ad_features *f, char *err, size_t errlen)
{
	static const struct requirement btf = {
		"BTF type information (/sys/kernel/btf/vmlinux, "
		"CONFIG_DEBUG_INFO_BTF)",
		"5.5"};
	static const struct requirement ringbuf = {"the BPF ring buffer",
						   "5.8"};
	static const struct requirement storage = {"BPF task storage", "5.11"};
	static const struct requirement store = {
		"task storage and compare-and-exchange in uprobe programs",
		"5.13"};
	static const struct requirement iter = {
		"the BPF task iterator with task storage", "5.13"};
	static const struct requirement cookie = {
		"attach cookies on uprobes (each probe site's argument "
		"registers)",
		"5.15"};
	int e, iter_pid;

	memset(f, 0, sizeof(*f));
	e = read_disabled(f, err, errlen);
	if (e)
		return e;
	ad_libbpf_log_init();
	e = may_use_bpf();
	if (e) {
		ad_set_err(err, errlen, "using BPF is not allowed: %s; %s",
			   strerror(-e),
			   e == -ENOSYS ? "this kernel was built without BPF "
					  "(CONFIG_BPF_SYSCALL)"
					: "run asyncdumpd as root");
		return e == -ENOSYS ? -ENOTSUP : e;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return missing(&btf, err, errlen);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1)
		return missing(&ringbuf, err, errlen);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) != 1)
		return missing(&storage, err, errlen);
	if (!loads("feat_store"))
		return missing(&store, err, errlen);
	iter_pid = task_iter();
	if (iter_pid < 0)
		return missing(&iter, err, errlen);
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE,
				    BPF_FUNC_get_attach_cookie, NULL) != 1)
		return missing(&cookie, err, errlen);
	f->task_iter_pid = iter_pid && !f->task_iter_pid_off;
	f->sleepable = loads("feat_sleepable") && !f->sleepable_off;
	f->uprobe_site = uprobe_site();
	return 0;
}

const char *ad_features_line(const struct ad_features *f, unsigned int i,
			     char *buf, size_t len)
{
	static const char *const site[] = {
		[AD_UPROBE_UNKNOWN] = "not known",
		[AD_UPROBE_INT3] = "a breakpoint (int3: every hit traps; "
				   "Linux 6.18 makes it a call)",
		[AD_UPROBE_CALL] = "a call into the uprobe trampoline (the "
				   "fast path of Linux 6.18)",
	};

	switch (i) {
	case 0:
		snprintf(buf, len, "_DYN string copies: %s",
			 f->sleepable
				 ? "sleepable, a string's page is faulted in"
			 : f->sleepable_off
				 ? "not sleepable (" AD_DISABLE_FEATURES_ENV
				   "): a string in a page the process never "
				   "touched is counted unreadable"
				 : "not sleepable (no sleepable uprobes: Linux "
				   "6.0): a string in a page the process never "
				   "touched is counted unreadable");
		return buf;
	case 1:
		snprintf(buf, len, "thread states for a dump: %s",
			 f->task_iter_pid
				 ? "task iterator over the dumped process"
			 : f->task_iter_pid_off
				 ? "task iterator over every task "
				   "(" AD_DISABLE_FEATURES_ENV ")"
				 : "task iterator over every task (no iterator "
				   "per process: Linux 6.1)");
		return buf;
	case 2:
		snprintf(buf, len, "attached probe sites: %s",
			 site[f->uprobe_site]);
		return buf;
	default:
		return NULL;
	}
}
