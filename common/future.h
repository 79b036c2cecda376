/*
 * future: a forked child, the read end of its pipe, a decoder for what it
 * writes, and in the end its wait status. After libprocreact, for children
 * that live long (workers) as well as one-shot ones (a config check).
 *
 * Against libprocreact's weaknesses:
 * - the read step never blocks: the read end is O_NONBLOCK, EAGAIN means
 *   "nothing yet" and EINTR is retried; only a 0-byte read is EOF;
 * - the child is reaped by its own pid, never with waitpid(-1), so no other
 *   child of the caller is ever stolen;
 * - the result keeps the exit code, or the signal and the core-dump flag;
 * - records are handed over as they complete and not kept; strings and
 *   bytes are bounded by max_output (the excess is dropped and flagged);
 * - the pipe is close-on-exec, and the child closes every inherited fd
 *   except the write end and the ones the spec asks to keep.
 *
 * Completion (on_done) fires exactly once, after both EOF on the pipe and
 * the wait status are in, whatever order they arrive in.
 */
#ifndef FORKLINE_FUTURE_H
#define FORKLINE_FUTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum future_type {
	FUTURE_RECORDS,		/* fixed-size records, one callback each */
	FUTURE_STRING,		/* the whole output, NUL-terminated */
	FUTURE_BYTES,		/* the whole output, as bytes */
};

struct future_result {
	bool	 exited;	/* exited normally, with code */
	int	 code;
	bool	 signaled;	/* killed by signal */
	int	 signal;
	bool	 core_dumped;
};

struct future;
typedef void	(*future_child_fn)(int write_fd, void *arg);
typedef void	(*future_record_fn)(struct future *f, const void *record,
		    void *arg);
typedef void	(*future_done_fn)(struct future *f,
		    const struct future_result *result, void *arg);

struct future_spec {
	enum future_type	 type;
	size_t			 record_size;	/* RECORDS: 1..PIPE_BUF */
	size_t			 max_output;	/* STRING, BYTES */
	const int		*keep_fds;	/* the child keeps these open */
	int			 nkeep;
	future_record_fn	 on_record;	/* RECORDS */
	future_done_fn		 on_done;	/* may be NULL for future_get */
	void			*arg;
};

struct future {
	struct future_spec	 spec;
	pid_t			 pid;
	int			 fd;		/* read end; -1 once closed */
	unsigned char		*buf;		/* partial record, or output */
	size_t			 len;
	size_t			 cap;
	bool			 truncated;	/* output beyond max_output */
	bool			 eof;
	bool			 reaped;
	bool			 done;
	struct future_result	 result;
	int64_t			 kill_at_ms;	/* cancel: SIGKILL deadline */
};

enum future_io {
	FUTURE_AGAIN,		/* nothing more for now */
	FUTURE_EOF,		/* the write end is closed everywhere */
	FUTURE_ERROR,		/* read failed; errno is set */
};

/* An idle future, safe to future_free; future_spawn sets it up anew. */
void	 future_init(struct future *f);

/*
 * Fork a child that runs fn(write_fd, arg) and then _exit(0) (fn may also
 * exit by itself). Returns 0 in the parent, or -1 with errno set and
 * nothing left behind. The child's signal handlers and mask are reset.
 */
int	 future_spawn(struct future *f, const struct future_spec *spec,
	    future_child_fn fn, void *arg);

/* Read what is in the pipe now, without blocking; hand over records. */
enum future_io future_buffer(struct future *f);

/* Collect the wait status if the child has ended: 1 now, 0 not yet, -1 on
 * error (errno). */
int	 future_reap(struct future *f);

/*
 * The child is gone but something (a grandchild) still holds the write
 * end: stop waiting for EOF and complete with what was read.
 */
void	 future_abandon_output(struct future *f);

/*
 * On SIGCHLD: future_reap, and once the child is gone read its pipe out;
 * if the pipe is not at EOF then (a grandchild holds the write end), stop
 * waiting for it, so the future completes. Returns future_reap's value.
 */
int	 future_collect(struct future *f);

/* SIGTERM now; future_cancel_tick sends SIGKILL once grace_ms is over. */
void	 future_cancel(struct future *f, int64_t grace_ms);
void	 future_cancel_tick(struct future *f);

/*
 * The blocking one-shot form: read to EOF and wait for the child, both
 * within timeout_ms; past it, cancel with a grace of grace_ms. Returns 0
 * with f->result set, or -1 (errno ETIMEDOUT when the child was killed).
 */
int	 future_get(struct future *f, int64_t timeout_ms, int64_t grace_ms);

/* STRING and BYTES: the output read so far (a STRING is NUL-terminated). */
const void *future_output(const struct future *f, size_t *len);

/* Close the read end and free buffers; the child must be reaped first. */
void	 future_free(struct future *f);

/* "exited with status 3", "killed by signal 6 (Aborted), core dumped" */
void	 future_describe(const struct future_result *r, char *buf,
	    size_t len);

#endif
