// SPDX-License-Identifier: BSD-2-Clause
/*
 * late_lib - an instrumented shared library for dlopen_late.
 */
#include "asyncdump.h"

static char frame;

__attribute__((visibility("default"))) void late_enter(void)
{
	ASYNCDUMP_ENTER(&frame, "late library frame");
}
