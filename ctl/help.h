/*
 * help.h - what migratectl says about its commands: the usage line, a
 * one-line summary for `migratectl help` and a paragraph for
 * `migratectl help COMMAND` (and `migratectl COMMAND --help`).
 *
 * Everything is constant; nothing is owned by the caller.
 */
#ifndef MIGRATECTL_HELP_H
#define MIGRATECTL_HELP_H

#include <stdio.h>

struct ctl_help {
	const char	*name;
	const char	*usage;		/* after "migratectl " */
	const char	*summary;	/* one line */
	const char	*text;		/* a paragraph, lines end in \n */
};

/* The help of command name, or NULL. */
const struct ctl_help	*help_find(const char *name);
/* "COMMAND [ARGS]" of name ("COMMAND" when unknown). */
const char		*help_usage(const char *name);
/* The whole --help: usage, one line per command, options, exit codes. */
void			 help_all(FILE *, const char *config_path);
/* One command: its usage and its paragraph. */
void			 help_command(FILE *, const struct ctl_help *);

#endif
