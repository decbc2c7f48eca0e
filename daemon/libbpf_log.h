/*
 * libbpf_log.h - where libbpf's own messages go: nowhere, unless
 * ASYNCDUMP_DEBUG is set (then to stderr; stdout is a dump's).
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

#endif /* AD_LIBBPF_LOG_H */
