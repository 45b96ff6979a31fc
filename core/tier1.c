/* tier1.c - plan and apply the models at start-up (see tier1.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "log.h"
#include "migset.h"
#include "model.h"
#include "quote.h"
#include "schema.h"
#include "tier1.h"
#include "tracking.h"

/* The schema of an unqualified name: the models' default. */
#define T1_DEFAULT_SCHEMA	"public"

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
    long lock_ms, struct merr *e)
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
	/* the probe reads the tables: never queue behind a long lock */
	if (rc == 0 && which) {
		struct merr ignore;

		rc = db_set_timeouts(db, 0, lock_ms, lock_ms, e);
		if (rc == 0)
			rc = catalog_probe_rows(db, have, which, e);
		merr_clear(&ignore);
		db_exec(db, "RESET lock_timeout; RESET statement_timeout",
		    &ignore);
	}
	schema_strv_free(which);
	return rc;
}

/* A column's type as SQL for a cast (enum names quoted). */
static char *
t1_type_sql(const struct sch_column *c)
{
	const char *dot, *arr;
	char *sch, *name, *q, *r = NULL;

	if (!c->is_enum)
		return strdup(c->type);
	dot = strchr(c->type, '.');
	arr = strstr(c->type, "[]");
	sch = strndup(c->type, (size_t)(dot - c->type));
	name = strndup(dot + 1, arr ? (size_t)(arr - dot - 1) :
	    strlen(dot + 1));
	q = (sch && name) ? quote_qualified(sch, name) : NULL;
	if (q && asprintf(&r, "%s%s", q, arr ? "[]" : "") == -1)
		r = NULL;
	free(sch);
	free(name);
	free(q);
	return r;
}

/*
 * Constant defaults that PostgreSQL re-prints ('{"a":1}' as '{"a": 1}',
 * '2000-01-01' as '2000-01-01 00:00:00+00' for a timestamptz) differ as
 * text from the model.  Ask the server, in one query for all of them,
 * whether the two values are the same; where they are, the model's
 * default takes the database's spelling so that the plan is empty.  Only
 * constants (no function call, no column) are ever evaluated.
 */
static int
t1_defaults(struct db *db, struct schema *want, const struct schema *have,
    struct merr *e)
{
	struct sch_column **cols = NULL, **v;
	const struct sch_column **hcols = NULL, **hv;
	char *sql = NULL, *next, *type;
	size_t n = 0;
	PGresult *r;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < want->ntables; i++) {
		struct sch_table *t = &want->tables[i];
		const struct sch_table *h = schema_find_table(have, t->schema,
		    t->name);

		for (size_t j = 0; h && rc == 0 && j < t->ncols; j++) {
			struct sch_column *w = &t->cols[j];
			const struct sch_column *hc = schema_find_column(h,
			    w->name);

			if (!hc || !w->def || !hc->def ||
			    strcmp(w->type, hc->type) ||
			    schema_expr_equal(w->def, hc->def) ||
			    !schema_expr_is_constant(w->def) ||
			    !schema_expr_is_constant(hc->def) || n == 1000)
				continue;
			v = realloc(cols, (n + 1) * sizeof(*v));
			hv = v ? realloc(hcols, (n + 1) * sizeof(*hv)) : NULL;
			if (v)
				cols = v;
			if (hv)
				hcols = hv;
			type = t1_type_sql(hc);
			if (!v || !hv || !type || asprintf(&next, "%s%s((%s)::%s "
			    "IS NOT DISTINCT FROM (%s)::%s)", sql ? sql :
			    "SELECT ", sql ? ", " : "", w->def, type, hc->def,
			    type) == -1) {
				free(type);
				rc = merr_set(e, MERR_NOMEM, "out of memory");
				break;
			}
			free(type);
			free(sql);
			sql = next;
			cols[n] = w;
			hcols[n++] = hc;
		}
	}
	/* a value that does not even convert just stays a difference */
	if (rc == 0 && n > 0) {
		struct merr ignore;

		merr_clear(&ignore);
		if (db_query(db, sql, 0, NULL, &r, &ignore) == 0) {
			for (size_t k = 0; k < n; k++) {
				char *d;

				if (PQgetvalue(r, 0, (int)k)[0] != 't' ||
				    (d = strdup(hcols[k]->def)) == NULL)
					continue;
				free(cols[k]->def);
				cols[k]->def = d;
			}
			PQclear(r);
		}
	}
	free(sql);
	free(cols);
	free(hcols);
	return rc;
}

/* Loading the models on a thread of its own. */
struct t1load {
	const char	*dir;
	struct schema	*s;
	struct merr	 e;
	int		 rc;
};

static void *
t1_load_thread(void *arg)
{
	struct t1load *l = arg;

	merr_clear(&l->e);
	l->rc = model_load_dir(l->dir, &l->s, &l->e);
	return NULL;
}

/*
 * The models and the live schema.  The models load on a thread while this
 * one reads the catalogs, so the server's work, the parsing of its answer
 * and the parsing of the YAML overlap.  A model error wins over a
 * database error (it is the one the user can fix).
 */
static int
t1_read(const struct config *cfg, struct db *db, struct schema **want,
    struct schema **have, struct merr *e)
{
	struct t1load l = { cfg->models_dir, NULL, { 0 }, 0 };
	pthread_t th;
	int threaded, rc;

	*want = *have = NULL;
	threaded = pthread_create(&th, NULL, t1_load_thread, &l) == 0;
	if (!threaded)
		t1_load_thread(&l);
	rc = catalog_load(db, NULL, have, e);
	if (threaded)
		pthread_join(th, NULL);
	if (l.rc == -1) {
		*e = l.e;
		schema_free(*have);
		*have = NULL;
		return -1;
	}
	if (rc == -1) {
		schema_free(l.s);
		return -1;
	}
	*want = l.s;
	return 0;
}

/* What the applied enhancements created: plan_opts.owned and its owners. */
struct t1owned {
	struct migset		 set;
	struct mig_objects	*objs;	/* one per migration of set */
	struct plan_owner	*v;
	size_t			 n;
};

static void
t1_owned_release(struct t1owned *w)
{
	for (size_t i = 0; w->objs && i < w->set.n; i++)
		migset_objects_release(&w->objs[i]);
	free(w->objs);
	free(w->v);
	migset_release(&w->set);
	memset(w, 0, sizeof(*w));
}

static int
t1_owned_add(struct t1owned *w, const struct migration *m,
    const struct mig_objects *o)
{
	struct plan_owner *v;

	if (o->n == 0)
		return 0;
	if ((v = realloc(w->v, (w->n + o->n) * sizeof(*v))) == NULL)
		return -1;
	w->v = v;
	for (size_t i = 0; i < o->n; i++) {
		v[w->n].kind = o->v[i].kind;
		v[w->n].target = o->v[i].target;
		v[w->n].detail = o->v[i].detail;
		v[w->n++].by = m->id;
	}
	return 0;
}

/*
 * The objects of every applied (finished) enhancement.  Only running out
 * of memory fails: a tracking table that cannot be read, a migrations
 * folder that cannot be read or a file that no longer parses owns
 * nothing (its objects stay drift; tier 2 reports the problem itself,
 * and tier 1 never depends on tier 2's state).
 */
static int
t1_owned(const struct config *cfg, struct db *db, struct t1owned *w,
    struct merr *e)
{
	struct tracking trk;
	struct migration *m;
	struct merr ignore;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	merr_clear(&ignore);
	if (cfg->migrations_dir == NULL ||
	    tracking_load(db, cfg, &trk, &ignore) == -1)
		return 0;
	if (trk.n == 0 || migset_load(&w->set, cfg->migrations_dir,
	    &ignore) == -1)
		goto out;
	if ((w->objs = calloc(w->set.n ? w->set.n : 1,
	    sizeof(*w->objs))) == NULL) {
		rc = merr_set(e, MERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < trk.n; i++) {
		if (trk.v[i].dirty ||
		    (m = migset_find(&w->set, trk.v[i].version)) == NULL)
			continue;
		merr_clear(&ignore);
		if (migset_prepare(m, &ignore) == -1 ||
		    migset_objects(&m->up, T1_DEFAULT_SCHEMA,
		    &w->objs[m - w->set.v], &ignore) == -1)
			continue;
		if (t1_owned_add(w, m, &w->objs[m - w->set.v]) == -1)
			rc = merr_set(e, MERR_NOMEM, "out of memory");
	}
out:
	tracking_release(&trk);
	return rc;
}

/* Plan want against have (have is consumed). */
static int
t1_compute(const struct config *cfg, struct db *db, struct schema *want,
    struct schema *have, struct plan **out, struct merr *e)
{
	struct plan_opts o;
	struct t1owned w;
	int rc;

	memset(&o, 0, sizeof(o));
	o.own_schema = cfg->schema;
	o.own_tables[0] = cfg->tracking_table;
	o.own_tables[1] = cfg->audit_table;
	rc = t1_owned(cfg, db, &w, e);
	o.owned = w.v;
	o.nowned = w.n;
	if (rc == 0)
		rc = t1_defaults(db, want, have, e);
	if (rc == 0)
		rc = t1_probe(db, want, have, cfg->lock_timeout_ms, e);
	if (rc == 0)
		rc = plan_compute(want, have, &o, out, e);
	t1_owned_release(&w);
	schema_free(have);
	return rc;
}

int
tier1_plan(const struct config *cfg, struct db *db, struct plan **out,
    struct merr *e)
{
	struct schema *want, *have;
	struct db own;
	int rc;

	*out = NULL;
	if (db == NULL) {
		if (db_connect(&own, cfg->database, "migrated", e) == -1)
			return -1;
		db = &own;
	}
	rc = t1_read(cfg, db, &want, &have, e);
	if (rc == 0)
		rc = t1_compute(cfg, db, want, have, out, e);
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

/*
 * Take the session advisory lock.  A waiter polls with pg_try_advisory_lock
 * instead of blocking in pg_advisory_lock(): a statement blocked on the
 * lock holds a snapshot, and CREATE INDEX CONCURRENTLY in the process that
 * holds the lock waits for every older snapshot (the classic hang).
 */
static int
t1_lock(struct db *lk, const struct config *cfg, struct tier1_report *rep,
    struct merr *e)
{
	struct timespec ts;
	long wait_ms = 50;
	int got;

	if (db_connect(lk, cfg->database, "migrated lock", e) == -1)
		return -1;
	for (;;) {
		if (db_trylock(lk, &got, e) == -1)
			goto fail;
		if (got)
			break;
		if (!rep->waited)
			log_debug("tier 1: another migrated holds the lock, "
			    "waiting");
		rep->waited = 1;
		ts.tv_sec = wait_ms / 1000;
		ts.tv_nsec = (wait_ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) == -1)
			;
		if (wait_ms < 1000)
			wait_ms *= 2;
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
	struct schema *want = NULL, *have;
	struct db db, lk;
	struct t1run r;
	struct merr ignore;
	long t0 = t1_now_ms();
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	if (out)
		*out = NULL;
	if (db_connect(&db, cfg->database, "migrated", e) == -1)
		return -1;
	r.cfg = cfg;
	r.hook = hook;
	r.db = &db;
	r.retry.lock_timeout_ms = cfg->lock_timeout_ms;
	r.retry.statement_timeout_ms = cfg->statement_timeout_ms;
	r.retry.retries = (int)cfg->lock_retries;
	r.retry.backoff_ms = cfg->retry_backoff_ms;
	r.retry.on_retry = t1_on_retry;
	r.retry.arg = &r;
	log_debug("tier 1: connected in %ld ms", t1_now_ms() - t0);
	/* nothing to do: never touch the lock */
	if (t1_read(cfg, &db, &want, &have, e) == -1)
		goto out;
	log_debug("tier 1: models and catalogs read in %ld ms (%zu tables)",
	    t1_now_ms() - t0, want->ntables);
	if (t1_compute(cfg, &db, want, have, &r.plan, e) == -1)
		goto out;
	log_debug("tier 1: planned in %ld ms: %zu safe, %zu refused, "
	    "%zu drift", t1_now_ms() - t0, r.plan->nsafe, r.plan->nrefused,
	    r.plan->ndrift);
	if (r.plan->nsafe > 0) {
		if (t1_lock(&lk, cfg, rep, e) == -1)
			goto out;
		/* whoever held the lock may have done it all already */
		plan_free(r.plan);
		r.plan = NULL;
		if (catalog_load(&db, NULL, &have, e) == 0 &&
		    t1_compute(cfg, &db, want, have, &r.plan, e) == 0 &&
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
