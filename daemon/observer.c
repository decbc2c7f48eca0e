/*
 * observer.c - load the BPF task/frame store and attach the probes to
 * binaries and processes. Each process's own maps are observer_slots.c,
 * reading records back observer_read.c, reclaiming them observer_gc.c
 * (observer.h is the contract, observer_impl.h what these files share).
 */
#include "observer_impl.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "asyncdump.skel.h"
#include "elf_notes.h"
#include "grow.h"
#include "libbpf_log.h"

/* Events ring buffer size; an event takes 24 bytes, and a full ring only
 * delays reclaim and slot refills until the next ad_observer_gc(). */
#define AD_EVENTS_BYTES (256u * 1024u)

uint64_t ad_obs_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct ad_mapset ad_obs_shared_maps(const struct ad_observer *obs)
{
	return obs->slots[AD_SLOT_SHARED].maps;
}

/* Where libbpf's own account of a failure is (the verifier's log, a
 * note it could not parse): shown above, or to be asked for. */
static const char *libbpf_reason(void)
{
	return ad_libbpf_log_shown()
		       ? " (libbpf's log above says why)"
		       : " (set " AD_DEBUG_ENV "=1 for libbpf's reason)";
}

/* EPERM/EACCES mean "not root" only when we are not: as root they come
 * from the verifier (a program it refused) or a security policy, and
 * libbpf's log says which (privilege_reason()). */
static const char *privilege_hint(int e)
{
	if (e != EPERM && e != EACCES)
		return "";
	return geteuid() ? "; run asyncdumpd as root"
			 : "; refused although running as root (a kernel "
			   "security policy or lockdown may forbid it)";
}

static const char *privilege_reason(int e)
{
	return (e == EPERM || e == EACCES) && !geteuid() ? libbpf_reason() : "";
}

/* What to do when attaching a USDT probe fails (e > 0), and where
 * libbpf's reason is when it has one (attach_reason()). */
static const char *attach_hint(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return privilege_hint(e);
	case EMFILE:
	case ENFILE:
		return "; every probe site holds a file descriptor: raise the "
		       "limit (ulimit -n, LimitNOFILE=) or attach fewer objects";
	case E2BIG:
		return "; more distinct probe argument layouts than the BPF "
		       "object has room for (4096): attach fewer objects";
	case ENOENT:
	case EINVAL:
		return "; libbpf could not use its probe notes: build it with "
		       "this version's usdt/asyncdump.h";
	default:
		return "";
	}
}

static const char *attach_reason(int e)
{
	return e == ENOENT || e == EINVAL ? libbpf_reason() : privilege_reason(e);
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

static int resize(struct bpf_map *map, uint32_t entries, char *err,
		  size_t errlen)
{
	int e = bpf_map__set_max_entries(map, entries);

	if (e)
		ad_set_err(err, errlen, "sizing BPF map %s to %" PRIu32
			" entries failed: %s", bpf_map__name(map), entries,
			strerror(-e));
	return e;
}

/* The programs that may copy a _DYN string come in two variants
 * (bpf/asyncdump.bpf.c): sleepable, so they can fault a string's page in,
 * where the kernel allows it (libbpf 1.1 has no "usdt.s" section: the
 * flag is set here); else the non-faulting ad_nf_* ones. Only the chosen
 * ones are loaded. The hot ENTER/EXIT programs are never sleepable. */
static int dyn_variant(struct asyncdump *skel, bool sleepable, char *err,
		       size_t errlen)
{
	struct bpf_program *pairs[][2] = {
		{skel->progs.ad_enter_dyn, skel->progs.ad_nf_enter_dyn},
		{skel->progs.ad_enter_at, skel->progs.ad_nf_enter_at},
		{skel->progs.ad_task_spawn_dyn, skel->progs.ad_nf_spawn_dyn},
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		int e = bpf_program__set_autoload(pairs[i][!sleepable], true);

		if (!e)
			e = bpf_program__set_autoload(pairs[i][sleepable], false);
		if (!e && sleepable)
			e = bpf_program__set_flags(pairs[i][0], BPF_F_SLEEPABLE);
		if (e) {
			ad_set_err(err, errlen,
				       "choosing the _DYN probe programs failed: %s",
				       strerror(-e));
			return e;
		}
	}
	return 0;
}

/* Sizes every map: the shared record maps and the slot tables (slots
 * 1..max_slots, so max_slots + 1 entries). */
static int configure(struct ad_observer *obs, const struct ad_observer_opts *o,
		     char *err, size_t errlen)
{
	struct asyncdump *skel = obs->skel;
	uint32_t nslots = o->max_slots;
	int e;

	if ((e = resize(skel->maps.procs, o->max_procs, err, errlen)) ||
	    (e = resize(skel->maps.slot_owner, nslots + 1, err, errlen)) ||
	    (e = resize(skel->maps.frames_of, nslots + 1, err, errlen)) ||
	    (e = resize(skel->maps.tasks_of, nslots + 1, err, errlen)) ||
	    (e = resize(skel->maps.strings_of, nslots + 1, err, errlen)) ||
	    (e = resize(skel->maps.events, AD_EVENTS_BYTES, err, errlen)))
		return e;
	/* label_max bounds the string copy; the verifier checks it against
	 * these value sizes, so they must agree. */
	if ((e = bpf_map__set_value_size(skel->maps.zeros, o->label_max))) {
		ad_set_err(err, errlen, "setting the label size to %" PRIu32
			" failed: %s", o->label_max, strerror(-e));
		return e;
	}
	skel->rodata->label_max = o->label_max;
	return dyn_variant(skel, o->features->sleepable, err, errlen);
}

/* The maps of a slot must be like the inner map each outer map (frames_of
 * etc.) was created with. libbpf 1.1 cannot resize its own inner map
 * definitions, so the shared maps (slot 0) are created first, exactly as
 * every slot's will be (ad_obs_create_map), and given to libbpf as the
 * templates. */
static int set_templates(struct ad_observer *obs, char *err, size_t errlen)
{
	struct bpf_map *outer[3] = {obs->skel->maps.frames_of,
				    obs->skel->maps.tasks_of,
				    obs->skel->maps.strings_of};
	int e = ad_obs_shared_create(obs);
	const struct ad_mapset *m = &obs->slots[AD_SLOT_SHARED].maps;
	int fds[3] = {m->frames, m->tasks, m->strings};

	if (e) {
		ad_set_err(err, errlen,
			       "creating the shared BPF maps (%" PRIu32 " frames, %"
			       PRIu32 " tasks) failed: %s%s%s", obs->max_frames,
			       obs->max_tasks, strerror(-e),
			       e == -ENOMEM ? "; lower --max-frames/--max-tasks"
					    : privilege_hint(-e),
			       privilege_reason(-e));
		return e;
	}
	for (unsigned int i = 0; i < 3; i++) {
		e = bpf_map__set_inner_map_fd(outer[i], fds[i]);
		if (e) {
			ad_set_err(err, errlen,
				       "setting the template of BPF map %s failed: %s",
				       bpf_map__name(outer[i]), strerror(-e));
			return e;
		}
	}
	return 0;
}

static int check_opts(const struct ad_observer_opts *in,
		      struct ad_observer_opts *o, char *err, size_t errlen)
{
	*o = *in;
	if (!o->features) {
		ad_set_err(err, errlen, "the kernel's features were not probed");
		return -EINVAL;
	}
	if (!o->max_frames)
		o->max_frames = AD_DEFAULT_MAX_FRAMES;
	if (!o->max_tasks)
		o->max_tasks = AD_DEFAULT_MAX_TASKS;
	if (!o->max_procs)
		o->max_procs = AD_DEFAULT_MAX_PROCS;
	if (!o->label_max)
		o->label_max = AD_DEFAULT_LABEL_MAX;
	if (o->max_slots > o->max_procs) {
		ad_set_err(err, errlen, "%" PRIu32 " process slots for %"
			       PRIu32 " processes: use at most as many slots",
			       o->max_slots, o->max_procs);
		return -EINVAL;
	}
	if (o->max_procs > AD_MAX_PROCS_LIMIT) {
		ad_set_err(err, errlen, "%" PRIu32 " processes is too many: "
			       "use at most %u", o->max_procs,
			       AD_MAX_PROCS_LIMIT);
		return -EINVAL;
	}
	if (o->label_max < 2 || o->label_max > AD_LABEL_MAX_LIMIT) {
		ad_set_err(err, errlen, "label length %" PRIu32
			" out of range: use 2 to %u bytes", o->label_max,
			AD_LABEL_MAX_LIMIT);
		return -EINVAL;
	}
	return 0;
}

int ad_observer_open(const struct ad_observer_opts *opts,
		     struct ad_observer **out, char *err, size_t errlen)
{
	struct ad_observer_opts o;
	struct ad_observer *obs;
	int e;

	*out = NULL;
	e = check_opts(opts, &o, err, errlen);
	if (e)
		return e;
	ad_libbpf_log_init();
	obs = calloc(1, sizeof(*obs));
	if (!obs) {
		ad_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	obs->label_max = o.label_max;
	obs->features = *o.features;
	obs->max_frames = o.max_frames;
	obs->max_tasks = o.max_tasks;
	ad_obs_reclaim_init(obs);
	if (ad_obs_slots_init(obs, o.max_slots)) {
		ad_set_err(err, errlen, "out of memory");
		e = -ENOMEM;
		goto fail;
	}
	obs->skel = asyncdump__open();
	if (!obs->skel) {
		e = -errno;
		ad_set_err(err, errlen, "opening the BPF object failed: %s",
			strerror(-e));
		goto fail;
	}
	e = configure(obs, &o, err, errlen);
	if (e)
		goto fail;
	e = set_templates(obs, err, errlen);
	if (e)
		goto fail;
	e = asyncdump__load(obs->skel);
	if (e) {
		/* As root, whatever the error, the verifier's log says why. */
		ad_set_err(err, errlen, "loading BPF programs failed: %s%s%s",
			   strerror(-e), privilege_hint(-e),
			   geteuid() ? "" : libbpf_reason());
		goto fail;
	}
	e = ad_obs_ready_map(obs);
	if (e) {
		ad_set_err(err, errlen, "mapping the ready-slot table failed: %s",
			       strerror(-e));
		goto fail;
	}
	e = ad_obs_shared_install(obs);
	if (e) {
		ad_set_err(err, errlen, "installing the shared BPF maps failed: %s",
			       strerror(-e));
		goto fail;
	}
	/* The exit/exec tracepoints; the USDT programs attach per object. */
	obs->skel->links.ad_sched_exit =
		bpf_program__attach(obs->skel->progs.ad_sched_exit);
	if (!obs->skel->links.ad_sched_exit) {
		e = -errno;
		ad_set_err(err, errlen,
			"attaching to sched_process_exit failed: %s%s%s",
			strerror(-e), privilege_hint(-e), privilege_reason(-e));
		goto fail;
	}
	obs->skel->links.ad_sched_exec =
		bpf_program__attach(obs->skel->progs.ad_sched_exec);
	if (!obs->skel->links.ad_sched_exec) {
		e = -errno;
		ad_set_err(err, errlen,
			"attaching to sched_process_exec failed: %s%s%s",
			strerror(-e), privilege_hint(-e), privilege_reason(-e));
		goto fail;
	}
	/* Before any probe is attached, so the first processes get their
	 * own maps; a kernel or memory limit that refuses them fails here,
	 * at startup. */
	e = ad_observer_refill(obs, err, errlen);
	if (e)
		goto fail;
	obs->rb = ring_buffer__new(bpf_map__fd(obs->skel->maps.events),
				   ad_obs_handle_event, obs, NULL);
	if (!obs->rb) {
		e = -errno;
		ad_set_err(err, errlen, "opening the events ring buffer failed: %s",
			strerror(-e));
		goto fail;
	}
	*out = obs;
	return 0;
fail:
	ad_observer_close(obs);
	return e < 0 ? e : -EINVAL;
}

static void detach(struct ad_attachment *a)
{
	for (unsigned int i = 0; i < AD_PROBE_COUNT; i++) {
		bpf_link__destroy(a->links[i]);
		a->links[i] = NULL;
	}
}

void ad_observer_close(struct ad_observer *obs)
{
	if (!obs)
		return;
	for (size_t i = 0; i < obs->natt; i++)
		detach(&obs->att[i]);
	free(obs->att);
	ring_buffer__free(obs->rb);
	ad_obs_reclaim_fini(obs);
	ad_obs_slots_fini(obs);
	ad_obs_ready_unmap(obs);
	asyncdump__destroy(obs->skel);
	free(obs);
}

uint32_t ad_observer_label_max(const struct ad_observer *obs)
{
	return obs->label_max;
}

uint64_t ad_observer_global(struct ad_observer *obs, enum ad_global which)
{
	uint32_t key = which;
	uint64_t v = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.globals), &key, &v))
		return 0;
	return v;
}

/* ------------------------------------------------------------------ */
/* Attaching                                                           */
/* ------------------------------------------------------------------ */

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
		[AD_PROBE_ENTER_DYN] = sl ? s->progs.ad_enter_dyn
					  : s->progs.ad_nf_enter_dyn,
		[AD_PROBE_ENTER_AT] = sl ? s->progs.ad_enter_at
					 : s->progs.ad_nf_enter_at,
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

static int attach_object(struct ad_observer *obs, const char *path,
			 const char *shown, pid_t pid, char *err,
			 size_t errlen)
{
	struct ad_elf_probes probes;
	struct ad_attachment a = {.pid = pid}, *grown;
	struct stat st;
	int e;

	if (stat(path, &st)) {
		e = -errno;
		ad_set_err(err, errlen, "cannot open %s: %s", shown, strerror(errno));
		return e;
	}
	a.dev = st.st_dev;
	a.ino = st.st_ino;
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
			"%s has no asyncdump probes: build it with usdt/asyncdump.h",
			shown);
		return -ENOENT;
	}
	for (unsigned int i = 0; i < AD_PROBE_COUNT; i++) {
		if (!probes.per_probe[i])
			continue; /* the program does not use this macro */
		a.links[i] = bpf_program__attach_usdt(probe_prog(obs, i),
						      pid, path,
						      ASYNCDUMP_PROVIDER,
						      ad_probe_name(i), NULL);
		if (!a.links[i]) {
			e = -errno;
			ad_set_err(err, errlen,
				"attaching probe %s:%s in %s failed: %s%s%s",
				ASYNCDUMP_PROVIDER, ad_probe_name(i), shown,
				strerror(-e), attach_hint(-e), attach_reason(-e));
			detach(&a);
			return e ? e : -EINVAL;
		}
		a.sites += (int)probes.per_probe[i];
	}
	if (pid == -1)
		drop_covered(obs, a.dev, a.ino);
	obs->att[obs->natt++] = a;
	return a.sites;
}

int ad_observer_attach_path(struct ad_observer *obs, const char *path,
			    pid_t pid, char *err, size_t errlen)
{
	return attach_object(obs, path, path, pid, err, errlen);
}

/* One object mapped by the process: its path as the process sees it. The
 * file is opened through /proc/PID/root so a process in another mount
 * namespace works too, or through /proc/PID/map_files when it was deleted
 * or replaced on disk. */
static int attach_mapped(struct ad_observer *obs, pid_t pid,
			 const char *range, const char *file, char *err,
			 size_t errlen)
{
	static const char deleted[] = " (deleted)";
	size_t len = strlen(file);
	char path[4096 + 64];

	if (len > sizeof(deleted) - 1 &&
	    strcmp(file + len - (sizeof(deleted) - 1), deleted) == 0)
		snprintf(path, sizeof(path), "/proc/%d/map_files/%s", (int)pid,
			 range);
	else
		snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, file);
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

		ad_set_err(err, errlen, "cannot read %s: %s%s", maps, strerror(e),
			e == ENOENT ? " (no such process)" : privilege_hint(e));
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
			"process %d maps no object with asyncdump probes: build "
			"it with usdt/asyncdump.h", (int)pid);
		return -ENOENT;
	}
	return total;
}

