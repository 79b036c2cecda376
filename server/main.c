/*
 * forkline: command line. Builds the configuration from three layers
 * (embedded defaults < config file < flags), then hands it to the master.
 *
 * Exit codes follow sysexits.h: 64 usage, 78 configuration, 71 OS error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "conf/config.h"
#include "server/daemon.h"
#include "server/status.h"
#include "server/master.h"


struct options {
	struct conf_source	 src;
	int			 test_config;
	int			 json;		/* status --json */
	int			 live;		/* --live */
	int			 daemon;
	const char		*signal;	/* -s NAME */
};

/*
 * What main() copies before the process title overwrites argv, and owns
 * until it returns: the arguments and paths a binary upgrade re-runs, and
 * the options, whose strings keep_source() copies (kept_source).
 */
struct startup {
	char			**argv;
	const char		*exe;
	char			*cwd;
	struct options		 o;
	bool			 kept_source;
};

static void	 usage(FILE *);
static noreturn void usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 take_option(int, char **, struct options *);
static void	 take_other_option(int, char **);
static void	 parse_options(int, char **, struct options *);
static void	 build_conf(const struct conf_source *, struct conf *);
static void	 keep_source(struct conf_source *);
static const char *keep_string(const char *);
static void	 prepare_daemon(struct conf_source *, struct conf *);
static char	**save_argv(int, char **);
static int	 run_status(struct options *);
static const char *self_path(void);
static int	 run(struct startup *, int, char **);
static void	 startup_free(struct startup *);

/* The leading ":" makes getopt report a missing value as ':'. */
static const char short_options[] = ":c:l:w:p:a:tds:vqVh";
static const struct option long_options[] = {
	{ "config",	 required_argument, NULL, 'c' },
	{ "listen",	 required_argument, NULL, 'l' },
	{ "workers",	 required_argument, NULL, 'w' },
	{ "protocol",	 required_argument, NULL, 'p' },
	{ "admin",	 required_argument, NULL, 'a' },
	{ "test-config", no_argument,	    NULL, 't' },
	{ "daemon",	 no_argument,	    NULL, 'd' },
	{ "pid-file",	 required_argument, NULL, 'P' },
	{ "signal",	 required_argument, NULL, 's' },
	{ "verbose",	 no_argument,	    NULL, 'v' },
	{ "quiet",	 no_argument,	    NULL, 'q' },
	{ "version",	 no_argument,	    NULL, 'V' },
	{ "help",	 no_argument,	    NULL, 'h' },
	{ "json",	 no_argument,	    NULL, 'J' },
	{ "live",	 no_argument,	    NULL, 'L' },
	{ NULL,		 0,		    NULL, 0 },
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: forkline [-tdvqVh] [-c FILE] [-l ADDR]... [-w N] "
	    "[-p line|echo] [-a ADDR]\n"
	    "                [--pid-file FILE] [-s stop|quit|reload|reopen|"
	    "upgrade]\n"
	    "       forkline status [-a ADDR | -c FILE] [--json]\n"
	    "\n"
	    "A preforking TCP server: a master supervises N workers that "
	    "share the\nlisteners and serve one client at a time.\n"
	    "\n"
	    "  -c, --config FILE     read settings from FILE (INI; see "
	    "forkline.conf(5))\n"
	    "  -l, --listen ADDR     listen on ADDR; repeatable; replaces "
	    "the configured list\n"
	    "                        127.0.0.1:7007  [::1]:7007  "
	    "0.0.0.0:7007  unix:/path/sock\n"
	    "  -w, --workers N       number of workers ([workers] start)\n"
	    "  -p, --protocol NAME   line (default) or echo\n"
	    "  -a, --admin ADDR      serve /healthz, /status and /metrics on "
	    "ADDR\n"
	    "  -t, --test-config     check the configuration, print it, "
	    "and exit\n"
	    "  -d, --daemon          detach from the terminal (logs go to "
	    "syslog unless\n"
	    "                        [log] target names a file)\n"
	    "      --pid-file FILE   write the master's pid to FILE ([server] "
	    "pid_file)\n"
	    "  -s, --signal NAME     signal the running master through its pid "
	    "file:\n"
	    "                        stop, quit, reload, reopen or upgrade\n"
	    "  -v, --verbose         log debug messages\n"
	    "  -q, --quiet           log warnings and errors only\n"
	    "      --live            on a terminal, keep a one-line status "
	    "(workers,\n"
	    "                        connections, req/s, restarts) under the "
	    "log\n"
	    "  -V, --version         print the version and exit\n"
	    "  -h, --help            print this help and exit\n"
	    "\n"
	    "Defaults: listen 127.0.0.1:7007, 4 workers, line protocol.\n"
	    "Signals: TERM/INT graceful stop, QUIT immediate stop, HUP reload,\n"
	    "USR1 reopen logs, USR2 binary upgrade, TTIN/TTOU one worker more/"
	    "fewer.\n"
	    "Exit status: 0 stopped, 64 usage error, 69 no worker could stay "
	    "up,\n71 OS error, 73 pid file in use, 78 configuration "
	    "error.\n");
}

static noreturn void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("forkline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'forkline -h')\n", stderr);
	exit(EX_USAGE);
}

static void
take_option(int ch, char **argv, struct options *o)
{
	switch (ch) {
	case 'c':
		o->src.path = optarg;
		break;
	case 'l':
		if (o->src.nlisten == CONF_LISTEN_MAX)
			usage_error("at most %d -l options", CONF_LISTEN_MAX);
		o->src.listen[o->src.nlisten++] = optarg;
		break;
	case 'w':
		o->src.workers = optarg;
		break;
	case 'p':
		o->src.protocol = optarg;
		break;
	case 'a':
		o->src.admin = optarg;
		break;
	case 't':
		o->test_config = 1;
		break;
	case 'd':
		o->daemon = 1;
		break;
	case 'P':
		o->src.pid_file = optarg;
		break;
	case 's':
		o->signal = optarg;
		break;
	case 'v':
		o->src.verbosity = 1;
		break;
	case 'q':
		o->src.verbosity = -1;
		break;
	case 'J':
		o->json = 1;
		break;
	case 'L':
		o->live = 1;
		break;
	default:
		take_other_option(ch, argv);
	}
}

/* The options that print and exit, and the errors. */
static void
take_other_option(int ch, char **argv)
{
	switch (ch) {
	case 'V':
		printf("forkline %s\n", FORKLINE_VERSION);
		exit(0);
	case 'h':
		usage(stdout);
		exit(0);
	case ':':
		usage_error("option '%s' needs a value", argv[optind - 1]);
	default:
		if (optopt != 0)
			usage_error("unknown option '-%c'", optopt);
		usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	opterr = 0;	/* our own one-line messages */
	while ((ch = getopt_long(argc, argv, short_options, long_options,
	    NULL)) != -1)
		take_option(ch, argv, o);
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

/*
 * A binary upgrade re-runs the program with the arguments it started with,
 * but the process title overwrites argv: keep a copy.
 */
static char **
save_argv(int argc, char **argv)
{
	char **copy;
	int i;

	if ((copy = calloc((size_t)argc + 1, sizeof(*copy))) == NULL) {
		perror("forkline: calloc");
		exit(EX_OSERR);
	}
	for (i = 0; i < argc; i++)
		copy[i] = (char *)keep_string(argv[i]);
	return copy;
}

/* The binary's path now; after an upgrade on disk, the new binary's. */
static const char *
self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) == -1) {
		perror("forkline: readlink /proc/self/exe");
		exit(EX_OSERR);
	}
	buf[n] = '\0';
	return keep_string(buf);
}

static const char *
keep_string(const char *s)
{
	char *copy;

	if (s == NULL)
		return NULL;
	if ((copy = strdup(s)) == NULL) {
		perror("forkline: strdup");
		exit(EX_OSERR);
	}
	return copy;
}

/*
 * The master keeps the source for reloads, but the strings live in argv,
 * which the process title overwrites: copy them.
 */
static void
keep_source(struct conf_source *src)
{
	int i;

	src->path = keep_string(src->path);
	for (i = 0; i < src->nlisten; i++)
		src->listen[i] = keep_string(src->listen[i]);
	src->workers = keep_string(src->workers);
	src->protocol = keep_string(src->protocol);
	src->admin = keep_string(src->admin);
	src->pid_file = keep_string(src->pid_file);
}

/*
 * A daemon's stderr is /dev/null, so the default log target becomes
 * syslog (said here, while there is still a terminal). The daemon runs
 * in /, so the config file's path is made absolute for reloads.
 */
static void
prepare_daemon(struct conf_source *src, struct conf *conf)
{
	char *path;

	src->daemon = true;
	if (strcmp(conf->log_target, "stderr") == 0)
		fprintf(stderr, "forkline: daemon mode: logging to syslog "
		    "(set [log] target to a file to change that)\n");
	if (src->path != NULL && src->path[0] != '/') {
		if ((path = realpath(src->path, NULL)) == NULL) {
			fprintf(stderr, "forkline: %s: %s\n", src->path,
			    strerror(errno));
			exit(EX_CONFIG);
		}
		free((char *)src->path);	/* keep_source's copy */
		src->path = path;
	}
	build_conf(src, conf);
}

/* The admin address from -a, or from the configuration (-c). */
static int
run_status(struct options *o)
{
	static struct conf conf;

	if (o->src.admin == NULL) {
		build_conf(&o->src, &conf);
		if (strcmp(conf.admin_listen, "off") == 0)
			usage_error("status: no admin endpoint: give -a ADDR, "
			    "or -c FILE with [admin] listen");
		return status_command(conf.admin_listen, o->json != 0);
	}
	return status_command(o->src.admin, o->json != 0);
}

/* A bad flag value is a usage error (64); a bad file or combination, 78. */
static void
build_conf(const struct conf_source *src, struct conf *conf)
{
	char err[CONF_ERR_MAX];

	switch (conf_build(src, conf, err, sizeof(err))) {
	case CONF_OK:
		return;
	case CONF_ERR_FLAG:
		usage_error("%s", err);
	case CONF_ERR_FILE:
	case CONF_ERR_INVALID:
		fprintf(stderr, "forkline: %s\n", err);
		exit(EX_CONFIG);
	}
}

/*
 * Everything after the copies main() makes: the status command, -s, -t,
 * or the master, whose exit status is returned.
 */
static int
run(struct startup *st, int argc, char **argv)
{
	static struct conf conf;
	struct options *o = &st->o;

	/* `forkline status ...`: a client of the admin endpoint. */
	if (argc > 1 && strcmp(argv[1], "status") == 0) {
		parse_options(argc - 1, argv + 1, o);
		return run_status(o);
	}
	parse_options(argc, argv, o);
	if (o->json)
		usage_error("--json goes with the status command");
	/* With --pid-file, -s needs nothing from the (maybe mid-edit) file. */
	if (o->signal != NULL && o->src.pid_file != NULL)
		return pidfile_signal(o->src.pid_file, o->signal);
	keep_source(&o->src);
	st->kept_source = true;
	build_conf(&o->src, &conf);
	if (o->signal != NULL) {
		if (conf.pid_file[0] == '\0')
			usage_error("-s needs a pid file: --pid-file FILE or "
			    "[server] pid_file");
		return pidfile_signal(conf.pid_file, o->signal);
	}
	if (o->daemon)
		prepare_daemon(&o->src, &conf);
	if (o->test_config) {
		conf_print(&conf, stdout);
		fprintf(stderr, "forkline: configuration %s is valid\n",
		    o->src.path != NULL ? o->src.path : "(defaults)");
		return 0;
	}
	/* A new master from a binary upgrade is already detached. */
	if (o->daemon && getenv("FORKLINE_UPGRADE_FROM") == NULL)
		daemon_start();
	log_init(conf.log_level, "master");
	/* The live line needs a terminal, and stderr as the log. */
	return master_run(&conf, &o->src, st->exe, st->argv, st->cwd,
	    o->live && !o->daemon && isatty(STDERR_FILENO) &&
	    strcmp(conf.log_target, "stderr") == 0);
}

/*
 * Free what main() and keep_source() copied, once nothing runs any more.
 * Paths that exit() on the way (usage and configuration errors, fatal
 * errors in the master) leave it all in place: main's frame, which holds
 * it, is still live then, and the process is ending.
 */
static void
startup_free(struct startup *st)
{
	int i;

	if (st->kept_source) {
		free((char *)st->o.src.path);
		for (i = 0; i < st->o.src.nlisten; i++)
			free((char *)st->o.src.listen[i]);
		free((char *)st->o.src.workers);
		free((char *)st->o.src.protocol);
		free((char *)st->o.src.admin);
		free((char *)st->o.src.pid_file);
	}
	for (i = 0; st->argv[i] != NULL; i++)
		free(st->argv[i]);
	free(st->argv);
	free((char *)st->exe);
	free(st->cwd);
}

int
main(int argc, char **argv)
{
	struct startup st;
	int status;

	memset(&st, 0, sizeof(st));
	st.argv = save_argv(argc, argv);
	st.exe = self_path();
	st.cwd = getcwd(NULL, 0);	/* NULL if unknowable: upgrades stay put */
	proctitle_init(argc, argv);
	status = run(&st, argc, argv);
	startup_free(&st);
	return status;
}
