// SPDX-License-Identifier: BSD-2-Clause
/*
 * render_text.c - the default, human-readable dump.
 *
 *   pid 1234 (server): observed for 12.004s since 2026-11-21T23:40:01Z, 2 tasks, 4 frames
 *   lost: none
 *   found: orphans=1          (only when the rebuild found something)
 *
 *   task "conn" 0x5581a0: running on tid 4242, age 3.000s, spawned by task "main" 0x10 at frame "accept" 0x20
 *   ╼ handle at server.c:10 in handle [3.000s]
 *     └╼ read body at server.c:20 in read_body [!!! 12.000s]
 *        ├╼ 2x lock at server.c:30 in lock [1.000ms]
 *        └╼ poll at server.c:40 in poll [12.345µs]  <== current
 *     [detached: parent exited]
 *   ╼ write at server.c:50 in write [1.000s]
 *
 * Trees are drawn like async-backtrace's (3 columns per level, the first
 * child level indented by 2), times like await-tree's. Beyond
 * AD_TEXT_DRAW_DEPTH levels the prefix stops growing and reads
 * "  ⋮[depth N] └╼ ", so a chain 100,000 deep prints in linear size.
 *
 * Elapsed: see ad_fmt_duration. "[!!! t]" marks a frame pending longer
 * than opts->stuck_after_ns (0 disables the marker) unless it is
 * LONG_RUNNING. A truncated _DYN label ends with "…"; an unreadable one
 * prints the placeholder collect.c put in its place. Identical adjacent
 * leaf siblings are folded into one line "Nx ..." showing the oldest's
 * elapsed time (a current frame is never folded).
 */
#include "core/render_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

#define AD_TEXT_DRAW_DEPTH 64

static const char *reason_text(enum ad_detach_reason r)
{
	switch (r) {
	case AD_DETACH_MOVED:
		return "moved";
	case AD_DETACH_CYCLE:
		return "cycle broken";
	case AD_DETACH_PARENT_UNSEEN:
		return "parent not seen";
	case AD_DETACH_PARENT_GONE:
	case AD_DETACH_NONE:
		break;
	}
	return "parent exited";
}

static void lost_item(struct ad_out *o, bool *any, const char *name, uint64_t v)
{
	if (!v)
		return;
	ad_out_str(o, *any ? ", " : " ");
	ad_out_str(o, name);
	ad_out_char(o, '=');
	ad_out_u64(o, v);
	*any = true;
}

/* "observed for X since T" and whether frames entered before observation
 * began may be missing, in every dump, so that `lost: none` is never read
 * as "everything since the process started". */
static void observed(struct ad_out *o, const struct ad_snapshot *s)
{
	char dur[AD_DURATION_MAX], ts[AD_TIMESTAMP_MAX];
	enum ad_coverage c = ad_coverage(s);

	bool forked = s->proc.flags & AD_PF_FORKED;

	ad_out_str(o, "observed for ");
	if (c == AD_COVERAGE_PARTIAL && !forked) {
		ad_out_str(o, ad_fmt_duration(
				      dur, ad_age(s->now_ns, s->attached_ns)));
		ad_out_str(o, " of the process's ");
		ad_out_str(o, ad_fmt_duration(
				      dur, ad_age(s->now_ns, s->started_ns)));
		ad_out_str(o, " (frames entered before ");
		ad_out_str(o, ad_fmt_timestamp(
				      ts, ad_snap_wall_ns(s, s->attached_ns)));
		ad_out_str(o, " are not shown)");
		return;
	}
	ad_out_str(o, ad_fmt_duration(dur, ad_age(s->now_ns,
						  s->proc.observed_since_ns)));
	ad_out_str(o, " since ");
	ad_out_str(o,
		   ad_fmt_timestamp(
			   ts, ad_snap_wall_ns(s, s->proc.observed_since_ns)));
	if (forked)
		ad_out_str(o, " (forked without exec: frames its parent had "
			      "open at the fork are not shown)");
	else if (c == AD_COVERAGE_WHOLE)
		ad_out_str(o, ", all its life");
	else
		ad_out_str(o, " (its start is unknown: frames entered before "
			      "may not be shown)");
}

static void header(struct ad_out *o, const struct ad_view *v)
{
	const struct ad_forest *f = v->forest;
	const struct ad_snapshot *s = f->snap;
	const struct ad_rebuild_stats *st = &f->stats;
	struct ad_loss losses[AD_LOSS_COUNT];
	bool any = false;
	size_t i;

	ad_out_str(o, "pid ");
	ad_out_u64(o, (uint64_t)(int64_t)s->pid);
	ad_out_str(o, " (");
	ad_out_text(o, s->comm, false);
	ad_out_str(o, "): ");
	observed(o, s);
	ad_out_str(o, ", ");
	ad_out_u64(o, f->ntasks);
	ad_out_str(o, f->ntasks == 1 ? " task, " : " tasks, ");
	ad_out_u64(o, st->frames_shown);
	ad_out_str(o, st->frames_shown == 1 ? " frame" : " frames");
	if (v->hidden) {
		ad_out_str(o, " (");
		ad_out_u64(o, v->hidden);
		ad_out_str(o, " verbose hidden)");
	}
	/* Losses (probe events not recorded, strings not read) and what the
	 * rebuild found (shown detached, or hidden because their task exited)
	 * are different news: a healthy program may have frames left open by
	 * exited tasks until the daemon's sweep, and that is not a loss. */
	ad_out_str(o, "\nlost:");
	ad_snapshot_losses(s, losses);
	for (i = 0; i < AD_LOSS_COUNT; i++)
		lost_item(o, &any, losses[i].name, losses[i].value);
	ad_out_str(o, any ? "\n" : " none\n");
	if (st->orphans || st->cycles || st->duplicate_frames ||
	    st->duplicate_tasks || st->frames_of_dead_tasks || st->stale ||
	    st->uncertain) {
		any = false;
		ad_out_str(o, "found:");
		lost_item(o, &any, "orphans", st->orphans);
		lost_item(o, &any, "cycles", st->cycles);
		lost_item(o, &any, "duplicate_frames", st->duplicate_frames);
		lost_item(o, &any, "duplicate_tasks", st->duplicate_tasks);
		lost_item(o, &any, "frames_of_dead_tasks",
			  st->frames_of_dead_tasks);
		lost_item(o, &any, "stale", st->stale);
		lost_item(o, &any, "uncertain", st->uncertain);
		ad_out_char(o, '\n');
	}
}

static void task_name(struct ad_out *o, const struct ad_snap_task *t)
{
	if (ad_task_is_thread(&t->rec)) {
		ad_out_str(o, "thread ");
		ad_out_u64(o, t->id);
		ad_out_str(o, " (");
		ad_out_text(o, t->name.text, false);
		if (t->name.truncated)
			ad_out_str(o, "\u2026");
		ad_out_char(o, ')');
		return;
	}
	ad_out_str(o, "task \"");
	ad_out_text(o, t->name.text, true);
	if (t->name.truncated)
		ad_out_str(o, "\u2026");
	ad_out_str(o, "\" ");
	ad_out_hex(o, t->id);
}

static void task_header(struct ad_out *o, const struct ad_snapshot *s,
			const struct ad_tree_task *tt)
{
	const struct ad_snap_task *t = tt->task;
	bool late = ad_coverage(s) != AD_COVERAGE_WHOLE;
	char dur[AD_DURATION_MAX];

	task_name(o, t);
	ad_out_str(o, ": ");
	if (t->rec.tid) {
		ad_out_str(o, "running on tid ");
		ad_out_u64(o, t->rec.tid);
		if (tt->current_unknown)
			ad_out_str(o,
				   " (current frame not known: its previous "
				   "poll, on another thread, has not ended)");
	} else if (tt->state_unknown) {
		ad_out_str(o, "not seen polled since observation began (may "
			      "be running)");
	} else if (t->rec.last_poll_ns == 0) {
		ad_out_str(o, "never polled");
	} else {
		ad_out_str(o, "idle ");
		ad_out_str(o,
			   ad_fmt_duration(dur, ad_age(s->now_ns,
						       t->rec.last_poll_ns)));
	}
	ad_out_str(o, ", age ");
	ad_out_str(o, ad_fmt_duration(dur, ad_age(s->now_ns, t->rec.spawn_ns)));
	if (t->rec.parent_task || t->rec.parent_frame)
		ad_out_str(o, ", spawned");
	if (t->rec.parent_task) {
		ad_out_str(o, " by ");
		if (tt->parent_task) {
			task_name(o, tt->parent_task);
		} else {
			char id[AD_ID_MAX];

			/* Observed late, it may be live but never seen. */
			ad_out_str(o, late ? "task not seen " : "exited task ");
			/* a spawn names its parent by a task id given to
			 * the probes, never a thread's own task */
			ad_out_str(o, ad_fmt_task_id(id, t->rec.parent_task,
						     false));
		}
	}
	if (t->rec.parent_frame) {
		ad_out_str(o, " at frame ");
		if (tt->parent_frame) {
			ad_out_char(o, '"');
			ad_out_text(o, tt->parent_frame->label.text, true);
			if (tt->parent_frame->label.truncated)
				ad_out_str(o, "\u2026");
			ad_out_str(o, "\" ");
		} else {
			ad_out_str(o, late ? "(not seen) " : "(gone) ");
		}
		ad_out_hex(o, t->rec.parent_frame);
	}
	if (t->rec.flags & AD_TF_FRAMES_LOST)
		ad_out_str(o, " [frames lost: some of its frames were not "
			      "recorded, see lost]");
	ad_out_char(o, '\n');
}

struct text_ctx {
	struct ad_out *o;
	const struct ad_view *v;
	const struct ad_render_opts *opts;
	uint64_t now;
	const struct ad_node *current;
	/* "  " then one continuation segment ("│  " or "   ") per level;
	 * lines at level L (1..DRAW_DEPTH) use the first plen[L] bytes. */
	char pre[2 + AD_TEXT_DRAW_DEPTH * 5];
	size_t plen[AD_TEXT_DRAW_DEPTH + 2];
};

static bool stuck(const struct text_ctx *c, const struct ad_node *n)
{
	return ad_frame_stuck(c->opts->stuck_after_ns, c->now, n);
}

static bool same_str(const struct ad_str *a, const struct ad_str *b)
{
	if (!a->text || !b->text)
		return a->text == b->text;
	return a->truncated == b->truncated && !strcmp(a->text, b->text);
}

/* May b be folded into a line with a (both shown leaves)? */
static bool foldable(const struct text_ctx *c, const struct ad_node *a,
		     const struct ad_node *b)
{
	const struct ad_snap_frame *x = a->frame, *y = b->frame;
	const uint32_t f = ASYNCDUMP_F_VERBOSE | ASYNCDUMP_F_LONG_RUNNING;

	return b != c->current && ad_view_nkids(c->v, b) == 0 &&
	       a->unsure == b->unsure && x->line == y->line &&
	       (x->rec.flags & f) == (y->rec.flags & f) &&
	       stuck(c, a) == stuck(c, b) && same_str(&x->label, &y->label) &&
	       same_str(&x->file, &y->file) &&
	       same_str(&x->function, &y->function);
}

static void frame_line(struct text_ctx *c, const struct ad_node *n,
		       size_t level, bool last, size_t count)
{
	const struct ad_snap_frame *f = n->frame;
	struct ad_out *o = c->o;
	char dur[AD_DURATION_MAX];

	if (level == 0) {
		ad_out_str(o, "\u257c ");
	} else {
		if (level <= AD_TEXT_DRAW_DEPTH) {
			ad_out_put(o, c->pre, c->plen[level]);
		} else {
			ad_out_str(o, "  \u22ee[depth ");
			ad_out_u64(o, level);
			ad_out_str(o, "] ");
		}
		ad_out_str(o, last ? "\u2514\u257c " : "\u251c\u257c ");
	}
	if (count > 1) {
		ad_out_u64(o, count);
		ad_out_str(o, "x ");
	}
	ad_out_text(o, f->label.text, false);
	if (f->label.truncated)
		ad_out_str(o, "\u2026");
	ad_out_str(o, " at ");
	ad_out_text(o, f->file.text, false);
	ad_out_char(o, ':');
	ad_out_u64(o, f->line);
	ad_out_str(o, " in ");
	ad_out_text(o, f->function.text, false);
	ad_out_str(o, stuck(c, n) ? " [!!! " : " [");
	ad_out_str(o, ad_fmt_duration(dur, ad_age(c->now, f->rec.enter_ns)));
	ad_out_char(o, ']');
	if (n->unsure == AD_UNSURE_PARENT)
		ad_out_str(o, "  (uncertain: parent not known yet)");
	else if (n->unsure == AD_UNSURE_CONCURRENT)
		ad_out_str(o, "  (uncertain: two threads ran the task)");
	else if (n->unsure == AD_UNSURE_BEFORE && level)
		ad_out_str(o, "  (uncertain, as above)"); /* its root's */
	else if (n->unsure == AD_UNSURE_BEFORE)
		ad_out_str(o, "  (uncertain: may be under a frame, or in a "
			      "task, begun before observation)");
	if (n == c->current)
		ad_out_str(o, "  <== current");
	ad_out_char(o, '\n');
}

/* A list of siblings being drawn: a node's shown kids, or (node NULL) a
 * run of a task's roots. */
struct sib {
	const struct ad_node *node;
	const struct ad_view_root *roots;
	size_t next, count, level;
};

static struct ad_node *sib_at(const struct text_ctx *c, const struct sib *s,
			      size_t i)
{
	struct ad_node *n =
		s->node ? ad_view_kid(c->v, s->node, i) : s->roots[i].node;

	ad_view_prefetch(c->v, n);
	return n;
}

struct sib_stack {
	struct sib *e;
	size_t len, cap;
};

static int sib_push(struct sib_stack *s, struct sib x)
{
	struct sib *e = ad_grow(s->e, &s->cap, s->len, sizeof(*e), 256);

	if (!e)
		return -ENOMEM;
	s->e = e;
	s->e[s->len++] = x;
	return 0;
}

/* Draws roots[0..n) and everything under them, depth first. */
static int draw(struct text_ctx *c, struct sib_stack *st,
		const struct ad_view_root *roots, size_t n)
{
	st->len = 0;
	if (sib_push(st, (struct sib){NULL, roots, 0, n, 0}))
		return -ENOMEM;
	while (st->len) {
		struct sib *s = &st->e[st->len - 1];
		struct ad_node *first;
		size_t i, j, level = s->level;
		bool last;

		if (s->next == s->count) {
			st->len--;
			continue;
		}
		i = s->next;
		first = sib_at(c, s, i);
		j = i + 1;
		if (first != c->current && ad_view_nkids(c->v, first) == 0)
			while (j < s->count &&
			       foldable(c, first, sib_at(c, s, j)))
				j++;
		s->next = j;
		last = j == s->count;
		frame_line(c, first, level, last, j - i);
		if (ad_view_nkids(c->v, first) == 0)
			continue;
		/* Children of a level-L line are drawn at L+1 under the
		 * continuation segment of this line. */
		if (level >= 1 && level < AD_TEXT_DRAW_DEPTH) {
			const char *seg = last ? "   " : "\u2502  ";
			size_t len = strlen(seg);

			memcpy(c->pre + c->plen[level], seg, len);
			c->plen[level + 1] = c->plen[level] + len;
		}
		if (sib_push(st, (struct sib){first, NULL, 0,
					      ad_view_nkids(c->v, first),
					      level + 1}))
			return -ENOMEM;
	}
	return 0;
}

static int draw_task(struct text_ctx *c, struct sib_stack *st,
		     const struct ad_view_task *vt)
{
	size_t a, b;
	int err;

	c->current = vt->current;
	err = draw(c, st, vt->roots, vt->nroots);
	/* Detached roots, one heading per run of the same reason. */
	for (a = vt->nroots; !err && a < vt->nroots + vt->ndetached; a = b) {
		for (b = a + 1; b < vt->nroots + vt->ndetached &&
				vt->roots[b].reason == vt->roots[a].reason;
		     b++)
			;
		ad_out_str(c->o, "  [detached: ");
		ad_out_str(c->o, reason_text(vt->roots[a].reason));
		ad_out_str(c->o, "]\n");
		err = draw(c, st, vt->roots + a, b - a);
	}
	return err;
}

int ad_render_text(struct ad_out *o, const struct ad_view *v,
		   const struct ad_render_opts *opts)
{
	const struct ad_forest *forest = v->forest;
	struct text_ctx *c = malloc(sizeof(*c));
	struct sib_stack st = {0};
	size_t i;
	int err = 0;

	/* One run of roots plus one sibling list per level of the deepest
	 * path: with it reserved, nothing is allocated once output has
	 * begun (render.h). */
	st.e = malloc(((size_t)forest->stats.max_depth + 2) * sizeof(*st.e));
	st.cap = (size_t)forest->stats.max_depth + 2;
	if (!c || !st.e) {
		free(st.e);
		free(c);
		return -ENOMEM;
	}
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->v = v;
	c->opts = opts;
	c->now = forest->snap->now_ns;
	memcpy(c->pre, "  ", 2);
	c->plen[1] = 2;
	header(o, v);
	for (i = 0; i < forest->ntasks && !err && !o->err; i++) {
		ad_out_char(o, '\n');
		task_header(o, forest->snap, &forest->tasks[i]);
		err = draw_task(c, &st, &v->tasks[i]);
	}
	free(st.e);
	free(c);
	return err;
}
