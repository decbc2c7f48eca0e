// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_access.c - who may dump what (core/access.h): /proc/<pid>/status
 * parsed, every rule and ptrace_scope, --dump-group, the refusal line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/access.h"

#define ME 1000u
#define MYGID 100u
#define OTHER 1001u
#define GRP 990u
#define CAP_PTRACE (1ull << AD_CAP_SYS_PTRACE)

static const char status_text[] = "Name:\tbasic\n"
				  "Umask:\t0022\n"
				  "State:\tS (sleeping)\n"
				  "Tgid:\t4242\n"
				  "Ngid:\t0\n"
				  "Pid:\t4243\n"
				  "PPid:\t17\n"
				  "TracerPid:\t0\n"
				  "Uid:\t1000\t1001\t1002\t1003\n"
				  "Gid:\t100\t101\t102\t103\n"
				  "FDSize:\t64\n"
				  "Groups:\t4 24 27 990 \n"
				  "NStgid:\t4242\n"
				  "CapInh:\t0000000000000000\n"
				  "CapPrm:\t0000000000000000\n"
				  "CapEff:\t000001ffffffffff\n"
				  "Seccomp:\t0\n";

static void status_parsed(void **state)
{
	struct ad_proc_status st;

	(void)state;
	assert_int_equal(
		ad_proc_status_parse(status_text, strlen(status_text), &st), 0);
	assert_int_equal(st.tgid, 4242);
	assert_int_equal(st.ppid, 17);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(st.uid[i], 1000 + i);
		assert_int_equal(st.gid[i], 100 + i);
	}
	assert_true(st.has_cap_eff);
	assert_true(st.cap_eff == 0x000001ffffffffffull);
	assert_true(st.has_groups);
	assert_int_equal(st.ngroups, 4);
	assert_int_equal(st.groups[0], 4);
	assert_int_equal(st.groups[3], 990);
	ad_proc_status_free(&st);
	assert_null(st.groups);
}

static void status_no_groups_no_newline(void **state)
{
	static const char text[] = "Tgid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\n"
				   "Gid:\t0\t0\t0\t0\nGroups:\t\nCapEff:\t0";
	struct ad_proc_status st;

	(void)state;
	assert_int_equal(ad_proc_status_parse(text, strlen(text), &st), 0);
	assert_true(st.has_groups);
	assert_int_equal(st.ngroups, 0);
	assert_true(st.cap_eff == 0);
	ad_proc_status_free(&st);
}

static void status_many_groups(void **state)
{
	char text[20000];
	size_t n;
	struct ad_proc_status st;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text),
			     "Tgid:\t5\nPPid:\t1\nUid:\t1\t1\t1\t1\n"
			     "Gid:\t2\t2\t2\t2\nGroups:");
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%d ",
				      70000 + i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
	assert_int_equal(ad_proc_status_parse(text, n, &st), 0);
	assert_int_equal(st.ngroups, 1000);
	assert_int_equal(st.groups[999], 70999);
	ad_proc_status_free(&st);
}

static void status_bad(void **state)
{
	static const char *bad[] = {
		/* Uid missing */
		"Tgid:\t1\nPPid:\t0\nGid:\t0\t0\t0\t0\n",
		/* three uids */
		"Tgid:\t1\nPPid:\t0\nUid:\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
		/* not a number */
		"Tgid:\t1\nPPid:\t0\nUid:\t0\tx\t0\t0\nGid:\t0\t0\t0\t0\n",
		/* uid beyond 32 bits */
		"Tgid:\t1\nPPid:\t0\nUid:\t0\t4294967296\t0\t0\n"
		"Gid:\t0\t0\t0\t0\n",
		/* a bad CapEff is not taken as 0 */
		"Tgid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
		"CapEff:\tzz\n",
		/* too many hex digits */
		"Tgid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
		"CapEff:\t00000000000000000\n",
		/* Groups with garbage */
		"Tgid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
		"Groups:\t1 two\n",
		"",
	};
	struct ad_proc_status st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ad_proc_status_parse(bad[i], strlen(bad[i]), &st);

		if (rc != -EINVAL)
			fail_msg("case %zu: %d", i, rc);
		ad_proc_status_free(&st);
	}
}

/* ---- the rules ---------------------------------------------------------- */

/* An ordinary user, SO_PEERCRED and a sure /proc read, no privilege. */
static struct ad_access_peer user(uid_t uid, gid_t gid)
{
	return (struct ad_access_peer){.pid = 500,
				       .uid = uid,
				       .gid = gid,
				       .known = true,
				       .same_userns = true};
}

/* A dumpable process of uid/gid, child of 500 (the peer) under 1. */
static const pid_t lineage_child[] = {4242, 500, 1};
static const pid_t lineage_other[] = {4242, 77, 1};

static struct ad_access_target target(uid_t uid, gid_t gid)
{
	return (struct ad_access_target){
		.pid = 4242,
		.uid = {uid, uid, uid},
		.gid = {gid, gid, gid},
		.proc_owner = uid,
		.lineage = lineage_other,
		.nlineage = 3,
		.lineage_complete = true,
	};
}

static const struct ad_access_policy no_group = {0};
static const struct ad_access_policy group = {
	.has_group = true, .group = GRP, .group_name = "asyncdump"};

static void root_always(void **state)
{
	struct ad_access_peer root = user(0, 0);
	struct ad_access_target t = target(OTHER, OTHER);

	(void)state;
	t.proc_owner = 0; /* not dumpable */
	root.known = false;
	for (int scope = -1; scope <= 4; scope++)
		assert_int_equal(ad_access_decide(&root, &t, scope, &no_group),
				 AD_ACCESS_ROOT);
}

static void own_process(void **state)
{
	struct ad_access_peer me = user(ME, MYGID);
	struct ad_access_target t = target(ME, MYGID);

	(void)state;
	assert_int_equal(ad_access_decide(&me, &t, 0, &no_group),
			 AD_ACCESS_OWNER);
	assert_true(ad_access_allowed(AD_ACCESS_OWNER));
	/* the uid check needs no /proc read of the peer */
	me.known = false;
	assert_int_equal(ad_access_decide(&me, &t, 0, NULL), AD_ACCESS_OWNER);
}

static void other_users_ids(void **state)
{
	struct ad_access_peer me = user(ME, MYGID);

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct ad_access_target t = target(ME, MYGID);

		t.uid[i] = OTHER;
		assert_int_equal(ad_access_decide(&me, &t, 0, &no_group),
				 AD_ACCESS_DENY_UID);
		t = target(ME, MYGID);
		t.gid[i] = OTHER;
		assert_int_equal(ad_access_decide(&me, &t, 0, &no_group),
				 AD_ACCESS_DENY_GID);
	}
	assert_false(ad_access_allowed(AD_ACCESS_DENY_UID));
}

static void not_dumpable(void **state)
{
	struct ad_access_peer me = user(ME, MYGID);
	struct ad_access_target t = target(ME, MYGID);

	(void)state;
	t.proc_owner = 0;
	assert_int_equal(ad_access_decide(&me, &t, 0, &no_group),
			 AD_ACCESS_DENY_NOT_DUMPABLE);
	/* privilege still may */
	me.cap_eff = CAP_PTRACE;
	assert_int_equal(ad_access_decide(&me, &t, 0, &no_group),
			 AD_ACCESS_CAP);
}

static void capability(void **state)
{
	struct ad_access_peer p = user(OTHER, OTHER);
	struct ad_access_target t = target(0, 0);

	(void)state;
	t.proc_owner = 0;
	p.cap_eff = ~CAP_PTRACE; /* every capability but that one */
	assert_int_equal(ad_access_decide(&p, &t, 0, &no_group),
			 AD_ACCESS_DENY_UID);
	p.cap_eff = CAP_PTRACE;
	for (int scope = 0; scope <= 2; scope++)
		assert_int_equal(ad_access_decide(&p, &t, scope, &no_group),
				 AD_ACCESS_CAP);
	assert_int_equal(ad_access_decide(&p, &t, 3, &no_group),
			 AD_ACCESS_DENY_SCOPE3);
	/* a capability of another user namespace is no capability here */
	p.same_userns = false;
	assert_int_equal(ad_access_decide(&p, &t, 0, &no_group),
			 AD_ACCESS_DENY_UID);
	/* nor one read from a process we are not sure is the peer */
	p.same_userns = true;
	p.known = false;
	assert_int_equal(ad_access_decide(&p, &t, 0, &no_group),
			 AD_ACCESS_DENY_UID);
}

static void dump_group(void **state)
{
	static const gid_t groups[] = {4, GRP, 27};
	struct ad_access_peer p = user(OTHER, OTHER);
	struct ad_access_target t = target(0, 0);

	(void)state;
	t.proc_owner = 0;
	/* not a member */
	assert_int_equal(ad_access_decide(&p, &t, 0, &group),
			 AD_ACCESS_DENY_UID);
	/* supplementary */
	p.groups = groups;
	p.ngroups = 3;
	assert_int_equal(ad_access_decide(&p, &t, 0, &no_group),
			 AD_ACCESS_DENY_UID);
	for (int scope = 0; scope <= 2; scope++)
		assert_int_equal(ad_access_decide(&p, &t, scope, &group),
				 AD_ACCESS_GROUP);
	assert_int_equal(ad_access_decide(&p, &t, 3, &group),
			 AD_ACCESS_DENY_SCOPE3);
	/* supplementary groups not known for sure: not counted */
	p.known = false;
	assert_int_equal(ad_access_decide(&p, &t, 0, &group),
			 AD_ACCESS_DENY_UID);
	/* the primary gid is SO_PEERCRED's: always counted */
	p = user(OTHER, GRP);
	p.known = false;
	assert_int_equal(ad_access_decide(&p, &t, 1, &group), AD_ACCESS_GROUP);
}

static void scope_2_and_3(void **state)
{
	struct ad_access_peer me = user(ME, MYGID);
	struct ad_access_target t = target(ME, MYGID);

	(void)state;
	assert_int_equal(ad_access_decide(&me, &t, 2, &no_group),
			 AD_ACCESS_DENY_SCOPE2);
	assert_int_equal(ad_access_decide(&me, &t, 3, &no_group),
			 AD_ACCESS_DENY_SCOPE3);
	assert_int_equal(
		ad_access_decide(&me, &t, AD_PTRACE_SCOPE_UNKNOWN, &no_group),
		AD_ACCESS_DENY_SCOPE_UNKNOWN);
	assert_int_equal(ad_access_decide(&me, &t, 7, &no_group),
			 AD_ACCESS_DENY_SCOPE_UNKNOWN);
}

static void scope_1_descendants(void **state)
{
	struct ad_access_peer me = user(ME, MYGID);
	struct ad_access_target t = target(ME, MYGID);
	static const pid_t self[] = {500};

	(void)state;
	assert_int_equal(ad_access_decide(&me, &t, 1, &no_group),
			 AD_ACCESS_DENY_NOT_DESCENDANT);
	t.lineage = lineage_child;
	assert_int_equal(ad_access_decide(&me, &t, 1, &no_group),
			 AD_ACCESS_OWNER);
	/* the peer itself */
	t.lineage = self;
	t.nlineage = 1;
	assert_int_equal(ad_access_decide(&me, &t, 1, &no_group),
			 AD_ACCESS_OWNER);
	/* a descendant of another user's process is still refused */
	t = target(OTHER, MYGID);
	t.lineage = lineage_child;
	assert_int_equal(ad_access_decide(&me, &t, 1, &no_group),
			 AD_ACCESS_DENY_UID);
	/* no lineage read */
	t = target(ME, MYGID);
	t.lineage = NULL;
	t.nlineage = 0;
	t.lineage_complete = false;
	assert_int_equal(ad_access_decide(&me, &t, 1, &no_group),
			 AD_ACCESS_DENY_NOT_DESCENDANT);
	/* a peer with no pid (SO_PEERCRED failed) descends from nothing */
	me.pid = 0;
	static const pid_t zero[] = {4242, 0};
	t.lineage = zero;
	t.nlineage = 2;
	assert_int_equal(ad_access_decide(&me, &t, 1, &no_group),
			 AD_ACCESS_DENY_NOT_DESCENDANT);
}

static void refusal_lines(void **state)
{
	struct ad_access_peer me = user(ME, MYGID);
	struct ad_access_target t = target(0, 0);
	char msg[512];
	static const struct {
		enum ad_access a;
		int scope;
		const char *needle;
	} cases[] = {
		{AD_ACCESS_DENY_UID, 0,
		 "another user (real/effective/saved uid "
		 "0/0/0)"},
		{AD_ACCESS_DENY_GID, 0, "your gid 100"},
		{AD_ACCESS_DENY_NOT_DUMPABLE, 0, "PR_SET_DUMPABLE"},
		{AD_ACCESS_DENY_NOT_DESCENDANT, 1, "ptrace_scope is 1"},
		{AD_ACCESS_DENY_SCOPE2, 2, "ptrace_scope is 2"},
		{AD_ACCESS_DENY_SCOPE3, 3, "ptrace_scope is 3"},
		{AD_ACCESS_DENY_SCOPE_UNKNOWN, -1, "could not be read"},
		{AD_ACCESS_DENY_SCOPE_UNKNOWN, 9, "is 9"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ad_access_refusal(cases[i].a, &me, &t, cases[i].scope, &group,
				  msg, sizeof(msg));
		static const char head[] = "not allowed to dump pid 4242 "
					   "(owned by uid 0; you are uid "
					   "1000): ";

		if (strncmp(msg, head, sizeof(head) - 1) ||
		    !strstr(msg, cases[i].needle) || strchr(msg, '\n'))
			fail_msg("case %zu: %s", i, msg);
		if (cases[i].a != AD_ACCESS_DENY_SCOPE3 &&
		    cases[i].a != AD_ACCESS_DENY_SCOPE_UNKNOWN &&
		    !strstr(msg, "group asyncdump"))
			fail_msg("case %zu names no group: %s", i, msg);
	}
	/* the group is named only when there is one */
	ad_access_refusal(AD_ACCESS_DENY_UID, &me, &t, 0, &no_group, msg,
			  sizeof(msg));
	assert_null(strstr(msg, "group"));
	/* cut, never overrun */
	ad_access_refusal(AD_ACCESS_DENY_UID, &me, &t, 0, &group, msg, 20);
	assert_int_equal(strlen(msg), 19);
	for (int a = AD_ACCESS_ROOT; a <= AD_ACCESS_DENY_NOT_DESCENDANT; a++)
		assert_string_not_equal(ad_access_name((enum ad_access)a), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_parsed),
		cmocka_unit_test(status_no_groups_no_newline),
		cmocka_unit_test(status_many_groups),
		cmocka_unit_test(status_bad),
		cmocka_unit_test(root_always),
		cmocka_unit_test(own_process),
		cmocka_unit_test(other_users_ids),
		cmocka_unit_test(not_dumpable),
		cmocka_unit_test(capability),
		cmocka_unit_test(dump_group),
		cmocka_unit_test(scope_2_and_3),
		cmocka_unit_test(scope_1_descendants),
		cmocka_unit_test(refusal_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
