/* tier1.c - plan and apply the models at start-up (see tier1.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "model.h"
#include "schema.h"
#include "tier1.h"

/* State shared by the work callbacks of one apply. */
struct t1run {
	const struct config	*cfg;
	const struct event_hook	*hook;
	struct db		*db;
	struct plan		*plan;
	struct plan_change	*ch;	/* ONLINE: the change being applied */
	size_t			 step;	/* ONLINE: its step */
	int			 attempt;
	size_t			 statements;
	struct db_retry		 retry;
};

static long
t1_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Tables where an added column needs to know whether rows exist. */
static int
t1_probe(struct db *db, const struct schema *want, struct schema *have,
    struct merr *e)
{
	char **which = NULL;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < want->ntables; i++) {
		const struct sch_table *t = &want->tables[i], *h;

		if ((h = schema_find_table(have, t->schema, t->name)) == NULL)
			continue;
		for (size_t j = 0; j < t->ncols; j++) {
			const struct sch_column *c = &t->cols[j];

			if (schema_find_column(h, c->name) ||
			    (c->def == NULL && !c->notnull) ||
			    (c->def && !strstr(c->def, "(")))
				continue;
			if (schema_strv_push(&which, t->schema) == -1 ||
			    schema_strv_push(&which, t->name) == -1)
				rc = merr_set(e, MERR_NOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0 && which)
		rc = catalog_probe_rows(db, have, which, e);
	schema_strv_free(which);
	return rc;
}

static int
t1_compute(const struct config *cfg, struct db *db,
    const struct schema *want, struct plan **out, struct merr *e)
{
	struct plan_opts o;
	struct schema *have;
	char **schemas;
	int rc;

	memset(&o, 0, sizeof(o));
	o.own_schema = cfg->schema;
	o.own_tables[0] = cfg->tracking_table;
	o.own_tables[1] = cfg->audit_table;
	if ((schemas = schema_strv_dup(want->schemas)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = catalog_load(db, schemas, &have, e);
	schema_strv_free(schemas);
	if (rc == -1)
		return -1;
	rc = t1_probe(db, want, have, e);
	if (rc == 0)
		rc = plan_compute(db, want, have, &o, out, e);
	schema_free(have);
	return rc;
}

int
tier1_plan(const struct config *cfg, struct db *db, struct plan **out,
    struct merr *e)
{
	struct schema *want;
	struct db own;
	int rc;

	*out = NULL;
	if (model_load_dir(cfg->models_dir, &want, e) == -1)
		return -1;
	if (db == NULL) {
		if (db_connect(&own, cfg->database, "migrated", e) == -1) {
			schema_free(want);
			return -1;
		}
		db = &own;
	}
	rc = t1_compute(cfg, db, want, out, e);
	if (db == &own)
		db_close(&own);
	schema_free(want);
	return rc;
}

/* ---- events ---- */

static int
t1_event(struct t1run *r, const char *action, const struct plan_change *c,
    const struct merr *fail, struct merr *e)
{
	struct mig_event ev;
	char detail[1024];

	memset(&ev, 0, sizeof(ev));
	ev.action = action;
	ev.duration_ms = -1;
	ev.ok = fail == NULL && strcmp(action, "tier1.refuse") != 0;
	if (c) {
		ev.target = c->target;
		snprintf(detail, sizeof(detail), "%s %s: %s%s%s", c->kind,
		    c->target, c->reason, c->nsteps ? "\n" : "",
		    c->nsteps ? c->steps[c->nsteps - 1].sql : "");
		ev.detail = detail;
		ev.statements = (int)c->nsteps;
	} else {
		snprintf(detail, sizeof(detail), "%zu safe, %zu refused, "
		    "%zu drift", r->plan->nsafe, r->plan->nrefused,
		    r->plan->ndrift);
		ev.detail = detail;
		ev.checksum = r->plan->hash;
		ev.statements = (int)plan_statements(r->plan);
	}
	if (fail) {
		ev.sqlstate = fail->sqlstate[0] ? fail->sqlstate : NULL;
		ev.error = fail->msg;
	}
	return event_emit(r->hook, r->db, &ev, e);
}

static void
t1_on_retry(void *arg, int attempt, const struct merr *why)
{
	struct t1run *r = arg;
	struct mig_event ev;
	struct merr ignore;
	char detail[256];

	memset(&ev, 0, sizeof(ev));
	snprintf(detail, sizeof(detail), "tier 1: lock timeout, attempt %d "
	    "of %d", attempt + 1, r->retry.retries + 1);
	ev.action = "lock.retry";
	ev.target = r->ch ? r->ch->target : "tier1";
	ev.detail = detail;
	ev.duration_ms = -1;
	ev.sqlstate = why->sqlstate[0] ? why->sqlstate : NULL;
	ev.error = why->msg;
	merr_clear(&ignore);
	event_emit(r->hook, r->db, &ev, &ignore);
	r->attempt = attempt;
}

/* ---- applying ---- */

static int
t1_exec(struct t1run *r, const char *sql, struct merr *e)
{
	if (db_exec(r->db, sql, e) == -1)
		return -1;
	r->statements++;
	return 0;
}

/* Every PLAN_TX change in one transaction, each audited inside it. */
static int
t1_tx_work(struct db *db, void *arg, struct merr *e)
{
	struct t1run *r = arg;
	size_t done = r->statements;

	(void)db;
	if (t1_event(r, "tier1.plan", NULL, NULL, e) == -1)
		return -1;
	for (size_t i = 0; i < r->plan->n; i++) {
		struct plan_change *c = &r->plan->v[i];

		if (c->cls != PLAN_SAFE || c->phase != PLAN_TX)
			continue;
		r->ch = c;
		for (size_t k = 0; k < c->nsteps; k++)
			if (t1_exec(r, c->steps[k].sql, e) == -1) {
				char d[sizeof(e->detail)];

				snprintf(d, sizeof(d), "%s", e->detail);
				merr_detail(e, "%s%sstatement: %s", d,
				    d[0] ? "; " : "", c->steps[k].sql);
				r->statements = done;
				return -1;
			}
		if (t1_event(r, "tier1.apply", c, NULL, e) == -1) {
			r->statements = done;
			return -1;
		}
	}
	r->ch = NULL;
	return 0;
}

/* One step of an ONLINE change (in a short transaction or none). */
static int
t1_step_work(struct db *db, void *arg, struct merr *e)
{
	struct t1run *r = arg;
	struct plan_change *c = r->ch;
	struct merr ignore;

	(void)db;
	/* a CONCURRENTLY build that timed out leaves an invalid index */
	if (r->attempt > 0 && !c->steps[r->step].tx && c->cleanup &&
	    !strncmp(c->steps[r->step].sql, "CREATE", 6))
		db_exec(r->db, c->cleanup, &ignore);
	if (t1_exec(r, c->steps[r->step].sql, e) == -1)
		return -1;
	if (r->step + 1 == c->nsteps && c->steps[r->step].tx)
		return t1_event(r, "tier1.apply", c, NULL, e);
	return 0;
}

/* The failure of an ONLINE change: undo, name a sample, record it. */
static void
t1_online_fail(struct t1run *r, struct plan_change *c, struct merr *e)
{
	struct merr ignore;
	PGresult *res;

	merr_clear(&ignore);
	if (c->cleanup)
		db_exec(r->db, c->cleanup, &ignore);
	if (c->check && !e->detail[0] &&
	    db_query(r->db, c->check, 0, NULL, &res, &ignore) == 0) {
		if (PQntuples(res) > 0) {
			char sample[256] = "";
			size_t off = 0;

			for (int i = 0; i < PQnfields(res) && off < 200; i++)
				off += (size_t)snprintf(sample + off,
				    sizeof(sample) - off, "%s%s=%s", i ? ", " :
				    "", PQfname(res, i), PQgetisnull(res, 0, i)
				    ? "NULL" : PQgetvalue(res, 0, i));
			merr_detail(e, "a violating row: (%s)", sample);
		}
		PQclear(res);
	}
	t1_event(r, "tier1.fail", c, e, &ignore);
}

static int
t1_online(struct t1run *r, struct plan_change *c, struct merr *e)
{
	char msg[sizeof(e->msg)];

	r->ch = c;
	for (r->step = 0; r->step < c->nsteps; r->step++) {
		r->attempt = 0;
		if ((c->steps[r->step].tx ? db_tx : db_notx)(r->db, &r->retry,
		    t1_step_work, r, e) == 0)
			continue;
		snprintf(msg, sizeof(msg), "%s", e->msg);
		merr_set(e, e->code, "cannot %s '%s': %s", c->kind, c->target,
		    msg);
		t1_online_fail(r, c, e);
		return -1;
	}
	/* the last step ran outside a transaction: record it right after */
	if (c->nsteps && !c->steps[c->nsteps - 1].tx) {
		if (t1_event(r, "tier1.apply", c, NULL, e) == -1)
			return -1;
	}
	r->ch = NULL;
	return 0;
}

/*
 * The session advisory lock must be held by the backend we talk to.
 * Behind a transaction-pooling pooler (pgbouncer pool_mode=transaction)
 * the next statement may run on another server connection that does not
 * hold it: refuse rather than race.
 */
static int
t1_lock_check(struct db *lk, struct merr *e)
{
	PGresult *res;
	int held;

	if (db_query(lk, "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE "
	    "locktype = 'advisory' AND granted AND pid = pg_backend_pid() "
	    "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = "
	    DB_LOCK_KEY_STR ")", 0, NULL, &res, e) == -1)
		return -1;
	held = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (held)
		return 0;
	merr_set(e, MERR_STATE, "session advisory lock %s is not held by this "
	    "session after taking it", DB_LOCK_KEY_STR);
	merr_detail(e, "a connection pooler in transaction mode (pgbouncer "
	    "pool_mode=transaction) hands each statement to another server "
	    "connection, so a session lock protects nothing");
	merr_hint(e, "point migrated at PostgreSQL directly or at a pool in "
	    "session mode");
	return -1;
}

static int
t1_lock(struct db *lk, const struct config *cfg, struct tier1_report *rep,
    struct merr *e)
{
	int got;

	if (db_connect(lk, cfg->database, "migrated lock", e) == -1)
		return -1;
	if (db_trylock(lk, &got, e) == -1)
		goto fail;
	if (!got) {
		rep->waited = 1;
		if (db_lock(lk, e) == -1)
			goto fail;
	}
	rep->locked = 1;
	if (t1_lock_check(lk, e) == 0)
		return 0;
fail:
	db_close(lk);
	rep->locked = 0;
	return -1;
}

/* Run the safe changes of r->plan: the transaction, then ONLINE ones. */
static int
t1_run(struct t1run *r, struct merr *e)
{
	struct merr ignore;

	for (size_t i = 0; i < r->plan->n; i++) {
		struct plan_change *c = &r->plan->v[i];

		if (c->cls == PLAN_SAFE && c->phase == PLAN_PRE &&
		    t1_online(r, c, e) == -1)
			return -1;
	}
	r->ch = NULL;
	if (db_tx(r->db, &r->retry, t1_tx_work, r, e) == -1) {
		char msg[sizeof(e->msg)];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		merr_set(e, e->code, "cannot apply tier-1 changes: %s", msg);
		merr_clear(&ignore);
		t1_event(r, "tier1.fail", r->ch, e, &ignore);
		return -1;
	}
	for (size_t i = 0; i < r->plan->n; i++) {
		struct plan_change *c = &r->plan->v[i];

		if (c->cls == PLAN_SAFE && c->phase == PLAN_ONLINE &&
		    t1_online(r, c, e) == -1)
			return -1;
	}
	return 0;
}

static void
t1_refusals(struct t1run *r)
{
	struct merr ignore;

	for (size_t i = 0; i < r->plan->n; i++)
		if (r->plan->v[i].cls == PLAN_REFUSED) {
			merr_clear(&ignore);
			t1_event(r, "tier1.refuse", &r->plan->v[i], NULL,
			    &ignore);
		}
}

int
tier1_apply(const struct config *cfg, const struct event_hook *hook,
    struct tier1_report *rep, struct plan **out, struct merr *e)
{
	struct schema *want = NULL;
	struct db db, lk;
	struct t1run r;
	struct merr ignore;
	long t0 = t1_now_ms();
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	if (out)
		*out = NULL;
	if (model_load_dir(cfg->models_dir, &want, e) == -1)
		return -1;
	if (db_connect(&db, cfg->database, "migrated", e) == -1) {
		schema_free(want);
		return -1;
	}
	r.cfg = cfg;
	r.hook = hook;
	r.db = &db;
	r.retry.lock_timeout_ms = cfg->lock_timeout_ms;
	r.retry.statement_timeout_ms = cfg->statement_timeout_ms;
	r.retry.retries = (int)cfg->lock_retries;
	r.retry.backoff_ms = cfg->retry_backoff_ms;
	r.retry.on_retry = t1_on_retry;
	r.retry.arg = &r;
	/* nothing to do: never touch the lock */
	if (t1_compute(cfg, &db, want, &r.plan, e) == -1)
		goto out;
	if (r.plan->nsafe > 0) {
		if (t1_lock(&lk, cfg, rep, e) == -1)
			goto out;
		/* whoever held the lock may have done it all already */
		plan_free(r.plan);
		r.plan = NULL;
		if (t1_compute(cfg, &db, want, &r.plan, e) == 0 &&
		    (r.plan->nsafe == 0 || t1_run(&r, e) == 0))
			rc = 0;
		merr_clear(&ignore);
		db_unlock(&lk, &ignore);
		db_close(&lk);
		if (rc == -1)
			goto out;
	}
	rc = 0;
	t1_refusals(&r);
	rep->applied = r.plan->nsafe;
	rep->refused = r.plan->nrefused;
	rep->drift = r.plan->ndrift;
out:
	rep->statements = r.statements;
	rep->duration_ms = t1_now_ms() - t0;
	if (out && r.plan) {
		*out = r.plan;
		r.plan = NULL;
	}
	plan_free(r.plan);
	db_close(&db);
	schema_free(want);
	return rc;
}
