// SPDX-License-Identifier: BSD-2-Clause
/*
 * discover.c - every instrumented process of the host, found by reading
 * each process's maps: all of them at start, and the one that mapped a
 * new file whenever bpf/discover.bpf.c tells one (discover.h).
 */
#define _GNU_SOURCE
#include "observer/discover.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "core/clock.h"
#include "core/errmsg.h"
#include "core/grow.h"
#include "core/idtab.h"
#include "discover.skel.h"
#include "observer/attach.h"
#include "observer/elf_notes.h"
#include "observer/libbpf_log.h"
#include "observer/store.h"

/* Processes read once per batch of events at most (ld.so tells twice at
 * each start and dlopen). */
#define BATCH_PIDS 64u

struct ad_discover {
	struct discover *skel; /* NULL: scans only */
	struct ring_buffer *rb;
	struct bpf_link **ldso; /* the uprobe on each ld.so hooked */
	size_t nldso, cldso;
	pid_t batch[BATCH_PIDS]; /* processes read in this batch */
	size_t nbatch;
	/* Files seen, by ad_file_key (file_key()): enum file_state. */
	struct ad_idtab files;
	uint64_t dropped; /* found_dropped when last looked at */
	/* The callback of the handle or scan running. */
	struct ad_observer *obs;
	ad_discover_fn fn;
	void *ctx;
	struct ad_discover_stats *st;
	int attached;
};

enum file_state {
	FILE_NO_PROBES, /* not attached: no probes, or attaching failed */
	FILE_PROBES,	/* attached for every process */
	FILE_CHANGED,	/* changed since: decided again when next mapped */
};

/* Is the file of key k decided about? */
static bool is_decided(const struct ad_discover *d, const struct ad_key *k)
{
	const struct ad_idtab_ent *e = ad_idtab_get(&d->files, k);

	return e && e->val != FILE_CHANGED;
}

/* The key of a file, (dev, ino) as /proc/PID/maps shows them. */
static struct ad_key file_key(unsigned int major, unsigned int minor,
			      uint64_t ino)
{
	return (struct ad_key){.pid = (major << 20) | minor, .id = ino};
}

static void tell(struct ad_discover *d, pid_t pid, const char *path,
		 const char *opened, int sites, const char *err)
{
	struct ad_discover_note n = {.pid = pid,
				     .path = path,
				     .opened = opened,
				     .sites = sites,
				     .err = err};

	if (d->fn)
		d->fn(d->ctx, &n);
}

/* Remembers a file decided about, here and in the BPF program's map. */
static void decided(struct ad_discover *d, const struct ad_key *k, bool probes)
{
	struct ad_file_key fk = {.ino = k->id, .dev = k->pid};
	__u8 one = 1;

	if (ad_idtab_put(&d->files, k, probes ? FILE_PROBES : FILE_NO_PROBES,
			 0))
		return; /* out of memory: decided again next time */
	if (d->skel)
		bpf_map_update_elem(bpf_map__fd(d->skel->maps.known), &fk, &one,
				    BPF_ANY);
}

/* Is file (a path as mapped) a dynamic loader: ld-linux-x86-64.so.2,
 * ld-linux-aarch64.so.1, ld-musl-x86_64.so.1, ld-2.36.so? */
static bool is_ldso(const char *file)
{
	const char *base = strrchr(file, '/');

	base = base ? base + 1 : file;
	return strncmp(base, "ld-", 3) == 0 && strstr(base, ".so");
}

/* Hooks the uprobe on _dl_debug_state() of the ld.so at path (every
 * process that maps it, now and later). */
static void hook_ldso(struct ad_discover *d, pid_t pid, const char *path,
		      const char *file)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "_dl_debug_state");
	struct bpf_link **grown, *l;
	char err[512];

	if (!d->skel)
		return;
	grown = ad_grow(d->ldso, &d->cldso, d->nldso, sizeof(*grown), 4);
	if (!grown)
		return;
	d->ldso = grown;
	l = bpf_program__attach_uprobe_opts(d->skel->progs.ad_found_ldso, -1,
					    path, 0, &opts);
	if (!l && errno == ENOENT)
		return; /* not a dynamic loader after all: no such function */
	if (!l) {
		snprintf(err, sizeof(err),
			 "cannot put a uprobe on _dl_debug_state() of this "
			 "dynamic loader: %s; libraries its processes dlopen "
			 "are found only by a scan",
			 strerror(errno));
		tell(d, pid, file, path, 0, err);
		return;
	}
	d->ldso[d->nldso++] = l;
}

/* One executable mapping of a file: attached for every process if it has
 * probes and is not decided about yet. */
static void decide(struct ad_discover *d, pid_t pid, const char *range,
		   const struct ad_key *k, const char *file)
{
	struct ad_elf_probes probes;
	char path[4096 + 64], err[512];
	int n;

	if (is_decided(d, k))
		return;
	ad_obs_mapped_path(pid, range, file, path, sizeof(path));
	if (is_ldso(file) && !ad_idtab_get(&d->files, k))
		hook_ldso(d, pid, path, file);
	if (d->st)
		d->st->files_read++;
	n = ad_elf_probes_read(path, &probes, err, sizeof(err));
	if (!n)
		ad_elf_probes_free(&probes); /* the sites are read again */
	if (n == -ENOEXEC || (!n && !probes.sites)) {
		decided(d, k, false);
		return;
	}
	if (n)
		return; /* gone meanwhile: decided at its next mapping */
	n = ad_obs_attach_as(d->obs, path, file, -1, err, sizeof(err));
	if (n < 0) {
		char why[600];

		snprintf(why, sizeof(why),
			 "has asyncdump probes but cannot be attached: %s; "
			 "not observed",
			 err);
		tell(d, pid, file, path, 0, why);
		/* Not tried again at every mapping: a file that cannot be
		 * attached would flood the log. */
		decided(d, k, false);
		return;
	}
	decided(d, k, true);
	if (n > 0) {
		d->attached++;
		if (d->st) {
			d->st->attached++;
			d->st->sites += (unsigned int)n;
		}
		tell(d, pid, file, path, n, NULL);
	}
}

/* Reads process pid's maps and decides about each file mapped executable.
 * Returns 0, or -errno if its maps cannot be read (it is gone). */
static int read_maps(struct ad_discover *d, pid_t pid)
{
	char maps[64], line[4096 + 256];
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char range[128], perms[8], file[4096];
		unsigned int major, minor;
		unsigned long long ino;
		struct ad_key k;

		file[0] = '\0';
		/* start-end perms offset major:minor inode path */
		if (sscanf(line, "%127s %7s %*s %x:%x %llu %4095[^\n]", range,
			   perms, &major, &minor, &ino, file) < 6)
			continue;
		if (ino == 0 || perms[2] != 'x' || file[0] != '/')
			continue;
		k = file_key(major, minor, ino);
		decide(d, pid, range, &k, file);
	}
	fclose(f);
	return 0;
}

static int scan(struct ad_discover *d)
{
	struct dirent *de;
	DIR *dir = opendir("/proc");
	int e;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (read_maps(d, (pid_t)pid) == 0 && d->st)
			d->st->procs++;
	}
	e = errno;
	closedir(dir);
	return e ? -e : 0;
}

static int on_found(void *ctx, void *data, size_t size)
{
	struct ad_discover *d = ctx;
	const struct ad_found *ev = data;
	struct ad_key k;

	if (size < sizeof(*ev))
		return 0;
	k = (struct ad_key){.pid = ev->file.dev, .id = ev->file.ino};
	/* An exec of a program decided about already (another process
	 * told it first, or the maps name it otherwise, as overlayfs
	 * does): only put in the known map again, which may have dropped
	 * it (LRU). */
	if (ev->file.ino && is_decided(d, &k)) {
		decided(d, &k, ad_idtab_get(&d->files, &k)->val == FILE_PROBES);
		return 0;
	}
	for (size_t i = 0; i < d->nbatch; i++)
		if (d->batch[i] == (pid_t)ev->pid)
			return 0;
	if (d->nbatch < BATCH_PIDS)
		d->batch[d->nbatch++] = (pid_t)ev->pid;
	read_maps(d, (pid_t)ev->pid);
	return 0;
}

static void discover_free(struct ad_discover *d)
{
	if (!d)
		return;
	ring_buffer__free(d->rb);
	for (size_t i = 0; i < d->nldso; i++)
		bpf_link__destroy(d->ldso[i]);
	free(d->ldso);
	discover__destroy(d->skel);
	ad_idtab_free(&d->files);
	free(d);
}

static struct ad_discover *discover_get(struct ad_observer *obs)
{
	if (!obs->disc) {
		obs->disc = calloc(1, sizeof(*obs->disc));
		if (obs->disc)
			ad_idtab_init(&obs->disc->files);
	}
	return obs->disc;
}

int ad_observer_discover_open(struct ad_observer *obs, char *err, size_t errlen)
{
	struct ad_discover *d = discover_get(obs);
	int e;

	if (!d) {
		ad_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (d->skel)
		return 0;
	d->skel = discover__open_and_load();
	if (!d->skel) {
		e = -errno;
		ad_set_err(err, errlen,
			   "loading the discovery programs failed: %s%s",
			   strerror(-e), ad_libbpf_reason());
		goto fail;
	}
	d->skel->links.ad_found_exec =
		bpf_program__attach(d->skel->progs.ad_found_exec);
	e = d->skel->links.ad_found_exec ? 0 : -errno;
	if (e) {
		ad_set_err(err, errlen,
			   "attaching the discovery program (tracepoint "
			   "sched_process_exec) failed: %s%s",
			   strerror(-e), ad_libbpf_reason());
		goto fail;
	}
	d->rb = ring_buffer__new(bpf_map__fd(d->skel->maps.found), on_found, d,
				 NULL);
	if (!d->rb) {
		e = -errno;
		ad_set_err(err, errlen,
			   "opening the discovery ring buffer failed: %s",
			   strerror(-e));
		goto fail;
	}
	return 0;
fail:
	ring_buffer__free(d->rb);
	d->rb = NULL;
	discover__destroy(d->skel);
	d->skel = NULL;
	return e < 0 ? e : -EINVAL;
}

static void begin(struct ad_discover *d, struct ad_observer *obs,
		  ad_discover_fn fn, void *ctx, struct ad_discover_stats *st)
{
	d->obs = obs;
	d->fn = fn;
	d->ctx = ctx;
	d->st = st;
	d->attached = 0;
}

int ad_observer_discover_scan(struct ad_observer *obs, ad_discover_fn fn,
			      void *ctx, struct ad_discover_stats *st)
{
	struct ad_discover *d = discover_get(obs);
	struct ad_discover_stats local = {0};
	int64_t t0 = ad_clock_ns(CLOCK_MONOTONIC);
	int e;

	if (!d)
		return -ENOMEM;
	begin(d, obs, fn, ctx, st ? st : &local);
	*d->st = (struct ad_discover_stats){0};
	e = scan(d);
	d->st->ns = (uint64_t)(ad_clock_ns(CLOCK_MONOTONIC) - t0);
	d->st = NULL;
	return e ? e : d->attached;
}

int ad_observer_discover_fd(const struct ad_observer *obs)
{
	return obs->disc && obs->disc->rb ? ring_buffer__epoll_fd(obs->disc->rb)
					  : -1;
}

int ad_observer_discover_handle(struct ad_observer *obs, ad_discover_fn fn,
				void *ctx)
{
	struct ad_discover *d = obs->disc;
	uint64_t dropped;
	int e;

	if (!d || !d->rb)
		return 0;
	begin(d, obs, fn, ctx, NULL);
	d->nbatch = 0;
	e = ring_buffer__consume(d->rb);
	if (e < 0)
		return e;
	/* Mappings the ring buffer had no room for: every process again
	 * (only files not decided about are read). */
	dropped =
		__atomic_load_n(&d->skel->bss->found_dropped, __ATOMIC_RELAXED);
	if (dropped != d->dropped) {
		d->dropped = dropped;
		e = scan(d);
		if (e)
			return e;
	}
	return d->attached;
}

void ad_obs_discover_forget(struct ad_observer *obs, dev_t dev, ino_t ino)
{
	struct ad_discover *d = obs->disc;
	struct ad_key k = file_key(major(dev), minor(dev), ino);
	struct ad_file_key fk = {.ino = k.id, .dev = k.pid};

	if (!d || !ad_idtab_get(&d->files, &k))
		return;
	/* Out of the known map: told, and decided again, when next
	 * mapped. */
	ad_idtab_put(&d->files, &k, FILE_CHANGED, 0);
	if (d->skel)
		bpf_map_delete_elem(bpf_map__fd(d->skel->maps.known), &fk);
}

void ad_obs_discover_close(struct ad_observer *obs)
{
	discover_free(obs->disc);
	obs->disc = NULL;
}
