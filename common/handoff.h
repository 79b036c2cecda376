/*
 * handoff: one client connection passed between processes, as a unix
 * SOCK_SEQPACKET message that carries the socket (SCM_RIGHTS) and what
 * the connection has been so far: its totals, line ending, peer, start
 * time, idle deadline, and any bytes of a partial request already read.
 *
 * Two channels, each one socketpair made by the master before any fork:
 *
 *   intake    workers send, the lobby receives: a connection to park;
 *   dispatch  the lobby (and a draining worker) sends, idle workers
 *             receive: a connection to serve.
 *
 * Every receiver shares one end, so each message goes to exactly one
 * process, like a connection in an accept queue; with EPOLLEXCLUSIVE one
 * message wakes one worker. A socket in a message in flight is held by
 * the kernel; once received it is the receiver's, and the sender closed
 * its own copy as soon as sendmsg succeeded. No socket is ever owned by
 * two processes or by none.
 *
 * Both sides are built from the same source, so the header's layout is
 * native; the magic and the checks in handoff_decode guard against
 * anything else.
 */
#ifndef FORKLINE_HANDOFF_H
#define FORKLINE_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/net.h"

#define HANDOFF_MAGIC		0x464c5031u	/* "FLP1" */

/* Bytes of a partial request a message carries; a connection holding
 * more keeps its worker. */
#define HANDOFF_PARTIAL_MAX	(16 * 1024)

/* Why a connection moves. */
enum handoff_reason {
	HANDOFF_IDLE,		/* no request for park_after: to the lobby */
	HANDOFF_DRAIN,		/* its worker drains: to the lobby or a worker */
	HANDOFF_WAKE,		/* parked, now readable: lobby to a worker */
	HANDOFF_NREASONS,
};

/* Flags. */
#define HANDOFF_CRLF	0x1u	/* the last request ended in "\r\n" */
#define HANDOFF_ECHO	0x2u	/* served with the echo protocol */

struct handoff {
	uint32_t	 magic;		/* HANDOFF_MAGIC */
	uint8_t		 reason;	/* enum handoff_reason */
	uint8_t		 flags;
	uint16_t	 hops;		/* handoffs so far, this one included */
	uint32_t	 partial_len;	/* bytes after the header */
	uint32_t	 generation;	/* of the worker that sent it */
	int64_t		 started_sec;	/* realtime of accept */
	int64_t		 started_nsec;
	int64_t		 started_ms;	/* monotonic clock, for the duration */
	int64_t		 idle_deadline_ms; /* monotonic: BYE idle timeout */
	int64_t		 sent_us;	/* monotonic: when it was sent */
	uint64_t	 requests;	/* the connection's totals so far */
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	char		 peer[NET_ADDR_TEXT_MAX];	/* NUL-terminated */
};

/* One whole message: the header, then partial_len bytes. */
#define HANDOFF_MSG_MAX	(sizeof(struct handoff) + HANDOFF_PARTIAL_MAX)

/*
 * Check a received message of len bytes and copy its header to *out:
 * 0, or -1 with a reason in *why (a static string) when it is too short,
 * too long, of another kind, or inconsistent (partial length, peer text,
 * unknown reason or flags). Pure: the fuzz harness drives it.
 */
int	 handoff_decode(const void *msg, size_t len, struct handoff *out,
	    const char **why);

/*
 * Send fd with h and partial (h->partial_len bytes) on sock, without
 * blocking. Stamps h->sent_us. 0: the message is on its way and the
 * caller must close its copy of fd; -1 with errno set (EAGAIN: the
 * channel is full; ETOOMANYREFS, EMSGSIZE, EPIPE ...): nothing was sent,
 * fd is still the caller's.
 */
int	 handoff_send(int sock, int fd, struct handoff *h, const void *partial);

/*
 * Receive one message from sock without blocking. 1: *fd is a new socket
 * (close-on-exec) that is now the caller's, *h its header and partial
 * (room for HANDOFF_PARTIAL_MAX) its partial request; 0: nothing there
 * (another process took it); -1: a message was dropped or receiving
 * failed, with errno set (EBADMSG: malformed or truncated, and any
 * socket it carried was closed; EPIPE: a read of 0 bytes, which on a
 * SOCK_SEQPACKET socket means every sender has closed the other end and
 * each later read gives the same, or someone sent an empty message,
 * which handoff_send never does) and *why when it is EBADMSG.
 */
int	 handoff_recv(int sock, struct handoff *h, void *partial, int *fd,
	    const char **why);

const char *handoff_reason_name(unsigned reason);

#endif
