/*
 * print: the effective configuration as an INI file that loads again
 * (forkline -t). Walks the key table in its order. See config.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "conf/keys.h"

static void	 print_key(const struct conf *conf, const struct conf_key *key,
		    FILE *out);

void
conf_print(const struct conf *conf, FILE *out)
{
	size_t s, k;

	fprintf(out, "# forkline configuration (effective values)\n");
	for (s = 0; s < conf_nsections; s++) {
		fprintf(out, "\n[%s]\n", conf_sections[s]);
		for (k = 0; k < conf_nkeys; k++)
			if (strcmp(conf_keys[k].section, conf_sections[s]) == 0)
				print_key(conf, &conf_keys[k], out);
	}
}

/* One "name = value" line; a listen line for each listener. */
static void
print_key(const struct conf *conf, const struct conf_key *key, FILE *out)
{
	char buf[64];
	int i;

	if (key->type == CONF_T_LISTEN) {
		for (i = 0; i < conf->nlisten; i++)
			fprintf(out, "%s = %s\n", key->name, conf->listen[i]);
		return;
	}
	if (key->type == CONF_T_STRING) {
		fprintf(out, "%s = %s\n", key->name,
		    (const char *)conf + key->offset);
		return;
	}
	conf_format_value(key->type, conf_get(conf, key), buf, sizeof(buf));
	fprintf(out, "%s = %s\n", key->name, buf);
}
