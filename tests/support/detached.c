/*
 * detached: masters outside the test's process group. See detached.h.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/base.h"
#include "tests/support/detached.h"
#include "tests/support/proc.h"

/* Room for a file's path in the harness directory. */
#define PATH_LEN	(HARNESS_PATH_MAX + 32)

static int	 sweep_file(const char *path, const struct stat *st,
		    int type, struct FTW *ftw);

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
			fprintf(stderr, "harness: killing master %ld left "
			    "running (pid file %s)\n", pid, path);
			kill((pid_t)pid, SIGKILL);
		}
	}
	close(fd);
	return 0;
}

/*
 * A master that is not the harness's child (a daemon, the new master of
 * an upgrade), as soon as the test knows its pid: "pid start-time" in a
 * file of the harness directory, for detached_sweep.
 */
void
detached_register(pid_t pid)
{
	char	 path[PATH_LEN];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/masters", harness_dir());
	f = fopen(path, "ae");
	ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
	fprintf(f, "%ld %llu\n", (long)pid, ps_start_time(pid));
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
void
detached_sweep(void)
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
		if (pid > 1 && t != 0 && ps_start_time((pid_t)pid) == t &&
		    ps_alive((pid_t)pid)) {
			fprintf(stderr, "harness: killing master %ld left "
			    "running\n", pid);
			kill((pid_t)pid, SIGKILL);
		}
	fclose(f);
	unlink(path);
}

/* The pid in a pid file, 0 if absent or unreadable. */
pid_t
pidfile_pid(const char *path)
{
	char	*text = harness_read_file(path, NULL);
	long	 pid = text != NULL ? strtol(text, NULL, 10) : 0;

	free(text);
	return pid > 0 && pid < INT_MAX ? (pid_t)pid : 0;
}
