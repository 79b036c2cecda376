/*
 * Unit tests for common/future.c: real children, real pipes.
 *
 * Every test forks. The children spawned through spawn() carry
 * PR_SET_PDEATHSIG=SIGKILL and bound their own lifetime, so a failed test
 * leaves nothing running for long. Waits are on events (the pipe, a pidfd)
 * with a deadline; the only sleeps are in children, to pace their output.
 * Child functions never call ck_assert: they report through their pipe or
 * their exit code (CHILD_FAIL when a system call failed).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/future.h"

#define DRIVE_MS	5000	/* bound on any one future's run */
#define CHILD_FAIL	111	/* a child's system call failed */
#define NRECORDS	1000
#define SEQ_TEXT	32
#define NELEM(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* A 40-byte record carrying its sequence number three ways. */
struct seqrec {
	uint32_t	 seq;
	uint32_t	 inv;		/* ~seq */
	char		 text[SEQ_TEXT];	/* "record %u", NUL-padded */
};
_Static_assert(sizeof(struct seqrec) == 40, "seqrec must be 40 bytes");

/* What the callbacks saw. */
struct probe {
	struct future		*f;
	int			 records;	/* on_record calls */
	int			 done;		/* on_done calls */
	int			 records_at_done;
	struct future_result	 result;
	bool			 check_seq;	/* records are seqrecs */
	unsigned char		 last[PIPE_BUF];	/* the last record */
};

/* spawn() runs the child function through this. */
struct trampoline {
	pid_t		 parent;
	future_child_fn	 fn;
	void		*arg;
};

/* Child arguments. */
struct pieces_arg {
	int	 nrecords;
	size_t	 extra;		/* bytes of one more record, then exit */
};
struct go_arg {
	int	 go_fd;		/* read end: wait for a byte or EOF */
	int	 report_fd;
};
struct crash_arg {
	int		 sig;
	const char	*dir;	/* where a core file may land */
};

static int64_t	 clock_ms(void);
static void	 sleep_us(long us);
static int	 pidfd_open(pid_t pid);
static void	 write_all(int fd, const void *buf, size_t n);
static void	 wait_go(int fd);
static unsigned char pattern(size_t i);
static void	 make_seqrec(struct seqrec *r, uint32_t seq);

static void	 child_trampoline(int wfd, void *arg);
static void	 spawn(struct future *f, struct future_spec *spec,
		    future_child_fn fn, void *arg);
static int	 spawn_go(struct future *f, struct future_spec *spec,
		    future_child_fn fn, struct go_arg *a);
static void	 records_spec(struct future_spec *spec, struct probe *p,
		    size_t record_size);
static void	 output_spec(struct future_spec *spec, enum future_type type,
		    size_t max_output);
static void	 on_record(struct future *f, const void *record, void *arg);
static void	 on_done(struct future *f, const struct future_result *r,
		    void *arg);
static int	 drive(struct future *f, int timeout_ms);
static void	 wait_readable(int fd, int timeout_ms);
static void	 wait_exited(pid_t pid, int timeout_ms);
static void	 wait_output(struct future *f, const char *want,
		    int timeout_ms);
static void	 get_ok(struct future *f, int64_t timeout_ms);
static int	 timed_get(struct future *f, int64_t timeout_ms,
		    int64_t grace_ms, int *err, int64_t *elapsed);
static void	 assert_exited(const struct future_result *r, int code);
static void	 assert_signaled(const struct future_result *r, int sig);
static void	 remove_dir(const char *dir);

static void	 child_pieces(int wfd, void *arg);
static void	 child_nothing(int wfd, void *arg);
static void	 child_exit_code(int wfd, void *arg);
static void	 child_raise(int wfd, void *arg);
static void	 child_crash(int wfd, void *arg);
static void	 child_one_record_then_go(int wfd, void *arg);
static void	 child_half_record_go_rest(int wfd, void *arg);
static void	 child_one_record(int wfd, void *arg);
static void	 child_dribble(int wfd, void *arg);
static void	 child_sleep(int wfd, void *arg);
static void	 child_ignore_term(int wfd, void *arg);
static void	 child_flood(int wfd, void *arg);
static void	 child_grandchild(int wfd, void *arg);
static void	 child_write_arg(int wfd, void *arg);
static void	 child_write_pattern(int wfd, void *arg);
static void	 child_term_reporter(int wfd, void *arg);
static void	 child_flush_on_term(int wfd, void *arg);
static void	 child_list_fds(int wfd, void *arg);
static void	 child_big_record(int wfd, void *arg);
static int	 int_cmp(const void *a, const void *b);
static void	 on_alarm(int sig);
static void	 on_term_report(int sig);
static void	 on_term_flag(int sig);
static void	 on_term_forward(int sig);
static void	 start_alarm_storm(void);
static void	 stop_alarm_storm(void);
static Suite	*future_suite(void);

static volatile sig_atomic_t	 alarms;
static int			 term_report_fd = -1;
static volatile sig_atomic_t	 term_seen;
static int			 forward_fd = -1;
/* Where crashing children dump core: made and removed by main(), so a
 * failed test (which ends with _exit) leaves no core file behind. */
static char			 core_dir[] = "/tmp/check_future.XXXXXX";

/* Helpers ---------------------------------------------------------------- */

static int64_t
clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* For children only: pacing output, never waiting for an event. */
static void
sleep_us(long us)
{
	struct timespec	 ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Children: write everything or die with CHILD_FAIL. */
static void
write_all(int fd, const void *buf, size_t n)
{
	const unsigned char	*p = buf;
	ssize_t			 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			_exit(CHILD_FAIL);
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Children: block until the parent writes a byte or closes the go pipe. */
static void
wait_go(int fd)
{
	char	 c;

	while (read(fd, &c, 1) == -1 && errno == EINTR)
		;
}

static unsigned char
pattern(size_t i)
{
	return (unsigned char)((i * 31 + 7) & 0xff);
}

static void
make_seqrec(struct seqrec *r, uint32_t seq)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->inv = ~seq;
	snprintf(r->text, sizeof(r->text), "record %u", (unsigned int)seq);
}

/*
 * In the child: die with the test process, and not run at all if it is
 * already gone.
 */
static void
child_trampoline(int wfd, void *arg)
{
	struct trampoline	*t = arg;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != t->parent)
		_exit(CHILD_FAIL);
	t->fn(wfd, t->arg);
}

static void
spawn(struct future *f, struct future_spec *spec, future_child_fn fn,
    void *arg)
{
	struct trampoline	 t = { getpid(), fn, arg };

	ck_assert_msg(future_spawn(f, spec, child_trampoline, &t) == 0,
	    "future_spawn: %s", strerror(errno));
	ck_assert_int_gt(f->pid, 0);
	ck_assert_int_ge(f->fd, 0);
}

/*
 * spawn() with a go pipe (see wait_go): the child keeps its read end, as
 * a->go_fd. Returns the write end, for the test to write to or close.
 */
static int
spawn_go(struct future *f, struct future_spec *spec, future_child_fn fn,
    struct go_arg *a)
{
	int	 go[2];

	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	a->go_fd = go[0];
	spec->keep_fds = &a->go_fd;
	spec->nkeep = 1;
	spawn(f, spec, fn, a);
	close(go[0]);
	return go[1];
}

static void
records_spec(struct future_spec *spec, struct probe *p, size_t record_size)
{
	memset(spec, 0, sizeof(*spec));
	spec->type = FUTURE_RECORDS;
	spec->record_size = record_size;
	spec->on_record = on_record;
	spec->on_done = on_done;
	spec->arg = p;
}

static void
output_spec(struct future_spec *spec, enum future_type type,
    size_t max_output)
{
	memset(spec, 0, sizeof(*spec));
	spec->type = type;
	spec->max_output = max_output;
}

static void
on_record(struct future *f, const void *record, void *arg)
{
	struct probe	*p = arg;
	struct seqrec	 r, want;

	ck_assert_msg(f == p->f, "on_record got another future");
	ck_assert_msg(p->done == 0, "on_record after on_done");
	memcpy(p->last, record, f->spec.record_size);
	if (p->check_seq) {
		memcpy(&r, record, sizeof(r));
		make_seqrec(&want, (uint32_t)p->records);
		ck_assert_msg(memcmp(&r, &want, sizeof(r)) == 0,
		    "record %d: got seq %u inv %08x text \"%.*s\"",
		    p->records, (unsigned int)r.seq, (unsigned int)r.inv,
		    SEQ_TEXT, r.text);
	}
	p->records++;
}

static void
on_done(struct future *f, const struct future_result *r, void *arg)
{
	struct probe	*p = arg;

	ck_assert_msg(f == p->f, "on_done got another future");
	ck_assert_msg(f->eof && f->reaped,
	    "on_done before both EOF (%d) and the status (%d)", f->eof,
	    f->reaped);
	p->done++;
	p->records_at_done = p->records;
	p->result = *r;
}

/*
 * The event loop an owner of futures runs: poll the read end and a pidfd,
 * call future_buffer on input and future_reap once the child has ended,
 * until the future is done. Fails the test past timeout_ms. Returns how
 * many future_buffer calls left a partial record behind.
 */
static int
drive(struct future *f, int timeout_ms)
{
	struct pollfd		 pfd[2];
	int64_t			 deadline = clock_ms() + timeout_ms, left;
	enum future_io		 io;
	int			 pidfd, n, partial = 0;

	ck_assert_msg((pidfd = pidfd_open(f->pid)) != -1,
	    "pidfd_open(%d): %s", (int)f->pid, strerror(errno));
	while (!f->done) {
		left = deadline - clock_ms();
		ck_assert_msg(left > 0, "future of pid %d not done after %d ms "
		    "(eof %d, reaped %d)", (int)f->pid, timeout_ms, f->eof,
		    f->reaped);
		pfd[0] = (struct pollfd){ .fd = f->fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = f->reaped ? -1 : pidfd,
		    .events = POLLIN };
		n = poll(pfd, 2, (int)left);
		if (n == -1) {
			ck_assert_msg(errno == EINTR, "poll: %s",
			    strerror(errno));
			continue;
		}
		if (pfd[0].revents != 0) {
			io = future_buffer(f);
			ck_assert_msg(io != FUTURE_ERROR, "future_buffer: %s",
			    strerror(errno));
			if (io == FUTURE_AGAIN && f->len > 0)
				partial++;
		}
		if (pfd[1].revents != 0)
			ck_assert_msg(future_reap(f) == 1,
			    "pidfd readable but future_reap did not reap");
	}
	close(pidfd);
	return partial;
}

static void
wait_readable(int fd, int timeout_ms)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	int64_t		 deadline = clock_ms() + timeout_ms, left;

	for (;;) {
		left = deadline - clock_ms();
		ck_assert_msg(left > 0, "fd %d not readable after %d ms", fd,
		    timeout_ms);
		if (poll(&pfd, 1, (int)left) == 1)
			return;
	}
}

/* Wait until pid has ended, without reaping it. */
static void
wait_exited(pid_t pid, int timeout_ms)
{
	int	 pidfd;

	ck_assert_msg((pidfd = pidfd_open(pid)) != -1, "pidfd_open(%d): %s",
	    (int)pid, strerror(errno));
	wait_readable(pidfd, timeout_ms);
	close(pidfd);
}

/* Feed future_buffer until the output (a STRING) contains want. */
static void
wait_output(struct future *f, const char *want, int timeout_ms)
{
	int64_t	 deadline = clock_ms() + timeout_ms;
	size_t	 len;

	for (;;) {
		ck_assert_msg(future_buffer(f) == FUTURE_AGAIN,
		    "pipe closed or failed while waiting for \"%s\"", want);
		if (strstr(future_output(f, &len), want) != NULL)
			return;
		ck_assert_msg(clock_ms() < deadline, "no \"%s\" after %d ms, "
		    "output so far \"%s\"", want, timeout_ms,
		    (const char *)future_output(f, NULL));
		wait_readable(f->fd, (int)(deadline - clock_ms()));
	}
}

static void
get_ok(struct future *f, int64_t timeout_ms)
{
	ck_assert_msg(future_get(f, timeout_ms, 100) == 0,
	    "future_get: %s", strerror(errno));
	ck_assert(f->done);
}

/* future_get, timed: its result, errno after it, the ms it took. */
static int
timed_get(struct future *f, int64_t timeout_ms, int64_t grace_ms, int *err,
    int64_t *elapsed)
{
	int64_t	 t0 = clock_ms();
	int	 rc;

	rc = future_get(f, timeout_ms, grace_ms);
	*err = errno;
	*elapsed = clock_ms() - t0;
	return rc;
}

static void
assert_exited(const struct future_result *r, int code)
{
	char	 how[128];

	future_describe(r, how, sizeof(how));
	ck_assert_msg(r->exited && !r->signaled && r->code == code,
	    "want exited with status %d, got %s", code, how);
}

static void
assert_signaled(const struct future_result *r, int sig)
{
	char	 how[128];

	future_describe(r, how, sizeof(how));
	ck_assert_msg(r->signaled && !r->exited && r->signal == sig,
	    "want killed by signal %d, got %s", sig, how);
}

static void
remove_dir(const char *dir)
{
	char		 path[PATH_MAX];
	struct dirent	*e;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Children ---------------------------------------------------------------- */

/*
 * nrecords seqrecs in pieces of 7, 13, 1, 19 and 3 bytes (43 in a cycle,
 * so the cuts fall everywhere in a record), pausing after each piece so
 * they arrive in separate reads; then extra bytes of one more record.
 */
static void
child_pieces(int wfd, void *arg)
{
	static const size_t	 sizes[] = { 7, 13, 1, 19, 3 };
	struct pieces_arg	*a = arg;
	struct seqrec		*all;
	size_t			 total, off, n, i = 0;
	int			 k;

	total = (size_t)a->nrecords * sizeof(*all) + a->extra;
	if ((all = calloc((size_t)a->nrecords + 1, sizeof(*all))) == NULL)
		_exit(CHILD_FAIL);
	for (k = 0; k <= a->nrecords; k++)
		make_seqrec(&all[k], (uint32_t)k);
	for (off = 0; off < total; off += n) {
		n = sizes[i++ % 5];
		if (n > total - off)
			n = total - off;
		write_all(wfd, (unsigned char *)all + off, n);
		sleep_us(20);
	}
	free(all);
}

static void
child_nothing(int wfd, void *arg)
{
	(void)wfd;
	(void)arg;
}

static void
child_exit_code(int wfd, void *arg)
{
	(void)wfd;
	_exit(*(int *)arg);
}

static void
child_raise(int wfd, void *arg)
{
	(void)wfd;
	raise(*(int *)arg);
	_exit(CHILD_FAIL);
}

/* Allow a core file (in a.dir) and die of a.sig. Also run unspawned. */
static void
child_crash(int wfd, void *arg)
{
	struct crash_arg	*a = arg;
	struct rlimit		 rl;

	(void)wfd;
	if (chdir(a->dir) == -1 || getrlimit(RLIMIT_CORE, &rl) == -1)
		_exit(CHILD_FAIL);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		_exit(CHILD_FAIL);
	signal(a->sig, SIG_DFL);
	if (a->sig == SIGABRT)
		abort();
	raise(a->sig);
	_exit(CHILD_FAIL);
}

/* One 4-byte record, close the pipe, then linger until told to go. */
static void
child_one_record_then_go(int wfd, void *arg)
{
	struct go_arg	*a = arg;

	write_all(wfd, "abcd", 4);
	close(wfd);
	wait_go(a->go_fd);
}

/* Half a 4-byte record; the other half once told to go. */
static void
child_half_record_go_rest(int wfd, void *arg)
{
	struct go_arg	*a = arg;

	write_all(wfd, "ab", 2);
	wait_go(a->go_fd);
	write_all(wfd, "cd", 2);
}

static void
child_one_record(int wfd, void *arg)
{
	(void)arg;
	write_all(wfd, "abcd", 4);
}

/* 100 lines, 3 ms apart: about 300 ms of output. */
static void
child_dribble(int wfd, void *arg)
{
	char	 line[32];
	int	 i, n;

	(void)arg;
	for (i = 0; i < 100; i++) {
		n = snprintf(line, sizeof(line), "line %03d\n", i);
		write_all(wfd, line, (size_t)n);
		sleep_us(3000);
	}
}

/* Sleep 10 s, or until killed. */
static void
child_sleep(int wfd, void *arg)
{
	(void)wfd;
	(void)arg;
	sleep_us(10 * 1000000L);
}

static void
child_ignore_term(int wfd, void *arg)
{
	(void)arg;
	signal(SIGTERM, SIG_IGN);
	write_all(wfd, "R", 1);
	sleep_us(10 * 1000000L);
}

/* Write 4 KiB blocks as fast as the pipe takes them, for up to 10 s. */
static void
child_flood(int wfd, void *arg)
{
	char	 block[4096];
	int64_t	 end = clock_ms() + 10000;

	(void)arg;
	memset(block, 'z', sizeof(block));
	while (clock_ms() < end)
		write_all(wfd, block, sizeof(block));
}

/*
 * Fork a grandchild that keeps the write end for up to 3 s; tell the test
 * its pid through a.report_fd, write "hello" and exit.
 */
static void
child_grandchild(int wfd, void *arg)
{
	struct go_arg	*a = arg;
	pid_t		 pid;

	if ((pid = fork()) == -1)
		_exit(CHILD_FAIL);
	if (pid == 0) {
		close(a->report_fd);
		sleep_us(3 * 1000000L);
		_exit(0);
	}
	write_all(a->report_fd, &pid, sizeof(pid));
	write_all(wfd, "hello", 5);
}

/* arg: a NUL-terminated string to write. */
static void
child_write_arg(int wfd, void *arg)
{
	write_all(wfd, arg, strlen(arg));
}

/* arg: a size_t, how many bytes of pattern() to write. */
static void
child_write_pattern(int wfd, void *arg)
{
	unsigned char	 block[8192];
	size_t		 total = *(size_t *)arg, off, n, i;

	for (off = 0; off < total; off += n) {
		n = total - off < sizeof(block) ? total - off : sizeof(block);
		for (i = 0; i < n; i++)
			block[i] = pattern(off + i);
		write_all(wfd, block, n);
	}
}

static void
on_term_report(int sig)
{
	(void)sig;
	if (write(term_report_fd, "T", 1) == -1)
		_exit(CHILD_FAIL);
}

/* Say "R" when ready, "T" on each SIGTERM; live on for up to 10 s. */
static void
child_term_reporter(int wfd, void *arg)
{
	struct sigaction	 sa;
	int			 i;

	(void)arg;
	term_report_fd = wfd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term_report;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1)
		_exit(CHILD_FAIL);
	write_all(wfd, "R", 1);
	for (i = 0; i < 1000; i++)
		sleep_us(10000);
}

static void
on_term_flag(int sig)
{
	(void)sig;
	term_seen = 1;
}

/*
 * Say "R" when ready; on SIGTERM write 256 KiB, more than a pipe holds, and
 * exit 0: a child that flushes on its way out needs its pipe drained.
 */
static void
child_flush_on_term(int wfd, void *arg)
{
	struct sigaction	 sa;
	char			 block[4096];
	int			 i;

	(void)arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term_flag;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1)
		_exit(CHILD_FAIL);
	write_all(wfd, "R", 1);
	for (i = 0; i < 1000 && !term_seen; i++)
		sleep_us(10000);
	memset(block, 'z', sizeof(block));
	for (i = 0; i < 64; i++)
		write_all(wfd, block, sizeof(block));
}

static int
int_cmp(const void *a, const void *b)
{
	int	 x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Write "open:" and the open fds other than 0, 1, 2 and wfd, ascending. */
static void
child_list_fds(int wfd, void *arg)
{
	char		 out[1024] = "open:";
	int		 fds[256], n = 0, i, fd;
	struct dirent	*e;
	DIR		*d;

	(void)arg;
	if ((d = opendir("/proc/self/fd")) == NULL)
		_exit(CHILD_FAIL);
	while ((e = readdir(d)) != NULL && n < 256) {
		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd > 2 && fd != wfd && fd != dirfd(d))
			fds[n++] = fd;
	}
	closedir(d);
	qsort(fds, (size_t)n, sizeof(int), int_cmp);
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), " %d",
		    fds[i]);
	write_all(wfd, out, strlen(out));
}

/* One PIPE_BUF record of pattern(), in one (atomic) write. */
static void
child_big_record(int wfd, void *arg)
{
	unsigned char	 rec[PIPE_BUF];
	size_t		 i;

	(void)arg;
	for (i = 0; i < sizeof(rec); i++)
		rec[i] = pattern(i);
	write_all(wfd, rec, sizeof(rec));
}

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* SIGALRM every millisecond, without SA_RESTART: every wait sees EINTR. */
static void
start_alarm_storm(void)
{
	struct sigaction	 sa;
	struct itimerval	 it = { { 0, 1000 }, { 0, 1000 } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	ck_assert(sigaction(SIGALRM, &sa, NULL) == 0);
	alarms = 0;
	ck_assert(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

static void
stop_alarm_storm(void)
{
	struct itimerval	 it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_IGN);
}

/* Records ----------------------------------------------------------------- */

/*
 * A child writes records (child_pieces: in pieces that cut them
 * everywhere), the callbacks see each one whole and then on_done. A
 * partial record at the end is no record; reads ending inside one are
 * counted, and must be, or cutting them was not exercised.
 */
static const struct records_case {
	const char		*what;
	size_t			 record_size;
	future_child_fn		 child;
	struct pieces_arg	 pieces;	/* child_pieces' */
	bool			 check_seq;	/* records are seqrecs */
	int			 records;	/* on_record calls */
	int			 min_partial;	/* reads inside a record */
} records_cases[] = {
	{ "split across reads", sizeof(struct seqrec), child_pieces,
	    { NRECORDS, 0 }, true, NRECORDS, 10 },
	{ "partial tail", sizeof(struct seqrec), child_pieces,
	    { 1, sizeof(struct seqrec) / 2 }, true, 1, 0 },
	{ "none", 8, child_nothing, { 0, 0 }, false, 0, 0 },
};

START_TEST(test_records)
{
	const struct records_case *rc = &records_cases[_i];
	struct future		 f;
	struct future_spec	 spec;
	struct probe		 p = { .f = &f, .check_seq = rc->check_seq };
	struct pieces_arg	 a = rc->pieces;
	int			 partial;

	records_spec(&spec, &p, rc->record_size);
	spawn(&f, &spec, rc->child, &a);
	partial = drive(&f, DRIVE_MS);
	ck_assert_msg(p.records == rc->records, "%s: %d records, want %d",
	    rc->what, p.records, rc->records);
	ck_assert_int_eq(p.done, 1);
	ck_assert_int_eq(p.records_at_done, rc->records);
	assert_exited(&p.result, 0);
	ck_assert_msg(partial >= rc->min_partial, "%s: only %d reads ended "
	    "inside a record", rc->what, partial);
	future_free(&f);
}
END_TEST

/* record_size PIPE_BUF works; PIPE_BUF + 1 and 0 fork nothing. */
START_TEST(test_records_size_limits)
{
	struct future		 f;
	struct future_spec	 spec;
	struct probe		 p = { .f = &f };
	size_t			 i;

	records_spec(&spec, &p, PIPE_BUF + 1);
	errno = 0;
	ck_assert_int_eq(future_spawn(&f, &spec, child_nothing, NULL), -1);
	ck_assert_msg(errno == EINVAL, "want EINVAL, got %s", strerror(errno));
	ck_assert_ptr_null(f.buf);
	records_spec(&spec, &p, 0);
	errno = 0;
	ck_assert_int_eq(future_spawn(&f, &spec, child_nothing, NULL), -1);
	ck_assert_msg(errno == EINVAL, "want EINVAL, got %s", strerror(errno));
	/* Nothing was forked: this test process has no child at all. */
	ck_assert_msg(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "a rejected spec left a child behind");

	records_spec(&spec, &p, PIPE_BUF);
	spawn(&f, &spec, child_big_record, NULL);
	drive(&f, DRIVE_MS);
	ck_assert_int_eq(p.records, 1);
	for (i = 0; i < PIPE_BUF; i++)
		ck_assert_msg(p.last[i] == pattern(i), "byte %zu: %u, want %u",
		    i, p.last[i], pattern(i));
	assert_exited(&p.result, 0);
	future_free(&f);
}
END_TEST

/* Status ------------------------------------------------------------------ */

/* How a child ended, as the future reports it: never a core here. */
static const struct death_case {
	future_child_fn	 child;
	int		 arg;		/* child_exit_code's, child_raise's */
	int		 code;		/* exited with */
	int		 sig;		/* or killed by */
} death_cases[] = {
	{ child_exit_code, 3, 3, 0 },
	{ child_exit_code, 255, 255, 0 },
	{ child_exit_code, 1, 1, 0 },
	{ child_raise, SIGKILL, 0, SIGKILL },
};

START_TEST(test_deaths)
{
	const struct death_case	*d = &death_cases[_i];
	struct future		 f;
	struct future_spec	 spec;
	struct probe		 p = { .f = &f };
	int			 arg = d->arg;

	records_spec(&spec, &p, 8);
	spawn(&f, &spec, d->child, &arg);
	drive(&f, DRIVE_MS);
	ck_assert_int_eq(p.done, 1);
	if (d->sig != 0)
		assert_signaled(&p.result, d->sig);
	else
		assert_exited(&p.result, d->code);
	ck_assert_msg(!p.result.core_dumped, "case %d reported a core dump",
	    _i);
	future_free(&f);
}
END_TEST

/*
 * A child that may dump core dies of SIGABRT, or of SIGSEGV. A plain
 * forked twin doing the same, waited for here, says what the kernel
 * reports; the future must report the same. If the kernel writes no core
 * here (core_pattern pipes to a missing helper, a hard limit of 0), the
 * "core dumped" case cannot be seen and is skipped with a note.
 */
static const int	 core_sigs[] = { SIGABRT, SIGSEGV };

START_TEST(test_killed_with_core)
{
	const int		 sig = core_sigs[_i];
	struct future		 f;
	struct future_spec	 spec;
	struct probe		 p;
	struct crash_arg	 a;
	char			 pat[256] = "?";
	FILE			*fp;
	pid_t			 pid;
	int			 status;

	if ((fp = fopen("/proc/sys/kernel/core_pattern", "r")) != NULL) {
		if (fgets(pat, sizeof(pat), fp) != NULL)
			pat[strcspn(pat, "\n")] = '\0';
		fclose(fp);
	}
	a.sig = sig;
	a.dir = core_dir;
	fflush(NULL);
	status = -1;
	if ((pid = fork()) == 0)
		child_crash(-1, &a);
	if (pid > 0)
		waitpid(pid, &status, 0);

	memset(&p, 0, sizeof(p));
	p.f = &f;
	records_spec(&spec, &p, 8);
	spawn(&f, &spec, child_crash, &a);
	drive(&f, DRIVE_MS);
	future_free(&f);

	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == sig,
	    "twin did not die of signal %d (status 0x%x)", sig, status);
	ck_assert_int_eq(p.done, 1);
	assert_signaled(&p.result, sig);
	if (!WCOREDUMP(status))
		fprintf(stderr, "check_future: note: signal %d dumps no core "
		    "here (core_pattern \"%s\"); the core-dumped case is not "
		    "checked\n", sig, pat);
	ck_assert_msg(p.result.core_dumped == (WCOREDUMP(status) != 0),
	    "signal %d: core_dumped %d, but the kernel says %d", sig,
	    p.result.core_dumped, WCOREDUMP(status) != 0);
}
END_TEST

/* future_describe: all of want, or its start and what it holds or not. */
static const struct describe_case {
	struct future_result	 r;
	const char		*want;		/* exactly; or */
	const char		*prefix;
	const char		*has;		/* NULL: not checked */
	const char		*lacks;
} describe_cases[] = {
	{ { .exited = true, .code = 3 }, "exited with status 3", NULL, NULL,
	    NULL },
	{ { .signaled = true, .signal = SIGABRT, .core_dumped = true }, NULL,
	    "killed by signal 6 (", "), core dumped", NULL },
	{ { .signaled = true, .signal = SIGKILL }, NULL,
	    "killed by signal 9 (", NULL, "core" },
};

START_TEST(test_describe)
{
	const struct describe_case *d = &describe_cases[_i];
	char			 buf[128];

	future_describe(&d->r, buf, sizeof(buf));
	if (d->want != NULL) {
		ck_assert_str_eq(buf, d->want);
		return;
	}
	ck_assert_msg(strncmp(buf, d->prefix, strlen(d->prefix)) == 0 &&
	    (d->has == NULL || strstr(buf, d->has) != NULL) &&
	    (d->lacks == NULL || strstr(buf, d->lacks) == NULL),
	    "got \"%s\"", buf);
}
END_TEST

/* Completion order -------------------------------------------------------- */

/* EOF first, the status later: on_done waits for the status. */
START_TEST(test_done_eof_then_exit)
{
	struct future		 f;
	struct future_spec	 spec;
	struct probe		 p = { .f = &f };
	struct go_arg		 a;
	int			 go;
	enum future_io		 io;

	records_spec(&spec, &p, 4);
	go = spawn_go(&f, &spec, child_one_record_then_go, &a);

	do {
		wait_readable(f.fd, DRIVE_MS);
	} while ((io = future_buffer(&f)) == FUTURE_AGAIN);
	ck_assert_int_eq(io, FUTURE_EOF);
	ck_assert_int_eq(p.records, 1);
	ck_assert_msg(p.done == 0, "on_done before the child ended");
	ck_assert_int_eq(future_reap(&f), 0);	/* it waits on go */
	ck_assert_int_eq(future_buffer(&f), FUTURE_EOF);
	ck_assert_int_eq(p.done, 0);

	close(go);
	wait_exited(f.pid, DRIVE_MS);
	ck_assert_int_eq(future_reap(&f), 1);
	ck_assert_int_eq(p.done, 1);
	assert_exited(&p.result, 0);
	ck_assert_int_eq(future_reap(&f), 1);
	ck_assert_int_eq(future_buffer(&f), FUTURE_EOF);
	future_abandon_output(&f);
	ck_assert_int_eq(p.done, 1);
	future_free(&f);
}
END_TEST

/* Both are in; reap first, then read to EOF. */
START_TEST(test_done_reap_before_buffer)
{
	struct future		 f;
	struct future_spec	 spec;
	struct probe		 p = { .f = &f };

	records_spec(&spec, &p, 4);
	spawn(&f, &spec, child_one_record, NULL);
	wait_exited(f.pid, DRIVE_MS);
	ck_assert_int_eq(future_reap(&f), 1);
	ck_assert_msg(p.done == 0, "on_done before EOF");
	ck_assert_int_eq(future_reap(&f), 1);
	ck_assert_int_eq(p.done, 0);
	ck_assert_int_eq(future_buffer(&f), FUTURE_EOF);
	ck_assert_int_eq(p.records, 1);
	ck_assert_int_eq(p.done, 1);
	ck_assert_int_eq(future_buffer(&f), FUTURE_EOF);
	ck_assert_int_eq(future_reap(&f), 1);
	future_abandon_output(&f);
	ck_assert_int_eq(p.done, 1);
	assert_exited(&p.result, 0);
	future_free(&f);
}
END_TEST

/* Both are in; read to EOF first, then reap. */
START_TEST(test_done_buffer_before_reap)
{
	struct future		 f;
	struct future_spec	 spec;
	struct probe		 p = { .f = &f };

	records_spec(&spec, &p, 4);
	spawn(&f, &spec, child_one_record, NULL);
	wait_exited(f.pid, DRIVE_MS);
	ck_assert_int_eq(future_buffer(&f), FUTURE_EOF);
	ck_assert_int_eq(p.records, 1);
	ck_assert_msg(p.done == 0, "on_done before the status");
	ck_assert_int_eq(future_reap(&f), 1);
	ck_assert_int_eq(p.done, 1);
	ck_assert_int_eq(future_reap(&f), 1);
	ck_assert_int_eq(future_buffer(&f), FUTURE_EOF);
	ck_assert_int_eq(p.done, 1);
	assert_exited(&p.result, 0);
	future_free(&f);
}
END_TEST

/* Nothing written yet (then half a record): AGAIN, never EOF, not done. */
START_TEST(test_again_is_not_eof)
{
	struct future		 f;
	struct future_spec	 spec;
	struct probe		 p = { .f = &f };
	struct go_arg		 a;
	int			 go;
	enum future_io		 io;

	records_spec(&spec, &p, 4);
	go = spawn_go(&f, &spec, child_half_record_go_rest, &a);

	/* Possibly before the child has written anything at all. */
	io = future_buffer(&f);
	ck_assert_msg(io == FUTURE_AGAIN, "empty pipe: want FUTURE_AGAIN, "
	    "got %d", io);
	ck_assert(!f.eof && !f.done && f.fd != -1);
	while (f.len < 2) {
		wait_readable(f.fd, DRIVE_MS);
		ck_assert_int_eq(future_buffer(&f), FUTURE_AGAIN);
	}
	ck_assert_int_eq(future_buffer(&f), FUTURE_AGAIN);
	ck_assert_uint_eq(f.len, 2);
	ck_assert_int_eq(p.records, 0);
	ck_assert_int_eq(future_reap(&f), 0);
	ck_assert(!f.eof && !f.done);

	ck_assert_int_eq(write(go, "g", 1), 1);
	close(go);
	drive(&f, DRIVE_MS);
	ck_assert_int_eq(p.records, 1);
	ck_assert_mem_eq(p.last, "abcd", 4);
	ck_assert_int_eq(p.done, 1);
	assert_exited(&p.result, 0);
	future_free(&f);
}
END_TEST

/* Reaping ----------------------------------------------------------------- */

/* Another child of the caller is never reaped by a future. */
START_TEST(test_reap_by_pid_only)
{
	struct future		 f, g;
	struct future_spec	 spec;
	struct probe		 p = { .f = &f };
	siginfo_t		 si;
	pid_t			 other;
	int			 status;

	fflush(NULL);
	ck_assert_int_ne(other = fork(), -1);
	if (other == 0)
		_exit(7);
	/* A zombie before any future runs: waitpid(-1) would take it. */
	memset(&si, 0, sizeof(si));
	ck_assert_int_eq(waitid(P_PID, (id_t)other, &si, WEXITED | WNOWAIT),
	    0);

	records_spec(&spec, &p, 4);
	spawn(&f, &spec, child_one_record, NULL);
	drive(&f, DRIVE_MS);
	ck_assert_int_eq(p.done, 1);
	output_spec(&spec, FUTURE_STRING, 64);
	spawn(&g, &spec, child_write_arg, "x");
	get_ok(&g, DRIVE_MS);

	ck_assert_msg(waitpid(other, &status, WNOHANG) == other,
	    "the unrelated child was reaped by a future: %s",
	    strerror(errno));
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	future_free(&f);
	future_free(&g);
}
END_TEST

/* future_get ------------------------------------------------------------- */

/* No output at all: an empty string, not whatever malloc left there. */
START_TEST(test_get_string_empty)
{
	struct future		 f;
	struct future_spec	 spec;
	const char		*out;
	size_t			 len = 1;

	/*
	 * Fill fresh allocations with 0xaa rather than leave them zero (glibc;
	 * under ASan mallopt fails, but ASan fills them with 0xbe itself).
	 */
	(void)mallopt(M_PERTURB, 0x55);
	/* Too big for glibc's tcache, which does not perturb. */
	output_spec(&spec, FUTURE_STRING, 4096);
	spawn(&f, &spec, child_nothing, NULL);
	out = future_output(&f, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_msg(out[0] == '\0', "output before any read is not \"\"");
	get_ok(&f, DRIVE_MS);
	assert_exited(&f.result, 0);
	out = future_output(&f, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_msg(out[0] == '\0', "empty output is not \"\" but starts "
	    "with 0x%02x", (unsigned char)out[0]);
	future_free(&f);
}
END_TEST

/*
 * What a child writes comes back whole (text, or bytes of pattern()), up
 * to max_output: exactly max_output fits, more is cut and flagged, and
 * the rest is drained so that the writer is not blocked.
 */
#define GET_TEXT	"hello, world\nsecond line\n"

static const struct output_case {
	const char		*what;
	enum future_type	 type;
	size_t			 max_output;
	const char		*text;		/* written; NULL: pattern() */
	size_t			 n;		/* or bytes of pattern() */
	size_t			 len;		/* output kept */
	bool			 truncated;
	bool			 check_exit;	/* it exited 0 */
	bool			 check_bytes;	/* out is pattern() */
} output_cases[] = {
	{ "a string", FUTURE_STRING, 1024, GET_TEXT, 0,
	    sizeof(GET_TEXT) - 1, false, true, false },
	{ "bytes", FUTURE_BYTES, 4096, NULL, 3000, 3000, false, true, true },
	{ "exactly max_output", FUTURE_BYTES, 100, NULL, 100, 100, false,
	    false, false },
	{ "one byte more", FUTURE_STRING, 100, NULL, 101, 100, true, false,
	    true },
	{ "1 MiB into 100", FUTURE_BYTES, 100, NULL, 1 << 20, 100, true, true,
	    true },
};

START_TEST(test_get_output)
{
	const struct output_case *oc = &output_cases[_i];
	struct future		 f;
	struct future_spec	 spec;
	const unsigned char	*out;
	size_t			 n = oc->n, len, i;

	output_spec(&spec, oc->type, oc->max_output);
	if (oc->text != NULL)
		spawn(&f, &spec, child_write_arg, (void *)oc->text);
	else
		spawn(&f, &spec, child_write_pattern, &n);
	get_ok(&f, DRIVE_MS);
	if (oc->check_exit)
		assert_exited(&f.result, 0);
	out = future_output(&f, &len);
	ck_assert_msg(len == oc->len, "%s: %zu bytes of output, want %zu",
	    oc->what, len, oc->len);
	ck_assert_msg(f.truncated == oc->truncated, "%s: truncated is %d",
	    oc->what, f.truncated);
	if (oc->text != NULL)
		ck_assert_str_eq((const char *)out, oc->text);
	for (i = 0; oc->check_bytes && i < len; i++)
		ck_assert_msg(out[i] == pattern(i), "%s: byte %zu: %u, want "
		    "%u", oc->what, i, out[i], pattern(i));
	if (oc->type == FUTURE_STRING)
		ck_assert_uint_eq(out[len], '\0');
	future_free(&f);
}
END_TEST

/* A signal every millisecond: EINTR is retried, never taken for EOF. */
START_TEST(test_get_eintr)
{
	struct future		 f;
	struct future_spec	 spec;
	char			 want[1024] = "";
	const char		*out;
	int			 i, rc, saved;

	for (i = 0; i < 100; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "line %03d\n", i);
	output_spec(&spec, FUTURE_STRING, 4096);
	spawn(&f, &spec, child_dribble, NULL);
	start_alarm_storm();
	rc = future_get(&f, DRIVE_MS, 100);
	saved = errno;
	stop_alarm_storm();
	ck_assert_msg(rc == 0, "future_get: %s", strerror(saved));
	ck_assert_msg(alarms >= 50, "only %d SIGALRMs during future_get",
	    (int)alarms);
	assert_exited(&f.result, 0);
	out = future_output(&f, NULL);
	ck_assert_str_eq(out, want);
	future_free(&f);
}
END_TEST

/*
 * The grandchild keeps the write end for 3 s: future_get gives up on EOF
 * soon after the child's exit, and waits for it without burning the CPU.
 */
START_TEST(test_get_grandchild_holds_pipe)
{
	struct future		 f;
	struct future_spec	 spec;
	struct go_arg		 a;
	struct rusage		 ru0, ru1;
	int			 report[2];
	int64_t			 t0, elapsed, cpu;
	pid_t			 grandchild = -1;

	ck_assert_int_eq(pipe2(report, O_CLOEXEC), 0);
	a.report_fd = report[1];
	output_spec(&spec, FUTURE_STRING, 64);
	spec.keep_fds = &report[1];
	spec.nkeep = 1;
	spawn(&f, &spec, child_grandchild, &a);
	close(report[1]);
	wait_readable(report[0], DRIVE_MS);
	ck_assert_int_eq(read(report[0], &grandchild, sizeof(grandchild)),
	    sizeof(grandchild));
	close(report[0]);

	getrusage(RUSAGE_SELF, &ru0);
	t0 = clock_ms();
	get_ok(&f, DRIVE_MS);
	elapsed = clock_ms() - t0;
	getrusage(RUSAGE_SELF, &ru1);
	kill(grandchild, SIGKILL);
	cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec +
	    ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1000 +
	    (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec +
	    ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1000;

	ck_assert_msg(elapsed < 1000, "future_get took %lld ms",
	    (long long)elapsed);
	ck_assert_msg(cpu < 50, "future_get used %lld ms of CPU in %lld ms",
	    (long long)cpu, (long long)elapsed);
	assert_exited(&f.result, 0);
	ck_assert_str_eq(future_output(&f, NULL), "hello");
	future_free(&f);
}
END_TEST

/* Cancel ------------------------------------------------------------------ */

/*
 * future_get past its deadline: SIGTERM, then SIGKILL after the grace
 * period if the child is still there, and -1 with ETIMEDOUT. The deadline
 * holds while output keeps coming and while signals keep interrupting the
 * wait; during the grace period the pipe is still drained.
 */
static const struct timeout_case {
	const char	*what;
	future_child_fn	 child;
	size_t		 max_output;
	bool		 ready;		/* wait for its "R" first */
	bool		 storm;		/* SIGALRM every ms during the get */
	int64_t		 timeout_ms, grace_ms;
	int64_t		 min_ms, max_ms;	/* how long the get took */
	int		 sig;		/* died of; 0: exited 0 */
	bool		 truncated;	/* assert the output was cut */
} timeout_cases[] = {
	{ "SIGTERM", child_sleep, 64, false, false, 200, 200, 190, 1000,
	    SIGTERM, false },
	{ "SIGKILL after the grace", child_ignore_term, 64, true, false, 200,
	    300, 490, 1500, SIGKILL, false },
	{ "a busy writer", child_flood, 100, false, false, 200, 200, 0, 1500,
	    SIGTERM, false },
	{ "a signal storm", child_sleep, 64, false, true, 200, 200, 0, 1500,
	    SIGTERM, false },
	{ "draining during the grace", child_flush_on_term, 100, true, false,
	    200, 3000, 0, 2000, 0, true },
};

START_TEST(test_get_timeout)
{
	const struct timeout_case *tc = &timeout_cases[_i];
	struct future		 f;
	struct future_spec	 spec;
	int64_t			 elapsed;
	int			 rc, saved;

	output_spec(&spec, FUTURE_STRING, tc->max_output);
	spawn(&f, &spec, tc->child, NULL);
	if (tc->ready)
		wait_readable(f.fd, DRIVE_MS);	/* "R": its handler is set */
	if (tc->storm)
		start_alarm_storm();
	rc = timed_get(&f, tc->timeout_ms, tc->grace_ms, &saved, &elapsed);
	if (tc->storm)
		stop_alarm_storm();
	ck_assert_msg(rc == -1 && saved == ETIMEDOUT, "%s: want -1 "
	    "ETIMEDOUT, got %d (%s) after %lld ms", tc->what, rc,
	    strerror(saved), (long long)elapsed);
	ck_assert_msg(elapsed >= tc->min_ms && elapsed < tc->max_ms, "%s: "
	    "timed out after %lld ms, want %lld to %lld", tc->what,
	    (long long)elapsed, (long long)tc->min_ms,
	    (long long)tc->max_ms);
	ck_assert(f.reaped);
	if (tc->sig != 0)
		assert_signaled(&f.result, tc->sig);
	else
		assert_exited(&f.result, 0);
	if (tc->truncated)
		ck_assert(f.truncated);
	future_free(&f);
}
END_TEST

/* Asynchronous cancel: SIGTERM at once, SIGKILL from a tick after grace. */
START_TEST(test_cancel_tick)
{
	struct future		 f;
	struct future_spec	 spec;
	struct pollfd		 pfd[2];
	siginfo_t		 si;
	int64_t			 t0, elapsed, deadline;
	int			 pidfd;

	output_spec(&spec, FUTURE_STRING, 64);
	spawn(&f, &spec, child_term_reporter, NULL);
	wait_output(&f, "R", DRIVE_MS);

	t0 = clock_ms();
	future_cancel(&f, 300);
	wait_output(&f, "RT", DRIVE_MS);
	future_cancel_tick(&f);
	ck_assert_msg(clock_ms() - t0 < 250, "SIGTERM took too long to test "
	    "the grace period");
	memset(&si, 0, sizeof(si));
	ck_assert_int_eq(waitid(P_PID, (id_t)f.pid, &si,
	    WEXITED | WNOHANG | WNOWAIT), 0);
	ck_assert_msg(si.si_pid == 0, "the child ended within the grace");

	/* The event loop: input, exit, and a 10 ms timer for the tick. */
	ck_assert_int_ne(pidfd = pidfd_open(f.pid), -1);
	deadline = clock_ms() + DRIVE_MS;
	while (!f.done) {
		ck_assert_msg(clock_ms() < deadline,
		    "no SIGKILL %d ms after future_cancel", DRIVE_MS);
		pfd[0] = (struct pollfd){ .fd = f.fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		poll(pfd, 2, 10);
		future_buffer(&f);
		future_reap(&f);
		future_cancel_tick(&f);
	}
	elapsed = clock_ms() - t0;
	close(pidfd);
	assert_signaled(&f.result, SIGKILL);
	ck_assert_msg(elapsed >= 290, "SIGKILL %lld ms after SIGTERM, "
	    "grace 300 ms", (long long)elapsed);
	ck_assert_str_eq(future_output(&f, NULL), "RT");
	future_free(&f);
}
END_TEST

/* What the master's signal handler (libevent's) does: pass it on. */
static void
on_term_forward(int sig)
{
	(void)sig;
	if (write(forward_fd, "F", 1) == -1)
		_exit(CHILD_FAIL);
}

/*
 * SIGTERM sent the moment a child is spawned (the master stopping a
 * worker it forked in the same tick) acts on the child alone, by its
 * default action: the caller's handler never runs in the child, where it
 * would pass the signal on to the caller through an fd they share (the
 * master would then stop). Many rounds, for the moment between the fork
 * and the child's reset of its handlers.
 */
#define BIRTH_ROUNDS	300

START_TEST(test_signal_at_birth)
{
	struct future		 f;
	struct future_spec	 spec;
	struct sigaction	 sa, old;
	int			 fwd[2], i, rc, saved;
	char			 c;

	ck_assert_int_eq(pipe2(fwd, O_CLOEXEC | O_NONBLOCK), 0);
	forward_fd = fwd[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term_forward;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGTERM, &sa, &old), 0);
	output_spec(&spec, FUTURE_STRING, 64);
	for (i = 0; i < BIRTH_ROUNDS; i++) {
		spawn(&f, &spec, child_sleep, NULL);
		ck_assert_int_eq(kill(f.pid, SIGTERM), 0);
		rc = future_get(&f, DRIVE_MS, 100);
		saved = errno;
		ck_assert_msg(read(fwd[0], &c, 1) == -1 && errno == EAGAIN,
		    "round %d: the child ran the parent's SIGTERM handler",
		    i);
		ck_assert_msg(rc == 0, "round %d: future_get: %s", i,
		    strerror(saved));
		assert_signaled(&f.result, SIGTERM);
		future_free(&f);
	}
	ck_assert_int_eq(sigaction(SIGTERM, &old, NULL), 0);
	close(fwd[0]);
	close(fwd[1]);
}
END_TEST

/* Fds --------------------------------------------------------------------- */

/* The child has its write end and what keep_fds names, nothing else. */
START_TEST(test_no_fd_leaks)
{
	struct future		 f;
	struct future_spec	 spec;
	char			 want[64];
	int			 extra[2];

	ck_assert_int_eq(pipe(extra), 0);	/* inheritable on purpose */
	output_spec(&spec, FUTURE_STRING, 1024);
	spawn(&f, &spec, child_list_fds, NULL);
	get_ok(&f, DRIVE_MS);
	assert_exited(&f.result, 0);
	ck_assert_str_eq(future_output(&f, NULL), "open:");
	future_free(&f);

	spec.keep_fds = &extra[1];
	spec.nkeep = 1;
	spawn(&f, &spec, child_list_fds, NULL);
	get_ok(&f, DRIVE_MS);
	assert_exited(&f.result, 0);
	snprintf(want, sizeof(want), "open: %d", extra[1]);
	ck_assert_str_eq(future_output(&f, NULL), want);
	future_free(&f);
	close(extra[0]);
	close(extra[1]);
}
END_TEST

/*
 * A later child must not hold an earlier one's go pipe: closing it here
 * must reach the first child while the second one still runs.
 */
START_TEST(test_sibling_holds_nothing)
{
	struct future		 f, g;
	struct future_spec	 spec;
	struct probe		 p = { .f = &f }, q = { .f = &g };
	struct go_arg		 a;
	int			 go;

	records_spec(&spec, &p, 4);
	go = spawn_go(&f, &spec, child_one_record_then_go, &a);
	records_spec(&spec, &q, 4);
	spawn(&g, &spec, child_term_reporter, NULL);	/* lives 10 s */

	close(go);
	drive(&f, DRIVE_MS);
	ck_assert_int_eq(p.done, 1);
	assert_exited(&p.result, 0);

	kill(g.pid, SIGKILL);
	drive(&g, DRIVE_MS);
	assert_signaled(&q.result, SIGKILL);
	future_free(&f);
	future_free(&g);
}
END_TEST

static Suite *
future_suite(void)
{
	Suite	*s = suite_create("future");
	TCase	*tc;

	tc = tcase_create("records");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_records, 0, NELEM(records_cases));
	tcase_add_test(tc, test_records_size_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_deaths, 0, NELEM(death_cases));
	tcase_add_loop_test(tc, test_killed_with_core, 0, NELEM(core_sigs));
	tcase_add_loop_test(tc, test_describe, 0, NELEM(describe_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("completion");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_done_eof_then_exit);
	tcase_add_test(tc, test_done_reap_before_buffer);
	tcase_add_test(tc, test_done_buffer_before_reap);
	tcase_add_test(tc, test_again_is_not_eof);
	tcase_add_test(tc, test_reap_by_pid_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("get");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_get_output, 0, NELEM(output_cases));
	tcase_add_test(tc, test_get_string_empty);
	tcase_add_test(tc, test_get_eintr);
	tcase_add_test(tc, test_get_grandchild_holds_pipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("cancel");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_get_timeout, 0, NELEM(timeout_cases));
	tcase_add_test(tc, test_cancel_tick);
	tcase_add_test(tc, test_signal_at_birth);
	suite_add_tcase(s, tc);

	tc = tcase_create("fds");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_no_fd_leaks);
	tcase_add_test(tc, test_sibling_holds_nothing);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	if (mkdtemp(core_dir) == NULL) {
		perror("check_future: mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(future_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_dir(core_dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
