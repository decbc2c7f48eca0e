// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_options.c - libFuzzer target: asyncdumpd's command line
 * (core/options.c).
 *
 * The input, split at NUL bytes, is the value of ASYNCDUMP_SOCKET (first
 * piece; empty: unset) and then argv[1..]. Each piece is a heap string of
 * its own size, so ASan sees a read past any of them. The parser runs
 * twice (getopt_long's global state must be reset by it), must agree with
 * itself, and its result must be consistent (options.h); everything it
 * allocated is freed (LeakSanitizer checks). Every piece also goes through
 * ad_parse_duration and ad_parse_pid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"

#define MAX_ARGS 256

/* Inside one of the arguments (--opt=VALUE points past the '='). */
static bool in_argv(const char *p, char *const argv[], int argc)
{
	for (int i = 0; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return true;
	return false;
}

static void check(const struct ad_options *o, int rc, const char *err,
		  char *const argv[], int argc, const char *env)
{
	if (rc != 0) {
		/* a reason (that may quote an argument as given) */
		if (!err[0])
			abort();
		return;
	}
	if (!o->socket_path || !o->socket_path[0])
		abort();
	if (o->socket_path != env && o->socket_path[0] != '/' &&
	    !in_argv(o->socket_path, argv, argc))
		abort();
	switch (o->mode) {
	case AD_MODE_HELP:
	case AD_MODE_VERSION:
		break;
	case AD_MODE_DAEMON:
		/* No target is fine here: the config file may name them. */
		if (o->max_slots > o->max_procs ||
		    o->max_frames < AD_OPT_CAPACITY_MIN ||
		    o->max_frames > AD_OPT_CAPACITY_MAX ||
		    o->label_max < AD_OPT_LABEL_MIN)
			abort();
		for (size_t i = 0; i < o->nattach_paths; i++)
			if (!in_argv(o->attach_paths[i], argv, argc) ||
			    !o->attach_paths[i][0])
				abort();
		for (size_t i = 0; i < o->nattach_pids; i++)
			if (o->attach_pids[i] <= 0)
				abort();
		break;
	case AD_MODE_DUMP:
		if (o->pid <= 0 || (o->dump.format != AD_FORMAT_TEXT &&
				    o->dump.format != AD_FORMAT_JSON))
			abort();
		break;
	case AD_MODE_LIST:
		if (o->pid != 0 || o->dump.verbose ||
		    (o->dump.format != AD_FORMAT_TEXT &&
		     o->dump.format != AD_FORMAT_JSON))
			abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *env = NULL, err[256], err2[256];
	struct ad_options o, o2;
	size_t off = 0;
	int argc = 0, rc, rc2;
	bool first = true;

	argv[argc++] = strdup("asyncdumpd");
	if (!argv[0])
		return 0;
	while (off < size && argc <= MAX_ARGS) {
		const uint8_t *nul = memchr(data + off, 0, size - off);
		size_t n = nul ? (size_t)(nul - data) - off : size - off;
		char *s = malloc(n + 1);

		if (!s)
			break;
		memcpy(s, data + off, n);
		s[n] = '\0';
		off += n + 1;
		if (first) {
			first = false;
			if (n)
				env = s;
			else
				free(s);
			continue;
		}
		argv[argc++] = s;
	}
	argv[argc] = NULL;

	rc = ad_options_parse(argc, argv, env, &o, err, sizeof(err));
	check(&o, rc, err, argv, argc, env);
	rc2 = ad_options_parse(argc, argv, env, &o2, err2, sizeof(err2));
	if (rc2 != rc || (rc == 0 && o2.mode != o.mode) ||
	    (rc != 0 && strcmp(err, err2) != 0))
		abort();
	ad_options_free(&o2);
	ad_options_free(&o);

	for (int i = 1; i < argc; i++) {
		uint64_t ns;
		pid_t pid;

		if (ad_parse_pid(argv[i], &pid) == 0 && pid <= 0)
			abort();
		ad_parse_duration(argv[i], &ns);
	}
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(env);
	return 0;
}
