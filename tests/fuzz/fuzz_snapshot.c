// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_snapshot.c - libFuzzer target: the rebuild of hostile snapshots
 * (core/rebuild.c) and both writers (core/render*.c, view.c).
 *
 * The records of a snapshot come from maps the observed process fills
 * through its probes, so they may hold anything. The input is decoded
 * into a synthetic struct ad_snapshot, as tests/unit/snapshot_builder.c
 * builds them but with every field chosen by the input: ids, parents and
 * generations from a small alphabet (so ids collide, parents match and
 * cycles form), any flags (AD_FF_*, AD_TF_*), pgen mismatches, running
 * threads' state merged with ad_task_apply_thread, hostile strings, and
 * optionally a deep chain. It is rebuilt, checked (forest invariants of
 * rebuild.h), and rendered as text and as JSON into memory: the JSON
 * must parse (json-c, strict, UTF-8 validated; up to JSON_CHECK_MAX
 * frames) and the text must hold no control character but newlines, no
 * C1 control, bidi control or line separator, and only valid UTF-8.
 *
 * Encoding (tests/fuzz/gen_corpus.py writes the seeds): bytes are read in
 * order; past the end every byte reads as 0. A value V is one byte b:
 * b < 0xe0 is b itself; 0xe0 + 8 bytes LE; 0xe1 + 4 bytes LE; 0xe2 + n:
 * UINT64_MAX - n; 0xe3 + n: 2^63 + n; 0xe4 + n: UINT32_MAX - n; else
 * ((b & 0xf) << 32) | next byte. A string S is a byte s: the low 6 bits
 * pick one of str_table, or (>= STR_INLINE) a length byte (< 64) and that
 * many bytes; bit 6 sets `truncated`, bit 7 `unreadable`.
 *
 *   header: flags byte (bit 0 verbose, bit 1 text first), pgen V,
 *           now V, mono_to_wall V, observed_since V, procs_full V,
 *           stuck_after V, chain byte c (a chain of 64 * (c % 16)
 *           frames, each under the previous one, in the first task),
 *           nlosses byte then (index byte, V) each, ntasks byte
 *   task:   id V, flags byte (AD_TF_* in the low 6 bits; bit 7: a thread
 *           state follows the task), parent_task V, parent_frame V,
 *           spawn_ns V, name byte, site byte, top V, top_gen V,
 *           last_poll V, handoff_top V, handoff_top_gen V, overlap V,
 *           overlap_end V, pending_frame V, pending_frame_gen V, tid V,
 *           pgen byte (0: the snapshot's), polls V, handoff_seq V,
 *           wait_seq V, name S, file S, function S, line V
 *   thread: task V, task_gen V, top V, top_gen V, own_top V,
 *           own_top_gen V, own_gen V, pgen byte (0: the snapshot's),
 *           pending V
 *   frames, until the input ends (at most MAX_FRAMES): id V, task V,
 *           task_gen V, parent V, parent_gen V, enter_ns V, label byte,
 *           site byte, pgen byte (0: the snapshot's), flags (2 bytes LE),
 *           label S, file S, function S, line V
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rebuild.h"
#include "core/render.h"
#include "core/snapshot.h"

#define MAX_FRAMES 4096
#define CHAIN_STEP 64

struct rd {
	const uint8_t *p;
	size_t n;
	bool oom;
};

static uint8_t u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint64_t raw(struct rd *r, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)u8(r) << (8 * i);
	return v;
}

static uint64_t val(struct rd *r)
{
	uint8_t b = u8(r);

	if (b < 0xe0)
		return b;
	switch (b) {
	case 0xe0:
		return raw(r, 8);
	case 0xe1:
		return raw(r, 4);
	case 0xe2:
		return UINT64_MAX - u8(r);
	case 0xe3:
		return (1ull << 63) + u8(r);
	case 0xe4:
		return UINT32_MAX - u8(r);
	default:
		return ((uint64_t)(b & 0xf) << 32) | u8(r);
	}
}

static const char *const str_table[] = {
	"",
	"main.c",
	"poll",
	"handler",
	"accept loop",
	"\x1b[31mred\x1b[0m",
	"line\nbreak\ttab\rcr\x7f",
	"\342\200\256reversed",		   /* U+202E RLO */
	"\xe2\x81\xa6isolate\xe2\x81\xa9", /* LRI .. PDI */
	"sep\xe2\x80\xa8para\xe2\x80\xa9", /* U+2028, U+2029 */
	"\xc2\x85nel\xc2\x9b",		   /* C1 controls */
	"bad\xff\xfeutf8\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80",
	"cut\xe2\x82",
	"\"quoted\\back\\slash\"",
	"caf\xc3\xa9 \xf0\x9f\x98\x80",
	"void ns::f(f(int)::_Z1fi.Frame*)",
	"<unreadable 0x7f1200001000>",
	"%s%n%x{}[]<>&",
};
#define STR_TABLE_N (sizeof(str_table) / sizeof(str_table[0]))
#define STR_INLINE 32

static void str(struct rd *r, struct ad_snapshot *s, struct ad_str *out)
{
	uint8_t b = u8(r), kind = b & 0x3f;
	const char *text;
	char buf[64];
	size_t len;

	if (kind < STR_INLINE) {
		text = str_table[kind % STR_TABLE_N];
		len = strlen(text);
	} else {
		len = u8(r) % sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)u8(r);
		text = buf;
	}
	out->text = ad_strpool_dup(&s->pool, text, len);
	if (!out->text) {
		out->text = "";
		r->oom = true;
	}
	out->borrowed = true;
	out->truncated = b & 0x40;
	out->unreadable = b & 0x80;
}

static uint32_t pgen_of(struct rd *r, const struct ad_snapshot *s)
{
	uint8_t b = u8(r);

	return b ? b : s->proc.pgen;
}

static void decode_task(struct rd *r, struct ad_snapshot *s,
			struct ad_snap_task *t)
{
	struct ad_task *rec = &t->rec;
	uint8_t flags;

	memset(t, 0, sizeof(*t));
	t->id = val(r);
	flags = u8(r);
	rec->flags = flags & 0x3f;
	rec->parent_task = val(r);
	rec->parent_frame = val(r);
	rec->spawn_ns = val(r);
	rec->name = u8(r);
	rec->site = u8(r);
	rec->top = val(r);
	rec->top_gen = val(r);
	rec->last_poll_ns = val(r);
	rec->handoff_top = val(r);
	rec->handoff_top_gen = val(r);
	rec->overlap_ns = val(r);
	rec->overlap_end_ns = val(r);
	rec->pending_frame = val(r);
	rec->pending_frame_gen = val(r);
	rec->tid = (uint32_t)val(r);
	rec->pgen = pgen_of(r, s);
	rec->polls = (uint32_t)val(r);
	rec->handoff_seq = (uint32_t)val(r);
	rec->wait_seq = (uint32_t)val(r);
	str(r, s, &t->name);
	str(r, s, &t->file);
	str(r, s, &t->function);
	t->line = (uint32_t)val(r);
	if (flags & 0x80) {
		/* what the collector merges in for a running thread */
		struct ad_thread th;

		memset(&th, 0, sizeof(th));
		th.task = val(r);
		th.task_gen = val(r);
		th.top = val(r);
		th.top_gen = val(r);
		th.own_top = val(r);
		th.own_top_gen = val(r);
		th.own_gen = val(r);
		th.pgen = pgen_of(r, s);
		th.pending = (uint32_t)val(r);
		ad_task_apply_thread(t->id, rec, &th, s->proc.pgen);
	}
}

static void decode_frame(struct rd *r, struct ad_snapshot *s,
			 struct ad_snap_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->id = val(r);
	f->rec.task = val(r);
	f->rec.task_gen = val(r);
	f->rec.parent = val(r);
	f->rec.parent_gen = val(r);
	f->rec.enter_ns = val(r);
	f->rec.label = u8(r);
	f->rec.site = u8(r);
	f->rec.pgen = pgen_of(r, s);
	f->rec.flags = (uint32_t)raw(r, 2);
	str(r, s, &f->label);
	str(r, s, &f->file);
	str(r, s, &f->function);
	f->line = (uint32_t)val(r);
}

/* Length of the UTF-8 sequence at p (n bytes left) and its code point,
 * or 0 if invalid. */
static size_t utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Nothing that could move a terminal's cursor or reorder its text. */
static void check_text(const char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)out;

	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t len = utf8(p + i, n - i, &c);

		if (!len)
			abort(); /* invalid UTF-8 reached the terminal */
		if ((c < 0x20 && c != '\n') || c == 0x7f ||
		    (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
		    (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))
			abort();
		i += len;
	}
}

/* Above this many frames the JSON is not parsed back: json-c costs more
 * than the rest together there, and frees nested objects recursively.
 * The deep chains of unit tests (test_render_json.c) cover depth. */
#define JSON_CHECK_MAX 1024

static void check_json(const char *out, size_t n, size_t nframes)
{
	struct json_tokener *tok;
	struct json_object *obj;

	if (nframes > JSON_CHECK_MAX)
		return;
	tok = json_tokener_new_ex((int)(2 * nframes + 64));
	if (!tok)
		return;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, out, (int)n);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(obj, json_type_object)) {
		fprintf(stderr, "fuzz_snapshot: invalid JSON: %s\n%.*s\n",
			json_tokener_error_desc(json_tokener_get_error(tok)),
			(int)(n > 4000 ? 4000 : n), out);
		abort();
	}
	json_object_put(obj);
	json_tokener_free(tok);
}

static void render(const struct ad_forest *forest,
		   const struct ad_render_opts *opts)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);

	if (!out)
		return;
	if (ad_render(out, forest, opts) != 0)
		abort(); /* only write errors, and memory cannot fail here */
	fclose(out);
#ifdef FUZZ_SNAPSHOT_PRINT /* to see what an input decodes to */
	fwrite(buf, 1, n, stdout);
#endif
	if (opts->format == AD_FORMAT_JSON)
		check_json(buf, n, forest->nnodes);
	else
		check_text(buf, n);
	free(buf);
}

/* rebuild.h: every node is in the snapshot, a parent precedes its
 * children one level up, and the tasks' counts add up. */
static void check_forest(const struct ad_snapshot *s, const struct ad_forest *f)
{
	size_t total = 0;

	if (f->nnodes != f->stats.frames_shown ||
	    f->stats.frames_shown > s->nframes)
		abort();
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct ad_node *n = &f->nodes[i];

		if (n->frame < s->frames || n->frame >= s->frames + s->nframes)
			abort();
		for (size_t c = 0; c < n->nchildren; c++)
			if (n->children[c] <= n ||
			    n->children[c] >= f->nodes + f->nnodes ||
			    n->children[c]->depth != n->depth + 1)
				abort();
		if (n->depth > f->stats.max_depth)
			abort();
	}
	for (size_t t = 0; t < f->ntasks; t++) {
		const struct ad_tree_task *tt = &f->tasks[t];

		if (tt->task < s->tasks || tt->task >= s->tasks + s->ntasks)
			abort();
		for (size_t i = 0; i < tt->nroots; i++)
			if (tt->roots[i]->depth != 0)
				abort();
		for (size_t i = 0; i < tt->ndetached; i++)
			if (tt->detached[i]->depth != 0 ||
			    tt->detached[i]->detached == AD_DETACH_NONE)
				abort();
		if (tt->current && !tt->current->current)
			abort();
		total += tt->nframes;
	}
	if (total != f->nnodes)
		abort();
}

static bool grow(struct ad_snapshot *s, size_t *cap, size_t want)
{
	struct ad_snap_frame *f;

	if (want <= *cap)
		return true;
	f = realloc(s->frames, want * sizeof(*f));
	if (!f)
		return false;
	s->frames = f;
	*cap = want;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = {data, size, false};
	struct ad_render_opts opts;
	struct ad_snapshot s;
	struct ad_forest forest;
	size_t ntasks, chain, nloss, cap = 0;
	uint8_t flags;

	memset(&s, 0, sizeof(s));
	memset(&opts, 0, sizeof(opts));
	flags = u8(&r);
	s.pid = 1234;
	strcpy(s.comm, "fuzz");
	s.proc.pgen = (uint32_t)val(&r);
	s.now_ns = val(&r);
	s.mono_to_wall_ns = (int64_t)val(&r);
	s.proc.observed_since_ns = val(&r);
	s.procs_full = val(&r);
	opts.verbose = flags & 1;
	opts.stuck_after_ns = val(&r);
	chain = (size_t)(u8(&r) % 16) * CHAIN_STEP;
	nloss = u8(&r);
	for (size_t i = 0; i < nloss && r.n; i++) {
		uint8_t idx = u8(&r) % (AD_LOST_COUNT + AD_DUMP_LOST_COUNT);
		uint64_t v = val(&r);

		if (idx < AD_LOST_COUNT)
			s.proc.lost[idx] = v;
		else
			s.dump_lost[idx - AD_LOST_COUNT] = v;
	}
	ntasks = u8(&r);

	s.tasks = calloc(ntasks ? ntasks : 1, sizeof(*s.tasks));
	if (!s.tasks)
		goto out;
	for (size_t i = 0; i < ntasks && r.n; i++)
		decode_task(&r, &s, &s.tasks[s.ntasks++]);
	while (r.n && s.nframes < MAX_FRAMES) {
		if (s.nframes == cap && !grow(&s, &cap, cap ? 2 * cap : 16))
			goto out;
		decode_frame(&r, &s, &s.frames[s.nframes++]);
	}
	if (chain && s.ntasks && !grow(&s, &cap, s.nframes + chain))
		goto out;
	if (chain && s.ntasks) {
		/* hostile depth: each frame under the previous one */
		const struct ad_snap_task *t = &s.tasks[0];

		for (size_t i = 0; i < chain; i++) {
			struct ad_snap_frame *f = &s.frames[s.nframes++];

			memset(f, 0, sizeof(*f));
			f->id = 0x100000 + i;
			f->rec.task = t->id;
			f->rec.task_gen = t->rec.spawn_ns;
			f->rec.parent = i ? f[-1].id : 0;
			f->rec.parent_gen = i ? f[-1].rec.enter_ns : 0;
			f->rec.enter_ns = i + 1;
			f->rec.pgen = s.proc.pgen;
			f->rec.flags = ad_task_is_thread(&t->rec)
					       ? AD_FF_THREAD_TASK
					       : 0;
			f->label.text = (char *)str_table[2];
			f->file.text = (char *)str_table[1];
			f->function.text = (char *)str_table[3];
			f->label.borrowed = f->file.borrowed =
				f->function.borrowed = true;
		}
	}
	if (r.oom)
		goto out;

	if (ad_rebuild(&s, &forest) != 0)
		goto out; /* -ENOMEM only */
	check_forest(&s, &forest);
	opts.format = (flags & 2) ? AD_FORMAT_TEXT : AD_FORMAT_JSON;
	render(&forest, &opts);
	opts.format = (flags & 2) ? AD_FORMAT_JSON : AD_FORMAT_TEXT;
	render(&forest, &opts);
	ad_forest_free(&forest);
out:
	ad_snapshot_free(&s);
	return 0;
}
