// SPDX-License-Identifier: BSD-2-Clause
/*
 * access.h - who may dump what (README "Who may dump what"). Pure: the
 * facts are gathered from /proc by server/authorize.c; here they are
 * parsed (a /proc/<pid>/status text) and judged, so unit tests drive
 * every rule with synthetic facts.
 *
 * A dump shows a process's memory (labels carry lock names, peers,
 * request ids), so the rules are the kernel's own for reading it with
 * ptrace: root and CAP_SYS_PTRACE may dump anything; another user only a
 * dumpable process whose user and group ids are all its own; and
 * kernel.yama.ptrace_scope narrows that as it narrows ptrace. An optional
 * group (--dump-group) is granted what CAP_SYS_PTRACE is.
 */
#ifndef AD_CORE_ACCESS_H
#define AD_CORE_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The capability's bit in a CapEff mask (linux/capability.h). */
#define AD_CAP_SYS_PTRACE 19
/* Longest ppid chain followed from a target up to pid 1. */
#define AD_ACCESS_MAX_LINEAGE 4096

/* What /proc/<pid>/status says (the fields the rules need). */
struct ad_proc_status {
	pid_t tgid, ppid;
	uid_t uid[4]; /* real, effective, saved, file system */
	gid_t gid[4];
	uint64_t cap_eff;
	gid_t *groups; /* supplementary groups, owned (malloc) */
	size_t ngroups;
	/* which lines were found: a status without them is not trusted */
	bool has_tgid, has_ppid, has_uid, has_gid, has_cap_eff, has_groups;
};

/* Parses a status text (len bytes, NUL not needed). 0, -EINVAL if a line
 * the rules need (Tgid, PPid, Uid, Gid) is missing or malformed, -ENOMEM.
 * Free with ad_proc_status_free() whatever it returned. */
int ad_proc_status_parse(const char *text, size_t len,
			 struct ad_proc_status *st);
void ad_proc_status_free(struct ad_proc_status *st);

/* Who asks. pid, uid and gid are SO_PEERCRED's (the kernel's word, taken
 * at connect()). The rest is read from /proc/<pid>: `known` says it was
 * read from the peer itself (not from a process that took its pid since,
 * and with the credentials SO_PEERCRED gave); when it is false, the peer
 * gets no capability and no supplementary group. */
struct ad_access_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool known;
	bool same_userns; /* capabilities count only in the daemon's userns */
	uint64_t cap_eff;
	const gid_t *groups;
	size_t ngroups;
};

/* The process asked for, as /proc shows it when the dump is made. */
struct ad_access_target {
	pid_t pid;
	uid_t uid[3]; /* real, effective, saved */
	gid_t gid[3];
	/* Owner of /proc/<pid>/status: the effective uid while the process
	 * is dumpable, root once it is not (setuid, PR_SET_DUMPABLE 0). */
	uid_t proc_owner;
	/* For ptrace_scope 1: the target's thread-group id, its parent's,
	 * its grandparent's, ... (as far as was read); complete when the
	 * chain reached pid 1 (or the peer). */
	const pid_t *lineage;
	size_t nlineage;
	bool lineage_complete;
};

/* The daemon's settings. */
struct ad_access_policy {
	bool has_group; /* --dump-group given */
	gid_t group;
	char group_name[64];
};

/* The value of kernel.yama.ptrace_scope when it could not be read: the
 * strictest reading is taken. */
#define AD_PTRACE_SCOPE_UNKNOWN (-1)

enum ad_access {
	/* allowed */
	AD_ACCESS_ROOT,	 /* the peer is uid 0 */
	AD_ACCESS_CAP,	 /* CAP_SYS_PTRACE in its effective set */
	AD_ACCESS_GROUP, /* a member of --dump-group */
	AD_ACCESS_OWNER, /* its own process, as ptrace would allow */
	/* refused */
	AD_ACCESS_DENY_SCOPE_UNKNOWN, /* ptrace_scope unreadable: root only */
	AD_ACCESS_DENY_SCOPE3,	      /* ptrace_scope 3: root only */
	AD_ACCESS_DENY_SCOPE2,	      /* ptrace_scope 2: privileged only */
	AD_ACCESS_DENY_UID,	     /* a uid of the target is not the peer's */
	AD_ACCESS_DENY_GID,	     /* a gid of the target is not the peer's */
	AD_ACCESS_DENY_NOT_DUMPABLE, /* the target is not dumpable */
	AD_ACCESS_DENY_NOT_DESCENDANT, /* ptrace_scope 1, not a descendant */
};

static inline bool ad_access_allowed(enum ad_access a)
{
	return a <= AD_ACCESS_OWNER;
}

/* The rules, in order (ptrace_scope outside 0..3 is
 * AD_PTRACE_SCOPE_UNKNOWN):
 *   1. uid 0 may dump anything.
 *   2. ptrace_scope 3 (or unknown): nobody else.
 *   3. CAP_SYS_PTRACE (effective, in the daemon's user namespace), or the
 *      --dump-group as gid or supplementary group: anything.
 *   4. ptrace_scope 2: nobody else.
 *   5. the target's real, effective and saved uids must all be the peer's
 *      uid, its gids the peer's gid, and it must be dumpable;
 *   6. ptrace_scope 1: and it must descend from the peer (or be it). */
enum ad_access ad_access_decide(const struct ad_access_peer *peer,
				const struct ad_access_target *target,
				int ptrace_scope,
				const struct ad_access_policy *policy);

/* Why: "root", "CAP_SYS_PTRACE", "member of --dump-group NAME", "own
 * process", or the refusal's short reason; for the log. */
const char *ad_access_name(enum ad_access a);

/* The one-line refusal the client prints:
 * "not allowed to dump pid 1234 (owned by uid 0; you are uid 1000): why,
 * and what to do". Returns the length snprintf would have written. */
int ad_access_refusal(enum ad_access a, const struct ad_access_peer *peer,
		      const struct ad_access_target *target, int ptrace_scope,
		      const struct ad_access_policy *policy, char *msg,
		      size_t msglen);

#endif /* AD_CORE_ACCESS_H */
