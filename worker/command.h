/*
 * command: the line protocol's request parser. Pure: text in, a command out.
 *
 * Command names are case-insensitive and separated from their argument by
 * one space. ECHO's argument is the rest of the line, byte for byte.
 * Numbers are plain decimal digits, range-checked against the limits.
 */
#ifndef FORKLINE_COMMAND_H
#define FORKLINE_COMMAND_H

#include <stddef.h>
#include <stdint.h>

enum command_kind {
	CMD_PING,
	CMD_ECHO,
	CMD_TIME,
	CMD_INFO,
	CMD_SLEEP,
	CMD_BLOB,
	CMD_HELP,
	CMD_QUIT,
	CMD_FAULT,		/* arg: the rest of the line (docs/FAULTS.md) */
	CMD_INVALID,		/* error holds the reply text after "ERR " */
};

struct command_limits {
	uint64_t	 max_sleep_ms;
	uint64_t	 max_blob;
};

#define COMMAND_ERROR_MAX	128

struct command {
	enum command_kind kind;
	const char	*arg;		/* ECHO, FAULT: points into the line */
	size_t		 arglen;
	uint64_t	 number;	/* SLEEP: ms; BLOB: bytes */
	char		 error[COMMAND_ERROR_MAX];
};

void	 command_parse(const char *line, size_t len,
	    const struct command_limits *limits, struct command *out);

const char *command_name(enum command_kind kind);

#endif
