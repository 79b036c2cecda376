/*
 * spawn: fork and exec a program the way the harness starts servers. See
 * spawn.h.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/spawn.h"

#define ARGS_MAX	64
#define SERVERS_MAX	64	/* started and not yet reaped, per process */

static void	 exec_child(pid_t parent, char *const argv[], int listen_fd,
		    int out_fd, int err_fd, void (*in_child)(int, void *),
		    void *arg) __attribute__((noreturn));
static void	 registry_add(pid_t pid);
static void	 registry_atexit(void);

/* Servers to kill at exit, in the process that started them. */
static pid_t	 live[SERVERS_MAX];
static int	 nlive;
static pid_t	 live_owner;

const char *
harness_forkline_bin(void)
{
	const char	*bin = getenv("FORKLINE_BIN");

	ck_assert_msg(bin != NULL && *bin != '\0',
	    "FORKLINE_BIN is not set: run the suites with make integration");
	ck_assert_msg(access(bin, X_OK) == 0, "FORKLINE_BIN=%s: %s", bin,
	    strerror(errno));
	return bin;
}

pid_t
harness_spawn(const char *bin, const char *const args[], int listen_fd,
    int out_fd, int err_fd, void (*in_child)(int, void *), void *arg)
{
	char	*argv[ARGS_MAX];
	pid_t	 parent = getpid(), pid;
	int	 i;

	argv[0] = (char *)bin;
	for (i = 0; args[i] != NULL; i++) {
		ck_assert_msg(i + 2 < ARGS_MAX, "too many arguments");
		argv[i + 1] = (char *)args[i];
	}
	argv[i + 1] = NULL;

	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
	if (pid == 0)
		exec_child(parent, argv, listen_fd, out_fd, err_fd, in_child,
		    arg);
	registry_add(pid);
	return pid;
}

static void
exec_child(pid_t parent, char *const argv[], int listen_fd, int out_fd,
    int err_fd, void (*in_child)(int, void *), void *arg)
{
	sigset_t	 none;
	char		 pidbuf[32];
	int		 nullfd, first_close = 3;

	/* The test may have died between fork and prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if ((nullfd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(nullfd, STDIN_FILENO) == -1 ||
	    dup2(out_fd, STDOUT_FILENO) == -1 ||
	    dup2(err_fd, STDERR_FILENO) == -1)
		_exit(127);

	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (listen_fd != -1) {
		/* dup2 clears close-on-exec on the copy, but not in place. */
		if (listen_fd == 3 ? fcntl(3, F_SETFD, 0) == -1 :
		    dup2(listen_fd, 3) == -1)
			_exit(127);
		snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)getpid());
		setenv("LISTEN_FDS", "1", 1);
		setenv("LISTEN_PID", pidbuf, 1);
		first_close = 4;
	}
	if (in_child != NULL)
		in_child(err_fd, arg);
	/* Nothing else of the test's (client sockets above all) leaks in. */
	if (close_range((unsigned)first_close, ~0U, 0) == -1) {
		long	 fd, max = sysconf(_SC_OPEN_MAX);

		for (fd = first_close; fd < max; fd++)
			close((int)fd);
	}
	execv(argv[0], argv);
	dprintf(STDERR_FILENO, "harness: exec %s: %s\n", argv[0],
	    strerror(errno));
	_exit(127);
}

static void
registry_add(pid_t pid)
{
	if (live_owner != getpid()) {
		/* First server of this test process. */
		live_owner = getpid();
		nlive = 0;
		atexit(registry_atexit);
	}
	ck_assert_msg(nlive < SERVERS_MAX, "too many servers");
	live[nlive++] = pid;
}

void
harness_forget(pid_t pid)
{
	int	 i;

	for (i = 0; i < nlive; i++) {
		if (live[i] == pid) {
			live[i] = live[--nlive];
			return;
		}
	}
}

/* A test that passed without stopping its servers: kill them. */
static void
registry_atexit(void)
{
	int	 i;

	if (live_owner != getpid())
		return;
	for (i = 0; i < nlive; i++) {
		fprintf(stderr, "harness: server %ld still running at exit, "
		    "killing it\n", (long)live[i]);
		kill(live[i], SIGKILL);
		waitpid(live[i], NULL, 0);
	}
	nlive = 0;
}

