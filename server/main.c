/*
 * forkline: command line. Builds the configuration from three layers
 * (embedded defaults < config file < flags), then hands it to the master.
 *
 * Exit codes follow sysexits.h: 64 usage, 78 configuration, 71 OS error.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/proc.h"
#include "conf/config.h"
#include "server/master.h"

#define EXIT_USAGE	64
#define EXIT_CONFIG	78

struct options {
	const char	*config_path;
	const char	*listen[CONF_LISTEN_MAX];
	int		 nlisten;
	const char	*workers;
	const char	*protocol;
	int		 test_config;
	int		 verbosity;	/* -1 quiet, 0 normal, 1 verbose */
};

static void	 usage(FILE *);
static noreturn void usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 parse_options(int, char **, struct options *);
static void	 apply_override(struct conf *, const char *, const char *,
		    const char *, const char *);
static void	 build_conf(const struct options *, struct conf *);

static const char short_options[] = "c:l:w:p:tvqVh";
static const struct option long_options[] = {
	{ "config",	 required_argument, NULL, 'c' },
	{ "listen",	 required_argument, NULL, 'l' },
	{ "workers",	 required_argument, NULL, 'w' },
	{ "protocol",	 required_argument, NULL, 'p' },
	{ "test-config", no_argument,	    NULL, 't' },
	{ "verbose",	 no_argument,	    NULL, 'v' },
	{ "quiet",	 no_argument,	    NULL, 'q' },
	{ "version",	 no_argument,	    NULL, 'V' },
	{ "help",	 no_argument,	    NULL, 'h' },
	{ NULL,		 0,		    NULL, 0 },
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: forkline [-tvqVh] [-c FILE] [-l ADDR]... [-w N] "
	    "[-p line|echo]\n"
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
	    "  -t, --test-config     check the configuration, print it, "
	    "and exit\n"
	    "  -v, --verbose         log debug messages\n"
	    "  -q, --quiet           log warnings and errors only\n"
	    "  -V, --version         print the version and exit\n"
	    "  -h, --help            print this help and exit\n"
	    "\n"
	    "Defaults: listen 127.0.0.1:7007, 4 workers, line protocol.\n"
	    "Signals: TERM/INT graceful stop, QUIT immediate stop.\n"
	    "Exit status: 0 stopped, 64 usage error, 71 OS error, 78 "
	    "configuration error.\n");
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
	exit(EXIT_USAGE);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	opterr = 0;	/* our own one-line messages */
	while ((ch = getopt_long(argc, argv, short_options, long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'l':
			if (o->nlisten == CONF_LISTEN_MAX)
				usage_error("at most %d -l options",
				    CONF_LISTEN_MAX);
			o->listen[o->nlisten++] = optarg;
			break;
		case 'w':
			o->workers = optarg;
			break;
		case 'p':
			o->protocol = optarg;
			break;
		case 't':
			o->test_config = 1;
			break;
		case 'v':
			o->verbosity = 1;
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case 'V':
			printf("forkline %s\n", FORKLINE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			usage_error("option '%s' needs a value",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

/* A bad flag value is a usage error (64), named by its flag. */
static void
apply_override(struct conf *conf, const char *flag, const char *section,
    const char *key, const char *value)
{
	char err[CONF_ERR_MAX];

	if (conf_set(conf, section, key, value, err, sizeof(err)) == -1)
		usage_error("%s %s: %s", flag, value, err);
}

static void
build_conf(const struct options *o, struct conf *conf)
{
	char err[CONF_ERR_MAX];
	int i;

	conf_defaults(conf);
	if (o->config_path != NULL &&
	    conf_load_file(conf, o->config_path, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkline: %s\n", err);
		exit(EXIT_CONFIG);
	}
	if (o->nlisten > 0)
		conf_listen_clear(conf);
	for (i = 0; i < o->nlisten; i++)
		apply_override(conf, "-l", "server", "listen", o->listen[i]);
	if (o->workers != NULL)
		apply_override(conf, "-w", "workers", "start", o->workers);
	if (o->protocol != NULL)
		apply_override(conf, "-p", "server", "protocol", o->protocol);
	if (o->verbosity > 0)
		conf->log_level = LOG_LEVEL_DEBUG;
	else if (o->verbosity < 0)
		conf->log_level = LOG_LEVEL_WARN;
	if (conf_validate(conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkline: %s\n", err);
		exit(EXIT_CONFIG);
	}
}

int
main(int argc, char **argv)
{
	struct options o;
	static struct conf conf;

	proctitle_init(argc, argv);
	memset(&o, 0, sizeof(o));
	parse_options(argc, argv, &o);
	build_conf(&o, &conf);
	if (o.test_config) {
		conf_print(&conf, stdout);
		fprintf(stderr, "forkline: configuration %s is valid\n",
		    o.config_path != NULL ? o.config_path : "(defaults)");
		return 0;
	}
	log_init(conf.log_level, "master");
	return master_run(&conf);
}
