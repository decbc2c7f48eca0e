// SPDX-License-Identifier: BSD-2-Clause
/*
 * records.c - one process's records read back from the BPF maps
 * (records.h): its process record, its tasks and frames with their _DYN
 * strings, and the per-thread state of its threads (a task iterator).
 *
 * A process with a slot has maps of its own, read whole: the cost of a
 * dump follows the dumped process, not what other processes hold. One in
 * the shared maps (it found no ready slot) is read by walking the shared
 * maps and keeping its records.
 */
#include "observer/records.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncdump.skel.h"
#include "core/grow.h"
#include "core/idtab.h"
#include "observer/slots.h"
#include "observer/store.h"
#include "observer/walk.h"

int ad_observer_read_proc(struct ad_observer *obs, pid_t pid,
			  struct ad_proc *out)
{
	uint32_t key = (uint32_t)pid;

	if (bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.procs), &key, out))
		return -errno;
	return 0;
}

size_t ad_frames_key_size(const struct ad_mapset *m)
{
	return m->shared ? sizeof(struct ad_shared_key) : sizeof(uint64_t);
}

void ad_frame_entry(const struct ad_mapset *m, uint32_t pid, uint32_t pgen,
		    const void *k, const void *v, struct ad_key *key,
		    struct ad_frame_rec *rec)
{
	struct ad_frame f;
	struct ad_shared_key sk;
	uint64_t id;

	memcpy(&f, v, sizeof(f));
	if (m->shared) {
		memcpy(&sk, k, sizeof(sk));
		pid = sk.pid;
		pgen = sk.pgen;
		id = sk.id;
	} else {
		memcpy(&id, k, sizeof(id));
	}
	*key = (struct ad_key){.pid = pid, .kind = AD_KIND_FRAME, .id = id};
	*rec = ad_frame_rec_of(&f, pgen);
}

const void *ad_frame_map_key(const struct ad_mapset *m,
			     const struct ad_key *key, uint32_t pgen,
			     struct ad_shared_key *buf)
{
	*buf = (struct ad_shared_key){
		.pid = key->pid, .pgen = pgen, .id = key->id};
	return m->shared ? (const void *)buf : (const void *)&buf->id;
}

struct read_ctx {
	const struct ad_record_sink *sink;
	struct ad_mapset maps[AD_LOCATIONS]; /* its sets, newest first */
	int nmaps;
	const struct ad_mapset *set; /* the one being read */
	uint32_t pid, pgen, label_max;
	uint64_t stale;
	/* The process's _DYN strings, read before its records: key ->
	 * offset of the NUL-terminated text in text[]. */
	struct ad_idtab strs;
	char *text;
	size_t ntext, ctext;
	char *one; /* label_max + 1 bytes, for a string read on its own */
};

/* The string map value v cut at its NUL, or at label_max (BPF marks a
 * longer string truncated and the value holds its first bytes). */
static size_t str_len(const struct read_ctx *c, const char *v)
{
	return strnlen(v, c->label_max);
}

static int on_string(void *ctx, const void *k, const void *v)
{
	struct read_ctx *c = ctx;
	const struct ad_key *key = k;
	size_t n = str_len(c, v);
	char *t;

	if (key->pid != c->pid)
		return 0;
	t = ad_grow_n(c->text, &c->ctext, c->ntext, n + 1, 1, 64 * 1024);
	if (!t)
		return -ENOMEM;
	c->text = t;
	memcpy(c->text + c->ntext, v, n);
	c->text[c->ntext + n] = '\0';
	if (ad_idtab_put(&c->strs, key, c->ntext, 0))
		return -ENOMEM;
	c->ntext += n + 1;
	return 0;
}

/* The copied string of the record at key: from the table, or, for a
 * record whose string was copied after the table was read, looked up on
 * its own. NULL if there is none any more (the owner was exiting). */
static const char *string_of(struct read_ctx *c, const struct ad_key *key)
{
	const struct ad_idtab_ent *e = ad_idtab_get(&c->strs, key);

	if (e)
		return c->text + e->val;
	for (int i = 0; i < c->nmaps; i++) {
		if (bpf_map_lookup_elem(c->maps[i].strings, key, c->one))
			continue;
		c->one[str_len(c, c->one)] = '\0';
		return c->one;
	}
	return NULL;
}

/* Only records of the process asked for, and of its current incarnation;
 * those of an older one (in the shared maps, until reclaimed) are counted
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

bool ad_record_task(const struct ad_key *key, const void *val,
		    struct ad_task *out)
{
	if (key->kind != AD_KIND_TASK && key->kind != AD_KIND_THREAD)
		return false;
	memcpy(out, val, sizeof(*out));
	/* A thread's own task is one of kind AD_KIND_THREAD (its id is the
	 * tid): the snapshot says so by AD_TF_THREAD alone (snapshot.h),
	 * which BPF sets for exactly those; the key decides. */
	out->flags = (out->flags & ~AD_TF_THREAD) |
		     (key->kind == AD_KIND_THREAD ? AD_TF_THREAD : 0);
	return true;
}

static int on_task(void *ctx, const void *k, const void *v)
{
	struct read_ctx *c = ctx;
	const struct ad_key *key = k;
	struct ad_task t;

	if (!ad_record_task(key, v, &t) || !wanted(c, key, t.pgen))
		return 0;
	return c->sink->task(c->sink->ctx, key->id, &t,
			     (t.flags & AD_TF_NAME_COPIED) ? string_of(c, key)
							   : NULL);
}

static int on_frame(void *ctx, const void *k, const void *v)
{
	struct read_ctx *c = ctx;
	struct ad_frame_rec f;
	struct ad_key key;

	ad_frame_entry(c->set, c->pid, c->pgen, k, v, &key, &f);
	if (!wanted(c, &key, f.pgen))
		return 0;
	return c->sink->frame(
		c->sink->ctx, key.id, &f,
		(f.flags & AD_FF_LABEL_COPIED) ? string_of(c, &key) : NULL);
}

int ad_observer_read_records(struct ad_observer *obs, pid_t pid,
			     const struct ad_proc *proc,
			     const struct ad_record_sink *sink, uint64_t *stale)
{
	struct read_ctx c = {.sink = sink,
			     .pid = (uint32_t)pid,
			     .pgen = proc->pgen,
			     .label_max = obs->label_max};
	int e = 0;

	c.nmaps = ad_obs_proc_sets(obs, pid, proc, c.maps, NULL);
	if (c.nmaps < 0)
		return c.nmaps; /* exited meanwhile: its maps are gone */
	ad_idtab_init(&c.strs);
	c.one = malloc((size_t)obs->label_max + 1);
	if (!c.one)
		return -ENOMEM;
	/* Strings first: a record's COPIED flag is set after its string is
	 * stored, so a record read later finds its string here, or (copied
	 * in between) on its own in string_of(). A record is in one set, its
	 * string with it; keys may repeat across sets (a stale record in an
	 * older one), the newer set's string comes first. */
	for (int i = 0; i < c.nmaps && !e; i++)
		e = ad_walk_map(c.maps[i].strings, sizeof(struct ad_key),
				obs->label_max, on_string, &c);
	for (int i = 0; i < c.nmaps && !e; i++)
		e = ad_walk_map(c.maps[i].tasks, sizeof(struct ad_key),
				sizeof(struct ad_task), on_task, &c);
	for (int i = 0; i < c.nmaps && !e; i++) {
		c.set = &c.maps[i];
		e = ad_walk_map(c.maps[i].frames, ad_frames_key_size(c.set),
				sizeof(struct ad_frame), on_frame, &c);
	}
	if (!e && stale)
		*stale = c.stale;
	ad_idtab_free(&c.strs);
	free(c.text);
	free(c.one);
	return e;
}

/* Reads whole records from the iterator's fd, however read() cuts them. */
int ad_observer_read_threads(struct ad_observer *obs, pid_t pid,
			     int (*fn)(void *ctx,
				       const struct ad_thread_rec *rec),
			     void *ctx)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, o);
	union bpf_iter_link_info li;
	struct ad_thread_rec recs[64];
	size_t have = 0;
	struct bpf_link *link;
	int fd, e = 0;

	memset(&li, 0, sizeof(li));
	if (obs->features.task_iter_pid) {
		li.task.pid = (uint32_t)pid;
		o.link_info = &li;
		o.link_info_len = sizeof(li);
	}
	link = bpf_program__attach_iter(obs->skel->progs.ad_iter_threads, &o);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		e = -errno;
		bpf_link__destroy(link);
		return e;
	}
	for (;;) {
		ssize_t n = read(fd, (char *)recs + have, sizeof(recs) - have);
		size_t whole;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		whole = have / sizeof(recs[0]);
		for (size_t i = 0; i < whole && !e; i++)
			if (recs[i].tgid == (uint32_t)pid)
				e = fn(ctx, &recs[i]);
		if (e)
			break;
		have -= whole * sizeof(recs[0]);
		memmove(recs, (char *)recs + whole * sizeof(recs[0]), have);
	}
	close(fd);
	bpf_link__destroy(link);
	return e;
}
