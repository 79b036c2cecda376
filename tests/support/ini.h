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
/*
 * Keep only the sections and settings of INI text, in place: no comments,
 * no blank lines. Two configurations printed by forkline -t compare
 * equal this way when they hold the same settings.
 */
void	 ini_settings(char *text);

#endif
