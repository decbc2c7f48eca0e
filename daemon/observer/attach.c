// SPDX-License-Identifier: BSD-2-Clause
/*
 * attach.c - the probes of an object (executable or shared library),
 * found in its ELF notes and attached for every process that maps it or
 * for one process, and detached (attach.h).
 */
#include "observer/attach.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "asyncdump.skel.h"
#include "core/clock.h"
#include "core/errmsg.h"
#include "core/grow.h"
#include "observer/elf_notes.h"
#include "observer/procfs.h"
#include "observer/libbpf_log.h"
#include "observer/store.h"

/* What to do when attaching a probe site fails (e > 0). */
static const char *attach_hint(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return ad_privilege_hint(e);
	case EMFILE:
	case ENFILE:
		return "; every probe site holds a file descriptor: raise the "
		       "limit (ulimit -n, LimitNOFILE=) or attach fewer "
		       "objects";
	default:
		return "";
	}
}

static void detach(struct ad_attachment *a)
{
	for (int i = 0; i < a->sites; i++)
		bpf_link__destroy(a->links[i]);
	free(a->links);
	a->links = NULL;
	a->sites = 0;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool same_contents(const struct ad_attachment *a, const struct stat *st)
{
	return a->size == st->st_size && same_time(&a->mtime, &st->st_mtim) &&
	       same_time(&a->ctime, &st->st_ctim);
}

/* Detaches the attachments of st's inode that changed (all if
 * `written`), only those for every process if `every_only`. */
static int detach_matching(struct ad_observer *obs, const struct stat *st,
			   bool written, bool every_only)
{
	size_t j = 0;
	int sites = 0;

	for (size_t i = 0; i < obs->natt; i++) {
		struct ad_attachment *a = &obs->att[i];

		if (a->dev == st->st_dev && a->ino == st->st_ino &&
		    (!every_only || a->pid == -1) &&
		    (written || !same_contents(a, st))) {
			sites += a->sites;
			detach(a);
			continue;
		}
		obs->att[j++] = *a;
	}
	obs->natt = j;
	return sites;
}

int ad_obs_detach_changed(struct ad_observer *obs, const struct stat *st,
			  bool written)
{
	return detach_matching(obs, st, written, false);
}

int ad_obs_detach_inode(struct ad_observer *obs, dev_t dev, ino_t ino)
{
	struct stat st = {.st_dev = dev, .st_ino = ino};

	return detach_matching(obs, &st, true, true);
}

void ad_obs_detach_all(struct ad_observer *obs)
{
	for (size_t i = 0; i < obs->natt; i++)
		detach(&obs->att[i]);
	free(obs->att);
	obs->att = NULL;
	obs->natt = obs->catt = 0;
}

/* The program of each probe, of the variant loaded (dyn_variant()). */
static struct bpf_program *probe_prog(const struct ad_observer *obs,
				      unsigned int which)
{
	const struct asyncdump *s = obs->skel;
	bool sl = obs->features.sleepable;
	struct bpf_program *progs[AD_PROBE_COUNT] = {
		[AD_PROBE_TASK_SPAWN] = s->progs.ad_task_spawn,
		[AD_PROBE_TASK_SPAWN_DYN] = sl ? s->progs.ad_task_spawn_dyn
					       : s->progs.ad_nf_spawn_dyn,
		[AD_PROBE_TASK_EXIT] = s->progs.ad_task_exit,
		[AD_PROBE_POLL_BEGIN] = s->progs.ad_poll_begin,
		[AD_PROBE_POLL_END] = s->progs.ad_poll_end,
		[AD_PROBE_ENTER] = s->progs.ad_enter,
		[AD_PROBE_ENTER_DYN] =
			sl ? s->progs.ad_enter_dyn : s->progs.ad_nf_enter_dyn,
		[AD_PROBE_ENTER_AT] =
			sl ? s->progs.ad_enter_at : s->progs.ad_nf_enter_at,
		[AD_PROBE_EXIT] = s->progs.ad_exit,
		[AD_PROBE_MOVE] = s->progs.ad_move,
	};

	return progs[which];
}

static struct ad_attachment *find_att(struct ad_observer *obs, dev_t dev,
				      ino_t ino, pid_t pid)
{
	for (size_t i = 0; i < obs->natt; i++) {
		struct ad_attachment *a = &obs->att[i];

		if (a->dev == dev && a->ino == ino && a->pid == pid)
			return a;
	}
	return NULL;
}

/* Drops per-pid attachments of an object now covered by a pid -1 one, so
 * no probe hit runs the programs twice (a doubled ENTER would make a
 * frame its own parent). */
static void drop_covered(struct ad_observer *obs, dev_t dev, ino_t ino)
{
	size_t j = 0;

	for (size_t i = 0; i < obs->natt; i++) {
		struct ad_attachment *a = &obs->att[i];

		if (a->dev == dev && a->ino == ino && a->pid != -1) {
			detach(a);
			continue;
		}
		obs->att[j++] = *a;
	}
	obs->natt = j;
}

/* Attaches every site of probes to the file at path (for pid, or -1)
 * into a->links. */
static int attach_sites(struct ad_observer *obs, const char *path,
			const char *shown, const struct ad_elf_probes *probes,
			struct ad_attachment *a, char *err, size_t errlen)
{
	a->links = calloc(probes->nsite, sizeof(*a->links));
	if (!a->links)
		return ad_fail(-ENOMEM, err, errlen,
			       "out of memory attaching %s", shown);
	for (size_t i = 0; i < probes->nsite; i++) {
		const struct ad_elf_site *site = &probes->site[i];
		LIBBPF_OPTS(bpf_uprobe_opts, opts,
			    .ref_ctr_offset = (size_t)site->sema_offset,
			    .bpf_cookie = site->cookie);
		struct bpf_link *l;
		int e;

		l = bpf_program__attach_uprobe_opts(
			probe_prog(obs, site->probe), a->pid, path,
			(size_t)site->offset, &opts);
		if (!l) {
			e = -errno;
			ad_set_err(err, errlen,
				   "attaching probe %s:%s at offset 0x%" PRIx64
				   " of %s failed: %s%s%s",
				   ASYNCDUMP_PROVIDER,
				   ad_probe_name(site->probe), site->offset,
				   shown, strerror(-e), attach_hint(-e),
				   ad_privilege_reason(-e));
			detach(a);
			return e ? e : -EINVAL;
		}
		a->links[a->sites++] = l;
	}
	return 0;
}

static int attach_object(struct ad_observer *obs, const char *path,
			 const char *shown, pid_t pid, char *err, size_t errlen)
{
	struct ad_elf_probes probes;
	struct ad_attachment a = {.pid = pid}, *grown;
	struct stat st;
	int e;

	if (stat(path, &st)) {
		e = -errno;
		ad_set_err(err, errlen, "cannot open %s: %s", shown,
			   strerror(errno));
		return e;
	}
	a.dev = st.st_dev;
	a.ino = st.st_ino;
	a.size = st.st_size;
	a.mtime = st.st_mtim;
	a.ctime = st.st_ctim;
	if (find_att(obs, a.dev, a.ino, pid) || find_att(obs, a.dev, a.ino, -1))
		return 0; /* already covered: the only way to return 0 */
	/* Room for the new entry first: once probes are attached (and, for
	 * pid -1, per-pid ones dropped) nothing may fail any more. */
	grown = ad_grow(obs->att, &obs->catt, obs->natt, sizeof(*grown), 8);
	if (!grown) {
		ad_set_err(err, errlen, "out of memory attaching %s", shown);
		return -ENOMEM;
	}
	obs->att = grown;
	e = ad_elf_probes_read(path, &probes, err, errlen);
	if (e)
		return e;
	if (!probes.sites) {
		ad_set_err(err, errlen,
			   "%s has no asyncdump probes: build it with "
			   "usdt/asyncdump.h",
			   shown);
		e = -ENOENT;
	} else if (probes.unusable) {
		/* Not written by the header: attaching the rest would show
		 * a program missing some of its events as whole. */
		ad_set_err(err, errlen,
			   "%s: %s (%u of %u probe sites cannot be "
			   "attached): build it with this version's "
			   "usdt/asyncdump.h",
			   shown, probes.why, probes.unusable, probes.sites);
		e = -EINVAL;
	} else {
		e = attach_sites(obs, path, shown, &probes, &a, err, errlen);
	}
	ad_elf_probes_free(&probes);
	if (e)
		return e;
	a.attached_ns = (uint64_t)ad_clock_ns(CLOCK_MONOTONIC);
	if (pid == -1)
		drop_covered(obs, a.dev, a.ino);
	obs->att[obs->natt++] = a;
	return a.sites;
}

/* The attachment covering a mapping of pid's (dev, ino), or NULL. */
static const struct ad_attachment *covering(const struct ad_observer *obs,
					    pid_t pid, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < obs->natt; i++) {
		const struct ad_attachment *a = &obs->att[i];

		if (a->dev == dev && a->ino == ino &&
		    (a->pid == -1 || a->pid == pid))
			return a;
	}
	return NULL;
}

/* Adds path to the ", "-separated list in buf, once. */
static void add_name(char *buf, size_t len, const char *path)
{
	size_t used = strlen(buf);

	if (!len || strstr(buf, path))
		return;
	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", path);
}

int ad_obs_mapped_attachments(const struct ad_observer *obs, pid_t pid,
			      uint64_t *latest_ns, char *paths, size_t len)
{
	char path[64], line[512];
	uint64_t latest = 0;
	FILE *f;

	if (paths && len)
		paths[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const struct ad_attachment *a;
		unsigned int major, minor;
		unsigned long ino;
		int end = 0;

		/* A line longer than the buffer comes in pieces; only a
		 * line's first piece matches. */
		if (sscanf(line, "%*x-%*x %*4s %*x %x:%x %lu %n", &major,
			   &minor, &ino, &end) != 3 ||
		    !ino)
			continue;
		a = covering(obs, pid, makedev(major, minor), (ino_t)ino);
		if (!a)
			continue;
		if (a->attached_ns > latest)
			latest = a->attached_ns;
		line[strcspn(line, "\n")] = '\0';
		if (paths && end > 0)
			add_name(paths, len, line + end);
	}
	fclose(f);
	if (latest_ns)
		*latest_ns = latest;
	return 0;
}

void ad_obs_read_coverage(const struct ad_observer *obs, pid_t pid,
			  uint64_t *started_ns, uint64_t *attached_ns)
{
	*started_ns = ad_proc_started_ns(pid);
	if (ad_obs_mapped_attachments(obs, pid, attached_ns, NULL, 0))
		*attached_ns = 0;
}

int ad_observer_attach_path(struct ad_observer *obs, const char *path,
			    pid_t pid, char *err, size_t errlen)
{
	return attach_object(obs, path, path, pid, err, errlen);
}

void ad_obs_mapped_path(pid_t pid, const char *range, const char *file,
			char *buf, size_t len)
{
	static const char deleted[] = " (deleted)";
	size_t n = strlen(file);

	if (n > sizeof(deleted) - 1 &&
	    strcmp(file + n - (sizeof(deleted) - 1), deleted) == 0)
		snprintf(buf, len, "/proc/%d/map_files/%s", (int)pid, range);
	else
		snprintf(buf, len, "/proc/%d/root%s", (int)pid, file);
}

int ad_obs_attach_as(struct ad_observer *obs, const char *path,
		     const char *shown, pid_t pid, char *err, size_t errlen)
{
	return attach_object(obs, path, shown, pid, err, errlen);
}

/* One object mapped by the process, attached for it alone. */
static int attach_mapped(struct ad_observer *obs, pid_t pid, const char *range,
			 const char *file, char *err, size_t errlen)
{
	char path[4096 + 64];

	ad_obs_mapped_path(pid, range, file, path, sizeof(path));
	return attach_object(obs, path, file, pid, err, errlen);
}

int ad_observer_attach_pid(struct ad_observer *obs, pid_t pid, char *err,
			   size_t errlen)
{
	char maps[64], line[4096 + 256], first_err[512] = "";
	int total = 0, first_errno = 0, covered = 0;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f) {
		int e = errno;

		ad_set_err(err, errlen, "cannot read %s: %s%s", maps,
			   strerror(e),
			   e == ENOENT ? " (no such process)"
				       : ad_privilege_hint(e));
		return -e;
	}
	while (fgets(line, sizeof(line), f)) {
		char range[128], perms[8], file[4096];
		unsigned long long ino;
		int n;

		file[0] = '\0';
		/* start-end perms offset dev inode path */
		if (sscanf(line, "%127s %7s %*s %*s %llu %4095[^\n]", range,
			   perms, &ino, file) < 3)
			continue;
		/* Probe sites are in executable mappings of real files. */
		if (ino == 0 || perms[2] != 'x' || file[0] != '/')
			continue;
		n = attach_mapped(obs, pid, range, file, first_err,
				  sizeof(first_err));
		if (n > 0) {
			total += n;
		} else if (n == 0) {
			covered++; /* attached already, e.g. by --attach PATH */
		} else if (n < 0 && n != -ENOENT && n != -ENOEXEC &&
			   !first_errno) {
			first_errno = n;
			ad_set_err(err, errlen, "%s", first_err);
		}
	}
	fclose(f);
	if (first_errno && !total)
		return first_errno;
	/* Every object with probes is attached already (for every process
	 * or for this one): nothing to add, and nothing wrong. */
	if (!total && !first_errno && !covered) {
		ad_set_err(err, errlen,
			   "process %d maps no object with asyncdump probes: "
			   "build "
			   "it with usdt/asyncdump.h",
			   (int)pid);
		return -ENOENT;
	}
	return total;
}
