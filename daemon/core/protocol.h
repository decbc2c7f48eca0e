// SPDX-License-Identifier: BSD-2-Clause
/*
 * protocol.h - the request/response format between `asyncdumpd --pid` and
 * `asyncdumpd --daemon` over the unix socket. Pure: formats and parses
 * byte strings, so unit tests can feed it anything.
 *
 * Request, one line:
 *   DUMP pid=N format=text|json verbose=0|1 stuck_after_ns=N\n
 * Keys may come in any order, each at most once; pid is required, the rest
 * default (text, 0, AD_DEFAULT_STUCK_AFTER_NS). Unknown verbs and keys are
 * rejected, so a newer client talking to an older daemon fails loudly.
 *
 * Response: a status line, then for OK the rendered dump until EOF:
 *   OK\n<body>
 *   ERR <exit-code> <one-line message>\n
 * The exit code is one of enum ad_exit; the client exits with it.
 */
#ifndef AD_PROTOCOL_H
#define AD_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "core/render_opts.h"

/* Longest request or status line, newline included. A request is far
 * shorter; the limit bounds what the daemon reads from any client. */
#define AD_PROTO_MAX_LINE 512
/* Longest message in an ERR line (longer ones are cut). */
#define AD_PROTO_MAX_MSG 400

enum ad_verb { AD_VERB_DUMP = 1 };

struct ad_request {
	enum ad_verb verb;
	pid_t pid;
	struct ad_render_opts opts; /* what the dump asks for */
};

/* Fills defaults (verb DUMP, text, not verbose, default stuck-after). */
void ad_request_init(struct ad_request *req);

/* Writes the request line, newline included, NUL-terminated. Returns its
 * length, or -ENOSPC if buflen is too small, -EINVAL for a bad request. */
int ad_request_format(const struct ad_request *req, char *buf, size_t buflen);

/* Parses one request line of `len` bytes (the trailing newline may be
 * present or not; an embedded NUL or newline is an error). Returns 0, or
 * -EINVAL with a one-line reason in err. */
int ad_request_parse(const char *line, size_t len, struct ad_request *req,
		     char *err, size_t errlen);

/* "OK\n". Returns its length. */
int ad_response_ok(char *buf, size_t buflen);
/* "ERR <code> <msg>\n": control characters in msg become spaces, and msg
 * is cut to AD_PROTO_MAX_MSG bytes. Returns the length, or -ENOSPC /
 * -EINVAL (code out of 1..255). */
int ad_response_err(int code, const char *msg, char *buf, size_t buflen);

/* Parses a status line (without or with its newline). On OK: *code = 0 and
 * msg = "". On ERR: *code and msg set. Returns 0, or -EINVAL if the line
 * is not a valid status line. */
int ad_response_parse(const char *line, size_t len, int *code, char *msg,
		      size_t msglen);

/* The address of the unix socket at `path`, shared by the daemon (bind,
 * liveness check) and the client (connect) so both accept exactly the
 * same paths. 0, or -ENAMETOOLONG if path does not fit sun_path with its
 * NUL (the caller says what to do). */
int ad_socket_addr(const char *path, struct sockaddr_un *addr);

/* Exactly `len` decimal digits (no sign, space, "0x" or empty string) as
 * a number of at most `max`. 0, -EINVAL (not digits) or -ERANGE (above max
 * or 64 bits). One definition of "a number" for the socket protocol and
 * the command line (options.c), so the two cannot drift apart. */
int ad_parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *out);

#endif /* AD_PROTOCOL_H */
