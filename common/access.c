/*
 * access: see access.h.
 */
#include <stdio.h>
#include <unistd.h>

#include "common/access.h"
#include "common/log.h"
#include "common/proc.h"

void
access_write(int fd, const struct access_entry *e)
{
	char line[512], when[40];
	int n;

	format_time(&e->started, when, sizeof(when));
	n = snprintf(line, sizeof(line), "%s peer=%s pid=%ld worker=%d "
	    "duration_ms=%lld requests=%llu bytes_in=%llu bytes_out=%llu "
	    "end=\"%s\"%s%s\n", when, e->peer, (long)e->pid, e->worker,
	    (long long)e->duration_ms, (unsigned long long)e->requests,
	    (unsigned long long)e->bytes_in, (unsigned long long)e->bytes_out,
	    e->end, e->faults != NULL && e->faults[0] != '\0' ? " faults=" : "",
	    e->faults != NULL ? e->faults : "");
	if (n > 0 && write(fd, line, (size_t)n < sizeof(line) ? (size_t)n :
	    sizeof(line) - 1) == -1)
		log_warn("writing the access log");
}
