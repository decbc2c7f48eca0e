// SPDX-License-Identifier: BSD-2-Clause
/*
 * request.h - one client's connection served: a request line, then a dump
 * or an ERR line.
 */
#ifndef AD_REQUEST_H
#define AD_REQUEST_H

struct ad_observer;
struct ad_access_policy;

/* A client that stalls this long while sending its request or reading the
 * response is dropped, so it cannot hold the single-threaded loop. */
#define AD_SERVER_IO_TIMEOUT_S 5

/* What serving a connection came to. */
enum ad_served {
	AD_SERVED_NOTHING, /* no request (a liveness check) or a bad one */
	AD_SERVED_FAILED,  /* a dump was asked for and failed (it may have
			    * allocated memory) or the client left */
	AD_SERVED_DUMP,	   /* a whole dump was sent */
};

/* Serves the connected client fd (the caller closes it): a dump only if
 * `access` lets this client dump the process it asks for. */
enum ad_served ad_serve_client(struct ad_observer *obs,
			       const struct ad_access_policy *access, int fd);

#endif /* AD_REQUEST_H */
