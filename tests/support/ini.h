/*
 * ini: look keys up in INI text, as forkline -t prints its configuration.
 */
#ifndef FORKLINE_TEST_INI_H
#define FORKLINE_TEST_INI_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The value of [section] key, the first one when repeated, in val; false
 * if absent. ini_count counts the occurrences.
 */
bool	 ini_lookup(const char *text, const char *section, const char *key,
	    char *val, size_t len);
int	 ini_count(const char *text, const char *section, const char *key);

#endif
