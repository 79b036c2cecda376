/*
 * Integration tests of the workers' privilege drop (common/creds.c):
 * started as root, the master stays root with the capabilities it needs
 * and the workers run as the [server] user with nothing left; a user that
 * does not exist is a configuration error.
 */
#include <check.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"

#define EX_CONFIG	78

/*
 * The groups initgroups(user, gid) gives, as /proc/PID/status "Groups:"
 * lists them (ascending, space-separated).
 */
static void
user_groups(const char *user, gid_t gid, char *out, size_t len)
{
	gid_t	 groups[256], t;
	int	 n = 256, i, j;
	size_t	 off = 0;

	ck_assert_msg(getgrouplist(user, gid, groups, &n) != -1, "getgrouplist "
	    "%s: more than 256 groups", user);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && groups[j - 1] > groups[j]; j--) {
			t = groups[j];
			groups[j] = groups[j - 1];
			groups[j - 1] = t;
		}
	out[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		if (i == 0 || groups[i] != groups[i - 1])
			off += (size_t)snprintf(out + off, len - off, "%s%ld",
			    off > 0 ? " " : "", (long)groups[i]);
}

/* "Uid:" or "Gid:" with all four ids (real, effective, saved, fs) = id. */
static bool
ids_are(const char *text, long id)
{
	long	 v[4];

	return sscanf(text, "%ld %ld %ld %ld", &v[0], &v[1], &v[2],
	    &v[3]) == 4 && v[0] == id && v[1] == id && v[2] == id &&
	    v[3] == id;
}

static bool
title_is_worker(void *arg)
{
	char	 title[64];

	return ps_cmdline(*(pid_t *)arg, title, sizeof(title)) &&
	    strncmp(title, "forkline: worker", 16) == 0;
}

/*
 * 1. Started as root, the master stays root and its workers run as the
 * [server] user (nobody by default; root only with allow_root): every
 * uid and gid, no root supplementary group, no capability left, and
 * no_new_privs set. The master keeps the capabilities it needs later
 * (re-binding on reload, starting workers as another user, handing them
 * log files, signalling them), as far as it was given them.
 */
#define CAP_BIT(n)	(1ULL << (n))
#define MASTER_CAPS	(CAP_BIT(0) /* CHOWN */ | CAP_BIT(5) /* KILL */ | \
			 CAP_BIT(6) /* SETGID */ | CAP_BIT(7) /* SETUID */ | \
			 CAP_BIT(10) /* NET_BIND_SERVICE */)

/* A capability set of /proc/PID/status ("CapEff" ...), as a mask. */
static unsigned long long
proc_caps(pid_t pid, const char *name)
{
	char	 text[64];

	ps_status_field(pid, name, text, sizeof(text));
	ck_assert_msg(text[0] != '\0', "no %s: in /proc/%ld/status", name,
	    (long)pid);
	return strtoull(text, NULL, 16);
}

static const struct drop_case {
	const char	*what;
	const char	*conf;
	bool		 as_root;
} drop_cases[] = {
	{ "user = nobody", "[server]\nuser = nobody\n", false },
	{ "no user", "[workers]\nstart = 2\n", false },
	{ "allow_root = yes", "[server]\nallow_root = yes\n", true },
};

START_TEST(test_privilege_drop)
{
	const struct drop_case *c = &drop_cases[_i];
	char		 conf[HARNESS_PATH_MAX], uid[128], gid[128];
	char		 groups[512], want_groups[512], nnp[16];
	const char	*args[] = { "-c", conf, "-w", "2", NULL };
	struct passwd	*pw;
	struct server	 s;
	pid_t		 kids[2];
	long		 want_uid, want_gid;
	unsigned long long want_caps;
	int		 i;

	if (geteuid() != 0) {
		printf("check_creds: not running as root; skipping the "
		    "privilege drop test (%s)\n", c->what);
		return;
	}
	pw = getpwnam("nobody");
	ck_assert_msg(pw != NULL, "no user nobody on this system");
	want_uid = c->as_root ? 0 : (long)pw->pw_uid;
	want_gid = c->as_root ? 0 : (long)pw->pw_gid;
	user_groups("nobody", pw->pw_gid, want_groups, sizeof(want_groups));
	harness_write_file(conf, sizeof(conf), "creds-", ".conf", c->conf);
	server_start(&s, args);
	server_wait_workers(&s, 2, kids);

	ps_status_field(s.pid, "Uid", uid, sizeof(uid));
	ps_status_field(s.pid, "Gid", gid, sizeof(gid));
	ck_assert_msg(ids_are(uid, 0) && ids_are(gid, 0), "%s: the master "
	    "runs with Uid: %s Gid: %s, expected root", c->what, uid, gid);
	want_caps = MASTER_CAPS & proc_caps(getpid(), "CapEff");
	ck_assert_msg((proc_caps(s.pid, "CapEff") & want_caps) == want_caps,
	    "%s: the master has CapEff %llx, lacking some of %llx", c->what,
	    proc_caps(s.pid, "CapEff"), want_caps);
	for (i = 0; i < 2; i++) {
		/* The title is set after the switch. */
		ck_assert_msg(harness_wait_until(title_is_worker, &kids[i],
		    HARNESS_READY_MS), "%s: pid %ld never became a worker",
		    c->what, (long)kids[i]);
		ps_status_field(kids[i], "Uid", uid, sizeof(uid));
		ps_status_field(kids[i], "Gid", gid, sizeof(gid));
		ps_status_field(kids[i], "Groups", groups, sizeof(groups));
		ps_status_field(kids[i], "NoNewPrivs", nnp, sizeof(nnp));
		ck_assert_msg(ids_are(uid, want_uid) && ids_are(gid, want_gid),
		    "%s: worker %ld has Uid: %s Gid: %s, expected uid %ld gid "
		    "%ld throughout", c->what, (long)kids[i], uid, gid,
		    want_uid, want_gid);
		ck_assert_msg(strcmp(nnp, "1") == 0, "%s: worker %ld has "
		    "NoNewPrivs: %s, expected 1", c->what, (long)kids[i], nnp);
		ck_assert_msg(c->as_root || (proc_caps(kids[i], "CapEff") ==
		    0 && proc_caps(kids[i], "CapPrm") == 0 &&
		    proc_caps(kids[i], "CapAmb") == 0), "%s: worker %ld kept "
		    "capabilities: CapEff %llx CapPrm %llx CapAmb %llx",
		    c->what, (long)kids[i], proc_caps(kids[i], "CapEff"),
		    proc_caps(kids[i], "CapPrm"), proc_caps(kids[i], "CapAmb"));
		ck_assert_msg(c->as_root || strcmp(groups, want_groups) == 0,
		    "%s: worker %ld has the supplementary groups \"%s\", "
		    "expected nobody's: \"%s\"", c->what, (long)kids[i],
		    groups, want_groups);
	}
	if (!c->as_root)
		ck_assert_msg(server_log_contains(&s, "workers run as user "
		    "nobody"), "%s: expected \"workers run as user nobody\" in "
		    "the log %s", c->what, s.log);
	client_ping_port(s.port);
	server_stop_expect_zero(&s);
}
END_TEST

/* 2. A user that does not exist: a configuration error (78) naming it. */
START_TEST(test_no_such_user)
{
	char		 conf[HARNESS_PATH_MAX];
	const char	*args[] = { "-c", conf, "-l", "127.0.0.1:0", NULL };
	struct run_result r;

	harness_write_file(conf, sizeof(conf), "creds-", ".conf",
	    "[server]\nuser = no-such-user\n");
	forkline_run(&r, args, HARNESS_READY_MS);
	run_assert_exit(&r, EX_CONFIG, "user = no-such-user");
	ck_assert_msg(strstr(r.err, "no-such-user") != NULL, "expected the "
	    "error to name no-such-user, got %s", harness_quote(r.err,
	    strlen(r.err)));
	run_result_free(&r);
}
END_TEST

static Suite *
creds_suite(void)
{
	Suite	*s = suite_create("creds");
	TCase	*tc;

	tc = tcase_create("privileges");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_privilege_drop, 0,
	    (int)(sizeof(drop_cases) / sizeof(drop_cases[0])));
	tcase_add_test(tc, test_no_such_user);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(creds_suite);
}
