// SPDX-License-Identifier: BSD-2-Clause
/*
 * attach.c - the probes of an object (executable or shared library),
 * found in its ELF notes and attached for every process that maps it or
 * for one process, and detached (attach.h).
 */
#include "observer/attach.h"

#include <bpf/bpf.h>
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
#include "observer/pins.h"
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

/* ---- attachments in a pinned store (pins.h) ---------------------------- */

/* An attachment's record in the pinned "attached" map: what the next
 * daemon needs to adopt its links, pinned as links/DEV-INO/0.. */
struct att_key {
	uint64_t dev, ino;
};
struct att_rec {
	int64_t size;
	int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
	uint64_t attached_ns; /* CLOCK_MONOTONIC: the same boot, as pins */
	uint32_t sites, zero;
	char path[4096];
};
#define AD_ATT_MAX 16384u

static void att_dir(dev_t dev, ino_t ino, char *buf, size_t len)
{
	snprintf(buf, len, "links/%llu-%llu", (unsigned long long)dev,
		 (unsigned long long)ino);
}

/* Forgets a's pins: its links then detach when closed. */
static void unpin(struct ad_observer *obs, struct ad_attachment *a)
{
	struct att_key k = {a->dev, a->ino};
	char dir[64];

	if (!a->pinned)
		return;
	att_dir(a->dev, a->ino, dir, sizeof(dir));
	ad_pins_unlink(obs, dir);
	bpf_map_delete_elem(obs->att_fd, &k);
	a->pinned = false;
}

/* Detaches a, its pins first. */
static void drop(struct ad_observer *obs, struct ad_attachment *a)
{
	unpin(obs, a);
	detach(a);
}

/* Lets a's links go on with no daemon: closed without detaching (a
 * perf link's detach would disable its event). */
static void keep(struct ad_attachment *a)
{
	for (int i = 0; i < a->sites; i++) {
		bpf_link__disconnect(a->links[i]);
		bpf_link__destroy(a->links[i]);
	}
	a->sites = 0;
	detach(a);
}

/* Pins a's links and records it, so that the next daemon adopts it:
 * `path` is where that daemon finds the file to check it is the same
 * (the name a process maps it by, rather than a /proc/PID/root path
 * that goes with that process). */
static int pin(struct ad_observer *obs, struct ad_attachment *a,
	       const char *path)
{
	struct att_key k = {a->dev, a->ino};
	struct att_rec *r;
	char dir[64], name[96];
	int e = 0;

	att_dir(a->dev, a->ino, dir, sizeof(dir));
	a->pinned = true; /* so that a failure unpins what was */
	for (int i = 0; i < a->sites && !e; i++) {
		snprintf(name, sizeof(name), "%s/%d", dir, i);
		e = ad_pins_link(obs, a->links[i], name);
	}
	r = calloc(1, sizeof(*r));
	if (!e && !r)
		e = -ENOMEM;
	if (!e) {
		r->size = a->size;
		r->mtime_sec = a->mtime.tv_sec;
		r->mtime_nsec = a->mtime.tv_nsec;
		r->ctime_sec = a->ctime.tv_sec;
		r->ctime_nsec = a->ctime.tv_nsec;
		r->attached_ns = a->attached_ns;
		r->sites = (uint32_t)a->sites;
		snprintf(r->path, sizeof(r->path), "%s", path);
		if (bpf_map_update_elem(obs->att_fd, &k, r, BPF_ANY))
			e = -errno;
	}
	free(r);
	if (e)
		unpin(obs, a);
	return e;
}

/* One attachment of the pinned store: its links opened, if its file is
 * still the one attached (else dropped: a file changed while no daemon
 * ran must not keep probes at its old offsets). */
static int adopt_one(struct ad_observer *obs, const struct att_key *k,
		     const struct att_rec *r)
{
	struct ad_attachment a = {
		.dev = (dev_t)k->dev,
		.ino = (ino_t)k->ino,
		.pid = -1,
		.size = (off_t)r->size,
		.mtime = {(time_t)r->mtime_sec, (long)r->mtime_nsec},
		.ctime = {(time_t)r->ctime_sec, (long)r->ctime_nsec},
		.attached_ns = r->attached_ns,
		.pinned = true,
		.unclaimed = true,
	};
	struct ad_attachment *grown;
	char dir[64], pinpath[sizeof(obs->pin_dir) + 96];
	struct stat st;
	bool same = !stat(r->path, &st) && st.st_dev == a.dev &&
		    st.st_ino == a.ino && same_contents(&a, &st) &&
		    r->sites > 0 && r->sites <= AD_ATT_MAX * 64;

	a.links = calloc(r->sites ? r->sites : 1, sizeof(*a.links));
	grown = ad_grow(obs->att, &obs->catt, obs->natt, sizeof(*grown), 8);
	if (!a.links || !grown) {
		detach(&a);
		return -ENOMEM;
	}
	obs->att = grown;
	att_dir(a.dev, a.ino, dir, sizeof(dir));
	for (uint32_t i = 0; i < r->sites; i++) {
		snprintf(pinpath, sizeof(pinpath), "%s/%s/%u", obs->pin_dir,
			 dir, i);
		a.links[a.sites] = bpf_link__open(pinpath);
		if (a.links[a.sites])
			a.sites++;
		else
			same = false; /* a site lost: not adopted as whole */
	}
	if (!same) {
		drop(obs, &a);
		return 0;
	}
	obs->att[obs->natt++] = a;
	return a.sites;
}

int ad_obs_attachments_open(struct ad_observer *obs, char *err, size_t errlen)
{
	struct att_key k, next;
	struct att_rec *r;
	bool first = true;
	int e = 0;

	obs->att_fd = ad_pins_map(obs, "attached", sizeof(struct att_key),
				  sizeof(struct att_rec), AD_ATT_MAX);
	if (obs->att_fd < 0)
		return ad_fail(obs->att_fd, err, errlen,
			       "the pinned map of attachments under %s: %s",
			       obs->pin_dir, strerror(-obs->att_fd));
	if (!obs->adopt)
		return 0;
	r = malloc(sizeof(*r));
	if (!r)
		return ad_fail(-ENOMEM, err, errlen, "out of memory");
	/* Adopting deletes records as it goes (drop()): the keys first. */
	while (!bpf_map_get_next_key(obs->att_fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(obs->att_fd, &k, r))
			continue;
		r->path[sizeof(r->path) - 1] = '\0';
		e = adopt_one(obs, &k, r);
		if (e < 0)
			break;
	}
	free(r);
	return e < 0 ? ad_fail(e, err, errlen,
			       "adopting the pinned attachments failed: %s",
			       strerror(-e))
		     : 0;
}

/* Detaches (pins first) every attachment `doomed` says, keeping the
 * others in order. Returns the number of probe sites detached. */
static int drop_if(struct ad_observer *obs,
		   bool (*doomed)(const struct ad_attachment *, const void *),
		   const void *ctx)
{
	size_t j = 0;
	int sites = 0;

	for (size_t i = 0; i < obs->natt; i++) {
		struct ad_attachment *a = &obs->att[i];

		if (doomed(a, ctx)) {
			sites += a->sites;
			drop(obs, a);
			continue;
		}
		obs->att[j++] = *a;
	}
	obs->natt = j;
	return sites;
}

static bool is_unclaimed(const struct ad_attachment *a, const void *ctx)
{
	(void)ctx;
	return a->unclaimed;
}

int ad_obs_drop_unclaimed(struct ad_observer *obs)
{
	return drop_if(obs, is_unclaimed, NULL);
}

/* Which attachments detach_matching() detaches. */
struct match {
	const struct stat *st;
	bool written, every_only;
};

static bool matches(const struct ad_attachment *a, const void *ctx)
{
	const struct match *m = ctx;

	return a->dev == m->st->st_dev && a->ino == m->st->st_ino &&
	       (!m->every_only || a->pid == -1) &&
	       (m->written || !same_contents(a, m->st));
}

/* Detaches the attachments of st's inode that changed (all if
 * `written`), only those for every process if `every_only`. */
static int detach_matching(struct ad_observer *obs, const struct stat *st,
			   bool written, bool every_only)
{
	struct match m = {st, written, every_only};

	return drop_if(obs, matches, &m);
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
	for (size_t i = 0; i < obs->natt; i++) {
		if (obs->att[i].pinned)
			keep(&obs->att[i]); /* the next daemon adopts it */
		else
			detach(&obs->att[i]);
	}
	if (obs->att_fd >= 0)
		close(obs->att_fd);
	obs->att_fd = -1;
	free(obs->att);
	obs->att = NULL;
	obs->natt = obs->catt = 0;
}

/* The program that handles probe `which` (the sleepable or the ad_nf_*
 * variant of a _DYN one, as loaded). */
static struct bpf_program *handler(const struct ad_observer *obs,
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

/* The dispatcher of probe `which` (bpf/maps.bpf.h, "dispatch"), or NULL
 * for a sleepable handler, which cannot be tail-called. */
static struct bpf_program *dispatcher(const struct ad_observer *obs,
				      unsigned int which)
{
	const struct asyncdump *s = obs->skel;
	struct bpf_program *progs[AD_PROBE_COUNT] = {
		[AD_PROBE_TASK_SPAWN] = s->progs.ad_to_task_spawn,
		[AD_PROBE_TASK_SPAWN_DYN] = s->progs.ad_to_task_spawn_dyn,
		[AD_PROBE_TASK_EXIT] = s->progs.ad_to_task_exit,
		[AD_PROBE_POLL_BEGIN] = s->progs.ad_to_poll_begin,
		[AD_PROBE_POLL_END] = s->progs.ad_to_poll_end,
		[AD_PROBE_ENTER] = s->progs.ad_to_enter,
		[AD_PROBE_ENTER_DYN] = s->progs.ad_to_enter_dyn,
		[AD_PROBE_ENTER_AT] = s->progs.ad_to_enter_at,
		[AD_PROBE_EXIT] = s->progs.ad_to_exit,
		[AD_PROBE_MOVE] = s->progs.ad_to_move,
	};

	return bpf_program__autoload(progs[which]) ? progs[which] : NULL;
}

/* What a site of probe `which` is attached to. */
static struct bpf_program *probe_prog(const struct ad_observer *obs,
				      unsigned int which)
{
	struct bpf_program *d = dispatcher(obs, which);

	return d ? d : handler(obs, which);
}

int ad_obs_dispatch_fill(struct ad_observer *obs, unsigned int *kinds)
{
	int table = bpf_map__fd(obs->skel->maps.dispatch);

	*kinds = 0;
	for (unsigned int k = 0; k < AD_PROBE_COUNT; k++) {
		int fd;

		if (!dispatcher(obs, k))
			continue;
		fd = bpf_program__fd(handler(obs, k));
		/* one step: an event runs the old handler or this one */
		if (bpf_map_update_elem(table, &k, &fd, BPF_ANY))
			return -errno;
		(*kinds)++;
	}
	return 0;
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
static bool per_pid_of(const struct ad_attachment *a, const void *ctx)
{
	const struct ad_attachment *every = ctx;

	return a->dev == every->dev && a->ino == every->ino && a->pid != -1;
}

static void drop_covered(struct ad_observer *obs,
			 const struct ad_attachment *every)
{
	drop_if(obs, per_pid_of, every);
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
	struct ad_attachment a = {.pid = pid}, *grown, *covered;
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
	covered = find_att(obs, a.dev, a.ino, pid);
	if (!covered)
		covered = find_att(obs, a.dev, a.ino, -1);
	if (covered) {
		covered->unclaimed = false; /* wanted still, if adopted */
		return 0; /* already covered: the only way to return 0 */
	}
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
	if (pid == -1 && obs->att_fd >= 0)
		e = pin(obs, &a, shown[0] == '/' ? shown : path);
	if (e) {
		detach(&a);
		return ad_fail(e, err, errlen, "pinning the probes of %s: %s",
			       shown, strerror(-e));
	}
	if (pid == -1)
		drop_covered(obs, &a);
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
