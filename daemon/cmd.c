/* cmd.c - the command table, permissions and the dispatcher. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "ops.h"

#define CMD_RO		0x01	/* read ACL (or admin) */
#define CMD_ADMIN	0x02	/* admin ACL */
#define CMD_DB		0x10	/* needs the database */
#define CMD_EXCL	0x20	/* mutating: one at a time */
#define CMD_CONFIRM	0x40	/* destructive: needs "yes": true */

struct cmd;
typedef int (*cmd_fn)(struct migrated *, struct conn *, const struct cmd *,
    struct proto_request *);

struct cmd {
	const char		*name;
	int			 flags;
	const struct proto_arg	*args;
	cmd_fn			 handler;
};

static int	cmd_status(struct migrated *, struct conn *,
		    const struct cmd *, struct proto_request *);
static int	cmd_job(struct migrated *, struct conn *, const struct cmd *,
		    struct proto_request *);
static int	cmd_reload(struct migrated *, struct conn *,
		    const struct cmd *, struct proto_request *);
static int	cmd_local(struct migrated *, struct conn *,
		    const struct cmd *, struct proto_request *);

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
static const struct proto_arg args_audit[] = {
	PROTO_ARG("sub", PA_STR, sub, 1),
	{ NULL, PA_INT, 0, 0 }
};

static const struct cmd cmds[] = {
	{ "status",	CMD_RO,				args_none, cmd_status },
	{ "check",	CMD_RO | CMD_DB,		args_none, cmd_job },
	{ "plan",	CMD_RO | CMD_DB,		args_none, cmd_job },
	{ "list",	CMD_RO | CMD_DB,		args_none, cmd_job },
	{ "validate",	CMD_RO | CMD_DB,		args_none, cmd_job },
	{ "log",	CMD_RO | CMD_DB,		args_log, cmd_job },
	{ "audit",	CMD_RO | CMD_DB,		args_audit, cmd_job },
	{ "up",		CMD_ADMIN | CMD_DB | CMD_EXCL,	args_up, cmd_job },
	{ "down",	CMD_ADMIN | CMD_DB | CMD_EXCL | CMD_CONFIRM,
							args_down, cmd_job },
	{ "goto",	CMD_ADMIN | CMD_DB | CMD_EXCL,	args_version, cmd_job },
	{ "force",	CMD_ADMIN | CMD_DB | CMD_EXCL | CMD_CONFIRM,
							args_version, cmd_job },
	{ "redo",	CMD_ADMIN | CMD_DB | CMD_EXCL | CMD_CONFIRM,
							args_yes, cmd_job },
	{ "reload",	CMD_ADMIN | CMD_EXCL,		args_none, cmd_reload },
	{ "create",	CMD_RO,				args_none, cmd_local },
};

static const struct cmd *
cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void
cmd_reply_error(struct conn *c, const char *cmd, enum proto_code code,
    const struct merr *e)
{
	control_send(c, proto_error(cmd, code, e));
}

#define ACL_MAX_BUF	(16 * 1024 * 1024)	/* for getgrnam_r */

/* The gid of group name: 0, or -1 when unknown (a failure is logged). */
static int
acl_group_gid(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	long max = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t len = max > 0 ? (size_t)max : 4096;
	char *buf = NULL, *nbuf;
	int rc;

	for (;;) {
		if ((nbuf = realloc(buf, len)) == NULL) {
			rc = ENOMEM;
			break;
		}
		buf = nbuf;
		rc = getgrnam_r(name, &gr, buf, len, &res);
		if (rc != ERANGE || len >= ACL_MAX_BUF)
			break;
		len *= 2;
	}
	if (rc == 0 && res)
		*gid = gr.gr_gid;
	else if (rc != 0)
		log_warnx("cannot look up group '%s': %s", name,
		    strerror(rc));
	free(buf);
	return rc == 0 && res ? 0 : -1;
}

/* Is the peer named by the ACL, by user name, uid or one of its groups? */
static int
acl_names(const struct config_acl *a, const struct conn *c)
{
	char uid[32];
	gid_t gid;

	snprintf(uid, sizeof(uid), "%ld", (long)c->uid);
	for (char **u = a->users; u && *u; u++)
		if (!strcmp(*u, c->user) || !strcmp(*u, uid))
			return 1;
	for (char **g = a->groups; g && *g; g++) {
		if (acl_group_gid(*g, &gid) == -1)
			continue;
		for (int i = 0; i < c->ngroups; i++)
			if (c->groups[i] == gid)
				return 1;
		if (c->gid == gid)
			return 1;
	}
	return 0;
}

static int
acl_empty(const struct config_acl *a)
{
	return (a->users == NULL || a->users[0] == NULL) &&
	    (a->groups == NULL || a->groups[0] == NULL);
}

/*
 * root and the daemon's own user are always admin; admins may read; an
 * empty read list lets every peer that can open the socket read (the
 * socket's mode and group are then the gate).
 */
static int
cmd_allowed(const struct config *cfg, const struct conn *c, int flags)
{
	int admin = c->uid == 0 || c->uid == geteuid() ||
	    acl_names(&cfg->admin_acl, c);

	if (flags & CMD_ADMIN)
		return admin;
	return admin || acl_empty(&cfg->read_acl) ||
	    acl_names(&cfg->read_acl, c);
}

static void
cmd_deny(struct migrated *m, struct conn *c, const struct cmd *cmd)
{
	struct merr e;

	merr_clear(&e);
	merr_set(&e, MERR_PERM, "permission denied: '%s' is not allowed for "
	    "uid %ld (%s)", cmd->name, (long)c->uid, c->user);
	merr_hint(&e, "add the user or one of its groups to access.%s in "
	    "the configuration", cmd->flags & CMD_ADMIN ? "admin" : "read");
	if (ops_record_denied(m, c, cmd->name))
		log_warnx("%s, pid %ld", e.msg, (long)c->pid);
	cmd_reply_error(c, cmd->name, PROTO_DENIED, &e);
	/* answer no more on a connection that keeps asking */
	if (++c->denials >= CONTROL_MAX_DENIALS) {
		log_debug("control: closing uid %ld pid %ld after %d denied "
		    "requests", (long)c->uid, (long)c->pid, c->denials);
		c->close_after_write = 1;
	}
}

static int
cmd_check_state(struct migrated *m, const struct cmd *cmd,
    const struct proto_request *r, enum proto_code *code, struct merr *e)
{
	char when[32];

	if (m->stopping) {
		*code = PROTO_SHUTDOWN;
		return merr_set(e, MERR_STATE, "cannot run '%s': the daemon is "
		    "stopping", cmd->name);
	}
	if ((cmd->flags & CMD_EXCL) && m->st.busy_op) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		    gmtime(&m->st.busy_since));
		*code = PROTO_BUSY;
		merr_set(e, MERR_BUSY, "busy: %s in progress since %s",
		    m->st.busy_op, when);
		merr_detail(e, "started by uid %ld; one mutating operation "
		    "runs at a time", m->st.busy_uid);
		return -1;
	}
	if ((cmd->flags & CMD_DB) && !m->st.db_up) {
		*code = PROTO_UNAVAILABLE;
		merr_set(e, MERR_CONNECT, "database unavailable%s",
		    m->st.db_down_since ? "" : ": migrated is starting");
		if (m->st.db_error[0])
			merr_detail(e, "%s", m->st.db_error);
		merr_hint(e, "migrated reconnects on its own; try again "
		    "later");
		return -1;
	}
	if ((cmd->flags & CMD_CONFIRM) && !r->yes && !r->dry_run) {
		*code = PROTO_CONFIRM;
		merr_set(e, MERR_USAGE, "'%s' is destructive and needs "
		    "confirmation", cmd->name);
		merr_hint(e, "send \"yes\": true (migratectl %s --yes)",
		    cmd->name);
		return -1;
	}
	return 0;
}

int
cmd_dispatch(struct migrated *m, struct conn *c, const char *line,
    size_t len)
{
	struct proto_request r;
	const struct cmd *cmd;
	enum proto_code code;
	struct merr e;
	json_t *obj = NULL;
	int rc = 0;

	merr_clear(&e);
	proto_request_init(&r);
	if (proto_request_parse(line, len, &r, &obj, &e) == -1) {
		cmd_reply_error(c, r.cmd, PROTO_MALFORMED, &e);
		goto out;
	}
	if (r.proto > PROTO_VERSION) {
		merr_set(&e, MERR_USAGE, "unsupported protocol version %ld",
		    r.proto);
		merr_detail(&e, "this daemon speaks version %d", PROTO_VERSION);
		snprintf(e.field, sizeof(e.field), "proto");
		cmd_reply_error(c, r.cmd, PROTO_BAD_VERSION, &e);
		goto out;
	}
	if ((cmd = cmd_find(r.cmd)) == NULL) {
		merr_set(&e, MERR_USAGE, "unknown command '%s'", r.cmd);
		snprintf(e.field, sizeof(e.field), "cmd");
		merr_hint(&e, "commands: status, check, plan, list, validate, "
		    "log, audit, up, down, goto, force, redo, reload");
		cmd_reply_error(c, r.cmd, PROTO_UNKNOWN_CMD, &e);
		goto out;
	}
	if (!cmd_allowed(&m->cfg->cfg, c, cmd->flags)) {
		cmd_deny(m, c, cmd);
		goto out;
	}
	if (proto_request_args(obj, cmd->args, &r, &e) == -1) {
		cmd_reply_error(c, r.cmd, PROTO_BAD_ARG, &e);
		goto out;
	}
	if (cmd_check_state(m, cmd, &r, &code, &e) == -1) {
		cmd_reply_error(c, r.cmd, code, &e);
		goto out;
	}
	rc = cmd->handler(m, c, cmd, &r);
out:
	json_decref(obj);
	proto_request_release(&r);
	return rc;
}

static int
cmd_status(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	(void)r;
	control_send(c, proto_result(cmd->name, daemon_status_json(m)));
	return 0;
}

static int
cmd_local(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	struct merr e;

	(void)m;
	(void)r;
	merr_clear(&e);
	merr_set(&e, MERR_USAGE, "'%s' runs locally, not in the daemon",
	    cmd->name);
	merr_hint(&e, "run: migratectl create NAME");
	cmd_reply_error(c, cmd->name, PROTO_UNKNOWN_CMD, &e);
	return 0;
}

/* A job's result reaches the loop: update the state, answer the peer. */
static void
cmd_job_done(void *arg, struct job *j)
{
	struct migrated *m = arg;
	struct conn *c = j->conn_id ? control_find(&m->control, j->conn_id) :
	    NULL;

	if (j->mutating) {
		m->st.busy_op = NULL;
		log_info("%s by uid %ld: %s in %lds", j->name,
		    (long)j->actor.uid, j->rc == 0 ? "done" : j->err.msg,
		    (long)(time(NULL) - j->started));
	}
	ops_done(m, j);
	if (c) {
		if (j->rc == 0) {
			control_send(c, proto_result(j->name, j->data));
			j->data = NULL;
		} else {
			cmd_reply_error(c, j->name, j->code, &j->err);
		}
		control_done(c);
	}
	job_free(j);
	daemon_status_changed(m);
}

static struct job *
cmd_new_job(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	struct job *j = job_new(cmd->name, ops_run, cmd_job_done, m);

	if (j == NULL)
		return NULL;
	j->mutating = (cmd->flags & CMD_EXCL) != 0;
	j->conn_id = c->id;
	j->req = *r;
	proto_request_init(r);		/* moved into the job */
	j->actor.is_daemon = 0;
	j->actor.uid = c->uid;
	j->actor.pid = c->pid;
	snprintf(j->user, sizeof(j->user), "%s", c->user);
	j->actor.user = j->user;
	j->cfg = cfgref_get(m->cfg);
	return j;
}

static int
cmd_job(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	struct job *j;
	struct merr e;

	merr_clear(&e);
	if ((j = cmd_new_job(m, c, cmd, r)) == NULL) {
		merr_set(&e, MERR_NOMEM, "out of memory");
		cmd_reply_error(c, cmd->name, PROTO_INTERNAL, &e);
		return 0;
	}
	if (dbloop_full(&m->dbloop)) {
		job_free(j);
		merr_set(&e, MERR_BUSY, "busy: %d database jobs waiting",
		    DBLOOP_MAX_PENDING);
		merr_hint(&e, "try again later");
		cmd_reply_error(c, cmd->name, PROTO_BUSY, &e);
		return 0;
	}
	if (j->mutating) {
		m->st.busy_op = cmd->name;
		m->st.busy_since = time(NULL);
		m->st.busy_uid = (long)c->uid;
		log_info("%s requested by uid %ld (%s) pid %ld", cmd->name,
		    (long)c->uid, c->user, (long)c->pid);
		daemon_status_changed(m);
	}
	dbloop_submit(&m->dbloop, j);
	return 1;
}

/*
 * reload: parse a fresh configuration now, on the loop (keep the old one
 * on any error), then re-run tier 1 on the worker with the new one.
 */
static int
cmd_reload(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	struct job *j;
	struct merr e;

	merr_clear(&e);
	if (daemon_reload(m, &e) == -1) {
		cmd_reply_error(c, cmd->name, PROTO_FAILED, &e);
		return 0;
	}
	if ((j = cmd_new_job(m, c, cmd, r)) == NULL) {
		merr_set(&e, MERR_NOMEM, "out of memory");
		cmd_reply_error(c, cmd->name, PROTO_INTERNAL, &e);
		return 0;
	}
	m->st.busy_op = cmd->name;
	m->st.busy_since = time(NULL);
	m->st.busy_uid = (long)c->uid;
	daemon_status_changed(m);
	dbloop_submit(&m->dbloop, j);
	return 1;
}
