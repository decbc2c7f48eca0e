// SPDX-License-Identifier: BSD-2-Clause
/*
 * collect.c - one process's snapshot (see collect.h).
 *
 * Where each string comes from:
 *   frame label: copied by BPF (AD_FF_LABEL_COPIED, strings map) for _DYN
 *                labels; else the literal at rec.label (ENTER_AT); else the
 *                site's literal label.
 *   task name:   copied by BPF (AD_TF_NAME_COPIED); a plain thread's name
 *                is its comm (renderers add "thread TID"; the id of a
 *                thread's own task is the TID); else the literal at
 *                rec.name; else the site's label; an implicit task with
 *                none is "task".
 *   file, function, line: the site record, read from the process.
 * Literals are read now, at dump time: that is what keeps probes cheap. A
 * read that fails leaves a visible placeholder and is counted in
 * dump_lost[AD_DUMP_LABEL_UNREADABLE] (once per frame or task).
 */
#include "observer/collect.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/access.h"
#include "core/clock.h"
#include "core/errmsg.h"
#include "core/format.h"
#include "core/grow.h"
#include "core/keysort.h"
#include "core/procstat.h"
#include "observer/attach.h"
#include "observer/procfs.h"
#include "observer/procmem.h"
#include "observer/records.h"
#include "observer/refused.h"

/* A frame as read, before it takes its place in the snapshot. */
struct raw_frame {
	uint64_t id;
	struct ad_frame_rec rec;
	const char *copy; /* its _DYN label, in the snapshot's pool, or NULL */
};

struct ad_collector {
	struct ad_observer *obs;
	struct ad_snapshot *snap;
	struct ad_procmem pm;
	struct raw_frame *raw; /* frames as read, in the BPF map's order */
	size_t nraw, craw;
	size_t ctasks;		   /* capacity of snap->tasks and task_copy */
	const char **task_copy;	   /* each task's _DYN name, in the pool */
	struct ad_thread_rec *thr; /* the process's thread states, by tid */
	size_t nthr, cthr;
	bool nomem;
	bool wedged;  /* a read of the frame or task just resolved timed out */
	int stop_fd;  /* readable: give up (-ECANCELED), or -1 */
	size_t steps; /* records and frames handled, for stop checks */
	bool stopped;
};

/* Every this many records or frames, a collection checks stop_fd. */
#define STOP_CHECK_EVERY 4096

/* Has the daemon begun to stop? Checked every STOP_CHECK_EVERY calls:
 * a million-frame collection is abandoned in a few ms, not at its end. */
static bool stop_now(struct ad_collector *c)
{
	struct pollfd pfd = {.fd = c->stop_fd, .events = POLLIN};

	if (c->stopped)
		return true;
	if (c->stop_fd < 0 || ++c->steps % STOP_CHECK_EVERY)
		return false;
	c->stopped = poll(&pfd, 1, 0) > 0;
	return c->stopped;
}

static void set_text(struct ad_collector *c, struct ad_str *s, const char *text,
		     bool truncated)
{
	if (ad_str_set(s, text, truncated, &c->snap->pool))
		c->nomem = true;
}

static void set_placeholder(struct ad_collector *c, struct ad_str *s,
			    const char *what, uint64_t addr)
{
	char ph[64];

	snprintf(ph, sizeof(ph), "<%s 0x%llx>", what, (unsigned long long)addr);
	set_text(c, s, ph, false);
	s->unreadable = true;
}

/* The result of a read from the process's memory into s: true if read;
 * out of memory is remembered. */
static bool mem_result(struct ad_collector *c, int rc, const struct ad_str *s)
{
	if (rc == -ENOMEM || !s->text)
		c->nomem = true;
	if (rc == -ETIMEDOUT || rc == -ECANCELED)
		c->wedged = true;
	return rc == 0;
}

static bool read_mem_string(struct ad_collector *c, uint64_t addr,
			    struct ad_str *s)
{
	return mem_result(c, ad_procmem_string(&c->pm, addr, s), s);
}

/* The copy of a BPF string in the snapshot's pool (NULL stays NULL). */
static const char *pool_copy(struct ad_collector *c, const char *text)
{
	const char *p;

	if (!text)
		return NULL;
	p = ad_strpool_dup(&c->snap->pool, text, strlen(text));
	if (!p)
		c->nomem = true;
	return p;
}

/* A _DYN string the BPF side copied into its strings map, read with its
 * owner and kept in the pool (pool_copy); NULL when it was deleted between
 * the two (the frame was just exiting): say so rather than show an empty
 * label. */
static void copied_string(struct ad_collector *c, const char *pooled,
			  uint64_t id, bool truncated, struct ad_str *s)
{
	if (!pooled) {
		set_placeholder(c, s, "label gone", id);
		return;
	}
	s->text = (char *)pooled;
	s->truncated = truncated;
	s->unreadable = false;
	s->borrowed = true;
}

/* file, function and line of a site; *label_addr gets the site's literal
 * label (0 if none). Returns false if the site could not be read. */
static bool resolve_site(struct ad_collector *c, uint64_t site_addr,
			 struct ad_str *file, struct ad_str *function,
			 uint32_t *line, uint64_t *label_addr)
{
	struct ad_site_raw site;
	bool ok = true;
	int rc;

	*line = 0;
	*label_addr = 0;
	if (!site_addr) {
		set_text(c, file, "", false);
		set_text(c, function, "", false);
		return true;
	}
	rc = ad_procmem_site(&c->pm, site_addr, &site);
	if (rc) {
		const char *what = rc == -ETIMEDOUT || rc == -ECANCELED
					   ? "site read timed out"
					   : "unreadable site";

		c->wedged |= rc == -ETIMEDOUT || rc == -ECANCELED;
		set_placeholder(c, file, what, site_addr);
		set_placeholder(c, function, what, site_addr);
		return false;
	}
	*line = site.line;
	*label_addr = site.label;
	ok &= read_mem_string(c, site.file, file);
	ok &= mem_result(c,
			 ad_procmem_function(&c->pm, site.function, function),
			 function);
	return ok;
}

/* A frame's label and a task's name follow one rule, only their flag bits
 * differ: the copy BPF made of a _DYN string; else, when BPF could not
 * copy it (the probe faults pages in, so the pointer was bad), a
 * placeholder; else the literal at `addr`
 * (ENTER_AT's label, a spawn's name); else the site's literal label.
 * Returns false, leaving s alone, when there is none of these (the caller
 * picks its default); clears *ok when a literal could not be read. */
struct str_source {
	uint64_t id;
	const char *copy; /* the BPF copy read with the record, or NULL */
	bool copied, truncated, bpf_unreadable;
	uint64_t addr, site_label;
};

static bool resolve_string(struct ad_collector *c, const struct str_source *src,
			   struct ad_str *s, bool *ok)
{
	if (src->copied)
		copied_string(c, src->copy, src->id, src->truncated, s);
	else if (src->bpf_unreadable) /* counted by BPF as label_unreadable */
		set_placeholder(c, s, "unreadable", src->addr);
	else if (src->addr || src->site_label)
		*ok &= read_mem_string(
			c, src->addr ? src->addr : src->site_label, s);
	else
		return false;
	return true;
}

/* Counts a frame or task whose strings were not all read, and apart
 * those a read that timed out left unread; starts the next one. */
static void count_unreadable(struct ad_collector *c, bool ok)
{
	if (!ok)
		c->snap->dump_lost[AD_DUMP_LABEL_UNREADABLE]++;
	if (!ok && c->wedged)
		c->snap->dump_lost[AD_DUMP_MEMORY_TIMEOUT]++;
	c->wedged = false;
}

static void resolve_frame(struct ad_collector *c, struct ad_snap_frame *f,
			  const char *copy)
{
	struct str_source src = {
		.id = f->id,
		.copy = copy,
		.copied = f->rec.flags & AD_FF_LABEL_COPIED,
		.truncated = f->rec.flags & AD_FF_LABEL_TRUNCATED,
		.bpf_unreadable = f->rec.flags & AD_FF_LABEL_UNREADABLE,
		.addr = f->rec.label,
	};
	bool ok = resolve_site(c, f->rec.site, &f->file, &f->function, &f->line,
			       &src.site_label);

	if (!resolve_string(c, &src, &f->label, &ok)) {
		if (f->rec.site && ok)
			set_text(c, &f->label, "<no label>", false);
		else
			set_placeholder(c, &f->label, "unreadable",
					f->rec.site);
	}
	count_unreadable(c, ok);
}

/* A plain thread's task is named by the thread's comm; "?" once the thread
 * is gone (its task record is about to be reclaimed). */
static void thread_name(struct ad_collector *c, uint32_t tid, struct ad_str *s)
{
	char path[64], comm[32];

	snprintf(path, sizeof(path), "/proc/%d/task/%u/comm", (int)c->snap->pid,
		 tid);
	if (ad_proc_read_line(path, comm, sizeof(comm)) != 0)
		snprintf(comm, sizeof(comm), "?");
	set_text(c, s, comm, false);
}

static void resolve_task(struct ad_collector *c, struct ad_snap_task *t,
			 const char *copy)
{
	struct str_source src = {
		.id = t->id,
		.copy = copy,
		.copied = t->rec.flags & AD_TF_NAME_COPIED,
		.truncated = t->rec.flags & AD_TF_NAME_TRUNCATED,
		.bpf_unreadable = t->rec.flags & AD_TF_NAME_UNREADABLE,
		.addr = t->rec.name,
	};
	bool ok = resolve_site(c, t->rec.site, &t->file, &t->function, &t->line,
			       &src.site_label);

	/* A plain thread's task (its id the tid) is named by its comm,
	 * unless BPF recorded a name for it (it never does today: only
	 * TASK_SPAWN* copies names, and only for tasks of kind AD_KIND_TASK,
	 * the kind of every id given to the probes). */
	if (!src.copied && !src.bpf_unreadable && ad_task_is_thread(&t->rec))
		thread_name(c, (uint32_t)t->id, &t->name);
	else if (!resolve_string(c, &src, &t->name, &ok))
		set_text(c, &t->name, "task", false);
	count_unreadable(c, ok);
}

static bool process_exists(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/* The thread group (process) of thread id pid, from /proc/PID/status
 * (parsed as core/access.c parses it); pid itself when it cannot be
 * read. */
static pid_t thread_group(pid_t pid)
{
	struct ad_proc_status st = {0};
	char path[64], buf[4096];
	pid_t tgid = pid;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pid;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0 && ad_proc_status_parse(buf, (size_t)n, &st) == 0 &&
	    st.tgid > 0)
		tgid = st.tgid;
	ad_proc_status_free(&st);
	return tgid;
}

/* True if pid is a zombie (exited, not yet reaped): kill(pid, 0) still
 * succeeds, but BPF has already reclaimed its records on exit. */
static bool process_exited(pid_t pid)
{
	char path[64], stat[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (ad_proc_read_line(path, stat, sizeof(stat)))
		return true;	/* reaped meanwhile */
	p = strrchr(stat, ')'); /* comm may itself hold ')' */
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* Why a process has no record: what it maps that is attached, and since
 * when, or that nothing it maps is. */
static void no_probe_hit_err(const struct ad_observer *obs, pid_t pid,
			     char *err, size_t errlen)
{
	char files[512], ago[AD_DURATION_MAX];
	uint64_t attached = 0, now = ad_mono_ns();

	if (ad_obs_mapped_attachments(obs, pid, &attached, files,
				      sizeof(files)) ||
	    !files[0]) {
		ad_set_err(err, errlen,
			   "process %d has hit no asyncdump probe since the "
			   "observer started: "
			   "is it built with usdt/asyncdump.h and attached "
			   "(--attach PATH / --attach-pid N, or discovery)?",
			   (int)pid);
		return;
	}
	ad_set_err(err, errlen,
		   "process %d has hit no asyncdump probe since %s was "
		   "attached, %s ago: what it entered before is not seen (a "
		   "task blocked since then shows nothing)",
		   (int)pid, files,
		   ad_fmt_duration(ago, now > attached ? now - attached : 0));
}

static int on_thread(void *ctx, const struct ad_thread_rec *rec)
{
	struct ad_collector *c = ctx;
	struct ad_thread_rec *t =
		ad_grow(c->thr, &c->cthr, c->nthr, sizeof(*t), 64);

	if (!t)
		return -ENOMEM;
	c->thr = t;
	c->thr[c->nthr++] = *rec;
	return 0;
}

static int by_tid(const void *a, const void *b)
{
	uint32_t x = ((const struct ad_thread_rec *)a)->tid;
	uint32_t y = ((const struct ad_thread_rec *)b)->tid;

	return (x > y) - (x < y);
}

/* Every thread state of the process, read before its records, sorted by
 * tid. 0 or -errno. */
static int read_threads(struct ad_collector *c, pid_t pid)
{
	int e = ad_observer_read_threads(c->obs, pid, on_thread, c);

	if (!e && c->nthr)
		qsort(c->thr, c->nthr, sizeof(*c->thr), by_tid);
	return e;
}

/* A task some thread is running: its innermost frame is in that thread's
 * BPF state, not in the record (asyncdump_abi.h, struct ad_thread). A
 * thread that is gone or has no state leaves the record as it is. */
static void apply_thread(struct ad_collector *c, struct ad_snap_task *t)
{
	struct ad_thread_rec key = {.tid = t->rec.tid};
	const struct ad_thread_rec *th;

	if (!t->rec.tid || !c->nthr)
		return;
	th = bsearch(&key, c->thr, c->nthr, sizeof(*c->thr), by_tid);
	if (th)
		ad_task_apply_thread(t->id, &t->rec, &th->state,
				     c->snap->proc.pgen);
}

/* ad_record_sink: each task record straight into the snapshot, its _DYN
 * name copied into the pool (the BPF copy is valid only during the
 * call); its strings are resolved later, with no lock held
 * (ad_collect_resolve). */
static int on_task(void *ctx, uint64_t id, const struct ad_task *rec,
		   const char *copy)
{
	struct ad_collector *c = ctx;
	struct ad_snapshot *snap = c->snap;
	size_t cap = c->ctasks;

	if (stop_now(c))
		return -ECANCELED;
	struct ad_snap_task *t =
		ad_grow(snap->tasks, &c->ctasks, snap->ntasks, sizeof(*t), 64);
	const char **tc;

	if (!t) {
		c->nomem = true;
		return -ENOMEM;
	}
	snap->tasks = t;
	if (c->ctasks != cap || !c->task_copy) {
		tc = realloc(c->task_copy, c->ctasks * sizeof(*tc));
		if (!tc) {
			c->nomem = true;
			return -ENOMEM;
		}
		c->task_copy = tc;
	}
	t = &snap->tasks[snap->ntasks];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->rec = *rec;
	apply_thread(c, t);
	c->task_copy[snap->ntasks++] = pool_copy(c, copy);
	return c->nomem ? -ENOMEM : 0;
}

/* Frames are only gathered here; place_frames() resolves them, in order. */
static int on_frame(void *ctx, uint64_t id, const struct ad_frame_rec *rec,
		    const char *copy)
{
	struct ad_collector *c = ctx;
	struct raw_frame *r;

	if (stop_now(c))
		return -ECANCELED;
	r = ad_grow(c->raw, &c->craw, c->nraw, sizeof(*r), 1024);
	if (!r) {
		c->nomem = true;
		return -ENOMEM;
	}
	c->raw = r;
	r = &c->raw[c->nraw++];
	r->id = id;
	r->rec = *rec;
	r->copy = pool_copy(c, copy);
	return c->nomem ? -ENOMEM : 0;
}

/* How many frames ahead place_frames() fetches the record it will copy. */
#define PLACE_AHEAD 32

/* The snapshot's frames in (enter_ns, id) order, each resolved. The BPF
 * map hands them out in hash order; in enter order a frame's parent and
 * children are mostly near it (a parent is entered before its children),
 * so the rebuild and the renderers, which follow those links, walk memory
 * forward instead of missing the cache at every step (at a million
 * frames, hundreds of ms). Reading each raw record out of order is the
 * one random pass left, and it is prefetched. */
static void place_frames(struct ad_collector *c)
{
	struct ad_snapshot *snap = c->snap;
	struct ad_sort_key *keys;
	size_t n = c->nraw;

	keys = malloc((n ? n : 1) * sizeof(*keys));
	snap->frames = malloc((n ? n : 1) * sizeof(*snap->frames));
	if (!keys || !snap->frames) {
		free(keys);
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		keys[i] = (struct ad_sort_key){c->raw[i].rec.enter_ns,
					       c->raw[i].id, (uint32_t)i};
	if (ad_sort_keys(keys, n)) {
		free(keys);
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < n && !c->nomem && !stop_now(c); i++) {
		const struct raw_frame *r = &c->raw[keys[i].idx];
		struct ad_snap_frame *f = &snap->frames[snap->nframes++];

		if (i + PLACE_AHEAD < n) {
			const char *a =
				(const char *)&c
					->raw[keys[i + PLACE_AHEAD].idx];

			__builtin_prefetch(a);
			__builtin_prefetch(a + sizeof(*r) - 1);
		}
		memset(f, 0, sizeof(*f));
		f->id = r->id;
		f->rec = r->rec;
		resolve_frame(c, f, r->copy);
	}
	free(keys);
}

/* The collector's own memory (not the snapshot's). */
static void collector_free(struct ad_collector *c)
{
	free(c->raw);
	free(c->thr);
	free(c->task_copy);
	free(c);
}

/* Empties a snapshot that failed, so it holds nothing to free. */
static void snapshot_drop(struct ad_snapshot *snap)
{
	ad_snapshot_free(snap);
	memset(snap, 0, sizeof(*snap));
}

/* The error of a collection given up because the daemon is stopping. */
static int stopped(char *err, size_t errlen)
{
	ad_set_err(err, errlen,
		   "the observer is stopping: try again once it is back");
	return -ECANCELED;
}

/* The error of a failed read of the records: -ESRCH, -ENOMEM or -EIO. */
static int records_failed(pid_t pid, int rc, bool nomem, char *err,
			  size_t errlen)
{
	if (rc == -ESRCH) {
		ad_set_err(err, errlen,
			   "process %d exited during the dump: nothing is "
			   "left to dump",
			   (int)pid);
		return -ESRCH;
	}
	if (rc == -ECANCELED)
		return stopped(err, errlen);
	if (nomem) {
		ad_set_err(err, errlen, "out of memory collecting process %d",
			   (int)pid);
		return -ENOMEM;
	}
	ad_set_err(err, errlen, "reading the records of process %d failed: %s",
		   (int)pid, strerror(-rc));
	return -EIO;
}

int ad_collect_records(struct ad_observer *obs, pid_t pid, int stop_fd,
		       struct ad_snapshot *snap, struct ad_collector **out,
		       char *err, size_t errlen)
{
	struct ad_collector *c;
	struct ad_record_sink sink = {.task = on_task, .frame = on_frame};
	uint64_t stale = 0;
	pid_t tgid;
	int rc;

	*out = NULL;
	memset(snap, 0, sizeof(*snap));
	snap->pid = pid;
	/* Checked first: a record may outlive its process by a moment (the
	 * exit event is still queued), and "no such process" is the truth. */
	if (!process_exists(pid)) {
		ad_set_err(err, errlen, "no process %d: check the PID (ps -e)",
			   (int)pid);
		return -ESRCH;
	}
	rc = ad_observer_read_proc(obs, pid, &snap->proc);
	/* kill() accepts a thread's id too: name its process. */
	tgid = rc == -ENOENT ? thread_group(pid) : pid;
	if (tgid != pid) {
		ad_set_err(err, errlen,
			   "%d is a thread of process %d: dump the process "
			   "(--pid %d)",
			   (int)pid, (int)tgid, (int)tgid);
		return -EINVAL;
	}
	if (rc == -ENOENT && process_exited(pid)) {
		/* Only now: a thread-group leader that exited while its other
		 * threads run is a zombie too, and keeps its record. */
		ad_set_err(err, errlen,
			   "process %d has exited (its parent has not reaped "
			   "it yet): "
			   "nothing is left to dump",
			   (int)pid);
		return -ESRCH;
	}
	/* Its probes were hit, but it found no room (--max-procs). */
	if (rc == -ENOENT &&
	    ad_observer_refused_err(obs, pid, err, errlen) == -EUSERS)
		return -EUSERS;
	if (rc == -ENOENT) {
		no_probe_hit_err(obs, pid, err, errlen);
		return -ENODATA;
	}
	if (rc < 0) {
		ad_set_err(err, errlen,
			   "reading the record of process %d failed: %s",
			   (int)pid, strerror(-rc));
		return -EIO;
	}

	/* Clocks first, records next: no frame can look older than now. */
	snap->now_ns = (uint64_t)ad_clock_ns(CLOCK_MONOTONIC);
	snap->mono_to_wall_ns =
		ad_clock_ns(CLOCK_REALTIME) - (int64_t)snap->now_ns;
	snap->procs_full = ad_observer_global(obs, AD_GLOBAL_PROCS_FULL);
	ad_proc_comm(pid, snap->comm, sizeof(snap->comm));
	ad_obs_read_coverage(obs, pid, &snap->started_ns, &snap->attached_ns);

	c = calloc(1, sizeof(*c));
	if (!c) {
		ad_set_err(err, errlen, "out of memory collecting process %d",
			   (int)pid);
		return -ENOMEM;
	}
	c->obs = obs;
	c->snap = snap;
	c->stop_fd = stop_fd;
	sink.ctx = c;
	rc = read_threads(c, pid);
	if (rc < 0) {
		collector_free(c);
		snapshot_drop(snap);
		ad_set_err(err, errlen,
			   "reading the thread states of process %d "
			   "failed: %s",
			   (int)pid, strerror(-rc));
		return -EIO;
	}
	rc = ad_observer_read_records(obs, pid, &snap->proc, &sink, &stale);
	if (rc < 0 || c->nomem) {
		bool nomem = c->nomem;

		collector_free(c);
		snapshot_drop(snap);
		return records_failed(pid, rc, nomem, err, errlen);
	}
	snap->dump_lost[AD_DUMP_STALE_RECORDS] = stale;
	ad_snapshot_settle_since(snap);
	*out = c;
	return 0;
}

/* When each thread with a task record started, for a process observed
 * late: a thread started after observation began has nothing before it
 * (rebuild.c, began_unseen()). One /proc read per thread. */
static void thread_starts(struct ad_collector *c)
{
	struct ad_snapshot *snap = c->snap;

	for (size_t i = 0; i < snap->ntasks && !stop_now(c); i++) {
		struct ad_snap_task *t = &snap->tasks[i];

		if (ad_task_is_thread(&t->rec) && t->id <= INT32_MAX)
			t->thread_started_ns =
				ad_thread_started_ns(snap->pid, (pid_t)t->id);
	}
}

int ad_collect_resolve(struct ad_collector *c, struct ad_memread *mr,
		       int64_t deadline_ms, char *err, size_t errlen)
{
	struct ad_snapshot *snap = c->snap;
	pid_t pid = snap->pid;

	ad_procmem_init_pooled(&c->pm, pid, &snap->pool);
	if (mr) {
		ad_procmem_use_reader(&c->pm, mr, deadline_ms);
		c->stop_fd = mr->stop_fd;
	}
	for (size_t i = 0; i < snap->ntasks && !c->nomem && !stop_now(c); i++)
		resolve_task(c, &snap->tasks[i], c->task_copy[i]);
	if (ad_coverage(snap) != AD_COVERAGE_WHOLE)
		thread_starts(c);
	if (!c->nomem && !c->stopped)
		place_frames(c);
	/* a read abandoned for the stop: not a dump to show */
	c->stopped |= c->pm.wedged == -ECANCELED;
	ad_procmem_fini(&c->pm);
	if (c->stopped) {
		collector_free(c);
		snapshot_drop(snap);
		return stopped(err, errlen);
	}
	if (c->nomem) {
		collector_free(c);
		snapshot_drop(snap);
		ad_set_err(err, errlen, "out of memory collecting process %d",
			   (int)pid);
		return -ENOMEM;
	}
	collector_free(c);
	return 0;
}
