// SPDX-License-Identifier: BSD-2-Clause
/*
 * authorize.h - every dump request checked against the process asked for,
 * when the dump is made: the facts read from /proc (the peer's
 * capabilities and groups, the target's ids, whether it is dumpable, its
 * ancestors, kernel.yama.ptrace_scope), judged by core/access.h.
 */
#ifndef AD_SERVER_AUTHORIZE_H
#define AD_SERVER_AUTHORIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/access.h"

struct ucred;

/* Where kernel.yama.ptrace_scope is read (absent: Yama is not built in,
 * which is ptrace_scope 0); the environment variable points the daemon
 * at another file, for tests on a kernel without Yama. */
#define AD_PTRACE_SCOPE_PATH "/proc/sys/kernel/yama/ptrace_scope"
#define AD_PTRACE_SCOPE_ENV "ASYNCDUMP_PTRACE_SCOPE_FILE"

/* The policy for --dump-group `group` (NULL: none): the name resolved
 * with getgrnam (or a number). 0, or -EINVAL with a message in err. */
int ad_authorize_init(struct ad_access_policy *policy, const char *group,
		      char *err, size_t errlen);

/* May the client on socket fd, with SO_PEERCRED `peer`, dump pid now?
 * 0 if so; else -EPERM (refused) or -ESRCH (no such process) with the
 * one-line answer in msg. Refusals and privileged grants are logged. */
int ad_authorize(const struct ad_access_policy *policy, int fd,
		 const struct ucred *peer, pid_t pid, char *msg, size_t msglen);

/* One client's facts, read once to judge many processes (a list): who
 * it is (as ad_authorize reads it) and kernel.yama.ptrace_scope. */
struct ad_authorizer {
	const struct ad_access_policy *policy;
	struct ad_access_peer peer;
	struct ad_proc_status st; /* the client's status (peer.groups) */
	int scope;
};

/* Reads the facts of the client on socket fd, with SO_PEERCRED `peer`.
 * Free with ad_authorizer_fini. */
void ad_authorizer_init(struct ad_authorizer *z,
			const struct ad_access_policy *policy, int fd,
			const struct ucred *peer);
/* May z's client dump pid now? The rules and facts of ad_authorize, read
 * the same way when asked; nothing is logged and nothing says why (a
 * process that cannot be judged, or no longer exists, is not allowed). */
bool ad_authorizer_allows(const struct ad_authorizer *z, pid_t pid);
void ad_authorizer_fini(struct ad_authorizer *z);

#endif /* AD_SERVER_AUTHORIZE_H */
