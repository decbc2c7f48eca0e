// SPDX-License-Identifier: BSD-2-Clause
/*
 * format.c - writer, durations, timestamps, ids and escaping (format.h).
 */
#include "core/format.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "asyncdump_abi.h"

void ad_out_init(struct ad_out *o, FILE *f)
{
	o->f = f;
	o->len = 0;
	o->err = 0;
}

/* Writes n bytes to the FILE unless an error was already kept. errno is
 * cleared first: a stream that fails without setting it must not report
 * whatever an earlier, unrelated call left there. */
static void out_write(struct ad_out *o, const char *s, size_t n)
{
	if (!n || o->err)
		return;
	errno = 0;
	if (fwrite(s, 1, n, o->f) != n)
		o->err = errno ? -errno : -EIO;
}

static void out_flush(struct ad_out *o)
{
	out_write(o, o->buf, o->len);
	o->len = 0;
}

void ad_out_put_slow(struct ad_out *o, const char *s, size_t n)
{
	out_flush(o);
	if (n >= AD_OUT_BUF) { /* too big to buffer: write through */
		out_write(o, s, n);
		return;
	}
	memcpy(o->buf, s, n);
	o->len = n;
}

void ad_out_str(struct ad_out *o, const char *s)
{
	ad_out_put(o, s, strlen(s));
}

void ad_out_u64(struct ad_out *o, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ad_out_put(o, tmp + i, sizeof(tmp) - i);
}

void ad_out_i64(struct ad_out *o, int64_t v)
{
	if (v < 0) {
		ad_out_char(o, '-');
		ad_out_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		ad_out_u64(o, (uint64_t)v);
	}
}

void ad_out_hex(struct ad_out *o, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	ad_out_put(o, tmp + i, sizeof(tmp) - i);
}

int ad_out_finish(struct ad_out *o)
{
	out_flush(o);
	errno = 0;
	if (!o->err && fflush(o->f) != 0)
		o->err = errno ? -errno : -EIO;
	return o->err;
}

/* "<whole>.<frac, 3 digits><unit>"; by hand because snprintf was a
 * visible share of rendering a million frames. */
static const char *fixed3(char *buf, uint64_t whole, unsigned frac,
			  const char *unit)
{
	char tmp[24];
	size_t i = sizeof(tmp), n = 0;

	do {
		tmp[--i] = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	while (i < sizeof(tmp))
		buf[n++] = tmp[i++];
	buf[n++] = '.';
	buf[n++] = (char)('0' + frac / 100);
	buf[n++] = (char)('0' + frac / 10 % 10);
	buf[n++] = (char)('0' + frac % 10);
	while (*unit)
		buf[n++] = *unit++;
	buf[n] = '\0';
	return buf;
}

const char *ad_fmt_duration(char *buf, uint64_t ns)
{
	if (ns >= 1000000000ull)
		return fixed3(buf, ns / 1000000000ull,
			      (unsigned)(ns / 1000000ull % 1000), "s");
	if (ns >= 1000000ull)
		return fixed3(buf, ns / 1000000ull,
			      (unsigned)(ns / 1000ull % 1000), "ms");
	return fixed3(buf, ns / 1000ull, (unsigned)(ns % 1000), "\u00b5s");
}

const char *ad_fmt_timestamp(char *buf, int64_t wall_ns)
{
	time_t secs = (time_t)(wall_ns > 0 ? wall_ns / 1000000000 : 0);
	struct tm tm;

	if (!gmtime_r(&secs, &tm) ||
	    !strftime(buf, AD_TIMESTAMP_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, AD_TIMESTAMP_MAX, "?");
	return buf;
}

const char *ad_fmt_timestamp_ns(char *buf, int64_t wall_ns)
{
	char secs[AD_TIMESTAMP_MAX];
	size_t n;

	ad_fmt_timestamp(secs, wall_ns);
	n = strlen(secs);
	if (n < 2 || secs[n - 1] != 'Z') {
		snprintf(buf, AD_TIMESTAMP_MAX, "?");
		return buf;
	}
	secs[n - 1] = '\0';
	snprintf(buf, AD_TIMESTAMP_MAX, "%s.%09lldZ", secs,
		 (long long)(wall_ns > 0 ? wall_ns % 1000000000 : 0));
	return buf;
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '~';
}

bool ad_fmt_coro_function(char *name)
{
	static const char tail[] = ".Frame*)", head[] = "void ";
	size_t n = strlen(name), t = sizeof(tail) - 1, h = sizeof(head) - 1;
	size_t m, a, u, q, qlen, alen;
	int depth = 0;

	if (n < h + t || memcmp(name + n - t, tail, t) || memcmp(name, head, h))
		return false;
	/* the last "::_Z" before the tail follows "(ARGS)" */
	for (m = n - t; m > h && memcmp(name + m, "::_Z", 4); m--)
		;
	if (m <= h || name[m - 1] != ')')
		return false;
	/* back to the '(' that opens ARGS */
	for (a = m; a-- > h;) {
		if (name[a] == ')')
			depth++;
		else if (name[a] == '(' && --depth == 0)
			break;
	}
	if (a <= h || depth != 0)
		return false;
	/* the unqualified name before it, itself after the outer '(' */
	for (u = a; u > h && ident_char(name[u - 1]); u--)
		;
	if (u == a || u <= h || name[u - 1] != '(')
		return false;
	/* "void Q(" with Q ending in that name, at a "::" or whole */
	q = h;
	qlen = u - 1 - q;
	if (qlen < a - u ||
	    memcmp(name + q + qlen - (a - u), name + u, a - u) ||
	    (qlen > a - u && (qlen - (a - u) < 2 ||
			      memcmp(name + q + qlen - (a - u) - 2, "::", 2))))
		return false;
	alen = m - a;
	memmove(name, name + q, qlen);
	memmove(name + qlen, name + a, alen);
	name[qlen + alen] = '\0';
	return true;
}

const char *ad_fmt_task_id(char *buf, uint64_t id, bool thread)
{
	if (thread)
		snprintf(buf, AD_ID_MAX, "tid:%llu",
			 (unsigned long long)(id & 0xffffffffull));
	else
		snprintf(buf, AD_ID_MAX, "0x%llx", (unsigned long long)id);
	return buf;
}

/* Length of the valid UTF-8 sequence at s (1..4) with its code point in
 * *cp, or 0 if the byte at s does not start one (stray continuation,
 * overlong form, surrogate, beyond U+10FFFF, cut short by the NUL). */
size_t ad_utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Code points above ASCII that a terminal acts on rather than prints, or
 * that reorder what follows (Trojan Source): C1 controls, LRE..RLO,
 * LRI..PDI, LINE/PARAGRAPH SEPARATOR. */
static bool unsafe_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

static void out_u_escape(struct ad_out *o, uint32_t cp)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[6] = {'\\',
		       'u',
		       digits[(cp >> 12) & 15],
		       digits[(cp >> 8) & 15],
		       digits[(cp >> 4) & 15],
		       digits[cp & 15]};

	ad_out_put(o, tmp, sizeof(tmp));
}

static void out_x_escape(struct ad_out *o, unsigned char c)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[4] = {'\\', 'x', digits[c >> 4], digits[c & 15]};

	ad_out_put(o, tmp, sizeof(tmp));
}

/* Safe printable ASCII for both escapers (quote and backslash excluded). */
static bool plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Both escapers copy the longest run of plain ASCII at s in one piece (the
 * common case: most labels are all plain) and then decide about the one
 * byte that stopped it. Returns that byte's address (the NUL at the end). */
static const unsigned char *out_plain_run(struct ad_out *o,
					  const unsigned char *s)
{
	const unsigned char *run = s;

	while (plain_ascii(*s))
		s++;
	ad_out_put(o, (const char *)run, (size_t)(s - run));
	return s;
}

/* The two-character escape of byte c in text, or NULL if it has none. */
static const char *text_escape(unsigned char c, bool quoted)
{
	switch (c) {
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	case '\\':
		return "\\\\";
	case '"':
		return quoted ? "\\\"" : NULL;
	default:
		return NULL;
	}
}

void ad_out_text(struct ad_out *o, const char *str, bool quoted)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!s) {
		ad_out_char(o, '?');
		return;
	}
	while (*s) {
		const char *esc;
		uint32_t cp;
		size_t n;

		s = out_plain_run(o, s);
		if (!*s)
			break;
		esc = text_escape(*s, quoted);
		if (esc) {
			ad_out_put(o, esc, 2);
			s++;
			continue;
		}
		n = ad_utf8_decode(s, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f) {
			out_x_escape(o, *s);
			s++;
		} else if (unsafe_cp(cp)) {
			out_u_escape(o, cp);
			s += n;
		} else {
			ad_out_put(o, (const char *)s, n);
			s += n;
		}
	}
}

void ad_out_json_str(struct ad_out *o, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!s) {
		ad_out_str(o, "null");
		return;
	}
	ad_out_char(o, '"');
	while (*s) {
		uint32_t cp;
		size_t n;

		s = out_plain_run(o, s);
		if (!*s)
			break;
		if (*s == '"' || *s == '\\') {
			ad_out_char(o, '\\');
			ad_out_char(o, (char)*s++);
			continue;
		}
		n = ad_utf8_decode(s, &cp);
		if (n == 0) {
			ad_out_put(o, "\xef\xbf\xbd", 3); /* U+FFFD */
			s++;
		} else if (cp < 0x20 || cp == 0x7f || unsafe_cp(cp)) {
			out_u_escape(o, cp);
			s += n;
		} else {
			ad_out_put(o, (const char *)s, n);
			s += n;
		}
	}
	ad_out_char(o, '"');
}
