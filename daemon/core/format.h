// SPDX-License-Identifier: BSD-2-Clause
/*
 * format.h - the small formatting pieces both renderers share: a buffered
 * writer, durations, timestamps, ids, and escaping of strings that come
 * from the observed process (which must never reach a terminal raw).
 */
#ifndef AD_FORMAT_H
#define AD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Buffered writer. Renderers emit many tiny pieces (a million frames of a
 * dozen fields each); going through stdio for each would dominate the
 * cost, so they are gathered here and written in large chunks. The first
 * write error is kept and every later write is dropped (the buffer keeps
 * filling and being discarded, the result is the error). 256 KiB: the
 * daemon streams a dump to its client's socket in these chunks, and each
 * write wakes the client: fewer, larger chunks made big dumps measurably
 * faster than 64 KiB ones (BENCHMARKS.md, "Measurements behind the
 * code"). */
#define AD_OUT_BUF (256u * 1024u)
struct ad_out {
	FILE *f;
	size_t len;
	int err; /* 0 or -errno */
	char buf[AD_OUT_BUF];
};

void ad_out_init(struct ad_out *o, FILE *f);
/* Slow path of the two below: flush, or write through. */
void ad_out_put_slow(struct ad_out *o, const char *s, size_t n);

static inline void ad_out_put(struct ad_out *o, const char *s, size_t n)
{
	if (n <= AD_OUT_BUF - o->len) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	} else {
		ad_out_put_slow(o, s, n);
	}
}

static inline void ad_out_char(struct ad_out *o, char c)
{
	if (o->len < AD_OUT_BUF)
		o->buf[o->len++] = c;
	else
		ad_out_put_slow(o, &c, 1);
}

/* A string literal, without strlen. */
#define AD_OUT_LIT(o, lit) ad_out_put((o), "" lit, sizeof(lit) - 1)

void ad_out_str(struct ad_out *o, const char *s);
void ad_out_u64(struct ad_out *o, uint64_t v);
void ad_out_i64(struct ad_out *o, int64_t v);
void ad_out_hex(struct ad_out *o, uint64_t v); /* "0x1f" */
/* Flushes the buffer and the FILE; returns o->err. */
int ad_out_finish(struct ad_out *o);

/* Durations, truncated (never rounded, so 999999999 ns is "999.999ms" and
 * not "1000.000ms"):
 *   >= 1 s   "12.004s"
 *   >= 1 ms  "106.290ms"
 *   else     "12.345µs"  (nanosecond precision)
 * buf needs AD_DURATION_MAX bytes. */
#define AD_DURATION_MAX 32
const char *ad_fmt_duration(char *buf, uint64_t ns);

/* Wall-clock ns since the epoch as "2026-11-21T23:40:01Z" (UTC, seconds). */
#define AD_TIMESTAMP_MAX 40
const char *ad_fmt_timestamp(char *buf, int64_t wall_ns);
/* The same to the nanosecond, "2026-11-21T23:40:01.123456789Z": a wall
 * clock time as a string survives JSON parsers that keep 53-bit numbers
 * (such a parser rounds the ns since the epoch). */
const char *ad_fmt_timestamp_ns(char *buf, int64_t wall_ns);

/* a - b, or 0 when b > a (clocks of hostile or racy records may be ahead
 * of `now`; an age is never negative). */
static inline uint64_t ad_age(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* GCC (12) names the body of a C++ coroutine `ns::f` after its frame:
 * "void ns::f(f(ARGS)::_Z<mangled>.Frame*)". Rewrites such a name in place
 * as "ns::f(ARGS)" and returns true; any other name is left alone (false). */
bool ad_fmt_coro_function(char *name);

/* Task id as users see it: "0x..." (any 64-bit id given to the probes),
 * or "tid:<TID>" for a thread's own task (thread set: id is the tid).
 * buf needs AD_ID_MAX bytes. */
#define AD_ID_MAX 24
const char *ad_fmt_task_id(char *buf, uint64_t id, bool thread);

/* Length of the valid UTF-8 sequence at s (1..4) with its code point in
 * *cp, or 0 if the byte at s does not start one (stray continuation,
 * overlong form, surrogate, beyond U+10FFFF, cut short by the NUL). */
size_t ad_utf8_decode(const unsigned char *s, uint32_t *cp);

/* Text escaping for terminals. Printable ASCII and valid UTF-8 pass
 * through; everything that could move the cursor, change colours or
 * reorder text is escaped:
 *   \n \t \r, other C0 controls and DEL as \x1b, backslash as \\,
 *   `"` as \" when quoted is set, invalid UTF-8 bytes as \xNN,
 *   C1 controls (U+0080..U+009F), bidi overrides/isolates and the line
 *   and paragraph separators as \u202e. NULL prints "?". */
void ad_out_text(struct ad_out *o, const char *s, bool quoted);

/* JSON string with quotes: `"` and `\` escaped, every control character
 * (C0, DEL, C1) and the bidi/separator characters as \u00XX / \uXXXX,
 * invalid UTF-8 bytes replaced by U+FFFD. NULL prints null. */
void ad_out_json_str(struct ad_out *o, const char *s);

#endif /* AD_FORMAT_H */
