/*
 * proc: processes as /proc shows them. See proc.h.
 */
#include <check.h>
#include <unistd.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/proc.h"

#define PIDSET_TEXT_MAX	512

static const char *proc_stat_fields(pid_t pid, char *buf, size_t len);
static bool	 none_alive(void *arg);
static bool	 is_gone(void *arg);
static bool	 has_kids(void *arg);

/* The lobby names itself (comm) LOBBY_COMM, whatever runs it. */
#define LOBBY_COMM	"forkline-lobby"

bool
ps_is_lobby(pid_t pid)
{
	char	 path[64], comm[32] = "";
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, LOBBY_COMM) == 0;
}

/* All of pid's children, the lobby among them. */
static int
all_children(pid_t pid, pid_t *out, int max)
{
	char	 path[64];
	FILE	*f;
	long	 child;
	int	 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)pid, (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (n < max && fscanf(f, "%ld", &child) == 1)
		out[n++] = (pid_t)child;
	fclose(f);
	return n;
}

int
ps_children(pid_t pid, pid_t *out, int max)
{
	pid_t	 all[HARNESS_MAX_PIDS];
	int	 i, n = 0, got = all_children(pid, all, HARNESS_MAX_PIDS);

	for (i = 0; i < got && n < max; i++)
		if (!ps_is_lobby(all[i]))
			out[n++] = all[i];
	return n;
}

bool
ps_holds(pid_t pid, const char *target)
{
	char		 dir[64], link[64 + 256 + 8], got[PATH_MAX];
	struct dirent	*d;
	ssize_t		 n;
	bool		 found = false;
	DIR		*fds;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	if ((fds = opendir(dir)) == NULL)
		return false;
	while (!found && (d = readdir(fds)) != NULL) {
		snprintf(link, sizeof(link), "%s/%s", dir, d->d_name);
		if ((n = readlink(link, got, sizeof(got) - 1)) <= 0)
			continue;
		got[n] = '\0';
		found = strcmp(got, target) == 0;
	}
	closedir(fds);
	return found;
}

pid_t
ps_lobby(pid_t master)
{
	pid_t	 all[HARNESS_MAX_PIDS];
	int	 i, got = all_children(master, all, HARNESS_MAX_PIDS);

	for (i = 0; i < got; i++)
		if (ps_is_lobby(all[i]))
			return all[i];
	return 0;
}

/*
 * The fields of /proc/PID/stat after the command name, in buf: "pid (comm)
 * S ..." where comm may hold anything, so after the last ')'. NULL when
 * the process is gone.
 */
static const char *
proc_stat_fields(pid_t pid, char *buf, size_t len)
{
	char	 path[64], *paren;
	size_t	 n;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((paren = strrchr(buf, ')')) == NULL || paren[1] == '\0')
		return NULL;
	return paren + 2;
}

bool
ps_alive(pid_t pid)
{
	char	 st = ps_state(pid);

	return st != '\0' && st != 'Z' && st != 'X';
}

char
ps_state(pid_t pid)
{
	char		 buf[512];
	const char	*fields = proc_stat_fields(pid, buf, sizeof(buf));

	return fields != NULL ? fields[0] : '\0';
}

void
ps_status_field(pid_t pid, const char *name, char *out, size_t len)
{
	char	 path[64], line[512];
	size_t	 nlen = strlen(name);
	FILE	*f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, nlen) == 0 && line[nlen] == ':') {
			snprintf(out, len, "%s", line + nlen + 1 +
			    strspn(line + nlen + 1, " \t"));
			out[strcspn(out, "\n")] = '\0';
			nlen = strlen(out);
			while (nlen > 0 && (out[nlen - 1] == ' ' ||
			    out[nlen - 1] == '\t'))
				out[--nlen] = '\0';
			break;
		}
	fclose(f);
}

const char *
ps_describe(pid_t pid, char *buf, size_t len)
{
	char	 path[64], wchan[64] = "?", pnd[32], shd[32], blk[32];
	char	 state = ps_state(pid);
	FILE	*f;

	if (state == '\0') {
		snprintf(buf, len, "gone");
		return buf;
	}
	snprintf(path, sizeof(path), "/proc/%ld/wchan", (long)pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(wchan, sizeof(wchan), f) == NULL)
			snprintf(wchan, sizeof(wchan), "?");
		fclose(f);
	}
	ps_status_field(pid, "SigPnd", pnd, sizeof(pnd));
	ps_status_field(pid, "ShdPnd", shd, sizeof(shd));
	ps_status_field(pid, "SigBlk", blk, sizeof(blk));
	snprintf(buf, len, "state %c, waiting in %s, signals pending %s, "
	    "shared pending %s, blocked %s", state, wchan, pnd, shd, blk);
	return buf;
}

long
ps_rss_kb(pid_t pid)
{
	char	 path[64], line[256];
	long	 kb = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long
ps_cpu_ticks(pid_t pid)
{
	char		 buf[1024] = "";
	const char	*fields = proc_stat_fields(pid, buf, sizeof(buf));
	unsigned long	 utime, stime;

	ck_assert_msg(fields != NULL, "/proc/%ld/stat: no such process",
	    (long)pid);
	ck_assert_msg(sscanf(fields, "%*c %*d %*d %*d %*d "
	    "%*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2,
	    "parse /proc/%ld/stat: %s", (long)pid, buf);
	return (long)(utime + stime);
}

bool
ps_cmdline(pid_t pid, char *buf, size_t len)
{
	char	 path[64];
	size_t	 n;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return n > 0;
}

unsigned long long
ps_start_time(pid_t pid)
{
	char			 buf[1024];
	const char		*fields;
	unsigned long long	 t = 0;

	fields = proc_stat_fields(pid, buf, sizeof(buf));
	if (fields == NULL || sscanf(fields, "%*c %*d %*d %*d %*d %*d %*u "
	    "%*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &t) != 1)
		return 0;
	return t;
}

struct pids {
	const pid_t	*pids;
	int		 n;
};

static bool
none_alive(void *arg)
{
	struct pids	*p = arg;
	int		 i;

	for (i = 0; i < p->n; i++)
		if (ps_alive(p->pids[i]))
			return false;
	return true;
}

void
ps_assert_gone(const pid_t *pids, int n, int timeout_ms, const char *what)
{
	struct pids	 p = { pids, n };
	char		 msg[1024] = "", cmd[128];
	size_t		 off = 0;
	int		 i;

	if (harness_wait_until(none_alive, &p, timeout_ms))
		return;
	for (i = 0; i < n && off < sizeof(msg) - 200; i++) {
		if (!ps_alive(pids[i]))
			continue;
		if (!ps_cmdline(pids[i], cmd, sizeof(cmd)))
			snprintf(cmd, sizeof(cmd), "?");
		off += (size_t)snprintf(msg + off, sizeof(msg) - off,
		    " %ld (%s)", (long)pids[i], cmd);
	}
	ck_abort_msg("%s: expected these processes to be gone within %d ms, "
	    "still running:%s", what, timeout_ms, msg);
}

static bool
is_gone(void *arg)
{
	return !ps_alive(*(pid_t *)arg);
}

void
ps_wait_gone(pid_t pid, const char *what)
{
	ck_assert_msg(harness_wait_until(is_gone, &pid, HARNESS_STOP_MS),
	    "%s: expected pid %ld to be gone within %d ms", what, (long)pid,
	    HARNESS_STOP_MS);
}

struct kids_wait {
	pid_t	 pid;
	int	 n;
};

/*
 * w->n workers, and the lobby among the children by its name. The lobby is
 * forked before the first worker and names itself only once it runs: until
 * then it is a child called forkline like the workers, and counting then
 * would take it for one (a reload test then waited for the "worker" to be
 * drained).
 */
static bool
has_kids(void *arg)
{
	struct kids_wait	*w = arg;
	pid_t			 kids[HARNESS_MAX_PIDS];

	return ps_lobby(w->pid) != 0 &&
	    ps_children(w->pid, kids, HARNESS_MAX_PIDS) == w->n;
}

void
ps_wait_children(pid_t pid, int n, const char *what)
{
	struct kids_wait	 w = { pid, n };
	pid_t			 kids[HARNESS_MAX_PIDS];

	ck_assert_msg(harness_wait_until(has_kids, &w, HARNESS_READY_MS),
	    "%s: expected pid %ld to have %d children within %d ms, it has %d",
	    what, (long)pid, n, HARNESS_READY_MS, ps_children(pid, kids,
	    HARNESS_MAX_PIDS));
}

int
server_workers(const struct server *s, pid_t *out, int max)
{
	return ps_children(s->pid, out, max);
}

/*
 * pid is a live child of the master. Asked of the process itself, not of
 * the master's children list, which the kernel may return short while
 * another child is being forked or reaped (a crashing worker's restart).
 */
bool
server_is_worker(const struct server *s, pid_t pid)
{
	char		 buf[512];
	const char	*fields = proc_stat_fields(pid, buf, sizeof(buf));
	char		 state;
	long		 ppid;

	if (fields == NULL || sscanf(fields, "%c %ld", &state, &ppid) != 2)
		return false;
	return ppid == (long)s->pid && state != 'Z' && state != 'X';
}

bool
pidset_has(const struct pidset *set, pid_t pid)
{
	int	 i;

	for (i = 0; i < set->n; i++)
		if (set->pids[i] == pid)
			return true;
	return false;
}

const char *
pidset_text(const struct pidset *set)
{
	char	*buf = harness_scratch();
	size_t	 off = 0;
	int	 i;

	buf[0] = '\0';
	for (i = 0; i < set->n && off < PIDSET_TEXT_MAX - 16; i++)
		off += (size_t)snprintf(buf + off, PIDSET_TEXT_MAX - off,
		    "%s%ld", i == 0 ? "" : " ", (long)set->pids[i]);
	return buf;
}

bool
worker_replaced(void *arg)
{
	struct replaced	*r = arg;

	r->now.n = server_workers(r->s, r->now.pids, HARNESS_MAX_PIDS);
	return r->now.n == r->n && !pidset_has(&r->now, r->gone) &&
	    !ps_alive(r->gone);
}

void
server_wait_workers(const struct server *s, int n, pid_t *out)
{
	struct kids_wait	 w = { s->pid, n };
	int			 got;

	if (!harness_wait_until(has_kids, &w, HARNESS_READY_MS)) {
		got = server_workers(s, out, n);
		server_fail(s, "expected the master (pid %ld) to have %d "
		    "worker processes within %d ms, it has %d", (long)s->pid,
		    n, HARNESS_READY_MS, got);
	}
	server_workers(s, out, n);
}
