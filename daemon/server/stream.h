// SPDX-License-Identifier: BSD-2-Clause
/*
 * stream.h - an answer streamed into a client's socket as protocol 2 frames
 * it (core/protocol.h): "OK 2" just before the first chunk, each write of
 * the renderer one "D <n>" chunk, "END <total>" after the last, or an ERR
 * line in place of the next chunk if the body fails midway; all of it
 * within one send deadline. A dump (dump.h) and a list (list.h) are
 * answered this way.
 */
#ifndef AD_STREAM_H
#define AD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A dump's whole response must be taken by the client within this time,
 * however it reads (a total, not a per-write, timeout); one that is not
 * is dropped (its client says the dump was cut short). A 1M-frame JSON
 * dump takes about 2 s to a reader that keeps up. */
#define AD_SERVER_SEND_DEADLINE_S 20

struct ad_stream {
	int fd;
	int stop_fd;	     /* readable: the daemon is stopping, or -1 */
	bool started;	     /* "OK" sent */
	int err;	     /* 0, or -errno of the send that failed */
	int64_t deadline_ms; /* CLOCK_MONOTONIC, for the whole response */
	size_t bytes;	     /* of the body, sent */
};

/* Starts the answer on the connected socket fd, its deadline
 * AD_SERVER_SEND_DEADLINE_S from now, given up (-ECANCELED) once stop_fd
 * (or -1) turns readable, and returns the FILE to write the
 * body into (unbuffered: the renderers buffer, format.h), or NULL if it
 * cannot be made (out of memory). Nothing is sent before the first
 * write. */
FILE *ad_stream_open(struct ad_stream *s, int fd, int stop_fd);

/* Ends the answer whose body was written into out (NULL: ad_stream_open
 * failed) with result rc (0, or the renderer's -errno): closes out, then
 * sends "END", or the ERR line of a body that failed midway. `what` names
 * the body in messages ("process 1234", "the list"). Returns 0 once the
 * answer is over, *sent then 0 when all of it went out, else -errno:
 * -ETIMEDOUT when the client was dropped for not taking it within the
 * deadline, -ECANCELED when the daemon began to stop, -EPIPE or -ECONNRESET when it went away, another -errno when
 * the body failed midway (the client got an ERR line). Returns -errno
 * with a one-line message in msg when nothing was sent yet (the caller
 * answers with an ERR line). */
int ad_stream_close(struct ad_stream *s, FILE *out, int rc, const char *what,
		    int *sent, char *msg, size_t msglen);

#endif /* AD_STREAM_H */
