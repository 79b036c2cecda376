/*
 * faults: forkline-bench --expect-faults. The faults a run expects the
 * server to inject (forkline's [faults], docs/FAULTS.md), and the
 * comparison of what the client saw with them.
 *
 * A SPEC is comma-separated KIND=PROBABILITY pairs, the kinds crash,
 * reset, stall, close and error, each at most once; a probability is
 * written as forkline's configuration writes one: a percentage ("5%",
 * "0.25%") or a fraction of one ("0.05", "1"), to a millionth.
 *
 * The server draws, for every request, crash, reset, stall, close and
 * error in that order, and injects the first that comes up; so the
 * expected rate of a kind is its probability times one minus the
 * probability of each kind drawn before it. The client sees a kind as:
 *
 *   reset  a connection reset          (error kind "reset")
 *   stall  no reply within --timeout   ("timeout")
 *   close  half a reply, then EOF      ("short")
 *   error  the reply "ERR injected fault" (a "wrong" reply, counted
 *          on its own as well)
 *   crash  the worker dies: a reset or an EOF ("reset" or "short")
 *
 * A crash cannot be told from a reset or a close, so when crash is given
 * with either, they are compared as one: their expected rates added up,
 * against resets plus short replies.
 *
 * The comparison is a 99.9 % Wilson score interval for the rate, from
 * the count seen and the requests attempted; a kind is ok when its
 * expected rate lies in it. Nothing here allocates or prints.
 */
#ifndef FORKLINE_BENCH_FAULTS_H
#define FORKLINE_BENCH_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_PPM_ONE		1000000	/* a probability of 1 */
/* z of a two-sided 99.9 % interval: the 0.9995 quantile of N(0, 1). */
#define BENCH_FAULT_Z		3.290526731491926
#define BENCH_FAULT_CONFIDENCE	"99.9%"
/* What forkline replies for an injected error, before the line ending. */
#define BENCH_FAULT_TEXT	"ERR injected fault"
#define BENCH_FAULT_TEXT_LEN	(sizeof(BENCH_FAULT_TEXT) - 1)
#define BENCH_FAULT_LABEL_MAX	24	/* "crash+reset+close" */

/* In the order the server draws them. */
enum bench_fault {
	BENCH_FAULT_CRASH,
	BENCH_FAULT_RESET,
	BENCH_FAULT_STALL,
	BENCH_FAULT_CLOSE,
	BENCH_FAULT_ERROR,
	BENCH_FAULT_KINDS,
};

struct bench_faults {
	bool		 any;			/* --expect-faults was given */
	bool		 given[BENCH_FAULT_KINDS];
	uint32_t	 ppm[BENCH_FAULT_KINDS];	/* 0 unless given */
};

/* What the client counted, for the comparison. */
struct bench_fault_seen {
	uint64_t	 attempted;	/* requests with an outcome */
	uint64_t	 resets;	/* error kind "reset" */
	uint64_t	 shorts;	/* "short" */
	uint64_t	 timeouts;	/* "timeout" */
	uint64_t	 injected;	/* replies "ERR injected fault" */
};

/* One line of the comparison. */
struct bench_fault_check {
	char		 label[BENCH_FAULT_LABEL_MAX];	/* "reset" */
	unsigned	 kinds;		/* 1 << enum bench_fault, each in it */
	double		 expected;	/* per request */
	uint64_t	 seen, of;
	double		 low, high;	/* the interval of the rate */
	bool		 ok;
};

const char *bench_fault_name(enum bench_fault kind);

/*
 * The probability text into millionths. Returns 0, or -1 with the reason
 * in err, naming what ("--expect-faults reset").
 */
int	 bench_parse_probability(const char *text, const char *what,
	    uint32_t *ppm, char *err, size_t errlen);
/*
 * A SPEC into f (cleared first; f->any set). Returns 0, or -1 with the
 * reason in err.
 */
int	 bench_parse_faults(const char *text, struct bench_faults *f,
	    char *err, size_t errlen);

/*
 * The share of requests the server gives kind: its probability times
 * (1 - p) for each kind drawn before it.
 */
double	 bench_fault_expected(const struct bench_faults *f,
	    enum bench_fault kind);

/*
 * The Wilson score interval, at z standard deviations, of a rate seen
 * seen times in n; n = 0 gives 0..1.
 */
void	 bench_wilson(uint64_t seen, uint64_t n, double z, double *low,
	    double *high);

/*
 * Compare what was seen with f: one check per kind given (crash with
 * reset or close as one), in the order of the draw, into out (room for
 * BENCH_FAULT_KINDS). Returns how many.
 */
size_t	 bench_faults_compare(const struct bench_faults *f,
	    const struct bench_fault_seen *seen,
	    struct bench_fault_check *out);

/* Write a message into err (for the option parsers); returns -1. */
int	 bench_fail(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
