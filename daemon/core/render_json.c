// SPDX-License-Identifier: BSD-2-Clause
/*
 * render_json.c - the dump as one JSON document (--format json).
 *
 * Why streamed and not built with json-c: a dump may hold a million
 * frames or a chain 100,000 deep. A json-c DOM costs a few hundred bytes
 * per frame plus a hash table per object (hundreds of MB at 1M frames),
 * and json-c both serializes and frees nested objects recursively, which
 * overflows the stack at depth 100,000. So the document is written
 * directly, depth first with an explicit stack, through a buffered writer;
 * memory is O(depth) beyond the forest itself. json-c stays the project's
 * JSON parser (options, protocol, tests).
 *
 * Schema (README copies this; every key is always present):
 *
 * {
 *   "pid": 1234,
 *   "comm": "server",
 *   "own_maps": true | false        its records are in maps of its own
 *                                   (false: in the shared maps, which a
 *                                   dump of it walks whole)
 *   "observed_since_ns": <wall clock ns since the epoch of the first probe hit>,
 *   "now_ns": <wall clock ns since the epoch when the dump was taken>,
 *   "observed_since", "now": the two as "2026-11-21T23:40:01.123456789Z"
 *       (ad_fmt_timestamp_ns: 53-bit parsers round the ns numbers),
 *   "coverage": "whole" | "partial" | "unknown"   whether the process was
 *       observed from its start ("partial": it started before its probes
 *       were attached, frames entered before attached_ns are not shown;
 *       or "forked" is true; core/snapshot.h, ad_coverage()),
 *   "forked": bool   forked and not exec'd since: frames its parent had
 *       open at the fork are not shown (AD_PF_FORKED),
 *   "process_started_ns", "attached_ns": wall clock ns of its start and of
 *       the attach of the last of its files, null if unknown,
 *   "lost": { <counter>: n, ... }    every counter, zeros included:
 *       frames_full tasks_full strings_full label_unreadable exit_unknown
 *       task_exit_unknown poll_end_unknown move_unknown parent_unknown
 *       threads_full maps_gone share_full undispatched (BPF, per process),
 *       dump_label_unreadable stale_records dump_memory_timeout (found
 *       while collecting),
 *       procs_full (machine-wide)
 *   "stats": { frames_in, frames_shown, frames_hidden (verbose, not asked
 *       for), duplicate_frames, duplicate_tasks, orphans, cycles,
 *       frames_of_dead_tasks, stale, uncertain, max_depth }
 *   "tasks": [ task, ... ]           in spawn order
 * }
 * task = {
 *   "id": "0x5581a0" | "tid:4242" (a plain thread's implicit task),
 *   "name": string, "name_truncated": bool,
 *   "parent": task id string | null, "parent_frame": frame id string | null,
 *   "state": "running" | "idle" | "unknown" (not seen polled since
 *       observation began, after the process's start: it may be running),
 *   "tid": number | null,
 *   "age_ns": n, "idle_ns": n | null (null when running or never polled),
 *   "current_unknown": bool (running, its current frame not known yet),
 *   "frames_lost": bool (a frame of it was not recorded: a loss counted
 *       under "lost"; it has more frames than shown),
 *   "spawned": wall clock time of its spawn as above,
 *   "frames": [ frame, ... ]        top-level frames, in enter order
 *   "detached": [ frame, ... ]      each with "reason": "parent_gone" |
 *                                   "parent_unseen" | "moved" | "cycle"
 *   "deepest": {"id", "label", "depth"} | null  its first shown frame at
 *                                   the greatest depth (0: top level)
 * }
 * frame = {
 *   "id": "0x...", "label": string, "label_truncated": bool,
 *   "label_unreadable": bool, "file": string, "line": n,
 *   "function": string, "age_ns": n, "verbose": bool, "long_running": bool,
 *   "stuck": bool, "current": bool,
 *   "uncertain": null | "parent_unknown" | "concurrent" |
 *       "before_observation" (rebuild.h, enum ad_unsure),
 *   "children": [ frame, ... ]
 * }
 * Without --verbose, VERBOSE frames are left out and their children take
 * their place (view.h), exactly as in the text output. Strings are
 * escaped by ad_out_json_str (controls as \u00XX, invalid UTF-8 as U+FFFD).
 */
#include "core/render_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

/* Keys are literals: KEY() pastes the quotes and colon at compile time
 * and skips strlen; a million frames have a dozen keys each. */
#define Q(k) "\"" k "\":"
#define KEY(o, k) AD_OUT_LIT(o, Q(k))
#define KV_U64(o, k, v) kv_u64((o), Q(k), sizeof(Q(k)) - 1, (v))
#define KV_I64(o, k, v) kv_i64((o), Q(k), sizeof(Q(k)) - 1, (v))
#define KV_BOOL(o, k, v) kv_bool((o), Q(k), sizeof(Q(k)) - 1, (v))
#define KV_STR(o, k, v) kv_str((o), Q(k), sizeof(Q(k)) - 1, (v))
#define KV_HEX(o, k, v) kv_hex((o), Q(k), sizeof(Q(k)) - 1, (v))

static void key(struct ad_out *o, const char *k)
{
	ad_out_char(o, '"');
	ad_out_str(o, k);
	AD_OUT_LIT(o, "\":");
}

static void kv_u64(struct ad_out *o, const char *k, size_t kn, uint64_t v)
{
	ad_out_put(o, k, kn);
	ad_out_u64(o, v);
	ad_out_char(o, ',');
}

static void kv_i64(struct ad_out *o, const char *k, size_t kn, int64_t v)
{
	ad_out_put(o, k, kn);
	ad_out_i64(o, v);
	ad_out_char(o, ',');
}

static void kv_bool(struct ad_out *o, const char *k, size_t kn, bool v)
{
	ad_out_put(o, k, kn);
	if (v)
		AD_OUT_LIT(o, "true,");
	else
		AD_OUT_LIT(o, "false,");
}

static void kv_str(struct ad_out *o, const char *k, size_t kn, const char *v)
{
	ad_out_put(o, k, kn);
	ad_out_json_str(o, v);
	ad_out_char(o, ',');
}

static void kv_hex(struct ad_out *o, const char *k, size_t kn, uint64_t v)
{
	ad_out_put(o, k, kn);
	ad_out_char(o, '"');
	ad_out_hex(o, v);
	AD_OUT_LIT(o, "\",");
}

/* Writes `"a":1,"b":2`. */
static void counters(struct ad_out *o, const char *const *names,
		     const uint64_t *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			ad_out_char(o, ',');
		key(o, names[i]);
		ad_out_u64(o, vals[i]);
	}
}

/* A CLOCK_MONOTONIC time of the snapshot as wall-clock ns, or null if
 * unknown (0), and a comma. */
static void wall_or_null(struct ad_out *o, const struct ad_snapshot *s,
			 uint64_t mono_ns)
{
	if (mono_ns)
		ad_out_i64(o, ad_snap_wall_ns(s, mono_ns));
	else
		AD_OUT_LIT(o, "null");
	ad_out_char(o, ',');
}

static void head(struct ad_out *o, const struct ad_view *v)
{
	const struct ad_forest *f = v->forest;
	const struct ad_snapshot *s = f->snap;
	const struct ad_rebuild_stats *st = &f->stats;
	const char *stat_names[] = {
		"frames_in",	   "frames_shown",
		"frames_hidden",   "duplicate_frames",
		"duplicate_tasks", "orphans",
		"cycles",	   "frames_of_dead_tasks",
		"stale",	   "uncertain",
		"max_depth",
	};
	const uint64_t stat_vals[] = {
		st->frames_in,	     st->frames_shown,
		v->hidden,	     st->duplicate_frames,
		st->duplicate_tasks, st->orphans,
		st->cycles,	     st->frames_of_dead_tasks,
		st->stale,	     st->uncertain,
		st->max_depth,
	};
	struct ad_loss losses[AD_LOSS_COUNT];
	char ts[AD_TIMESTAMP_MAX];

	ad_out_char(o, '{');
	KV_I64(o, "pid", s->pid);
	KV_STR(o, "comm", s->comm);
	KV_BOOL(o, "own_maps", s->proc.slot != AD_SLOT_SHARED);
	KV_I64(o, "observed_since_ns",
	       ad_snap_wall_ns(s, s->proc.observed_since_ns));
	KV_I64(o, "now_ns", ad_snap_wall_ns(s, s->now_ns));
	KV_STR(o, "observed_since",
	       ad_fmt_timestamp_ns(
		       ts, ad_snap_wall_ns(s, s->proc.observed_since_ns)));
	KV_STR(o, "now",
	       ad_fmt_timestamp_ns(ts, ad_snap_wall_ns(s, s->now_ns)));
	KV_STR(o, "coverage", ad_coverage_name(ad_coverage(s)));
	KV_BOOL(o, "forked", !!(s->proc.flags & AD_PF_FORKED));
	KEY(o, "process_started_ns");
	wall_or_null(o, s, s->started_ns);
	KEY(o, "attached_ns");
	wall_or_null(o, s, s->attached_ns);
	ad_snapshot_losses(s, losses);
	KEY(o, "lost");
	ad_out_char(o, '{');
	for (size_t i = 0; i < AD_LOSS_COUNT; i++) {
		if (i)
			ad_out_char(o, ',');
		key(o, losses[i].name);
		ad_out_u64(o, losses[i].value);
	}
	ad_out_str(o, "},");
	KEY(o, "stats");
	ad_out_char(o, '{');
	counters(o, stat_names, stat_vals,
		 sizeof(stat_vals) / sizeof(stat_vals[0]));
	ad_out_str(o, "},");
}

static const char *reason_json(enum ad_detach_reason r)
{
	switch (r) {
	case AD_DETACH_MOVED:
		return "moved";
	case AD_DETACH_CYCLE:
		return "cycle";
	case AD_DETACH_PARENT_UNSEEN:
		return "parent_unseen";
	case AD_DETACH_PARENT_GONE:
	case AD_DETACH_NONE:
		break;
	}
	return "parent_gone";
}

struct json_ctx {
	struct ad_out *o;
	const struct ad_view *v;
	const struct ad_render_opts *opts;
	uint64_t now;
	const struct ad_node *current;
	/* The task's first shown frame at its greatest shown depth (levels
	 * from 0), met while its frames are written. */
	const struct ad_node *deepest;
	size_t deepest_level;
};

/* Why a frame cannot be placed for sure, as a JSON value. */
static const char *unsure_json(enum ad_unsure u)
{
	switch (u) {
	case AD_UNSURE_PARENT:
		return "\"parent_unknown\"";
	case AD_UNSURE_CONCURRENT:
		return "\"concurrent\"";
	case AD_UNSURE_BEFORE:
		return "\"before_observation\"";
	case AD_UNSURE_NONE:
		break;
	}
	return "null";
}

/* Everything of a frame up to and including `"children":[`. */
static void frame_open(struct json_ctx *c, const struct ad_node *n,
		       enum ad_detach_reason reason)
{
	const struct ad_snap_frame *f = n->frame;
	struct ad_out *o = c->o;

	ad_view_prefetch(c->v, n);
	ad_out_char(o, '{');
	KV_HEX(o, "id", f->id);
	if (reason != AD_DETACH_NONE)
		KV_STR(o, "reason", reason_json(reason));
	KV_STR(o, "label", f->label.text);
	KV_BOOL(o, "label_truncated", f->label.truncated);
	KV_BOOL(o, "label_unreadable", f->label.unreadable);
	KV_STR(o, "file", f->file.text);
	KV_U64(o, "line", f->line);
	KV_STR(o, "function", f->function.text);
	KV_U64(o, "age_ns", ad_age(c->now, f->rec.enter_ns));
	KV_BOOL(o, "verbose", f->rec.flags & ASYNCDUMP_F_VERBOSE);
	KV_BOOL(o, "long_running", f->rec.flags & ASYNCDUMP_F_LONG_RUNNING);
	KV_BOOL(o, "stuck", ad_frame_stuck(c->opts->stuck_after_ns, c->now, n));
	KV_BOOL(o, "current", n == c->current);
	KEY(o, "uncertain");
	ad_out_str(o, unsure_json(n->unsure));
	ad_out_char(o, ',');
	KEY(o, "children");
	ad_out_char(o, '[');
}

struct open_frame {
	const struct ad_node *n;
	size_t next;
};

struct frame_stack {
	struct open_frame *e;
	size_t len, cap;
};

static int fs_push(struct frame_stack *s, const struct ad_node *n)
{
	struct open_frame *e = ad_grow(s->e, &s->cap, s->len, sizeof(*e), 256);

	if (!e)
		return -ENOMEM;
	s->e = e;
	s->e[s->len++] = (struct open_frame){n, 0};
	return 0;
}

/* One root and its whole subtree, depth first, without recursion. */
/* A frame at `level` (0: a root) is being written. */
static void meet_depth(struct json_ctx *c, const struct ad_node *n,
		       size_t level)
{
	if (!c->deepest || level > c->deepest_level) {
		c->deepest = n;
		c->deepest_level = level;
	}
}

static int frame_tree(struct json_ctx *c, struct frame_stack *st,
		      const struct ad_view_root *r)
{
	meet_depth(c, r->node, 0);
	frame_open(c, r->node, r->reason);
	st->len = 0;
	if (fs_push(st, r->node))
		return -ENOMEM;
	while (st->len) {
		struct open_frame *e = &st->e[st->len - 1];
		const struct ad_node *kid;

		if (e->next == ad_view_nkids(c->v, e->n)) {
			ad_out_str(c->o, "]}");
			st->len--;
			continue;
		}
		if (e->next)
			ad_out_char(c->o, ',');
		kid = ad_view_kid(c->v, e->n, e->next++);
		meet_depth(c, kid, st->len);
		frame_open(c, kid, AD_DETACH_NONE);
		if (fs_push(st, kid))
			return -ENOMEM;
	}
	return 0;
}

static int frame_list(struct json_ctx *c, struct frame_stack *st,
		      const struct ad_view_root *roots, size_t n)
{
	size_t i;
	int err = 0;

	ad_out_char(c->o, '[');
	for (i = 0; i < n && !err; i++) {
		if (i)
			ad_out_char(c->o, ',');
		err = frame_tree(c, st, &roots[i]);
	}
	ad_out_char(c->o, ']');
	return err;
}

static void task_id(struct ad_out *o, uint64_t id, bool thread)
{
	char buf[AD_ID_MAX];

	ad_out_json_str(o, ad_fmt_task_id(buf, id, thread));
}

static int task(struct json_ctx *c, struct frame_stack *st,
		const struct ad_tree_task *tt, const struct ad_view_task *vt)
{
	char ts[AD_TIMESTAMP_MAX];
	const struct ad_snap_task *t = tt->task;
	struct ad_out *o = c->o;
	int err;

	ad_out_char(o, '{');
	KEY(o, "id");
	task_id(o, t->id, ad_task_is_thread(&t->rec));
	ad_out_char(o, ',');
	KV_STR(o, "name", t->name.text);
	KV_BOOL(o, "name_truncated", t->name.truncated);
	KEY(o, "parent");
	if (t->rec.parent_task) /* an id given to the probes */
		task_id(o, t->rec.parent_task, false);
	else
		ad_out_str(o, "null");
	ad_out_char(o, ',');
	KEY(o, "parent_frame");
	if (t->rec.parent_frame) {
		ad_out_char(o, '"');
		ad_out_hex(o, t->rec.parent_frame);
		ad_out_str(o, "\",");
	} else {
		ad_out_str(o, "null,");
	}
	KV_STR(o, "state",
	       t->rec.tid	   ? "running"
	       : tt->state_unknown ? "unknown"
				   : "idle");
	KEY(o, "tid");
	if (t->rec.tid)
		ad_out_u64(o, t->rec.tid);
	else
		ad_out_str(o, "null");
	ad_out_char(o, ',');
	KV_U64(o, "age_ns", ad_age(c->now, t->rec.spawn_ns));
	/* when it was spawned (first seen): a reused id is another task */
	KV_STR(o, "spawned",
	       ad_fmt_timestamp_ns(ts, ad_snap_wall_ns(c->v->forest->snap,
						       t->rec.spawn_ns)));
	KEY(o, "idle_ns");
	if (t->rec.tid || !t->rec.last_poll_ns)
		ad_out_str(o, "null");
	else
		ad_out_u64(o, ad_age(c->now, t->rec.last_poll_ns));
	ad_out_char(o, ',');
	KV_BOOL(o, "current_unknown", tt->current_unknown);
	KV_BOOL(o, "frames_lost", !!(t->rec.flags & AD_TF_FRAMES_LOST));
	c->current = vt->current;
	c->deepest = NULL;
	c->deepest_level = 0;
	KEY(o, "frames");
	err = frame_list(c, st, vt->roots, vt->nroots);
	ad_out_char(o, ',');
	KEY(o, "detached");
	if (!err)
		err = frame_list(c, st, vt->roots + vt->nroots, vt->ndetached);
	ad_out_char(o, ',');
	KEY(o, "deepest");
	if (c->deepest) {
		ad_out_char(o, '{');
		KV_HEX(o, "id", c->deepest->frame->id);
		KV_STR(o, "label", c->deepest->frame->label.text);
		KEY(o, "depth");
		ad_out_u64(o, c->deepest_level);
		ad_out_char(o, '}');
	} else {
		ad_out_str(o, "null");
	}
	ad_out_char(o, '}');
	return err;
}

int ad_render_json(struct ad_out *o, const struct ad_view *v,
		   const struct ad_render_opts *opts)
{
	const struct ad_forest *forest = v->forest;
	struct frame_stack st = {0};
	struct json_ctx c;
	size_t i;
	int err = 0;

	/* The stack holds one frame per level of the deepest path: with it
	 * reserved, nothing is allocated once output has begun (render.h). */
	st.e = malloc(((size_t)forest->stats.max_depth + 2) * sizeof(*st.e));
	st.cap = (size_t)forest->stats.max_depth + 2;
	if (!st.e)
		return -ENOMEM;
	c = (struct json_ctx){
		.o = o, .v = v, .opts = opts, .now = forest->snap->now_ns};
	head(o, v);
	KEY(o, "tasks");
	ad_out_char(o, '[');
	for (i = 0; i < forest->ntasks && !err && !o->err; i++) {
		ad_out_str(o, i ? ",\n" : "\n");
		err = task(&c, &st, &forest->tasks[i], &v->tasks[i]);
	}
	ad_out_str(o, "\n]}\n");
	free(st.e);
	return err;
}
