/*
 * cmd.h - the command table and its one dispatcher.
 *
 * Each command is a row: name, CMD_RO/CMD_ADMIN, what it needs (database,
 * exclusivity, confirmation) and its arguments; cmd_dispatch() checks
 * permission, arguments and state in one place before the handler runs.
 */
#ifndef MIGRATED_CMD_H
#define MIGRATED_CMD_H

#include <stddef.h>

struct conn;
struct migrated;

/* Serve one request line: 0 answered, 1 a job now serves it. */
int	cmd_dispatch(struct migrated *, struct conn *, const char *line,
	    size_t len);

#endif
