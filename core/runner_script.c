/*
 * runner_script.c - tier 2's producer: one migration script as a work of
 * one unit (one transaction, statement by statement, or the file's own
 * BEGIN/COMMIT), and the target that keeps its tracking row and audit
 * events.  runner.c executes it.  See runner.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "mtime.h"
#include "quote.h"
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
	return mtime_now_ms() - r->t0;
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
	p.pace = r->pace;
	r->env->progress(r->env->progress_arg, &p);
}

static const char *
verb(const struct run *r)
{
	return strcmp(r->dirname, "up") == 0 ? "apply" : "roll back";
}

/* Put the statement's place in front of a database error. */
void
run_sql_failed(struct run *r, const struct mig_stmt *st, struct merr *e)
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

/*
 * A failure after the file's last statement (its records, or its COMMIT:
 * a deferred constraint's check) names the file; no statement is known.
 */
static void
run_end_failed(struct run *r, struct merr *e)
{
	char msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	snprintf(e->msg, sizeof(e->msg), "cannot %s '%.120s': after its last "
	    "statement: %.300s", verb(r), r->m->id, msg);
	snprintf(e->file, sizeof(e->file), "%s", r->sc->path);
}

int
run_sql(struct run *r, const struct mig_stmt *st, const char *sql,
    struct merr *e)
{
	merr_clear(e);	/* a retry must not inherit the last position */
	if (db_exec(r->env->db, sql, e) == 0)
		return 0;
	run_sql_failed(r, st, e);
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
		ev.tx = r->tx;
	}
	if (event_emit(r->env->hook, r->env->db, &ev, e) == -1 && ok == 0)
		merr_clear(e);	/* a failure record is best effort */
}

/* The success, as recorded (at ok_ms) and said once it committed. */
static void
ok_event(const struct run *r, struct mig_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->action = strcmp(r->dirname, "up") == 0 ? "tier2.apply" :
	    "tier2.rollback";
	ev->target = r->m->id;
	ev->checksum = r->m->checksum;
	ev->duration_ms = r->ok_ms;
	ev->statements = r->executed;
}

/*
 * The success record, in the transaction that commits; nothing is said
 * of it until its COMMIT was read (said_ok, at the unit's "done"): that
 * COMMIT may go out with the next file and fail.
 */
static int
emit_ok(struct run *r, struct merr *e)
{
	struct mig_event ev;

	r->ok_ms = run_elapsed_ms(r);
	ok_event(r, &ev);
	ev.ok = 1;
	ev.unread = 1;
	return event_emit(r->env->hook, r->env->db, &ev, e);
}

static void
said_ok(const struct run *r)
{
	struct mig_event ev;

	ok_event(r, &ev);
	ev.ok = 1;
	event_said(r->env->hook, &ev);
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

/* "after 3 tries", "after 1 try" */
static const char *
tries(const struct run *r, char *buf, size_t len)
{
	int n = r->w.lim.retries + 1;

	snprintf(buf, len, "after %d tr%s", n, n == 1 ? "y" : "ies");
	return buf;
}

/*
 * What waited after the file's last statement: its records (the tracking
 * row, the audit chain's lock) or, at_commit, its COMMIT (a deferred
 * constraint's check).
 */
static void
lock_end_message(struct run *r, int at_commit, struct merr *e)
{
	char n[32];

	snprintf(e->msg, sizeof(e->msg), "cannot %s '%.150s': lock timeout "
	    "%s %s", verb(r), r->m->id, at_commit ? "at its COMMIT" :
	    "on its records", tries(r, n, sizeof(n)));
	if (at_commit)
		merr_detail(e, "its COMMIT (a deferred constraint's check) "
		    "waited %ld ms for a lock on each try", r->w.lim.lock_ms);
	else
		merr_detail(e, "its tracking row or the audit chain's lock, "
		    "after its last statement, waited %ld ms on each try",
		    r->w.lim.lock_ms);
	snprintf(e->file, sizeof(e->file), "%s", r->sc->path);
}

/*
 * "cannot apply '20240103_x': lock timeout on "activity_logs" after 5
 * tries", with PostgreSQL's own words and the statement in the detail.
 */
static void
lock_message(struct run *r, int at_commit, struct merr *e)
{
	const struct mig_stmt *st = r->stmt < (int)r->sc->nstmts ?
	    &r->sc->stmts[r->stmt] : NULL;
	json_t *root = st ? mig_stmt_tree(st) : NULL;
	const char *rel = root ? tree_relname(root) : NULL;
	char n[32];

	if (st == NULL) {
		lock_end_message(r, at_commit, e);
	} else {
		snprintf(e->msg, sizeof(e->msg), "cannot %s '%.150s': lock "
		    "timeout on \"%.64s\" %s", verb(r), r->m->id,
		    rel ? rel : "?", tries(r, n, sizeof(n)));
		merr_detail(e, "statement %d of %zu waited %ld ms for its "
		    "lock on each try", r->stmt + 1, r->sc->nstmts,
		    r->w.lim.lock_ms);
	}
	merr_hint(e, "a long transaction holds a conflicting lock; see "
	    "pg_stat_activity, then run it again");
	json_decref(root);
}

/* ---- the target: tracking row, events, progress ---- */

static int
put_row(struct run *r, struct db *d, int dirty, struct merr *e)
{
	struct trk_row w;

	memset(&w, 0, sizeof(w));
	w.version = (char *)(uintptr_t)r->m->version;
	w.name = r->m->name;
	w.checksum = (char *)(uintptr_t)r->m->checksum;
	w.applied_by = r->actor;
	w.dirty = dirty;
	w.duration_ms = dirty ? 0 : run_elapsed_ms(r);
	w.direction = (char *)(uintptr_t)(dirty ? r->dirname : "up");
	return tracking_put(d, r->env->cfg, &w, e);
}

/*
 * A file with a paced batch line is background work: its server backend
 * gets the nice value timeouts.batch_nice (core/prio.h), and builds
 * indexes without parallel workers (other processes, at the server's
 * priority), until the file ends.  A "pace" event says so, or why not.
 */
static void
prio_begin(struct run *r, const struct work_unit *u)
{
	long nice = r->env->cfg->batch_nice;
	struct merr why, ignore;
	char note[sizeof(why.msg) + 64];

	if (backfill_first_paced(r, u) == u->nsteps || nice <= 0 ||
	    r->prio.pid != 0)
		return;
	merr_clear(&why);
	merr_clear(&ignore);
	if (prio_lower(&r->prio, r->env->db, (int)nice, &why) == 0 &&
	    db_exec(r->env->db, "SET max_parallel_maintenance_workers = 0",
	    &why) == 0) {
		snprintf(note, sizeof(note), "server backend %d at nice %ld "
		    "until the file ends, index builds without parallel "
		    "workers", r->prio.pid, nice);
	} else {
		prio_restore(&r->prio, r->env->db, &ignore);
		snprintf(note, sizeof(note), "server backend's priority left "
		    "as it is: %s", why.msg);
	}
	run_progress(r, "pace", note);
}

/*
 * The backend's priority and parallel workers back as they were; a
 * failure to is said in a "pace" event, and fails nothing (the file's
 * work is done or has failed on its own).
 */
static void
prio_end(struct run *r)
{
	struct merr ignore, why;

	if (r->prio.pid == 0)
		return;
	merr_clear(&ignore);
	merr_clear(&why);
	if (db_ok(r->env->db))
		db_exec(r->env->db, "RESET max_parallel_maintenance_workers",
		    &ignore);
	if (prio_restore(&r->prio, r->env->db, &why) == -1)
		run_progress(r, "pace", why.msg);
}

/*
 * Statement by statement or explicit: batches checked, the backend's
 * priority lowered and the baselines taken for paced ones, the row
 * dirty.  In one transaction (each attempt): the count starts again, no
 * row yet.
 */
static int
t2_begin(void *arg, const struct work_unit *u, struct merr *e)
{
	struct run *r = arg;

	r->tx = 0;	/* no records of this attempt yet */
	if (u->mode == WORK_TX) {	/* in the transaction: nothing to mark */
		r->executed = 0;
		return 0;
	}
	for (size_t i = u->start; u->mode == WORK_EACH && i < u->nsteps; i++) {
		r->stmt = (int)i;
		if (u->steps[i].custom &&
		    backfill_check(r, &r->sc->stmts[i], e) == -1)
			return -1;
	}
	r->stmt = (int)u->start;
	prio_begin(r, u);
	backfill_baseline(r, u);
	if (r->resume && r->resume->dirty &&
	    strcmp(r->resume->direction, r->dirname) == 0) {
		r->marked = 1;	/* resuming: the row holds our progress */
		return 0;
	}
	if (put_row(r, r->env->db, 1, e) == -1)
		return -1;
	r->marked = 1;
	return 0;
}

static int
t2_step_done(void *arg, const struct work_unit *u, size_t i, struct merr *e)
{
	struct run *r = arg;

	r->executed++;
	if (u->mode == WORK_TX)
		return 0;
	/* inside the file's own transaction this commits (or not) with it */
	return tracking_progress(r->env->db, r->env->cfg, r->m->version,
	    (int)i + 1, NULL, 0, e);
}

static int
t2_finish(void *arg, const struct work_unit *u, struct merr *e)
{
	struct run *r = arg;
	struct db *d = r->env->db;

	r->stmt = (int)r->sc->nstmts;
	r->tx = d->ntx;	/* a failure of its COMMIT names it (event.h) */
	prio_end(r);
	if (strcmp(r->dirname, "down") == 0) {
		if (tracking_delete(d, r->env->cfg, r->m->version, e) == -1)
			return -1;
	} else if (u->mode == WORK_TX) {
		if (put_row(r, d, 0, e) == -1)
			return -1;
	} else if (tracking_finish(d, r->env->cfg, r->m->version,
	    r->m->checksum, run_elapsed_ms(r), e) == -1) {
		return -1;
	}
	return emit_ok(r, e);
}

/* The failure: worded, kept on the dirty row, recorded. */
static void
t2_fail(void *arg, const struct work_unit *u, size_t i, struct merr *e)
{
	struct run *r = arg;
	struct merr ignore;
	char msg[sizeof(e->msg)];

	r->stmt = (int)(i > u->nsteps ? u->nsteps : i);	/* its COMMIT */
	/* pipelined: the steps after the failed one were sent, not run */
	if (u->mode == WORK_TX && i < u->nsteps && r->executed > (int)i)
		r->executed = (int)i;
	if (e->code == MERR_STATE && strncmp(e->msg, RUNNER_INTERRUPTED,
	    strlen(RUNNER_INTERRUPTED)) == 0) {
		snprintf(msg, sizeof(msg), "%s", e->msg);
		snprintf(e->msg, sizeof(e->msg), "'%.200s' %.300s", r->m->id,
		    msg);
	} else if (i < u->nsteps && e->file[0] == '\0') {
		run_sql_failed(r, &r->sc->stmts[i], e);
	} else if (e->file[0] == '\0' && e->code != MERR_LOCKED) {
		run_end_failed(r, e);
	}
	if (e->code == MERR_LOCKED && strstr(e->msg, ": lock timeout ") == NULL)
		lock_message(r, i > u->nsteps, e);
	merr_clear(&ignore);
	prio_end(r);
	if (r->marked && db_ok(r->env->db)) {
		tracking_fail(r->env->db, r->env->cfg, r->m->version, e->msg,
		    e->sqlstate, &ignore);
		if (e->hint[0] == '\0')
			merr_hint(e, "fix the cause and run 'migratectl %s' "
			    "again: it resumes at statement %d", r->dirname,
			    r->stmt + 1);
	}
	emit(r, "tier2.fail", 0, e, &ignore);
	run_progress(r, "fail", e->msg);
}

static void
t2_retry(void *arg, const struct work_unit *u, size_t i, int attempt,
    const struct merr *err)
{
	struct run *r = arg;
	struct mig_event ev;
	struct merr ignore;
	char note[160];

	r->stmt = (int)(i > u->nsteps ? u->nsteps : i);	/* its COMMIT */
	memset(&ev, 0, sizeof(ev));
	ev.action = "lock.retry";
	ev.target = r->m->id;
	ev.duration_ms = -1;
	ev.error = err->msg;
	ev.sqlstate = err->sqlstate[0] ? err->sqlstate : NULL;
	merr_clear(&ignore);
	event_emit(r->env->hook, r->env->db, &ev, &ignore);
	snprintf(note, sizeof(note), "lock timeout, retry %d of %d", attempt,
	    r->w.lim.retries);
	run_progress(r, "retry", note);
}

static void
t2_progress(void *arg, const struct work_unit *u, size_t i,
    const char *phase, const char *note)
{
	struct run *r = arg;

	(void)u;
	r->stmt = (int)i;
	r->rows_done = 0;
	r->rows_total = -1;
	if (strcmp(phase, "done") == 0) {
		r->done_ms = run_elapsed_ms(r);
		said_ok(r);
	}
	run_progress(r, strcmp(phase, "settled") == 0 ? "statement" : phase,
	    note);
}

static int
t2_exec(void *arg, struct runner *ex, const struct work_unit *u, size_t i,
    struct merr *e)
{
	struct run *r = arg;

	(void)u;
	r->stmt = (int)i;
	return backfill_run(r, ex, &r->sc->stmts[i], e);
}

/* ---- the script as a work ---- */

/*
 * CREATE INDEX CONCURRENTLY cut off by a kill, a cancel or a lock timeout:
 * the server may have finished the build (a valid index: done) or left
 * an INVALID one that IF NOT EXISTS would then keep (drop it, build
 * again).  Check and cleanup SQL for step st, malloc'd into *check and
 * *cleanup, or both NULL for any other statement.
 */
static int
index_settle_sql(const struct mig_stmt *st, char **check, char **cleanup)
{
	json_t *root = mig_stmt_tree(st), *n;
	const char *name, *schema;
	char *lname = NULL, *lschema = NULL, *q = NULL;
	int rc = 0;

	*check = *cleanup = NULL;
	n = json_object_get(json_object_get(json_array_get(json_object_get(
	    root, "stmts"), 0), "stmt"), "IndexStmt");
	name = json_string_value(json_object_get(n, "idxname"));
	schema = json_string_value(json_object_get(json_object_get(n,
	    "relation"), "schemaname"));
	if (name == NULL || !json_is_true(json_object_get(n, "concurrent")))
		goto out;
	lname = quote_literal(name);
	lschema = schema ? quote_literal(schema) : strdup("NULL");
	q = schema ? quote_qualified(schema, name) : quote_ident(name);
	if (!lname || !lschema || !q || asprintf(check, "SELECT EXISTS "
	    "(SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = "
	    "i.indexrelid JOIN pg_namespace s ON s.oid = c.relnamespace "
	    "WHERE c.relname = %s AND i.indisvalid AND (s.nspname = %s OR "
	    "(%s IS NULL AND pg_table_is_visible(c.oid))))", lname, lschema,
	    lschema) == -1 || asprintf(cleanup, "DROP INDEX CONCURRENTLY IF "
	    "EXISTS %s", q) == -1) {
		free(*check);
		*check = NULL;
		rc = -1;
	}
out:
	free(lname);
	free(lschema);
	free(q);
	json_decref(root);
	return rc;
}

/* A goose StatementBegin/End block may hold several statements. */
static int
in_block(const struct mig_script *sc, const struct mig_stmt *st)
{
	size_t off = (size_t)(st->sql - sc->text);

	for (size_t k = 0; k < sc->nblocks; k++)
		if (off >= sc->blocks[2 * k] && off < sc->blocks[2 * k + 1])
			return 1;
	return 0;
}

static void
run_release(struct run *r)
{
	for (size_t i = 0; r->u.steps && i < r->u.nsteps; i++) {
		free((char *)(uintptr_t)r->u.steps[i].check);
		free((char *)(uintptr_t)r->u.steps[i].cleanup);
	}
	free(r->u.steps);
}

static int
run_build(struct run *r, struct merr *e)
{
	const struct mig_script *sc = r->sc;
	struct work_unit *u = &r->u;
	char *check, *cleanup;

	u->mode = sc->tx == MIG_TX_ONE ? WORK_TX : sc->tx == MIG_TX_NONE ?
	    WORK_EACH : WORK_EXPLICIT;
	u->src = r->m;
	if ((u->steps = calloc(sc->nstmts + 1, sizeof(*u->steps))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	u->nsteps = sc->nstmts;
	if (u->mode != WORK_TX && r->resume && r->resume->dirty) {
		u->start = (size_t)r->resume->stmt_done;
		u->resumed = 1;
	}
	for (size_t i = 0; i < sc->nstmts; i++) {
		u->steps[i].sql = sc->stmts[i].sql;
		u->steps[i].src = &sc->stmts[i];
		u->steps[i].sub = i;
		u->steps[i].several = in_block(sc, &sc->stmts[i]);
		u->steps[i].custom = u->mode == WORK_EACH &&
		    sc->stmts[i].kind == MIG_STMT_BATCH;
		if (u->mode != WORK_EACH)
			continue;
		/* a statement that may run in a transaction block commits
		   with its progress: a connection lost between the two (a
		   switchover) cannot leave it done and not counted, to be
		   run again on the resume */
		u->steps[i].tx = sc->stmts[i].kind == MIG_STMT_PLAIN;
		if (index_settle_sql(&sc->stmts[i], &check, &cleanup) == -1)
			return merr_set(e, MERR_NOMEM, "out of memory");
		u->steps[i].check = check;
		u->steps[i].cleanup = cleanup;
	}
	r->w.units = u;
	r->w.nunits = 1;
	return 0;
}

static void
run_limits(struct run *r)
{
	const struct config *c = r->env->cfg;
	const struct mig_script *sc = r->sc;

	r->w.lim.lock_ms = sc->lock_timeout_ms >= 0 ? sc->lock_timeout_ms :
	    c->lock_timeout_ms;
	r->w.lim.stmt_ms = sc->statement_timeout_ms >= 0 ?
	    sc->statement_timeout_ms : c->statement_timeout_ms;
	r->w.lim.retries = (int)(sc->lock_retries >= 0 ? sc->lock_retries :
	    c->lock_retries);
	r->w.lim.backoff_ms = c->retry_backoff_ms;
	r->w.target = (struct work_target){ t2_begin, t2_step_done, t2_finish,
	    t2_fail, t2_retry, t2_progress, t2_exec, r };
	r->w.fault = r->env->fault;
	r->w.fault_arg = r->env->fault_arg;
	r->w.pipeline = 1;	/* WORK_TX: one round trip a file (chain) */
	r->w.reset = 1;		/* a file's SET stays with the file (but
				   see runner_run_list) */
}

/* Set up r for m's script; "start" comes from the runner (chain). */
static int
run_init(struct run *r, const struct mig_env *env, const struct migration *m,
    enum run_dir dir, const struct trk_row *resume, struct merr *e)
{
	memset(r, 0, sizeof(*r));
	r->env = env;
	r->m = m;
	r->sc = dir == RUN_UP ? &m->up : &m->down;
	r->dirname = dir == RUN_UP ? "up" : "down";
	r->resume = resume;
	r->rows_total = -1;
	r->t0 = mtime_now_ms();
	runner_actor_name(env->actor, r->actor, sizeof(r->actor));
	if (r->sc->path == NULL || !r->sc->parsed)
		return merr_set(e, MERR_INTERNAL, "'%s' has no prepared %s "
		    "script", m->id, r->dirname);
	run_limits(r);
	return run_build(r, e);
}

/*
 * After a file: a file's session-level SET stays with the file (its
 * COMMIT's round trip reset it, unless it failed, ran outside one
 * transaction, or could change nothing (runner_run_list); a failure here
 * means a lost connection, which the caller sees next).
 */
static void
run_after(struct run *r, int rc)
{
	struct db *d = r->env->db;
	struct merr ignore;

	merr_clear(&ignore);
	if ((rc == -1 || r->u.mode != WORK_TX) && db_ok(d) &&
	    PQtransactionStatus(d->conn) == PQTRANS_IDLE)
		db_reset_session(d, &ignore);
}

/* The file whose COMMIT was in flight is settled: it committed. */
static int
run_settled(struct run *r, size_t i, runner_done_fn done, void *arg,
    struct merr *e)
{
	int rc = done(arg, i, r->done_ms, r->executed, e);

	run_release(r);
	return rc;
}

/*
 * The file before (pw), whose COMMIT was in flight when the next one's
 * runner_exec() began, once that returned: 0 it committed, -1 it did not
 * (its failure recorded; e says why).  Its COMMIT is read here if it is
 * still in flight, whatever became of the next file (runner_exec() reads
 * it first, so this is a safeguard): no file is reported applied on a
 * COMMIT nobody read.
 */
static int
prev_settled(const struct mig_env *env, struct runner_chain *ch,
    const struct work *pw, struct merr *e)
{
	struct merr pe;

	if (ch->held == pw) {
		merr_clear(&pe);
		if (runner_chain_end(env->db, env->stop, ch, &pe) == -1) {
			*e = pe;
			return -1;
		}
	}
	return ch->failed == pw ? -1 : 0;
}

/*
 * May the session reset be left out after a file none of whose
 * statements can change the session (mig_script.session_inert)?  Not
 * when an event trigger would run the database's own code on its DDL,
 * nor after a file that could have made one (the caller stops asking
 * then): one question, asked only when such a file is in the list; a
 * failure to ask says no (a lost connection fails the first file next).
 */
static int
reset_skippable(const struct mig_env *env, struct migration *const *v,
    size_t n, enum run_dir dir)
{
	const struct mig_script *sc;
	PGresult *res = NULL;
	struct merr ignore;
	size_t i;
	int ok;

	for (i = 0; i < n; i++) {
		sc = dir == RUN_UP ? &v[i]->up : &v[i]->down;
		if (sc->session_inert && sc->tx == MIG_TX_ONE)
			break;	/* the others are reset by run_after() */
	}
	merr_clear(&ignore);
	if (i == n || db_query(env->db, "SELECT NOT EXISTS (SELECT FROM "
	    "pg_catalog.pg_event_trigger WHERE evtenabled <> 'D')", 0, NULL,
	    &res, &ignore) == -1)
		return 0;
	ok = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return ok;
}

static int
run_files(const struct mig_env *env, struct migration *const *v,
    size_t n, enum run_dir dir, const struct trk_row *const *resume,
    runner_done_fn done, void *arg, struct merr *e)
{
	struct runner_chain ch;
	struct run runs[2], *cur, *prev = NULL;
	struct merr ignore;
	size_t i;
	int rc = 0, skip = reset_skippable(env, v, n, dir);

	memset(&ch, 0, sizeof(ch));
	for (i = 0; i < n && rc == 0; i++) {
		cur = &runs[i % 2];
		if (i > 0 && env->stop && *env->stop) {
			rc = merr_set(e, MERR_STATE, "interrupted before "
			    "'%s'", v[i]->id);
			break;
		}
		if ((rc = run_init(cur, env, v[i], dir, resume[i], e)) == -1) {
			run_release(cur);
			break;
		}
		cur->w.chain = &ch;
		cur->w.guard = env->lockdb ? env->lockdb->guard : 0;
		/* once a file needs its reset, every later one has it:
		   chain_failed() (runner.c) relies on it, reading a
		   unit's reset as also the one before it */
		cur->w.reset = !(skip && cur->sc->session_inert);
		skip = skip && cur->sc->session_inert;
		rc = runner_exec(env->db, env->stop, &cur->w, e);
		if (prev && prev_settled(env, &ch, &prev->w, e) == -1) {
			run_after(prev, -1);	/* it failed; cur was skipped
					   (runner.h: unless in doubt) */
			run_release(prev);
			run_release(cur);
			prev = NULL;
			rc = -1;
			break;
		}
		merr_clear(&ignore);
		if (prev && run_settled(prev, i - 1, done, arg,
		    rc == 0 ? e : &ignore) == -1 && rc == 0)
			rc = -1;
		prev = NULL;
		if (ch.held == &cur->w) {	/* runner_exec() returned 0 */
			prev = cur;	/* its COMMIT is in flight */
			continue;
		}
		run_after(cur, rc);
		if (rc == 0)
			rc = run_settled(cur, i, done, arg, e);
		else
			run_release(cur);
	}
	if (prev) {	/* the last COMMIT, or the one before a stop */
		struct merr pe;

		merr_clear(&pe);
		if (runner_chain_end(env->db, env->stop, &ch, &pe) == -1) {
			run_after(prev, -1);
			run_release(prev);
			*e = pe;
			return -1;
		}
		if (run_settled(prev, i - 1, done, arg, &pe) == -1 && rc == 0) {
			*e = pe;
			rc = -1;
		}
	}
	return rc;
}

/*
 * The configured timeouts set once for the session, not in each file's
 * transaction (db_begin: a file with timeouts of its own still sets
 * them, and so do all after the first file that is not session-inert,
 * whose reset resets them), and reset after the files; not behind a
 * pooler in transaction mode, which may run each transaction on another
 * server session, nor for fewer than RUN_SESSION_MIN files, for which
 * the two round trips cost more than the statements they save.
 */
#define RUN_SESSION_MIN	16

static int
session_idle(struct db *d)
{
	return db_ok(d) && d->pipe == NULL &&
	    PQtransactionStatus(d->conn) == PQTRANS_IDLE;
}

int
runner_run_list(const struct mig_env *env, struct migration *const *v,
    size_t n, enum run_dir dir, const struct trk_row *const *resume,
    runner_done_fn done, void *arg, struct merr *e)
{
	struct db *d = env->db;
	struct merr ignore;
	int rc, set = 0;

	merr_clear(&ignore);
	if (n >= RUN_SESSION_MIN && session_idle(d) &&
	    db_session_own(d, &ignore) == 1)
		set = db_session_timeouts(d, env->cfg->lock_timeout_ms,
		    env->cfg->statement_timeout_ms, &ignore) == 0;
	rc = run_files(env, v, n, dir, resume, done, arg, e);
	if (set && session_idle(d))
		(void)db_reset_timeouts(d, &ignore);
	d->tmo_set = 0;
	return rc;
}
