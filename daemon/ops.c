/*
 * ops.c - the jobs the worker runs: the event hook (log line + audit row),
 * the connection, the operation table, and how results reach the state.
 * The operations themselves are in optier.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "ops.h"
#include "version.h"

#include "opctx.h"

struct ops *
ops_new(void)
{
	return calloc(1, sizeof(struct ops));
}

void
ops_free(struct ops *o)
{
	if (o == NULL)
		return;
	db_close(&o->lockdb);
	free(o->lockinfo);
	migset_release(&o->cache);
	if (o->audit_ready)
		audit_release(&o->audit);
	free(o->audit_for);
	free(o);
}

/*
 * The daemon's event hook: one log line per event, then the audit row in
 * the caller's transaction (core/event.h).
 */
static int
ops_event(void *arg, struct db *db, const struct actor *a,
    const struct mig_event *ev, struct merr *e)
{
	struct ops *o = arg;
	char dur[64] = "";

	if (ev->duration_ms >= 0)
		snprintf(dur, sizeof(dur), " in %ld ms", ev->duration_ms);
	if (ev->statements > 0)
		snprintf(dur + strlen(dur), sizeof(dur) - strlen(dur),
		    ", %d statement%s", ev->statements,
		    ev->statements == 1 ? "" : "s");
	if (ev->ok)
		log_info("%s%s%s%s%s", ev->action, ev->target ? " '" : "",
		    ev->target ? ev->target : "", ev->target ? "'" : "", dur);
	else
		log_warnx("%s%s%s%s: %s%s%s%s", ev->action,
		    ev->target ? " '" : "", ev->target ? ev->target : "",
		    ev->target ? "'" : "", ev->error ? ev->error :
		    (ev->detail ? ev->detail : "refused"),
		    ev->sqlstate ? " (SQLSTATE " : "",
		    ev->sqlstate ? ev->sqlstate : "", ev->sqlstate ? ")" : "");
	if (o->audit_ready)
		return audit_record(&o->audit, db, a, ev, e);
	return 0;
}

/* Connect (if needed) and make sure the audit table is there. */
int
ops_connect(struct opctx *x, struct merr *e)
{
	char *key;

	if ((x->db = dbworker_db(x->d, x->cfg->database, e)) == NULL)
		return -1;
	/* a reload may name another database or table */
	if (asprintf(&key, "%s|%s.%s", x->cfg->database ? x->cfg->database :
	    "", x->cfg->schema, x->cfg->audit_table) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (x->o->audit_ready && strcmp(key, x->o->audit_for) == 0) {
		free(key);
		return 0;
	}
	if (x->o->audit_ready) {
		audit_release(&x->o->audit);
		x->o->audit_ready = 0;
	}
	if (audit_ensure(x->db, x->cfg, e) == -1 ||
	    audit_init(&x->o->audit, x->db, x->cfg, e) == -1) {
		free(key);
		return -1;
	}
	x->o->audit_ready = 1;
	free(x->o->audit_for);
	x->o->audit_for = key;
	return 0;
}

int
ops_emit(struct opctx *x, const char *action, const char *target,
    const char *detail, int ok, struct merr *e)
{
	struct mig_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.action = action;
	ev.target = target;
	ev.detail = detail;
	ev.duration_ms = -1;
	ev.ok = ok;
	if (!ok)
		ev.error = detail;
	return event_emit(&x->hook, x->db, &ev, e);
}

static int
op_ping(struct opctx *x, struct merr *e)
{
	if (ops_connect(x, e) == -1)
		return -1;
	return db_exec(x->db, "SELECT 1", e);
}

static int
op_denied(struct opctx *x, struct merr *e)
{
	char detail[128];

	if (ops_connect(x, e) == -1)
		return -1;
	snprintf(detail, sizeof(detail), "permission denied for uid %ld",
	    (long)x->j->actor.uid);
	if (x->j->suppressed > 0)
		snprintf(detail + strlen(detail), sizeof(detail) -
		    strlen(detail), "; %ld more denials before this one not "
		    "recorded", x->j->suppressed);
	return ops_emit(x, "request.denied", x->j->req.cmd, detail, 0, e);
}

static int
op_stop(struct opctx *x, struct merr *e)
{
	char detail[128];

	if (!x->d->db.conn || ops_connect(x, e) == -1)
		return -1;	/* never reconnect just to say goodbye */
	snprintf(detail, sizeof(detail), "pid %ld, exit %s", (long)getpid(),
	    x->j->req.sub ? x->j->req.sub : "0");
	return ops_emit(x, "daemon.stop", MIGRATED_VERSION, detail, 1, e);
}

static const struct op {
	const char	*name;
	int		(*fn)(struct opctx *, struct merr *);
} ops_table[] = {
	{ "startup", op_startup },
	{ "recheck", op_startup },
	{ "reload", op_startup },
	{ "refresh", op_refresh },
	{ "ping", op_ping },
	{ "denied", op_denied },
	{ "stop", op_stop },
	{ "check", op_check },
	{ "plan", op_plan },
	{ "list", op_tier2 },
	{ "validate", op_tier2 },
	{ "up", op_tier2 },
	{ "down", op_tier2 },
	{ "goto", op_tier2 },
	{ "force", op_tier2 },
	{ "redo", op_tier2 },
	{ "log", op_log },
	{ "audit", op_audit },
};

void
ops_run(struct dbloop *d, struct job *j)
{
	struct opctx x;
	size_t i;

	memset(&x, 0, sizeof(x));
	x.d = d;
	x.j = j;
	x.o = d->wstate;
	x.cfg = &j->cfg->cfg;
	x.hook.fn = ops_event;
	x.hook.arg = x.o;
	x.hook.actor = &j->actor;
	merr_clear(&j->err);
	for (i = 0; i < sizeof(ops_table) / sizeof(ops_table[0]); i++)
		if (!strcmp(ops_table[i].name, j->name))
			break;
	if (i == sizeof(ops_table) / sizeof(ops_table[0])) {
		merr_set(&j->err, MERR_INTERNAL, "no operation '%s'", j->name);
		j->rc = -1;
	} else {
		j->rc = ops_table[i].fn(&x, &j->err);
	}
	if (j->rc == -1 && j->code == PROTO_OK)
		j->code = proto_code_from_merr(&j->err);
	if (x.o->lockdb.conn && !db_ok(&x.o->lockdb))
		db_close(&x.o->lockdb);
}

struct job *
ops_job(struct migrated *m, const char *name, job_done_fn done)
{
	struct job *j = job_new(name, ops_run, done, m);

	if (j == NULL)
		return NULL;
	j->cfg = cfgref_get(m->cfg);
	return j;
}

static void
ops_denied_done(void *arg, struct job *j)
{
	if (j->rc == -1)
		log_warnx("cannot record the denied request: %s", j->err.msg);
	ops_done(arg, j);
	job_free(j);
	daemon_status_changed(arg);
}

/* The limiter slot of uid: its own, or the oldest one, reused. */
static struct denylimit *
ops_deny_slot(struct migrated *m, uid_t uid, time_t now)
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

int
ops_record_denied(struct migrated *m, struct conn *c, const char *cmd)
{
	time_t now = time(NULL);
	struct denylimit *l = ops_deny_slot(m, c->uid, now);
	long suppressed = 0;
	struct job *j;

	if (now - l->since >= DENY_WINDOW_SEC) {
		suppressed = l->suppressed;
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
	if (suppressed > 0)
		log_warnx("%ld more denials for uid %ld were not recorded",
		    suppressed, (long)c->uid);
	if (!m->st.db_up || m->stopping ||
	    (j = ops_job(m, "denied", ops_denied_done)) == NULL)
		return 1;
	j->suppressed = suppressed;
	j->actor.is_daemon = 0;
	j->actor.uid = c->uid;
	j->actor.pid = c->pid;
	snprintf(j->user, sizeof(j->user), "%s", c->user);
	j->actor.user = j->user;
	snprintf(j->req.cmd, sizeof(j->req.cmd), "%s", cmd);
	dbloop_submit(&m->dbloop, j);
	return 1;
}

void
ops_done(struct migrated *m, struct job *j)
{
	if (j->tier1_state && json_is_true(json_object_get(j->tier1_state,
	    "partial")) && m->st.tier1) {
		json_object_del(j->tier1_state, "partial");
		json_object_update(m->st.tier1, j->tier1_state);
	} else if (j->tier1_state) {
		json_decref(m->st.tier1);
		m->st.tier1 = j->tier1_state;
		j->tier1_state = NULL;
	}
	if (j->tier2_state) {
		json_decref(m->st.tier2);
		m->st.tier2 = j->tier2_state;
		j->tier2_state = NULL;
	}
	if (j->db_where[0])
		memcpy(m->st.db_where, j->db_where, sizeof(m->st.db_where));
	if (j->db_lost)
		daemon_db_lost(m, &j->err);
}
