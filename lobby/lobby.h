/*
 * lobby: a child of the master that holds parked client connections
 * without reading them (docs/ARCHITECTURE.md, "The lobby").
 *
 * Workers send it connections that have had no request for park_after,
 * and connections of a draining worker, over the intake channel
 * (common/handoff.h). It waits on all of them at once with epoll. A
 * parked connection that becomes readable (a request, or the client
 * closing) goes to the dispatch channel, where exactly one idle worker
 * takes it; one whose idle deadline passes gets "BYE idle timeout" (line
 * protocol), its access log line, and is closed. On the lifeline's EOF
 * (the master stops) every parked line client gets "BYE shutting down";
 * on SIGUSR2 (a binary upgrade: a new master serves, with the same
 * channels) they go back into the intake, for the new master's lobby.
 *
 * Like worker/, it never includes server/ headers and never uses
 * libevent: what it needs arrives in a lobby_env. This header is all the
 * master sees of lobby/.
 */
#ifndef FORKLINE_LOBBY_H
#define FORKLINE_LOBBY_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "common/creds.h"
#include "common/idle.h"

struct lobby_env {
	int			 lifeline;	/* read end; EOF = stop */
	int			 report_fd;	/* its pipe to the master */
	int			 intake;	/* receives connections to park */
	int			 dispatch;	/* sends woken ones to workers */
	int			 forward;	/* the intake's sending end */
	int			 access_fd;	/* access log, or -1 */
	const char		*access_log;	/* its path, reopened on SIGUSR1 */
	const struct creds	*creds;		/* who to become */
	size_t			 parked_max;	/* 0: from RLIMIT_NOFILE */
	struct idle_board	*idle;		/* common/idle.h */
	int64_t			 heartbeat_ms;	/* report at least this often */
	pid_t			 master;
};

/* Hold connections until told to stop, then exit 0 (EX_OSERR if set-up
 * failed). */
noreturn void	 lobby_main(const struct lobby_env *env);

#endif
