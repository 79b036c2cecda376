/*
 * logfiles: the log target and the access log, as the master opens them.
 *
 * Files are created by the master (which may be root) and handed to the
 * workers' user, so that a worker can reopen them by path on SIGUSR1
 * after logrotate has moved them. The access log's fd number never
 * changes (reopening dup2()s onto it), since workers were told to keep it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "server/master.h"

static int	 open_access(const struct creds *, const char *);

static int
open_access(const struct creds *creds, const char *path)
{
	int fd;

	/* No symlinks: see log.c's open_file. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640);
	if (fd == -1)
		return -1;
	if (creds->switch_user && fchown(fd, creds->uid, creds->gid) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * At start and on reload, for the workers' creds (the new ones, on a
 * reload that changes the user). -1 (logged) leaves what was open.
 */
int
logfiles_open(struct master *m, const struct conf *conf,
    const struct creds *creds)
{
	char err[CONF_ERR_MAX];
	int fd = -1;

	if (log_open(conf->log_target, creds->switch_user ? creds->uid :
	    (uid_t)-1, creds->switch_user ? creds->gid : (gid_t)-1, err,
	    sizeof(err)) == -1) {
		log_errorx("[log] target: %s", err);
		return -1;
	}
	if (strcmp(conf->access_log, "off") != 0 && conf->access_log[0] != '\0' &&
	    (fd = open_access(creds, conf->access_log)) == -1) {
		log_error("[log] access_log: %s", conf->access_log);
		return -1;
	}
	if (m->access_fd != -1 && fd != -1) {
		/* Same fd number for the workers already running. */
		if (dup2(fd, m->access_fd) == -1) {
			log_error("[log] access_log: dup2");
			close(fd);
			return -1;
		}
		close(fd);
	} else {
		if (m->access_fd != -1)
			close(m->access_fd);
		m->access_fd = fd;
	}
	return 0;
}

/* SIGUSR1: reopen ours, then tell every worker to reopen theirs. */
void
logfiles_reopen(struct master *m)
{
	int fd, i, failed = 0;

	if (log_reopen() == -1) {
		log_warn("SIGUSR1: reopening the log file");
		failed++;
	}
	if (m->access_fd != -1) {
		if ((fd = open_access(&m->creds, m->conf.access_log)) == -1 ||
		    dup2(fd, m->access_fd) == -1) {
			log_warn("SIGUSR1: reopening the access log %s",
			    m->conf.access_log);
			failed++;
		}
		if (fd != -1)
			close(fd);
	}
	for (i = 0; i < m->slots_hi; i++)
		if (m->slots[i].state != SLOT_EMPTY)
			kill(m->slots[i].pid, SIGUSR1);
	if (failed == 0)
		log_info("SIGUSR1: log files reopened");
	else
		log_warnx("SIGUSR1: %d log file%s could not be reopened; the "
		    "old one%s still in use", failed, failed == 1 ? "" : "s",
		    failed == 1 ? " is" : "s are");
}

void
logfiles_close(struct master *m)
{
	if (m->access_fd != -1)
		close(m->access_fd);
	m->access_fd = -1;
}
