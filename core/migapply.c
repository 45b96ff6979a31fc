/*
 * migapply.c - the mutating tier-2 operations: up, down, goto, force,
 * redo.  Everything is checked (state, files, parse, rollbacks) before
 * the first statement runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "config.h"
#include "db.h"
#include "migrate.h"
#include "migrate_int.h"
#include "tracking.h"

static int
need_yes(const struct migrate_opts *o, const char *what, struct merr *e)
{
	if (o->yes || o->dry_run)
		return 0;
	merr_set(e, MERR_REFUSED, "%s needs confirmation", what);
	merr_hint(e, "run it again with --yes (migratectl asks on a "
	    "terminal)");
	return -1;
}

/*
 * A refusal, before anything changed, is audited like a failure
 * ("tier2.refuse"): a user was told no, and the trail says why.
 */
static void
refused(const struct mig_env *env, const struct migrate_opts *o,
    const char *op, const struct merr *why)
{
	struct mig_event ev;
	struct merr ignore;

	if (o->dry_run || (why->code != MERR_STATE &&
	    why->code != MERR_REFUSED && why->code != MERR_INPUT))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.action = "tier2.refuse";
	ev.target = op;
	ev.detail = why->detail[0] ? why->detail : NULL;
	ev.duration_ms = -1;
	ev.error = why->msg;
	merr_clear(&ignore);
	event_emit(env->hook, env->db, &ev, &ignore);
}

/*
 * Refuse up while an applied file changed or a rollback is half done;
 * skip: a version that will be rolled back first (redo), or NULL.
 */
static int
up_check(struct mstate *s, const struct migration *skip, struct merr *e)
{
	size_t i;

	for (i = 0; i < s->set->n; i++) {
		const struct migration *m = &s->set->v[i];
		const struct trk_row *t = tracking_find(&s->trk, m->version);

		if (t == NULL || m == skip || (m->repeatable && !t->dirty))
			continue;	/* a changed repeatable runs again */
		if (t->dirty && strcmp(t->direction, "down") == 0) {
			merr_set(e, MERR_STATE, "cannot apply: rollback of "
			    "'%s' stopped at statement %d", m->id,
			    t->stmt_done + 1);
			merr_hint(e, "finish it with 'migratectl down', or "
			    "repair by hand and 'migratectl force'");
			return -1;
		}
		if (!t->dirty && !mstate_sum_same(t, m)) {
			char other[ADOPT_SUM_MAX];
			int same;

			merr_set(e, MERR_STATE, "cannot apply: '%s' was "
			    "changed after it was applied", m->id);
			/* "postgrator md5 9e10...": adopted from a tool
			   that ran another file than this one */
			if (adopt_sum_check(t->checksum, m, &same, other))
				merr_detail(e, "recorded %s, the file has %s",
				    t->checksum, other);
			else
				merr_detail(e, "recorded checksum %.12s..., "
				    "file has %.12s...", t->checksum,
				    m->checksum);
			merr_hint(e, "restore the file as applied, or check "
			    "the database and run 'migratectl force %s'",
			    m->version);
			return -1;
		}
	}
	return 0;
}

/*
 * A migration in code (goose's Go, node-pg-migrate's JavaScript) among
 * those to run: migrated runs SQL only, and nothing runs.  up: before is
 * the version 'up --to' may go up to.
 */
static int
code_refused(const struct migset *set, const struct migration *m, int up,
    const char *before, struct merr *e)
{
	const char *file = strrchr(m->up.path, '/');
	int goose = set->layout == MIG_LAYOUT_GOOSE;
	int pgrator = set->layout == MIG_LAYOUT_POSTGRATOR;
	const char *tool = goose ? "goose" : pgrator ? "postgrator" :
	    "node-pg-migrate";

	merr_set(e, MERR_STATE, "cannot %s '%s': it is a %s migration (%s), "
	    "which migrated cannot run", up ? "apply" : "roll back", m->id,
	    m->code, file ? file + 1 : m->up.path);
	if (!up) {
		merr_hint(e, "nothing was rolled back; 'migratectl down --to "
		    "%s' rolls back what comes after it, the service's own "
		    "%s rolls it back", m->version, tool);
		return -1;
	}
	merr_hint(e, "nothing was run; run it with the service's own %s "
	    "(%s %s), record it with 'migratectl adopt --from %s', then go "
	    "on%s%s%s", tool, goose ? "goose up-to" : pgrator ? "postgrator" :
	    "node-pg-migrate up", goose || pgrator ? m->version : m->id, tool,
	    before ? "; 'migratectl up --to " : "", before ? before : "",
	    before ? "' runs what comes before it" : "");
	return -1;
}

/* The migrations up would run, in order (dirty forward runs first). */
static int
up_plan(struct mstate *s, const struct migrate_opts *o,
    struct migration ***out, size_t *nout, struct merr *e)
{
	struct migration **v, *target = NULL;
	char newest[MIG_KEY_MAX];
	size_t i, n = 0;
	const struct trk_row *t;

	*out = NULL;
	*nout = 0;
	if (o->target && (target = migset_find(s->set, o->target)) == NULL)
		return merr_set(e, MERR_USAGE, "no migration '%s' in '%s'",
		    o->target, s->set->dir);
	mstate_newest(s, newest, NULL, 0);
	if (s->set->n && (v = calloc(s->set->n, sizeof(*v))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (s->set->n == 0)
		return 0;
	for (i = 0; i < s->set->n; i++) {
		struct migration *m = &s->set->v[i];

		t = tracking_find(&s->trk, m->version);
		if (!mstate_pending(m, t))
			continue;
		if (target && strcmp(m->key, target->key) > 0)
			break;
		if (o->steps > 0 && n >= (size_t)o->steps)
			break;
		if (m->code) {
			char before[MIG_VERSION_MAX];

			snprintf(before, sizeof(before), "%s", n ?
			    v[n - 1]->version : "");
			free(v);
			return code_refused(s->set, m, 1, n ? before : NULL,
			    e);
		}
		if (!t && !m->repeatable && strcmp(m->key, newest) < 0 &&
		    !o->allow_out_of_order) {
			free(v);
			merr_set(e, MERR_STATE, "cannot apply '%s': it is "
			    "older than the newest applied version", m->id);
			merr_hint(e, "apply it anyway with 'migratectl up "
			    "--out-of-order'");
			return -1;
		}
		v[n++] = m;
	}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * Parse every pending file (a syntax error anywhere stops everything).
 * Nothing has run yet: a stop (SIGTERM) ends a long parse between its
 * statements (MERR_STATE), the file left unparsed for the next time.
 */
static int
prepare_pending(struct mstate *s, struct merr *e)
{
	struct migration *m;
	size_t i;
	int rc = 0;

	for (i = 0; i < s->set->n && rc == 0; i++) {
		m = &s->set->v[i];
		if (!mstate_pending(m, tracking_find(&s->trk, m->version)))
			continue;
		m->up.stop = s->env->stop;
		rc = migset_prepare(m, e);
		m->up.stop = NULL;
	}
	return rc;
}

/* Was e a stop (SIGTERM) rather than a refusal? */
static int
stopped(const struct mig_env *env, const struct merr *e)
{
	return e->code == MERR_STATE && env->stop && *env->stop;
}

/* What run_list() records of each file that committed. */
struct run_steps {
	struct mstate		*s;
	struct migration	**v;
	const char		*verb;		/* "apply", "rollback" */
	struct migrate_result	*res;
};

static int
run_step(void *arg, size_t i, long ms, int stmts, struct merr *e)
{
	struct run_steps *rs = arg;
	const struct trk_row *t = tracking_find(&rs->s->trk,
	    rs->v[i]->version);
	const char *verb = strcmp(rs->verb, "apply") == 0 && t && t->dirty ?
	    "resume" : rs->verb;

	return mres_step(rs->res, rs->v[i], verb, ms, stmts, e);
}

static int
run_list(struct mstate *s, struct migration **v, size_t n, enum run_dir dir,
    struct migrate_result *res, struct merr *e)
{
	struct run_steps rs = { s, v, dir == RUN_DOWN ? "rollback" : "apply",
	    res };
	const struct trk_row **resume;
	int rc;

	if (n == 0)
		return 0;
	if ((resume = calloc(n, sizeof(*resume))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		resume[i] = tracking_find(&s->trk, v[i]->version);
	rc = runner_run_list(s->env, v, n, dir, resume, run_step, &rs, e);
	free(resume);
	return rc;
}

/*
 * The state after an operation: tracking reread when something ran, the
 * rows of the result, the state released.  rc is the operation's result.
 */
static int
mstate_finish(struct mstate *s, const struct migrate_opts *o,
    struct migrate_result *res, int rc, struct merr *e)
{
	if (rc == 0 && res->nsteps && !o->dry_run) {
		tracking_release(&s->trk);
		rc = tracking_load(s->env->db, s->env->cfg, &s->trk, e);
	}
	if (rc == 0)
		rc = mstate_rows(s, res, e);
	mstate_release(s);
	return rc;
}

/*
 * Is the folder applied exactly as it is?  Every file has a row that is
 * not dirty and records its checksum (so up_check() passes and up_plan()
 * finds nothing), and every row has its file: the files' versions are
 * distinct and so are the rows', so as many rows as files, none dirty,
 * and the same (version, checksum) pairs (their digests, made the same
 * way on both sides) is each file having its own row and no row left
 * without one.
 */
static int
up_settled(struct mstate *s, const struct trk_digest *t, struct merr *e)
{
	const char *mine = migset_digest(s->set);

	if (mine == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return t->n == (long long)s->set->n && !t->dirty &&
	    strcmp(t->digest, mine) == 0;
}

/*
 * What mstate_rows() says of a settled folder, without its rows (up's
 * reply lists none): every file applied, the newest version current.
 */
static void
settled_result(const struct mstate *s, struct migrate_result *res)
{
	size_t i = s->set->n;

	res->op = "up";
	res->layout = migset_layout_name(s->set->layout);
	/* the last by key that is no repeatable (they sort last) */
	while (i > 0 && s->set->v[i - 1].key[0] == MIG_KEY_REPEATABLE)
		i--;
	snprintf(res->current, sizeof(res->current), "%s",
	    i > 0 ? s->set->v[i - 1].version : "");
	res->napplied = (int)s->set->n;
}

int
migrate_settled_send(const struct mig_env *env, struct settled_read *q,
    struct merr *e)
{
	memset(q, 0, sizeof(*q));
	if (env->db == NULL)
		return 0;
	if (tracking_digest_send(env->db, env->cfg, &q->t, e) == -1)
		return -1;
	q->db = env->db;
	return 0;
}

/* The folder read (the server makes the digest meanwhile), then the row. */
int
migrate_settled_end(const struct mig_env *env, struct settled_read *q,
    struct migrate_result *res, struct merr *e)
{
	struct mig_env files = *env;	/* the folder; the table summed up */
	struct mstate s;
	int sure, rc;

	if (q->db == NULL)
		return 0;
	files.db = NULL;
	rc = mstate_load(&s, &files, 0, e);
	tracking_digest_read(q->db, &q->t, &sure);
	q->db = NULL;
	if (rc == -1)
		return -1;
	if (sure && (rc = up_settled(&s, &q->t, e)) == 1)
		settled_result(&s, res);
	mstate_release(&s);
	return rc;
}

int
migrate_settled(const struct mig_env *env, struct migrate_result *res,
    struct merr *e)
{
	struct settled_read q;

	if (migrate_settled_send(env, &q, e) == -1)
		return -1;
	return migrate_settled_end(env, &q, res, e);
}

int
migrate_up_settled_send(const struct mig_env *env,
    const struct migrate_opts *o, struct settled_read *q, struct merr *e)
{
	struct merr ignore;

	memset(q, 0, sizeof(*q));
	/* the locked path would refuse this connection (a pooler in
	   transaction mode) or look up a target: its answer; the caller
	   holds the lock: the locked path reads once */
	if (o->target || env->db == NULL || env->lockdb == NULL || env->held)
		return 0;
	/* the lock's connection not opened yet: env->db's conninfo is its
	   own, and reaches the server directly (no pooler to ask) */
	merr_clear(&ignore);
	if (env->lockdb->conn ? !env->lockdb->pinned :
	    db_direct(env->db, &ignore) != 1)
		return 0;
	return migrate_settled_send(env, q, e);
}

int
migrate_up_settled(const struct mig_env *env, const struct migrate_opts *o,
    struct migrate_result *res, struct merr *e)
{
	struct settled_read q;

	if (migrate_up_settled_send(env, o, &q, e) == -1)
		return -1;
	return migrate_settled_end(env, &q, res, e);
}

int
migrate_up(const struct mig_env *env, const struct migrate_opts *o,
    struct migrate_result *res, struct merr *e)
{
	struct migration **v = NULL;
	struct mstate s;
	size_t i, n = 0;
	int rc = -1;

	res->op = "up";
	if (mstate_load(&s, env, !o->dry_run, e) == -1) {
		/* another tool's history that cannot be adopted */
		if (e->code == MERR_STATE)
			refused(env, o, "up", e);
		return -1;
	}
	if (up_check(&s, NULL, e) == -1 || up_plan(&s, o, &v, &n, e) == -1 ||
	    prepare_pending(&s, e) == -1) {
		if (!stopped(env, e))
			refused(env, o, "up", e);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (lint_script(&v[i]->up, &res->lint, e) == -1)
			goto out;
	if (o->dry_run) {
		for (i = 0; i < n; i++)
			if (mres_step(res, v[i], "would apply", 0,
			    (int)v[i]->up.nstmts, e) == -1)
				goto out;
		rc = 0;
		goto out;
	}
	rc = run_list(&s, v, n, RUN_UP, res, e);
out:
	free(v);
	return mstate_finish(&s, o, res, rc, e);
}

/* Applied versions to roll back, newest first; all checked first. */
static int
down_plan(struct mstate *s, const struct migrate_opts *o,
    struct migration ***out, size_t *nout, struct merr *e)
{
	struct migration **v, *m;
	char limit[MIG_KEY_MAX] = "";
	char hint[MIG_VERSION_MAX + 80];
	size_t i, n = 0, want;

	*out = NULL;
	*nout = 0;
	want = o->all || o->target ? (size_t)-1 : o->steps > 0 ?
	    (size_t)o->steps : 1;
	if (o->target && strcmp(o->target, "0") != 0) {
		if ((m = migset_find(s->set, o->target)) == NULL ||
		    tracking_find(&s->trk, m->version) == NULL)
			return merr_set(e, MERR_USAGE, "'%s' is not an "
			    "applied version", o->target);
		memcpy(limit, m->key, sizeof(limit));
	}
	for (i = 0; i < s->trk.n; i++) {
		struct trk_row *t = &s->trk.v[i];

		if (migset_find(s->set, t->version) == NULL) {
			merr_set(e, MERR_STATE, "cannot roll back: applied "
			    "version '%s' has no file in '%s'", t->version,
			    s->set->dir);
			merr_hint(e, "restore the file, or repair with "
			    "'migratectl force'");
			return -1;
		}
		if (t->dirty && strcmp(t->direction, "up") == 0) {
			merr_set(e, MERR_STATE, "cannot roll back: '%s%s%s' is "
			    "half applied (statement %d)", t->version,
			    *t->name ? "_" : "", t->name, t->stmt_done + 1);
			merr_hint(e, "finish it with 'migratectl up' first, or "
			    "repair with 'migratectl force'");
			return -1;
		}
	}
	if (s->set->n && (v = calloc(s->set->n, sizeof(*v))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (s->set->n == 0)
		return 0;
	for (i = s->set->n; i-- > 0 && n < want;) {
		m = &s->set->v[i];
		if (m->repeatable || tracking_find(&s->trk, m->version) == NULL)
			continue;	/* Flyway undoes versions only */
		if (o->target && strcmp(m->key, limit) <= 0)
			break;
		v[n++] = m;
	}
	for (i = 0; i < n; i++) {
		if (v[i]->code) {
			m = v[i];
			free(v);
			return code_refused(s->set, m, 0, NULL, e);
		}
		if (v[i]->down.path == NULL) {
			merr_set(e, MERR_STATE, "cannot roll back '%s': it has "
			    "no rollback", v[i]->id);
			/* the name the folder's own layout pairs with it */
			migset_rollback_hint(s->set, v[i], hint, sizeof(hint));
			merr_hint(e, "%s; nothing was rolled back", hint);
			free(v);
			return -1;
		}
		if (migset_prepare(v[i], e) == -1 ||
		    migset_prepare_down(v[i], e) == -1) {
			free(v);
			return -1;
		}
	}
	*out = v;
	*nout = n;
	return 0;
}

int
migrate_down(const struct mig_env *env, const struct migrate_opts *o,
    struct migrate_result *res, struct merr *e)
{
	struct migration **v = NULL;
	struct mstate s;
	size_t i, n = 0;
	int rc = -1;

	res->op = "down";
	if (need_yes(o, "rolling back", e) == -1 ||
	    mstate_load(&s, env, !o->dry_run, e) == -1)
		return -1;
	if (down_plan(&s, o, &v, &n, e) == -1) {
		refused(env, o, "down", e);
		goto out;
	}
	if (o->dry_run) {
		for (i = 0; i < n; i++)
			if (mres_step(res, v[i], "would roll back", 0,
			    (int)v[i]->down.nstmts, e) == -1)
				goto out;
		rc = 0;
		goto out;
	}
	rc = run_list(&s, v, n, RUN_DOWN, res, e);
out:
	free(v);
	return mstate_finish(&s, o, res, rc, e);
}

int
migrate_goto(const struct mig_env *env, const char *version,
    const struct migrate_opts *o, struct migrate_result *res,
    struct merr *e)
{
	struct migrate_opts o2 = *o;
	struct migrate_result cur;
	struct migration *m = NULL;
	struct migset set;
	char want[MIG_KEY_MAX] = "", have[MIG_KEY_MAX] = "";
	int rc;

	if (migset_load(&set, env->cfg->migrations_dir, e) == -1)
		return -1;
	if (strcmp(version, "0") != 0 &&
	    (m = migset_find(&set, version)) == NULL) {
		migset_release(&set);
		return merr_set(e, MERR_USAGE, "no migration '%s' in '%s'",
		    version, env->cfg->migrations_dir);
	}
	if (m)
		memcpy(want, m->key, sizeof(want));
	migrate_result_init(&cur);
	rc = migrate_status(env, &cur, e);
	if (rc == 0 && cur.current[0] &&
	    migset_key(set.layout, cur.current, have) == -1)
		have[0] = '\0';
	migrate_result_release(&cur);
	migset_release(&set);
	if (rc == -1)
		return -1;
	o2.target = version;
	o2.steps = 0;
	o2.all = 0;
	if (strcmp(want, have) >= 0)
		rc = migrate_up(env, &o2, res, e);
	else
		rc = migrate_down(env, &o2, res, e);
	res->op = "goto";
	return rc;
}

/*
 * Everything that would refuse the second half of a redo, checked before
 * the first half rolls anything back: another applied file changed, or
 * the newest version's files no longer parse.
 */
static int
redo_check(const struct mig_env *env, struct merr *e)
{
	struct migration *m = NULL;
	struct mstate s;
	int rc;

	if (mstate_load(&s, env, 0, e) == -1)
		return -1;
	for (size_t i = s.set->n; i-- > 0;)
		if (!s.set->v[i].repeatable &&
		    tracking_find(&s.trk, s.set->v[i].version)) {
			m = &s.set->v[i];
			break;
		}
	/* the newest is rolled back first: its file may have changed */
	rc = up_check(&s, m, e);
	if (rc == 0 && m && (rc = migset_prepare(m, e)) == 0)
		rc = migset_prepare_down(m, e);
	mstate_release(&s);
	return rc;
}

int
migrate_redo(const struct mig_env *env, const struct migrate_opts *o,
    struct migrate_result *res, struct merr *e)
{
	struct migrate_opts d = *o, u = *o;
	char version[MIG_VERSION_MAX];

	res->op = "redo";
	if (need_yes(o, "rolling back", e) == -1)
		return -1;
	if (redo_check(env, e) == -1) {
		refused(env, o, "redo", e);
		return -1;
	}
	d.steps = 1;
	d.all = 0;
	d.target = NULL;
	if (migrate_down(env, &d, res, e) == -1)
		return -1;
	res->op = "redo";
	if (res->nsteps == 0)
		return merr_set(e, MERR_STATE, "nothing to redo: no version "
		    "is applied");
	snprintf(version, sizeof(version), "%s", res->steps[0].version);
	if (o->dry_run)
		return 0;
	mres_rows_clear(res);	/* up rebuilds them */
	u.steps = 0;
	u.target = version;
	u.all = 0;
	if (migrate_up(env, &u, res, e) == -1)
		return -1;
	res->op = "redo";
	return 0;
}

struct force_ctx {
	struct mstate		*s;
	const struct migration	*to;
	int			 marked, removed;
	char			 actor[128];
};

static int
force_body(struct db *d, void *arg, struct merr *e)
{
	struct force_ctx *f = arg;
	struct mstate *s = f->s;
	struct mig_event ev;
	char detail[256], k[MIG_KEY_MAX];
	size_t i;

	for (i = 0; i < s->set->n; i++) {
		const struct migration *m = &s->set->v[i];
		const struct trk_row *t = tracking_find(&s->trk, m->version);
		struct trk_row w;

		if (strcmp(m->key, f->to->key) > 0)
			break;
		if (t && !t->dirty && strcmp(t->checksum, m->checksum) == 0)
			continue;
		memset(&w, 0, sizeof(w));
		w.version = (char *)(uintptr_t)m->version;
		w.name = m->name;
		w.checksum = (char *)(uintptr_t)m->checksum;
		w.applied_by = f->actor;
		w.direction = (char *)(uintptr_t)"up";
		if (tracking_put(d, s->env->cfg, &w, e) == -1)
			return -1;
		f->marked++;
	}
	for (i = 0; i < s->trk.n; i++) {
		if (migset_key(s->set->layout, s->trk.v[i].version, k) == 0 &&
		    (strcmp(k, f->to->key) <= 0 || k[0] == MIG_KEY_REPEATABLE))
			continue;	/* repeatables are not versions */
		if (tracking_delete(d, s->env->cfg, s->trk.v[i].version,
		    e) == -1)
			return -1;
		f->removed++;
	}
	snprintf(detail, sizeof(detail), "recorded version %s without "
	    "running SQL: %d marked applied, %d removed", f->to->version,
	    f->marked, f->removed);
	memset(&ev, 0, sizeof(ev));
	ev.action = "tier2.force";
	ev.target = f->to->id;
	ev.detail = detail;
	ev.checksum = f->to->checksum;
	ev.duration_ms = -1;
	ev.ok = 1;
	return event_emit(s->env->hook, d, &ev, e);
}

int
migrate_force(const struct mig_env *env, const char *version,
    const struct migrate_opts *o, struct migrate_result *res,
    struct merr *e)
{
	struct work w = { .lim = { env->cfg->lock_timeout_ms,
	    env->cfg->statement_timeout_ms, (int)env->cfg->lock_retries,
	    env->cfg->retry_backoff_ms } };
	struct runner ex;
	struct force_ctx f;
	struct mstate s;
	int rc = -1;

	res->op = "force";
	if (need_yes(o, "force", e) == -1)
		return -1;
	if (o->dry_run)
		return merr_set(e, MERR_USAGE, "force has no dry run");
	if (mstate_load(&s, env, 1, e) == -1)
		return -1;
	memset(&f, 0, sizeof(f));
	f.s = &s;
	runner_actor_name(env->actor, f.actor, sizeof(f.actor));
	if ((f.to = migset_find(s.set, version)) == NULL) {
		merr_set(e, MERR_USAGE, "no migration '%s' in '%s'", version,
		    s.set->dir);
		goto out;
	}
	runner_init(&ex, env->db, env->stop, &w);
	if (runner_tx(&ex, force_body, &f, e) == -1 ||
	    mres_step(res, f.to, "force", 0, 0, e) == -1)
		goto out;
	tracking_release(&s.trk);
	if (tracking_load(env->db, env->cfg, &s.trk, e) == 0)
		rc = mstate_rows(&s, res, e);
out:
	mstate_release(&s);
	return rc;
}
