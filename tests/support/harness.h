/*
 * harness: run the real forkline binary and talk to it, for the Check
 * integration suites in tests/integration.
 *
 * The binary is $FORKLINE_BIN (make integration sets it). A server is
 * started on a listener bound here, in the test process, on 127.0.0.1 port
 * 0 and handed over as fd 3 with LISTEN_FDS=1 (systemd socket activation),
 * so the port is known before the server runs and nothing races for it.
 *
 * Everything that fails calls ck_assert_msg with a message saying what was
 * expected and what happened, so a test reads as a list of steps.
 *
 * Temporary files (logs, configs, captured output, unix sockets) live in one
 * directory per test binary: harness_init() creates it in main() before the
 * runner forks the tests, harness_cleanup() removes it with its contents
 * (harness_main() does both around running the suite).
 *
 * Leaks: Check runs each test in a forked child in its own process group and
 * ends it with _exit(1) on a failed assertion (atexit handlers do not run),
 * then kills that group. Servers are in the group, and also carry
 * PR_SET_PDEATHSIG=SIGKILL, so a failed or timed-out test never leaves a
 * master behind; an atexit() handler stops servers a passing test forgot.
 */
#ifndef FORKLINE_HARNESS_H
#define FORKLINE_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HARNESS_PATH_MAX	256
#define HARNESS_READY_MS	10000	/* server readiness */
#define HARNESS_STOP_MS		20000	/* SIGTERM to exit, in server_stop */
#define HARNESS_REPLY_MS	10000	/* one reply line */
#define HARNESS_MAX_PIDS	1024	/* children of a large dynamic pool */

/* Line results of client_read_line, besides a positive length. */
#define CLIENT_EOF		0	/* orderly close before any byte */
#define CLIENT_TIMEOUT		(-1)	/* no complete line in time */
#define CLIENT_RESET		(-2)	/* ECONNRESET (or another error) */
#define CLIENT_TRUNCATED	(-3)	/* EOF after part of a line */
#define CLIENT_OVERFLOW		(-4)	/* line longer than the buffer */

/* Directory and temporary files. */
void	 harness_init(void);
void	 harness_cleanup(void);
/*
 * A suite binary's main(): harness_init, run the suite make() returns
 * (CK_NORMAL), harness_cleanup. EXIT_SUCCESS if no test failed; if one
 * did, the directory is kept (as with FORKLINE_TEST_KEEP), since the
 * failure messages name the logs in it.
 */
int	 harness_main(Suite *(*make)(void));
const char *harness_dir(void);
/* Write text to a new file "<dir>/<stem>XXXXXX<suffix>"; path in out. */
void	 harness_write_file(char *out, size_t outlen, const char *stem,
	    const char *suffix, const char *text);
/*
 * Replace path's contents the way an editor or a deployment tool does:
 * write "<path>.new" and rename it over path, so a reader never sees half
 * a file.
 */
void	 harness_rewrite_file(const char *path, const char *text);
/* The whole file, NUL-terminated (free it), length in *len unless len is
 * NULL; NULL if unreadable. */
char	*harness_read_file(const char *path, size_t *len);
/* A fresh subdirectory of the harness directory; path in out. */
void	 harness_mkdtemp(char *out, size_t outlen);

/*
 * A listening TCP socket on 127.0.0.1, port 0 (SO_REUSEADDR, backlog
 * 1024, close-on-exec); its port in *port.
 */
int	 harness_listen_tcp(int *port);

/* A 127.0.0.1 port nobody listens on right now (bound, then closed). */
int	 harness_free_port(void);
/*
 * Can a listener be bound on 127.0.0.1:port now (SO_REUSEADDR, as a
 * server would)? False while any process still listens there.
 */
bool	 harness_port_bindable(int port);

/* How many times needle occurs in text (non-overlapping). */
int	 harness_count(const char *text, const char *needle);

/*
 * Send a raw HTTP request to 127.0.0.1:port, read the whole answer
 * (free it); its status code in *status. Asserts a status line came back.
 */
char	*harness_http_get(int port, const char *request, int *status);

/* Time. */
int64_t	 harness_now_ms(void);		/* monotonic */
/*
 * Every limit the harness waits with (the HARNESS_*_MS above, and each
 * timeout_ms argument below) is multiplied by FORKLINE_TEST_SLOW (a whole
 * number, 1 unless set), for a server that runs that many times slower:
 * under valgrind or a sanitizer. harness_slow returns the factor,
 * harness_deadline the monotonic time limit_ms (scaled) from now. Times
 * a test measures itself are not scaled.
 */
int	 harness_slow(void);
int64_t	 harness_deadline(int limit_ms);
void	 harness_sleep_ms(int ms);
/*
 * Call pred(arg) every 10 ms until it returns true or timeout_ms passes.
 * Returns the last result.
 */
bool	 harness_wait_until(bool (*pred)(void *), void *arg, int timeout_ms);

/* "exited with status 3", "killed by signal 9 (Killed)", "still running" */
const char *harness_describe_status(int status);
/* Printable rendering of n bytes ("\r", "\n", "\xNN"), cut after ~200. */
const char *harness_quote(const void *data, size_t n);

/*
 * A running server. args are the arguments after argv[0], NULL-terminated.
 * port is the TCP port to connect to (0 if the server listens on a unix
 * socket only, then unix_path is set).
 */
struct server {
	pid_t	 pid;
	int	 port;
	char	 unix_path[HARNESS_PATH_MAX];
	char	 log[HARNESS_PATH_MAX];	/* the server's stdout and stderr */
	int	 status;		/* wait status, once reaped */
	bool	 reaped;
};

/* Start with an inherited listener on 127.0.0.1:0; wait until it serves. */
void	 server_start(struct server *s, const char *const args[]);
/*
 * The same without waiting for readiness, for a server that will never
 * serve (a crash-on-start fault). The server's environment is this
 * process's, so a test may setenv() first.
 */
void	 server_launch(struct server *s, const char *const args[]);
/*
 * server_launch, with in_child(log_fd, arg) called in the child before
 * exec, once stdin is /dev/null, stdout and stderr go to the log (log_fd
 * is open on it) and the listener is fd 3 with LISTEN_FDS and LISTEN_PID
 * set (every other fd is closed after it returns): for what only the
 * child knows (its pid) or what names its log (JOURNAL_STREAM). It may
 * _exit(127) when something fails.
 * server_launch is server_launch_with(s, args, NULL, NULL).
 */
void	 server_launch_with(struct server *s, const char *const args[],
	    void (*in_child)(int log_fd, void *arg), void *arg);
/*
 * Start another program, argv[0] a path, the way a server is started
 * (log, process group, death with the test) but with no inherited
 * listener: a tool that execs forkline. s->port is left 0.
 */
void	 server_launch_program(struct server *s, const char *const argv[]);
/*
 * Start with no inherited listener (the server binds what args and config
 * say); take the address from the first "listening on ADDR" log line
 * (127.0.0.1:PORT or unix:PATH) and wait until it serves there.
 */
void	 server_start_unbound(struct server *s, const char *const args[]);
/* Send sig to the master. */
void	 server_signal(struct server *s, int sig);
/* Reap the master if it exits within timeout_ms; true if it did. */
bool	 server_wait(struct server *s, int timeout_ms);
/*
 * SIGTERM, wait up to HARNESS_STOP_MS, then SIGKILL (said on stderr).
 * Returns the wait status; a server already reaped just returns it.
 */
int	 server_stop(struct server *s);
/* Assert the master exited with status code; what names the situation. */
void	 server_assert_exit(const struct server *s, int code, const char *what);

/* The whole log, as harness_read_file, and searches in it. */
char	*server_log_read(const struct server *s, size_t *len);
size_t	 server_log_size(const struct server *s);
bool	 server_log_contains(const struct server *s, const char *needle);
bool	 server_log_wait(const struct server *s, const char *needle,
	    int timeout_ms);

/*
 * The master's worker processes (its children, from
 * /proc/PID/task/PID/children): count returned, pids in out.
 */
int	 server_workers(const struct server *s, pid_t *out, int max);
/* Wait until the master has exactly n children; their pids in out. */
void	 server_wait_workers(const struct server *s, int n, pid_t *out);
bool	 server_is_worker(const struct server *s, pid_t pid);
/* SIGTERM, and assert the master exits 0 ("SIGTERM at the end of the
 * test"). */
void	 server_stop_expect_zero(struct server *s);

/* Pids of the master's children, to find one in a set or out of it. */
struct pidset {
	pid_t	 pids[HARNESS_MAX_PIDS];
	int	 n;
};
bool	 pidset_has(const struct pidset *set, pid_t pid);
/* "pid pid ..." for messages (rotating static buffers, as harness_quote). */
const char *pidset_text(const struct pidset *set);

/*
 * A worker's replacement, for harness_wait_until(worker_replaced, &r, ms):
 * true once the master s has n children again (left in now), gone not
 * among them and not alive (reaped, or at least a zombie).
 */
struct replaced {
	const struct server	*s;
	pid_t			 gone;
	int			 n;
	struct pidset		 now;
};
bool	 worker_replaced(void *arg);

/* Run the binary to completion (no inherited listener), output captured. */
struct run_result {
	int	 status;
	bool	 timed_out;	/* killed after timeout_ms */
	char	*out;		/* stdout, NUL-terminated */
	char	*err;		/* stderr */
};
void	 forkline_run(struct run_result *r, const char *const args[],
	    int timeout_ms);
void	 run_result_free(struct run_result *r);
/* Assert r exited with code, quoting its output otherwise. */
void	 run_assert_exit(const struct run_result *r, int code,
	    const char *what);

/* Processes. */
bool	 ps_alive(pid_t pid);		/* exists and is not a zombie */
/* The state letter of /proc/PID/stat ('R', 'S', 'T', 'Z' ...); '\0' if
 * there is no such process. */
char	 ps_state(pid_t pid);
/* The line "Name:\t..." of /proc/PID/status without its name and
 * surrounding blanks; "" if there is none. */
void	 ps_status_field(pid_t pid, const char *name, char *out, size_t len);
/*
 * What a process that should be gone is doing, for a failure message:
 * "state S, waiting in do_epoll_wait, signals pending 0, shared pending
 * 0, blocked 0" (the masks in hex from /proc/PID/status), or "gone".
 */
const char *ps_describe(pid_t pid, char *buf, size_t len);
/* Resident set size (VmRSS) in kB; -1 if unreadable. */
long	 ps_rss_kb(pid_t pid);
/* utime + stime of pid, in clock ticks, from /proc/PID/stat. */
long	 ps_cpu_ticks(pid_t pid);
int	 ps_children(pid_t pid, pid_t *out, int max);
/* argv[0] of pid (text up to the first NUL, trailing blanks cut). */
bool	 ps_cmdline(pid_t pid, char *buf, size_t len);
/* Wait until none of pids[0..n) is alive; assert with what otherwise. */
void	 ps_assert_gone(const pid_t *pids, int n, int timeout_ms,
	    const char *what);

/*
 * Clients. Connecting and sending assert on failure; fds are blocking,
 * close-on-exec, and reads are bounded by poll.
 */
int	 client_connect(int port);
int	 client_connect_unix(const char *path);
int	 client_open(const struct server *s);	/* TCP or unix, as s says */
int	 client_local_port(int fd);	/* the port of this end of fd */
void	 client_ping(const struct server *s);	/* PING on a new connection */
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
 * INI text (as printed by -t): value of [section] key, the first one when
 * repeated; false if absent. ini_count counts the occurrences.
 */
bool	 ini_lookup(const char *text, const char *section, const char *key,
	    char *val, size_t len);
int	 ini_count(const char *text, const char *section, const char *key);

#endif
