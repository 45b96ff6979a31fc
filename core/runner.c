/*
 * runner.c - the one executor: a struct work, unit by unit, step by step.
 * See runner.h and work.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "mtime.h"
#include "runner.h"

/* How one attempt is wrapped. */
enum att {
	ATT_TX,		/* BEGIN + SET LOCAL timeouts ... COMMIT */
	ATT_NOTX,	/* SET timeouts ... RESET (autocommit) */
	ATT_ASIS,	/* the steps bring their own BEGIN/COMMIT */
};

/* The lock the caller took lasts as long as its session: still there? */
static int
lock_kept(struct db *d, struct merr *e)
{
	struct merr why;

	merr_clear(&why);
	if (db_alive(d) && db_exec(d, "SELECT 1", &why) == 0)
		return 0;
	merr_set(e, MERR_CONNECT, "lost the migration lock: the connection "
	    "that held it ended");
	merr_detail(e, "the session advisory lock %s ended with its session "
	    "on %s (%s), and another session may hold it now: nothing more "
	    "is run; what was committed before stays", DB_LOCK_KEY_STR,
	    d->where, why.msg[0] ? why.msg : "connection closed");
	merr_hint(e, "run again (an idle-session timeout or a proxy's idle "
	    "timeout shorter than a run ends the lock's connection)");
	return -1;
}

int
runner_lock(const struct mig_env *env, long wait_ms, int *took, int *waited,
    struct merr *e)
{
	struct db_lock_policy p = { wait_ms, env->stop, 0 };
	int w;

	*took = 0;
	if (env->lockdb == NULL)
		return 0;
	if (env->held)
		return lock_kept(env->lockdb, e);
	if (env->lockdb->conn == NULL) {
		if (db_connect(env->lockdb, env->cfg->database,
		    DB_LOCK_APPNAME, e) == -1)
			return -1;
		p.fresh = 1;
	}
	if (db_lock_take(env->lockdb, &p, waited ? waited : &w, e) == -1)
		return -1;
	*took = 1;
	return 0;
}

int
runner_stopped(const struct runner *r)
{
	return r->stop && *r->stop;
}

void
runner_init(struct runner *r, struct db *db, volatile sig_atomic_t *stop,
    const struct work *w)
{
	memset(r, 0, sizeof(*r));
	r->db = db;
	r->stop = stop;
	r->w = w;
}

/*
 * The connection was lost after COMMIT went out: whether the transaction
 * committed is known only to the server (or, after a switchover, to the
 * new primary).  SQLSTATE 08007, transaction_resolution_unknown, says so
 * to whoever records the failure (the daemon looks it up once back),
 * whatever the server said as it went (57P01 for a shutdown).  A failure
 * of the connection's own (a statement failed) leaves it usable: that
 * transaction certainly did not commit.
 */
static void
commit_in_doubt(struct runner *r, struct merr *e)
{
	if (db_ok(r->db))
		return;
	snprintf(e->sqlstate, sizeof(e->sqlstate), "%s",
	    SQLSTATE_TX_UNKNOWN);
	merr_detail(e, "the connection was lost after COMMIT was sent: "
	    "whether the transaction committed is known only to the "
	    "server; the tracking table there says");
}

/*
 * The session reset sent after a COMMIT left in flight (work.h, chain)
 * has no Sync before the next unit's BEGIN: PostgreSQL runs it in the
 * implicit transaction that BEGIN takes over, and when that transaction
 * rolls back the reset does too (the settings of the unit before, its
 * SET ROLE, search_path, are back).  So after such a rollback the
 * session is reset again, on its own, before anything else runs on it
 * (another attempt, a lock.retry or failure record).
 */
static void
reset_again(struct db *db)
{
	struct merr ignore;

	merr_clear(&ignore);
	if (db_ok(db) && PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		db_reset_session(db, &ignore);
}

/* A failure of the unit's COMMIT, not of a step's: its i (work.h). */
static void
at_commit(struct runner *r)
{
	if (r->u && r->step == r->u->nsteps)
		r->step = r->u->nsteps + 1;
}

static void
progress(struct runner *r, size_t i, const char *phase, const char *note)
{
	const struct work_target *t = &r->w->target;

	if (t->progress)
		t->progress(t->arg, r->u, i, phase, note);
}

/* A unit of a chained work begins (work.h): its "start". */
static void
progress_start(struct runner *r)
{
	r->start_due = 0;
	progress(r, 0, "start", NULL);
}

/* The held COMMIT committed: its work's "done". */
static void
chain_done(struct runner_chain *c)
{
	const struct work *hw = c->held;
	const struct work_unit *hu = &hw->units[hw->nunits - 1];

	c->held = NULL;
	if (hw->target.progress)
		hw->target.progress(hw->target.arg, hu, hu->nsteps, "done",
		    NULL);
}

/*
 * The COMMIT of the work before, left in flight (work.h, chain), read
 * with this attempt's first round trip: that work's "done" and this
 * unit's "start" when it committed; else r->held_failed, and e says why
 * (its unit's failure is recorded once this attempt has ended).
 */
static int
chain_read(struct runner *r, struct merr *e)
{
	struct merr err;

	merr_clear(&err);
	if (db_pipe_settle(r->db, &err) == -1) {
		r->held_failed = 1;
		*e = err;
		return -1;
	}
	chain_done(r->w->chain);
	if (r->start_due)
		progress_start(r);
	return 0;
}

/* Is this the last unit of a work whose last COMMIT may stay in flight? */
static int
holds(const struct runner *r)
{
	return r->w->chain && !r->unchained &&
	    r->u == &r->w->units[r->w->nunits - 1];
}

/* A test's fault injection point (work.h), if any. */
static void
fault(const struct work *w, const char *point)
{
	if (w->fault)
		w->fault(w->fault_arg, point);
}

/* The guard failed: the lock's session ended, or let go of the lock. */
static void
guard_lost(struct merr *e)
{
	char why[sizeof(e->msg)];

	snprintf(why, sizeof(why), "%s", e->msg);
	merr_clear(e);
	merr_set(e, MERR_CONNECT, "lost the migration lock: the connection "
	    "that held it ended");
	merr_detail(e, "the transaction rolled back at its guard (%s): the "
	    "session advisory lock %s was no longer held by this run, and "
	    "another session may hold it now", why, DB_LOCK_KEY_STR);
	merr_hint(e, "run again (an idle-session timeout or a proxy's idle "
	    "timeout shorter than a run ends the lock's connection)");
}

/*
 * Commit ahead (work.h, guard): the unit's guard, a Sync, its COMMIT and
 * session reset go out with its statements; what came before the Sync
 * is read while the server commits, and the COMMIT stays in flight as
 * with db_pipe_hold() (read by the next unit's attempt, or by
 * runner_chain_end()).  A failure before the Sync makes that COMMIT a
 * rollback (the transaction is aborted), read with the rest at
 * db_pipe_end(); the connection lost once it was sent leaves the unit in
 * doubt.  A client gone before its results is safe: its transaction
 * commits only if the lock's guard key is still held at its end, and the
 * lock's next holder waits for it (dbfence.c).
 */
static int
attempt_ahead(struct runner *r, int rc, struct merr *e)
{
	struct merr first, ignore;
	int tag, sent;

	if (rc == 0)
		rc = db_send_guard(r->db, r->w->guard, e);
	if (rc == 0)
		rc = db_pipe_mark(r->db, e);
	if (rc == 0)
		rc = db_send_rec(r->db, "COMMIT", 0, NULL, NULL, NULL, e);
	sent = rc == 0;
	if (rc == 0 && r->w->reset)
		rc = db_reset_session(r->db, e);
	if (rc == 0 && (rc = db_pipe_flush(r->db, e)) == 0)
		fault(r->w, "ahead-sent");
	merr_clear(&ignore);
	if (rc == -1 && r->w->chain->held)	/* the server flushes at a Sync */
		db_pipe_push_sync(r->db, &ignore);
	if (r->w->chain->held && chain_read(r, e) == -1)
		rc = -1;
	if (rc == 0 && (rc = db_pipe_read_mark(r->db, e)) == 0) {
		r->w->chain->held = r->w;
		r->w->chain->attempt = r->attempt;
		fault(r->w, "chain-held");
		return 0;
	}
	if (!r->held_failed && db_pipe_failed(r->db, &tag, &first)) {
		*e = first;
		if (tag >= 0)
			r->step = (size_t)tag;
		else if (tag == DB_TAG_GUARD && db_ok(r->db) &&
		    strcmp(e->sqlstate, SQLSTATE_GUARD_FAILED) == 0)
			guard_lost(e);
	}
	if (sent && !db_ok(r->db)) {
		at_commit(r);
		commit_in_doubt(r, e);
	}
	merr_clear(&ignore);
	db_pipe_end(r->db, &ignore);
	return -1;
}

/*
 * The end of a pipelined attempt: the chain's last unit under a guard
 * key commits ahead (above).  Otherwise everything is read, then COMMIT
 * (and the session reset) goes in a second round trip.  COMMIT is sent
 * only once the results say that all went well: a daemon killed before that leaves a
 * transaction its backend rolls back, never one that commits without
 * it (and without the migration lock, which died with it).  On a
 * failure the error is that of the statement that failed first (not of
 * the call that happened to read it), and r->step names it.  With a
 * chain the COMMIT is not read here: it stays in flight, and the next
 * work's BEGIN and statements go in the same message (read first by
 * that work's attempt, or by runner_chain_end()).
 */
static int
attempt_piped(struct runner *r, int rc, struct merr *e)
{
	struct merr first, ignore;
	int tag, sent;

	if (holds(r) && r->w->guard)
		return attempt_ahead(r, rc, e);
	if (r->w->chain && r->w->chain->held) {
		if (rc == 0)	/* the server has this unit as it commits */
			rc = db_pipe_push_sync(r->db, e);
		if (chain_read(r, e) == -1)
			rc = -1;
	}
	if (rc == 0)
		rc = db_pipe_sync(r->db, e);
	if (rc == 0)
		rc = db_send_rec(r->db, "COMMIT", 0, NULL, NULL, NULL, e);
	sent = rc == 0;
	if (rc == 0 && r->w->reset)
		rc = db_reset_session(r->db, e);
	if (rc == 0 && holds(r) && (rc = db_pipe_hold(r->db, e)) == 0) {
		r->w->chain->held = r->w;
		r->w->chain->attempt = r->attempt;
		fault(r->w, "chain-held");
		return 0;
	}
	if (rc == 0)
		rc = db_pipe_sync(r->db, e);
	/* not after a held COMMIT's failure: e is that COMMIT's */
	if (rc == -1 && !r->held_failed &&
	    db_pipe_failed(r->db, &tag, &first)) {
		*e = first;
		if (tag >= 0)
			r->step = (size_t)tag;
	}
	if (rc == -1 && sent) {
		at_commit(r);
		commit_in_doubt(r, e);
	}
	merr_clear(&ignore);
	if (db_pipe_end(r->db, rc == 0 ? e : &ignore) == -1)
		rc = -1;
	return rc;
}

static int
attempt(struct runner *r, enum att how, runner_fn fn, void *arg,
    struct merr *e)
{
	const struct work_limits *l = &r->w->lim;
	int piped = how == ATT_TX && r->w->pipeline && r->u &&
	    r->u->mode == WORK_TX;
	/* the reset of the unit before goes in this transaction */
	int carried = piped && r->w->chain && r->w->chain->held &&
	    r->w->chain->held->reset;
	struct merr ignore;
	int rc = 0;

	merr_clear(e);
	if (piped)
		rc = db_pipe_begin(r->db, e);
	if (rc == 0 && how == ATT_TX)
		rc = db_begin(r->db, l->lock_ms, l->stmt_ms, e);
	else if (rc == 0 && how == ATT_NOTX)
		rc = db_set_timeouts(r->db, 0, l->lock_ms, l->stmt_ms, e);
	if (rc == 0)
		rc = fn(r->db, arg, e);
	if (piped)
		rc = attempt_piped(r, rc, e);
	else if (rc == 0 && how == ATT_TX &&
	    (rc = db_exec(r->db, "COMMIT", e)) == -1) {
		at_commit(r);
		commit_in_doubt(r, e);
	}
	if (rc == -1 && db_ok(r->db) &&
	    PQtransactionStatus(r->db->conn) != PQTRANS_IDLE)
		db_exec(r->db, "ROLLBACK", &ignore);
	if (rc == -1 && carried)
		reset_again(r->db);
	if (how == ATT_NOTX && db_ok(r->db))
		db_reset_timeouts(r->db, &ignore);
	return rc;
}

/* The pause before retry n + 1 (n from 0): doubled each time, to 10 s. */
static long
backoff_ms(const struct work_limits *l, int n)
{
	long b = l->backoff_ms > 0 ? l->backoff_ms : 100;

	while (n-- > 0)
		b = b * 2 > 10000 ? 10000 : b * 2;
	return b;
}

/*
 * Attempt n failed (e): 1 when it goes again, after the retry callback
 * and the backoff (a lock timeout with tries left; once stopped only a
 * whole unit that has begun), else 0.
 */
static int
again(struct runner *r, int n, const struct merr *e)
{
	const struct work_limits *l = &r->w->lim;
	const struct work_target *t = &r->w->target;

	if (!db_is_lock_timeout(e) || n >= l->retries ||
	    (runner_stopped(r) && !(r->u && r->u->whole)))
		return 0;
	if (t->retry)
		t->retry(t->arg, r->u, r->step, n + 1, e);
	mtime_sleep_ms(backoff_ms(l, n));
	return 1;
}

/* Given up after attempt n: a lock timeout says how often it waited. */
static int
gave_up(struct runner *r, int n, struct merr *e)
{
	r->attempt = 0;
	if (db_is_lock_timeout(e)) {
		e->code = MERR_LOCKED;
		merr_detail(e, "lock not acquired within %ld ms, %d attempts",
		    r->w->lim.lock_ms, n + 1);
	}
	return -1;
}

/* The one retry loop, from attempt n: a lock timeout is tried again. */
static int
retrying_from(struct runner *r, enum att how, runner_fn fn, void *arg,
    int n, struct merr *e)
{
	int unprepared = 0;

	for (;; n++) {
		r->attempt = n;
		if (attempt(r, how, fn, arg, e) == 0) {
			r->attempt = 0;
			return 0;
		}
		if (r->held_failed)	/* not this unit's failure */
			return -1;
		/* the file deallocated the records' prepared statements (its
		 * DEALLOCATE ALL, a DISCARD ALL before it): the transaction
		 * rolled back, and goes once more without them (dbpipe.c) */
		if (strcmp(e->sqlstate, SQLSTATE_NO_PREPARED) == 0 &&
		    !unprepared++) {
			n--;
			continue;
		}
		if (!again(r, n, e))
			return gave_up(r, n, e);
	}
}

static int
retrying(struct runner *r, enum att how, runner_fn fn, void *arg,
    struct merr *e)
{
	return retrying_from(r, how, fn, arg, 0, e);
}

int
runner_tx(struct runner *r, runner_fn fn, void *arg, struct merr *e)
{
	return retrying(r, ATT_TX, fn, arg, e);
}

int
runner_notx(struct runner *r, runner_fn fn, void *arg, struct merr *e)
{
	return retrying(r, ATT_NOTX, fn, arg, e);
}

static int
step_done(struct runner *r, size_t i, struct merr *e)
{
	const struct work_target *t = &r->w->target;

	fault(r->w, "step-done");
	return t->step_done ? t->step_done(t->arg, r->u, i, e) : 0;
}

/*
 * The backend of a killed daemon may still be running the step's very
 * statement: a CREATE INDEX CONCURRENTLY goes on after its client died,
 * and dropping its index meanwhile deadlocks with it.  Under the
 * migration lock no live migrated runs it, so wait for it to end (its
 * statement_timeout bounds it) before asking what took effect.  The text
 * is compared as pg_stat_activity keeps it (track_activity_query_size).
 */
static int
settle_wait(struct runner *r, size_t i, const struct work_step *st,
    struct merr *e)
{
	const char *sql = "SELECT count(*) FROM pg_stat_activity"
	    " WHERE pid <> pg_backend_pid() AND datname = current_database()"
	    " AND state <> 'idle' AND (query = $1 OR (octet_length(query) >="
	    " (SELECT setting::int - 1 FROM pg_settings"
	    "  WHERE name = 'track_activity_query_size')"
	    " AND starts_with($1, query)))";
	const char *params[1] = { st->sql };
	long pause = 50;
	PGresult *res;
	int busy;

	for (;;) {
		if (db_query(r->db, sql, 1, params, &res, e) == -1)
			return -1;
		busy = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
		PQclear(res);
		if (!busy)
			return 0;
		if (runner_stopped(r))
			return merr_set(e, MERR_STATE, RUNNER_INTERRUPTED
			    " while an earlier run of statement %zu was still "
			    "running", i + 1);
		if (pause == 50)
			progress(r, i, "waiting", "an earlier run of this "
			    "statement is still running");
		mtime_sleep_ms(pause);
		if (pause < 1000)
			pause *= 2;
	}
}

/*
 * A step that may have been cut off (the first of a resumed unit, or any
 * retry outside a transaction): 1 when its check says its effect is
 * there, else 0 after its cleanup ran.
 */
static int
settle(struct runner *r, size_t i, const struct work_step *st,
    struct merr *e)
{
	PGresult *res;
	int done;

	if (settle_wait(r, i, st, e) == -1)
		return -1;
	if (st->check) {
		if (db_query(r->db, st->check, 0, NULL, &res, e) == -1)
			return -1;
		done = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		if (done)
			return 1;
	}
	if (st->cleanup && db_exec(r->db, st->cleanup, e) == -1)
		return -1;
	return 0;
}

/* ---- WORK_TX ---- */

static int
tx_body(struct db *d, void *arg, struct merr *e)
{
	struct runner *r = arg;
	const struct work_unit *u = r->u;
	const struct work_target *t = &r->w->target;

	r->step = u->nsteps;
	if (t->begin && t->begin(t->arg, u, e) == -1)
		return -1;
	for (size_t i = u->start; i < u->nsteps; i++) {
		r->step = i;
		if ((d->pipe && !u->steps[i].several ? db_send(d,
		    u->steps[i].sql, 0, NULL, (int)i, e) :
		    db_exec(d, u->steps[i].sql, e)) == -1 ||
		    step_done(r, i, e) == -1)
			return -1;
	}
	r->step = u->nsteps;
	/* the server runs the steps while the records are made */
	if (d->pipe && db_pipe_flush(d, e) == -1)
		return -1;
	return t->finish ? t->finish(t->arg, u, e) : 0;
}

/* ---- WORK_EACH ---- */

struct stepcall {
	struct runner		*r;
	size_t			 i;
	int			 resumed;	/* may have been cut off */
	int			 tx;		/* in a short transaction */
};

static int
each_body(struct db *d, void *arg, struct merr *e)
{
	struct stepcall *c = arg;
	struct runner *r = c->r;
	const struct work_step *st = &r->u->steps[c->i];
	int done = 0;

	if (!c->tx && (c->resumed || r->attempt > 0) &&
	    (done = settle(r, c->i, st, e)) == -1)
		return -1;
	if (done)
		progress(r, c->i, "settled", "already done: not run again");
	else if (db_exec(d, st->sql, e) == -1)
		return -1;
	return c->tx ? step_done(r, c->i, e) : 0;
}

static int
finish_body(struct db *d, void *arg, struct merr *e)
{
	struct runner *r = arg;
	const struct work_target *t = &r->w->target;

	(void)d;
	return t->finish ? t->finish(t->arg, r->u, e) : 0;
}

/*
 * A step, in its short transaction with its record when it has one.
 * One that PostgreSQL refuses in a transaction block, which its producer
 * did not know (CREATE SUBSCRIPTION, REINDEX DATABASE ...), runs as
 * written, in autocommit, its record after it (c->tx cleared).
 */
static int
each_run(struct runner *r, struct stepcall *c, struct merr *e)
{
	int rc = retrying(r, c->tx ? ATT_TX : ATT_NOTX, each_body, c, e);

	if (rc == -1 && c->tx && db_ok(r->db) &&
	    strcmp(e->sqlstate, SQLSTATE_IN_TX_BLOCK) == 0) {
		c->tx = 0;
		rc = retrying(r, ATT_NOTX, each_body, c, e);
	}
	return rc;
}

static int
each_step(struct runner *r, size_t i, struct merr *e)
{
	const struct work_step *st = &r->u->steps[i];
	const struct work_target *t = &r->w->target;
	struct stepcall c = { r, i, r->u->resumed && i == r->u->start,
	    st->tx };
	int rc;

	if (st->custom)
		rc = t->exec ? t->exec(t->arg, r, r->u, i, e) :
		    merr_set(e, MERR_INTERNAL, "custom step without exec");
	else
		rc = each_run(r, &c, e);
	if (rc == 0 && !c.tx)
		rc = step_done(r, i, e);
	return rc;
}

static int
interrupted(struct runner *r, struct merr *e)
{
	return merr_set(e, MERR_STATE, RUNNER_INTERRUPTED " before statement "
	    "%zu of %zu", r->step + 1, r->u->nsteps);
}

static int
unit_each(struct runner *r, struct merr *e)
{
	const struct work_unit *u = r->u;

	for (size_t i = u->start; i < u->nsteps; i++) {
		r->step = i;
		/* before each unit: runner_exec; a whole unit goes on */
		if (!u->whole && runner_stopped(r))
			return interrupted(r, e);
		progress(r, i, "statement", NULL);
		if (each_step(r, i, e) == -1)
			return -1;
	}
	r->step = u->nsteps;
	if (r->w->target.finish == NULL)
		return 0;
	return retrying(r, ATT_TX, finish_body, r, e);
}

/* ---- WORK_EXPLICIT ---- */

/* From step from until the connection is idle again (a whole block). */
struct chunk {
	struct runner	*r;
	size_t		 from, end;
};

static int
chunk_body(struct db *d, void *arg, struct merr *e)
{
	struct chunk *c = arg;
	const struct work_unit *u = c->r->u;

	c->end = c->from;
	do {
		c->r->step = c->end;
		if (db_exec(d, u->steps[c->end].sql, e) == -1 ||
		    step_done(c->r, c->end, e) == -1)
			return -1;
		c->end++;
	} while (c->end < u->nsteps &&
	    PQtransactionStatus(d->conn) != PQTRANS_IDLE);
	return 0;
}

static int
unit_explicit(struct runner *r, struct merr *e)
{
	const struct work_limits *l = &r->w->lim;
	struct chunk c = { r, r->u->start, r->u->start };
	struct merr ignore;
	int rc;

	rc = db_set_timeouts(r->db, 0, l->lock_ms, l->stmt_ms, e);
	while (rc == 0 && c.from < r->u->nsteps) {
		r->step = c.from;
		if (runner_stopped(r)) {
			rc = interrupted(r, e);
			break;
		}
		if ((rc = retrying(r, ATT_ASIS, chunk_body, &c, e)) == 0)
			c.from = c.end;
	}
	if (db_ok(r->db))
		db_reset_timeouts(r->db, &ignore);
	if (rc == -1)
		return -1;
	r->step = r->u->nsteps;
	return retrying(r, ATT_TX, finish_body, r, e);
}

/* ---- units ---- */

/* A row that explains the failure (a check's violating row). */
static void
sample(struct runner *r, struct merr *e)
{
	char buf[256] = "";
	struct merr ignore;
	PGresult *res;
	size_t off = 0;

	if (db_query(r->db, r->u->sample, 0, NULL, &res, &ignore) == -1)
		return;
	for (int i = 0; PQntuples(res) > 0 && i < PQnfields(res) &&
	    off < 200; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%s%s=%s", i ? ", " : "", PQfname(res, i),
		    PQgetisnull(res, 0, i) ? "NULL" : PQgetvalue(res, 0, i));
	if (PQntuples(res) > 0)
		merr_detail(e, "a violating row: (%s)", buf);
	PQclear(res);
}

static int
exec_body(struct db *d, void *arg, struct merr *e)
{
	return db_exec(d, arg, e);
}

/*
 * After a failure: the unit's cleanup, under the work's timeouts, and a
 * sample row.  Once stopped only for a whole unit that was not cancelled
 * (a second signal wants out now); otherwise what is left (an invalid
 * index) is settled by the next run.
 */
static int
unit_failed(struct runner *r, int ran, struct merr *e)
{
	const struct work_target *t = &r->w->target;
	struct merr ignore;

	merr_clear(&ignore);
	if (ran && r->u->cleanup && db_ok(r->db) && (!runner_stopped(r) ||
	    (r->u->whole && strcmp(e->sqlstate, SQLSTATE_QUERY_CANCELED))))
		attempt(r, ATT_NOTX, exec_body,
		    (void *)(uintptr_t)r->u->cleanup, &ignore);
	if (ran && r->u->sample && !e->detail[0] && db_ok(r->db))
		sample(r, e);
	if (t->fail)
		t->fail(t->arg, r->u, r->step, e);
	return -1;
}

static int
unit_run(struct runner *r, struct merr *e)
{
	const struct work_target *t = &r->w->target;

	if (r->u->mode == WORK_TX)
		return retrying(r, ATT_TX, tx_body, r, e);
	if (t->begin && t->begin(t->arg, r->u, e) == -1)
		return -1;
	if (r->u->mode == WORK_EACH)
		return unit_each(r, e);
	return unit_explicit(r, e);
}

/*
 * The held COMMIT did not commit (e says why; the connection is out of
 * pipeline mode, and the unit after it never ran).  A lock timeout there
 * (a deferred constraint waiting on a row lock) rolled its unit back:
 * it goes again as a whole, as if its COMMIT had been read in its own
 * attempt, now with each COMMIT read before anything else is sent; 0
 * when it commits (its "done").  Otherwise, or once its tries are spent,
 * its unit's failure: c->failed, -1.  A connection lost leaves it in
 * doubt (08007).
 */
static int
chain_failed(struct db *db, volatile sig_atomic_t *stop,
    struct runner_chain *c, struct merr *e)
{
	const struct work *hw = c->held;
	struct runner hr;
	int n = c->attempt;

	runner_init(&hr, db, stop, hw);
	hr.u = &hw->units[hw->nunits - 1];
	hr.step = hr.u->nsteps + 1;	/* its COMMIT (work.h) */
	hr.unchained = 1;
	c->held = NULL;
	/* its transaction may have carried the reset of the unit before */
	if (hw->reset)
		reset_again(db);
	if (db_ok(db) && again(&hr, n, e)) {
		if (retrying_from(&hr, ATT_TX, tx_body, &hr, n + 1, e) == 0) {
			progress(&hr, hr.u->nsteps, "done", NULL);
			return 0;
		}
	} else if (db_ok(db) && db_is_lock_timeout(e)) {
		gave_up(&hr, n, e);
	} else {
		commit_in_doubt(&hr, e);
	}
	c->failed = hw;
	return unit_failed(&hr, 1, e);
}

int
runner_chain_end(struct db *db, volatile sig_atomic_t *stop,
    struct runner_chain *c, struct merr *e)
{
	struct merr ignore;
	int rc;

	if (c->held == NULL)
		return 0;
	merr_clear(&ignore);
	db_pipe_sync(db, &ignore);	/* its Sync: failures are the COMMIT's */
	rc = db_pipe_settle(db, e);
	db_pipe_end(db, &ignore);
	if (rc == -1)
		return chain_failed(db, stop, c, e);
	chain_done(c);
	return 0;
}

/*
 * With a COMMIT in flight, a unit goes in the same message only if it is
 * one transaction sent in pipeline mode (and the stop flag was down).
 */
static int
chains(const struct runner *r)
{
	return r->w->pipeline && r->u->mode == WORK_TX;
}

/*
 * Run r's unit, the COMMIT of the work before in flight or not.  When
 * that COMMIT did not commit, its unit's failure is the result (this
 * unit never ran), unless it went again and committed: then this unit
 * runs again, unless the stop flag is up by then.  On a failure of this
 * unit's own, a COMMIT before it that is still in flight is read first:
 * no unit is done or failed while the one before it is unknown.
 */
static int
unit_chained(struct runner *r, struct merr *e)
{
	struct runner_chain *c = r->w->chain;
	struct merr ce;

	for (;;) {
		r->held_failed = 0;
		r->start_due = c && c->held;
		if (c && !c->held)
			progress_start(r);
		if (unit_run(r, e) == 0)
			return 0;
		if (!r->held_failed)
			break;
		if (chain_failed(r->db, r->stop, c, e) == -1)
			return -1;
		if (runner_stopped(r)) {	/* nothing in flight now */
			if (r->start_due)	/* its failure follows it */
				progress_start(r);
			interrupted(r, e);
			return unit_failed(r, 0, e);
		}
	}
	if (c && c->held && c->held != r->w) {
		merr_clear(&ce);
		if (runner_chain_end(r->db, r->stop, c, &ce) == -1) {
			*e = ce;
			return -1;
		}
		if (r->start_due)
			progress_start(r);
	}
	return unit_failed(r, 1, e);
}

int
runner_exec(struct db *db, volatile sig_atomic_t *stop,
    const struct work *w, struct merr *e)
{
	struct runner_chain *c = w->chain;
	struct runner r;
	int stopped;

	runner_init(&r, db, stop, w);
	for (size_t k = 0; k < w->nunits; k++) {
		r.u = &w->units[k];
		r.step = r.u->start;
		/* one read of the stop flag decides both: the COMMIT in
		 * flight is read first if this unit will not go with it */
		stopped = runner_stopped(&r);
		if (c && c->held && (stopped || !chains(&r)) &&
		    runner_chain_end(db, stop, c, e) == -1)
			return -1;
		fault(w, "decided");
		if (stopped) {	/* a chained unit's failure follows its start */
			if (c)
				progress_start(&r);
			interrupted(&r, e);
			return unit_failed(&r, 0, e);
		}
		if (unit_chained(&r, e) == -1)
			return -1;
		if (c == NULL || c->held != w)
			progress(&r, r.u->nsteps, "done", NULL);
	}
	return 0;
}
