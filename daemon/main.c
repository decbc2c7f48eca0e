// SPDX-License-Identifier: BSD-2-Clause
/*
 * main.c - asyncdumpd: `--daemon` observes and serves dumps, `--pid N`
 * asks the running daemon for one, `--list` for what may be dumped.
 * Everything here is dispatch; the work is in server.c (daemon) and
 * client.c (dump, list).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "client.h"
#include "core/exit_codes.h"
#include "core/options.h"
#include "core/protocol.h"
#include "observer/kernel_features.h"
#include "observer/memread.h"
#include "server/server.h"

#define PROG "asyncdumpd"

/* The version, and what this kernel lets the daemon do (probing needs
 * the daemon's privileges). */
static int print_version(void)
{
	struct ad_features f;
	char err[512], line[256];
	int rc;

	printf("%s\n", ad_version_string());
	if (geteuid()) {
		printf("kernel: features not probed (run as root to see "
		       "them)\n");
		return AD_EXIT_OK;
	}
	rc = ad_features_probe(&f, err, sizeof(err));
	if (rc) {
		printf("kernel: %s\n", err);
		return AD_EXIT_OK;
	}
	for (unsigned int i = 0; ad_features_line(&f, i, line, sizeof(line));
	     i++)
		printf("kernel: %s\n", line);
	return AD_EXIT_OK;
}

/* --pid N (a DUMP) or --list (a LIST). */
static int run_client(const struct ad_options *opts)
{
	struct ad_request req;
	char err[1024];
	int code;

	ad_request_init(&req);
	req.verb = opts->mode == AD_MODE_LIST ? AD_VERB_LIST : AD_VERB_DUMP;
	req.pid = opts->pid; /* 0 with --list */
	req.opts = opts->dump;
	req.stuck_after_given = opts->stuck_after_given;
	/* `asyncdumpd --pid N | head`: a write error, said in one line and
	 * exit code 1 (the dump was not all written), not death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	code = ad_client_dump(opts->socket_path, &req, STDOUT_FILENO, err,
			      sizeof(err));
	if (code != AD_EXIT_OK)
		fprintf(stderr, PROG ": %s\n", err);
	return code;
}

int main(int argc, char *argv[])
{
	struct ad_options opts;
	char err[512];
	int code;

	/* the helper process that reads observed processes' memory */
	code = ad_memread_helper_main(argc, argv);
	if (code >= 0)
		return code;
	code = ad_exit_code(ad_options_parse(argc, argv, getenv(AD_SOCKET_ENV),
					     &opts, err, sizeof(err)),
			    AD_EXIT_USAGE);
	if (code != AD_EXIT_OK) {
		fprintf(stderr, PROG ": %s (see " PROG " --help)\n", err);
		ad_options_free(&opts);
		return code;
	}
	switch (opts.mode) {
	case AD_MODE_HELP:
		ad_usage(stdout, PROG);
		code = AD_EXIT_OK;
		break;
	case AD_MODE_VERSION:
		code = print_version();
		break;
	case AD_MODE_DAEMON:
		code = ad_server_run(&opts);
		break;
	case AD_MODE_DUMP:
	case AD_MODE_LIST:
		code = run_client(&opts);
		break;
	default:
		code = AD_EXIT_USAGE;
	}
	ad_options_free(&opts);
	return code;
}
