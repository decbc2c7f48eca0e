// SPDX-License-Identifier: BSD-2-Clause
/*
 * exit_codes.c - see exit_codes.h.
 */
#include "core/exit_codes.h"

#include <errno.h>

int ad_exit_code(int e, enum ad_exit otherwise)
{
	switch (-e) {
	case 0:
		return AD_EXIT_OK;
	case EINVAL:
		return AD_EXIT_USAGE;
	case ECONNREFUSED:
		return AD_EXIT_NO_OBSERVER;
	case ENODATA:
		return AD_EXIT_NOT_OBSERVED;
	case ESRCH:
		return AD_EXIT_NO_PROCESS;
	case EPERM:
	case EACCES:
		return AD_EXIT_PERMISSION;
	case ENOTSUP:
		return AD_EXIT_KERNEL;
	case EUSERS:
		return AD_EXIT_PROCS_FULL;
	default:
		return otherwise;
	}
}
