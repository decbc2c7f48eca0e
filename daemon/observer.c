/*
 * observer.c - load the BPF task/frame store, attach it to asyncdump probes,
 * reclaim records of exited processes and read one process's records back.
 * The only file that talks to libbpf (see observer.h for the contract).
 */
#include "observer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "asyncdump.skel.h"
#include "elf_notes.h"
#include "grow.h"

/* Events ring buffer size; a process exit needs 8 bytes, and a full ring
 * only delays reclaim until the next ad_observer_gc(). */
#define AD_EVENTS_BYTES (256u * 1024u)
/* Entries fetched per bpf_map_lookup_batch call. */
#define AD_BATCH 4096u

/* The probes of one object (by inode) attached for one pid (or -1). */
struct ad_attachment {
	dev_t dev;
	ino_t ino;
	pid_t pid;
	struct bpf_link *links[AD_PROBE_COUNT];
	int sites;
};

struct ad_observer {
	struct asyncdump *skel;
	struct ring_buffer *rb;
	uint32_t label_max;
	struct ad_attachment *att;
	size_t natt, catt;
	/* pids named by exit events not yet reclaimed */
	uint32_t *pending;
	size_t npending, cpending;
	bool pending_oom;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* libbpf logs only when asked: stdout belongs to the daemon's output. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static const char *privilege_hint(int e)
{
	return (e == EPERM || e == EACCES) ? "; run asyncdumpd as root" : "";
}

/* What to do when attaching a USDT probe fails (e > 0). */
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
		       "this version's usdt/asyncdump.h (set ASYNCDUMP_DEBUG=1 "
		       "for libbpf's reason)";
	default:
		return "";
	}
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

static int handle_event(void *ctx, void *data, size_t size);

static int resize(struct bpf_map *map, uint32_t entries, char *err,
		  size_t errlen)
{
	int e = bpf_map__set_max_entries(map, entries);

	if (e)
		set_err(err, errlen, "sizing BPF map %s to %" PRIu32
			" entries failed: %s", bpf_map__name(map), entries,
			strerror(-e));
	return e;
}

static int configure(struct asyncdump *skel, const struct ad_observer_opts *o,
		     char *err, size_t errlen)
{
	uint64_t nstrings = (uint64_t)o->max_frames + o->max_tasks;
	int e;

	if (nstrings > UINT32_MAX)
		nstrings = UINT32_MAX;
	if ((e = resize(skel->maps.frames, o->max_frames, err, errlen)) ||
	    (e = resize(skel->maps.tasks, o->max_tasks, err, errlen)) ||
	    (e = resize(skel->maps.strings, (uint32_t)nstrings, err, errlen)) ||
	    (e = resize(skel->maps.procs, o->max_procs, err, errlen)) ||
	    (e = resize(skel->maps.events, AD_EVENTS_BYTES, err, errlen)))
		return e;
	/* label_max bounds the string copy; the verifier checks it against
	 * these value sizes, so they must agree. */
	if ((e = bpf_map__set_value_size(skel->maps.strings, o->label_max)) ||
	    (e = bpf_map__set_value_size(skel->maps.zeros, o->label_max))) {
		set_err(err, errlen, "setting the label size to %" PRIu32
			" failed: %s", o->label_max, strerror(-e));
		return e;
	}
	skel->rodata->label_max = o->label_max;
	/* The probes that copy a _DYN string run sleepable so they can fault
	 * in a string's page (libbpf 1.1 has no "usdt.s" section). The hot
	 * ENTER/EXIT programs stay non-sleepable. */
	if ((e = bpf_program__set_flags(skel->progs.ad_enter_dyn,
					BPF_F_SLEEPABLE)) ||
	    (e = bpf_program__set_flags(skel->progs.ad_enter_at,
					BPF_F_SLEEPABLE)) ||
	    (e = bpf_program__set_flags(skel->progs.ad_task_spawn_dyn,
					BPF_F_SLEEPABLE))) {
		set_err(err, errlen, "marking the _DYN probes sleepable failed: %s",
			strerror(-e));
		return e;
	}
	return 0;
}

static int check_opts(const struct ad_observer_opts *in,
		      struct ad_observer_opts *o, char *err, size_t errlen)
{
	*o = *in;
	if (!o->max_frames)
		o->max_frames = AD_DEFAULT_MAX_FRAMES;
	if (!o->max_tasks)
		o->max_tasks = AD_DEFAULT_MAX_TASKS;
	if (!o->max_procs)
		o->max_procs = AD_DEFAULT_MAX_PROCS;
	if (!o->label_max)
		o->label_max = AD_DEFAULT_LABEL_MAX;
	if (o->label_max < 2 || o->label_max > AD_LABEL_MAX_LIMIT) {
		set_err(err, errlen, "label length %" PRIu32
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
	libbpf_set_print(getenv("ASYNCDUMP_DEBUG") ? libbpf_log : libbpf_quiet);
	obs = calloc(1, sizeof(*obs));
	if (!obs) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	obs->label_max = o.label_max;
	obs->skel = asyncdump__open();
	if (!obs->skel) {
		e = -errno;
		set_err(err, errlen, "opening the BPF object failed: %s",
			strerror(-e));
		goto fail;
	}
	e = configure(obs->skel, &o, err, errlen);
	if (e)
		goto fail;
	e = asyncdump__load(obs->skel);
	if (e) {
		set_err(err, errlen, "loading BPF programs failed: %s%s%s",
			strerror(-e), privilege_hint(-e),
			(-e == EPERM || -e == EACCES) ? "" :
			" (set ASYNCDUMP_DEBUG=1 to see the verifier log)");
		goto fail;
	}
	/* The exit/exec tracepoints; the USDT programs attach per object. */
	obs->skel->links.ad_sched_exit =
		bpf_program__attach(obs->skel->progs.ad_sched_exit);
	if (!obs->skel->links.ad_sched_exit) {
		e = -errno;
		set_err(err, errlen,
			"attaching to sched_process_exit failed: %s%s",
			strerror(-e), privilege_hint(-e));
		goto fail;
	}
	obs->skel->links.ad_sched_exec =
		bpf_program__attach(obs->skel->progs.ad_sched_exec);
	if (!obs->skel->links.ad_sched_exec) {
		e = -errno;
		set_err(err, errlen,
			"attaching to sched_process_exec failed: %s%s",
			strerror(-e), privilege_hint(-e));
		goto fail;
	}
	obs->rb = ring_buffer__new(bpf_map__fd(obs->skel->maps.events),
				   handle_event, obs, NULL);
	if (!obs->rb) {
		e = -errno;
		set_err(err, errlen, "opening the events ring buffer failed: %s",
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
	free(obs->pending);
	ring_buffer__free(obs->rb);
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

static struct bpf_program *probe_prog(struct asyncdump *s, unsigned int which)
{
	struct bpf_program *progs[AD_PROBE_COUNT] = {
		[AD_PROBE_TASK_SPAWN] = s->progs.ad_task_spawn,
		[AD_PROBE_TASK_SPAWN_DYN] = s->progs.ad_task_spawn_dyn,
		[AD_PROBE_TASK_EXIT] = s->progs.ad_task_exit,
		[AD_PROBE_POLL_BEGIN] = s->progs.ad_poll_begin,
		[AD_PROBE_POLL_END] = s->progs.ad_poll_end,
		[AD_PROBE_ENTER] = s->progs.ad_enter,
		[AD_PROBE_ENTER_DYN] = s->progs.ad_enter_dyn,
		[AD_PROBE_ENTER_AT] = s->progs.ad_enter_at,
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
		set_err(err, errlen, "cannot open %s: %s", shown, strerror(errno));
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
		set_err(err, errlen, "out of memory attaching %s", shown);
		return -ENOMEM;
	}
	obs->att = grown;
	e = ad_elf_probes_read(path, &probes, err, errlen);
	if (e)
		return e;
	if (!probes.sites) {
		set_err(err, errlen,
			"%s has no asyncdump probes: build it with usdt/asyncdump.h",
			shown);
		return -ENOENT;
	}
	for (unsigned int i = 0; i < AD_PROBE_COUNT; i++) {
		if (!probes.per_probe[i])
			continue; /* the program does not use this macro */
		a.links[i] = bpf_program__attach_usdt(probe_prog(obs->skel, i),
						      pid, path,
						      ASYNCDUMP_PROVIDER,
						      ad_probe_name(i), NULL);
		if (!a.links[i]) {
			e = -errno;
			set_err(err, errlen,
				"attaching probe %s:%s in %s failed: %s%s",
				ASYNCDUMP_PROVIDER, ad_probe_name(i), shown,
				strerror(-e), attach_hint(-e));
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

		set_err(err, errlen, "cannot read %s: %s%s", maps, strerror(e),
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
			set_err(err, errlen, "%s", first_err);
		}
	}
	fclose(f);
	if (first_errno && !total)
		return first_errno;
	/* Every object with probes is attached already (for every process
	 * or for this one): nothing to add, and nothing wrong. */
	if (!total && !first_errno && !covered) {
		set_err(err, errlen,
			"process %d maps no object with asyncdump probes: build "
			"it with usdt/asyncdump.h", (int)pid);
		return -ENOENT;
	}
	return total;
}

/* ------------------------------------------------------------------ */
/* Iterating maps                                                      */
/* ------------------------------------------------------------------ */

/* Calls fn for every entry of a hash map, AD_BATCH entries per syscall.
 * Entries inserted or deleted during the walk may be missed or seen
 * twice, which every caller tolerates. */
typedef int (*ad_entry_fn)(void *ctx, const void *key, const void *value);

static int walk_get_next(int fd, size_t ksz, size_t vsz, ad_entry_fn fn,
			 void *ctx)
{
	char *buf = malloc(2 * ksz + vsz);
	char *key, *next, *val;
	void *prev = NULL;
	int e = 0;

	if (!buf)
		return -ENOMEM;
	key = buf;
	next = buf + ksz;
	val = buf + 2 * ksz;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, ksz);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, val))
			continue; /* deleted meanwhile */
		e = fn(ctx, key, val);
		if (e)
			break;
	}
	free(buf);
	return e;
}

static int walk_map(int fd, size_t ksz, size_t vsz, ad_entry_fn fn, void *ctx)
{
	size_t cap = AD_BATCH;
	char *keys = malloc(cap * ksz), *vals = malloc(cap * vsz);
	uint64_t in_batch = 0, out_batch = 0;
	bool first = true;
	int e = 0;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (;;) {
		__u32 count = (__u32)cap;
		bool done;

		e = bpf_map_lookup_batch(fd, first ? NULL : &in_batch,
					 &out_batch, keys, vals, &count, NULL);
		e = e ? -errno : 0;
		/* ENOENT ends the walk but still returns the last entries. */
		done = e == -ENOENT;
		if (e && !done) {
			if (e == -ENOSPC && cap < (1u << 20)) {
				/* a bucket larger than the buffer: grow, retry */
				char *k2, *v2;

				cap *= 2;
				k2 = realloc(keys, cap * ksz);
				if (k2)
					keys = k2;
				v2 = realloc(vals, cap * vsz);
				if (v2)
					vals = v2;
				if (!k2 || !v2) {
					e = -ENOMEM;
					break;
				}
				continue;
			}
			if (e == -EINVAL || e == -ENOTSUP || e == -EOPNOTSUPP) {
				/* no batch ops: one key at a time */
				free(keys);
				free(vals);
				return walk_get_next(fd, ksz, vsz, fn, ctx);
			}
			break;
		}
		for (__u32 i = 0; i < count; i++) {
			e = fn(ctx, keys + i * ksz, vals + i * vsz);
			if (e)
				goto out;
		}
		e = 0;
		if (done)
			break;
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(vals);
	return e;
}

/* ------------------------------------------------------------------ */
/* Reading one process                                                 */
/* ------------------------------------------------------------------ */

int ad_observer_read_proc(struct ad_observer *obs, pid_t pid,
			  struct ad_proc *out)
{
	uint32_t key = (uint32_t)pid;

	if (bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.procs), &key, out))
		return -errno;
	return 0;
}

struct read_ctx {
	uint32_t pid, pgen;
	uint64_t stale;
	struct ad_raw_records *r;
	size_t cap;
};

/* Frames and tasks are filtered alike: only records of the process asked
 * for, and of its current incarnation; those of an older one are counted
 * (dump_lost.stale_records). */
static bool wanted(struct read_ctx *c, const struct ad_key *key, uint32_t pgen)
{
	if (key->pid != c->pid)
		return false;
	if (pgen != c->pgen) {
		c->stale++;
		return false;
	}
	return true;
}

/* Room for element n in the parallel arrays *ids and *vals, which share
 * one capacity. */
static int grow(void **ids, void **vals, size_t vsz, size_t *cap, size_t n)
{
	size_t c;
	void *a, *b;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 256;
	if (c > SIZE_MAX / vsz)
		return -ENOMEM;
	a = realloc(*ids, c * sizeof(uint64_t));
	if (!a)
		return -ENOMEM;
	*ids = a;
	b = realloc(*vals, c * vsz);
	if (!b)
		return -ENOMEM;
	*vals = b;
	*cap = c;
	return 0;
}

static int read_frame(void *ctx, const void *k, const void *v)
{
	const struct ad_key *key = k;
	const struct ad_frame *f = v;
	struct read_ctx *c = ctx;
	struct ad_raw_records *r = c->r;

	if (!wanted(c, key, f->pgen))
		return 0;
	if (grow((void **)&r->frame_ids, (void **)&r->frames, sizeof(*f),
		 &c->cap, r->nframes))
		return -ENOMEM;
	r->frame_ids[r->nframes] = key->id;
	r->frames[r->nframes++] = *f;
	return 0;
}

static int read_task(void *ctx, const void *k, const void *v)
{
	const struct ad_key *key = k;
	const struct ad_task *t = v;
	struct read_ctx *c = ctx;
	struct ad_raw_records *r = c->r;

	if (!wanted(c, key, t->pgen))
		return 0;
	if (grow((void **)&r->task_ids, (void **)&r->tasks, sizeof(*t),
		 &c->cap, r->ntasks))
		return -ENOMEM;
	r->task_ids[r->ntasks] = key->id;
	r->tasks[r->ntasks++] = *t;
	return 0;
}

void ad_raw_records_free(struct ad_raw_records *r)
{
	if (!r)
		return;
	free(r->frame_ids);
	free(r->frames);
	free(r->task_ids);
	free(r->tasks);
	memset(r, 0, sizeof(*r));
}

int ad_observer_read_records(struct ad_observer *obs, pid_t pid,
			     uint32_t pgen, struct ad_raw_records *out,
			     uint64_t *stale)
{
	struct read_ctx c = {.pid = (uint32_t)pid, .pgen = pgen, .r = out};
	int e;

	memset(out, 0, sizeof(*out));
	e = walk_map(bpf_map__fd(obs->skel->maps.frames), sizeof(struct ad_key),
		     sizeof(struct ad_frame), read_frame, &c);
	if (!e) {
		c.cap = 0;
		e = walk_map(bpf_map__fd(obs->skel->maps.tasks),
			     sizeof(struct ad_key), sizeof(struct ad_task),
			     read_task, &c);
	}
	if (e) {
		ad_raw_records_free(out);
		return e;
	}
	if (stale)
		*stale = c.stale;
	return 0;
}

int ad_observer_read_string(struct ad_observer *obs, pid_t pid,
			    enum ad_key_kind kind, uint64_t id, char *buf,
			    size_t buflen)
{
	struct ad_key key = {.pid = (uint32_t)pid, .kind = kind, .id = id};
	char *val = malloc(obs->label_max);
	size_t n;

	if (!val)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.strings), &key,
				val)) {
		int e = -errno;

		free(val);
		return e;
	}
	n = strnlen(val, obs->label_max);
	if (buflen) {
		size_t c = n < buflen - 1 ? n : buflen - 1;

		memcpy(buf, val, c);
		buf[c] = '\0';
	}
	free(val);
	return (int)n;
}

/* pidfd_open() flag for a thread that is not a group leader (Linux 6.9). */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

int ad_observer_read_thread(struct ad_observer *obs, pid_t tid,
			    struct ad_thread *out)
{
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	int e = 0;

	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	/* Task storage is keyed by pidfd from user space. */
	if (bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.threads), &fd, out))
		e = -errno;
	close(fd);
	return e;
}

/* ------------------------------------------------------------------ */
/* Reclaiming                                                          */
/* ------------------------------------------------------------------ */

/* A record a sweep judged dead, and the identity of the record it judged:
 * the key alone is not enough, because ids and PIDs are reused (an exec'd
 * image re-creates its thread task under the same key, a stack address is
 * entered again as a new frame) and a probe may re-create the key between
 * the walk and the delete. */
struct doomed {
	struct ad_key key;
	uint64_t gen;  /* frame enter_ns, task spawn_ns; 0 for strings */
	uint64_t task; /* frame: its task and task_gen (MOVE changes them) */
	uint64_t task_gen;
	uint32_t pgen;
	uint32_t pad;
};

/* Which records a sweep deletes: those of `pids` (or of every pid when
 * all) whose process record is gone or is another incarnation; with
 * orphans, also frames whose task is gone or is another generation. */
struct sweep {
	struct ad_observer *obs;
	const uint32_t *pids;
	size_t npids;
	bool all, orphans;
	int procs_fd, frames_fd, tasks_fd;
	/* records to delete after the walk (deleting during a batch walk
	 * would shift buckets under it), each with the identity it was judged
	 * by: see delete_judged() */
	struct doomed *del;
	size_t ndel, cdel;
	uint64_t now_ns; /* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns() */
	/* one-entry cache: consecutive records often share a pid */
	uint32_t cached_pid;
	int cached_ok;
	struct ad_proc cached;
};

static bool sweep_wants(const struct sweep *s, uint32_t pid)
{
	if (s->all)
		return true;
	for (size_t i = 0; i < s->npids; i++)
		if (s->pids[i] == pid)
			return true;
	return false;
}

/* The current incarnation of pid, or 0 if it has none. */
static uint32_t current_pgen(struct sweep *s, uint32_t pid)
{
	if (s->cached_ok < 0 || s->cached_pid != pid) {
		s->cached_pid = pid;
		s->cached_ok = bpf_map_lookup_elem(s->procs_fd, &pid, &s->cached)
				       ? 0 : 1;
	}
	return s->cached_ok ? s->cached.pgen : 0;
}

static int sweep_add(struct sweep *s, const struct doomed *d)
{
	struct doomed *p = ad_grow(s->del, &s->cdel, s->ndel, sizeof(*p), 1024);

	if (!p)
		return -ENOMEM;
	s->del = p;
	s->del[s->ndel++] = *d;
	return 0;
}

static int doom_frame(struct sweep *s, const struct ad_key *key,
		      const struct ad_frame *f)
{
	struct doomed d = {.key = *key, .gen = f->enter_ns, .task = f->task,
			   .task_gen = f->task_gen, .pgen = f->pgen};

	return sweep_add(s, &d);
}

static int doom_task(struct sweep *s, const struct ad_key *key,
		     const struct ad_task *t)
{
	struct doomed d = {.key = *key, .gen = t->spawn_ns, .pgen = t->pgen};

	return sweep_add(s, &d);
}

static bool same_frame(const struct doomed *d, const struct ad_frame *f)
{
	return f->pgen == d->pgen && f->enter_ns == d->gen &&
	       f->task == d->task && f->task_gen == d->task_gen;
}

static bool same_task(const struct doomed *d, const struct ad_task *t)
{
	return t->pgen == d->pgen && t->spawn_ns == d->gen;
}

static int sweep_frame(void *ctx, const void *k, const void *v)
{
	const struct ad_key *key = k;
	const struct ad_frame *f = v;
	struct sweep *s = ctx;
	struct ad_key tkey;
	struct ad_task t;

	if (!sweep_wants(s, key->pid))
		return 0;
	if (f->pgen != current_pgen(s, key->pid))
		return doom_frame(s, key, f);
	if (!s->orphans)
		return 0;
	/* Ids are reused: a frame of an exited or re-spawned task is dead
	 * even when its id is not. Looked up now, not from an earlier walk,
	 * because a task is always recorded before its frames. */
	tkey = (struct ad_key){.pid = key->pid, .kind = AD_KIND_TASK,
			       .id = f->task};
	if (bpf_map_lookup_elem(s->tasks_fd, &tkey, &t) ||
	    t.spawn_ns != f->task_gen || t.pgen != f->pgen)
		return doom_frame(s, key, f);
	return 0;
}

static int sweep_task(void *ctx, const void *k, const void *v)
{
	const struct ad_key *key = k;
	const struct ad_task *t = v;
	struct sweep *s = ctx;

	if (!sweep_wants(s, key->pid))
		return 0;
	if (t->pgen != current_pgen(s, key->pid))
		return doom_task(s, key, t);
	return 0;
}

/* A string copied less than this long ago may still lack its owner's
 * COPIED flag: the copying probe is sleepable and sets the flag only after
 * the copy, which may have to fault the string's page in. */
#define AD_STRING_GRACE_NS (10ull * 1000000000ull)

/* A string lives as long as its owner record, which BPF stores first:
 * it is dead when its owner is gone, of another incarnation, or (once past
 * the grace period) does not claim a copied string. */
static bool string_dead(struct sweep *s, const struct ad_key *key)
{
	uint32_t pgen = current_pgen(s, key->pid);
	uint64_t born;
	bool copied;
	union {
		struct ad_frame f;
		struct ad_task t;
	} owner;

	if (!pgen)
		return true;
	if (key->kind == AD_KIND_FRAME) {
		if (bpf_map_lookup_elem(s->frames_fd, key, &owner.f) ||
		    owner.f.pgen != pgen)
			return true;
		copied = owner.f.flags & AD_FF_LABEL_COPIED;
		born = owner.f.enter_ns;
	} else {
		if (bpf_map_lookup_elem(s->tasks_fd, key, &owner.t) ||
		    owner.t.pgen != pgen)
			return true;
		copied = owner.t.flags & AD_TF_NAME_COPIED;
		born = owner.t.spawn_ns;
	}
	return !copied && born + AD_STRING_GRACE_NS < s->now_ns;
}

static int sweep_string(void *ctx, const void *k, const void *v)
{
	const struct ad_key *key = k;
	struct sweep *s = ctx;
	struct doomed d = {.key = *key};

	(void)v;
	if (!sweep_wants(s, key->pid))
		return 0;
	return string_dead(s, key) ? sweep_add(s, &d) : 0;
}

enum sweep_kind { SWEEP_TASKS, SWEEP_FRAMES, SWEEP_STRINGS };

/* Deletes one record judged dead during the walk if it still is that
 * record: a key re-created since (same id, new frame or task, or a new
 * incarnation of the PID) is left for the next sweep to judge. The check
 * and the delete are two syscalls, so the delete returns the record it
 * removed and one re-created in between is put back (NOEXIST: unless the
 * probe has written the key again meanwhile). Returns 1 if deleted. */
static int delete_judged(struct sweep *s, int fd, enum sweep_kind kind,
			 const struct doomed *d)
{
	union {
		struct ad_frame f;
		struct ad_task t;
	} v;

	if (kind == SWEEP_STRINGS) {
		/* Strings carry no generation: judge the owner again, now. */
		s->cached_ok = -1;
		if (!string_dead(s, &d->key))
			return 0;
		return bpf_map_delete_elem(fd, &d->key) == 0;
	}
	if (bpf_map_lookup_elem(fd, &d->key, &v))
		return 0; /* gone already */
	if (kind == SWEEP_FRAMES ? !same_frame(d, &v.f) : !same_task(d, &v.t))
		return 0;
	if (bpf_map_lookup_and_delete_elem(fd, &d->key, &v)) {
		/* Kernels before 5.14 cannot do this on a hash map: fall back
		 * to the plain delete rather than never reclaim. */
		if (errno == ENOENT)
			return 0;
		return bpf_map_delete_elem(fd, &d->key) == 0;
	}
	if (kind == SWEEP_FRAMES ? same_frame(d, &v.f) : same_task(d, &v.t))
		return 1;
	bpf_map_update_elem(fd, &d->key, &v, BPF_NOEXIST);
	return 0;
}

static int sweep_map(struct sweep *s, int fd, size_t vsz, ad_entry_fn fn,
		     enum sweep_kind kind)
{
	int deleted = 0, e;

	s->ndel = 0;
	s->cached_ok = -1;
	e = walk_map(fd, sizeof(struct ad_key), vsz, fn, s);
	if (e)
		return e;
	/* The process records may have changed during the walk. */
	s->cached_ok = -1;
	for (size_t i = 0; i < s->ndel; i++)
		deleted += delete_judged(s, fd, kind, &s->del[i]);
	return deleted;
}

static int sweep_run(struct sweep *s)
{
	struct asyncdump *sk = s->obs->skel;
	struct timespec ts;
	int total = 0, n;

	s->procs_fd = bpf_map__fd(sk->maps.procs);
	s->frames_fd = bpf_map__fd(sk->maps.frames);
	s->tasks_fd = bpf_map__fd(sk->maps.tasks);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->now_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* Tasks before frames, so frames of tasks deleted now go too;
	 * strings last, once their owners are gone. */
	n = sweep_map(s, s->tasks_fd, sizeof(struct ad_task), sweep_task,
		      SWEEP_TASKS);
	if (n < 0)
		goto out;
	total += n;
	n = sweep_map(s, s->frames_fd, sizeof(struct ad_frame), sweep_frame,
		      SWEEP_FRAMES);
	if (n < 0)
		goto out;
	total += n;
	n = sweep_map(s, bpf_map__fd(sk->maps.strings), s->obs->label_max,
		      sweep_string, SWEEP_STRINGS);
	if (n < 0)
		goto out;
	total += n;
	n = total;
out:
	free(s->del);
	s->del = NULL;
	s->cdel = 0;
	return n;
}

int ad_observer_gc(struct ad_observer *obs)
{
	struct sweep s = {.obs = obs, .all = true, .orphans = true};

	return sweep_run(&s);
}

int ad_observer_events_fd(struct ad_observer *obs)
{
	return ring_buffer__epoll_fd(obs->rb);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct ad_exit_event *ev = data;
	struct ad_observer *obs = ctx;
	uint32_t *p;

	if (size < sizeof(*ev))
		return 0;
	for (size_t i = 0; i < obs->npending; i++)
		if (obs->pending[i] == ev->pid)
			return 0;
	p = ad_grow(obs->pending, &obs->cpending, obs->npending, sizeof(*p), 64);
	if (!p) {
		obs->pending_oom = true; /* fall back to a full GC */
		return 0;
	}
	obs->pending = p;
	obs->pending[obs->npending++] = ev->pid;
	return 0;
}

int ad_observer_handle_events(struct ad_observer *obs)
{
	struct sweep s = {.obs = obs};
	int e, n;

	/* Drain everything first: one sweep then serves all exits. */
	e = ring_buffer__consume(obs->rb);
	if (e < 0)
		return e;
	if (obs->pending_oom) {
		obs->pending_oom = false;
		obs->npending = 0;
		return ad_observer_gc(obs);
	}
	if (!obs->npending)
		return 0;
	s.pids = obs->pending;
	s.npids = obs->npending;
	n = sweep_run(&s);
	obs->npending = 0;
	return n;
}
