/*
 * Integration tests of the operations features: daemon mode with its pid
 * file and -s (server/daemon.c), the workers' privilege drop
 * (common/creds.c), log targets and SIGUSR1 reopening (common/log.c,
 * server/logfiles.c), the access log (worker/worker.c), journal
 * priorities, and the SIGUSR2 binary upgrade (server/upgrade.c).
 *
 * Daemons and the new master of an upgrade leave the test's process
 * group, or outlive the process the harness watches. Each of them holds
 * a locked pid file in the harness directory and is registered as soon
 * as its pid is known; after each test case the runner kills whoever
 * still holds one or is still registered (sweep): a failing test cannot
 * leave a daemon behind.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"
#include "tests/support/load.h"

#define EX_USAGE	64
#define EX_PIDFILE	73
#define EX_CONFIG	78
/* Room for a file's path in a harness_mkdtemp directory. */
#define PATH_LEN	(HARNESS_PATH_MAX + 32)

/*
 * Leftovers.
 */

/*
 * nftw callback: a pid file whose lock is held names a live master that
 * this suite started (the file is in our temporary directory): SIGKILL it.
 */
static int
sweep_file(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	char	 buf[32];
	ssize_t	 n;
	long	 pid;
	int	 fd;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode) || strlen(path) < 4 ||
	    strcmp(path + strlen(path) - 4, ".pid") != 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK &&
	    (n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		if ((pid = strtol(buf, NULL, 10)) > 1) {
			fprintf(stderr, "check_ops: killing master %ld left "
			    "running (pid file %s)\n", pid, path);
			kill((pid_t)pid, SIGKILL);
		}
	}
	close(fd);
	return 0;
}

/* Field 22 of /proc/PID/stat: when it started, in clock ticks; 0 if gone. */
static unsigned long long
start_time(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 t = 0;
	size_t			 n;
	FILE			*f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2, "%*c %*d %*d "
	    "%*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
	    "%llu", &t) != 1)
		return 0;
	return t;
}

/*
 * A master that is not the harness's child (a daemon, the new master of
 * an upgrade), as soon as the test knows its pid: "pid start-time" in a
 * file of the harness directory, for sweep.
 */
static void
register_master(pid_t pid)
{
	char	 path[PATH_LEN];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/masters", harness_dir());
	f = fopen(path, "ae");
	ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
	fprintf(f, "%ld %llu\n", (long)pid, start_time(pid));
	fclose(f);
}

/*
 * Unchecked teardown, run by the runner after each test case, whatever
 * became of its tests: daemons (in sessions of their own) and the new
 * masters of upgrades are not in a test's process group, so Check does
 * not kill them. Each of them holds a locked pid file under the harness
 * directory, or was registered (which catches one whose pid file was
 * taken from it), or both.
 */
static void
sweep(void)
{
	unsigned long long	 t;
	char			 path[PATH_LEN];
	long			 pid;
	FILE			*f;

	nftw(harness_dir(), sweep_file, 16, FTW_PHYS);
	snprintf(path, sizeof(path), "%s/masters", harness_dir());
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fscanf(f, "%ld %llu", &pid, &t) == 2)
		if (pid > 1 && t != 0 && start_time((pid_t)pid) == t &&
		    ps_alive((pid_t)pid)) {
			fprintf(stderr, "check_ops: killing master %ld left "
			    "running\n", pid);
			kill((pid_t)pid, SIGKILL);
		}
	fclose(f);
	unlink(path);
}

/*
 * Files.
 */

static void
write_text(const char *path, const char *text, mode_t mode)
{
	size_t	 len = strlen(text);
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ck_assert_msg(fd != -1, "open %s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, text, len) == (ssize_t)len, "write %s: %s",
	    path, strerror(errno));
	close(fd);
}

static long
file_size(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Lines of path holding needle. */
static int
count_in_file(const char *path, const char *needle)
{
	char	*text = harness_read_file(path, NULL), *p;
	int	 n = 0;

	for (p = text; p != NULL && (p = strstr(p, needle)) != NULL; n++)
		p = strchr(p, '\n') != NULL ? strchr(p, '\n') : p + 1;
	free(text);
	return n;
}

struct file_wait {
	const char	*path;
	const char	*needle;
	int		 n;
};

static bool
file_has(void *arg)
{
	struct file_wait	*w = arg;

	return count_in_file(w->path, w->needle) >= w->n;
}

/* Wait until path has n lines holding needle; assert with what. */
static void
wait_file_count(const char *path, const char *needle, int n,
    const char *what)
{
	struct file_wait	 w = { path, needle, n };
	char			*text;

	if (harness_wait_until(file_has, &w, HARNESS_READY_MS))
		return;
	text = harness_read_file(path, NULL);
	ck_abort_msg("%s: expected %d line%s with \"%s\" in %s within %d ms, "
	    "found %d; the file: %s", what, n, n == 1 ? "" : "s", needle, path,
	    HARNESS_READY_MS, count_in_file(path, needle), text == NULL ?
	    "(missing)" : harness_quote(text, strlen(text)));
}

/*
 * A directory for log files that the workers' user (nobody) may reach,
 * as /var/log/forkline would be: the workers reopen files by path.
 */
static void
log_dir(char *out, size_t len)
{
	ck_assert_msg(chmod(harness_dir(), 0711) == 0, "chmod %s: %s",
	    harness_dir(), strerror(errno));
	harness_mkdtemp(out, len);
	ck_assert_msg(chmod(out, 0755) == 0, "chmod %s: %s", out,
	    strerror(errno));
}

/*
 * Processes.
 */

/* The pid in a pid file, 0 if absent or unreadable. */
static pid_t
pidfile_pid(const char *path)
{
	char	*text = harness_read_file(path, NULL);
	long	 pid = text != NULL ? strtol(text, NULL, 10) : 0;

	free(text);
	return pid > 0 && pid < INT_MAX ? (pid_t)pid : 0;
}

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

static bool
is_gone(void *arg)
{
	return !ps_alive(*(pid_t *)arg);
}

static void
wait_gone(pid_t pid, const char *what)
{
	ck_assert_msg(harness_wait_until(is_gone, &pid, HARNESS_STOP_MS),
	    "%s: expected pid %ld to be gone within %d ms", what, (long)pid,
	    HARNESS_STOP_MS);
}

struct kids_wait {
	pid_t	 pid;
	int	 n;
};

static bool
has_kids(void *arg)
{
	struct kids_wait	*w = arg;
	pid_t			 kids[HARNESS_MAX_PIDS];

	return ps_children(w->pid, kids, HARNESS_MAX_PIDS) == w->n;
}

static void
wait_children(pid_t pid, int n, const char *what)
{
	struct kids_wait	 w = { pid, n };
	pid_t			 kids[HARNESS_MAX_PIDS];

	ck_assert_msg(harness_wait_until(has_kids, &w, HARNESS_READY_MS),
	    "%s: expected pid %ld to have %d children within %d ms, it has %d",
	    what, (long)pid, n, HARNESS_READY_MS, ps_children(pid, kids,
	    HARNESS_MAX_PIDS));
}

/* Does one of pid's fds name path? */
static bool
holds_file(pid_t pid, const char *path)
{
	char		 dir[64], link[PATH_LEN + 64], target[PATH_MAX];
	struct dirent	*d;
	ssize_t		 n;
	bool		 found = false;
	DIR		*fds;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	if ((fds = opendir(dir)) == NULL)
		return false;
	while (!found && (d = readdir(fds)) != NULL) {
		snprintf(link, sizeof(link), "%s/%s", dir, d->d_name);
		if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		found = strcmp(target, path) == 0;
	}
	closedir(fds);
	return found;
}

struct release_wait {
	const struct server	*s;
	const char		*path;
	pid_t			 holder;
};

static bool
released(void *arg)
{
	struct release_wait	*w = arg;
	pid_t			 kids[HARNESS_MAX_PIDS];
	int			 i, n;

	w->holder = w->s->pid;
	if (holds_file(w->s->pid, w->path))
		return false;
	n = server_workers(w->s, kids, HARNESS_MAX_PIDS);
	for (i = 0; i < n; i++)
		if (holds_file((w->holder = kids[i]), w->path))
			return false;
	return true;
}

/*
 * After SIGUSR1: the master and every worker have let go of the renamed
 * file (each reopened by path), seen in /proc/PID/fd.
 */
static void
wait_released(const struct server *s, const char *path)
{
	struct release_wait	 w = { s, path, 0 };

	ck_assert_msg(harness_wait_until(released, &w, HARNESS_READY_MS),
	    "after SIGUSR1 pid %ld (the master is %ld) still has the renamed "
	    "%s open after %d ms: it did not reopen it", (long)w.holder,
	    (long)s->pid, path, HARNESS_READY_MS);
}

static void
assert_pings(int port)
{
	int	 fd = client_connect(port);

	client_request(fd, "PING\n", "PONG\n");
	close(fd);
}

/*
 * 1. Daemon mode: -d returns 0 once the detached master is up; the pid
 * file names it (titled "forkline: master", in a session of its own, not
 * its leader, not our child) and it serves. A second start with the same
 * pid file fails with 73; -s reload and -s stop reach it; stop removes
 * the pid file; -s with no master is 1; a stale pid file is replaced; an
 * unknown -s name is 64.
 */
START_TEST(test_daemon)
{
	char		 dir[HARNESS_PATH_MAX], pidfile[PATH_LEN];
	char		 logf[PATH_LEN], conf[HARNESS_PATH_MAX];
	char		 text[PATH_LEN + 64];
	char		 listen[32], title[64], stat_line[512], *p;
	const char	*start[] = { "-d", "--pid-file", pidfile, "-c", conf,
	    "-l", listen, "-w", "2", NULL };
	const char	*reload[] = { "--pid-file", pidfile, "-s", "reload",
	    NULL };
	const char	*stop[] = { "--pid-file", pidfile, "-s", "stop", NULL };
	const char	*bogus[] = { "--pid-file", pidfile, "-s", "bogus",
	    NULL };
	struct run_result r;
	long		 ppid = 0;
	pid_t		 pid, pid2, dead;
	FILE		*f;
	int		 port;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/fl.pid", dir);
	snprintf(logf, sizeof(logf), "%s/forkline.log", dir);
	snprintf(text, sizeof(text), "[log]\ntarget = %s\n", logf);
	harness_write_file(conf, sizeof(conf), "daemon-", ".conf", text);
	port = harness_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);

	forkline_run(&r, start, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "forkline -d");
	run_result_free(&r);
	pid = pidfile_pid(pidfile);
	ck_assert_msg(pid > 0 && ps_alive(pid), "after forkline -d: the pid "
	    "file %s names pid %ld, expected a live master", pidfile,
	    (long)pid);
	register_master(pid);
	ck_assert_msg(ps_cmdline(pid, title, sizeof(title)) &&
	    strcmp(title, "forkline: master") == 0, "pid %ld from the pid "
	    "file is %s, expected \"forkline: master\"", (long)pid,
	    harness_quote(title, strlen(title)));
	snprintf(text, sizeof(text), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(text, "re")) != NULL) {
		if (fgets(stat_line, sizeof(stat_line), f) != NULL &&
		    (p = strrchr(stat_line, ')')) != NULL)
			sscanf(p + 2, "%*c %ld", &ppid);
		fclose(f);
	}
	ck_assert_msg(ppid > 0 && ppid != (long)getpid(), "the daemon's "
	    "parent is %ld: expected it detached from the test (pid %ld)",
	    ppid, (long)getpid());
	ck_assert_msg(getsid(pid) != getsid(0) && getsid(pid) != pid,
	    "the daemon's session is %ld (ours %ld): expected a new session "
	    "it does not lead", (long)getsid(pid), (long)getsid(0));
	assert_pings(port);
	wait_children(pid, 2, "the daemon's workers");

	forkline_run(&r, start, HARNESS_READY_MS);
	run_assert_exit(&r, EX_PIDFILE, "a second forkline -d with the same "
	    "pid file");
	ck_assert_msg(strstr(r.err, "already running") != NULL, "a second "
	    "start: expected \"already running\" on stderr, got %s",
	    harness_quote(r.err, strlen(r.err)));
	run_result_free(&r);
	ck_assert_msg(pidfile_pid(pidfile) == pid && ps_alive(pid), "a second "
	    "start disturbed the first master or its pid file");

	forkline_run(&r, reload, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "-s reload");
	run_result_free(&r);
	wait_file_count(logf, "SIGHUP", 1, "-s reload");
	wait_file_count(logf, "reload: generation 2 serving", 1, "-s reload");

	forkline_run(&r, stop, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "-s stop");
	run_result_free(&r);
	wait_gone(pid, "-s stop");
	ck_assert_msg(access(pidfile, F_OK) == -1 && errno == ENOENT, "the "
	    "master stopped and left its pid file %s", pidfile);
	wait_file_count(logf, "stopped", 1, "-s stop");

	forkline_run(&r, stop, HARNESS_READY_MS);
	run_assert_exit(&r, 1, "-s stop with no pid file");
	ck_assert_msg(strstr(r.err, pidfile) != NULL, "-s stop with no pid "
	    "file: expected stderr to name %s, got %s", pidfile,
	    harness_quote(r.err, strlen(r.err)));
	run_result_free(&r);

	/* A stale pid file: a dead process's pid, nobody holding the lock. */
	fflush(NULL);
	if ((dead = fork()) == 0)
		_exit(0);
	ck_assert_msg(dead > 0 && waitpid(dead, NULL, 0) == dead, "fork: %s",
	    strerror(errno));
	snprintf(text, sizeof(text), "%ld\n", (long)dead);
	write_text(pidfile, text, 0644);
	forkline_run(&r, stop, HARNESS_READY_MS);
	run_assert_exit(&r, 1, "-s stop with a stale pid file");
	ck_assert_msg(strstr(r.err, "not running") != NULL, "-s stop with a "
	    "stale pid file: expected \"not running\", got %s",
	    harness_quote(r.err, strlen(r.err)));
	run_result_free(&r);

	forkline_run(&r, start, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "forkline -d over a stale pid file");
	pid2 = pidfile_pid(pidfile);
	ck_assert_msg(pid2 > 0 && pid2 != dead && ps_alive(pid2), "after a "
	    "start over a stale pid file it names %ld (the stale one %ld)",
	    (long)pid2, (long)dead);
	register_master(pid2);
	snprintf(text, sizeof(text), "replacing stale pid file %s (pid %ld "
	    "is gone)", pidfile, (long)dead);
	wait_file_count(logf, text, 1, "a start over a stale pid file");
	run_result_free(&r);
	assert_pings(port);
	forkline_run(&r, stop, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "-s stop");
	run_result_free(&r);
	wait_gone(pid2, "-s stop");

	forkline_run(&r, bogus, HARNESS_READY_MS);
	run_assert_exit(&r, EX_USAGE, "-s bogus");
	ck_assert_msg(strstr(r.err, "bogus") != NULL, "-s bogus: expected "
	    "the error to name it, got %s", harness_quote(r.err,
	    strlen(r.err)));
	run_result_free(&r);
}
END_TEST

/*
 * 2. Started as root, the master stays root and its workers run as the
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
		printf("check_ops: not running as root; skipping the "
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
	assert_pings(s.port);
	server_stop_expect_zero(&s);
}
END_TEST

/* 3. A user that does not exist: a configuration error (78) naming it. */
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

/*
 * 4. [log] target = a file: the master's and the workers' lines go there,
 * from the first (start-up lines are also copied to stderr, for a
 * terminal; nothing after them). Renamed (as logrotate does) and
 * SIGUSR1: the master and every worker reopen it, the new file gets the
 * lines that follow (a worker's "connected", a reload), the renamed one
 * nothing more.
 */
START_TEST(test_log_file_reopen)
{
	char		 dir[HARNESS_PATH_MAX], logf[PATH_LEN];
	char		 old[PATH_LEN + 8], conf[HARNESS_PATH_MAX];
	char		 text[PATH_LEN + 32], *o;
	const char	*args[] = { "-v", "-c", conf, "-w", "2", NULL };
	struct server	 s;
	long		 old_size;
	int		 fd;

	log_dir(dir, sizeof(dir));
	snprintf(logf, sizeof(logf), "%s/forkline.log", dir);
	snprintf(old, sizeof(old), "%s.1", logf);
	snprintf(text, sizeof(text), "[log]\ntarget = %s\n", logf);
	harness_write_file(conf, sizeof(conf), "logfile-", ".conf", text);
	server_start(&s, args);
	wait_file_count(logf, " listening on ", 1, "a start-up line in the "
	    "log file");
	wait_file_count(logf, " started: ", 1, "the log file");
	wait_file_count(logf, " ready: ", 1, "the log file");
	wait_file_count(logf, ": connected", 1, "a worker's line (the "
	    "readiness probe)");
	/* Start-up lines are copied to stderr (a terminal); nothing after. */
	ck_assert_msg(!server_log_contains(&s, " ready: ") &&
	    !server_log_contains(&s, ": connected") &&
	    !server_log_contains(&s, " worker "), "with a log file, lines "
	    "after start-up still went to stderr (%s)", s.log);

	ck_assert_msg(rename(logf, old) == 0, "rename %s: %s", logf,
	    strerror(errno));
	server_signal(&s, SIGUSR1);
	wait_file_count(logf, "SIGUSR1: log files reopened", 1, "SIGUSR1 "
	    "with the log file renamed");
	wait_released(&s, old);
	old_size = file_size(old);

	fd = client_connect(s.port);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	wait_file_count(logf, ": connected", 1, "a worker's line after the "
	    "reopen");
	server_signal(&s, SIGHUP);
	wait_file_count(logf, "reload: generation 2 serving", 1, "a reload "
	    "after the reopen");
	server_stop_expect_zero(&s);
	wait_file_count(logf, " stopped", 1, "the master's last line");
	ck_assert_msg(!server_log_contains(&s, "SIGUSR1") &&
	    !server_log_contains(&s, "reload") &&
	    !server_log_contains(&s, " stopped"), "with a log file, lines "
	    "after start-up went to stderr (%s)", s.log);
	o = harness_read_file(old, NULL);
	ck_assert_msg(file_size(old) == old_size, "the renamed log %s grew "
	    "from %ld to %ld bytes after the reopen: %s", old, old_size,
	    file_size(old), harness_quote(o != NULL ? o + old_size : "",
	    o != NULL ? strlen(o + old_size) : 0));
	free(o);
}
END_TEST

/* One access log line, parsed. */
struct access_line {
	int			 port;
	long			 pid;
	long long		 duration_ms;
	unsigned long long	 requests, bytes_in, bytes_out;
	char			 end[32];
};

/* The line for the client at port; false if there is none. */
static bool
access_find(const char *path, int port, struct access_line *a,
    char *raw, size_t rawlen)
{
	char	*text = harness_read_file(path, NULL), *line, *save = NULL;
	char	 key[40];
	bool	 found = false;
	int	 end;

	snprintf(key, sizeof(key), " peer=127.0.0.1:%d ", port);
	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL;
	    line != NULL && !found; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, key) == NULL)
			continue;
		snprintf(raw, rawlen, "%s", line);
		end = 0;
		found = sscanf(strstr(line, key), " peer=127.0.0.1:%d pid=%ld "
		    "worker=%*d duration_ms=%lld requests=%llu bytes_in=%llu "
		    "bytes_out=%llu end=\"%31[^\"]\"%n", &a->port, &a->pid,
		    &a->duration_ms, &a->requests, &a->bytes_in,
		    &a->bytes_out, a->end, &end) == 7 &&
		    strstr(line, key)[end] == '\0';
		ck_assert_msg(found, "malformed access log line %s",
		    harness_quote(raw, strlen(raw)));
	}
	free(text);
	return found;
}

struct access_wait {
	const char	*path;
	int		 port;
	struct access_line *a;
	char		 raw[512];
};

static bool
access_has(void *arg)
{
	struct access_wait	*w = arg;

	return access_find(w->path, w->port, w->a, w->raw, sizeof(w->raw));
}

/* Wait for the client at port's line and check it. */
static void
assert_access(const struct server *s, const char *path, int port,
    unsigned long long requests, unsigned long long in,
    unsigned long long out, const char *end)
{
	struct access_line	 a;
	struct access_wait	 w = { path, port, &a, "" };
	char			*text;

	if (!harness_wait_until(access_has, &w, HARNESS_READY_MS)) {
		text = harness_read_file(path, NULL);
		ck_abort_msg("no access log line for the client at port %d in "
		    "%s within %d ms; the file: %s", port, path,
		    HARNESS_READY_MS, text == NULL ? "(missing)" :
		    harness_quote(text, strlen(text)));
	}
	ck_assert_msg(a.requests == requests && a.bytes_in == in &&
	    a.bytes_out == out && strcmp(a.end, end) == 0 &&
	    a.duration_ms >= 0, "access log line %s: expected requests=%llu "
	    "bytes_in=%llu bytes_out=%llu end=\"%s\"", harness_quote(w.raw,
	    strlen(w.raw)), requests, in, out, end);
	ck_assert_msg(server_is_worker(s, (pid_t)a.pid), "access log line %s: "
	    "pid %ld is not one of the master's workers",
	    harness_quote(w.raw, strlen(w.raw)), a.pid);
}

/* No byte below 0x20 but "\n", none above 0x7e, two quotes a line. */
static void
assert_clean(const char *path)
{
	size_t		 len, i;
	char		*text = harness_read_file(path, &len);
	unsigned char	 c;
	int		 quotes = 0;

	ck_assert_msg(text != NULL, "cannot read %s", path);
	for (i = 0; i < len; i++) {
		c = (unsigned char)text[i];
		ck_assert_msg(c == '\n' || (c >= 0x20 && c < 0x7f), "byte %#x "
		    "at offset %zu of the access log: %s", c, i,
		    harness_quote(text, len));
		if (text[i] == '"')
			quotes++;
		if (text[i] == '\n') {
			ck_assert_msg(quotes == 2, "an access log line with %d "
			    "quotes: %s", quotes, harness_quote(text, len));
			quotes = 0;
		}
	}
	ck_assert_msg(strstr(text, "FOO") == NULL, "request text in the "
	    "access log: %s", harness_quote(text, len));
	free(text);
}

/*
 * 5. [log] access_log: one line per connection, with the peer, the
 * worker, the requests and bytes each way and why it ended (QUIT, idle
 * timeout, client close); nothing a client sent (control characters,
 * quotes) gets in. Renamed and SIGUSR1: the next line goes to the new
 * file.
 */
START_TEST(test_access_log)
{
	static const char nasty[] = "FOO\x1b[31m\"x\n";
	char		 dir[HARNESS_PATH_MAX], acc[PATH_LEN];
	char		 old[PATH_LEN + 8];
	char		 conf[HARNESS_PATH_MAX], text[PATH_LEN + 64], line[256];
	const char	*args[] = { "-c", conf, "-w", "2", NULL };
	struct access_line a;
	struct server	 s;
	int		 fd, port, r;
	unsigned long long out;

	log_dir(dir, sizeof(dir));
	snprintf(acc, sizeof(acc), "%s/access.log", dir);
	snprintf(old, sizeof(old), "%s.1", acc);
	snprintf(text, sizeof(text), "[connection]\nidle_timeout = 200ms\n"
	    "[log]\naccess_log = %s\n", acc);
	harness_write_file(conf, sizeof(conf), "access-", ".conf", text);
	server_start(&s, args);

	/* QUIT after two requests. */
	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "PING\n", "PONG\n");
	client_request(fd, "ECHO hi\n", "hi\n");
	client_request(fd, "QUIT\n", "BYE\n");
	client_expect_close(fd, false);
	close(fd);
	assert_access(&s, acc, port, 3, 5 + 8 + 5, 5 + 3 + 4, "quit");

	/* Idle past idle_timeout. */
	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "PING\n", "PONG\n");
	client_expect(fd, "BYE idle timeout\n");
	client_expect_close(fd, false);
	close(fd);
	assert_access(&s, acc, port, 1, 5, 5 + 17, "idle timeout");
	access_find(acc, port, &a, text, sizeof(text));
	ck_assert_msg(a.duration_ms >= 200, "an idle timeout of 200 ms after "
	    "duration_ms=%lld", a.duration_ms);

	/* Control characters and a quote, then the client closes. */
	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "PING\n", "PONG\n");
	client_send(fd, nasty);
	r = client_read_line(fd, line, sizeof(line), HARNESS_REPLY_MS);
	ck_assert_msg(r > 0, "no reply to %s: %s", harness_quote(nasty,
	    strlen(nasty)), client_result_name(r));
	out = 5 + (unsigned long long)r;
	close(fd);
	assert_access(&s, acc, port, 2, 5 + strlen(nasty), out,
	    "client closed");
	assert_clean(acc);

	/* Rotated. */
	ck_assert_msg(rename(acc, old) == 0, "rename %s: %s", acc,
	    strerror(errno));
	server_signal(&s, SIGUSR1);
	ck_assert_msg(server_log_wait(&s, "SIGUSR1: log files reopened",
	    HARNESS_READY_MS), "no \"SIGUSR1: log files reopened\" in %s",
	    s.log);
	wait_released(&s, old);
	ck_assert_msg(file_size(acc) == 0, "after SIGUSR1 expected a new, "
	    "empty %s, its size is %ld", acc, file_size(acc));
	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "QUIT\n", "BYE\n");
	client_expect_close(fd, false);
	close(fd);
	assert_access(&s, acc, port, 1, 5, 4, "quit");
	ck_assert_msg(!access_find(old, port, &a, text, sizeof(text)),
	    "the connection after SIGUSR1 was logged in the renamed %s", old);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * In the child, before exec: JOURNAL_STREAM naming the file its stderr
 * goes to (log_fd's), or with *mismatch another inode.
 */
static void
set_journal_stream(int log_fd, void *arg)
{
	const bool	*mismatch = arg;
	char		 journal[64];
	struct stat	 st;

	if (fstat(log_fd, &st) == -1)
		_exit(127);
	snprintf(journal, sizeof(journal), "%llu:%llu",
	    (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + (*mismatch ? 1 : 0));
	setenv("JOURNAL_STREAM", journal, 1);
}

/*
 * Start forkline args as the harness does, with JOURNAL_STREAM naming its
 * log file (or, with mismatch, another inode): what systemd does for a
 * service whose output goes to the journal.
 */
static void
spawn_journal(struct server *s, const char *const args[], bool mismatch)
{
	server_launch_with(s, args, set_journal_stream, &mismatch);
	/* Listening already (the socket is ours): PING waits for a worker. */
	assert_pings(s->port);
}

/*
 * Every line is "<N>ROLE LEVEL: text", N the syslog priority of LEVEL:
 * no timestamp, no "forkline[PID]" (the journal records both itself).
 */
static void
assert_journal_lines(const struct server *s)
{
	static const char *const levels[] = {
		[3] = "error", [4] = "warn", [6] = "info", [7] = "debug",
	};
	char	*text = server_log_read(s, NULL), *line, *save = NULL;
	char	 level[8];
	regmatch_t m[4];
	regex_t	 re;
	int	 prio;

	ck_assert_msg(text != NULL, "cannot read %s", s->log);
	ck_assert_int_eq(regcomp(&re, "^<([0-7])>(master|worker [0-9]+) "
	    "(error|warn|info|debug): ", REG_EXTENDED), 0);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(regexec(&re, line, 4, m, 0) == 0, "with "
		    "JOURNAL_STREAM naming stderr, expected every line to be "
		    "\"<N>ROLE LEVEL: ...\" (no timestamp, no forkline[PID]), "
		    "got %s", harness_quote(line, strlen(line)));
		prio = line[1] - '0';
		snprintf(level, sizeof(level), "%.*s",
		    (int)(m[3].rm_eo - m[3].rm_so), line + m[3].rm_so);
		ck_assert_msg(prio < 8 && levels[prio] != NULL &&
		    strcmp(levels[prio], level) == 0, "a line of level %s with "
		    "priority <%d>: %s", level, prio, harness_quote(line,
		    strlen(line)));
	}
	regfree(&re);
	free(text);
}

/*
 * 6. JOURNAL_STREAM naming the server's stderr: every line, from the
 * first, starts with its syslog priority ("<6>" info, "<3>" error, "<7>"
 * debug, from the master and the workers), with no timestamp of ours.
 */
START_TEST(test_journal_priorities)
{
	char		 conf[HARNESS_PATH_MAX];
	const char	*args[] = { "-v", "-c", conf, NULL };
	struct server	 s;

	harness_write_file(conf, sizeof(conf), "journal-", ".conf",
	    "[workers]\nstart = 2\n");
	spawn_journal(&s, args, false);
	ck_assert_msg(server_log_wait(&s, "<7>worker 1 debug: ",
	    HARNESS_READY_MS), "expected the workers' debug lines in %s",
	    s.log);
	harness_rewrite_file(conf, "[workers]\nstart = many\n");
	server_signal(&s, SIGHUP);
	ck_assert_msg(server_log_wait(&s, "still serving generation 1",
	    HARNESS_READY_MS), "no reload error in %s", s.log);
	server_stop_expect_zero(&s);
	assert_journal_lines(&s);
	ck_assert_msg(server_log_contains(&s,
	    "<6>master info: listening on ") &&
	    server_log_contains(&s, "<6>master info: forkline ") &&
	    server_log_contains(&s, "<3>master error: reload: ") &&
	    server_log_contains(&s, "<7>master debug: ") &&
	    server_log_contains(&s, "<7>worker 1 debug: serving"), "expected "
	    "info (<6>, start-up lines too), error (<3>) and debug (<7>) lines "
	    "in %s", s.log);
}
END_TEST

/*
 * 7. JOURNAL_STREAM naming another file: stderr is not the journal, so
 * lines keep their timestamps and have no "<N>".
 */
START_TEST(test_journal_elsewhere)
{
	const char	*args[] = { "-w", "1", NULL };
	char		*text, *line, *save = NULL;
	struct server	 s;

	spawn_journal(&s, args, true);
	server_stop_expect_zero(&s);
	text = server_log_read(&s, NULL);
	ck_assert_msg(text != NULL && strstr(text, " started: ") != NULL,
	    "no start line in %s", s.log);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		ck_assert_msg(line[0] >= '1' && line[0] <= '9' &&
		    strstr(line, "Z forkline[") != NULL, "JOURNAL_STREAM for "
		    "another file: expected timestamped lines, got %s",
		    harness_quote(line, strlen(line)));
	free(text);
}
END_TEST

/* "upgrade: new master (pid N) is serving": N, or 0. */
static pid_t
upgrade_new_pid(const struct server *s)
{
	char	*text = server_log_read(s, NULL), *p;
	long	 pid = 0;

	if (text != NULL && (p = strstr(text, "upgrade: new master (pid ")) !=
	    NULL)
		pid = strtol(p + 25, NULL, 10);
	free(text);
	return (pid_t)pid;
}

/*
 * 8. SIGUSR2 under load: 16 clients in a request loop lose nothing while
 * a new master (the binary on disk) takes over the sockets; the old one
 * exits 0 with its workers gone, the pid file names the new one, which
 * serves with its own workers and, stopped, removes the pid file.
 */
START_TEST(test_upgrade_under_load)
{
	struct load_spec spec = { .clients = 16, .total = 1000000,
	    .duration_ms = 3000, .per_conn = 4, .kind = LOAD_PING_ECHO };
	char		 dir[HARNESS_PATH_MAX], pidfile[PATH_LEN], title[64];
	const char	*args[] = { "-w", "3", "--pid-file", pidfile, NULL };
	const struct load_result *r;
	struct pidset	 old;
	struct server	 s;
	struct load	*l;
	pid_t		 next, kids[HARNESS_MAX_PIDS];
	int		 i, n;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/fl.pid", dir);
	server_start(&s, args);
	server_wait_workers(&s, 3, old.pids);
	old.n = 3;
	ck_assert_msg(pidfile_pid(pidfile) == s.pid, "the pid file %s names "
	    "%ld, expected the master %ld", pidfile, (long)pidfile_pid(pidfile),
	    (long)s.pid);

	spec.port = s.port;
	l = load_new(&spec);
	ck_assert_msg(!load_run(l, 1000), "the load ended early: %s",
	    load_describe(l));
	ck_assert_msg(load_result(l)->ok > 0, "no request served in 1 s: %s",
	    load_describe(l));
	server_signal(&s, SIGUSR2);
	for (i = 0; i < 300 && !load_run(l, 100); i++)
		;
	ck_assert_msg(load_done(l), "the request loop did not end within "
	    "30 s: %s", load_describe(l));
	r = load_result(l);
	assert_log(&s, r->failed == 0 && r->ok > 0, "upgrade", "upgrade under "
	    "load: %s", load_describe(l));
	load_log(l, "upgrade under load");
	load_free(l);

	ck_assert_msg(server_wait(&s, HARNESS_STOP_MS), "the old master did "
	    "not exit within %d ms of the upgrade (log %s)", HARNESS_STOP_MS,
	    s.log);
	server_assert_exit(&s, 0, "the old master after the upgrade");
	next = upgrade_new_pid(&s);
	assert_log(&s, next > 0, "upgrade", "expected \"upgrade: new master "
	    "(pid N) is serving\" from the old master");
	register_master(next);
	ck_assert_msg(pidfile_pid(pidfile) == next, "after the upgrade the "
	    "pid file names %ld, expected the new master %ld",
	    (long)pidfile_pid(pidfile), (long)next);
	ck_assert_msg(next != s.pid && ps_alive(next) &&
	    ps_cmdline(next, title, sizeof(title)) &&
	    strcmp(title, "forkline: master") == 0, "the new master %ld is "
	    "not a live \"forkline: master\"", (long)next);
	ps_assert_gone(old.pids, old.n, HARNESS_STOP_MS, "the old master's "
	    "workers");
	wait_children(next, 3, "the new master's workers");
	n = ps_children(next, kids, HARNESS_MAX_PIDS);
	for (i = 0; i < n; i++)
		ck_assert_msg(!pidset_has(&old, kids[i]), "worker %ld of the "
		    "old master is a child of the new one", (long)kids[i]);
	assert_pings(s.port);

	ck_assert_msg(kill(next, SIGTERM) == 0, "kill %ld: %s", (long)next,
	    strerror(errno));
	wait_gone(next, "the new master after SIGTERM");
	ck_assert_msg(access(pidfile, F_OK) == -1, "the new master stopped "
	    "and left the pid file %s", pidfile);
}
END_TEST

/*
 * The server started from a copy of the binary, in a directory of its
 * own; the copy's path in bin.
 */
static void
start_from_copy(struct server *s, const char *const args[], char *bin,
    size_t len)
{
	char	 dir[HARNESS_PATH_MAX], *text;
	size_t	 n;
	int	 fd;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(bin, len, "%s/forkline", dir);
	ck_assert_msg(getenv("FORKLINE_BIN") != NULL, "FORKLINE_BIN unset");
	text = harness_read_file(getenv("FORKLINE_BIN"), &n);
	ck_assert_msg(text != NULL, "cannot read %s", getenv("FORKLINE_BIN"));
	fd = open(bin, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	ck_assert_msg(fd != -1 && write(fd, text, n) == (ssize_t)n,
	    "write %s: %s", bin, strerror(errno));
	close(fd);
	free(text);
	ck_assert_msg(setenv("FORKLINE_BIN", bin, 1) == 0, "setenv");
	server_start(s, args);
}

/* Put a script where the running binary was. */
static void
replace_binary(const char *bin, const char *script)
{
	ck_assert_msg(unlink(bin) == 0, "unlink %s: %s", bin, strerror(errno));
	write_text(bin, script, 0755);
}

/* The old master serves on, with the same workers. */
static void
assert_still_serving(struct server *s, const struct pidset *before)
{
	struct pidset	 now;
	int		 i;

	ck_assert_msg(!server_wait(s, 0), "the master %s after a failed "
	    "upgrade", harness_describe_status(s->status));
	now.n = server_workers(s, now.pids, HARNESS_MAX_PIDS);
	for (i = 0; i < now.n; i++)
		ck_assert_msg(pidset_has(before, now.pids[i]), "after a failed "
		    "upgrade the master has children [%s], before [%s]",
		    pidset_text(&now), pidset_text(before));
	ck_assert_msg(now.n == before->n, "after a failed upgrade the master "
	    "has %d children [%s], before %d", now.n, pidset_text(&now),
	    before->n);
	assert_pings(s->port);
}

/*
 * 9. SIGUSR2 when the binary on disk fails to start (a script exiting 1):
 * "upgrade failed", and the old master serves on with its workers; a
 * second attempt is tried (and fails) the same way.
 */
START_TEST(test_upgrade_fails)
{
	const char	*args[] = { "-w", "2", NULL };
	char		 bin[HARNESS_PATH_MAX + 16];
	struct pidset	 before;
	struct server	 s;

	start_from_copy(&s, args, bin, sizeof(bin));
	server_wait_workers(&s, 2, before.pids);
	before.n = 2;
	replace_binary(bin, "#!/bin/sh\nexit 1\n");

	server_signal(&s, SIGUSR2);
	assert_log(&s, log_wait_count(&s, "upgrade failed", 0, 1,
	    HARNESS_READY_MS), "upgrade", "expected \"upgrade failed\" when "
	    "the new binary exits 1");
	assert_log(&s, log_count(&s, "exited with status 1", 0) == 1,
	    "upgrade", "expected the failure to say the new master exited "
	    "with status 1");
	assert_still_serving(&s, &before);

	server_signal(&s, SIGUSR2);
	assert_log(&s, log_wait_count(&s, "upgrade failed", 0, 2,
	    HARNESS_READY_MS), "upgrade", "a second SIGUSR2 after a failed "
	    "upgrade: expected another attempt, failing the same way");
	assert_still_serving(&s, &before);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 10. SIGUSR2 when the new binary never becomes ready: after
 * worker_timeout it is stopped ("upgrade failed ... not ready within"),
 * and the old master serves on.
 */
START_TEST(test_upgrade_timeout)
{
	char		 conf[HARNESS_PATH_MAX], bin[HARNESS_PATH_MAX + 16];
	const char	*args[] = { "-c", conf, "-w", "2", NULL };
	struct pidset	 before;
	struct server	 s;

	harness_write_file(conf, sizeof(conf), "upgrade-", ".conf",
	    "[workers]\nheartbeat_interval = 100ms\nworker_timeout = 1s\n");
	start_from_copy(&s, args, bin, sizeof(bin));
	server_wait_workers(&s, 2, before.pids);
	before.n = 2;
	replace_binary(bin, "#!/bin/sh\nexec sleep 30\n");

	server_signal(&s, SIGUSR2);
	assert_log(&s, log_wait_count(&s, "not ready within 1000 ms", 0, 1,
	    HARNESS_READY_MS), "upgrade", "expected \"upgrade failed: ... not "
	    "ready within 1000 ms\" for a new binary that never serves");
	/* The stopped new master is reaped: only the workers are left. */
	wait_children(s.pid, before.n, "after the new master was stopped");
	assert_still_serving(&s, &before);
	server_stop_expect_zero(&s);
}
END_TEST

static TCase *
tcase(Suite *s, const char *name, int timeout)
{
	TCase	*tc = tcase_create(name);

	tcase_set_timeout(tc, timeout);
	tcase_add_unchecked_fixture(tc, NULL, sweep);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *
ops_suite(void)
{
	Suite	*s = suite_create("ops");
	TCase	*tc;

	tc = tcase(s, "daemon", 60);
	tcase_add_test(tc, test_daemon);
	tc = tcase(s, "privileges", 60);
	tcase_add_loop_test(tc, test_privilege_drop, 0,
	    (int)(sizeof(drop_cases) / sizeof(drop_cases[0])));
	tcase_add_test(tc, test_no_such_user);
	tc = tcase(s, "logs", 60);
	tcase_add_test(tc, test_log_file_reopen);
	tcase_add_test(tc, test_access_log);
	tcase_add_test(tc, test_journal_priorities);
	tcase_add_test(tc, test_journal_elsewhere);
	tc = tcase(s, "upgrade", 60);
	tcase_add_test(tc, test_upgrade_under_load);
	tcase_add_test(tc, test_upgrade_fails);
	tcase_add_test(tc, test_upgrade_timeout);
	return s;
}

int
main(void)
{
	return harness_main(ops_suite);
}
