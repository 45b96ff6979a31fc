/* tier1.c - plan and apply the models at start-up (see tier1.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "catalog.h"
#include "log.h"
#include "migset.h"
#include "mtime.h"
#include "model.h"
#include "plancheck.h"
#include "quote.h"
#include "schema.h"
#include "sqlcanon.h"
#include "runner.h"
#include "tier1.h"
#include "tracking.h"

/* The schema of an unqualified name: the models' default. */
#define T1_DEFAULT_SCHEMA	"public"

/* One apply: the plan as a work, and the target that audits it. */
struct t1run {
	const struct config	*cfg;
	const struct event_hook	*hook;
	struct db		*db;
	struct plan		*plan;
	struct work		 w;
	struct work_step	*steps;
	size_t			 statements;
	size_t			 tx_base;	/* statements before the TX unit */
	int			 in_tx;
};

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
			    (c->def == NULL && !c->notnull && !c->serial &&
			    !c->generated) ||
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
		db_reset_timeouts(db, &ignore);
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

	if (!c->is_enum && !c->is_domain)
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
 * The schemas of the catalogs tier 1 reads for want: every user schema
 * (NULL), or none when the models name nothing.  The plan compares only
 * the schemas the models name (an object elsewhere is never drift), so
 * an empty model set needs the extensions alone, which are read whatever
 * the scope: a database of a thousand tables is then not read at all.
 */
static char *const *
t1_scope(const struct schema *want)
{
	static char *const none[] = { NULL };

	return schema_is_empty(want) ? none : NULL;
}

/*
 * The models and the live schema.  The models load on a thread while this
 * one reads the catalogs, so the server's work, the parsing of its answer
 * and the parsing of the YAML overlap; with no model file there is nothing
 * to overlap, and the models come first to scope the read.  A model error
 * wins over a database error (it is the one the user can fix).
 */
static int
t1_read(const struct config *cfg, struct db *db, struct schema **want,
    struct schema **have, struct merr *e)
{
	struct t1load l = { cfg->models_dir, NULL, { 0 }, 0 };
	pthread_t th;
	int threaded, rc;

	*want = *have = NULL;
	if (model_dir_empty(cfg->models_dir)) {
		if (model_load_dir(cfg->models_dir, want, e) == -1)
			return -1;
		if (catalog_load(db, t1_scope(*want), have, e) == -1) {
			schema_free(*want);
			*want = NULL;
			return -1;
		}
		return 0;
	}
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
	struct migset		 own;	/* the folder, read here */
	struct migset		*set;	/* own, or the caller's cache */
	struct mig_objects	*objs;	/* one per migration of set */
	struct plan_owner	*v;
	size_t			 n;
};

static void
t1_owned_release(struct t1owned *w)
{
	for (size_t i = 0; w->objs && i < w->set->n; i++)
		migset_objects_release(&w->objs[i]);
	free(w->objs);
	free(w->v);
	migset_release(&w->own);
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
 * The kinds of owner the plan's drift could have, those some statement
 * makes (migset_kind_owned(): MIG_OWN_KINDS of them, so v cannot fill).
 */
struct t1kinds {
	const char	*v[MIG_OWN_KINDS];
	size_t		 n;
};

static void
t1_kinds(const struct plan *p, struct t1kinds *k)
{
	const char *want;
	size_t i, j;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < p->n; i++) {
		if (p->v[i].cls != PLAN_DRIFT || p->v[i].target == NULL)
			continue;
		want = plan_owner_kind(p->v[i].kind);
		if (want == NULL || !migset_kind_owned(want))
			continue;
		for (j = 0; j < k->n && strcmp(k->v[j], want); j++)
			;
		if (j == k->n && k->n < MIG_OWN_KINDS)
			k->v[k->n++] = want;
	}
}

/* Could the file hold a statement that makes an object of a kind? */
static int
t1_may_own(const struct migration *m, const struct t1kinds *k)
{
	for (size_t i = 0; i < k->n; i++)
		if (migset_may_own(&m->up, k->v[i]))
			return 1;
	return 0;
}

/* The folder: the caller's cache (env->cache), else read here. */
static int
t1_folder(const struct mig_env *env, struct t1owned *w, struct merr *e)
{
	const char *dir = env->cfg->migrations_dir;

	if (env->cache == NULL) {
		w->set = &w->own;
		return migset_load(w->set, dir, e);
	}
	w->set = env->cache;
	return env->cache_fresh ? 0 : migset_refresh(w->set, dir, NULL, e);
}

/*
 * What m made, in *o.  A file not parsed yet is parsed on a copy, let go
 * after: the set may be the caller's cache, which keeps its files
 * unparsed until tier 2 needs them.
 */
static int
t1_made(const struct mig_env *env, const struct migration *m,
    struct mig_objects *o, struct merr *e)
{
	struct mig_script copy;
	int rc;

	if (m->up.parsed)
		return migset_objects(&m->up, T1_DEFAULT_SCHEMA, o, e);
	if (migset_script_copy(&copy, &m->up, e) == -1)
		return -1;
	copy.stop = env->stop;
	rc = migset_parse(&copy, e);
	if (rc == 0)
		rc = migset_objects(&copy, T1_DEFAULT_SCHEMA, o, e);
	migset_script_release(&copy);
	return rc;
}

/*
 * The objects of the applied (finished) enhancements that may have made
 * some of the drift (k): only their files are parsed.  Only running out
 * of memory or a stop (MERR_STATE) fails: a tracking table that cannot
 * be read, a migrations folder that cannot be read or a file that no
 * longer parses owns nothing (its objects stay drift; tier 2 reports the
 * problem itself, and tier 1 never depends on tier 2's state).
 */
static int
t1_owned(const struct mig_env *env, const struct t1kinds *k,
    struct t1owned *w, struct merr *e)
{
	const struct config *cfg = env->cfg;
	struct tracking trk;
	struct migration *m;
	struct mig_objects *o;
	struct merr why;
	size_t looked = 0;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	w->set = &w->own;
	merr_clear(&why);
	if (cfg->migrations_dir == NULL ||
	    tracking_load(env->db, cfg, &trk, &why) == -1)
		return 0;
	if (trk.n == 0 || t1_folder(env, w, &why) == -1)
		goto out;
	if ((w->objs = calloc(w->set->n ? w->set->n : 1,
	    sizeof(*w->objs))) == NULL) {
		rc = merr_set(e, MERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < trk.n; i++) {
		if (trk.v[i].dirty ||
		    (m = migset_find(w->set, trk.v[i].version)) == NULL ||
		    !t1_may_own(m, k))
			continue;
		looked++;
		o = &w->objs[m - w->set->v];
		merr_clear(&why);
		if (t1_made(env, m, o, &why) == -1) {
			/* out of memory, or stopped: not the file's fault */
			if (why.code == MERR_NOMEM || why.code == MERR_STATE) {
				*e = why;
				rc = -1;
			}
			continue;
		}
		if (t1_owned_add(w, m, o) == -1)
			rc = merr_set(e, MERR_NOMEM, "out of memory");
	}
	log_debug("tier 1: %zu of %zu applied files read for what they made",
	    looked, trk.n);
out:
	tracking_release(&trk);
	return rc;
}

/*
 * The tables of have that are another migration tool's history (golang-
 * migrate, goose, dbmate, Flyway): never drift.  *out is malloc'd, its
 * pointers borrowed from have.
 */
static int
t1_histories(const struct schema *have, const struct sch_table ***out,
    size_t *n, struct merr *e)
{
	const char *cols[16];

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < have->ntables; i++) {
		const struct sch_table *t = &have->tables[i];
		const struct sch_table **nv;

		if (t->ncols > 16)
			continue;
		for (size_t k = 0; k < t->ncols; k++)
			cols[k] = t->cols[k].name;
		if (adopt_table_tool(t->name, cols, t->ncols) == ADOPT_NONE)
			continue;
		if ((nv = realloc(*out, (*n + 1) * sizeof(*nv))) == NULL) {
			free(*out);
			*out = NULL;
			return merr_set(e, MERR_NOMEM, "out of memory");
		}
		*out = nv;
		nv[(*n)++] = t;
	}
	return 0;
}

/*
 * The plan, with what applied enhancements created told apart from drift.
 * Finding that out parses applied files, so it is done only when the plan
 * has drift an enhancement could have made, and only the files that may
 * have made it are parsed (the plan is a pure function: planned again
 * with the owners, it differs only there).
 */
static int
t1_plan_owned(const struct mig_env *env, struct schema *want,
    struct schema *have, struct plan_opts *o, struct t1owned *w,
    struct plan **out, struct merr *e)
{
	struct t1kinds k;

	if (plan_compute(want, have, o, out, e) == -1)
		return -1;
	/* drift no enhancement can have made stays drift, unread */
	t1_kinds(*out, &k);
	if ((*out)->ndrift == 0 || k.n == 0)
		return 0;
	if (t1_owned(env, &k, w, e) == -1) {
		plan_free(*out);
		*out = NULL;
		return -1;
	}
	if (w->n == 0)
		return 0;
	plan_free(*out);
	*out = NULL;
	o->owned = w->v;
	o->nowned = w->n;
	return plan_compute(want, have, o, out, e);
}

/*
 * Plan want against have (have is consumed), with env's cfg and db, and
 * its cache of the folder if any.
 */
static int
t1_compute(const struct mig_env *env, struct schema *want,
    struct schema *have, struct plan **out, struct merr *e)
{
	const struct config *cfg = env->cfg;
	const struct sch_table **hist = NULL;
	struct db *db = env->db;
	struct plan_opts o;
	struct t1owned w;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&w, 0, sizeof(w));
	w.set = &w.own;
	o.own_schema = cfg->schema;
	o.own_tables[0] = cfg->tracking_table;
	o.own_tables[1] = cfg->audit_table;
	rc = t1_histories(have, &hist, &o.nhistories, e);
	o.histories = hist;
	if (rc == 0)
		rc = t1_defaults(db, want, have, e);
	if (rc == 0)
		rc = t1_probe(db, want, have, cfg->lock_timeout_ms, e);
	/* views and functions as the server prints them (sqlcanon.h) */
	if (rc == 0)
		rc = sqlcanon_run(db, want, have, cfg->lock_timeout_ms,
		    cfg->statement_timeout_ms, e);
	if (rc == 0)
		rc = t1_plan_owned(env, want, have, &o, &w, out, e);
	/* safe means it will apply: what the SQL needs is there */
	if (rc == 0 && (*out)->nsafe > 0 && (rc = plancheck_run(db, *out,
	    cfg->lock_timeout_ms, cfg->statement_timeout_ms, e)) == -1) {
		plan_free(*out);
		*out = NULL;
	}
	t1_owned_release(&w);
	free(hist);
	schema_free(have);
	return rc;
}

int
tier1_plan(const struct mig_env *env, struct plan **out, struct merr *e)
{
	struct mig_env with = *env;
	struct schema *want, *have;
	struct db own;
	int rc;

	*out = NULL;
	if (with.db == NULL) {
		if (db_connect(&own, env->cfg->database, "migrated", e) == -1)
			return -1;
		with.db = &own;
	}
	rc = t1_read(env->cfg, with.db, &want, &have, e);
	if (rc == 0)
		rc = t1_compute(&with, want, have, out, e);
	if (with.db == &own)
		db_close(&own);
	schema_free(want);
	return rc;
}

/* ---- the target: audit events ---- */

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

/* The transaction of every PLAN_TX change opens with the plan's record. */
static int
t1_begin(void *arg, const struct work_unit *u, struct merr *e)
{
	struct t1run *r = arg;

	if (u->mode != WORK_TX)
		return 0;
	if (!r->in_tx) {
		r->tx_base = r->statements;
		r->in_tx = 1;
	}
	r->statements = r->tx_base;	/* a retry starts again */
	return t1_event(r, "tier1.plan", NULL, NULL, e);
}

/* In the transaction: a change's record right after its last step. */
static int
t1_step_done(void *arg, const struct work_unit *u, size_t i, struct merr *e)
{
	struct t1run *r = arg;
	const struct work_step *st = &u->steps[i];
	const struct plan_change *c = st->src;

	r->statements++;
	/*
	 * A change's record commits with its last step: in the one
	 * transaction, or in the short transaction of an ONLINE change's
	 * last step (ADD CONSTRAINT ... USING INDEX, VALIDATE); right after
	 * it when that step runs outside a transaction (CONCURRENTLY).
	 */
	if (st->sub + 1 == c->nsteps)
		return t1_event(r, "tier1.apply", c, NULL, e);
	return 0;
}

static void
t1_fail(void *arg, const struct work_unit *u, size_t i, struct merr *e)
{
	struct t1run *r = arg;
	const struct plan_change *c = u->src;
	char msg[sizeof(e->msg)], d[sizeof(e->detail)];
	struct merr ignore;

	snprintf(msg, sizeof(msg), "%s", e->msg);
	if (u->mode == WORK_TX) {
		r->statements = r->tx_base;
		c = i < u->nsteps ? u->steps[i].src : NULL;
		merr_set(e, e->code, "cannot apply tier-1 changes: %s", msg);
		if (i < u->nsteps && strncmp(msg, RUNNER_INTERRUPTED,
		    strlen(RUNNER_INTERRUPTED)) != 0) {
			snprintf(d, sizeof(d), "%s", e->detail);
			merr_detail(e, "%s%sstatement: %s", d, d[0] ? "; " : "",
			    u->steps[i].sql);
		}
	} else {
		merr_set(e, e->code, "cannot %s '%s': %s", c->kind, c->target,
		    msg);
	}
	merr_clear(&ignore);
	t1_event(r, "tier1.fail", c, e, &ignore);
}

static void
t1_retry(void *arg, const struct work_unit *u, size_t i, int attempt,
    const struct merr *why)
{
	struct t1run *r = arg;
	const struct plan_change *c = i < u->nsteps ? u->steps[i].src : NULL;
	struct mig_event ev;
	struct merr ignore;
	char detail[256];

	memset(&ev, 0, sizeof(ev));
	snprintf(detail, sizeof(detail), "tier 1: lock timeout, attempt %d "
	    "of %d", attempt + 1, r->w.lim.retries + 1);
	ev.action = "lock.retry";
	ev.target = c ? c->target : "tier1";
	ev.detail = detail;
	ev.duration_ms = -1;
	ev.sqlstate = why->sqlstate[0] ? why->sqlstate : NULL;
	ev.error = why->msg;
	merr_clear(&ignore);
	event_emit(r->hook, r->db, &ev, &ignore);
}

/* ---- the plan as a work ---- */

static int
t1_is_safe(const struct plan_change *c, enum plan_phase ph)
{
	return c->cls == PLAN_SAFE && c->phase == ph;
}

/* The steps of change c into u (whose steps pointer is already set). */
static void
t1_add_steps(struct work_unit *u, const struct plan_change *c)
{
	for (size_t k = 0; k < c->nsteps; k++) {
		struct work_step *st = &u->steps[u->nsteps++];

		st->sql = c->steps[k].sql;
		st->tx = c->steps[k].tx;
		st->src = c;
		st->sub = k;
		/* a CONCURRENTLY build cut off leaves an invalid index */
		if (u->mode == WORK_EACH && !st->tx &&
		    strncmp(st->sql, "CREATE", 6) == 0)
			st->cleanup = c->cleanup;
	}
}

/* Units of phase ph, one per change, or (PLAN_TX) one for them all. */
static void
t1_add_units(struct t1run *r, enum plan_phase ph, struct work_step **next)
{
	struct work_unit *u = NULL;

	for (size_t i = 0; i < r->plan->n; i++) {
		const struct plan_change *c = &r->plan->v[i];

		if (!t1_is_safe(c, ph))
			continue;
		if (u == NULL || ph != PLAN_TX) {
			u = &r->w.units[r->w.nunits++];
			u->mode = ph == PLAN_TX ? WORK_TX : WORK_EACH;
			/* no resume row: once begun, a change is finished
			 * (a stop between CREATE UNIQUE INDEX and ADD
			 * CONSTRAINT USING INDEX would break the next run) */
			u->whole = 1;
			u->steps = *next;
			u->src = ph == PLAN_TX ? NULL : c;
			u->cleanup = ph == PLAN_TX ? NULL : c->cleanup;
			u->sample = ph == PLAN_TX ? NULL : c->check;
		}
		t1_add_steps(u, c);
		*next += c->nsteps;
	}
	if (ph == PLAN_TX && u == NULL) {	/* the plan's record */
		u = &r->w.units[r->w.nunits++];
		u->mode = WORK_TX;
		u->steps = *next;
	}
}

/* PRE changes, then the one transaction, then ONLINE changes. */
static int
t1_work(struct t1run *r, struct merr *e)
{
	size_t nsteps = 0;
	struct work_step *next;

	free(r->steps);
	free(r->w.units);
	r->w.nunits = 0;
	for (size_t i = 0; i < r->plan->n; i++)
		nsteps += r->plan->v[i].nsteps;
	r->steps = calloc(nsteps + 1, sizeof(*r->steps));
	r->w.units = calloc(r->plan->n + 1, sizeof(*r->w.units));
	if (r->steps == NULL || r->w.units == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	next = r->steps;
	t1_add_units(r, PLAN_PRE, &next);
	t1_add_units(r, PLAN_TX, &next);
	t1_add_units(r, PLAN_ONLINE, &next);
	return 0;
}

static void
t1_init(struct t1run *r, const struct mig_env *env)
{
	const struct config *cfg = env->cfg;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->hook = env->hook;
	r->db = env->db;
	r->w.lim.lock_ms = cfg->lock_timeout_ms;
	r->w.lim.stmt_ms = cfg->statement_timeout_ms;
	r->w.lim.retries = (int)cfg->lock_retries;
	r->w.lim.backoff_ms = cfg->retry_backoff_ms;
	r->w.target = (struct work_target){ t1_begin, t1_step_done,
	    NULL, t1_fail, t1_retry, NULL, NULL, r };
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

/* Under the lock, with a plan made under it: run what it says. */
static int
t1_run(struct t1run *r, const struct mig_env *env, struct merr *e)
{
	if (r->plan->nsafe == 0)
		return 0;
	if (t1_work(r, e) == -1 || event_ready(r->hook, r->db, e) == -1)
		return -1;
	return runner_exec(r->db, env->stop, &r->w, e);
}

/*
 * Under the lock: read and plan again (whoever held the lock may have
 * done it all already), then run what is left.
 */
static int
t1_locked(struct t1run *r, const struct mig_env *env, struct schema *want,
    struct merr *e)
{
	struct schema *have;

	plan_free(r->plan);
	r->plan = NULL;
	if (catalog_load(r->db, t1_scope(want), &have, e) == -1 ||
	    t1_compute(env, want, have, &r->plan, e) == -1)
		return -1;
	return t1_run(r, env, e);
}

/*
 * Take the lock, read and plan again under it, run, let go.  When the
 * caller holds the lock (env->held, checked still held by runner_lock(),
 * or env->lockdb NULL), the plan just made was read under it: it is the
 * one run, not read a second time.
 */
static int
t1_apply(struct t1run *r, const struct mig_env *env, struct schema *want,
    struct tier1_report *rep, struct merr *e)
{
	int rc;

	if (runner_lock(env, -1, &rep->locked, &rep->waited, e) == -1)
		return -1;
	if (!rep->locked)
		return t1_run(r, env, e);
	rc = t1_locked(r, env, want, e);
	db_unlock(env->lockdb, NULL);
	return rc;
}

int
tier1_apply(const struct mig_env *env, struct tier1_report *rep,
    struct plan **out, struct merr *e)
{
	struct schema *want = NULL, *have;
	long t0 = mtime_now_ms();
	struct t1run r;
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	t1_init(&r, env);
	if (out)
		*out = NULL;
	/* nothing to do: never touch the lock */
	if (t1_read(r.cfg, r.db, &want, &have, e) == -1)
		goto out;
	log_debug("tier 1: models and catalogs read in %ld ms (%zu tables)",
	    mtime_now_ms() - t0, want->ntables);
	if (t1_compute(env, want, have, &r.plan, e) == -1)
		goto out;
	log_debug("tier 1: planned in %ld ms: %zu safe, %zu refused, "
	    "%zu drift", mtime_now_ms() - t0, r.plan->nsafe,
	    r.plan->nrefused, r.plan->ndrift);
	if (r.plan->nsafe > 0 && t1_apply(&r, env, want, rep, e) == -1)
		goto out;
	rc = 0;
	t1_refusals(&r);
	rep->applied = r.plan->nsafe;
	rep->refused = r.plan->nrefused;
	rep->drift = r.plan->ndrift;
out:
	rep->statements = r.statements;
	rep->duration_ms = mtime_now_ms() - t0;
	if (out && r.plan) {
		*out = r.plan;
		r.plan = NULL;
	}
	plan_free(r.plan);
	free(r.steps);
	free(r.w.units);
	schema_free(want);
	return rc;
}
