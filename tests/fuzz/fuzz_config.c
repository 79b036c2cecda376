/*
 * Fuzz conf/: any text as a configuration file, read through
 * conf_load_file (inih and our line reader) exactly as forkline reads one.
 *
 * conf_load_file takes a path, so the input is written to a memfd and
 * loaded as /proc/self/fd/N: the same fopen and getc path as a real file,
 * nothing on disk.
 *
 * Invariants:
 * - a file that does not load gives a non-empty error that names the file,
 *   and leaves the configuration it was applied to unchanged;
 * - a file that loads but does not validate gives a non-empty error;
 * - a valid configuration, printed with conf_print, is a file that loads
 *   and validates, and prints the same text again (the round trip that
 *   forkline -t relies on: its output is a configuration file).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/config.h"
#include "tests/fuzz/fuzz.h"

/* A memfd and its /proc/self/fd path: one for the input, one for the
 * printed configuration. */
struct memfile {
	int	 fd;
	char	 path[64];
};

static void	 memfile_open(struct memfile *m, const char *name);
static void	 memfile_set(struct memfile *m, const void *data, size_t len);
static char	*print_conf(const struct conf *conf);
static void	 check_error(const char *err, const char *path);

static struct memfile	 input, printed;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf def, conf, back;
	char err[CONF_ERR_MAX];
	char *text, *again;

	if (input.path[0] == '\0') {
		memfile_open(&input, "fuzz-config-input");
		memfile_open(&printed, "fuzz-config-printed");
	}
	memfile_set(&input, data, size);
	conf_defaults(&def);
	conf = def;
	err[0] = '\0';
	if (conf_load_file(&conf, input.path, err, sizeof(err)) == -1) {
		check_error(err, input.path);
		FUZZ_REQUIRE(memcmp(&conf, &def, sizeof(conf)) == 0,
		    "a file that failed (%s) changed the configuration", err);
		return 0;
	}
	if (conf_validate(&conf, err, sizeof(err)) == -1) {
		check_error(err, NULL);
		return 0;
	}

	text = print_conf(&conf);
	memfile_set(&printed, text, strlen(text));
	conf_defaults(&back);
	err[0] = '\0';
	FUZZ_REQUIRE(conf_load_file(&back, printed.path, err,
	    sizeof(err)) == 0, "the printed configuration does not load: "
	    "%s\n--- printed:\n%s---", err, text);
	FUZZ_REQUIRE(conf_validate(&back, err, sizeof(err)) == 0,
	    "the printed configuration does not validate: %s", err);
	again = print_conf(&back);
	FUZZ_REQUIRE(strcmp(text, again) == 0, "printed, loaded and printed "
	    "again, another text:\n--- first:\n%s--- then:\n%s---", text,
	    again);
	free(text);
	free(again);
	return 0;
}

static void
memfile_open(struct memfile *m, const char *name)
{
	if ((m->fd = memfd_create(name, MFD_CLOEXEC)) == -1) {
		fprintf(stderr, "memfd_create: %s\n", strerror(errno));
		abort();
	}
	snprintf(m->path, sizeof(m->path), "/proc/self/fd/%d", m->fd);
}

/* Make the file's whole content data[0 .. len). */
static void
memfile_set(struct memfile *m, const void *data, size_t len)
{
	if (ftruncate(m->fd, 0) == -1 ||
	    (len > 0 && pwrite(m->fd, data, len, 0) != (ssize_t)len)) {
		fprintf(stderr, "%s: %s\n", m->path, strerror(errno));
		abort();
	}
}

static char *
print_conf(const struct conf *conf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		abort();
	conf_print(conf, fp);
	if (fclose(fp) != 0)
		abort();
	return text;
}

/* Non-empty, NUL-terminated, and naming the file when there is one. */
static void
check_error(const char *err, const char *path)
{
	FUZZ_REQUIRE(memchr(err, '\0', CONF_ERR_MAX) != NULL,
	    "error not NUL-terminated");
	FUZZ_REQUIRE(err[0] != '\0', "failed without an error message");
	if (path != NULL)
		FUZZ_REQUIRE(strncmp(err, path, strlen(path)) == 0,
		    "error '%s' does not name the file", err);
}
