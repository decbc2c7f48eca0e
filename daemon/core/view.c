// SPDX-License-Identifier: BSD-2-Clause
/*
 * view.c - what a renderer draws (view.h): which frames are shown and who
 * their shown children are.
 */
#include "core/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

/* Depth-first walk state; an explicit stack because trees may be 100,000
 * deep. `anc` is the nearest shown ancestor-or-self of `n`. */
struct walk_ent {
	struct ad_node *n;
	size_t next;
	struct ad_node *anc;
};

struct walk_stack {
	struct walk_ent *e;
	size_t len, cap;
};

static int push(struct walk_stack *s, struct ad_node *n, struct ad_node *anc)
{
	struct walk_ent *e = ad_grow(s->e, &s->cap, s->len, sizeof(*e), 256);

	if (!e)
		return -ENOMEM;
	s->e = e;
	s->e[s->len++] = (struct walk_ent){n, 0, anc};
	return 0;
}

/* One shown-or-hidden node met in pre-order. Counting pass: tallies kids
 * per shown ancestor and roots per task. Filling pass: stores them, in
 * pre-order, which is the order re-attached children must appear in. */
static void meet(struct ad_view *v, struct ad_view_task *vt, size_t *rfill,
		 struct ad_node *n, struct ad_node *anc,
		 enum ad_detach_reason reason, bool fill)
{
	bool shown = ad_view_shows(v, n);

	if (!fill) {
		if (n->current)
			vt->current = shown ? n : anc;
		if (!shown) {
			v->hidden++;
			return;
		}
		vt->nshown++;
		if (anc)
			v->nkids[ad_view_idx(v, anc)]++;
		else if (reason == AD_DETACH_NONE)
			vt->nroots++;
		else
			vt->ndetached++;
		return;
	}
	if (!shown)
		return;
	if (anc) {
		size_t a = ad_view_idx(v, anc);

		v->kids[v->koff[a] + v->nkids[a]++] = n;
	} else {
		vt->roots[(*rfill)++] = (struct ad_view_root){n, reason};
	}
}

static int walk_task(struct ad_view *v, struct walk_stack *st, size_t t,
		     bool fill)
{
	const struct ad_tree_task *tt = &v->forest->tasks[t];
	struct ad_view_task *vt = &v->tasks[t];
	size_t rfill = 0, list, i;

	for (list = 0; list < 2; list++) {
		struct ad_node **roots = list ? tt->detached : tt->roots;
		size_t nroots = list ? tt->ndetached : tt->nroots;

		for (i = 0; i < nroots; i++) {
			struct ad_node *r = roots[i];
			enum ad_detach_reason reason =
				list ? r->detached : AD_DETACH_NONE;

			if (list && reason == AD_DETACH_NONE)
				reason = AD_DETACH_PARENT_GONE; /* defensive */
			meet(v, vt, &rfill, r, NULL, reason, fill);
			if (push(st, r, ad_view_shows(v, r) ? r : NULL))
				return -ENOMEM;
			while (st->len) {
				struct walk_ent *e = &st->e[st->len - 1];
				struct ad_node *c, *anc;

				if (e->next == e->n->nchildren) {
					st->len--;
					continue;
				}
				c = e->n->children[e->next++];
				anc = e->anc;
				meet(v, vt, &rfill, c, anc, reason, fill);
				if (push(st, c, ad_view_shows(v, c) ? c : anc))
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* Nothing hidden: the view is the forest itself, only the roots lists
 * (top-level then detached, with reasons) are gathered. */
static void identity_view(struct ad_view *v)
{
	const struct ad_forest *f = v->forest;
	size_t i, k, sum = 0;

	for (i = 0; i < f->ntasks; i++) {
		const struct ad_tree_task *tt = &f->tasks[i];
		struct ad_view_task *vt = &v->tasks[i];

		vt->roots = v->roots + sum;
		vt->nroots = tt->nroots;
		vt->ndetached = tt->ndetached;
		vt->current = tt->current;
		vt->nshown = tt->nframes;
		for (k = 0; k < tt->nroots; k++)
			vt->roots[k] = (struct ad_view_root){tt->roots[k],
							     AD_DETACH_NONE};
		for (k = 0; k < tt->ndetached; k++) {
			struct ad_node *d = tt->detached[k];

			vt->roots[tt->nroots + k] = (struct ad_view_root){
				d, d->detached ? d->detached
					       : AD_DETACH_PARENT_GONE};
		}
		sum += tt->nroots + tt->ndetached;
	}
}

int ad_view_build(struct ad_view *v, const struct ad_forest *forest,
		  bool verbose)
{
	size_t nn = forest->nnodes, nt = forest->ntasks, i, sum;
	struct walk_stack st = {0};
	int err = 0;

	memset(v, 0, sizeof(*v));
	v->forest = forest;
	v->verbose = verbose;
	v->tasks = calloc(nt ? nt : 1, sizeof(*v->tasks));
	v->roots = malloc((nn ? nn : 1) * sizeof(*v->roots));
	if (!v->tasks || !v->roots)
		goto nomem;
	if (!verbose) {
		v->shown = malloc(nn ? nn : 1);
		if (!v->shown)
			goto nomem;
		for (i = 0; i < nn; i++) {
			/* An uncertain frame is shown even if verbose: its
			 * children, taking its place, would not carry its
			 * mark. */
			v->shown[i] = !(forest->nodes[i].frame->rec.flags &
					ASYNCDUMP_F_VERBOSE) ||
				      forest->nodes[i].unsure != AD_UNSURE_NONE;
			v->hidden += !v->shown[i];
		}
	}
	if (!v->hidden) {
		v->identity = true;
		free(v->shown);
		v->shown = NULL;
		identity_view(v);
		return 0;
	}
	v->kids = malloc((nn ? nn : 1) * sizeof(*v->kids));
	v->koff = malloc((nn ? nn : 1) * sizeof(*v->koff));
	v->nkids = calloc(nn ? nn : 1, sizeof(*v->nkids));
	if (!v->kids || !v->koff || !v->nkids)
		goto nomem;
	v->hidden = 0; /* counted again by the first pass */
	for (i = 0; i < nt && !err; i++)
		err = walk_task(v, &st, i, false);
	for (i = 0, sum = 0; i < nn; i++) {
		v->koff[i] = (uint32_t)sum;
		sum += v->nkids[i];
		v->nkids[i] = 0; /* refilled by the second pass */
	}
	for (i = 0, sum = 0; i < nt; i++) {
		v->tasks[i].roots = v->roots + sum;
		sum += v->tasks[i].nroots + v->tasks[i].ndetached;
	}
	for (i = 0; i < nt && !err; i++)
		err = walk_task(v, &st, i, true);
	free(st.e);
	if (err)
		ad_view_free(v);
	return err;
nomem:
	ad_view_free(v);
	return -ENOMEM;
}

void ad_view_free(struct ad_view *v)
{
	free(v->tasks);
	free(v->roots);
	free(v->kids);
	free(v->koff);
	free(v->nkids);
	free(v->shown);
	memset(v, 0, sizeof(*v));
}
