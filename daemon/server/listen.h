// SPDX-License-Identifier: BSD-2-Clause
/*
 * listen.h - the daemon's unix socket. Every function returns a file
 * descriptor or 0 on success, -errno with a message in err on failure.
 */
#ifndef AD_LISTEN_H
#define AD_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

/* -EADDRINUSE (with the message) if a daemon answers at path; 0 if
 * nothing does (no file, not a socket, or a stale one). */
int ad_socket_check_free(const char *path, char *err, size_t errlen);

/* Takes an exclusive flock on "<path>.lock" (creating path's directories
 * 0755), held until the fd is closed or the process exits, even by
 * SIGKILL. Only its holder may replace a stale socket, so two daemons
 * starting at once cannot take each other's. The lock file is never
 * removed: unlinking a lock file reopens the very race it closes.
 * Returns the fd; -EADDRINUSE when another daemon holds it. */
int ad_socket_lock(const char *path, char *err, size_t errlen);

/* Creates, binds and listens on the unix socket at `path` (mode 0666 from
 * the moment it exists: every request is authorized on its own, see
 * authorize.h; parent directories created 0755). A stale socket
 * file with no listener is replaced; a live one is an error. Returns the
 * listening fd (non-blocking). */
int ad_socket_listen(const char *path, char *err, size_t errlen);

/* Removes the socket at path if it is still the one bound (dev, ino): a
 * successor's is left alone. */
void ad_socket_remove(const char *path, dev_t dev, ino_t ino);

#endif /* AD_LISTEN_H */
