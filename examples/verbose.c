/*
 * verbose - frames marked ASYNCDUMP_F_VERBOSE, hidden unless the dump asks
 * for them (await-tree's `.verbose()` spans).
 *
 * One task "verbose":
 *   handle request
 *     parse headers            (verbose)
 *     query db
 *       encode row             (verbose)
 * Without --verbose a dump shows handle request -> query db only; with
 * --verbose it shows all four, in enter order. A line on stdin finishes.
 */
#include "asyncdump.h"
#include "executor.h"

struct vb {
	char request, parse, query, encode;
};

static enum ex_poll poll_vb(struct ex_task *t)
{
	struct vb *v = t->data;

	if (t->state++ == 0) {
		ASYNCDUMP_ENTER(&v->request, "handle request");
		ASYNCDUMP_ENTER_AT(0, &v->parse, &v->request, "parse headers",
				   ASYNCDUMP_F_VERBOSE);
		ASYNCDUMP_ENTER_AT(0, &v->query, &v->request, "query db", 0);
		ASYNCDUMP_ENTER_AT(0, &v->encode, &v->query, "encode row",
				   ASYNCDUMP_F_VERBOSE);
		return EX_PENDING;
	}
	ASYNCDUMP_EXIT(&v->encode);
	ASYNCDUMP_EXIT(&v->query);
	ASYNCDUMP_EXIT(&v->parse);
	ASYNCDUMP_EXIT(&v->request);
	return EX_DONE;
}

int main(void)
{
	struct ex_executor ex;
	struct ex_task task;
	struct vb v;

	ex_init(&ex);
	ex_spawn(&ex, &task, "verbose", poll_vb, &v, NULL, NULL);
	ex_run_until_idle(&ex);
	ex_ready(NULL);
	ex_wake(&ex, &task);
	ex_run_until_idle(&ex);
	ex_fini(&ex);
	return 0;
}
