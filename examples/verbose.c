// SPDX-License-Identifier: BSD-2-Clause
/*
 * verbose - frames marked ASYNCDUMP_F_VERBOSE, hidden unless the dump asks
 * for them (await-tree's `.verbose()` spans).
 *
 * One task "verbose":
 *   handle request
 *     parse headers            (verbose, ENTER_AT: a sibling)
 *     query db                 (plain ENTER: under handle request)
 *       encode row             (verbose, ENTER_F: the innermost frame)
 *         send row             (plain ENTER: nests under encode row)
 * Without --verbose a dump shows handle request -> query db -> send row
 * (a hidden frame's children take its place); with --verbose it shows all
 * five, in enter order. A line on stdin finishes.
 */
#include "asyncdump.h"
#include "executor.h"

struct vb {
	char request, parse, query, encode, send;
};

static enum ex_poll poll_vb(struct ex_task *t)
{
	struct vb *v = t->data;

	if (t->state++ == 0) {
		ASYNCDUMP_ENTER(&v->request, "handle request");
		/* ENTER_AT leaves handle request the innermost frame */
		ASYNCDUMP_ENTER_AT(0, &v->parse, &v->request, "parse headers",
				   ASYNCDUMP_F_VERBOSE);
		ASYNCDUMP_ENTER(&v->query, "query db");
		ASYNCDUMP_ENTER_F(&v->encode, "encode row",
				  ASYNCDUMP_F_VERBOSE);
		ASYNCDUMP_ENTER(&v->send, "send row");
		return EX_PENDING;
	}
	ASYNCDUMP_EXIT(&v->send);
	ASYNCDUMP_EXIT(&v->encode);
	ASYNCDUMP_EXIT(&v->query);
	ASYNCDUMP_EXIT(&v->parse);
	ASYNCDUMP_EXIT(&v->request);
	return EX_DONE;
}

int main(void)
{
	struct vb v;

	return ex_main_one("verbose", poll_vb, &v);
}
