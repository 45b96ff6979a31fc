/*
 * runner.c - one migration script: one transaction, statement by
 * statement, or the file's own BEGIN/COMMIT.  See runner.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "runner.h"
#include "runner_int.h"
#include "tracking.h"

void
runner_actor_name(const struct actor *a, char *buf, size_t len)
{
	if (a == NULL || a->is_daemon)
		snprintf(buf, len, "migrated");
	else if (a->user && *a->user)
		snprintf(buf, len, "%s", a->user);
	else
		snprintf(buf, len, "uid %ld", (long)a->uid);
}

long
run_elapsed_ms(const struct run *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - r->t0.tv_sec) * 1000 +
	    (now.tv_nsec - r->t0.tv_nsec) / 1000000;
}

void
run_progress(const struct run *r, const char *phase, const char *message)
{
	struct progress p;

	if (r->env->progress == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.phase = phase;
	p.version = r->m->version;
	p.name = r->m->name;
	p.direction = r->dirname;
	p.stmt = r->stmt + 1 > (int)r->sc->nstmts ? (int)r->sc->nstmts :
	    r->stmt + 1;
	p.nstmts = (int)r->sc->nstmts;
	p.rows_done = r->rows_done;
	p.rows_total = r->rows_total;
	p.elapsed_ms = run_elapsed_ms(r);
	p.message = message;
	r->env->progress(r->env->progress_arg, &p);
}

int
run_stopped(const struct run *r)
{
	return r->env->stop && *r->env->stop;
}

void
run_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) == -1)
		;
}

static const char *
verb(const struct run *r)
{
	return strcmp(r->dirname, "up") == 0 ? "apply" : "roll back";
}

/* Put the statement's place in front of a database error. */
static void
stmt_context(struct run *r, const struct mig_stmt *st, struct merr *e)
{
	char msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	snprintf(e->msg, sizeof(e->msg), "cannot %s '%.120s': statement %d of "
	    "%zu: %.300s", verb(r), r->m->id, r->stmt + 1, r->sc->nstmts,
	    msg);
	snprintf(e->file, sizeof(e->file), "%s", r->sc->path);
	e->line = st->line;
	e->col = st->col;
}

int
run_sql(struct run *r, const struct mig_stmt *st, const char *sql,
    struct merr *e)
{
	merr_clear(e);	/* a retry must not inherit the last position */
	if (db_exec(r->env->db, sql, e) == 0)
		return 0;
	stmt_context(r, st, e);
	return -1;
}

static void
emit(struct run *r, const char *action, int ok, const struct merr *err,
    struct merr *e)
{
	struct mig_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.action = action;
	ev.target = r->m->id;
	ev.checksum = r->m->checksum;
	ev.duration_ms = run_elapsed_ms(r);
	ev.statements = r->executed;
	ev.ok = ok;
	if (err) {
		ev.error = err->msg;
		ev.sqlstate = err->sqlstate[0] ? err->sqlstate : NULL;
		ev.detail = err->detail[0] ? err->detail : NULL;
	}
	if (event_emit(r->env->hook, r->env->db, &ev, e) == -1 && ok == 0)
		merr_clear(e);	/* a failure record is best effort */
}

static int
emit_ok(struct run *r, struct merr *e)
{
	struct mig_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.action = strcmp(r->dirname, "up") == 0 ? "tier2.apply" :
	    "tier2.rollback";
	ev.target = r->m->id;
	ev.checksum = r->m->checksum;
	ev.duration_ms = run_elapsed_ms(r);
	ev.statements = r->executed;
	ev.ok = 1;
	return event_emit(r->env->hook, r->env->db, &ev, e);
}

/* The first "relname" in a parse tree (depth first), or NULL. */
static const char *
tree_relname(json_t *j)
{
	const char *k, *found;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		if (json_is_string(json_object_get(j, "relname")))
			return json_string_value(json_object_get(j, "relname"));
		json_object_foreach(j, k, v)
			if ((found = tree_relname(v)) != NULL)
				return found;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if ((found = tree_relname(v)) != NULL)
				return found;
	}
	return NULL;
}

/*
 * "cannot apply '20240103_x': lock timeout on "activity_logs" after 5
 * tries", with PostgreSQL's own words and the statement in the detail.
 */
static void
lock_message(struct run *r, struct merr *e)
{
	const struct mig_stmt *st = r->stmt < (int)r->sc->nstmts ?
	    &r->sc->stmts[r->stmt] : NULL;
	json_t *root = st ? json_loads(st->tree, 0, NULL) : NULL;
	const char *rel = root ? tree_relname(root) : NULL;

	snprintf(e->msg, sizeof(e->msg), "cannot %s '%.150s': lock timeout "
	    "on \"%.64s\" after %d tries", verb(r), r->m->id, rel ? rel : "?",
	    r->retry.retries + 1);
	merr_detail(e, "statement %d of %zu waited %ld ms for its lock on "
	    "each try", r->stmt + 1, r->sc->nstmts, r->retry.lock_timeout_ms);
	merr_hint(e, "a long transaction holds a conflicting lock; see "
	    "pg_stat_activity, then run it again");
	json_decref(root);
}

/* The failure record, outside any transaction, after the rollback. */
static int
fail(struct run *r, struct merr *e)
{
	struct merr ignore;

	if (e->code == MERR_LOCKED && strstr(e->msg, " tries") == NULL)
		lock_message(r, e);
	merr_clear(&ignore);
	emit(r, "tier2.fail", 0, e, &ignore);
	run_progress(r, "fail", e->msg);
	return -1;
}

static void
on_retry(void *arg, int attempt, const struct merr *err)
{
	struct run *r = arg;
	struct mig_event ev;
	struct merr ignore;
	char note[160];

	memset(&ev, 0, sizeof(ev));
	ev.action = "lock.retry";
	ev.target = r->m->id;
	ev.duration_ms = -1;
	ev.error = err->msg;
	ev.sqlstate = err->sqlstate[0] ? err->sqlstate : NULL;
	merr_clear(&ignore);
	event_emit(r->env->hook, r->env->db, &ev, &ignore);
	snprintf(note, sizeof(note), "lock timeout, retry %d of %d", attempt,
	    r->retry.retries);
	run_progress(r, "retry", note);
}

/* ---- one transaction ---------------------------------------------- */

static int
tx_body(struct db *d, void *arg, struct merr *e)
{
	struct run *r = arg;
	struct trk_row w;
	size_t i;

	(void)d;
	r->executed = 0;
	for (i = 0; i < r->sc->nstmts; i++) {
		r->stmt = (int)i;
		if (run_sql(r, &r->sc->stmts[i], r->sc->stmts[i].sql, e) == -1)
			return -1;
		r->executed++;
	}
	if (strcmp(r->dirname, "down") == 0) {
		if (tracking_delete(r->env->db, r->env->cfg, r->m->version,
		    e) == -1)
			return -1;
	} else {
		memset(&w, 0, sizeof(w));
		w.version = (char *)(uintptr_t)r->m->version;
		w.name = r->m->name;
		w.checksum = (char *)(uintptr_t)r->m->checksum;
		w.applied_by = r->actor;
		w.duration_ms = run_elapsed_ms(r);
		w.direction = (char *)(uintptr_t)"up";
		if (tracking_put(r->env->db, r->env->cfg, &w, e) == -1)
			return -1;
	}
	return emit_ok(r, e);
}

static int
run_one_tx(struct run *r, struct merr *e)
{
	if (db_tx(r->env->db, &r->retry, tx_body, r, e) == -1)
		return fail(r, e);
	run_progress(r, "done", NULL);
	return 0;
}

/* ---- statement by statement ---------------------------------------- */

/* A stop before a fresh run's first statement: nothing to mark dirty. */
static int
stopped_first(struct run *r, struct merr *e)
{
	if (!run_stopped(r) || (r->resume && r->resume->dirty))
		return 0;
	merr_set(e, MERR_STATE, "'%s' interrupted before statement 1 of %zu",
	    r->m->id, r->sc->nstmts);
	return 1;
}

static int
mark_dirty(struct run *r, struct merr *e)
{
	struct trk_row w;

	if (r->resume && r->resume->dirty &&
	    strcmp(r->resume->direction, r->dirname) == 0)
		return 0;	/* resuming: the row holds our progress */
	memset(&w, 0, sizeof(w));
	w.version = (char *)(uintptr_t)r->m->version;
	w.name = r->m->name;
	w.checksum = (char *)(uintptr_t)r->m->checksum;
	w.applied_by = r->actor;
	w.dirty = 1;
	w.direction = (char *)(uintptr_t)r->dirname;
	return tracking_put(r->env->db, r->env->cfg, &w, e);
}

static int
finish_body(struct db *d, void *arg, struct merr *e)
{
	struct run *r = arg;

	if (strcmp(r->dirname, "down") == 0) {
		if (tracking_delete(d, r->env->cfg, r->m->version, e) == -1)
			return -1;
	} else if (tracking_finish(d, r->env->cfg, r->m->version,
	    r->m->checksum, run_elapsed_ms(r), e) == -1) {
		return -1;
	}
	return emit_ok(r, e);
}

/* Keep the row dirty, say why, and report. */
static int
stopped_at(struct run *r, struct merr *e)
{
	struct merr ignore;

	merr_clear(&ignore);
	if (db_ok(r->env->db))
		tracking_fail(r->env->db, r->env->cfg, r->m->version, e->msg,
		    e->sqlstate, &ignore);
	if (e->hint[0] == '\0')
		merr_hint(e, "fix the cause and run 'migratectl %s' again: "
		    "it resumes at statement %d", r->dirname[0] == 'u' ?
		    "up" : "down", r->stmt + 1);
	return fail(r, e);
}

struct one_stmt {
	struct run		*r;
	const struct mig_stmt	*st;
};

static int
one_body(struct db *d, void *arg, struct merr *e)
{
	struct one_stmt *o = arg;

	(void)d;
	return run_sql(o->r, o->st, o->st->sql, e);
}

/*
 * An interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index that
 * IF NOT EXISTS would then keep: drop it before building again.
 */
static int
drop_invalid_index(struct run *r, const struct mig_stmt *st, struct merr *e)
{
	json_t *root = json_loads(st->tree, 0, NULL), *n;
	const char *name, *schema, *p[2];
	PGresult *res;
	char *sql;
	int rc = 0;

	n = json_object_get(json_object_get(json_array_get(json_object_get(
	    root, "stmts"), 0), "stmt"), "IndexStmt");
	name = json_string_value(json_object_get(n, "idxname"));
	schema = json_string_value(json_object_get(json_object_get(n,
	    "relation"), "schemaname"));
	if (name == NULL || !json_is_true(json_object_get(n, "concurrent")))
		goto out;
	p[0] = name;
	p[1] = schema;
	if ((rc = db_query(r->env->db, "SELECT c.oid::regclass::text FROM "
	    "pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN "
	    "pg_namespace s ON s.oid = c.relnamespace WHERE c.relname = $1 "
	    "AND NOT i.indisvalid AND (s.nspname = $2 OR ($2 IS NULL AND "
	    "pg_table_is_visible(c.oid)))", 2, p, &res, e)) == -1)
		goto out;
	if (PQntuples(res) == 1 && asprintf(&sql, "DROP INDEX CONCURRENTLY "
	    "IF EXISTS %s", PQgetvalue(res, 0, 0)) != -1) {
		run_progress(r, "statement", "dropping the invalid index left "
		    "by the interrupted run");
		rc = db_exec(r->env->db, sql, e);
		free(sql);
	}
	PQclear(res);
out:
	json_decref(root);
	return rc;
}

static int
run_stmt_notx(struct run *r, struct merr *e)
{
	const struct mig_stmt *st = &r->sc->stmts[r->stmt];
	struct one_stmt o = { r, st };

	r->rows_done = 0;
	r->rows_total = -1;
	if (st->kind == MIG_STMT_BATCH)
		return backfill_run(r, st, e);
	if (r->resume && r->stmt == r->resume->stmt_done &&
	    drop_invalid_index(r, st, e) == -1)
		return -1;
	return db_notx(r->env->db, &r->retry, one_body, &o, e);
}

static int
run_notx(struct run *r, struct merr *e)
{
	size_t i, start = 0;

	if (r->resume && r->resume->dirty)
		start = (size_t)r->resume->stmt_done;
	for (i = start; i < r->sc->nstmts; i++) {
		r->stmt = (int)i;
		if (r->sc->stmts[i].kind == MIG_STMT_BATCH &&
		    backfill_check(r, &r->sc->stmts[i], e) == -1)
			return fail(r, e);
	}
	if (stopped_first(r, e) || mark_dirty(r, e) == -1)
		return fail(r, e);
	for (i = start; i < r->sc->nstmts; i++) {
		r->stmt = (int)i;
		if (run_stopped(r)) {
			merr_set(e, MERR_STATE, "'%s' interrupted before "
			    "statement %zu of %zu", r->m->id, i + 1,
			    r->sc->nstmts);
			return stopped_at(r, e);
		}
		run_progress(r, "statement", NULL);
		if (run_stmt_notx(r, e) == -1)
			return stopped_at(r, e);
		r->executed++;
		if (tracking_progress(r->env->db, r->env->cfg, r->m->version,
		    (int)i + 1, NULL, 0, e) == -1)
			return stopped_at(r, e);
	}
	r->stmt = (int)r->sc->nstmts;
	if (db_tx(r->env->db, &r->retry, finish_body, r, e) == -1)
		return stopped_at(r, e);
	run_progress(r, "done", NULL);
	return 0;
}

/* ---- the file's own BEGIN/COMMIT ------------------------------------ */

static int
explicit_step(struct run *r, size_t i, int *txbegin, struct merr *e)
{
	const struct mig_stmt *st = &r->sc->stmts[i];

	if (st->kind == MIG_STMT_TXCTL &&
	    PQtransactionStatus(r->env->db->conn) == PQTRANS_IDLE)
		*txbegin = (int)i;
	if (run_sql(r, st, st->sql, e) == -1)
		return -1;
	if (PQtransactionStatus(r->env->db->conn) == PQTRANS_IDLE)
		*txbegin = -1;
	r->executed++;
	/* inside the file's transaction this commits (or not) with it */
	return tracking_progress(r->env->db, r->env->cfg, r->m->version,
	    (int)i + 1, NULL, 0, e);
}

static int
run_explicit(struct run *r, struct merr *e)
{
	size_t i = 0;
	int txbegin = -1, tries = 0;
	long backoff = r->retry.backoff_ms > 0 ? r->retry.backoff_ms : 100;
	struct merr ignore;

	if (stopped_first(r, e) || mark_dirty(r, e) == -1 ||
	    db_set_timeouts(r->env->db, 0, r->retry.lock_timeout_ms,
	    r->retry.statement_timeout_ms, e) == -1)
		return fail(r, e);
	if (r->resume && r->resume->dirty)
		i = (size_t)r->resume->stmt_done;
	for (; i < r->sc->nstmts; i++) {
		r->stmt = (int)i;
		if (txbegin == -1 && run_stopped(r)) {
			merr_set(e, MERR_STATE, "'%s' interrupted before "
			    "statement %zu", r->m->id, i + 1);
			goto failed;
		}
		if (explicit_step(r, i, &txbegin, e) == 0)
			continue;
		if (PQtransactionStatus(r->env->db->conn) != PQTRANS_IDLE)
			db_exec(r->env->db, "ROLLBACK", &ignore);
		if (!db_is_lock_timeout(e) || tries++ >= r->retry.retries)
			goto failed;
		on_retry(r, tries, e);
		run_sleep_ms(backoff);
		backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
		i = (size_t)(txbegin >= 0 ? txbegin : (int)i) - 1;
		txbegin = -1;
	}
	db_exec(r->env->db, "RESET lock_timeout; RESET statement_timeout",
	    &ignore);
	r->stmt = (int)r->sc->nstmts;
	if (db_tx(r->env->db, &r->retry, finish_body, r, e) == -1)
		return stopped_at(r, e);
	run_progress(r, "done", NULL);
	return 0;
failed:
	db_exec(r->env->db, "RESET lock_timeout; RESET statement_timeout",
	    &ignore);
	return stopped_at(r, e);
}

int
runner_run(const struct mig_env *env, const struct migration *m,
    enum run_dir dir, const struct trk_row *resume, int *stmts,
    struct merr *e)
{
	const struct config *c = env->cfg;
	struct merr ignore;
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.env = env;
	r.m = m;
	r.sc = dir == RUN_UP ? &m->up : &m->down;
	r.dirname = dir == RUN_UP ? "up" : "down";
	r.resume = resume;
	r.rows_total = -1;
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	runner_actor_name(env->actor, r.actor, sizeof(r.actor));
	r.retry.lock_timeout_ms = r.sc->lock_timeout_ms >= 0 ?
	    r.sc->lock_timeout_ms : c->lock_timeout_ms;
	r.retry.statement_timeout_ms = r.sc->statement_timeout_ms >= 0 ?
	    r.sc->statement_timeout_ms : c->statement_timeout_ms;
	r.retry.retries = (int)(r.sc->lock_retries >= 0 ?
	    r.sc->lock_retries : c->lock_retries);
	r.retry.backoff_ms = c->retry_backoff_ms;
	r.retry.on_retry = on_retry;
	r.retry.arg = &r;
	if (r.sc->path == NULL || !r.sc->parsed)
		return merr_set(e, MERR_INTERNAL, "'%s' has no prepared %s "
		    "script", m->id, r.dirname);
	run_progress(&r, "start", NULL);
	if (r.sc->tx == MIG_TX_ONE)
		rc = run_one_tx(&r, e);
	else if (r.sc->tx == MIG_TX_NONE)
		rc = run_notx(&r, e);
	else
		rc = run_explicit(&r, e);
	/* a file's session-level SET stays with the file (a failure here
	 * means a lost connection, which the caller sees next) */
	merr_clear(&ignore);
	if (db_ok(env->db) && PQtransactionStatus(env->db->conn) ==
	    PQTRANS_IDLE)
		db_reset_session(env->db, &ignore);
	if (stmts)
		*stmts = r.executed;
	return rc;
}
