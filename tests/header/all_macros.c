// SPDX-License-Identifier: BSD-2-Clause
/*
 * all_macros.c - uses every macro of usdt/asyncdump.h. Compiled (and run,
 * unobserved) by the header compile matrix in CMakeLists.txt: gcc and clang
 * as -std=c99, -std=c11, -std=gnu11, g++ and clang++ as -std=c++17, each
 * with -Wall -Wextra -Wpedantic -Werror, with and without ASYNCDUMP_DISABLE.
 * Valid C and C++ both (the C++ build compiles this file with -x c++).
 */
#include "asyncdump.h"

struct task {
	int dummy;
};

static int expensive_calls;

static const char *expensive_label(void)
{
	expensive_calls++;
	return "expensive";
}

static void scoped(int depth)
{
	ASYNCDUMP_SCOPE("scoped");
	if (depth > 0) {
		ASYNCDUMP_SCOPE(
			"nested scope"); /* two guards in one function */
		scoped(depth - 1);
	}
}

static void scoped_dyn(const char *label)
{
	ASYNCDUMP_SCOPE_DYN(label);
	ASYNCDUMP_SCOPE_F("flagged scope", ASYNCDUMP_F_LONG_RUNNING);
	ASYNCDUMP_SCOPE_F(label, ASYNCDUMP_F_DYN | ASYNCDUMP_F_VERBOSE);
}

/* A wrapper that records its caller's site (ASYNCDUMP_HERE at the
 * caller's line, through the macro). */
static void wrapped_wait(const struct asyncdump_site *site, void *frame,
			 const char *label)
{
	ASYNCDUMP_ENTER_SITE(site, frame, label, 0);
	ASYNCDUMP_EXIT(frame);
}
#define WRAPPED_WAIT(frame) wrapped_wait(ASYNCDUMP_HERE(), frame, "wrapped")

int main(int argc, char **argv)
{
	struct task parent, child;
	char frame_a, frame_b, frame_c, frame_d[2], frame_e[4];
	const char *dyn = argc > 1 ? argv[1] : "runtime label";
	unsigned flags = ASYNCDUMP_F_DYN | ASYNCDUMP_F_VERBOSE;

	ASYNCDUMP_TASK_SPAWN(&parent, 0, 0, "parent");
	ASYNCDUMP_TASK_SPAWN_DYN(&child, &parent, &frame_a, dyn);
	ASYNCDUMP_POLL_BEGIN(&parent);
	ASYNCDUMP_ENTER(&frame_a, "literal");
	ASYNCDUMP_ENTER_DYN(&frame_b, dyn);
	ASYNCDUMP_ENTER_AT(&parent, &frame_c, &frame_a, "at", 0);
	ASYNCDUMP_ENTER_AT(0, &frame_d[0], 0, dyn, flags);
	ASYNCDUMP_ENTER_AT(0, 12345, 0, "long", ASYNCDUMP_F_LONG_RUNNING);
	/* flag-taking ENTERs: literal and runtime labels, constant and
	 * runtime flags, and the sentinel spelled out through ENTER_AT */
	ASYNCDUMP_ENTER_F(&frame_e[0], "long", ASYNCDUMP_F_LONG_RUNNING);
	ASYNCDUMP_ENTER_F(&frame_e[1], dyn, flags);
	ASYNCDUMP_ENTER_AT(&parent, &frame_e[2], ASYNCDUMP_PARENT_INNERMOST,
			   "innermost", ASYNCDUMP_F_VERBOSE);
	ASYNCDUMP_ENTER(&frame_e[3], "under the flagged frames");
	ASYNCDUMP_EXIT(&frame_e[3]);
	ASYNCDUMP_EXIT(&frame_e[2]);
	ASYNCDUMP_EXIT(&frame_e[1]);
	ASYNCDUMP_EXIT(&frame_e[0]);
	ASYNCDUMP_MOVE(&frame_c, 0);
	ASYNCDUMP_MOVE(&frame_c, &frame_b);
	if (ASYNCDUMP_ACTIVE())
		ASYNCDUMP_ENTER_DYN(&frame_d[1], expensive_label());
	scoped(2);
	scoped_dyn(dyn);
	WRAPPED_WAIT(&frame_e[0]);
	ASYNCDUMP_ENTER_AT_SITE(ASYNCDUMP_HERE(), &parent, &frame_e[1],
				&frame_a, "at a site", ASYNCDUMP_F_VERBOSE);
	ASYNCDUMP_EXIT(&frame_e[1]);
	ASYNCDUMP_TASK_SPAWN_SITE(ASYNCDUMP_HERE(), &frame_e[2], &parent, 0,
				  dyn);
	ASYNCDUMP_TASK_EXIT(&frame_e[2]);
	ASYNCDUMP_EXIT(12345);
	ASYNCDUMP_EXIT(&frame_d[0]);
	ASYNCDUMP_EXIT(&frame_c);
	ASYNCDUMP_EXIT(&frame_b);
	ASYNCDUMP_EXIT(&frame_a);
	ASYNCDUMP_POLL_END(&parent);
	ASYNCDUMP_TASK_EXIT(&child);
	ASYNCDUMP_TASK_EXIT(&parent);
	/* Unobserved, ASYNCDUMP_ACTIVE() is 0 and the guarded call never ran. */
	return expensive_calls == 0 ? 0 : 1;
}
