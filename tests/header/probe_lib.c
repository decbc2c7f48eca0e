// SPDX-License-Identifier: BSD-2-Clause
/* probe_lib.c - see probe_lib.h. Linked into the executable, or built as
 * libadprobes.so for the shared-library attach variant. */
#include "probe_lib.h"

#include "asyncdump.h"

void probe_enter(void *frame, const char *label)
{
	ASYNCDUMP_ENTER_DYN(frame, label);
}

void probe_exit(void *frame)
{
	ASYNCDUMP_EXIT(frame);
}

__attribute__((noinline)) void probe_hot(unsigned long long id)
{
	ASYNCDUMP_ENTER(id, "hot");
	ASYNCDUMP_EXIT(id);
}

int probe_active(void)
{
	return ASYNCDUMP_ACTIVE();
}
