/*
 * net: listening addresses.
 *
 * Accepted address forms:
 *   127.0.0.1:7007   IPv4 host and port
 *   0.0.0.0:7007     every IPv4 address ("*:7007" means the same)
 *   [::1]:7007       IPv6 host in brackets (IPV6_V6ONLY is always set, so
 *   [::]:7007        "[::]" and "0.0.0.0" can be listened on side by side)
 *   unix:/path/sock  a unix stream socket
 * Hosts are numeric: no DNS lookups at start-up. Port 0 asks the kernel for
 * an ephemeral port.
 */
#ifndef FORKLINE_NET_H
#define FORKLINE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define NET_ADDR_TEXT_MAX	128	/* "unix:" + a 108-byte sun_path fits */

struct net_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 text[NET_ADDR_TEXT_MAX];
};

/* Parse text into out. Returns 0, or -1 with a reason in err. */
int	 net_parse_addr(const char *text, struct net_addr *out,
	    char *err, size_t errlen);

/*
 * Open a non-blocking, close-on-exec listening socket on addr. For a unix
 * socket a stale socket file (nobody accepting on it) is removed first and
 * the new one gets mode unix_mode; a live one is an error. Returns the fd,
 * or -1 with a reason (naming the address and errno text) in err.
 */
int	 net_listen(const struct net_addr *addr, int backlog,
	    unsigned unix_mode, char *err, size_t errlen);

/* Read back the bound address of a listening fd (resolves port 0). */
int	 net_local_addr(int fd, struct net_addr *out);

/* Format a peer or local address as text ("127.0.0.1:5000", "[::1]:80",
 * "unix:/path" or "unix" for an unnamed peer). Always NUL-terminates. */
void	 net_format(const struct sockaddr *sa, socklen_t len, char *buf,
	    size_t buflen);

/*
 * The same for the peer of an accepted connection: a unix peer's path,
 * which the client chose, is escaped (common/escape.h: printable ASCII,
 * no space or quote), so it is safe in a log line, JSON or a terminal.
 */
void	 net_format_peer(const struct sockaddr *sa, socklen_t len, char *buf,
	    size_t buflen);

#endif
