/*
 * status: `forkline status [-a ADDR | -c FILE] [--json]`, which prints
 * what the running master's admin endpoint says about its pool.
 */
#ifndef FORKLINE_STATUS_H
#define FORKLINE_STATUS_H

#include <stdbool.h>

/* Returns the exit status: 0, 64 bad address, 69 not reachable, 71. */
int	 status_command(const char *admin, bool json);

#endif
