/*
 * ops.c - how the worker runs a job: the event hook (log line + audit
 * row), the connection, and the one call through the job's command row.
 * The operations themselves are in optier.c and opaudit.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_head.h"
#include "cmd.h"
#include "log.h"
#include "mtime.h"
#include "opctx.h"
#include "ops.h"

struct ops *
ops_new(const char *origin)
{
	struct ops *o = calloc(1, sizeof(struct ops));

	if (o) {
		snprintf(o->origin, sizeof(o->origin), "%s", origin);
		pending_init(&o->pending);
		fgate_init(&o->gate);
	}
	return o;
}

void
ops_keep(struct ops *o, struct migset *set)
{
	migset_release(&o->cache);
	o->cache = *set;
	memset(set, 0, sizeof(*set));
	fgate_forget(&o->gate);
	o->preload_ms = mtime_now_ms();
}

void
ops_free(struct ops *o)
{
	if (o == NULL)
		return;
	db_close(&o->lockdb);
	free(o->lockinfo);
	migset_release(&o->cache);
	tracking_release(&o->start_trk);
	fgate_release(&o->gate);
	pending_release(&o->pending);
	if (o->audit_ready)
		audit_release(&o->audit);
	free(o->audit_for);
	free(o);
}

/*
 * A failure the dead connection could not take, kept (pending.h).  When
 * its COMMIT is in doubt (SQLSTATE 08007) and the last audit row this
 * daemon inserted went into that very transaction (ev->tx, or the
 * connection's current one: audit_doubt_row), that row tells later
 * whether it committed.  When no row of it was read (a file's COMMIT
 * sent with it), its success row after the last row read is looked for
 * by content instead.
 */
static void
ops_keep_failure(struct ops *o, const struct config *cfg, struct db *db,
    const struct actor *a, const struct mig_event *ev)
{
	struct audit_doubt by = { o->audit.last_id, ev->target, ev->checksum,
	    (long long)o->audit.pid, o->audit.host };
	char hash[65];
	long long id;
	int doubt = audit_doubt_row(&o->audit, db, ev, &id, hash);
	int ahead = !doubt && ev->target && ev->sqlstate &&
	    strcmp(ev->sqlstate, SQLSTATE_TX_UNKNOWN) == 0;

	pending_add(&o->pending, cfg, a, ev, doubt ? id : 0,
	    doubt ? hash : NULL, ahead ? &by : NULL);
}

/* An event's log line. */
static void
ops_say(const struct mig_event *ev)
{
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
}

/* The hook's event_said(): a success said once its COMMIT was read. */
static void
ops_said(void *arg, const struct actor *a, const struct mig_event *ev)
{
	(void)arg;
	(void)a;
	ops_say(ev);
}

/*
 * The daemon's event hook: one log line per event (for a success whose
 * COMMIT is read later, at ops_said), then the audit row and the
 * announcement to the other daemons, in the caller's transaction
 * (core/event.h, core/announce.h).
 */
static int
ops_event(void *arg, struct db *db, const struct actor *a,
    const struct mig_event *ev, struct merr *e)
{
	struct opctx *x = arg;
	struct ops *o = x->o;

	if (!ev->unread)
		ops_say(ev);
	if (o->audit_ready && audit_record(&o->audit, db, a, ev, e) == -1) {
		/* the server went away mid-operation: recorded once back */
		if (pending_wanted(ev, db, e))
			ops_keep_failure(o, x->cfg, db, a, ev);
		return -1;
	}
	if (!announce_wanted(ev->action))
		return 0;
	if (ev->unread) {	/* the loop and the job's end say it */
		announce_owe(&o->ann, ev->action, ev->target);
		return 0;
	}
	return announce_change(db, x->cfg, o->origin, ev->action, ev->target,
	    e);
}

/*
 * The changes of a run not announced in their transactions (ops_event),
 * said after it (the loop's own announcement of them, if still to come,
 * is then left out: j->announced); kept for the next job if the
 * connection went away meanwhile.
 */
static void
ops_announce_owed(struct opctx *x)
{
	struct merr e;

	if (!x->o->ann.owed || !db_ok(x->db) || x->db->pipe != NULL ||
	    db_txstatus(x->db) != PQTRANS_IDLE)
		return;
	merr_clear(&e);
	if (announce_settle(&x->o->ann, x->db, x->cfg, x->o->origin, &e) == -1)
		log_warnx("the other daemons were not told of the last "
		    "changes: %s", e.msg);
	else
		x->j->announced = 1;
}

/*
 * Failures that the database could not take when it went away: written
 * before anything else once it is back.  A failure that is not the
 * connection's is logged and tried again at the next connection.
 */
static int
ops_flush(struct opctx *x, struct merr *e)
{
	struct merr fe;

	merr_clear(&fe);
	if (pending_flush(&x->o->pending, x->cfg, x->db, &x->o->audit,
	    x->o->origin, &fe) == 0)
		return 0;
	if (!db_ok(x->db)) {
		*e = fe;
		return -1;
	}
	log_warnx("cannot record the kept audit entries yet: %s", fe.msg);
	return 0;
}

/* Say once per table whether the daemon's role could rewrite it. */
static void
ops_audit_owner(struct opctx *x)
{
	struct audit_privs pv;
	struct merr ignore;

	/* read by audit_open() unless it made the table */
	pv = x->o->audit.privs;
	merr_clear(&ignore);
	if (pv.owner[0] == '\0' &&
	    audit_privileges(x->db, x->cfg, &pv, &ignore) == -1)
		return;
	if (pv.owns)
		log_warnx("audit table %s is owned by \"%s\", which this "
		    "daemon's role \"%s\" can act as: it could rewrite the "
		    "table (see the privilege split in docs/audit.md)",
		    x->o->audit.table, pv.owner, pv.role);
	else
		log_info("audit table %s is owned by \"%s\"; this daemon's "
		    "role \"%s\" may only add and read rows",
		    x->o->audit.table, pv.owner, pv.role);
}

/*
 * After a job: the newest row this daemon wrote, once committed, goes to
 * STATE_DIR/audit-head and to the journal, so that deleting the newest
 * rows shows (audit_head.h).  A recorded row that has left the table is
 * evidence: it is kept, and said once.
 */
static void
ops_audit_head(struct opctx *x)
{
	struct ops *o = x->o;
	struct audit_head rec, now;
	char hash[65];
	struct merr e;
	int found;

	if (!o->audit_ready || o->head_gone || x->cfg->state_dir == NULL ||
	    o->audit.last_id <= o->head_id || !db_ok(x->db) ||
	    PQtransactionStatus(x->db->conn) != PQTRANS_IDLE)
		return;
	merr_clear(&e);
	if (audit_head_read(x->cfg->state_dir, &rec, &e) == -1)
		goto fail;
	if (rec.id > 0 && !strcmp(rec.table, o->audit.table) &&
	    !strcmp(rec.database, PQdb(x->db->conn))) {
		if (audit_head_lookup(x->db, o->audit.table, rec.id, &found,
		    hash, &e) == -1)
			goto fail;
		if (!found || strcmp(hash, rec.hash)) {
			o->head_gone = 1;
			log_errorx("audit: row %lld, recorded in %s/%s, is %s "
			    "in %s: the newest rows were deleted or rewritten; "
			    "the recorded head is kept (migratectl audit "
			    "verify)", rec.id, x->cfg->state_dir,
			    AUDIT_HEAD_FILE, found ? "different" : "missing",
			    o->audit.table);
			return;
		}
	}
	/* the row of a transaction that rolled back is not there */
	if (audit_head_lookup(x->db, o->audit.table, o->audit.last_id,
	    &found, hash, &e) == -1)
		goto fail;
	if (!found || strcmp(hash, o->audit.last_hash))
		return;
	memset(&now, 0, sizeof(now));
	now.id = o->audit.last_id;
	memcpy(now.hash, hash, sizeof(now.hash));
	snprintf(now.table, sizeof(now.table), "%s", o->audit.table);
	snprintf(now.database, sizeof(now.database), "%s", PQdb(x->db->conn));
	if (audit_head_write(x->cfg->state_dir, &now, &e) == -1)
		goto fail;
	o->head_id = now.id;
	log_info("audit head: row %lld %s", now.id, now.hash);
	return;
fail:
	log_merr("cannot record the audit head", &e);
}

/*
 * The primary is another server than at the last job (a switchover or a
 * failover): said in the log and recorded on the new primary, once.  Told
 * by host and port: behind a virtual IP only the reconnection shows.
 */
static int
ops_primary(struct opctx *x, struct merr *e)
{
	struct db_server *was = &x->o->primary, *now = &x->db->srv;
	char target[300], detail[300];

	if (was->host[0] && (strcmp(was->host, now->host) ||
	    strcmp(was->port, now->port))) {
		snprintf(target, sizeof(target), "%s:%s", now->host, now->port);
		snprintf(detail, sizeof(detail), "the primary was %s:%s",
		    was->host, was->port);
		log_notice("primary changed: now %s (%s)", target, detail);
		if (ops_emit(x, "daemon.switchover", target, detail, 1,
		    e) == -1)
			return -1;
	}
	*was = *now;
	return 0;
}

/* What the audit table was made ready for (a reload may name another
 * database or table): malloc'd, NULL when out of memory. */
static char *
ops_audit_key(const struct opctx *x)
{
	char *key;

	if (asprintf(&key, "%s|%s.%s", x->cfg->database ? x->cfg->database :
	    "", x->cfg->schema, x->cfg->audit_table) == -1)
		return NULL;
	return key;
}

int
ops_attached(struct opctx *x)
{
	struct db_server *was = &x->o->primary;
	struct merr ignore;
	char *key;
	int same;

	merr_clear(&ignore);
	if (x->d->db.conn == NULL || !x->o->audit_ready ||
	    !pending_none(&x->o->pending) ||
	    (x->db = dbworker_db(x->d, x->cfg->database, &ignore)) == NULL ||
	    (key = ops_audit_key(x)) == NULL)
		return 0;
	same = strcmp(key, x->o->audit_for) == 0 &&
	    strcmp(was->host, x->db->srv.host) == 0 &&
	    strcmp(was->port, x->db->srv.port) == 0;
	free(key);
	return same;
}

int
ops_worker(struct opctx *x, struct merr *e)
{
	char what[64];
	int opened = x->d->db.conn == NULL;

	if ((x->db = dbworker_db(x->d, x->cfg->database, e)) == NULL)
		return -1;
	/* a standby is never written to: waited for like a server away */
	snprintf(what, sizeof(what), "run '%s'", cmd_name(x->j->cmd));
	if (opened || x->role_asked) {
		x->role_asked = 1;
		return db_writable_asked(x->db, what, e);
	}
	x->role_asked = 1;
	return db_writable(x->db, what, e);
}

/* Connect (if needed) and make sure the audit table is there. */
int
ops_connect(struct opctx *x, struct merr *e)
{
	char *key;

	if (ops_worker(x, e) == -1)
		return -1;
	if ((key = ops_audit_key(x)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (x->o->audit_ready && strcmp(key, x->o->audit_for) == 0) {
		free(key);
		return ops_flush(x, e) == -1 ? -1 : ops_primary(x, e);
	}
	if (x->o->audit_ready) {
		audit_release(&x->o->audit);
		x->o->audit_ready = 0;
	}
	if (audit_open(&x->o->audit, x->db, x->cfg, e) == -1) {
		free(key);
		return -1;
	}
	ops_audit_owner(x);
	x->o->audit_ready = 1;
	x->o->head_id = 0;
	x->o->head_gone = 0;
	free(x->o->audit_for);
	x->o->audit_for = key;
	memset(&x->o->primary, 0, sizeof(x->o->primary));  /* another db */
	return ops_flush(x, e) == -1 ? -1 : ops_primary(x, e);
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

/* A client's job queued before a stop: answered, not run. */
static int
ops_refuse(struct job *j, struct merr *e)
{
	j->code = PROTO_SHUTDOWN;
	return merr_set(e, MERR_STATE, "cannot run '%s': the daemon is "
	    "stopping", cmd_name(j->cmd));
}

void
ops_run(struct dbloop *d, struct dbtask *t)
{
	struct job *j = job_of(t);
	long t0 = mtime_now_ms();
	struct opctx x;

	memset(&x, 0, sizeof(x));
	x.d = d;
	x.j = j;
	x.o = d->wstate;
	x.cfg = &j->cfg->cfg;
	x.hook.fn = ops_event;
	x.hook.arg = &x;
	x.hook.actor = &j->actor;
	x.hook.said = ops_said;
	merr_clear(&j->err);
	if (d->stop && j->conn_id != 0)
		j->rc = ops_refuse(j, &j->err);	/* stopping: ours only */
	else
		j->rc = j->cmd->run(&x, &j->err);
	j->ran_ms = mtime_now_ms() - t0;
	x.o->preload_ms = 0;	/* the first job's look only */
	if (j->rc == -1 && j->code == PROTO_OK)
		j->code = proto_code_from_merr(&j->err);
	if (x.o->lockdb.conn && !db_ok(&x.o->lockdb))
		db_close(&x.o->lockdb);
	if (d->db.conn) {
		memcpy(j->db_where, d->db.where, sizeof(j->db_where));
		j->db_srv = d->db.srv;
	}
	if (x.db) {
		ops_announce_owed(&x);
		ops_audit_head(&x);
	}
	/* no connection: the database is lost, whether or not waiting can
	 * heal it (MERR_CONFIG: a refused password; daemon.c decides) */
	if ((j->rc == -1 && (j->err.code == MERR_CONNECT ||
	    (j->err.code == MERR_CONFIG && d->db.conn == NULL))) ||
	    dbworker_check(d) == -1)
		j->db_lost = 1;
}
