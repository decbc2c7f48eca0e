// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_protocol.c - the socket protocol: round trips, malformed and hostile
 * requests, length and range limits, status lines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/exit_codes.h"
#include "core/protocol.h"

static char err[256];

static int parse(const char *line, struct ad_request *req)
{
	err[0] = '\0';
	return ad_request_parse(line, strlen(line), req, err, sizeof(err));
}

static void test_round_trip(void **state)
{
	const struct ad_request cases[] = {
		{AD_VERB_DUMP, 1, {AD_FORMAT_TEXT, false, 0}, true},
		{AD_VERB_DUMP,
		 4242,
		 {AD_FORMAT_JSON, true, AD_DEFAULT_STUCK_AFTER_NS},
		 true},
		{AD_VERB_DUMP,
		 INT32_MAX,
		 {AD_FORMAT_JSON, false, UINT64_MAX},
		 true},
		/* no --stuck-after: not sent, the daemon's default applies */
		{AD_VERB_DUMP,
		 7,
		 {AD_FORMAT_TEXT, false, AD_DEFAULT_STUCK_AFTER_NS},
		 false},
	};
	char line[AD_PROTO_MAX_LINE];
	struct ad_request back;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = ad_request_format(&cases[i], line, sizeof(line));

		assert_true(n > 0 && n < AD_PROTO_MAX_LINE);
		assert_int_equal(line[n - 1], '\n');
		assert_int_equal(ad_request_parse(line, (size_t)n, &back, err,
						  sizeof(err)),
				 0);
		assert_int_equal(back.verb, cases[i].verb);
		assert_int_equal(back.pid, cases[i].pid);
		assert_int_equal(back.opts.format, cases[i].opts.format);
		assert_int_equal(back.opts.verbose, cases[i].opts.verbose);
		assert_int_equal(back.opts.stuck_after_ns,
				 cases[i].opts.stuck_after_ns);
		assert_int_equal(back.stuck_after_given,
				 cases[i].stuck_after_given);
		assert_int_equal(strstr(line, "stuck_after_ns=") != NULL,
				 cases[i].stuck_after_given);
	}
}

/* LIST: the line the client sends, parsed back; its keys in any order;
 * it takes neither a pid nor verbose, and needs only the version. */
static void test_list(void **state)
{
	const struct ad_request cases[] = {
		{AD_VERB_LIST, 0, {AD_FORMAT_TEXT, false, 0}, true},
		{AD_VERB_LIST,
		 0,
		 {AD_FORMAT_JSON, false, AD_DEFAULT_STUCK_AFTER_NS},
		 true},
		{AD_VERB_LIST, 0, {AD_FORMAT_JSON, false, UINT64_MAX}, true},
	};
	char line[AD_PROTO_MAX_LINE];
	struct ad_request req;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = ad_request_format(&cases[i], line, sizeof(line));

		assert_true(n > 0 && n < AD_PROTO_MAX_LINE);
		assert_int_equal(strncmp(line, "LIST v=2 ", 9), 0);
		assert_null(strstr(line, "pid="));
		assert_null(strstr(line, "verbose="));
		assert_int_equal(parse(line, &req), 0);
		assert_int_equal(req.verb, AD_VERB_LIST);
		assert_int_equal(req.pid, 0);
		assert_int_equal(req.opts.format, cases[i].opts.format);
		assert_false(req.opts.verbose);
		assert_int_equal(req.opts.stuck_after_ns,
				 cases[i].opts.stuck_after_ns);
	}
	assert_int_equal(ad_request_format(&cases[1], line, sizeof(line)),
			 (int)strlen("LIST v=2 format=json "
				     "stuck_after_ns=10000000000\n"));
	assert_string_equal(
		line, "LIST v=2 format=json stuck_after_ns=10000000000\n");

	assert_int_equal(parse("LIST v=2", &req), 0);
	assert_int_equal(req.verb, AD_VERB_LIST);
	assert_int_equal(req.opts.format, AD_FORMAT_TEXT);
	assert_int_equal(req.opts.stuck_after_ns, AD_DEFAULT_STUCK_AFTER_NS);
	assert_false(req.stuck_after_given);
	assert_int_equal(parse("LIST stuck_after_ns=5 format=json v=2\n", &req),
			 0);
	assert_int_equal(req.opts.format, AD_FORMAT_JSON);
	assert_int_equal(req.opts.stuck_after_ns, 5);

	/* a LIST that names a process, or asks for verbose, is not sent */
	req = cases[0];
	req.pid = 7;
	assert_int_equal(ad_request_format(&req, line, sizeof(line)), -EINVAL);
	req = cases[0];
	req.opts.verbose = true;
	assert_int_equal(ad_request_format(&req, line, sizeof(line)), -EINVAL);
}

static void test_format_errors(void **state)
{
	struct ad_request req;
	char small[8];
	(void)state;

	ad_request_init(&req);
	assert_int_equal(ad_request_format(&req, small, sizeof(small)),
			 -EINVAL); /* no pid */
	req.pid = 5;
	assert_int_equal(ad_request_format(&req, small, sizeof(small)),
			 -ENOSPC);
	req.opts.format = (enum ad_format)7;
	assert_int_equal(ad_request_format(&req, small, sizeof(small)),
			 -EINVAL);
}

static void test_defaults_and_order(void **state)
{
	struct ad_request req;
	(void)state;

	assert_int_equal(parse("DUMP v=2 pid=12", &req), 0);
	assert_int_equal(req.pid, 12);
	assert_int_equal(req.opts.format, AD_FORMAT_TEXT);
	assert_false(req.opts.verbose);
	assert_int_equal(req.opts.stuck_after_ns, AD_DEFAULT_STUCK_AFTER_NS);

	assert_int_equal(
		parse("DUMP stuck_after_ns=0 verbose=1 format=json pid=3 v=2\n",
		      &req),
		0);
	assert_int_equal(req.pid, 3);
	assert_int_equal(req.opts.format, AD_FORMAT_JSON);
	assert_true(req.opts.verbose);
	assert_int_equal(req.opts.stuck_after_ns, 0);
}

static void expect_bad(const char *line, const char *needle)
{
	struct ad_request req;

	if (parse(line, &req) != -EINVAL)
		fail_msg("accepted: '%s'", line);
	if (!strstr(err, needle))
		fail_msg("'%s': error '%s' lacks '%s'", line, err, needle);
	assert_null(strchr(err, '\n'));
}

static void test_malformed(void **state)
{
	(void)state;

	expect_bad("", "empty request");
	expect_bad("\n", "empty request");
	expect_bad("dump pid=1", "unknown request");
	expect_bad("SHUTDOWN", "unknown request");
	expect_bad("DUMP", "no pid");
	expect_bad("DUMP pid=1", "no protocol version");
	expect_bad("DUMP pid=1 v=1", "protocol version '1'");
	expect_bad("DUMP pid=1 v=3", "protocol version '3'");
	expect_bad("DUMP pid=1 v=02x", "protocol version");
	expect_bad("DUMP v=2 v=2 pid=1", "given twice");
	expect_bad("DUMP v=2 pid=1 format=js\xc3\xb6n", "non-ASCII");
	expect_bad("DUMP v=2 pid=1 \xc2\x9b"
		   "2J",
		   "non-ASCII");
	expect_bad("DUMP format=json", "no pid");
	expect_bad("DUMP pid=1 pid=2", "given twice");
	expect_bad("DUMP pid=1 format=json format=text", "given twice");
	expect_bad("DUMP pid=1 color=1", "unknown key");
	expect_bad("DUMP pid=1 =3", "unknown key");
	expect_bad("DUMP pid", "expected key=value");
	expect_bad("DUMP pid=", "pid must be");
	expect_bad("DUMP pid=0", "pid must be");
	expect_bad("DUMP pid=-1", "pid must be");
	expect_bad("DUMP pid=+1", "pid must be");
	expect_bad("DUMP pid=2147483648", "pid must be");
	expect_bad("DUMP pid=0x10", "pid must be");
	expect_bad("DUMP pid=1 format=xml", "format must be");
	expect_bad("DUMP pid=1 format=", "format must be");
	expect_bad("DUMP pid=1 verbose=2", "verbose must be");
	expect_bad("DUMP pid=1 verbose=yes", "verbose must be");
	expect_bad("DUMP pid=1 stuck_after_ns=18446744073709551616",
		   "stuck_after_ns");
	expect_bad("DUMP pid=1 stuck_after_ns=1e9", "stuck_after_ns");
	expect_bad("DUMP  pid=1", "empty token");
	expect_bad("DUMP pid=1 ", "empty token");
	expect_bad(" DUMP pid=1", "empty token");
	expect_bad("DUMP\tpid=1", "control character");
	expect_bad("DUMP pid=1\r\n", "control character");
	expect_bad("DUMP pid=1\n\n", "control character");
	expect_bad("DUMP pid=1\x1b[2J", "control character");
	/* LIST */
	expect_bad("LIST", "no protocol version");
	expect_bad("LIST format=json", "no protocol version");
	expect_bad("LIST v=3", "protocol version '3'");
	expect_bad("list v=2", "unknown request");
	expect_bad("LISTS v=2", "unknown request");
	expect_bad("LIST v=2 pid=1", "'pid' does not apply to LIST");
	expect_bad("LIST v=2 verbose=0", "'verbose' does not apply to LIST");
	expect_bad("LIST v=2 format=xml", "format must be");
	expect_bad("LIST v=2 format=json format=json", "given twice");
	expect_bad("LIST v=2 stuck_after_ns=-1", "stuck_after_ns");
	expect_bad("LIST v=2 all=1", "unknown key");
	expect_bad("LIST v=2 ", "empty token");
	expect_bad("LIST v=2\tformat=json", "control character");
}

static void test_embedded_nul(void **state)
{
	static const char line[] = "DUMP pid=1\0format=json\n";
	struct ad_request req;
	(void)state;

	assert_int_equal(ad_request_parse(line, sizeof(line) - 1, &req, err,
					  sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "control character"));
}

static void test_length_limit(void **state)
{
	char line[AD_PROTO_MAX_LINE + 64];
	struct ad_request req;
	(void)state;

	/* A valid request padded with a long (unknown) value, exactly at
	 * and just past the limit: over it is rejected before any key. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "DUMP pid=1 x=", 13);
	assert_int_equal(ad_request_parse(line, AD_PROTO_MAX_LINE, &req, err,
					  sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "longer than"));
	line[AD_PROTO_MAX_LINE - 1] = '\n';
	assert_int_equal(ad_request_parse(line, AD_PROTO_MAX_LINE, &req, err,
					  sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown key")); /* within the limit */
	/* Error messages quote at most a bounded piece of the input. */
	assert_true(strlen(err) < 80);
}

static void test_response_ok(void **state)
{
	char buf[16], msg[64];
	int code = -1;
	(void)state;

	assert_int_equal(ad_response_ok(buf, sizeof(buf)), 5);
	assert_string_equal(buf, "OK 2\n");
	assert_int_equal(ad_response_ok(buf, 5), -ENOSPC);
	assert_int_equal(
		ad_response_parse("OK 2\n", 5, &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, 0);
	assert_string_equal(msg, "");
	assert_int_equal(ad_response_parse("OK 2", 4, &code, msg, sizeof(msg)),
			 0);
	/* another protocol's OK is not one */
	assert_int_equal(ad_response_parse("OK\n", 3, &code, msg, sizeof(msg)),
			 -EINVAL);
	assert_int_equal(
		ad_response_parse("OK 1\n", 5, &code, msg, sizeof(msg)),
		-EINVAL);
}

static void test_response_err_round_trip(void **state)
{
	char buf[AD_PROTO_MAX_LINE], msg[AD_PROTO_MAX_MSG + 1];
	int code = -1, n;
	(void)state;

	n = ad_response_err(AD_EXIT_NOT_OBSERVED,
			    "process 7 has hit no asyncdump probe", buf,
			    sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf,
			    "ERR 4 process 7 has hit no asyncdump probe\n");
	assert_int_equal(
		ad_response_parse(buf, (size_t)n, &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, AD_EXIT_NOT_OBSERVED);
	assert_string_equal(msg, "process 7 has hit no asyncdump probe");

	/* Control characters in a message never break the line; C1
	 * controls and invalid UTF-8 never reach a terminal; valid UTF-8
	 * stays. */
	n = ad_response_err(AD_EXIT_FAILURE, "a\nb\tc\x1b", buf, sizeof(buf));
	assert_string_equal(buf, "ERR 1 a b c \n");
	n = ad_response_err(AD_EXIT_FAILURE,
			    "x\xc2\x9b"
			    "2Jy\xff\xc3z \xc3\xa9",
			    buf, sizeof(buf));
	assert_string_equal(buf, "ERR 1 x?2Jy??z \xc3\xa9\n");
	/* Long messages are cut, still one line that parses. */
	char longmsg[2000];
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	n = ad_response_err(AD_EXIT_FAILURE, longmsg, buf, sizeof(buf));
	assert_true(n > 0 && n < AD_PROTO_MAX_LINE);
	assert_int_equal(
		ad_response_parse(buf, (size_t)n, &code, msg, sizeof(msg)), 0);
	assert_int_equal(strlen(msg), AD_PROTO_MAX_MSG);
	/* A small caller buffer truncates the message safely. */
	char tiny[5];
	assert_int_equal(
		ad_response_parse(buf, (size_t)n, &code, tiny, sizeof(tiny)),
		0);
	assert_string_equal(tiny, "xxxx");
	/* Empty message. */
	n = ad_response_err(AD_EXIT_FAILURE, "", buf, sizeof(buf));
	assert_int_equal(
		ad_response_parse(buf, (size_t)n, &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, 1);
	assert_string_equal(msg, "");

	assert_int_equal(ad_response_err(0, "x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ad_response_err(256, "x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ad_response_err(1, "xyz", buf, 6), -ENOSPC);
}

static void test_clean_msg_cut(void **state)
{
	char out[4];
	(void)state;

	/* a multi-byte character that does not fit is left out whole */
	assert_int_equal(ad_clean_msg("ab\xc3\xa9", out, sizeof(out)), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(ad_clean_msg(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_chunks(void **state)
{
	char buf[64], msg[64];
	struct ad_chunk c;
	(void)state;

	assert_int_equal(ad_chunk_data(1, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "D 1\n");
	assert_int_equal(ad_chunk_parse(buf, 4, &c, msg, sizeof(msg)), 0);
	assert_int_equal(c.kind, AD_CHUNK_DATA);
	assert_int_equal(c.n, 1);
	assert_true(ad_chunk_data(AD_PROTO_MAX_CHUNK, buf, sizeof(buf)) > 0);
	assert_int_equal(ad_chunk_parse(buf, strlen(buf), &c, msg, sizeof(msg)),
			 0);
	assert_int_equal(c.n, AD_PROTO_MAX_CHUNK);
	assert_int_equal(ad_chunk_data(0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(
		ad_chunk_data(AD_PROTO_MAX_CHUNK + 1, buf, sizeof(buf)),
		-EINVAL);
	assert_int_equal(ad_chunk_data(5, buf, 4), -ENOSPC);
	assert_true(ad_chunk_end(UINT64_MAX, buf, sizeof(buf)) > 0);
	assert_int_equal(ad_chunk_parse(buf, strlen(buf), &c, msg, sizeof(msg)),
			 0);
	assert_int_equal(c.kind, AD_CHUNK_END);
	assert_true(c.n == UINT64_MAX);
	assert_int_equal(ad_chunk_parse("END 0\n", 6, &c, msg, sizeof(msg)), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(
		ad_chunk_parse("ERR 6 not allowed\n", 18, &c, msg, sizeof(msg)),
		0);
	assert_int_equal(c.kind, AD_CHUNK_ERR);
	assert_int_equal(c.code, 6);
	assert_string_equal(msg, "not allowed");
	const char *bad[] = {
		"",
		"\n",
		"D\n",
		"D \n",
		"D 0\n",
		"D -1\n",
		"D 1048577\n",
		"D 1x\n",
		"d 1\n",
		"D  1\n",
		"END\n",
		"END \n",
		"END x\n",
		"END 18446744073709551616\n",
		"ERR 0 x\n",
		"OK 2\n",
		"DATA 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ad_chunk_parse(bad[i], strlen(bad[i]), &c, msg,
				   sizeof(msg)) != -EINVAL)
			fail_msg("accepted framing line '%s'", bad[i]);
}

static void test_response_malformed(void **state)
{
	const char *bad[] = {
		"",
		"\n",
		"OK ",
		"OK 2 \n",
		"OK 22\n",
		"OKAY\n",
		"ok\n",
		"ERR\n",
		"ERR \n",
		"ERR x msg\n",
		"ERR 0 msg\n",
		"ERR 256 msg\n",
		"ERR -1 msg\n",
		"ERR 99999999999999999999999 m\n",
		"HELLO\n",
		"ERR 4 a\nb\n",
	};
	char msg[64];
	int code;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ad_response_parse(bad[i], strlen(bad[i]), &code, msg,
				      sizeof(msg)) != -EINVAL)
			fail_msg("accepted status line '%s'", bad[i]);
	/* NUL inside the line. */
	assert_int_equal(
		ad_response_parse("ERR 4 a\0b\n", 10, &code, msg, sizeof(msg)),
		-EINVAL);
	/* "ERR 5" with no message is fine. */
	assert_int_equal(
		ad_response_parse("ERR 5\n", 6, &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, 5);
	assert_string_equal(msg, "");
}

/* One definition of a number for the protocol and the command line. */
static void test_parse_decimal(void **state)
{
	uint64_t v = 42;

	(void)state;
	assert_int_equal(ad_parse_decimal("0", 1, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(
		ad_parse_decimal("18446744073709551615", 20, UINT64_MAX, &v),
		0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(ad_parse_decimal("123x", 3, 1000, &v),
			 0); /* len bounds */
	assert_int_equal(v, 123);
	v = 7;
	assert_int_equal(
		ad_parse_decimal("18446744073709551616", 20, UINT64_MAX, &v),
		-ERANGE);
	assert_int_equal(ad_parse_decimal("11", 2, 10, &v), -ERANGE);
	assert_int_equal(ad_parse_decimal("", 0, 10, &v), -EINVAL);
	assert_int_equal(ad_parse_decimal("-1", 2, 10, &v), -EINVAL);
	assert_int_equal(ad_parse_decimal(" 1", 2, 10, &v), -EINVAL);
	assert_int_equal(ad_parse_decimal("0x1", 3, 10, &v), -EINVAL);
	assert_int_equal(v, 7); /* untouched on failure */
}

static void test_socket_addr(void **state)
{
	struct sockaddr_un a;
	char path[sizeof(a.sun_path) + 1];

	(void)state;
	assert_int_equal(ad_socket_addr("/run/x.sock", &a), 0);
	assert_int_equal(a.sun_family, AF_UNIX);
	assert_string_equal(a.sun_path, "/run/x.sock");
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(a.sun_path) - 1] = '\0'; /* just fits with its NUL */
	assert_int_equal(ad_socket_addr(path, &a), 0);
	assert_string_equal(a.sun_path, path);
	path[sizeof(a.sun_path) - 1] = 'a';
	path[sizeof(a.sun_path)] = '\0'; /* one byte too long */
	assert_int_equal(ad_socket_addr(path, &a), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_clean_msg_cut),
		cmocka_unit_test(test_defaults_and_order),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_response_ok),
		cmocka_unit_test(test_response_err_round_trip),
		cmocka_unit_test(test_response_malformed),
		cmocka_unit_test(test_parse_decimal),
		cmocka_unit_test(test_socket_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
