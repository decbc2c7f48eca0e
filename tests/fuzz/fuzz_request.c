// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_request.c - libFuzzer target: the socket protocol's parsers
 * (core/protocol.c) on raw bytes, as any local user can send them.
 *
 * The input is a request line (DUMP or LIST) for ad_request_parse, a
 * status line for ad_response_parse and a number for ad_parse_decimal. Invariants: what
 * parses as a request is in range and, formatted back with
 * ad_request_format, parses to the same request; an ERR status line's
 * code is 1..255 and its message has no newline; ad_response_err's output
 * parses back to its code.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/protocol.h"

static void check_request(const char *line, size_t len)
{
	struct ad_request req, again;
	char err[128], buf[AD_PROTO_MAX_LINE];
	int n;

	if (ad_request_parse(line, len, &req, err, sizeof(err)) != 0) {
		/* a one-line reason, always */
		if (!err[0] || strchr(err, '\n'))
			abort();
		return;
	}
	/* a DUMP names a process; a LIST names none and is never verbose */
	if (req.verb != AD_VERB_DUMP && req.verb != AD_VERB_LIST)
		abort();
	if (req.verb == AD_VERB_DUMP && req.pid <= 0)
		abort();
	if (req.verb == AD_VERB_LIST && (req.pid != 0 || req.opts.verbose))
		abort();
	if (req.opts.format != AD_FORMAT_TEXT &&
	    req.opts.format != AD_FORMAT_JSON)
		abort();
	n = ad_request_format(&req, buf, sizeof(buf));
	if (n <= 0 || (size_t)n >= sizeof(buf) || buf[n - 1] != '\n')
		abort();
	if (ad_request_parse(buf, (size_t)n, &again, err, sizeof(err)) != 0 ||
	    again.verb != req.verb || again.pid != req.pid ||
	    again.opts.format != req.opts.format ||
	    again.opts.verbose != req.opts.verbose ||
	    again.opts.stuck_after_ns != req.opts.stuck_after_ns)
		abort();
}

static void check_response(const char *line, size_t len, const char *cstr)
{
	char msg[AD_PROTO_MAX_LINE], buf[AD_PROTO_MAX_LINE + 16];
	int code = -1, n, code2 = -1;

	if (ad_response_parse(line, len, &code, msg, sizeof(msg)) == 0) {
		if (code < 0 || code > 255 || strchr(msg, '\n'))
			abort();
		/* a small buffer too: the message is cut, never overrun */
		ad_response_parse(line, len, &code, msg, 3);
		if (strlen(msg) > 2)
			abort();
		ad_response_parse(line, len, &code, NULL, 0);
	}
	/* The message side: anything the daemon may report. */
	n = ad_response_err(1 + (int)(len % 255), cstr, buf, sizeof(buf));
	if (n > 0) {
		if (ad_response_parse(buf, (size_t)n, &code2, msg,
				      sizeof(msg)) != 0 ||
		    code2 != 1 + (int)(len % 255))
			abort();
	}
}

/* A framing line of a dump (protocol 2): parsed, it formats back to the
 * same line. */
static void check_chunk(const char *line, size_t len)
{
	char msg[AD_PROTO_MAX_LINE], buf[64];
	struct ad_chunk c;
	int n;

	if (ad_chunk_parse(line, len, &c, msg, sizeof(msg)) != 0)
		return;
	if (c.kind == AD_CHUNK_DATA) {
		if (c.n == 0 || c.n > AD_PROTO_MAX_CHUNK)
			abort();
		n = ad_chunk_data((size_t)c.n, buf, sizeof(buf));
	} else if (c.kind == AD_CHUNK_END) {
		n = ad_chunk_end(c.n, buf, sizeof(buf));
	} else {
		if (c.kind != AD_CHUNK_ERR || c.code < 1 || c.code > 255 ||
		    strchr(msg, '\n'))
			abort();
		return;
	}
	/* the canonical form parses to the same chunk */
	struct ad_chunk again;
	if (n <= 0 || ad_chunk_parse(buf, (size_t)n, &again, NULL, 0) != 0 ||
	    again.kind != c.kind || again.n != c.n)
		abort();
}

static void check_decimal(const char *s, size_t len)
{
	uint64_t v = 0,
		 max = len ? (uint64_t)(unsigned char)s[0] * 1000003u : 0;
	int rc = ad_parse_decimal(s, len, UINT64_MAX, &v);

	if (rc == 0) {
		/* digits only: it must also parse under a bound it fits */
		uint64_t w = 0;

		if (ad_parse_decimal(s, len, v, &w) != 0 || w != v)
			abort();
		if (v > 0 && ad_parse_decimal(s, len, v - 1, &w) != -ERANGE)
			abort();
	}
	ad_parse_decimal(s, len, max, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy: ASan sees any read past the end. */
	char *line = malloc(size ? size : 1), *cstr = malloc(size + 1);

	if (!line || !cstr) {
		free(line);
		free(cstr);
		return 0;
	}
	if (size)
		memcpy(line, data, size);
	memcpy(cstr, line, size);
	cstr[size] = '\0';
	check_request(line, size);
	check_response(line, size, cstr);
	check_chunk(line, size);
	check_decimal(line, size);
	free(cstr);
	free(line);
	return 0;
}
