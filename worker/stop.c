/*
 * stop: see stop.h.
 */
#include <signal.h>

#include "worker/stop.h"

volatile sig_atomic_t	 stop_flag;
static int		 lifeline = -1;

void
stop_init(int fd)
{
	lifeline = fd;
}

void
stop_request(void)
{
	stop_flag = 1;
}

void
stop_on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int
stop_lifeline(void)
{
	return lifeline;
}

bool
stop_final(void)
{
	struct pollfd pfd = { .fd = lifeline, .events = POLLIN };

	return lifeline == -1 || poll(&pfd, 1, 0) != 0;
}

void
stop_check_lifeline(const struct pollfd *pfd)
{
	if (pfd->fd == lifeline && pfd->fd != -1 && pfd->revents != 0)
		stop_flag = 1;
}
