// SPDX-License-Identifier: BSD-2-Clause
/*
 * protocol.h - the request/response format between `asyncdumpd --pid` and
 * `asyncdumpd --daemon` over the unix socket. Pure: formats and parses
 * byte strings, so unit tests can feed it anything.
 *
 * Protocol version 2 (AD_PROTO_VERSION). Request, one line, one of:
 *   DUMP v=2 pid=N format=text|json verbose=0|1 stuck_after_ns=N\n
 *   LIST v=2 format=text|json stuck_after_ns=N\n
 * DUMP asks for one process's dump; LIST for one row per observed process
 * the client may dump (asyncdumpd --list). Keys may come in any order,
 * each at most once; v is required, and pid for DUMP (LIST takes neither
 * pid nor verbose); the rest default (text, 0; without stuck_after_ns the
 * daemon's own default, asyncdumpd.conf stuck_after).
 * Unknown verbs and keys and any other version are rejected, so a client
 * and a daemon of different protocols fail loudly, never misread each
 * other.
 *
 * Response (the same to both verbs; "the dump" is the list for LIST): a
 * status line, then for OK the dump in chunks and an end marker, so a
 * client always knows whether it got all of it:
 *   OK 2\n
 *   D <n>\n<n bytes>          (1 <= n <= AD_PROTO_MAX_CHUNK), repeated
 *   END <total bytes>\n       the dump is complete
 * or, instead of the next chunk when the dump fails midway,
 *   ERR <exit-code> <one-line message>\n
 * and, instead of OK when nothing was sent yet, the same ERR line. The
 * exit code is one of enum ad_exit; the client exits with it. A stream
 * that ends before END (the daemon stopped, or dropped a client that did
 * not read) is a cut-short dump: the client says so and exits non-zero.
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
#define AD_PROTO_VERSION 2
/* Largest data chunk of a response. */
#define AD_PROTO_MAX_CHUNK (1u << 20)

enum ad_verb {
	AD_VERB_DUMP = 1, /* one process's dump */
	AD_VERB_LIST,	  /* every observed process the client may dump */
};

struct ad_request {
	enum ad_verb verb;
	pid_t pid;		    /* DUMP: the process; LIST: 0 */
	struct ad_render_opts opts; /* what the dump asks for (LIST: format
				     * and stuck_after_ns; never verbose) */
	/* stuck_after_ns is in the request line (--stuck-after): without
	 * it the daemon's own default applies (asyncdumpd.conf
	 * stuck_after). */
	bool stuck_after_given;
};

/* Fills defaults (verb DUMP, text, not verbose, default stuck-after, not
 * given). */
void ad_request_init(struct ad_request *req);

/* Writes the request line, newline included, NUL-terminated. Returns its
 * length, or -ENOSPC if buflen is too small, -EINVAL for a bad request (a
 * DUMP without a pid, a LIST with one or verbose). */
int ad_request_format(const struct ad_request *req, char *buf, size_t buflen);

/* Parses one request line of `len` bytes (the trailing newline may be
 * present or not; an embedded NUL or newline is an error). Returns 0, or
 * -EINVAL with a one-line reason in err. */
int ad_request_parse(const char *line, size_t len, struct ad_request *req,
		     char *err, size_t errlen);

/* "OK 2\n". Returns its length, or -ENOSPC. */
int ad_response_ok(char *buf, size_t buflen);
/* "ERR <code> <msg>\n": control characters in msg become spaces, and msg
 * is cut to AD_PROTO_MAX_MSG bytes. Returns the length, or -ENOSPC /
 * -EINVAL (code out of 1..255). */
int ad_response_err(int code, const char *msg, char *buf, size_t buflen);

/* "ERR <code> <msg>\n" as ad_response_err() writes it, after cleaning msg:
 * control characters (C0, DEL, C1) and bytes that are not valid UTF-8
 * become spaces or '?', so nothing a request or a process name carried
 * reaches a terminal or a log raw. Returns msg's cleaned length. */
size_t ad_clean_msg(const char *msg, char *out, size_t outlen);

/* Parses a status line (without or with its newline). On OK: *code = 0 and
 * msg = "". On ERR: *code and msg set. Returns 0, or -EINVAL if the line
 * is not a valid status line (an "OK" of another protocol version is
 * not). */
int ad_response_parse(const char *line, size_t len, int *code, char *msg,
		      size_t msglen);

/* The lines that frame a dump after "OK 2". */
enum ad_chunk_kind {
	AD_CHUNK_DATA = 1, /* n bytes of the dump follow */
	AD_CHUNK_END,	   /* complete: n bytes in all */
	AD_CHUNK_ERR,	   /* failed midway: code and message */
};
struct ad_chunk {
	enum ad_chunk_kind kind;
	uint64_t n;
	int code;
};

/* "D <n>\n" (n in 1..AD_PROTO_MAX_CHUNK) and "END <total>\n". Return the
 * length, or -EINVAL / -ENOSPC. */
int ad_chunk_data(size_t n, char *buf, size_t buflen);
int ad_chunk_end(uint64_t total, char *buf, size_t buflen);

/* Parses one framing line (with or without its newline): a D, END or ERR
 * line (msg gets an ERR's message). 0, or -EINVAL. */
int ad_chunk_parse(const char *line, size_t len, struct ad_chunk *c, char *msg,
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
