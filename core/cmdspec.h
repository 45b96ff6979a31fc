/*
 * cmdspec.h - what every control command is, shared by migrated and
 * migratectl (like the protocol codec): its name, who may run it, whether
 * it needs confirmation, and the request fields it takes.
 *
 * This is the one place that says which commands are destructive: the
 * daemon refuses them without "yes": true, and migratectl turns --yes into
 * that field and asks on a terminal when the daemon answers "confirm".
 * Everything here is constant; nothing is owned by the caller.
 */
#ifndef MIGRATE_CMDSPEC_H
#define MIGRATE_CMDSPEC_H

#include "proto.h"

enum cmd_access {
	CMD_INTERNAL = 0,	/* the daemon's own jobs, never from the socket */
	CMD_READ,		/* the read ACL (or admin) */
	CMD_ADMIN,		/* the admin ACL */
};

enum cmd_confirm {
	CONFIRM_NEVER = 0,
	CONFIRM_ALWAYS,		/* destructive: refused without "yes" */
	CONFIRM_BACKWARD,	/* goto: only when it would roll back */
};

struct cmd_spec {
	const char		*name;
	enum cmd_access		 access;
	enum cmd_confirm	 confirm;
	const struct proto_arg	*args;	/* NULL-name terminated */
	const char		*summary;
};

/* One per command, for the daemon's table to name. */
extern const struct cmd_spec cmdspec_status, cmdspec_check, cmdspec_plan,
    cmdspec_list, cmdspec_validate, cmdspec_log, cmdspec_audit,
    cmdspec_version, cmdspec_up, cmdspec_down, cmdspec_goto, cmdspec_force,
    cmdspec_redo, cmdspec_adopt, cmdspec_baseline, cmdspec_reload,
    cmdspec_create, cmdspec_pull;

/* The command the socket accepts under name, or NULL. */
const struct cmd_spec	*cmdspec_find(const char *name);
/* The i-th socket command (for listing them), NULL past the end. */
const struct cmd_spec	*cmdspec_at(size_t i);
/* "status, check, plan, ..." into buf, for hints; truncated to len. */
void			 cmdspec_names(char *buf, size_t len);
/* May the command need confirmation ("yes": true)? */
int			 cmdspec_confirms(const struct cmd_spec *);

#endif
