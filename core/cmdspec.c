/* cmdspec.c - the control commands both sides know (see cmdspec.h). */
#include <stdio.h>
#include <string.h>

#include "cmdspec.h"

static const struct proto_arg args_none[] = { { NULL, PA_INT, 0, 0 } };
static const struct proto_arg args_up[] = {
	PROTO_ARG("steps", PA_INT, steps, 0),
	PROTO_ARG("to", PA_STR, to, 0),
	PROTO_ARG("out_of_order", PA_BOOL, out_of_order, 0),
	PROTO_ARG("dry_run", PA_BOOL, dry_run, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_down[] = {
	PROTO_ARG("steps", PA_INT, steps, 0),
	PROTO_ARG("to", PA_STR, to, 0),
	PROTO_ARG("all", PA_BOOL, all, 0),
	PROTO_ARG("yes", PA_BOOL, yes, 0),
	PROTO_ARG("dry_run", PA_BOOL, dry_run, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_version[] = {
	PROTO_ARG("version", PA_STR, version, 1),
	PROTO_ARG("yes", PA_BOOL, yes, 0),
	PROTO_ARG("out_of_order", PA_BOOL, out_of_order, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_adopt[] = {
	PROTO_ARG("from", PA_STR, from, 0),
	PROTO_ARG("dry_run", PA_BOOL, dry_run, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_baseline[] = {
	PROTO_ARG("version", PA_STR, version, 1),
	PROTO_ARG("yes", PA_BOOL, yes, 0),
	PROTO_ARG("dry_run", PA_BOOL, dry_run, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_validate[] = {
	PROTO_ARG("strict", PA_BOOL, strict, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_yes[] = {
	PROTO_ARG("yes", PA_BOOL, yes, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_log[] = {
	PROTO_ARG("since", PA_STR, since, 0),
	PROTO_ARG("version", PA_STR, version, 0),
	PROTO_ARG("limit", PA_INT, limit, 0),
	PROTO_ARG("markdown", PA_BOOL, markdown, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_status[] = {
	PROTO_ARG("wait_ready", PA_BOOL, wait_ready, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_audit[] = {
	PROTO_ARG("sub", PA_STR, sub, 1),
	{ NULL, PA_INT, 0, 0 }
};

const struct cmd_spec cmdspec_status = {
	"status", CMD_READ, CONFIRM_NEVER, args_status,
	"the daemon's state" };
const struct cmd_spec cmdspec_check = {
	"check", CMD_READ, CONFIRM_NEVER, args_none,
	"is everything applied and in sync?" };
const struct cmd_spec cmdspec_plan = {
	"plan", CMD_READ, CONFIRM_NEVER, args_none,
	"the tier-1 plan" };
const struct cmd_spec cmdspec_list = {
	"list", CMD_READ, CONFIRM_NEVER, args_none,
	"the enhancements" };
const struct cmd_spec cmdspec_validate = {
	"validate", CMD_READ, CONFIRM_NEVER, args_validate,
	"parse and lint the enhancements" };
const struct cmd_spec cmdspec_log = {
	"log", CMD_READ, CONFIRM_NEVER, args_log,
	"the audit log" };
const struct cmd_spec cmdspec_audit = {
	"audit", CMD_READ, CONFIRM_NEVER, args_audit,
	"verify the audit chain" };
const struct cmd_spec cmdspec_version = {
	"version", CMD_READ, CONFIRM_NEVER, args_none,
	"the daemon's and the database's versions" };
const struct cmd_spec cmdspec_up = {
	"up", CMD_ADMIN, CONFIRM_NEVER, args_up,
	"apply enhancements" };
const struct cmd_spec cmdspec_down = {
	"down", CMD_ADMIN, CONFIRM_ALWAYS, args_down,
	"roll enhancements back" };
const struct cmd_spec cmdspec_goto = {
	"goto", CMD_ADMIN, CONFIRM_BACKWARD, args_version,
	"apply or roll back to a version" };
const struct cmd_spec cmdspec_force = {
	"force", CMD_ADMIN, CONFIRM_ALWAYS, args_version,
	"record a version without running SQL" };
const struct cmd_spec cmdspec_redo = {
	"redo", CMD_ADMIN, CONFIRM_ALWAYS, args_yes,
	"roll back and re-apply the last enhancement" };
const struct cmd_spec cmdspec_adopt = {
	"adopt", CMD_ADMIN, CONFIRM_NEVER, args_adopt,
	"take another tool's history as applied" };
const struct cmd_spec cmdspec_baseline = {
	"baseline", CMD_ADMIN, CONFIRM_ALWAYS, args_baseline,
	"count everything up to a version as applied" };
const struct cmd_spec cmdspec_reload = {
	"reload", CMD_ADMIN, CONFIRM_NEVER, args_none,
	"reload the configuration" };
const struct cmd_spec cmdspec_pull = {
	"pull", CMD_READ, CONFIRM_NEVER, args_none,
	"models of the database (migratectl writes them)" };
const struct cmd_spec cmdspec_create = {
	"create", CMD_READ, CONFIRM_NEVER, args_none,
	"runs in migratectl, not in the daemon" };

static const struct cmd_spec *const specs[] = {
	&cmdspec_status, &cmdspec_check, &cmdspec_plan,
	&cmdspec_list, &cmdspec_validate, &cmdspec_log,
	&cmdspec_audit, &cmdspec_version, &cmdspec_up,
	&cmdspec_down, &cmdspec_goto, &cmdspec_force,
	&cmdspec_redo, &cmdspec_adopt, &cmdspec_baseline, &cmdspec_reload,
	&cmdspec_create, &cmdspec_pull,
};

#define NSPECS	(sizeof(specs) / sizeof(specs[0]))

const struct cmd_spec *
cmdspec_find(const char *name)
{
	for (size_t i = 0; name && i < NSPECS; i++)
		if (!strcmp(specs[i]->name, name))
			return specs[i];
	return NULL;
}

const struct cmd_spec *
cmdspec_at(size_t i)
{
	return i < NSPECS ? specs[i] : NULL;
}

void
cmdspec_names(char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < NSPECS && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? ", " : "", specs[i]->name);
}

int
cmdspec_confirms(const struct cmd_spec *s)
{
	return s && s->confirm != CONFIRM_NEVER;
}
