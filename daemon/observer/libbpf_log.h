// SPDX-License-Identifier: BSD-2-Clause
/*
 * libbpf_log.h - where libbpf's own messages go: nowhere, unless
 * ASYNCDUMP_DEBUG is set (then to stderr; stdout is a dump's); and what a
 * message about a failed libbpf call says about them and about privilege.
 */
#ifndef AD_LIBBPF_LOG_H
#define AD_LIBBPF_LOG_H

#include <stdbool.h>

#define AD_DEBUG_ENV "ASYNCDUMP_DEBUG"

/* Sets libbpf's print function by ASYNCDUMP_DEBUG. */
void ad_libbpf_log_init(void);
/* Whether libbpf's messages are shown (an error message then says "see
 * libbpf's log above" instead of "set ASYNCDUMP_DEBUG=1"). */
bool ad_libbpf_log_shown(void);

/* Where libbpf's own account of a failure is (the verifier's log, a note
 * it could not parse): " (libbpf's log above says why)", or how to see
 * it. */
const char *ad_libbpf_reason(void);

/* For an -e of EPERM/EACCES: "run as root" when we are not; as root the
 * refusal came from the verifier or a security policy, and
 * ad_privilege_reason() adds where libbpf says which. "" for others. */
const char *ad_privilege_hint(int e);
const char *ad_privilege_reason(int e);

#endif /* AD_LIBBPF_LOG_H */
