/*
 * logfiles: the log target and the access log, as the master opens them.
 * The access log's fd lives in the core: workers are told to keep it.
 */
#ifndef FORKLINE_LOGFILES_H
#define FORKLINE_LOGFILES_H

#include <stddef.h>

#include "server/core.h"

/*
 * At start and on reload, for the workers' creds (the new ones, on a
 * reload that changes the user). 0, or -1 with the reason in err, and
 * what was open is left open.
 */
int	 logfiles_open(struct core *c, const struct conf *conf,
	    const struct creds *creds, char *err, size_t errlen);
int	 logfiles_reopen(const struct core *c);
void	 logfiles_close(struct core *c);

#endif
