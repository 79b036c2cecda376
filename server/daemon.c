/*
 * daemon: see daemon.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/log.h"
#include "server/daemon.h"


static int	 ready_fd = -1;	/* daemon: write end to the waiting parent */

static pid_t	 read_pid(int fd);

static pid_t
read_pid(int fd)
{
	char buf[32];
	ssize_t n;
	long pid;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 && pid < INT_MAX ? (pid_t)pid : 0;
}

int
pidfile_acquire(const char *path, bool takeover, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	pid_t old;
	int fd;

	if (!takeover && (fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		old = read_pid(fd);
		if (flock(fd, LOCK_SH | LOCK_NB) == -1) {
			snprintf(err, errlen, "forkline is already running "
			    "(pid %ld, pid file %s)", (long)old, path);
			close(fd);
			return -1;
		}
		close(fd);
		log_info("replacing stale pid file %s (pid %ld is gone)", path,
		    (long)old);
	}
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp) ||
	    (fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0644) == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1 ||
	    dprintf(fd, "%ld\n", (long)getpid()) < 0 ||
	    rename(tmp, path) == -1) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		unlink(tmp);
		close(fd);
		return -1;
	}
	return fd;
}

void
pidfile_release(const char *path, int fd)
{
	int cur;

	if (fd == -1)
		return;
	/* After an upgrade the file is the new master's: leave it. */
	if ((cur = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		if (read_pid(cur) == getpid() && unlink(path) == -1)
			log_warn("removing pid file %s", path);
		close(cur);
	}
	close(fd);
}

int
pidfile_signal(const char *path, const char *name)
{
	static const struct {
		const char	*name;
		int		 sig;
	} names[] = {
		{ "stop", SIGTERM }, { "quit", SIGQUIT }, { "reload", SIGHUP },
		{ "reopen", SIGUSR1 }, { "upgrade", SIGUSR2 },
	};
	size_t i;
	pid_t pid;
	int fd;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i].name) == 0)
			break;
	if (i == sizeof(names) / sizeof(names[0])) {
		fprintf(stderr, "forkline: -s %s: unknown signal name (stop, "
		    "quit, reload, reopen, upgrade)\n", name);
		return EX_USAGE;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "forkline: %s: %s: is forkline running?\n",
		    path, strerror(errno));
		return 1;
	}
	pid = read_pid(fd);
	/* Nobody holds the lock: the master that wrote it is gone. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0 || pid == 0) {
		fprintf(stderr, "forkline: not running (stale pid file %s, "
		    "pid %ld)\n", path, (long)pid);
		close(fd);
		return 1;
	}
	close(fd);
	if (kill(pid, names[i].sig) == -1) {
		fprintf(stderr, "forkline: kill(%ld, SIG%s): %s\n", (long)pid,
		    sigabbrev_np(names[i].sig), strerror(errno));
		return EX_OSERR;
	}
	return 0;
}

/*
 * The parent stays until the daemon says how start-up went, so that
 * `forkline -d` with a bad port fails in the terminal with the real
 * status, and succeeds only once the server is up.
 */
void
daemon_start(void)
{
	int fds[2], status;
	unsigned char code;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		fatal(EX_OSERR, "daemon: pipe");
	fflush(NULL);
	if ((pid = fork()) == -1)
		fatal(EX_OSERR, "daemon: fork");
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &code, 1) != 1) {
			waitpid(pid, &status, 0);
			code = EX_OSERR;
		}
		_exit(code);
	}
	close(fds[0]);
	if (setsid() == -1)
		fatal(EX_OSERR, "daemon: setsid");
	/* Not a session leader: it can never acquire a terminal again. */
	if ((pid = fork()) == -1)
		fatal(EX_OSERR, "daemon: fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") == -1)
		fatal(EX_OSERR, "daemon: chdir /");
	ready_fd = fds[1];
}

void
daemon_ready(int status)
{
	unsigned char code = (unsigned char)status;
	int null;

	if (ready_fd == -1)
		return;
	if (status == 0 && (null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (write(ready_fd, &code, 1) != 1)
		(void)0;	/* the parent is gone; nothing to tell */
	close(ready_fd);
	ready_fd = -1;
}
