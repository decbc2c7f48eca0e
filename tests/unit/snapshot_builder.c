// SPDX-License-Identifier: BSD-2-Clause
/*
 * snapshot_builder.c - see snapshot_builder.h.
 */
#define _GNU_SOURCE
#include "snapshot_builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "snapshot_builder: out of memory\n");
		abort();
	}
	return p;
}

void sb_init(struct sb *b)
{
	memset(b, 0, sizeof(*b));
	b->s.pid = 1234;
	strcpy(b->s.comm, "server");
	b->s.proc.pgen = SB_PGEN;
	b->s.now_ns = SB_NOW;
	b->s.proc.observed_since_ns = SB_NOW - 12004 * SB_MS;
	/* Observed all its life: attached before it started. */
	b->s.attached_ns = SB_NOW - 14 * SB_S;
	b->s.started_ns = SB_NOW - 13 * SB_S;
	b->s.mono_to_wall_ns = (int64_t)1795304401 * (int64_t)SB_S -
			       (int64_t)b->s.proc.observed_since_ns;
}

void sb_reserve(struct sb *b, size_t frames, size_t tasks)
{
	if (frames > b->fcap) {
		b->s.frames =
			xrealloc(b->s.frames, frames * sizeof(*b->s.frames));
		b->fcap = frames;
	}
	if (tasks > b->tcap) {
		b->s.tasks = xrealloc(b->s.tasks, tasks * sizeof(*b->s.tasks));
		b->tcap = tasks;
	}
}

void sb_free(struct sb *b)
{
	if (b->shared_strings) {
		free(b->s.frames);
		free(b->s.tasks);
	} else {
		ad_snapshot_free(&b->s);
	}
	memset(b, 0, sizeof(*b));
}

void sb_set_str(struct sb *b, struct ad_str *s, const char *text)
{
	if (!b->shared_strings)
		free(s->text);
	if (b->shared_strings || !text)
		s->text = (char *)text;
	else
		s->text = strdup(text);
	if (text && !s->text)
		abort();
}

struct ad_snap_task *sb_task(struct sb *b, uint64_t id, uint64_t spawn_ns,
			     const char *name)
{
	struct ad_snap_task *t;

	if (b->s.ntasks == b->tcap)
		sb_reserve(b, b->fcap, b->tcap ? 2 * b->tcap : 16);
	t = &b->s.tasks[b->s.ntasks++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->rec.spawn_ns = spawn_ns;
	t->rec.pgen = b->s.proc.pgen;
	sb_set_str(b, &t->name, name);
	sb_set_str(b, &t->file, "main.c");
	sb_set_str(b, &t->function, "main");
	t->line = 1;
	return t;
}

struct ad_snap_task *sb_thread_task(struct sb *b, uint32_t tid,
				    uint64_t spawn_ns, const char *comm)
{
	struct ad_snap_task *t = sb_task(b, tid, spawn_ns, comm);

	t->rec.flags = AD_TF_THREAD;
	t->rec.tid = tid;
	return t;
}

struct ad_snap_frame *sb_frame_raw(struct sb *b, uint64_t id, uint64_t task,
				   uint64_t task_gen, uint64_t parent,
				   uint64_t parent_gen, uint64_t enter_ns,
				   const char *label)
{
	struct ad_snap_frame *f;

	if (b->s.nframes == b->fcap)
		sb_reserve(b, b->fcap ? 2 * b->fcap : 16, b->tcap);
	f = &b->s.frames[b->s.nframes++];
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->rec.task = task;
	f->rec.task_gen = task_gen;
	f->rec.parent = parent;
	f->rec.parent_gen = parent_gen;
	f->rec.enter_ns = enter_ns;
	f->rec.pgen = b->s.proc.pgen;
	sb_set_str(b, &f->label, label);
	sb_set_str(b, &f->file, "main.c");
	sb_set_str(b, &f->function, label);
	f->line = 1;
	return f;
}

void sb_chain(struct sb *b, uint64_t task, uint64_t depth, const char *leaf)
{
	uint64_t i;

	sb_init(b);
	b->shared_strings = true;
	sb_reserve(b, (size_t)depth, 1);
	sb_task(b, task, 1, "deep");
	for (i = 1; i <= depth; i++)
		sb_frame_raw(b, i, task, 1, i - 1, i - 1, i,
			     i == depth ? leaf : "level");
}

static struct ad_snap_frame *frame_in(struct sb *b, uint64_t id, uint64_t task,
				      bool thread, uint64_t parent,
				      uint64_t enter_ns, const char *label)
{
	uint64_t task_gen = 0, parent_gen = 0;
	struct ad_snap_frame *f;
	size_t i;

	/* Newest first: chains and flat shapes find theirs at once. */
	for (i = b->s.ntasks; i-- > 0;)
		if (b->s.tasks[i].id == task &&
		    ad_task_is_thread(&b->s.tasks[i].rec) == thread) {
			task_gen = b->s.tasks[i].rec.spawn_ns;
			break;
		}
	if (parent)
		for (i = b->s.nframes; i-- > 0;)
			if (b->s.frames[i].id == parent) {
				parent_gen = b->s.frames[i].rec.enter_ns;
				break;
			}
	f = sb_frame_raw(b, id, task, task_gen, parent, parent_gen, enter_ns,
			 label);
	if (thread)
		f->rec.flags |= AD_FF_THREAD_TASK;
	return f;
}

struct ad_snap_frame *sb_frame(struct sb *b, uint64_t id, uint64_t task,
			       uint64_t parent, uint64_t enter_ns,
			       const char *label)
{
	return frame_in(b, id, task, false, parent, enter_ns, label);
}

struct ad_snap_frame *sb_thread_frame(struct sb *b, uint64_t id, uint32_t tid,
				      uint64_t parent, uint64_t enter_ns,
				      const char *label)
{
	return frame_in(b, id, tid, true, parent, enter_ns, label);
}

void sb_site(struct sb *b, struct ad_snap_frame *f, const char *file,
	     uint32_t line, const char *function)
{
	sb_set_str(b, &f->file, file);
	sb_set_str(b, &f->function, function);
	f->line = line;
}

char *sb_render(const struct sb *b, const struct ad_render_opts *opts,
		size_t *len, struct ad_rebuild_stats *stats)
{
	struct ad_forest forest;
	char *buf = NULL;
	size_t n = 0;
	FILE *out;
	int err;

	if (ad_rebuild(&b->s, &forest))
		return NULL;
	if (stats)
		*stats = forest.stats;
	out = open_memstream(&buf, &n);
	if (!out) {
		ad_forest_free(&forest);
		return NULL;
	}
	err = ad_render(out, &forest, opts);
	fclose(out);
	ad_forest_free(&forest);
	if (err) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}

struct ad_node *sb_node(const struct ad_forest *f, uint64_t id)
{
	size_t i;

	for (i = 0; i < f->nnodes; i++)
		if (f->nodes[i].frame->id == id)
			return &f->nodes[i];
	return NULL;
}
