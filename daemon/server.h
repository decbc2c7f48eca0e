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

#include "options.h"

/* Seconds between full sweeps (ad_observer_gc) of records whose process
 * is gone; exit events normally reclaim them sooner. */
#define AD_SERVER_GC_INTERVAL_S 5
/* A client that stalls this long while sending its request or reading the
 * response is dropped, so it cannot hold the single-threaded loop. */
#define AD_SERVER_IO_TIMEOUT_S 5

/* Runs the daemon in the foreground. Returns the process exit code:
 * AD_EXIT_OK after SIGINT/SIGTERM, AD_EXIT_ATTACH / AD_EXIT_PERMISSION /
 * AD_EXIT_FAILURE with a logged message otherwise. */
int ad_server_run(const struct ad_options *opts);

/* Creates, binds and listens on the unix socket at `path` (mode 0600,
 * parent directories created 0755). A stale socket file with no listener
 * is replaced; a live one is an error. Returns the listening fd, or -errno
 * with a message in err. Exposed for tests. */
int ad_server_listen(const char *path, char *err, size_t errlen);

#endif /* AD_SERVER_H */
