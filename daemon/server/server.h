// SPDX-License-Identifier: BSD-2-Clause
/*
 * server.h - `asyncdumpd --daemon`: load and attach the observer, then
 * serve dump requests on a unix socket until SIGINT/SIGTERM; SIGHUP
 * reads the config file again (settings.h).
 *
 * One poll() loop watches the listening socket, the clients' request
 * lines (read without blocking), the observer's exit-event ring buffer, a
 * signalfd and the workers' finished dumps, and sweeps stale records every
 * few seconds. Dumps run on a few worker threads (pool.h), which read the
 * observer under a lock the loop takes for writing when it changes it.
 */
#ifndef AD_SERVER_H
#define AD_SERVER_H

#include "core/options.h"

/* Seconds between full sweeps (ad_observer_gc) of records whose process
 * is gone; exit events normally reclaim them sooner. */
#define AD_SERVER_GC_INTERVAL_S 5
/* Runs the daemon in the foreground with the command line's options
 * over the config file's. Returns the process exit code: AD_EXIT_OK
 * after SIGINT/SIGTERM, AD_EXIT_USAGE for a bad config file or nothing
 * to observe, AD_EXIT_ATTACH / AD_EXIT_PERMISSION / AD_EXIT_FAILURE with
 * a logged message otherwise. */
int ad_server_run(const struct ad_options *cli);

#endif /* AD_SERVER_H */
