// SPDX-License-Identifier: BSD-2-Clause
/*
 * access.c - who may dump what (access.h): /proc/<pid>/status parsed, and
 * the rules applied to the facts server/authorize.c gathers.
 */
#include "core/access.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- /proc/<pid>/status ------------------------------------------------ */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A decimal number at *p (after blanks), at most max; moves *p past it. */
static bool take_decimal(const char **p, const char *end, uint64_t max,
			 uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	while (s < end && is_blank(*s))
		s++;
	if (s == end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*p = s;
	*out = v;
	return true;
}

/* Nothing but blanks left before end. */
static bool rest_blank(const char *s, const char *end)
{
	while (s < end && is_blank(*s))
		s++;
	return s == end;
}

static bool parse_one(const char *s, const char *end, uint64_t max,
		      uint64_t *out)
{
	return take_decimal(&s, end, max, out) && rest_blank(s, end);
}

/* "Uid:" / "Gid:": four ids. */
static bool parse_ids(const char *s, const char *end, uint32_t ids[4])
{
	uint64_t v;

	for (int i = 0; i < 4; i++) {
		if (!take_decimal(&s, end, UINT32_MAX, &v))
			return false;
		ids[i] = (uint32_t)v;
	}
	return rest_blank(s, end);
}

static bool parse_hex64(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	while (s < end && is_blank(*s))
		s++;
	for (; s < end && !is_blank(*s); s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		if (digits >= 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (!digits || !rest_blank(s, end))
		return false;
	*out = v;
	return true;
}

/* "Groups:": zero or more gids. -EINVAL, -ENOMEM or 0. */
static int parse_groups(const char *s, const char *end,
			struct ad_proc_status *st)
{
	size_t cap = 0;
	uint64_t v;

	for (;;) {
		while (s < end && is_blank(*s))
			s++;
		if (s == end)
			return 0;
		if (!take_decimal(&s, end, UINT32_MAX, &v))
			return -EINVAL;
		if (st->ngroups == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			gid_t *g = realloc(st->groups, ncap * sizeof(*g));

			if (!g)
				return -ENOMEM;
			st->groups = g;
			cap = ncap;
		}
		st->groups[st->ngroups++] = (gid_t)v;
	}
}

/* The value of line [s, end) if it is "name:..." */
static const char *field(const char *s, const char *end, const char *name)
{
	size_t n = strlen(name);

	if ((size_t)(end - s) <= n || memcmp(s, name, n) || s[n] != ':')
		return NULL;
	return s + n + 1;
}

int ad_proc_status_parse(const char *text, size_t len,
			 struct ad_proc_status *st)
{
	const char *p = text, *end = text + len;
	uint64_t v = 0; /* read below even when a parse failed */

	memset(st, 0, sizeof(*st));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *val;
		bool ok = true;

		if ((val = field(p, eol, "Tgid"))) {
			ok = parse_one(val, eol, INT32_MAX, &v);
			st->tgid = (pid_t)v;
			st->has_tgid = ok;
		} else if ((val = field(p, eol, "PPid"))) {
			ok = parse_one(val, eol, INT32_MAX, &v);
			st->ppid = (pid_t)v;
			st->has_ppid = ok;
		} else if ((val = field(p, eol, "Uid"))) {
			ok = st->has_uid = parse_ids(val, eol, st->uid);
		} else if ((val = field(p, eol, "Gid"))) {
			ok = st->has_gid = parse_ids(val, eol, st->gid);
		} else if ((val = field(p, eol, "CapEff"))) {
			ok = st->has_cap_eff =
				parse_hex64(val, eol, &st->cap_eff);
		} else if ((val = field(p, eol, "Groups"))) {
			int rc = parse_groups(val, eol, st);

			if (rc == -ENOMEM)
				return rc;
			ok = st->has_groups = rc == 0;
		}
		if (!ok)
			return -EINVAL;
		p = nl ? nl + 1 : end;
	}
	if (!st->has_tgid || !st->has_ppid || !st->has_uid || !st->has_gid)
		return -EINVAL;
	return 0;
}

void ad_proc_status_free(struct ad_proc_status *st)
{
	free(st->groups);
	st->groups = NULL;
	st->ngroups = 0;
}

/* ---- the rules ----------------------------------------------------------- */

static bool in_group(const struct ad_access_peer *peer,
		     const struct ad_access_policy *policy)
{
	if (!policy || !policy->has_group)
		return false;
	if (peer->gid == policy->group)
		return true;
	if (!peer->known)
		return false;
	for (size_t i = 0; i < peer->ngroups; i++)
		if (peer->groups[i] == policy->group)
			return true;
	return false;
}

static bool has_ptrace_cap(const struct ad_access_peer *peer)
{
	return peer->known && peer->same_userns &&
	       (peer->cap_eff >> AD_CAP_SYS_PTRACE & 1);
}

static bool descends_from_peer(const struct ad_access_peer *peer,
			       const struct ad_access_target *t)
{
	for (size_t i = 0; i < t->nlineage; i++)
		if (t->lineage[i] == peer->pid && peer->pid > 0)
			return true;
	return false;
}

enum ad_access ad_access_decide(const struct ad_access_peer *peer,
				const struct ad_access_target *t,
				int ptrace_scope,
				const struct ad_access_policy *policy)
{
	if (peer->uid == 0)
		return AD_ACCESS_ROOT;
	if (ptrace_scope < 0 || ptrace_scope > 3)
		return AD_ACCESS_DENY_SCOPE_UNKNOWN;
	if (ptrace_scope == 3)
		return AD_ACCESS_DENY_SCOPE3;
	if (has_ptrace_cap(peer))
		return AD_ACCESS_CAP;
	if (in_group(peer, policy))
		return AD_ACCESS_GROUP;
	if (ptrace_scope == 2)
		return AD_ACCESS_DENY_SCOPE2;
	for (int i = 0; i < 3; i++)
		if (t->uid[i] != peer->uid)
			return AD_ACCESS_DENY_UID;
	for (int i = 0; i < 3; i++)
		if (t->gid[i] != peer->gid)
			return AD_ACCESS_DENY_GID;
	if (t->proc_owner != peer->uid)
		return AD_ACCESS_DENY_NOT_DUMPABLE;
	if (ptrace_scope == 1 && !descends_from_peer(peer, t))
		return AD_ACCESS_DENY_NOT_DESCENDANT;
	return AD_ACCESS_OWNER;
}

const char *ad_access_name(enum ad_access a)
{
	switch (a) {
	case AD_ACCESS_ROOT:
		return "root";
	case AD_ACCESS_CAP:
		return "CAP_SYS_PTRACE";
	case AD_ACCESS_GROUP:
		return "member of --dump-group";
	case AD_ACCESS_OWNER:
		return "own process";
	case AD_ACCESS_DENY_SCOPE_UNKNOWN:
		return "ptrace_scope unreadable";
	case AD_ACCESS_DENY_SCOPE3:
		return "ptrace_scope 3";
	case AD_ACCESS_DENY_SCOPE2:
		return "ptrace_scope 2";
	case AD_ACCESS_DENY_UID:
		return "another user's process";
	case AD_ACCESS_DENY_GID:
		return "another group's process";
	case AD_ACCESS_DENY_NOT_DUMPABLE:
		return "not dumpable";
	case AD_ACCESS_DENY_NOT_DESCENDANT:
		return "ptrace_scope 1, not a descendant";
	}
	return "?";
}

int ad_access_refusal(enum ad_access a, const struct ad_access_peer *peer,
		      const struct ad_access_target *t, int ptrace_scope,
		      const struct ad_access_policy *policy, char *msg,
		      size_t msglen)
{
	char group[96] = "";
	char why[320];

	if (policy && policy->has_group)
		snprintf(group, sizeof(group), " or in group %s",
			 policy->group_name);
	switch (a) {
	case AD_ACCESS_DENY_SCOPE_UNKNOWN:
		if (ptrace_scope < 0)
			snprintf(why, sizeof(why),
				 "kernel.yama.ptrace_scope could not be read, "
				 "so only root may dump");
		else
			snprintf(why, sizeof(why),
				 "kernel.yama.ptrace_scope is %d, a value this "
				 "daemon does not know, so only root may dump",
				 ptrace_scope);
		break;
	case AD_ACCESS_DENY_SCOPE3:
		snprintf(why, sizeof(why),
			 "kernel.yama.ptrace_scope is 3 (no ptrace at all), so "
			 "only root may dump");
		break;
	case AD_ACCESS_DENY_SCOPE2:
		snprintf(
			why, sizeof(why),
			"kernel.yama.ptrace_scope is 2 (admin-only ptrace), so "
			"only root, CAP_SYS_PTRACE%s may dump",
			group);
		break;
	case AD_ACCESS_DENY_UID:
		snprintf(why, sizeof(why),
			 "it runs as another user (real/effective/saved uid "
			 "%u/%u/%u): dump your own processes, or ask root "
			 "(or CAP_SYS_PTRACE%s)",
			 (unsigned)t->uid[0], (unsigned)t->uid[1],
			 (unsigned)t->uid[2], group);
		break;
	case AD_ACCESS_DENY_GID:
		snprintf(why, sizeof(why),
			 "its real/effective/saved gid %u/%u/%u are not all "
			 "your gid %u (a setgid program, or started in "
			 "another group): ask root (or CAP_SYS_PTRACE%s)",
			 (unsigned)t->gid[0], (unsigned)t->gid[1],
			 (unsigned)t->gid[2], (unsigned)peer->gid, group);
		break;
	case AD_ACCESS_DENY_NOT_DUMPABLE:
		snprintf(why, sizeof(why),
			 "it is not dumpable (setuid/setgid or file "
			 "capabilities, or prctl(PR_SET_DUMPABLE, 0)), so as "
			 "with ptrace only root (or CAP_SYS_PTRACE%s) may "
			 "dump it",
			 group);
		break;
	case AD_ACCESS_DENY_NOT_DESCENDANT:
		snprintf(
			why, sizeof(why),
			"kernel.yama.ptrace_scope is 1, so you may dump only "
			"your own descendants (pid %d is not one of pid %d's%s)"
			": ask root (or CAP_SYS_PTRACE%s)",
			(int)t->pid, (int)peer->pid,
			t->lineage_complete ? "" : ", as far as could be read",
			group);
		break;
	default:
		snprintf(why, sizeof(why), "allowed (%s)", ad_access_name(a));
		break;
	}
	return snprintf(msg, msglen,
			"not allowed to dump pid %d (owned by uid %u; you are "
			"uid %u): %s",
			(int)t->pid, (unsigned)t->uid[1], (unsigned)peer->uid,
			why);
}
