/*
 * status: `forkline status [-a ADDR | -c FILE] [--json]`, which prints
 * what the running master's admin endpoint says about its pool.
 */
#ifndef FORKLINE_STATUS_H
#define FORKLINE_STATUS_H

#include <stdbool.h>

/*
 * Everything (connecting, sending, the whole answer) within 5 s. Returns
 * the exit status: 0; EX_USAGE, a bad address; EX_UNAVAILABLE, nobody
 * there or no answer in time; EX_OSERR, any other failure.
 */
int	 status_command(const char *admin, bool json);

#endif
