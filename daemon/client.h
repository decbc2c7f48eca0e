// SPDX-License-Identifier: BSD-2-Clause
/*
 * client.h - `asyncdumpd --pid N` and `--list`: ask the running daemon for
 * one dump (or the list of what may be dumped) and copy it to a file
 * descriptor.
 */
#ifndef AD_CLIENT_H
#define AD_CLIENT_H

#include <stddef.h>

#include "core/protocol.h"

/* Seconds the client waits for the daemon between two reads before it
 * gives up (a dump of a million frames takes a few seconds). */
#define AD_CLIENT_TIMEOUT_S 60

/* Sends `req` (a DUMP or a LIST) to the daemon at socket_path and copies
 * the answer to out_fd.
 * Returns the exit code the process should end with: AD_EXIT_OK, or the
 * code the daemon answered, or AD_EXIT_NO_OBSERVER / AD_EXIT_PERMISSION /
 * AD_EXIT_FAILURE with a one-line message (no "asyncdumpd: " prefix, no
 * newline) saying what failed and what to do in err. */
int ad_client_dump(const char *socket_path, const struct ad_request *req,
		   int out_fd, char *err, size_t errlen);

#endif /* AD_CLIENT_H */
