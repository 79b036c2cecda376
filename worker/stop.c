/*
 * stop: see stop.h.
 */
#include <signal.h>

#include "worker/stop.h"

static volatile sig_atomic_t	 stopping;
static int			 lifeline = -1;

void
stop_init(int fd)
{
	lifeline = fd;
}

bool
stop_requested(void)
{
	return stopping != 0;
}

void
stop_request(void)
{
	stopping = 1;
}

void
stop_on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int
stop_lifeline(void)
{
	return lifeline;
}

void
stop_check_lifeline(const struct pollfd *pfd)
{
	if (pfd->fd == lifeline && pfd->fd != -1 && pfd->revents != 0)
		stopping = 1;
}
