// SPDX-License-Identifier: BSD-2-Clause
/*
 * render_list.c - the rows of `asyncdumpd --list` and their two formats
 * (render_list.h).
 *
 * Text: a header line, then one line per process, each column as wide as
 * its widest cell, two spaces apart, numbers right-aligned; the command
 * (the process's comm, which its owner chooses) comes last so that its
 * escapes never shift a column:
 *
 *     PID  TASKS  FRAMES  STUCK  OLDEST      OBSERVED   SINCE                 LIFE     LOST            COMMAND
 *   12783      2       6      4  !!! 3.176s  3.176s     2026-12-02T08:45:59Z  whole    none            coro_deadlock
 *   12788      1       6      0  655.622ms   656.438ms  2026-12-02T08:46:01Z  partial  exit_unknown=2  basic
 *
 * OLDEST is the age of the oldest frame that may be stuck (not
 * LONG_RUNNING), "!!! " before it when it is (pending longer than
 * --stuck-after), "-" when there is none. LIFE is its dump's coverage:
 * "whole" if it was observed all its life, "partial" if it started before
 * its probes were attached (frames entered before are not known),
 * "unknown". LOST lists the nonzero BPF loss
 * counters as name=n, comma-separated, or "none".
 *
 * JSON: an array, one object per line; every key is always present:
 *   {"pid": n, "comm": string, "own_maps": bool, "tasks": n, "frames": n,
 *    "stuck_frames": n, "oldest_age_ns": n | null, "oldest_stuck": bool,
 *    "observed_since_ns": wall clock ns, "observed_since": the same as
 *    "2026-12-02T05:37:38.123456789Z", "observed_for_ns": n,
 *    "coverage": "whole" | "partial" | "unknown",
 *    "lost": {every BPF counter, zeros included}}
 */
#include "core/render_list.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "core/view.h"

void ad_list_row_of(const struct ad_forest *f, uint64_t stuck_after_ns,
		    struct ad_list_row *row)
{
	const struct ad_snapshot *s = f->snap;

	memset(row, 0, sizeof(*row));
	row->pid = s->pid;
	memcpy(row->comm, s->comm, sizeof(row->comm));
	row->comm[sizeof(row->comm) - 1] = '\0';
	row->own_maps = s->proc.slot != AD_SLOT_SHARED;
	row->tasks = f->ntasks;
	row->frames = f->stats.frames_shown;
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct ad_node *n = &f->nodes[i];
		uint64_t age = ad_age(s->now_ns, n->frame->rec.enter_ns);

		if (n->frame->rec.flags & ASYNCDUMP_F_LONG_RUNNING)
			continue;
		if (!row->has_oldest || age > row->oldest_ns)
			row->oldest_ns = age;
		row->has_oldest = true;
		row->stuck += ad_frame_stuck(stuck_after_ns, s->now_ns, n);
	}
	row->observed_since_ns = ad_snap_wall_ns(s, s->proc.observed_since_ns);
	row->observed_for_ns = ad_age(s->now_ns, s->proc.observed_since_ns);
	row->coverage = ad_coverage(s);
	memcpy(row->lost, s->proc.lost, sizeof(row->lost));
}

/* ---- text ------------------------------------------------------------ */

enum col {
	COL_PID,
	COL_TASKS,
	COL_FRAMES,
	COL_STUCK,
	COL_OLDEST,
	COL_FOR,
	COL_SINCE,
	COL_LIFE,
	COL_LOST,
	NCOLS, /* then the command, not padded */
};

static const char *const col_head[NCOLS] = {
	"PID",	    "TASKS", "FRAMES", "STUCK", "OLDEST",
	"OBSERVED", "SINCE", "LIFE",   "LOST",
};

/* Numbers are right-aligned. */
static bool col_right(enum col c)
{
	return c <= COL_STUCK;
}

/* The longest cell: LOST with every counter at its largest. */
#define CELL_MAX (AD_LOST_COUNT * 48)

static const char *const lost_names[AD_LOST_COUNT] = {AD_LOST_NAMES};

/* "name=n,name=n" of the nonzero counters, or "none". */
static const char *lost_cell(const struct ad_list_row *r, char *buf)
{
	size_t n = 0;

	for (size_t i = 0; i < AD_LOST_COUNT; i++)
		if (r->lost[i])
			n += (size_t)snprintf(buf + n, CELL_MAX - n,
					      "%s%s=%llu", n ? "," : "",
					      lost_names[i],
					      (unsigned long long)r->lost[i]);
	return n ? buf : "none";
}

static const char *oldest_cell(const struct ad_list_row *r, char *buf)
{
	char dur[AD_DURATION_MAX];

	if (!r->has_oldest)
		return "-";
	snprintf(buf, CELL_MAX, "%s%s", r->stuck ? "!!! " : "",
		 ad_fmt_duration(dur, r->oldest_ns));
	return buf;
}

/* Column c of row r as text (buf: CELL_MAX bytes). */
static const char *cell(const struct ad_list_row *r, enum col c, char *buf)
{
	switch (c) {
	case COL_PID:
		snprintf(buf, CELL_MAX, "%d", (int)r->pid);
		return buf;
	case COL_TASKS:
		snprintf(buf, CELL_MAX, "%zu", r->tasks);
		return buf;
	case COL_FRAMES:
		snprintf(buf, CELL_MAX, "%zu", r->frames);
		return buf;
	case COL_STUCK:
		snprintf(buf, CELL_MAX, "%zu", r->stuck);
		return buf;
	case COL_OLDEST:
		return oldest_cell(r, buf);
	case COL_FOR:
		return ad_fmt_duration(buf, r->observed_for_ns);
	case COL_SINCE:
		return ad_fmt_timestamp(buf, r->observed_since_ns);
	case COL_LIFE:
		return ad_coverage_name(r->coverage);
	case COL_LOST:
	case NCOLS:
		break;
	}
	return lost_cell(r, buf);
}

/* Display width: every cell but the command is ASCII, but for the "µ"
 * of durations (two bytes, one column). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void spaces(struct ad_out *o, size_t n)
{
	while (n--)
		ad_out_char(o, ' ');
}

/* One padded cell and the gap after it. */
static void put_cell(struct ad_out *o, enum col c, const char *text,
		     size_t colw)
{
	size_t w = width(text);

	if (col_right(c))
		spaces(o, colw - w);
	ad_out_str(o, text);
	if (!col_right(c))
		spaces(o, colw - w);
	spaces(o, 2);
}

static void render_text(struct ad_out *o, const struct ad_list_row *rows,
			size_t n)
{
	size_t colw[NCOLS];
	char buf[CELL_MAX];

	for (int c = 0; c < NCOLS; c++) {
		colw[c] = width(col_head[c]);
		for (size_t i = 0; i < n; i++) {
			size_t w = width(cell(&rows[i], (enum col)c, buf));

			if (w > colw[c])
				colw[c] = w;
		}
	}
	for (int c = 0; c < NCOLS; c++)
		put_cell(o, (enum col)c, col_head[c], colw[c]);
	ad_out_str(o, "COMMAND\n");
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < NCOLS; c++)
			put_cell(o, (enum col)c,
				 cell(&rows[i], (enum col)c, buf), colw[c]);
		ad_out_text(o, rows[i].comm, false);
		ad_out_char(o, '\n');
	}
}

/* ---- JSON ------------------------------------------------------------ */

/* `"key":` */
static void key(struct ad_out *o, const char *k)
{
	ad_out_char(o, '"');
	ad_out_str(o, k);
	ad_out_str(o, "\":");
}

static void json_row(struct ad_out *o, const struct ad_list_row *r)
{
	char ts[AD_TIMESTAMP_MAX];

	ad_out_char(o, '{');
	key(o, "pid");
	ad_out_i64(o, r->pid);
	ad_out_char(o, ',');
	key(o, "comm");
	ad_out_json_str(o, r->comm);
	ad_out_char(o, ',');
	key(o, "own_maps");
	ad_out_str(o, r->own_maps ? "true," : "false,");
	key(o, "tasks");
	ad_out_u64(o, r->tasks);
	ad_out_char(o, ',');
	key(o, "frames");
	ad_out_u64(o, r->frames);
	ad_out_char(o, ',');
	key(o, "stuck_frames");
	ad_out_u64(o, r->stuck);
	ad_out_char(o, ',');
	key(o, "oldest_age_ns");
	if (r->has_oldest)
		ad_out_u64(o, r->oldest_ns);
	else
		ad_out_str(o, "null");
	ad_out_char(o, ',');
	key(o, "oldest_stuck");
	ad_out_str(o, r->stuck ? "true," : "false,");
	key(o, "observed_since_ns");
	ad_out_i64(o, r->observed_since_ns);
	ad_out_char(o, ',');
	key(o, "observed_since");
	ad_out_json_str(o, ad_fmt_timestamp_ns(ts, r->observed_since_ns));
	ad_out_char(o, ',');
	key(o, "observed_for_ns");
	ad_out_u64(o, r->observed_for_ns);
	ad_out_char(o, ',');
	key(o, "coverage");
	ad_out_json_str(o, ad_coverage_name(r->coverage));
	ad_out_char(o, ',');
	key(o, "lost");
	ad_out_char(o, '{');
	for (size_t i = 0; i < AD_LOST_COUNT; i++) {
		if (i)
			ad_out_char(o, ',');
		key(o, lost_names[i]);
		ad_out_u64(o, r->lost[i]);
	}
	ad_out_str(o, "}}");
}

static void render_json(struct ad_out *o, const struct ad_list_row *rows,
			size_t n)
{
	ad_out_char(o, '[');
	for (size_t i = 0; i < n; i++) {
		ad_out_str(o, i ? ",\n" : "\n");
		json_row(o, &rows[i]);
	}
	ad_out_str(o, "\n]\n");
}

int ad_render_list(FILE *out, const struct ad_list_row *rows, size_t n,
		   const struct ad_render_opts *opts)
{
	struct ad_out *o;
	int err;

	if (opts->format != AD_FORMAT_TEXT && opts->format != AD_FORMAT_JSON)
		return -EINVAL;
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	ad_out_init(o, out);
	if (opts->format == AD_FORMAT_JSON)
		render_json(o, rows, n);
	else
		render_text(o, rows, n);
	err = ad_out_finish(o);
	free(o);
	return err;
}
