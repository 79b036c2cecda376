/*
 * stop: whether this worker has been told to stop, and the lifeline that
 * tells it. A leaf: it calls nothing else in worker/, so the accept loop,
 * the connection code and the protocols can all ask it.
 *
 * A stop is SIGTERM from the master, or EOF on the lifeline (the master
 * closed it, or died). Serving code checks stop_requested() between
 * requests, so the request in hand is always finished. SIGTERM only sets
 * the flag; it interrupts a blocking read of the client (EINTR), and a
 * signal that lands just before such a read blocks is seen when the
 * read's SO_RCVTIMEO slice ends.
 */
#ifndef FORKLINE_STOP_H
#define FORKLINE_STOP_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>

/* Remember the lifeline's read end; before the first wait on it. */
void	 stop_init(int lifeline);

/* Written only by stop.c; read through stop_requested. */
extern volatile sig_atomic_t stop_flag;

/* Inline: it is asked before every read of a client. */
static inline bool
stop_requested(void)
{
	return stop_flag != 0;
}

/* A stop seen by the worker itself (the master gone, the lifeline at EOF). */
void	 stop_request(void);

/* The SIGTERM handler: async-signal-safe, it only sets the flag. */
void	 stop_on_signal(int sig);

/*
 * The lifeline's read end, to wait on for POLLIN. At EOF it stays
 * readable: a wait that goes on after a stop must stop watching it.
 */
int	 stop_lifeline(void);

/*
 * After a stop: true when it is the master's own (the lifeline at EOF:
 * the master stops, or died), false when only this worker drains (a
 * reload, recycling, a smaller pool). A drain hands connections over; a
 * stop says goodbye. The master closes the lifeline before it signals.
 */
bool	 stop_final(void);

/* After a wait that watched pfd: the lifeline readable (EOF) is a stop. */
void	 stop_check_lifeline(const struct pollfd *pfd);

#endif
