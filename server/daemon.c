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
static bool	 is_master(pid_t, int, char *, size_t);

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

/*
 * A binary upgrade: the old master still holds the lock on the file it
 * made, so the new master makes its own under another name, locks it and
 * renames it into place.
 */
static int
pidfile_replace(const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd;

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

/* fd is the file path names now (not one removed or replaced since). */
static bool
names_fd(const char *path, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Open and lock the file path names, creating it if need be. The lock is
 * taken before anything is written, on the file itself, so of two masters
 * started at once exactly one gets it; the other reads the winner's pid
 * and writes nothing. If the file was removed or replaced between the
 * open and the lock (its master stopping, an upgrade), try again.
 */
static int
pidfile_lock(const char *path, char *err, size_t errlen)
{
	int fd, tries;

	for (tries = 0; tries < 5; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd == -1) {
			snprintf(err, errlen, "pid file %s: %s", path,
			    strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			if (errno == EWOULDBLOCK)
				snprintf(err, errlen, "forkline is already "
				    "running (pid %ld, pid file %s)",
				    (long)read_pid(fd), path);
			else
				snprintf(err, errlen, "pid file %s: flock: %s",
				    path, strerror(errno));
			close(fd);
			return -1;
		}
		if (names_fd(path, fd))
			return fd;
		close(fd);
	}
	snprintf(err, errlen, "pid file %s keeps being replaced; is another "
	    "forkline starting?", path);
	return -1;
}

int
pidfile_acquire(const char *path, bool takeover, char *err, size_t errlen)
{
	pid_t old;
	int fd;

	if (takeover)
		return pidfile_replace(path, err, errlen);
	if ((fd = pidfile_lock(path, err, errlen)) == -1)
		return -1;
	if ((old = read_pid(fd)) != 0)
		log_info("replacing stale pid file %s (pid %ld is gone)", path,
		    (long)old);
	if (fchmod(fd, 0644) == -1 || ftruncate(fd, 0) == -1 ||
	    dprintf(fd, "%ld\n", (long)getpid()) < 0) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Only the file this process holds the lock on is removed: after an
 * upgrade path names the new master's file, and a master that lost the
 * race for the lock never got here.
 */
void
pidfile_release(const char *path, int fd)
{
	if (fd == -1)
		return;
	if (names_fd(path, fd) && unlink(path) == -1)
		log_warn("removing pid file %s", path);
	close(fd);
}

/*
 * The lock on a pid file says that some process holds it, not that it is
 * a forkline master: before signalling pid, check that it runs as the
 * file's owner and is a master, by its title ("forkline: master") or by
 * its executable, the same file as ours. false with why otherwise.
 */
static bool
is_master(pid_t pid, int pidfile_fd, char *why, size_t whylen)
{
	char proc[64], cmd[64], line[128];
	struct stat file, exe, self;
	long uid = -1;
	ssize_t n;
	FILE *f;
	int fd;

	snprintf(proc, sizeof(proc), "/proc/%ld/status", (long)pid);
	if ((f = fopen(proc, "re")) == NULL) {
		snprintf(why, whylen, "%s: %s", proc, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Uid: %ld", &uid) == 1)
			break;
	fclose(f);
	if (fstat(pidfile_fd, &file) == -1 || uid != (long)file.st_uid) {
		snprintf(why, whylen, "it runs as uid %ld, the pid file is "
		    "uid %ld's", uid, (long)file.st_uid);
		return false;
	}
	snprintf(proc, sizeof(proc), "/proc/%ld/cmdline", (long)pid);
	n = -1;
	if ((fd = open(proc, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
	}
	cmd[n > 0 ? n : 0] = '\0';
	if (strncmp(cmd, "forkline: master", 16) == 0)
		return true;
	snprintf(proc, sizeof(proc), "/proc/%ld/exe", (long)pid);
	if (stat(proc, &exe) == 0 && stat("/proc/self/exe", &self) == 0 &&
	    exe.st_dev == self.st_dev && exe.st_ino == self.st_ino)
		return true;
	snprintf(why, whylen, "it is '%s'", cmd);
	return false;
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
	char why[PATH_MAX + 64];
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
	if (!is_master(pid, fd, why, sizeof(why))) {
		fprintf(stderr, "forkline: pid %ld in %s is not a forkline "
		    "master (%s); not signalling it\n", (long)pid, path, why);
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
