/*
 * client: one test client at a time, talking to a server on 127.0.0.1
 * or a unix socket. Connecting and sending assert on failure; fds are
 * blocking, close-on-exec, and reads are bounded by poll. (Many clients
 * at once, in a request loop: load.h.)
 */
#ifndef FORKLINE_TEST_CLIENT_H
#define FORKLINE_TEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "tests/support/server.h"

/* Line results of client_read_line, besides a positive length. */
#define CLIENT_EOF		0	/* orderly close before any byte */
#define CLIENT_TIMEOUT		(-1)	/* no complete line in time */
#define CLIENT_RESET		(-2)	/* ECONNRESET (or another error) */
#define CLIENT_TRUNCATED	(-3)	/* EOF after part of a line */
#define CLIENT_OVERFLOW		(-4)	/* line longer than the buffer */

int	 client_connect(int port);
int	 client_connect_unix(const char *path);
int	 client_open(const struct server *s);	/* TCP or unix, as s says */
/* client_open without the assertion: -1 with errno set if it fails. */
int	 client_try_open(const struct server *s);
int	 client_local_port(int fd);	/* the port of this end of fd */
void	 client_ping(const struct server *s);	/* PING on a new connection */
void	 client_ping_port(int port);	/* the same on 127.0.0.1:port */
void	 client_send(int fd, const char *text);
void	 client_send_bytes(int fd, const void *data, size_t len);
/*
 * Read one line, its ending included, into buf (NUL-terminated). Returns its
 * length (> 0) or one of the CLIENT_ results. Bytes after the line stay in
 * the socket.
 */
int	 client_read_line(int fd, char *buf, size_t len, int timeout_ms);
/* "EOF", "a timeout", ... for a CLIENT_ result, in messages. */
const char *client_result_name(int r);
/* Read exactly len bytes; false on EOF, error or timeout. */
bool	 client_read_exact(int fd, void *buf, size_t len, int timeout_ms);
/* Read until EOF (or reset): returns the bytes (free them), length in len,
 * CLIENT_EOF, CLIENT_RESET or CLIENT_TIMEOUT in how. */
char	*client_read_all(int fd, size_t *len, int *how, int timeout_ms);
/*
 * Assertions on replies. They are macros so that a failure names the line
 * of the test that asked, besides the request and the reply.
 */
/* Assert the next line is exactly want. */
#define client_expect(fd, want) \
	client_expect_at(__FILE__, __LINE__, (fd), (want))
/* Send request, assert the reply line is exactly want. */
#define client_request(fd, request, want) \
	client_request_at(__FILE__, __LINE__, (fd), (request), (want))
/* Assert the peer closes (EOF; a reset too if allow_reset) with no data. */
#define client_expect_close(fd, allow_reset) \
	client_expect_close_at(__FILE__, __LINE__, (fd), (allow_reset))
void	 client_expect_at(const char *file, int line, int fd,
	    const char *want);
void	 client_request_at(const char *file, int line, int fd,
	    const char *request, const char *want);
void	 client_expect_close_at(const char *file, int line, int fd,
	    bool allow_reset);
/*
 * Wait until the server side of this TCP connection has been accepted and
 * has read everything sent so far (from /proc/net/tcp: the entry gets an
 * inode when accepted, its receive queue drains when read). This is how a
 * test knows a request is in the worker's hands before it signals.
 */
void	 client_wait_consumed(int fd);

/* Parse "pid=.. worker=.. generation=.. connections=.. requests=..". */
struct info_reply {
	long	 pid;
	long	 worker;
	long	 generation;
	long	 connections;
	long	 requests;
};
/* Parse an INFO reply without its line ending; false if malformed. */
bool	 info_parse(const char *text, struct info_reply *out);
/* Send "INFO\n" and parse the reply, asserting it is well formed. */
void	 client_info(int fd, struct info_reply *out);

/*
 * Send a raw HTTP request to 127.0.0.1:port, read the whole answer
 * (free it); its status code in *status. Asserts a status line came back.
 */
char	*harness_http_get(int port, const char *request, int *status);

#endif
