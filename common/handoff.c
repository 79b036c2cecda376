/*
 * handoff: see handoff.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/handoff.h"

static int64_t	 monotonic_us(void);
static void	 close_passed_fds(struct msghdr *);

static int64_t
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
handoff_decode(const void *msg, size_t len, struct handoff *out,
    const char **why)
{
	if (len < sizeof(*out)) {
		*why = "shorter than a header";
		return -1;
	}
	memcpy(out, msg, sizeof(*out));
	if (out->magic != HANDOFF_MAGIC) {
		*why = "not a handoff message";
		return -1;
	}
	if (out->reason >= HANDOFF_NREASONS) {
		*why = "unknown reason";
		return -1;
	}
	if ((out->flags & ~(HANDOFF_CRLF | HANDOFF_ECHO)) != 0) {
		*why = "unknown flags";
		return -1;
	}
	if (out->partial_len > HANDOFF_PARTIAL_MAX ||
	    len - sizeof(*out) != out->partial_len) {
		*why = "partial request length does not match the message";
		return -1;
	}
	if (memchr(out->peer, '\0', sizeof(out->peer)) == NULL) {
		*why = "peer text not terminated";
		return -1;
	}
	if (out->started_nsec < 0 || out->started_nsec >= 1000000000) {
		*why = "start time out of range";
		return -1;
	}
	return 0;
}

int
handoff_send(int sock, int fd, struct handoff *h, const void *partial)
{
	union {
		struct cmsghdr	 align;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *cm;

	if (h->partial_len > HANDOFF_PARTIAL_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	h->magic = HANDOFF_MAGIC;
	h->sent_us = monotonic_us();
	iov[0] = (struct iovec){ .iov_base = h, .iov_len = sizeof(*h) };
	iov[1] = (struct iovec){ .iov_base = (void *)partial,
	    .iov_len = h->partial_len };
	memset(&ctl, 0, sizeof(ctl));
	mh = (struct msghdr){ .msg_iov = iov,
	    .msg_iovlen = h->partial_len > 0 ? 2 : 1,
	    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	for (;;) {
		if (sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* A message we drop: whatever sockets it carried are closed here. */
static void
close_passed_fds(struct msghdr *mh)
{
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			close(fd);
		}
	}
}

int
handoff_recv(int sock, struct handoff *h, void *partial, int *fd,
    const char **why)
{
	/* Room for more than one fd, so that a sender's extra ones are seen
	 * (and closed) rather than silently truncated. */
	union {
		struct cmsghdr	 align;
		char		 buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	unsigned char msg[HANDOFF_MSG_MAX];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	*why = NULL;
	cm = CMSG_FIRSTHDR(&mh);
	/* Nothing at all: every sender has closed its end (an empty
	 * message, which handoff_send never sends, reads the same). One
	 * with a socket is a malformed message and is dropped below. */
	if (n == 0 && cm == NULL && !(mh.msg_flags & MSG_CTRUNC)) {
		errno = EPIPE;
		return -1;
	}
	if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
		*why = "truncated";
	else if (cm == NULL || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)) ||
	    CMSG_NXTHDR(&mh, cm) != NULL)
		*why = "not exactly one socket";
	else if (handoff_decode(msg, (size_t)n, h, why) == 0) {
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
		memcpy(partial, msg + sizeof(*h), h->partial_len);
		return 1;
	}
	close_passed_fds(&mh);
	errno = EBADMSG;
	return -1;
}

const char *
handoff_reason_name(unsigned reason)
{
	static const char *const names[HANDOFF_NREASONS] = {
		[HANDOFF_IDLE] = "idle",
		[HANDOFF_DRAIN] = "drain",
		[HANDOFF_WAKE] = "wake",
	};

	return reason < HANDOFF_NREASONS ? names[reason] : "invalid";
}
