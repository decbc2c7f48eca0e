// SPDX-License-Identifier: BSD-2-Clause
/* probe_lib.h - the probes of probe_target, in the executable itself or in
 * a shared library (probe_lib.c) depending on the build variant. */
#ifndef AD_PROBE_LIB_H
#define AD_PROBE_LIB_H

void probe_enter(void *frame, const char *label); /* ENTER_DYN */
void probe_exit(void *frame);
void probe_hot(unsigned long long id); /* ENTER + EXIT */
int probe_active(void);		       /* ASYNCDUMP_ACTIVE() */

#endif
