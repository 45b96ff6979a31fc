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
#include "proto_status.h"
#include "reply.h"

static int	cmd_status(struct migrated *, struct conn *,
		    const struct cmd *, struct proto_request *);
static int	cmd_submit(struct migrated *, struct conn *,
		    const struct cmd *, struct proto_request *);
static int	cmd_reload(struct migrated *, struct conn *,
		    const struct cmd *, struct proto_request *);
static int	cmd_local(struct migrated *, struct conn *,
		    const struct cmd *, struct proto_request *);

/* The daemon's own jobs: never from the socket. */
#define INTERNAL(n)	{ n, CMD_INTERNAL, CONFIRM_NEVER, NULL, NULL }
static const struct cmd_spec spec_startup = INTERNAL("startup");
static const struct cmd_spec spec_recheck = INTERNAL("recheck");
static const struct cmd_spec spec_refresh = INTERNAL("refresh");
static const struct cmd_spec spec_ping = INTERNAL("ping");
static const struct cmd_spec spec_sync = INTERNAL("sync");
static const struct cmd_spec spec_denied = INTERNAL("denied");
static const struct cmd_spec spec_stop = INTERNAL("stop");

#define RO	CMD_DB
#define RW	(CMD_DB | CMD_EXCL)

static const struct cmd cmds[] = {
	/* internal */
	{ &spec_startup, CMD_TIER1, NULL, op_startup, NULL, NULL },
	{ &spec_recheck, CMD_TIER1, NULL, op_recheck, NULL, NULL },
	{ &spec_refresh, 0, NULL, op_refresh, NULL, NULL },
	{ &spec_ping, 0, NULL, op_ping, NULL, NULL },
	{ &spec_sync, 0, NULL, op_sync, NULL, NULL },
	{ &spec_denied, 0, NULL, op_denied, NULL, NULL },
	{ &spec_stop, 0, NULL, op_stop, NULL, NULL },
	/* the socket's */
	{ &cmdspec_status, 0, cmd_status, NULL, NULL, NULL },
	{ &cmdspec_check, RO, cmd_submit, op_check, reply_check, NULL },
	{ &cmdspec_plan, RO, cmd_submit, op_plan, reply_plan, NULL },
	{ &cmdspec_pull, RO, cmd_submit, op_pull, reply_pull, NULL },
	{ &cmdspec_list, RO, cmd_submit, op_tier2, reply_tier2, &t2_list },
	{ &cmdspec_validate, RO, cmd_submit, op_tier2, reply_tier2,
	    &t2_validate },
	{ &cmdspec_log, RO, cmd_submit, op_log, reply_log, NULL },
	{ &cmdspec_audit, RO, cmd_submit, op_audit, reply_audit, NULL },
	{ &cmdspec_version, RO, cmd_submit, op_version, reply_version, NULL },
	{ &cmdspec_up, RW, cmd_submit, op_tier2, reply_tier2, &t2_up },
	{ &cmdspec_down, RW, cmd_submit, op_tier2, reply_tier2, &t2_down },
	{ &cmdspec_goto, RW, cmd_submit, op_tier2, reply_tier2, &t2_goto },
	{ &cmdspec_force, RW, cmd_submit, op_tier2, reply_tier2, &t2_force },
	{ &cmdspec_redo, RW, cmd_submit, op_tier2, reply_tier2, &t2_redo },
	{ &cmdspec_adopt, RW, cmd_submit, op_tier2, reply_tier2, &t2_adopt },
	{ &cmdspec_baseline, RW, cmd_submit, op_tier2, reply_tier2,
	    &t2_baseline },
	{ &cmdspec_reload, CMD_EXCL | CMD_TIER1, cmd_reload, op_reload,
	    reply_reload, NULL },
	{ &cmdspec_create, 0, cmd_local, NULL, NULL, NULL },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

/* The row of one of the daemon's own jobs (by its spec, not its name). */
const struct cmd *
cmd_internal(enum cmd_internal which)
{
	static const struct cmd_spec *const specs[CMD_NINTERNAL] = {
		[CMD_STARTUP] = &spec_startup, [CMD_RECHECK] = &spec_recheck,
		[CMD_RELOAD] = &cmdspec_reload, [CMD_REFRESH] = &spec_refresh,
		[CMD_PING] = &spec_ping, [CMD_SYNC] = &spec_sync,
		[CMD_DENIED] = &spec_denied,
		[CMD_STOP] = &spec_stop,
	};

	for (size_t i = 0; i < NCMDS; i++)
		if (cmds[i].spec == specs[which])
			return &cmds[i];
	fatalx("no command row for internal job %d", (int)which);
}

const char *
cmd_name(const struct cmd *cmd)
{
	return cmd->spec->name;
}

/* The one lookup by name: a command the socket serves, or NULL. */
static const struct cmd *
cmd_find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (cmds[i].spec->access != CMD_INTERNAL &&
		    !strcmp(cmds[i].spec->name, name))
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
int
cmd_allowed(const struct config *cfg, const struct conn *c,
    enum cmd_access access)
{
	int admin = c->uid == 0 || c->uid == geteuid() ||
	    acl_names(&cfg->admin_acl, c);

	if (access == CMD_ADMIN)
		return admin;
	return admin || acl_empty(&cfg->read_acl) ||
	    acl_names(&cfg->read_acl, c);
}

static void
cmd_denied_done(void *arg, struct job *j)
{
	if (j->rc == -1)
		log_warnx("cannot record the denied request: %s", j->err.msg);
	daemon_fold(arg, j);
	job_free(j);
	daemon_status_changed(arg);
}

/* The limiter slot of uid: its own, or the oldest one, reused. */
static struct denylimit *
cmd_deny_slot(struct migrated *m, uid_t uid, time_t now)
{
	struct denylimit *l = &m->deny[0];

	for (int i = 0; i < DENY_SLOTS; i++) {
		if (m->deny[i].since && m->deny[i].uid == uid)
			return &m->deny[i];
		if (m->deny[i].since < l->since)
			l = &m->deny[i];
	}
	if (l->suppressed > 0)
		log_warnx("%ld more denials for uid %ld were not recorded",
		    l->suppressed, (long)l->uid);
	memset(l, 0, sizeof(*l));
	l->uid = uid;
	l->since = now;
	return l;
}

/* Is this denial within the uid's budget?  The suppressed count since. */
static int
cmd_deny_budget(struct migrated *m, struct conn *c, long *suppressed)
{
	time_t now = time(NULL);
	struct denylimit *l = cmd_deny_slot(m, c->uid, now);

	*suppressed = 0;
	if (now - l->since >= DENY_WINDOW_SEC) {
		*suppressed = l->suppressed;
		l->since = now;
		l->recorded = 0;
		l->suppressed = 0;
	}
	if (l->recorded >= DENY_RECORD_MAX || dbloop_full(&m->dbloop)) {
		if (l->suppressed++ == 0)
			log_warnx("further denials for uid %ld not recorded "
			    "for up to %d s", (long)c->uid, DENY_WINDOW_SEC);
		return 0;
	}
	l->recorded++;
	if (*suppressed > 0)
		log_warnx("%ld more denials for uid %ld were not recorded",
		    *suppressed, (long)c->uid);
	return 1;
}

static void
cmd_job_actor(struct job *j, const struct conn *c)
{
	j->actor.is_daemon = 0;
	j->actor.uid = c->uid;
	j->actor.pid = c->pid;
	snprintf(j->user, sizeof(j->user), "%s", c->user);
	j->actor.user = j->user;
}

/*
 * Record a denied request through the event hook, at most DENY_RECORD_MAX
 * per uid in DENY_WINDOW_SEC; the next recorded one says how many were
 * not.  1: recorded (log it too), 0: suppressed.
 */
static int
cmd_record_denied(struct migrated *m, struct conn *c, const char *name)
{
	long suppressed;
	struct job *j;

	if (!cmd_deny_budget(m, c, &suppressed))
		return 0;
	if (!m->st.db_up || m->stopping || (j = cmd_job(m,
	    cmd_internal(CMD_DENIED), cmd_denied_done)) == NULL)
		return 1;
	j->suppressed = suppressed;
	cmd_job_actor(j, c);
	snprintf(j->req.cmd, sizeof(j->req.cmd), "%s", name);
	dbloop_submit(&m->dbloop, &j->task);
	return 1;
}

static void
cmd_deny(struct migrated *m, struct conn *c, const struct cmd *cmd)
{
	struct merr e;

	merr_clear(&e);
	merr_set(&e, MERR_PERM, "permission denied: '%s' is not allowed for "
	    "uid %ld (%s)", cmd_name(cmd), (long)c->uid, c->user);
	merr_hint(&e, "add the user or one of its groups to access.%s in "
	    "the configuration", cmd->spec->access == CMD_ADMIN ? "admin" :
	    "read");
	if (cmd_record_denied(m, c, cmd_name(cmd)))
		log_warnx("%s, pid %ld", e.msg, (long)c->pid);
	cmd_reply_error(c, cmd_name(cmd), PROTO_DENIED, &e);
	/* answer no more on a connection that keeps asking */
	if (++c->denials >= CONTROL_MAX_DENIALS) {
		log_debug("control: closing uid %ld pid %ld after %d denied "
		    "requests", (long)c->uid, (long)c->pid, c->denials);
		c->close_after_write = 1;
	}
}

static int
cmd_check_busy(struct migrated *m, enum proto_code *code, struct merr *e)
{
	char when[32];
	struct tm tm;

	gmtime_r(&m->st.busy_since, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	*code = PROTO_BUSY;
	merr_set(e, MERR_BUSY, "busy: %s in progress since %s",
	    m->st.busy_op, when);
	merr_detail(e, "started by uid %ld; one mutating operation runs at "
	    "a time", m->st.busy_uid);
	return -1;
}

/*
 * The database is away, or only a standby answers (srv: the server last
 * reached), for command name; why: the cause.  A standby is named as
 * such: nothing that writes runs there.
 */
static void
cmd_unavailable(struct merr *e, const char *name,
    const struct db_server *srv, const char *why, int starting)
{
	if (srv->host[0] && srv->role != DB_ROLE_PRIMARY &&
	    srv->role != DB_ROLE_UNKNOWN) {
		merr_set(e, MERR_CONNECT, "connected to a standby (read-only): "
		    "cannot run '%s' until a primary is reachable", name);
		merr_hint(e, "migrated connects to the primary on its own once "
		    "there is one; list every server in 'database' with "
		    "target_session_attrs=read-write so that libpq finds it");
	} else {
		merr_set(e, MERR_CONNECT, "database unavailable%s", starting ?
		    ": migrated is starting" : "");
		merr_hint(e, "migrated reconnects on its own; try again "
		    "later");
	}
	if (why && why[0])
		merr_detail(e, "%s", why);
}

/* The database could not be reached for this command: said as when
   the daemon already knew (cmd_check_state), with the cause. */
static void
cmd_reply_unavailable(struct conn *c, const char *name,
    const struct job *j)
{
	struct merr e;

	merr_clear(&e);
	cmd_unavailable(&e, name, &j->db_srv, j->err.msg, 0);
	/* the COMMIT went out, its answer did not come back */
	if (strcmp(j->err.sqlstate, SQLSTATE_TX_UNKNOWN) == 0)
		merr_hint(&e, "the connection was lost after a COMMIT was "
		    "sent: whether it committed is known only to the database; "
		    "once it is back (or a new primary is), 'migratectl "
		    "status' says, and 'migratectl up' goes on from its "
		    "tracking table");
	cmd_reply_error(c, name, PROTO_UNAVAILABLE, &e);
}

static int
cmd_check_state(struct migrated *m, const struct cmd *cmd,
    const struct proto_request *r, enum proto_code *code, struct merr *e)
{
	if (m->stopping) {
		*code = PROTO_SHUTDOWN;
		return merr_set(e, MERR_STATE, "cannot run '%s': the daemon is "
		    "stopping", cmd_name(cmd));
	}
	/* a reload waits for the running operation (cmd_reload) */
	if ((cmd->flags & CMD_EXCL) && m->st.busy_op && cmd->loop != cmd_reload)
		return cmd_check_busy(m, code, e);
	/*
	 * Lost after it was up: the worker connects again for this command
	 * (a restart is usually over by the time someone types it), and
	 * answers "unavailable" if that fails.  Refused at once only while
	 * the daemon starts (tier 1 has not run).
	 */
	if ((cmd->flags & CMD_DB) && !m->st.db_up && !m->st.ready) {
		*code = PROTO_UNAVAILABLE;
		cmd_unavailable(e, cmd_name(cmd), &m->st.db_srv,
		    m->st.db_error, m->st.db_down_since == 0);
		return -1;
	}
	if (cmd->spec->confirm == CONFIRM_ALWAYS && !r->yes && !r->dry_run) {
		*code = PROTO_CONFIRM;
		merr_set(e, MERR_USAGE, "'%s' is destructive and needs "
		    "confirmation", cmd_name(cmd));
		merr_hint(e, "send \"yes\": true (migratectl %s --yes)",
		    cmd_name(cmd));
		return -1;
	}
	return 0;
}

/* Parse, look up, check: the command to run, or NULL when answered. */
static const struct cmd *
cmd_admit(struct migrated *m, struct conn *c, struct proto_request *r,
    json_t *obj, struct merr *e)
{
	const struct cmd *cmd;
	enum proto_code code;
	char names[256];

	if (r->proto > PROTO_VERSION) {
		merr_set(e, MERR_USAGE, "unsupported protocol version %ld",
		    r->proto);
		merr_detail(e, "this daemon speaks version %d", PROTO_VERSION);
		snprintf(e->field, sizeof(e->field), "proto");
		cmd_reply_error(c, r->cmd, PROTO_BAD_VERSION, e);
		return NULL;
	}
	if ((cmd = cmd_find(r->cmd)) == NULL) {
		merr_set(e, MERR_USAGE, "unknown command '%s'", r->cmd);
		snprintf(e->field, sizeof(e->field), "cmd");
		cmdspec_names(names, sizeof(names));
		merr_hint(e, "commands: %s", names);
		cmd_reply_error(c, r->cmd, PROTO_UNKNOWN_CMD, e);
		return NULL;
	}
	if (!cmd_allowed(&m->cfg->cfg, c, cmd->spec->access)) {
		cmd_deny(m, c, cmd);
		return NULL;
	}
	if (proto_request_args(obj, cmd->spec->args, r, e) == -1) {
		cmd_reply_error(c, r->cmd, PROTO_BAD_ARG, e);
		return NULL;
	}
	if (cmd_check_state(m, cmd, r, &code, e) == -1) {
		cmd_reply_error(c, r->cmd, code, e);
		return NULL;
	}
	return cmd;
}

int
cmd_dispatch(void *arg, struct conn *c, const char *line, size_t len)
{
	struct migrated *m = arg;
	struct proto_request r;
	const struct cmd *cmd;
	struct merr e;
	json_t *obj = NULL;
	int rc = 0;

	merr_clear(&e);
	proto_request_init(&r);
	if (proto_request_parse(line, len, &r, &obj, &e) == -1)
		cmd_reply_error(c, r.cmd, PROTO_MALFORMED, &e);
	else if ((cmd = cmd_admit(m, c, &r, obj, &e)) != NULL)
		rc = cmd->loop(m, c, cmd, &r);
	json_decref(obj);
	proto_request_release(&r);
	return rc;
}

/*
 * status answers at once from memory; with "wait_ready" (migratectl
 * wait-ready) a daemon that is not ready yet holds the request and
 * answers the moment it is ready, or stopping (cmd_ready_resume), so the
 * client learns it without polling.  Held requests are bounded: past
 * READY_WAITERS the answer is immediate and the client polls.
 */
static int
cmd_status(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	struct daemon_status s;

	daemon_status_get(m, &s);
	if (r->wait_ready && !s.ready && !s.stopping)
		for (int i = 0; i < READY_WAITERS; i++)
			if (m->ready_conns[i] == 0) {
				m->ready_conns[i] = c->id;
				return 1;
			}
	control_send(c, proto_result(cmd_name(cmd), proto_status_json(&s)));
	return 0;
}

void
cmd_ready_resume(struct migrated *m)
{
	struct daemon_status s;
	struct conn *c;

	daemon_status_get(m, &s);
	if (!s.ready && !s.stopping)
		return;
	for (int i = 0; i < READY_WAITERS; i++) {
		if (m->ready_conns[i] == 0)
			continue;
		c = control_find(&m->control, m->ready_conns[i]);
		m->ready_conns[i] = 0;
		if (c == NULL)
			continue;	/* the client gave up */
		control_send(c, proto_result(cmd_name(cmd_find("status")),
		    proto_status_json(&s)));
		control_done(c);
	}
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
	    cmd_name(cmd));
	merr_hint(&e, "run: migratectl create NAME");
	cmd_reply_error(c, cmd_name(cmd), PROTO_UNKNOWN_CMD, &e);
	return 0;
}

/* A client's job reaches the loop: reply, then fold it into the state. */
static void
cmd_job_done(void *arg, struct job *j)
{
	struct migrated *m = arg;
	struct conn *c = j->conn_id ? control_find(&m->control, j->conn_id) :
	    NULL;
	const char *name = cmd_name(j->cmd);

	if (j->announced)	/* said by the worker: not again */
		dblisten_untell(&m->listen);
	if (j->mutating) {
		m->st.busy_op = NULL;
		log_info("%s by uid %ld: %s in %lds", name, (long)j->actor.uid,
		    j->rc == 0 ? "done" : j->err.msg,
		    (long)(time(NULL) - j->started));
	}
	if (c && j->rc == 0)
		control_send(c, proto_result(name, j->cmd->reply ?
		    j->cmd->reply(j) : NULL));
	else if (c && j->db_lost && j->err.code == MERR_CONNECT)
		cmd_reply_unavailable(c, name, j);
	else if (c)
		cmd_reply_error(c, name, j->code, &j->err);
	if (c)
		control_done(c);
	daemon_fold(m, j);
	job_free(j);
	daemon_status_changed(m);
}

struct job *
cmd_job(struct migrated *m, const struct cmd *cmd, job_done_fn done)
{
	return job_new(cmd, m->cfg, ops_run, done, m);
}

/* A job for the peer on c, its request moved in; NULL: answered. */
static struct job *
cmd_client_job(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	struct job *j;
	struct merr e;

	merr_clear(&e);
	if (dbloop_full(&m->dbloop)) {
		merr_set(&e, MERR_BUSY, "busy: %d database jobs waiting",
		    DBLOOP_MAX_PENDING);
		merr_hint(&e, "try again later");
		cmd_reply_error(c, cmd_name(cmd), PROTO_BUSY, &e);
		return NULL;
	}
	if ((j = cmd_job(m, cmd, cmd_job_done)) == NULL) {
		merr_set(&e, MERR_NOMEM, "out of memory");
		cmd_reply_error(c, cmd_name(cmd), PROTO_INTERNAL, &e);
		return NULL;
	}
	j->mutating = (cmd->flags & CMD_EXCL) != 0;
	j->conn_id = c->id;
	j->req = *r;
	proto_request_init(r);		/* moved into the job */
	cmd_job_actor(j, c);
	return j;
}

static void
cmd_start(struct migrated *m, struct conn *c, struct job *j)
{
	if (j->mutating) {
		m->st.busy_op = cmd_name(j->cmd);
		m->st.busy_since = time(NULL);
		m->st.busy_uid = (long)c->uid;
		daemon_status_changed(m);
	}
	dbloop_submit(&m->dbloop, &j->task);
}

static int
cmd_submit(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	struct job *j;

	if ((j = cmd_client_job(m, c, cmd, r)) == NULL)
		return 0;
	if (j->mutating)
		log_info("%s requested by uid %ld (%s) pid %ld", cmd_name(cmd),
		    (long)c->uid, c->user, (long)c->pid);
	cmd_start(m, c, j);
	return 1;
}

/*
 * reload: a fresh configuration is loaded and checked off the loop
 * (daemon_reload_start); the old one is kept on any error.  Then tier 1
 * runs on the worker with the new one (cmd_reload_submit).  The reply
 * comes when that run has ended: ok, or why not.
 */
static int
cmd_reload_now(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	struct merr e;

	(void)r;		/* reload takes no arguments */
	merr_clear(&e);
	m->reload_pending = 0;	/* a SIGHUP waiting is served too */
	log_info("reload requested by uid %ld (%s) pid %ld", (long)c->uid,
	    c->user, (long)c->pid);
	if (daemon_reload_start(m, c->id, (long)c->uid, &e) == -1) {
		cmd_reply_error(c, cmd_name(cmd), PROTO_FAILED, &e);
		return 0;
	}
	return 1;
}

int
cmd_reload_submit(struct migrated *m, uint64_t conn_id)
{
	const struct cmd *cmd = cmd_find("reload");
	struct conn *c = control_find(&m->control, conn_id);
	struct proto_request r;
	struct job *j;

	if (c == NULL)
		return 0;	/* the client left: the daemon's own reload */
	proto_request_init(&r);
	snprintf(r.cmd, sizeof(r.cmd), "%s", cmd_name(cmd));
	j = cmd_client_job(m, c, cmd, &r);
	proto_request_release(&r);
	if (j == NULL) {	/* answered: the daemon's own reload runs */
		control_done(c);
		return 0;
	}
	cmd_start(m, c, j);
	return 1;
}

void
cmd_reload_failed(struct migrated *m, uint64_t conn_id, const struct merr *e)
{
	struct conn *c = control_find(&m->control, conn_id);

	if (c == NULL)
		return;
	cmd_reply_error(c, "reload", m->stopping ? PROTO_SHUTDOWN :
	    PROTO_FAILED, e);
	control_done(c);
}

/*
 * While a mutating operation runs, a reload waits for it (as SIGHUP
 * does) and the client waits for the reload: `systemctl reload` during a
 * long `up` succeeds once both are done.  One client reload waits at a
 * time; another gets "busy".
 */
static int
cmd_reload(struct migrated *m, struct conn *c, const struct cmd *cmd,
    struct proto_request *r)
{
	struct merr e;
	enum proto_code code;

	if (!m->st.busy_op)
		return cmd_reload_now(m, c, cmd, r);
	if (m->reload_conn) {
		merr_clear(&e);
		cmd_check_busy(m, &code, &e);
		merr_hint(&e, "a reload is already waiting for it");
		cmd_reply_error(c, cmd_name(cmd), code, &e);
		return 0;
	}
	m->reload_conn = c->id;
	log_info("reload requested by uid %ld (%s) pid %ld: waiting until %s "
	    "finishes", (long)c->uid, c->user, (long)c->pid, m->st.busy_op);
	return 1;
}

void
cmd_reload_resume(struct migrated *m)
{
	const struct cmd *cmd = cmd_find("reload");
	struct proto_request r;
	struct conn *c;
	struct merr e;

	c = control_find(&m->control, m->reload_conn);
	m->reload_conn = 0;
	if (c == NULL) {	/* the client left: still a reload asked for */
		m->reload_pending = 1;
		return;
	}
	if (m->stopping) {
		merr_clear(&e);
		merr_set(&e, MERR_STATE, "cannot run 'reload': the daemon is "
		    "stopping");
		cmd_reply_error(c, cmd_name(cmd), PROTO_SHUTDOWN, &e);
		control_done(c);
		return;
	}
	proto_request_init(&r);
	snprintf(r.cmd, sizeof(r.cmd), "%s", cmd_name(cmd));
	if (cmd_reload_now(m, c, cmd, &r) == 0)
		control_done(c);
	proto_request_release(&r);
}
