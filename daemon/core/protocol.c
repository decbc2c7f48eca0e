// SPDX-License-Identifier: BSD-2-Clause
/*
 * protocol.c - format and parse the socket protocol (see protocol.h).
 *
 * The daemon runs as root and reads requests from whoever can open the
 * socket, so the parser trusts nothing: bounded lengths, digits only for
 * numbers, every value range-checked, every key known and given once.
 */
#include "core/protocol.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/errmsg.h"
#include "core/format.h"

void ad_request_init(struct ad_request *req)
{
	memset(req, 0, sizeof(*req));
	req->verb = AD_VERB_DUMP;
	req->opts.format = AD_FORMAT_TEXT;
	req->opts.stuck_after_ns = AD_DEFAULT_STUCK_AFTER_NS;
}

/* The verbs as they are spelled on the wire. */
static const char *verb_name(enum ad_verb v)
{
	return v == AD_VERB_LIST ? "LIST" : "DUMP";
}

static bool request_valid(const struct ad_request *req)
{
	if (req->opts.format != AD_FORMAT_TEXT &&
	    req->opts.format != AD_FORMAT_JSON)
		return false;
	if (req->verb == AD_VERB_LIST)
		return req->pid == 0 && !req->opts.verbose;
	return req->verb == AD_VERB_DUMP && req->pid > 0;
}

int ad_request_format(const struct ad_request *req, char *buf, size_t buflen)
{
	char stuck[48] = "";
	int n;

	if (!request_valid(req))
		return -EINVAL;
	if (req->stuck_after_given)
		snprintf(stuck, sizeof(stuck), " stuck_after_ns=%llu",
			 (unsigned long long)req->opts.stuck_after_ns);
	if (req->verb == AD_VERB_LIST)
		n = snprintf(buf, buflen, "LIST v=%d format=%s%s\n",
			     AD_PROTO_VERSION, ad_format_name(req->opts.format),
			     stuck);
	else
		n = snprintf(buf, buflen,
			     "DUMP v=%d pid=%d format=%s verbose=%d%s\n",
			     AD_PROTO_VERSION, (int)req->pid,
			     ad_format_name(req->opts.format),
			     req->opts.verbose ? 1 : 0, stuck);
	if (n < 0 || (size_t)n >= buflen)
		return -ENOSPC;
	return n;
}

/* A bad request: the message, and -EINVAL. */
#define parse_err(err, errlen, ...)                                            \
	ad_fail(-EINVAL, (err), (errlen), __VA_ARGS__)

int ad_parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (__builtin_mul_overflow(v, 10u, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return -ERANGE;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A protocol number: at most 20 digits (the longest uint64_t; no
 * zero-padding beyond that), at most `max`. */
static int parse_num(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	if (len > 20)
		return -EINVAL;
	return ad_parse_decimal(s, len, max, out);
}

static bool tok_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(tok, word, len) == 0;
}

/* The first token: DUMP or LIST. 0, or -EINVAL. */
static int parse_verb(const char *tok, size_t len, enum ad_verb *out)
{
	static const enum ad_verb all[] = {AD_VERB_DUMP, AD_VERB_LIST};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (tok_is(tok, len, verb_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

enum { KEY_VERSION, KEY_PID, KEY_FORMAT, KEY_VERBOSE, KEY_STUCK, KEY_COUNT };
static const char *const key_names[KEY_COUNT] = {
	"v", "pid", "format", "verbose", "stuck_after_ns",
};

/* Applies one key=value token. */
static int apply_kv(const char *tok, size_t len, bool seen[KEY_COUNT],
		    struct ad_request *req, char *err, size_t errlen)
{
	const char *eq = memchr(tok, '=', len);
	size_t klen, vlen;
	const char *val;
	uint64_t v;
	int key = -1;

	if (!eq)
		return parse_err(err, errlen, "expected key=value, got '%.*s'",
				 (int)(len > 40 ? 40 : len), tok);
	klen = (size_t)(eq - tok);
	val = eq + 1;
	vlen = len - klen - 1;
	for (int k = 0; k < KEY_COUNT; k++)
		if (tok_is(tok, klen, key_names[k]))
			key = k;
	if (key < 0)
		return parse_err(err, errlen, "unknown key '%.*s'",
				 (int)(klen > 40 ? 40 : klen), tok);
	if (seen[key])
		return parse_err(err, errlen, "key '%s' given twice",
				 key_names[key]);
	if (req->verb == AD_VERB_LIST && (key == KEY_PID || key == KEY_VERBOSE))
		return parse_err(err, errlen, "key '%s' does not apply to LIST",
				 key_names[key]);
	seen[key] = true;

	switch (key) {
	case KEY_VERSION:
		if (parse_num(val, vlen, UINT32_MAX, &v) ||
		    v != AD_PROTO_VERSION)
			return parse_err(err, errlen,
					 "protocol version '%.*s' is not the "
					 "daemon's (%d): client and daemon "
					 "versions differ",
					 (int)(vlen > 20 ? 20 : vlen), val,
					 AD_PROTO_VERSION);
		break;
	case KEY_PID:
		if (parse_num(val, vlen, INT32_MAX, &v) || v == 0)
			return parse_err(err, errlen, "pid must be 1..%d",
					 INT32_MAX);
		req->pid = (pid_t)v;
		break;
	case KEY_FORMAT:
		if (ad_format_parse(val, vlen, &req->opts.format))
			return parse_err(err, errlen,
					 "format must be text or json");
		break;
	case KEY_VERBOSE:
		if (parse_num(val, vlen, 1, &v))
			return parse_err(err, errlen, "verbose must be 0 or 1");
		req->opts.verbose = v == 1;
		break;
	case KEY_STUCK:
		if (parse_num(val, vlen, UINT64_MAX, &v))
			return parse_err(
				err, errlen,
				"stuck_after_ns must be a 64-bit number");
		req->opts.stuck_after_ns = v;
		req->stuck_after_given = true;
		break;
	}
	return 0;
}

int ad_request_parse(const char *line, size_t len, struct ad_request *req,
		     char *err, size_t errlen)
{
	bool seen[KEY_COUNT] = {false};
	size_t i = 0, start;
	bool first = true;

	ad_request_init(req);
	if (err && errlen)
		err[0] = '\0';
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len + 1 > AD_PROTO_MAX_LINE)
		return parse_err(err, errlen, "request longer than %d bytes",
				 AD_PROTO_MAX_LINE);
	/* ASCII only: nothing but what the grammar allows can be echoed
	 * back in an error or a log line. */
	for (size_t j = 0; j < len; j++)
		if ((unsigned char)line[j] < 0x20 ||
		    (unsigned char)line[j] >= 0x7f)
			return parse_err(err, errlen,
					 (unsigned char)line[j] >= 0x80
						 ? "non-ASCII byte in request"
						 : "control character in "
						   "request");

	/* Tokens are separated by exactly one space: the client never sends
	 * anything else, and strictness keeps the grammar unambiguous. */
	while (i <= len) {
		start = i;
		while (i < len && line[i] != ' ')
			i++;
		if (i == start)
			return parse_err(err, errlen,
					 len ? "empty token in request"
					     : "empty request");
		if (first) {
			if (parse_verb(line + start, i - start, &req->verb))
				return parse_err(
					err, errlen, "unknown request '%.*s'",
					(int)(i - start > 40 ? 40 : i - start),
					line + start);
			first = false;
		} else if (apply_kv(line + start, i - start, seen, req, err,
				    errlen)) {
			return -EINVAL;
		}
		i++; /* skip the space, or step past the end */
	}
	if (req->verb == AD_VERB_DUMP && !seen[KEY_PID])
		return parse_err(err, errlen, "request has no pid");
	if (!seen[KEY_VERSION])
		return parse_err(err, errlen,
				 "request has no protocol version (v=): the "
				 "client is older than the daemon (protocol "
				 "%d)",
				 AD_PROTO_VERSION);
	return 0;
}

int ad_socket_addr(const char *path, struct sockaddr_un *addr)
{
	size_t len = strlen(path);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (len >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	memcpy(addr->sun_path, path, len + 1);
	return 0;
}

int ad_response_ok(char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "OK %d\n", AD_PROTO_VERSION);

	if (n < 0 || (size_t)n >= buflen)
		return -ENOSPC;
	return n;
}

size_t ad_clean_msg(const char *msg, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)(msg ? msg : "");
	size_t n = 0;

	if (!outlen)
		return 0;
	while (*s && n + 1 < outlen) {
		uint32_t cp;
		size_t k = ad_utf8_decode(s, &cp);

		if (k == 0 || (cp >= 0x80 && cp < 0xa0)) {
			/* not UTF-8, or a C1 control (2 bytes) */
			out[n++] = '?';
			s += k ? k : 1;
		} else if (cp < 0x20 || cp == 0x7f) {
			out[n++] = ' ';
			s++;
		} else if (n + k < outlen) {
			memcpy(out + n, s, k);
			n += k;
			s += k;
		} else {
			break; /* a character does not fit: cut before it */
		}
	}
	out[n] = '\0';
	return n;
}

int ad_response_err(int code, const char *msg, char *buf, size_t buflen)
{
	char clean[AD_PROTO_MAX_MSG + 1];
	int len;

	if (code < 1 || code > 255)
		return -EINVAL;
	ad_clean_msg(msg, clean, sizeof(clean));
	len = snprintf(buf, buflen, "ERR %d %s\n", code, clean);
	if (len < 0 || (size_t)len >= buflen)
		return -ENOSPC;
	return len;
}

int ad_response_parse(const char *line, size_t len, int *code, char *msg,
		      size_t msglen)
{
	uint64_t v;
	size_t i, start;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len + 1 > AD_PROTO_MAX_LINE || memchr(line, '\n', len) ||
	    memchr(line, '\0', len))
		return -EINVAL;
	if (msg && msglen)
		msg[0] = '\0';
	if (len == 4 && memcmp(line, "OK ", 3) == 0 &&
	    line[3] == '0' + AD_PROTO_VERSION) {
		*code = 0;
		return 0;
	}
	if (len < 5 || memcmp(line, "ERR ", 4) != 0)
		return -EINVAL;
	for (i = start = 4; i < len && line[i] != ' '; i++)
		;
	if (parse_num(line + start, i - start, 255, &v) || v == 0)
		return -EINVAL;
	*code = (int)v;
	if (msg && msglen) {
		size_t mlen = i < len ? len - i - 1 : 0;

		if (mlen >= msglen)
			mlen = msglen - 1;
		if (mlen)
			memcpy(msg, line + i + 1, mlen);
		msg[mlen] = '\0';
	}
	return 0;
}

int ad_chunk_data(size_t n, char *buf, size_t buflen)
{
	int len;

	if (n == 0 || n > AD_PROTO_MAX_CHUNK)
		return -EINVAL;
	len = snprintf(buf, buflen, "D %zu\n", n);
	if (len < 0 || (size_t)len >= buflen)
		return -ENOSPC;
	return len;
}

int ad_chunk_end(uint64_t total, char *buf, size_t buflen)
{
	int len =
		snprintf(buf, buflen, "END %llu\n", (unsigned long long)total);

	if (len < 0 || (size_t)len >= buflen)
		return -ENOSPC;
	return len;
}

int ad_chunk_parse(const char *line, size_t len, struct ad_chunk *c, char *msg,
		   size_t msglen)
{
	size_t l = len > 0 && line[len - 1] == '\n' ? len - 1 : len;

	memset(c, 0, sizeof(*c));
	if (msg && msglen)
		msg[0] = '\0';
	if (l > 2 && memcmp(line, "D ", 2) == 0) {
		if (parse_num(line + 2, l - 2, AD_PROTO_MAX_CHUNK, &c->n) ||
		    c->n == 0)
			return -EINVAL;
		c->kind = AD_CHUNK_DATA;
		return 0;
	}
	if (l > 4 && memcmp(line, "END ", 4) == 0) {
		if (parse_num(line + 4, l - 4, UINT64_MAX, &c->n))
			return -EINVAL;
		c->kind = AD_CHUNK_END;
		return 0;
	}
	if (l > 4 && memcmp(line, "ERR ", 4) == 0) {
		if (ad_response_parse(line, len, &c->code, msg, msglen))
			return -EINVAL;
		c->kind = AD_CHUNK_ERR;
		return 0;
	}
	return -EINVAL;
}
