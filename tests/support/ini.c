/*
 * ini: keys of INI text. See ini.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/ini.h"

static char	*trim(char *s);
static int	 ini_scan(const char *text, const char *section,
		    const char *key, char *val, size_t len);

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Count [section] key = value entries; copy the first value to val. */
static int
ini_scan(const char *text, const char *section, const char *key,
    char *val, size_t len)
{
	char	*copy = strdup(text), *line, *save = NULL, *p, *eq;
	char	 cur[128] = "";
	int	 count = 0;

	ck_assert_msg(copy != NULL, "out of memory");
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		p = trim(line);
		if (*p == '[' && (eq = strchr(p, ']')) != NULL) {
			*eq = '\0';
			snprintf(cur, sizeof(cur), "%s", trim(p + 1));
			continue;
		}
		if (*p == ';' || *p == '#' || (eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(cur, section) != 0 || strcmp(trim(p), key) != 0)
			continue;
		if (count++ == 0 && val != NULL)
			snprintf(val, len, "%s", trim(eq + 1));
	}
	free(copy);
	return count;
}

bool
ini_lookup(const char *text, const char *section, const char *key,
    char *val, size_t len)
{
	return ini_scan(text, section, key, val, len) > 0;
}

int
ini_count(const char *text, const char *section, const char *key)
{
	return ini_scan(text, section, key, NULL, 0);
}

void
ini_settings(char *text)
{
	char	*in = text, *out = text, *p;
	size_t	 len;

	while (*in != '\0') {
		len = strcspn(in, "\n");
		if (in[len] == '\n')
			len++;
		p = in + strspn(in, " \t");
		if (*p != '#' && *p != ';' && *p != '\n' && *p != '\0') {
			memmove(out, in, len);
			out += len;
		}
		in += len;
	}
	*out = '\0';
}
