/*
 * Unit tests for common/handoff.c: handoff_decode on every way a header
 * can be wrong (and right), then handoff_send and handoff_recv over a
 * real AF_UNIX SOCK_SEQPACKET socketpair, carrying real fds.
 *
 * The fd a message carries is one end of a pipe: what is written through
 * the received fd comes out of the other end, and when every copy of the
 * write end is closed (the sender's, the receiver's, one in a dropped
 * message) the read end sees end of file. That, and counting
 * /proc/self/fd, shows that a dropped message leaks no fd.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/handoff.h"

/* Room for any message, and for one longer than any handoff. */
#define BUF_MAX		(HANDOFF_MSG_MAX + 64)

static unsigned char	 msgbuf[BUF_MAX];
static unsigned char	 partial[HANDOFF_PARTIAL_MAX];

static void	 good_header(struct handoff *h);
static int64_t	 monotonic_us(void);
static void	 seqpair(int sv[2]);
static void	 nonblocking_pipe(int p[2]);
static int	 count_fds(void);
static ssize_t	 send_raw(int sock, const void *buf, size_t len,
		    const int *fds, size_t nfds);
static void	 expect_eof(int fd);
static Suite	*handoff_suite(void);

/* A header that decodes: every field set, none at a limit. */
static void
good_header(struct handoff *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = HANDOFF_MAGIC;
	h->reason = HANDOFF_WAKE;
	h->flags = HANDOFF_CRLF;
	h->hops = 3;
	h->partial_len = 0;
	h->generation = 7;
	h->started_sec = 1700000000;
	h->started_nsec = 123456789;
	h->started_ms = 5000;
	h->idle_deadline_ms = 65000;
	h->requests = 12;
	h->bytes_in = 345;
	h->bytes_out = 6789;
	strcpy(h->peer, "192.0.2.1:4242");
}

static int64_t
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
seqpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
}

/* The read end does not block: a copy of the write end left open shows
 * as EAGAIN, not as a test that hangs. */
static void
nonblocking_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* One message of len bytes carrying nfds fds (0 to 8), as a sender that
 * does not use handoff_send could. */
static ssize_t
send_raw(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr	 align;
		char		 buf[CMSG_SPACE(8 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	ck_assert_uint_le(nfds, 8);
	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Every copy of the pipe's write end is closed. */
static void
expect_eof(int fd)
{
	char c;
	ssize_t n = read(fd, &c, 1);

	ck_assert_msg(n == 0, "read end: %zd (%s): a write end is still open",
	    n, n == -1 ? strerror(errno) : "data");
}

/*
 * handoff_decode. Each case starts from good_header followed by `extra`
 * bytes and changes one thing; why is the reason expected, NULL when the
 * message is good.
 */
enum change {
	NOTHING, LEN, MAGIC, REASON, FLAGS, PARTIAL_LEN, PEER_FULL, PEER_LAST,
	NSEC,
};

static const struct {
	const char	*name;
	enum change	 change;
	int64_t		 value;		/* what the changed field is set to */
	size_t		 extra;		/* bytes after the header */
	const char	*why;
} decodes[] = {
	{ "empty", LEN, 0, 0, "shorter than a header" },
	{ "one byte", LEN, 1, 0, "shorter than a header" },
	{ "a byte short", LEN, sizeof(struct handoff) - 1, 0,
	    "shorter than a header" },
	{ "magic 0", MAGIC, 0, 0, "not a handoff message" },
	{ "magic swapped", MAGIC, 0x31504c46, 0, "not a handoff message" },
	{ "magic off by one", MAGIC, HANDOFF_MAGIC + 1, 0,
	    "not a handoff message" },
	{ "reason NREASONS", REASON, HANDOFF_NREASONS, 0, "unknown reason" },
	{ "reason 255", REASON, 255, 0, "unknown reason" },
	{ "flag 0x4", FLAGS, 0x4, 0, "unknown flags" },
	{ "flag 0x80 and CRLF", FLAGS, 0x80 | HANDOFF_CRLF, 0,
	    "unknown flags" },
	{ "partial one over the max", PARTIAL_LEN, HANDOFF_PARTIAL_MAX + 1,
	    HANDOFF_PARTIAL_MAX + 1,
	    "partial request length does not match the message" },
	{ "partial UINT32_MAX", PARTIAL_LEN, UINT32_MAX, 0,
	    "partial request length does not match the message" },
	{ "partial UINT32_MAX, bytes follow", PARTIAL_LEN, UINT32_MAX, 5,
	    "partial request length does not match the message" },
	{ "partial 10, 5 bytes", PARTIAL_LEN, 10, 5,
	    "partial request length does not match the message" },
	{ "partial 5, 10 bytes", PARTIAL_LEN, 5, 10,
	    "partial request length does not match the message" },
	{ "partial 0, 3 bytes", PARTIAL_LEN, 0, 3,
	    "partial request length does not match the message" },
	{ "partial 5, none", PARTIAL_LEN, 5, 0,
	    "partial request length does not match the message" },
	{ "peer not terminated", PEER_FULL, 'x', 0,
	    "peer text not terminated" },
	{ "nsec -1", NSEC, -1, 0, "start time out of range" },
	{ "nsec 1e9", NSEC, 1000000000, 0, "start time out of range" },
	{ "nsec INT64_MIN", NSEC, INT64_MIN, 0, "start time out of range" },
	{ "good", NOTHING, 0, 0, NULL },
	{ "good, reason idle", REASON, HANDOFF_IDLE, 0, NULL },
	{ "good, reason drain", REASON, HANDOFF_DRAIN, 0, NULL },
	{ "good, no flags", FLAGS, 0, 0, NULL },
	{ "good, CRLF and ECHO", FLAGS, HANDOFF_CRLF | HANDOFF_ECHO, 0, NULL },
	{ "good, nsec 0", NSEC, 0, 0, NULL },
	{ "good, nsec 999999999", NSEC, 999999999, 0, NULL },
	{ "good, peer ends at its last byte", PEER_LAST, 'x', 0, NULL },
	{ "good, 1 partial byte", PARTIAL_LEN, 1, 1, NULL },
	{ "good, 9 partial bytes", PARTIAL_LEN, 9, 9, NULL },
	{ "good, partial max", PARTIAL_LEN, HANDOFF_PARTIAL_MAX,
	    HANDOFF_PARTIAL_MAX, NULL },
};

START_TEST(test_decode)
{
	struct handoff h, out;
	const char *why = NULL;
	size_t len, i;
	int rc;

	good_header(&h);
	len = sizeof(h) + decodes[_i].extra;
	switch (decodes[_i].change) {
	case NOTHING:
		break;
	case LEN:
		len = (size_t)decodes[_i].value;
		break;
	case MAGIC:
		h.magic = (uint32_t)decodes[_i].value;
		break;
	case REASON:
		h.reason = (uint8_t)decodes[_i].value;
		break;
	case FLAGS:
		h.flags = (uint8_t)decodes[_i].value;
		break;
	case PARTIAL_LEN:
		h.partial_len = (uint32_t)decodes[_i].value;
		break;
	case PEER_FULL:
		memset(h.peer, (int)decodes[_i].value, sizeof(h.peer));
		break;
	case PEER_LAST:
		memset(h.peer, (int)decodes[_i].value, sizeof(h.peer) - 1);
		h.peer[sizeof(h.peer) - 1] = '\0';
		break;
	case NSEC:
		h.started_nsec = decodes[_i].value;
		break;
	}
	ck_assert_uint_le(sizeof(h) + decodes[_i].extra, sizeof(msgbuf));
	memcpy(msgbuf, &h, sizeof(h));
	for (i = 0; i < decodes[_i].extra; i++)
		msgbuf[sizeof(h) + i] = (unsigned char)(i * 7 + 1);

	rc = handoff_decode(msgbuf, len, &out, &why);
	if (decodes[_i].why != NULL) {
		ck_assert_msg(rc == -1, "%s: accepted", decodes[_i].name);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strcmp(why, decodes[_i].why) == 0,
		    "%s: '%s', not '%s'", decodes[_i].name, why,
		    decodes[_i].why);
	} else {
		ck_assert_msg(rc == 0, "%s: refused: %s", decodes[_i].name,
		    why);
		ck_assert_msg(memcmp(&out, &h, sizeof(h)) == 0,
		    "%s: header not copied as it was", decodes[_i].name);
		ck_assert_uint_eq(len, sizeof(out) + out.partial_len);
	}
}
END_TEST

START_TEST(test_reason_name)
{
	ck_assert_str_eq(handoff_reason_name(HANDOFF_IDLE), "idle");
	ck_assert_str_eq(handoff_reason_name(HANDOFF_DRAIN), "drain");
	ck_assert_str_eq(handoff_reason_name(HANDOFF_WAKE), "wake");
	ck_assert_str_eq(handoff_reason_name(HANDOFF_NREASONS), "invalid");
	ck_assert_str_eq(handoff_reason_name(~0u), "invalid");
}
END_TEST

/*
 * A round trip of a pipe's write end with a partial request of
 * round_trips[_i] bytes: the fd works, the header and the bytes arrive as
 * sent, sent_us is stamped, and once both copies are closed nothing holds
 * the pipe open.
 */
static const size_t round_trips[] = { 0, 1, 8, HANDOFF_PARTIAL_MAX };

START_TEST(test_round_trip)
{
	static unsigned char sent[HANDOFF_PARTIAL_MAX];
	struct handoff h, got;
	const char *why = NULL;
	int sv[2], p[2], fd = -1, flags;
	int64_t before, after;
	size_t i, plen = round_trips[_i];
	char text[6];

	seqpair(sv);
	nonblocking_pipe(p);
	good_header(&h);
	h.partial_len = (uint32_t)plen;
	h.magic = 0;		/* handoff_send sets it */
	h.sent_us = -1;
	for (i = 0; i < plen; i++)
		sent[i] = (unsigned char)(i * 31 + 5);
	before = monotonic_us();
	ck_assert_int_eq(handoff_send(sv[0], p[1], &h, sent), 0);
	after = monotonic_us();
	ck_assert_uint_eq(h.magic, HANDOFF_MAGIC);
	ck_assert_int_ge(h.sent_us, before);
	ck_assert_int_le(h.sent_us, after);
	/* 0: the caller closes its copy. */
	ck_assert_int_eq(close(p[1]), 0);

	memset(partial, 0xee, sizeof(partial));
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), 1);
	ck_assert_int_ge(fd, 0);
	flags = fcntl(fd, F_GETFD);
	ck_assert_int_ne(flags, -1);
	ck_assert_msg(flags & FD_CLOEXEC, "received fd not close-on-exec");

	ck_assert_uint_eq(got.magic, HANDOFF_MAGIC);
	ck_assert_uint_eq(got.reason, HANDOFF_WAKE);
	ck_assert_uint_eq(got.flags, HANDOFF_CRLF);
	ck_assert_uint_eq(got.hops, 3);
	ck_assert_uint_eq(got.partial_len, plen);
	ck_assert_uint_eq(got.generation, 7);
	ck_assert_int_eq(got.started_sec, 1700000000);
	ck_assert_int_eq(got.started_nsec, 123456789);
	ck_assert_int_eq(got.started_ms, 5000);
	ck_assert_int_eq(got.idle_deadline_ms, 65000);
	ck_assert_int_eq(got.sent_us, h.sent_us);
	ck_assert_uint_eq(got.requests, 12);
	ck_assert_uint_eq(got.bytes_in, 345);
	ck_assert_uint_eq(got.bytes_out, 6789);
	ck_assert_str_eq(got.peer, "192.0.2.1:4242");
	ck_assert_msg(memcmp(partial, sent, plen) == 0,
	    "partial bytes changed");
	if (plen < sizeof(partial))
		ck_assert_uint_eq(partial[plen], 0xee);

	/* The received fd is the pipe's write end. */
	ck_assert_int_eq(write(fd, "hello", 5), 5);
	ck_assert_int_eq(read(p[0], text, sizeof(text)), 5);
	ck_assert_int_eq(memcmp(text, "hello", 5), 0);
	close(fd);
	expect_eof(p[0]);

	/* One message, one receive. */
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), 0);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* More than a message can carry: refused before sending, fd kept. */
START_TEST(test_send_too_long)
{
	struct handoff h;
	const char *why = NULL;
	int sv[2], p[2], fd;

	seqpair(sv);
	nonblocking_pipe(p);
	good_header(&h);
	h.partial_len = HANDOFF_PARTIAL_MAX + 1;
	errno = 0;
	ck_assert_int_eq(handoff_send(sv[0], p[1], &h, partial), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_ne(fcntl(p[1], F_GETFD), -1);
	ck_assert_int_eq(handoff_recv(sv[1], &h, partial, &fd, &why), 0);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_recv_empty)
{
	struct handoff h;
	const char *why = NULL;
	int sv[2], fd = -1, n;

	seqpair(sv);
	n = count_fds();
	ck_assert_int_eq(handoff_recv(sv[1], &h, partial, &fd, &why), 0);
	ck_assert_int_eq(handoff_recv(sv[1], &h, partial, &fd, &why), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(count_fds(), n);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A good header without a socket. */
START_TEST(test_recv_no_fd)
{
	struct handoff h, got;
	const char *why = NULL;
	int sv[2], fd = -1;

	seqpair(sv);
	good_header(&h);
	ck_assert_int_eq(send_raw(sv[0], &h, sizeof(h), NULL, 0),
	    (ssize_t)sizeof(h));
	errno = 0;
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, "not exactly one socket");
	ck_assert_int_eq(fd, -1);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/*
 * A good header with nfds[_i] sockets: dropped, and every fd that came
 * with it closed (more than handoff_recv has room for: truncated, and the
 * kernel closes what did not fit).
 */
static const size_t many_fds[] = { 2, 3, 4, 6, 8 };

START_TEST(test_recv_many_fds)
{
	struct handoff h, got;
	const char *why = NULL;
	int sv[2], p[2], fds[8], fd = -1, before;
	size_t i, n = many_fds[_i];

	seqpair(sv);
	nonblocking_pipe(p);
	fds[0] = p[1];
	for (i = 1; i < n; i++)
		ck_assert_int_ge(fds[i] = dup(p[1]), 0);
	good_header(&h);
	ck_assert_int_eq(send_raw(sv[0], &h, sizeof(h), fds, n),
	    (ssize_t)sizeof(h));
	for (i = 0; i < n; i++)
		close(fds[i]);

	before = count_fds();
	errno = 0;
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_ptr_nonnull(why);
	if (n <= 4)
		ck_assert_str_eq(why, "not exactly one socket");
	else
		ck_assert_str_eq(why, "truncated");
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(count_fds(), before);
	/* The numbers the sender had are the lowest free ones again: the
	 * received fds took them, then were closed. */
	for (i = 0; i < n; i++)
		ck_assert_msg(fcntl(fds[i], F_GETFD) == -1 && errno == EBADF,
		    "fd %d still open", fds[i]);
	expect_eof(p[0]);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A socket with a header that does not decode, or a message too long:
 * dropped, and the socket closed. */
enum bad_kind { BAD_MAGIC, BAD_PARTIAL, BAD_SHORT, BAD_TOO_LONG };

static const struct {
	enum bad_kind	 kind;
	const char	*why;
} bad_headers[] = {
	{ BAD_MAGIC, "not a handoff message" },
	{ BAD_PARTIAL, "partial request length does not match the message" },
	{ BAD_SHORT, "shorter than a header" },
	{ BAD_TOO_LONG, "truncated" },
};

START_TEST(test_recv_bad_header)
{
	struct handoff h, got;
	const char *why = NULL;
	int sv[2], p[2], fd = -1, before;
	size_t len;

	seqpair(sv);
	nonblocking_pipe(p);
	good_header(&h);
	len = sizeof(h);
	switch (bad_headers[_i].kind) {
	case BAD_MAGIC:
		h.magic = ~HANDOFF_MAGIC;
		break;
	case BAD_PARTIAL:
		h.partial_len = 4;
		len += 3;
		break;
	case BAD_SHORT:
		len = 10;
		break;
	case BAD_TOO_LONG:
		h.partial_len = HANDOFF_PARTIAL_MAX + 1;
		len = HANDOFF_MSG_MAX + 1;
		break;
	}
	memset(msgbuf, 'p', sizeof(msgbuf));
	memcpy(msgbuf, &h, len < sizeof(h) ? len : sizeof(h));
	ck_assert_int_eq(send_raw(sv[0], msgbuf, len, &p[1], 1),
	    (ssize_t)len);
	close(p[1]);

	before = count_fds();
	errno = 0;
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, bad_headers[_i].why);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(count_fds(), before);
	expect_eof(p[0]);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/*
 * The receiver's queue full: handoff_send says EAGAIN and the fd is still
 * the caller's; once the queue drains a send goes through again.
 */
START_TEST(test_send_full)
{
	struct handoff h, got;
	const char *why = NULL;
	int sv[2], p[2], fd = -1, n, queued = 0;
	char junk = 'j', c[6];

	seqpair(sv);
	nonblocking_pipe(p);
	for (;;) {
		n = (int)send(sv[0], &junk, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1)
			break;
		ck_assert_int_lt(++queued, 1000000);
	}
	ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK,
	    "filling the queue: %s", strerror(errno));
	ck_assert_int_gt(queued, 0);

	good_header(&h);
	errno = 0;
	ck_assert_int_eq(handoff_send(sv[0], p[1], &h, NULL), -1);
	ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "errno %s",
	    strerror(errno));
	ck_assert_int_ne(fcntl(p[1], F_GETFD), -1);
	ck_assert_int_eq(write(p[1], "still", 5), 5);
	ck_assert_int_eq(read(p[0], c, sizeof(c)), 5);

	while (recv(sv[1], c, sizeof(c), MSG_DONTWAIT) == 1)
		queued--;
	ck_assert_int_eq(queued, 0);
	ck_assert_int_eq(handoff_send(sv[0], p[1], &h, NULL), 0);
	close(p[1]);
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), 1);
	close(fd);
	expect_eof(p[0]);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/*
 * Every sender closed: what was queued still arrives, then each read is
 * of 0 bytes, which is EPIPE, not a malformed message.
 */
START_TEST(test_recv_peer_closed)
{
	struct handoff h, got;
	const char *why = NULL;
	int sv[2], p[2], fd = -1, before;

	seqpair(sv);
	nonblocking_pipe(p);
	good_header(&h);
	ck_assert_int_eq(handoff_send(sv[0], p[1], &h, NULL), 0);
	close(p[1]);
	close(sv[0]);

	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), 1);
	close(fd);
	expect_eof(p[0]);
	before = count_fds();
	errno = 0;
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), -1);
	ck_assert_int_eq(errno, EPIPE);
	/* And again: a closed channel stays closed. */
	errno = 0;
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(count_fds(), before);
	close(p[0]);
	close(sv[1]);
}
END_TEST

/* An empty message with a socket is malformed: dropped, socket closed. */
START_TEST(test_recv_empty_with_fd)
{
	struct handoff got;
	const char *why = NULL;
	int sv[2], p[2], fd = -1, before;

	seqpair(sv);
	nonblocking_pipe(p);
	ck_assert_int_eq(send_raw(sv[0], "", 0, &p[1], 1), 0);
	close(p[1]);
	before = count_fds();
	errno = 0;
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, "shorter than a header");
	ck_assert_int_eq(count_fds(), before);
	expect_eof(p[0]);
	/* The sender is still there: nothing more, not EPIPE. */
	ck_assert_int_eq(handoff_recv(sv[1], &got, partial, &fd, &why), 0);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static Suite *
handoff_suite(void)
{
	Suite *s = suite_create("handoff");
	TCase *tc;

	tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_decode, 0,
	    sizeof(decodes) / sizeof(decodes[0]));
	tcase_add_test(tc, test_reason_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("io");
	tcase_add_loop_test(tc, test_round_trip, 0,
	    sizeof(round_trips) / sizeof(round_trips[0]));
	tcase_add_test(tc, test_send_too_long);
	tcase_add_test(tc, test_recv_empty);
	tcase_add_test(tc, test_recv_no_fd);
	tcase_add_loop_test(tc, test_recv_many_fds, 0,
	    sizeof(many_fds) / sizeof(many_fds[0]));
	tcase_add_loop_test(tc, test_recv_bad_header, 0,
	    sizeof(bad_headers) / sizeof(bad_headers[0]));
	tcase_add_test(tc, test_send_full);
	tcase_add_test(tc, test_recv_peer_closed);
	tcase_add_test(tc, test_recv_empty_with_fd);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(handoff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
