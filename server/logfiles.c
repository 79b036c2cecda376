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
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "server/logfiles.h"

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
 * reload that changes the user). -1 (the reason in err) leaves what was
 * open.
 */
int
logfiles_open(struct core *c, const struct conf *conf,
    const struct creds *creds, char *err, size_t errlen)
{
	char why[CONF_ERR_MAX];
	int fd = -1;

	if (log_open(conf->log_target, creds->switch_user ? creds->uid :
	    (uid_t)-1, creds->switch_user ? creds->gid : (gid_t)-1, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "[log] target: %s", why);
		return -1;
	}
	if (strcmp(conf->access_log, "off") != 0 && conf->access_log[0] != '\0' &&
	    (fd = open_access(creds, conf->access_log)) == -1) {
		snprintf(err, errlen, "[log] access_log: %s: %s",
		    conf->access_log, strerror(errno));
		return -1;
	}
	if (c->access_fd != -1 && fd != -1) {
		/* Same fd number for the workers already running. */
		if (dup2(fd, c->access_fd) == -1) {
			snprintf(err, errlen, "[log] access_log: dup2: %s",
			    strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	} else {
		if (c->access_fd != -1)
			close(c->access_fd);
		c->access_fd = fd;
	}
	return 0;
}

/*
 * SIGUSR1: reopen the master's own. The hub then tells every worker to
 * reopen theirs. Returns how many could not be reopened (logged).
 */
int
logfiles_reopen(const struct core *c)
{
	int fd, failed = 0;

	if (log_reopen() == -1) {
		log_warn("SIGUSR1: reopening the log file");
		failed++;
	}
	if (c->access_fd != -1) {
		if ((fd = open_access(&c->creds, c->conf.access_log)) == -1 ||
		    dup2(fd, c->access_fd) == -1) {
			log_warn("SIGUSR1: reopening the access log %s",
			    c->conf.access_log);
			failed++;
		}
		if (fd != -1)
			close(fd);
	}
	return failed;
}

void
logfiles_close(struct core *c)
{
	if (c->access_fd != -1)
		close(c->access_fd);
	c->access_fd = -1;
}
