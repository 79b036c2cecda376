/*
 * log: see log.h. A line is formatted into one stack buffer and written with
 * a single write(2): the master and every worker share stderr, and a pipe or
 * the journal keeps each write of up to PIPE_BUF bytes in one piece.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"

#define LOG_LINE_MAX	2048
#define LOG_ROLE_MAX	32

enum log_target {
	TARGET_STDERR,
	TARGET_SYSLOG,
	TARGET_FILE,
};

static enum log_level	 log_level = LOG_LEVEL_INFO;
static char		 log_role[LOG_ROLE_MAX] = "master";
static enum log_target	 target = TARGET_STDERR;
static bool		 to_journal;	/* stderr is the journal */
static int		 log_file = -1;
static char		 log_path[256];
static bool		 mirror;	/* start-up: also to stderr */
static bool		 live;		/* a live line may be on screen */
static char		 live_text[256];	/* "" in a worker */
static uid_t		 file_uid = (uid_t)-1;
static gid_t		 file_gid = (gid_t)-1;

/* syslog(3) priorities, by level. */
static const int syslog_priority[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARN] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static bool	 stderr_is_journal(void);
static int	 open_file(void);
static int	 move_onto(int, int);
static void	 emit_line(enum log_level, char *, size_t, size_t);
static void	 log_emit(enum log_level, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static size_t	 log_timestamp(char *, size_t);

void
log_init(enum log_level level, const char *role)
{
	log_level = level;
	snprintf(log_role, sizeof(log_role), "%s", role);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_set_role(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_role, sizeof(log_role), fmt, ap);
	va_end(ap);
}

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * to stderr; only if stderr is still that stream does a "<N>" prefix mean
 * anything.
 */
static bool
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

static int
open_file(void)
{
	int fd;

	/*
	 * O_NOFOLLOW: a root master must not be led by a symlink planted in
	 * the log directory to append to, and chown, some other file.
	 */
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0640);
	if (fd == -1)
		return -1;
	if ((file_uid != (uid_t)-1 || file_gid != (gid_t)-1) &&
	    fchown(fd, file_uid, file_gid) == -1 && geteuid() == 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
log_open(const char *name, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	int fd;

	if (strcmp(name, "stderr") == 0) {
		target = TARGET_STDERR;
		to_journal = stderr_is_journal();
		return 0;
	}
	if (strcmp(name, "syslog") == 0) {
		openlog("forkline", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		target = TARGET_SYSLOG;
		return 0;
	}
	snprintf(log_path, sizeof(log_path), "%s", name);
	file_uid = uid;
	file_gid = gid;
	if ((fd = open_file()) == -1) {
		snprintf(err, errlen, "log file %s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (log_file != -1)
		close(log_file);
	log_file = fd;
	target = TARGET_FILE;
	return 0;
}

#define CLEAR_LINE	"\r\033[K"

void
log_set_live(const char *text)
{
	char buf[sizeof(live_text) + 16];
	int n;

	if (text == NULL) {
		if (live && write(STDERR_FILENO, CLEAR_LINE,
		    strlen(CLEAR_LINE)) < 0)
			(void)0;
		live = false;
		return;
	}
	live = true;
	snprintf(live_text, sizeof(live_text), "%s", text);
	n = snprintf(buf, sizeof(buf), CLEAR_LINE "%s", live_text);
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		(void)0;
}

void
log_mirror_stderr(bool on)
{
	mirror = on;
}

int
log_reopen(void)
{
	if (target != TARGET_FILE)
		return 0;
	return move_onto(open_file(), log_file);
}

int
log_reopen_at(int fd, const char *path)
{
	return move_onto(open(path, O_WRONLY | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW), fd);
}

/*
 * A file opened anew (nfd, -1 when the open failed) takes the place of
 * fd: dup2 keeps the number, which forked children were told to keep.
 */
static int
move_onto(int nfd, int fd)
{
	int r, saved;

	if (nfd == -1)
		return -1;
	r = dup2(nfd, fd);
	saved = errno;
	close(nfd);
	errno = saved;
	return r == -1 ? -1 : 0;
}

int
log_fd(void)
{
	return target == TARGET_FILE ? log_file : -1;
}

void
log_after_fork(void)
{
	live_text[0] = '\0';	/* clear the master's line, never draw it */
	if (target == TARGET_SYSLOG) {
		closelog();
		openlog("forkline", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

int
log_level_parse(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((size_t)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "unknown";
	return level_names[level];
}

static size_t
log_timestamp(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	format_time(&ts, buf, len);
	return strlen(buf);
}

/*
 * Write one formatted line where the target says. The journal and syslog
 * record their own time, name and pid, so they get the line from
 * body_off on ("master info: ..."); the journal learns the level from
 * "<N>". During start-up (mirror) lines also go to stderr, so a terminal
 * sees why a start failed whatever the target.
 */
static void
emit_line(enum log_level level, char *line, size_t n, size_t body_off)
{
	char buf[LOG_LINE_MAX + sizeof(live_text) + 16];
	int fd = target == TARGET_FILE ? log_file : STDERR_FILENO;
	size_t len;

	if (mirror && target != TARGET_STDERR && write(STDERR_FILENO, line,
	    n) < 0)
		(void)0;
	if (target == TARGET_SYSLOG) {
		line[n - 1] = '\0';
		syslog(syslog_priority[level], "%s", line + body_off);
		return;
	}
	if (target == TARGET_STDERR && to_journal) {
		len = (size_t)snprintf(buf, sizeof(buf), "<%d>",
		    syslog_priority[level]);
		memcpy(buf + len, line + body_off, n - body_off);
		len += n - body_off;
		line = buf;
		n = len;
	}
	if (live && fd == STDERR_FILENO) {
		/* One write: clear the live line, the log line, redraw it. */
		len = (size_t)snprintf(buf, sizeof(buf), CLEAR_LINE);
		if (len + n + strlen(live_text) < sizeof(buf)) {
			memcpy(buf + len, line, n);
			len += n;
			memcpy(buf + len, live_text, strlen(live_text));
			len += strlen(live_text);
			line = buf;
			n = len;
		}
	}
	/* Nothing sensible to do if the log itself cannot be written. */
	if (write(fd, line, n) < 0)
		(void)0;
}

/*
 * errnum >= 0 appends ": strerror(errnum)". Over-long messages are cut, never
 * split across writes. errno is preserved for the caller.
 */
static void
log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n, room, body_off;
	int saved_errno = errno;
	int r;

	if (level > log_level)
		return;
	n = log_timestamp(line, sizeof(line));
	room = sizeof(line) - 1 - n;	/* keep one byte for "\n" */
	r = snprintf(line + n, room, " forkline[%ld] ", (long)getpid());
	n += r > 0 && (size_t)r < room ? (size_t)r : room - 1;
	body_off = n;
	room = sizeof(line) - 1 - n;
	r = snprintf(line + n, room, "%s %s: ", log_role, level_names[level]);
	n += r > 0 && (size_t)r < room ? (size_t)r : room - 1;
	room = sizeof(line) - 1 - n;
	r = vsnprintf(line + n, room, fmt, ap);
	n += r > 0 && (size_t)r < room ? (size_t)r : (r > 0 ? room - 1 : 0);
	if (errnum >= 0) {
		room = sizeof(line) - 1 - n;
		r = snprintf(line + n, room, ": %s", strerror(errnum));
		n += r > 0 && (size_t)r < room ? (size_t)r : (r > 0 ? room - 1 : 0);
	}
	line[n++] = '\n';
	emit_line(level, line, n, body_off);
	errno = saved_errno;
}

#define LOG_FN(name, level, with_errno)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	int errnum = (with_errno) ? errno : -1;			\
								\
	va_start(ap, fmt);					\
	log_emit(level, errnum, fmt, ap);			\
	va_end(ap);						\
}

LOG_FN(log_error, LOG_LEVEL_ERROR, 1)
LOG_FN(log_errorx, LOG_LEVEL_ERROR, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void
fatal(int status, const char *fmt, ...)
{
	va_list ap;
	int errnum = errno;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, errnum, fmt, ap);
	va_end(ap);
	exit(status);
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, -1, fmt, ap);
	va_end(ap);
	exit(status);
}
