/*
 * optier.c - the operations behind the commands: tier 1 (core/tier1.h),
 * tier 2 (core/migrate.h) and the audit (core/audit.h).  Worker thread.
 *
 * Each op_* fills x->j->data with the result object and, where it learns
 * something status reports, x->j->tier1_state / tier2_state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "opctx.h"
#include "ops.h"
#include "version.h"


/* ---- tier 1 ---- */

/* The changes status shows: refused and drift, at most 20 (not what
 * applied enhancements created: that is in sync). */
static json_t *
tier1_problems(const struct plan *p)
{
	json_t *a = json_array();

	for (size_t i = 0; p && a && i < p->n && json_array_size(a) < 20; i++) {
		const struct plan_change *c = &p->v[i];

		if (c->cls == PLAN_SAFE || c->cls == PLAN_TIER2)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:s?, s:s?, s:s?, "
		    "s:s?}", "class", plan_class_name(c->cls), "kind",
		    c->kind, "target", c->target, "reason", c->reason,
		    "hint", c->hint));
	}
	return a;
}

/*
 * After tier 2 changed the database: plan again (read-only) so that the
 * status shows drift a migration introduced.  A partial state: the loop
 * merges it into the last tier-1 report.
 */
static void
tier1_replan(struct opctx *x)
{
	struct plan *plan = NULL;
	struct merr ignore;

	merr_clear(&ignore);
	if (tier1_plan(x->cfg, x->db, &plan, &ignore) == -1) {
		if (plan)
			plan_free(plan);
		return;
	}
	x->j->tier1_state = json_pack("{s:b, s:I, s:I, s:I, s:o}", "partial",
	    1, "pending_safe", (json_int_t)plan->nsafe, "refused",
	    (json_int_t)plan->nrefused, "drift", (json_int_t)plan->ndrift,
	    "problems", tier1_problems(plan));
	plan_free(plan);
}

static int	tier2_env(struct opctx *, struct mig_env *, int, struct merr *);

/* On the worker's connections; a stop or a cancel reaches it. */
static int
tier1_run(struct opctx *x, struct merr *e)
{
	struct tier1_report rep;
	struct plan *plan = NULL;
	struct mig_env env;

	memset(&rep, 0, sizeof(rep));
	if (tier2_env(x, &env, 1, e) == -1)
		return -1;
	if (tier1_apply(&env, &rep, &plan, e) == -1) {
		if (plan)
			plan_free(plan);
		return -1;
	}
	x->j->tier1_state = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:b, "
	    "s:o}", "available", 1, "applied", (json_int_t)rep.applied,
	    "refused", (json_int_t)rep.refused, "drift",
	    (json_int_t)rep.drift, "statements", (json_int_t)rep.statements,
	    "duration_ms", (json_int_t)rep.duration_ms, "waited", rep.waited,
	    "problems", tier1_problems(plan));
	if (plan)
		plan_free(plan);
	return 0;
}

int
op_plan(struct opctx *x, struct merr *e)
{
	struct plan *plan = NULL;
	char *text = NULL;

	if (ops_connect(x, e) == -1 ||
	    tier1_plan(x->cfg, x->db, &plan, e) == -1)
		return -1;
	if (plan_format_text(plan, &text, e) == -1) {
		plan_free(plan);
		return -1;
	}
	x->j->data = plan_to_json(plan);
	if (x->j->data)
		json_object_set_new(x->j->data, "text", json_string(text));
	free(text);
	plan_free(plan);
	return 0;
}

/* ---- tier 2 ---- */

static void
tier2_progress(void *arg, const struct progress *p)
{
	struct opctx *x = arg;

	dbworker_progress(x->d, x->j, json_pack("{s:s?, s:s?, s:s?, s:s?, "
	    "s:i, s:i, s:I, s:I, s:I, s:s?}", "phase", p->phase,
	    "version", p->version, "name", p->name, "direction",
	    p->direction, "stmt", p->stmt, "nstmts", p->nstmts,
	    "rows_done", (json_int_t)p->rows_done, "rows_total",
	    (json_int_t)p->rows_total, "elapsed_ms",
	    (json_int_t)p->elapsed_ms, "message", p->message));
}

static int
tier2_env(struct opctx *x, struct mig_env *env, int locking,
    struct merr *e)
{
	const char *ci;

	memset(env, 0, sizeof(*env));
	env->cfg = x->cfg;
	env->db = x->db;
	env->hook = &x->hook;
	env->actor = &x->j->actor;
	env->progress = tier2_progress;
	env->progress_arg = x;
	env->stop = &x->d->stop;
	env->cache = &x->o->cache;
	if (!locking)
		return 0;
	ci = x->cfg->database ? x->cfg->database : "";
	if (x->o->lockdb.conn && strcmp(x->o->lockinfo, ci)) {
		db_close(&x->o->lockdb);	/* reloaded: another database */
		free(x->o->lockinfo);
		x->o->lockinfo = NULL;
	}
	if (x->o->lockdb.conn == NULL) {
		if (db_connect(&x->o->lockdb, x->cfg->database,
		    "migrated lock", e) == -1)
			return -1;
		free(x->o->lockinfo);
		if ((x->o->lockinfo = strdup(ci)) == NULL) {
			db_close(&x->o->lockdb);
			return merr_set(e, MERR_NOMEM, "out of memory");
		}
	}
	env->lockdb = &x->o->lockdb;
	return 0;
}

/* What status keeps of tier 2: counts and the names that matter. */
static json_t *
tier2_summary(const struct migrate_result *r)
{
	json_t *pending = json_array(), *dirty = json_array();

	for (size_t i = 0; i < r->nrows; i++) {
		const struct migrate_row *w = &r->rows[i];
		char n[MIG_VERSION_MAX + 256];

		/* "20240110_150000_add_user_preferences", as the file */
		snprintf(n, sizeof(n), "%s%s%s", w->version, w->name ? "_" :
		    "", w->name ? w->name : "");

		if (w->state == MIG_PENDING)
			json_array_append_new(pending, json_string(n));
		else if (w->state == MIG_DIRTY)
			json_array_append_new(dirty, json_pack("{s:s, s:s?, "
			    "s:i, s:i, s:s?}", "name", n, "direction",
			    w->direction, "stmt_done", w->stmt_done, "nstmts",
			    w->nstmts, "error", w->error));
	}
	return json_pack("{s:b, s:s, s:i, s:i, s:i, s:i, s:i, s:o, s:o}",
	    "available", 1, "current", r->current, "applied", r->napplied,
	    "drift", r->ndrift, "missing", r->nmissing, "out_of_order",
	    r->nooo, "dirty_count", r->ndirty, "pending", pending, "dirty",
	    dirty);
}

static int
tier2_status(struct opctx *x, struct merr *e)
{
	struct migrate_result r;
	struct mig_env env;
	int rc;

	migrate_result_init(&r);
	tier2_env(x, &env, 0, e);
	if ((rc = migrate_status(&env, &r, e)) == 0) {
		json_decref(x->j->tier2_state);
		x->j->tier2_state = tier2_summary(&r);
	}
	migrate_result_release(&r);
	return rc;
}

static void
tier2_opts(const struct proto_request *q, struct migrate_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->steps = q->steps > 0 ? (int)q->steps : 0;
	o->target = q->to;
	o->all = q->all;
	o->allow_out_of_order = q->out_of_order;
	o->yes = q->yes;
	o->dry_run = q->dry_run;
}

static int
tier2_call(struct opctx *x, const struct mig_env *env,
    struct migrate_result *r, struct merr *e)
{
	const char *n = x->j->name;
	const struct proto_request *q = &x->j->req;
	struct migrate_opts o;

	tier2_opts(q, &o);
	if (!strcmp(n, "list"))
		return migrate_list(env, r, e);
	if (!strcmp(n, "validate"))
		return migrate_validate(env, r, e);
	if (!strcmp(n, "up"))
		return migrate_up(env, &o, r, e);
	if (!strcmp(n, "down"))
		return migrate_down(env, &o, r, e);
	if (!strcmp(n, "goto"))
		return migrate_goto(env, q->version, &o, r, e);
	if (!strcmp(n, "force"))
		return migrate_force(env, q->version, &o, r, e);
	if (!strcmp(n, "redo"))
		return migrate_redo(env, &o, r, e);
	return merr_set(e, MERR_INTERNAL, "no tier-2 operation '%s'", n);
}

int
op_tier2(struct opctx *x, struct merr *e)
{
	struct migrate_result r;
	struct mig_env env;
	struct merr ignore;
	size_t changed;
	int rc;

	if (ops_connect(x, e) == -1 ||
	    tier2_env(x, &env, x->j->mutating, e) == -1)
		return -1;
	migrate_result_init(&r);
	rc = tier2_call(x, &env, &r, e);
	/* a failure may have changed something (statement-wise files) */
	changed = rc == -1 || r.nsteps > 0;
	if (rc == 0)
		x->j->data = migrate_result_to_json(&r);
	else if (e->code == MERR_REFUSED && !x->j->req.yes &&
	    !strcmp(x->j->name, "goto"))
		x->j->code = PROTO_CONFIRM;
	migrate_result_release(&r);
	/* an up with nothing to do changed nothing: status stays as it is */
	if (db_ok(x->db) && (!x->j->mutating || changed)) {
		merr_clear(&ignore);
		tier2_status(x, &ignore);
		if (x->j->mutating)
			tier1_replan(x);
	}
	return rc;
}

static int
tier2_refresh(struct opctx *x, struct merr *e)
{
	return tier2_status(x, e);
}

/* Apply what is pending as the daemon itself (apply: on-start etc.). */
static int
tier2_autoup(struct opctx *x, struct merr *e)
{
	struct migrate_result r;
	struct migrate_opts o;
	struct mig_env env;
	int rc;

	if (tier2_env(x, &env, 1, e) == -1)
		return -1;
	memset(&o, 0, sizeof(o));
	migrate_result_init(&r);
	rc = migrate_up(&env, &o, &r, e);
	migrate_result_release(&r);
	if (rc == 0)
		rc = tier2_status(x, e);
	return rc;
}

static long
pending_count(const json_t *t2)
{
	return (long)json_array_size(json_object_get(t2, "pending"));
}

/*
 * startup (once), recheck (database back) and reload: connect, tier 1,
 * tier-2 status; pending enhancements applied when the config says so.
 */
int
op_startup(struct opctx *x, struct merr *e)
{
	const char *n = x->j->name;
	char detail[300];

	if (ops_connect(x, e) == -1)
		return -1;
	if (!strcmp(n, "startup") && !x->o->started) {
		snprintf(detail, sizeof(detail), "pid %ld, config %s",
		    (long)getpid(), x->cfg->path ? x->cfg->path : "(none)");
		if (ops_emit(x, "daemon.start", MIGRATED_VERSION, detail, 1,
		    e) == -1)
			return -1;
		x->o->started = 1;
	}
	if (!strcmp(n, "reload") && ops_emit(x, "daemon.reload",
	    x->cfg->path, NULL, 1, e) == -1)
		return -1;
	if (tier1_run(x, e) == -1 || tier2_refresh(x, e) == -1)
		return -1;
	if (!strcmp(n, "reload"))	/* what the reload found, for the peer */
		x->j->data = json_pack("{s:O?, s:O?}", "schema",
		    x->j->tier1_state, "enhancements", x->j->tier2_state);
	if (!strcmp(n, "startup") && x->cfg->apply != APPLY_ON_COMMAND &&
	    pending_count(x->j->tier2_state) > 0)
		return tier2_autoup(x, e);
	return 0;
}

/* Parse and lint every file: a syntax error fails, findings are logged. */
static int
tier2_validate(struct opctx *x, struct merr *e)
{
	struct migrate_result r;
	struct mig_env env;
	int rc;

	migrate_result_init(&r);
	tier2_env(x, &env, 0, e);
	if ((rc = migrate_validate(&env, &r, e)) == 0)
		for (size_t i = 0; i < r.lint.n; i++) {
			const struct lint_finding *f = &r.lint.v[i];

			log_warnx("lint: %s:%d:%d: %s (%s)", f->file, f->line,
			    f->col, f->message, lint_rule_name(f->rule));
		}
	migrate_result_release(&r);
	return rc;
}

/* The watcher saw the folder change: revalidate (and maybe apply). */
int
op_refresh(struct opctx *x, struct merr *e)
{
	if (ops_connect(x, e) == -1 || tier2_refresh(x, e) == -1 ||
	    tier2_validate(x, e) == -1)
		return -1;
	if (x->j->mutating && pending_count(x->j->tier2_state) > 0)
		return tier2_autoup(x, e);
	return 0;
}

int
op_check(struct opctx *x, struct merr *e)
{
	struct plan *plan = NULL;
	json_t *t2, *problems = json_array();
	long pend;

	if (ops_connect(x, e) == -1 ||
	    tier1_plan(x->cfg, x->db, &plan, e) == -1 ||
	    tier2_status(x, e) == -1) {
		if (plan)
			plan_free(plan);
		json_decref(problems);
		return -1;
	}
	t2 = x->j->tier2_state;
	pend = pending_count(t2);
	if (plan->nsafe)
		json_array_append_new(problems, json_sprintf("%zu schema "
		    "change(s) not applied yet", plan->nsafe));
	if (plan->nrefused)
		json_array_append_new(problems, json_sprintf("%zu schema "
		    "change(s) refused", plan->nrefused));
	if (plan->ndrift)
		json_array_append_new(problems, json_sprintf("%zu drift "
		    "item(s)", plan->ndrift));
	if (pend)
		json_array_append_new(problems, json_sprintf("%ld "
		    "enhancement(s) pending", pend));
	if (json_integer_value(json_object_get(t2, "dirty_count")))
		json_array_append_new(problems, json_string("a dirty "
		    "enhancement"));
	if (json_integer_value(json_object_get(t2, "drift")))
		json_array_append_new(problems, json_string("an applied "
		    "enhancement was edited (checksum)"));
	x->j->data = json_pack("{s:b, s:{s:I, s:I, s:I}, s:O, s:o}",
	    "clean", json_array_size(problems) == 0, "schema",
	    "safe", (json_int_t)plan->nsafe, "refused",
	    (json_int_t)plan->nrefused, "drift", (json_int_t)plan->ndrift,
	    "enhancements", t2, "problems", problems);
	plan_free(plan);
	return 0;
}

/* ---- audit ---- */

static char *
log_markdown(struct opctx *x, const struct audit_rows *rows)
{
	const char *db = PQdb(x->db->conn);
	struct migrate_result r;
	struct mig_env env;
	struct audit_version *v;
	struct merr ignore;
	char *md;

	migrate_result_init(&r);
	tier2_env(x, &env, 0, &ignore);
	if (migrate_list(&env, &r, &ignore) == -1)
		r.nrows = 0;
	v = calloc(r.nrows + 1, sizeof(*v));
	for (size_t i = 0; v && i < r.nrows; i++) {
		v[i].version = r.rows[i].version;
		v[i].name = r.rows[i].name;
	}
	md = audit_render_markdown(rows, v, v ? r.nrows : 0, db);
	free(v);
	migrate_result_release(&r);
	return md;
}

int
op_log(struct opctx *x, struct merr *e)
{
	const struct proto_request *q = &x->j->req;
	struct audit_filter f;
	struct audit_rows rows;
	char *md;

	memset(&f, 0, sizeof(f));
	memset(&rows, 0, sizeof(rows));
	f.since = q->since;
	f.version = q->version;
	f.action = q->markdown ? "tier2" : NULL;
	f.limit = q->limit >= 0 ? q->limit : (q->markdown ? 0 : 100);
	if (ops_connect(x, e) == -1 ||
	    audit_query(x->db, x->cfg, &f, &rows, e) == -1) {
		if (e->code == MERR_INPUT)
			x->j->code = PROTO_BAD_ARG;
		return -1;
	}
	if (q->markdown) {
		md = log_markdown(x, &rows);
		x->j->data = json_pack("{s:s?}", "markdown", md);
		free(md);
	} else {
		x->j->data = json_pack("{s:o}", "rows",
		    audit_rows_json(&rows));
	}
	audit_rows_release(&rows);
	return 0;
}

int
op_audit(struct opctx *x, struct merr *e)
{
	struct audit_verify_result v;

	if (strcmp(x->j->req.sub, "verify")) {
		x->j->code = PROTO_BAD_ARG;
		merr_set(e, MERR_USAGE, "unknown audit subcommand '%s'",
		    x->j->req.sub);
		snprintf(e->field, sizeof(e->field), "sub");
		merr_hint(e, "subcommands: verify");
		return -1;
	}
	memset(&v, 0, sizeof(v));
	if (ops_connect(x, e) == -1 || audit_verify(x->db, x->cfg, &v, e))
		return -1;
	if (v.broken_id) {
		merr_set(e, MERR_STATE, "audit chain broken at row %lld: %s",
		    v.broken_id, v.reason);
		merr_detail(e, "%lld rows checked", v.rows);
		return -1;
	}
	if (!v.guarded) {
		merr_set(e, MERR_STATE, "audit table is not append-only: its "
		    "trigger is missing or disabled");
		return -1;
	}
	x->j->data = json_pack("{s:b, s:I, s:I, s:s, s:b}", "intact", 1,
	    "rows", (json_int_t)v.rows, "head_id", (json_int_t)v.head_id,
	    "head", v.head, "guarded", v.guarded);
	return 0;
}

/* ---- before connecting ---- */

/*
 * Load the models and parse the migrations folder without a database, so
 * that a bad file stops the start (or a reload) before anything connects.
 * Runs on the loop thread at start-up and on reload: plain file parsing.
 */
int
ops_preflight(const struct config *cfg, struct merr *e)
{
	struct schema *s = NULL;
	struct migrate_result r;
	struct mig_env env;
	int rc;

	if (model_load_dir(cfg->models_dir, &s, e) == -1)
		return -1;
	schema_free(s);
	memset(&env, 0, sizeof(env));
	env.cfg = cfg;		/* no database: parse and lint only */
	migrate_result_init(&r);
	rc = migrate_validate(&env, &r, e);
	migrate_result_release(&r);
	return rc;
}
