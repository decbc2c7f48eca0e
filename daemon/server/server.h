// SPDX-License-Identifier: BSD-2-Clause
/*
 * server.h - `asyncdumpd --daemon`: load and attach the observer, then
 * serve dump requests on a unix socket until SIGINT/SIGTERM.
 *
 * One poll() loop watches the listening socket, the observer's exit-event
 * ring buffer and a signalfd, and sweeps stale records every few seconds.
 * Requests are served one at a time: a dump is a short burst of map reads
 * and memory reads, and one thread keeps the observer free of locking.
 */
#ifndef AD_SERVER_H
#define AD_SERVER_H

#include "core/options.h"

/* Seconds between full sweeps (ad_observer_gc) of records whose process
 * is gone; exit events normally reclaim them sooner. */
#define AD_SERVER_GC_INTERVAL_S 5
/* Runs the daemon in the foreground. Returns the process exit code:
 * AD_EXIT_OK after SIGINT/SIGTERM, AD_EXIT_ATTACH / AD_EXIT_PERMISSION /
 * AD_EXIT_FAILURE with a logged message otherwise. */
int ad_server_run(const struct ad_options *opts);

#endif /* AD_SERVER_H */
