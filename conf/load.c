/*
 * load: where a configuration comes from. An INI file read with inih
 * (conf_load_file), the command-line overrides on top, and conf_build's
 * layering of defaults, file, overrides and rules. See config.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "conf/config.h"
#include "conf/keys.h"

/* State of one conf_load_file, shared by the inih reader and handler. */
struct conf_file {
	struct conf	 conf;	/* working copy, kept on success */
	const char	*path;
	FILE		*fp;
	int		 lineno;	/* of the line inih is working on */
	bool		 listen_seen;
	bool		 failed;
	int		 errline;
	char		*err;
	size_t		 errlen;
};

static enum conf_error build_overrides(const struct conf_source *src,
		    struct conf *conf, char *err, size_t errlen);
static enum conf_error build_override(struct conf *conf, const char *flag,
		    const char *section, const char *key, const char *value,
		    char *err, size_t errlen);
static int	 file_fail(struct conf_file *f, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 file_read_line(struct conf_file *f, char *buf, int size);
static int	 file_check_section(struct conf_file *f, const char *line);
static char	*file_reader(char *str, int num, void *stream);
static FILE	*open_regular(const char *path, char *err, size_t errlen);
static int	 file_handler(void *user, const char *section,
		    const char *name, const char *value);

enum conf_error
conf_build(const struct conf_source *src, struct conf *conf, char *err,
    size_t errlen)
{
	char reason[CONF_ERR_MAX];
	enum conf_error e;

	conf_defaults(conf);
	if (src->path != NULL &&
	    conf_load_file(conf, src->path, err, errlen) == -1)
		return CONF_ERR_FILE;
	if ((e = build_overrides(src, conf, err, errlen)) != CONF_OK)
		return e;
	if (src->verbosity > 0)
		conf->log_level = LOG_LEVEL_DEBUG;
	else if (src->verbosity < 0)
		conf->log_level = LOG_LEVEL_WARN;
	if (conf_validate(conf, reason, sizeof(reason)) == -1) {
		/* Name the file, as the file's own errors do. */
		if (src->path != NULL)
			conf_err(err, errlen, "%s: %s", src->path, reason);
		else
			conf_err(err, errlen, "%s", reason);
		return CONF_ERR_INVALID;
	}
	return CONF_OK;
}

/*
 * The file is applied to a copy of conf, which is written back only when
 * the whole file is good: a bad file (say, on reload) leaves conf as it was.
 */
/*
 * Only a regular file is read. It is opened without blocking, so that a
 * FIFO (or a device) in its place is refused at once instead of waiting
 * for a writer; reading a regular file ignores O_NONBLOCK.
 */
static FILE *
open_regular(const char *path, char *err, size_t errlen)
{
	struct stat st;
	FILE *fp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		conf_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			conf_err(err, errlen, "%s: %s", path, strerror(EISDIR));
		else
			conf_err(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		conf_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

int
conf_load_file(struct conf *conf, const char *path, char *err, size_t errlen)
{
	struct conf_file f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.conf = *conf;
	f.path = path;
	f.err = err;
	f.errlen = errlen;
	if ((f.fp = open_regular(path, err, errlen)) == NULL)
		return -1;
	rc = ini_parse_stream(file_reader, &f, file_handler, &f);
	fclose(f.fp);

	/* inih keeps going after a syntax error; we stop at our first. */
	if (rc > 0 && (!f.failed || rc < f.errline)) {
		conf_err(err, errlen, "%s:%d: syntax error (expected "
		    "'key = value' or '[section]')", path, rc);
		return -1;
	}
	if (f.failed)
		return -1;
	if (rc != 0) {
		conf_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	*conf = f.conf;
	return 0;
}

/* The command line's flags, each as the key it stands for. */
static enum conf_error
build_overrides(const struct conf_source *src, struct conf *conf, char *err,
    size_t errlen)
{
	enum conf_error e = CONF_OK;
	int i;

	if (src->nlisten > 0)
		conf_listen_clear(conf);
	for (i = 0; i < src->nlisten && e == CONF_OK; i++)
		e = build_override(conf, "-l", "server", "listen",
		    src->listen[i], err, errlen);
	if (e == CONF_OK && src->workers != NULL) {
		e = build_override(conf, "-w", "workers", "start",
		    src->workers, err, errlen);
		/* -w N means N workers, even past the file's max. */
		if (e == CONF_OK && conf->workers > conf->max_workers)
			conf->max_workers = conf->workers;
	}
	if (e == CONF_OK && src->protocol != NULL)
		e = build_override(conf, "-p", "server", "protocol",
		    src->protocol, err, errlen);
	if (e == CONF_OK && src->admin != NULL)
		e = build_override(conf, "-a", "admin", "listen", src->admin,
		    err, errlen);
	if (e == CONF_OK && src->pid_file != NULL)
		e = build_override(conf, "--pid-file", "server", "pid_file",
		    src->pid_file, err, errlen);
	/* A daemon's stderr is /dev/null, at start and after any reload. */
	if (e == CONF_OK && src->daemon &&
	    strcmp(conf->log_target, "stderr") == 0)
		snprintf(conf->log_target, sizeof(conf->log_target), "syslog");
	return e;
}

static enum conf_error
build_override(struct conf *conf, const char *flag, const char *section,
    const char *key, const char *value, char *err, size_t errlen)
{
	char reason[CONF_ERR_MAX];

	if (conf_set(conf, section, key, value, reason, sizeof(reason)) == 0)
		return CONF_OK;
	conf_err(err, errlen, "%s %s: %s", flag, value, reason);
	return CONF_ERR_FLAG;
}

/*
 * Record the file's first error as "PATH:LINE: message" and return 0,
 * which is what tells inih the handler failed.
 */
static int
file_fail(struct conf_file *f, const char *fmt, ...)
{
	char msg[CONF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_err(f->err, f->errlen, "%s:%d: %s", f->path, f->lineno, msg);
	f->failed = true;
	f->errline = f->lineno;
	return 0;
}

/*
 * Read one line into buf (size bytes, inih's line limit), without its
 * "\n" or "\r\n". Returns 1 for a line, 0 at the end of the file, -1 after
 * recording an error: a line that does not fit (inih would silently cut
 * it in two), a NUL byte, or a read error such as EISDIR.
 */
static int
file_read_line(struct conf_file *f, char *buf, int size)
{
	int c, n = 0, max = size - 3;	/* room for "\r\n" and NUL */

	while ((c = getc(f->fp)) != EOF && c != '\n') {
		if (c == '\0') {
			file_fail(f, "NUL byte in line");
			return -1;
		}
		if (n == size - 1)
			break;
		buf[n++] = (char)c;
	}
	if (c == EOF && ferror(f->fp)) {
		conf_err(f->err, f->errlen, "%s: %s", f->path,
		    strerror(errno));
		f->failed = true;
		f->errline = f->lineno;
		return -1;
	}
	if (c == EOF && n == 0)
		return 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > max || (c != EOF && c != '\n')) {
		file_fail(f, "line too long (more than %d characters)", max);
		return -1;
	}
	buf[n] = '\0';
	return 1;
}

/*
 * inih only calls the handler for key = value lines, so an unknown
 * section without keys would go unnoticed, and a bad one with keys would
 * be reported at its first key. Check headers here, where the line number
 * is the header's. Text after "]" may only be a comment.
 */
static int
file_check_section(struct conf_file *f, const char *line)
{
	char name[CONF_ERR_MAX / 2], list[128];
	const char *end, *rest;

	if (line[0] != '[' || (end = strchr(line, ']')) == NULL)
		return 0;	/* not a header, or inih's syntax error */
	for (rest = end + 1; *rest == ' ' || *rest == '\t'; rest++)
		;
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		file_fail(f, "syntax error (expected 'key = value' or "
		    "'[section]')");
		return -1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(end - line - 1), line + 1);
	if (conf_section_known(name))
		return 0;
	conf_sections_list(list, sizeof(list));
	file_fail(f, "unknown section [%s] (sections: %s)", name, list);
	return -1;
}

/*
 * inih's fgets-style reader. Counting lines here is how the handler knows
 * its line number (Debian's inih is built without INI_HANDLER_LINENO).
 * Leading blanks are removed so inih never sees a continuation line: its
 * Python-style multi-line values would silently turn an indented stray
 * value into a second assignment; here it is a syntax error. Returning
 * NULL ends the parse, which is how we stop at the first error.
 */
static char *
file_reader(char *str, int num, void *stream)
{
	struct conf_file *f = stream;
	char *p;

	if (f->failed || num < 4)
		return NULL;
	f->lineno++;
	if (file_read_line(f, str, num) != 1)
		return NULL;
	p = str;
	if (f->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;		/* UTF-8 byte order mark */
	while (*p == ' ' || *p == '\t')
		p++;
	memmove(str, p, strlen(p) + 1);
	if (file_check_section(f, str) == -1)
		return NULL;
	return str;
}

static int
file_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_file *f = user;
	const struct conf_key *key;
	char reason[CONF_ERR_MAX];

	if (f->failed)
		return 0;
	if ((key = conf_lookup(section, name, reason, sizeof(reason))) == NULL)
		return file_fail(f, "%s", reason);
	/* The file's first listen replaces the list; later ones add. */
	if (key->type == CONF_T_LISTEN && !f->listen_seen) {
		conf_listen_clear(&f->conf);
		f->listen_seen = true;
	}
	if (conf_apply(&f->conf, key, value, reason, sizeof(reason)) == -1)
		return file_fail(f, "%s", reason);
	return 1;
}
