/*
 * access: the access log's line, one per connection, written by the
 * process that ends the connection: a worker, or the lobby for one it
 * closes (worker 0). docs/OPERATIONS.md describes the fields.
 */
#ifndef FORKLINE_ACCESS_H
#define FORKLINE_ACCESS_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct access_entry {
	struct timespec	 started;	/* realtime, at accept */
	const char	*peer;		/* escaped (net_format_peer) */
	pid_t		 pid;
	int		 worker;	/* slot; 0: the lobby */
	int64_t		 duration_ms;
	uint64_t	 requests;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	const char	*end;		/* why it ended */
	const char	*faults;	/* injected, "a,b"; "" or NULL: none */
};

/*
 * Format the line and write it to fd with one write(2): with O_APPEND,
 * lines from every process never mix. A failed write is logged.
 */
void	 access_write(int fd, const struct access_entry *e);

#endif
