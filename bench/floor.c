/*
 * floor: the least a prefork line server can do, as the reference that
 * bench/run measures forkline against.
 *
 *   floor PORT NPROC line|echo
 *
 * Listens on 127.0.0.1:PORT (0: any free port), prints "port N" on standard
 * output once the listener is open, and forks NPROC processes that each loop
 * on a blocking accept() and serve the client to EOF:
 *   line  every complete line is answered with a line of the same length:
 *         "PING" becomes "PONG", any other line comes back as it was;
 *   echo  every byte comes back (RFC 862).
 * No parsing beyond finding newlines, no timeouts, no supervision, no
 * logging. Like forkline it sets TCP_NODELAY and answers all the lines of
 * one read with one write. SIGTERM or SIGINT to the parent stops them all.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUF_SIZE	(64 * 1024)
#define MAX_PROCS	4096

static int	 open_listener(int, int *);
static void	 serve_forever(int, int);
static void	 serve_lines(int, char *);
static void	 serve_echo(int, char *);
static int	 write_all(int, const char *, size_t);
static size_t	 answer_lines(char *, size_t);

int
main(int argc, char *argv[])
{
	static pid_t kids[MAX_PROCS];
	sigset_t stop;
	pid_t parent = getpid();
	int listener, port, nproc, echo, i, sig;

	if (argc != 4 || (strcmp(argv[3], "line") != 0 &&
	    strcmp(argv[3], "echo") != 0)) {
		fprintf(stderr, "usage: floor PORT NPROC line|echo\n");
		return 64;
	}
	port = atoi(argv[1]);
	nproc = atoi(argv[2]);
	echo = strcmp(argv[3], "echo") == 0;
	if (port < 0 || port > 65535 || nproc < 1 || nproc > MAX_PROCS) {
		fprintf(stderr, "floor: port 0..65535, NPROC 1..%d\n", MAX_PROCS);
		return 64;
	}
	if ((listener = open_listener(port, &port)) == -1)
		return 71;
	printf("port %d\n", port);
	fflush(stdout);

	/* Blocked before forking so a stop signal cannot slip in between. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	for (i = 0; i < nproc; i++) {
		if ((kids[i] = fork()) == -1) {
			perror("floor: fork");
			nproc = i;
			break;
		}
		if (kids[i] == 0) {
			sigprocmask(SIG_UNBLOCK, &stop, NULL);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(0);
			serve_forever(listener, echo);
		}
	}
	close(listener);
	sigwait(&stop, &sig);
	for (i = 0; i < nproc; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < nproc; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}

/* A TCP listener on 127.0.0.1:port; *bound gets the port really bound. */
static int
open_listener(int port, int *bound)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1024) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		fprintf(stderr, "floor: 127.0.0.1:%d: %s\n", port,
		    strerror(errno));
		return -1;
	}
	*bound = ntohs(sin.sin_port);
	return fd;
}

static void
serve_forever(int listener, int echo)
{
	static char buf[BUF_SIZE];
	int fd, on = 1;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if ((fd = accept(listener, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("floor: accept");
			_exit(71);
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (echo)
			serve_echo(fd, buf);
		else
			serve_lines(fd, buf);
		close(fd);
	}
}

/*
 * Reads into buf after what is kept of a partial line, answers the complete
 * lines in place (each reply has its request's length) with one write, and
 * keeps the partial rest. A line longer than the buffer ends the connection.
 */
static void
serve_lines(int fd, char *buf)
{
	size_t have = 0, done;
	ssize_t n;

	for (;;) {
		if (have == BUF_SIZE)
			return;
		n = read(fd, buf + have, BUF_SIZE - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		have += (size_t)n;
		done = answer_lines(buf, have);
		if (done > 0 && write_all(fd, buf, done) == -1)
			return;
		memmove(buf, buf + done, have - done);
		have -= done;
	}
}

/*
 * Turns every complete "PING\n" or "PING\r\n" in buf[0..len) into PONG and
 * returns the length of the complete lines (up to the last '\n').
 */
static size_t
answer_lines(char *buf, size_t len)
{
	char *line = buf, *nl, *end = buf + len;
	size_t done = 0;

	while ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
		if ((nl - line == 4 || (nl - line == 5 && nl[-1] == '\r')) &&
		    memcmp(line, "PING", 4) == 0)
			line[1] = 'O';
		line = nl + 1;
		done = (size_t)(line - buf);
	}
	return done;
}

static void
serve_echo(int fd, char *buf)
{
	ssize_t n;

	for (;;) {
		n = read(fd, buf, BUF_SIZE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(fd, buf, (size_t)n) == -1)
			return;
	}
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
