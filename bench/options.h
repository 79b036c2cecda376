/*
 * options: forkline-bench's command line, parsed into a struct.
 *
 * Parsing never prints and never exits: every problem comes back as -1
 * with one line in the caller's buffer that names the option and says
 * what is accepted, so the unit tests can check each message and main()
 * decides how to show it (exit status 64).
 *
 * Value forms:
 *   durations  "500ms", "10s", "2m", "1h", "250us", "1.5s"; a plain
 *              number is seconds
 *   sizes      "4096", "16k", "1m" (k and m are 1024 and 1024*1024)
 *   text       bytes with the escapes \n \r \t \\ \0 \xHH
 *   target     HOST:PORT with a numeric IPv4 host (or "localhost"),
 *              [IPV6]:PORT, or unix:/PATH
 */
#ifndef FORKLINE_BENCH_OPTIONS_H
#define FORKLINE_BENCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/faults.h"
#include "common/net.h"

#define BENCH_TEXT_MAX		4096	/* request and expected reply bytes */
#define BENCH_CONNS_MAX		1000000
#define BENCH_PIPELINE_MAX	1024
#define BENCH_INFLIGHT_MAX	1024	/* requests per connection, --rate */
#define BENCH_RATE_MAX		100000000.0
#define BENCH_BLOCK_MAX		(1024 * 1024)
#define BENCH_INFLIGHT_BYTES_MAX (64 * 1024 * 1024)
#define BENCH_DURATION_MAX_NS	(7 * 24 * 3600 * (uint64_t)1000000000)
#define BENCH_DEFAULT_TARGET	"127.0.0.1:7007"

enum bench_mode {
	BENCH_RR,	/* request, reply, next request */
	BENCH_STREAM,	/* bulk bytes through an echo server */
	BENCH_CONNECT,	/* connect, one request, reply, close */
};

enum bench_action {
	BENCH_RUN,
	BENCH_HELP,
	BENCH_VERSION,
};

struct bench_options {
	enum bench_action action;
	enum bench_mode	 mode;
	struct net_addr	 target;
	unsigned	 conns;
	uint64_t	 duration_ns;
	uint64_t	 warmup_ns;
	uint64_t	 timeout_ns;
	char		 request[BENCH_TEXT_MAX];
	size_t		 request_len;
	char		 expect[BENCH_TEXT_MAX];
	size_t		 expect_len;	/* 0: any line is a reply */
	unsigned	 pipeline;
	double		 rate;		/* requests/s in all; 0: closed loop */
	size_t		 block;
	size_t		 inflight;
	bool		 json;
	bool		 quiet;
	struct bench_faults faults;	/* --expect-faults; .any if given */
};

/*
 * Parse argv into o, defaults first. Returns 0, or -1 with the reason in
 * err. Uses getopt_long (resets it first, so it may be called again).
 */
int	 bench_options_parse(int argc, char *const argv[],
	    struct bench_options *o, char *err, size_t errlen);
/* The defaults alone. */
void	 bench_options_default(struct bench_options *o);
/* The help text (the usage lines and every option). */
const char *bench_options_help(void);
const char *bench_mode_name(enum bench_mode mode);

/*
 * The value parsers, each 0 or -1 with the reason in err; what names the
 * option for messages ("--duration").
 */
int	 bench_parse_duration(const char *text, const char *what,
	    uint64_t *ns, char *err, size_t errlen);
int	 bench_parse_size(const char *text, const char *what, size_t *out,
	    char *err, size_t errlen);
/* Decimal unsigned integer in [min, max]. */
int	 bench_parse_uint(const char *text, const char *what, unsigned min,
	    unsigned max, unsigned *out, char *err, size_t errlen);
/* Unescape text into out (at most cap bytes); its length in *len. */
int	 bench_unescape(const char *text, const char *what, char *out,
	    size_t cap, size_t *len, char *err, size_t errlen);
int	 bench_parse_target(const char *text, struct net_addr *out,
	    char *err, size_t errlen);

#endif
