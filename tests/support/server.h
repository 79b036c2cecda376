/*
 * server: start the real forkline binary, wait until it serves, signal it,
 * stop it; run it to completion with its output captured.
 *
 * The binary is $FORKLINE_BIN (make integration sets it). A server is
 * started on a listener bound here, in the test process, on 127.0.0.1 port
 * 0 and handed over as fd 3 with LISTEN_FDS=1 (systemd socket activation),
 * so the port is known before the server runs and nothing races for it.
 * Readiness is a PING answered on a connection of its own.
 *
 * Leaks: Check runs each test in a forked child in its own process group and
 * ends it with _exit(1) on a failed assertion (atexit handlers do not run),
 * then kills that group. Servers are in the group, and also carry
 * PR_SET_PDEATHSIG=SIGKILL, so a failed or timed-out test never leaves a
 * master behind; an atexit() handler stops servers a passing test forgot.
 * (Masters that leave the group, daemons and upgrades, see detached.h.)
 */
#ifndef FORKLINE_TEST_SERVER_H
#define FORKLINE_TEST_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "tests/support/base.h"

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
 * The same, but ready means the master's "ready: N workers serving" line
 * in the log, not a PING answered: no request of the harness reaches a
 * worker. For a server whose replies are faulted on purpose ([faults]),
 * or whose workers' first connection must be the test's own.
 */
void	 server_start_quiet(struct server *s, const char *const args[]);
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
/* SIGTERM, and assert the master exits 0 ("SIGTERM at the end of the
 * test"). */
void	 server_stop_expect_zero(struct server *s);
/* Fail with the printf-style message, quoting the end of the server's
 * log. */
void	 server_fail(const struct server *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

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

/*
 * Listeners and ports on 127.0.0.1.
 *
 * harness_listen_tcp: a listening TCP socket on port 0 (SO_REUSEADDR,
 * backlog 1024, close-on-exec); its port in *port.
 */
int	 harness_listen_tcp(int *port);
/* A port nobody listens on right now (bound, then closed). */
int	 harness_free_port(void);
/*
 * Can a listener be bound on port now (SO_REUSEADDR, as a server would)?
 * False while any process still listens there.
 */
bool	 harness_port_bindable(int port);

#endif
