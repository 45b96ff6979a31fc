/*
 * migrate.c - the tier-2 operations over a migrations folder and the
 * tracking table.  See migrate.h.
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

void
mstate_release(struct mstate *s)
{
	if (s->set == &s->own)
		migset_release(&s->own);
	s->set = NULL;
	if (s->trk_borrowed)
		memset(&s->trk, 0, sizeof(s->trk));
	else
		tracking_release(&s->trk);
	s->trk_borrowed = 0;
	if (s->locked && s->env->lockdb) {
		db_unlock(s->env->lockdb, NULL);
	}
	s->locked = 0;
}

/* The advisory lock on its own idle connection, waited for briefly. */
static int
mstate_lock(struct mstate *s, struct merr *e)
{
	return runner_lock(s->env, s->env->cfg->lock_timeout_ms, &s->locked,
	    NULL, e);
}

/*
 * Load the folder and the tracking table; with MST_MUTATE, first take the
 * lock, then rename an old build's table or adopt another tool's history
 * (mstate_first) and create the table (so what we read cannot change
 * under us).
 */
int
mstate_load(struct mstate *s, const struct mig_env *env, int flags,
    struct merr *e)
{
	int mutate = flags & MST_MUTATE;

	memset(s, 0, sizeof(*s));
	s->env = env;
	if (mutate && mstate_lock(s, e) == -1)
		goto fail;
	if (env->cache) {
		s->set = env->cache;
		if (!env->cache_fresh && migset_refresh(s->set,
		    env->cfg->migrations_dir, NULL, e) == -1)
			goto fail;
	} else {
		s->set = &s->own;
		if (migset_load(s->set, env->cfg->migrations_dir, e) == -1)
			goto fail;
	}
	if (!mutate && (flags & MST_TRK_READ) && env->trk_read) {
		s->trk = *env->trk_read;
		s->trk_borrowed = 1;
	} else if (env->db && tracking_load(env->db, env->cfg, &s->trk,
	    e) == -1)
		goto fail;
	if (mutate && (flags & MST_NOADOPT))
		return 0;	/* the caller decides (migadopt.c) */
	if (mutate && mstate_first(s, NULL, e) == -1)
		goto fail;
	if (mutate && !s->trk.exists && tracking_create(env->db, env->cfg,
	    &s->trk, e) == -1)
		goto fail;
	return 0;
fail:
	mstate_release(s);
	return -1;
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct migrate_row *)a)->key,
	    ((const struct migrate_row *)b)->key);
}

void
mstate_newest(const struct mstate *s, char key[MIG_KEY_MAX], char *cur,
    size_t curlen)
{
	char k[MIG_KEY_MAX];

	key[0] = '\0';
	if (cur)
		cur[0] = '\0';
	for (size_t i = 0; i < s->trk.n; i++) {
		if (s->trk.v[i].dirty ||
		    migset_key(s->set->layout, s->trk.v[i].version, k) == -1 ||
		    k[0] == MIG_KEY_REPEATABLE || strcmp(k, key) <= 0)
			continue;
		memcpy(key, k, sizeof(k));
		if (cur)
			snprintf(cur, curlen, "%s", s->trk.v[i].version);
	}
}

int
mstate_pending(const struct migration *m, const struct trk_row *t)
{
	return t == NULL || t->dirty ||
	    (m->repeatable && strcmp(t->checksum, m->checksum) != 0);
}

int
mstate_sum_same(const struct trk_row *t, const struct migration *m)
{
	char out[ADOPT_SUM_MAX];
	int same;

	if (strcmp(t->checksum, m->checksum) == 0)
		return 1;
	return adopt_sum_check(t->checksum, m, &same, out) && same;
}

static int
row_from_trk(struct migrate_row *w, const struct trk_row *t)
{
	w->checksum = t->checksum ? strdup(t->checksum) : NULL;
	w->applied_at = t->applied_at ? strdup(t->applied_at) : NULL;
	w->applied_by = t->applied_by ? strdup(t->applied_by) : NULL;
	w->duration_ms = t->duration_ms;
	w->state = t->dirty ? MIG_DIRTY : MIG_APPLIED;
	if (t->dirty) {
		w->direction = strdup(t->direction);
		w->stmt_done = t->stmt_done;
		w->error = t->error ? strdup(t->error) : NULL;
	}
	return 0;
}

/* status rows: the folder and the table merged, in version order. */
int
mstate_rows(struct mstate *s, struct migrate_result *res, struct merr *e)
{
	size_t i, n = 0, cap = s->set->n + s->trk.n;
	char newest[MIG_KEY_MAX];
	struct migrate_row *w;

	res->layout = migset_layout_name(s->set->layout);
	if (cap && (res->rows = calloc(cap, sizeof(*res->rows))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	mstate_newest(s, newest, res->current, sizeof(res->current));
	for (i = 0; i < s->set->n; i++) {
		struct migration *m = &s->set->v[i];
		const struct trk_row *t = tracking_find(&s->trk, m->version);
		int down = t && t->dirty && !strcmp(t->direction, "down");
		struct merr ignore;

		/* "dirty, 1 of 3 statements done": the count needs a parse */
		merr_clear(&ignore);
		if (t && t->dirty)
			(void)(down ? migset_prepare_down(m, &ignore) :
			    migset_prepare(m, &ignore));
		w = &res->rows[n++];
		memcpy(w->key, m->key, sizeof(w->key));
		snprintf(w->version, sizeof(w->version), "%s", m->version);
		w->name = strdup(m->name);
		w->has_rollback = m->down.path != NULL;
		memcpy(w->down_checksum, m->down_checksum,
		    sizeof(w->down_checksum));
		if (t) {
			row_from_trk(w, t);
			w->drift = !mstate_sum_same(t, m);
			w->nstmts = (int)(down ? m->down.nstmts :
			    m->up.nstmts);
		}
		if (t && m->repeatable && !t->dirty && mstate_pending(m, t)) {
			w->drift = 0;	/* changed: applied again by up */
			w->state = MIG_PENDING;
		} else if (t == NULL) {
			w->state = MIG_PENDING;
			w->out_of_order = !m->repeatable &&
			    strcmp(m->key, newest) < 0;
		}
	}
	for (i = 0; i < s->trk.n; i++) {
		const struct trk_row *t = &s->trk.v[i];

		if (migset_find(s->set, t->version))
			continue;
		w = &res->rows[n++];
		if (migset_key(s->set->layout, t->version, w->key) == -1)
			snprintf(w->key, sizeof(w->key), "\x7f%s", t->version);
		snprintf(w->version, sizeof(w->version), "%s", t->version);
		w->name = strdup(t->name);
		row_from_trk(w, t);
		w->state = MIG_MISSING;
	}
	res->nrows = n;
	if (n)
		qsort(res->rows, n, sizeof(*res->rows), row_cmp);
	for (i = 0; i < n; i++) {
		w = &res->rows[i];
		res->npending += w->state == MIG_PENDING;
		res->napplied += w->state == MIG_APPLIED;
		res->ndirty += w->state == MIG_DIRTY;
		res->nmissing += w->state == MIG_MISSING;
		res->ndrift += w->drift;
		res->nooo += w->out_of_order;
	}
	return 0;
}

int
mres_step(struct migrate_result *res, const struct migration *m,
    const char *action, long ms, int statements, struct merr *e)
{
	struct migrate_step *nv, *st;
	size_t cap = res->steps_cap ? res->steps_cap * 2 : 16;

	if (res->nsteps == res->steps_cap) {	/* a thousand-file up */
		if ((nv = realloc(res->steps, cap * sizeof(*nv))) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		res->steps = nv;
		res->steps_cap = cap;
	}
	st = &res->steps[res->nsteps];
	memset(st, 0, sizeof(*st));
	snprintf(st->version, sizeof(st->version), "%s", m->version);
	if ((st->name = strdup(m->name)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	st->action = action;
	st->duration_ms = ms;
	st->statements = statements;
	res->nsteps++;
	return 0;
}

#define ROLLBACK_HINT \
	"fix the rollback before you need it: 'down' refuses to run it"

/*
 * The rollbacks known not to parse (parsed before, kept in a cached set:
 * nothing is parsed here) as rollback-syntax findings.
 */
static int
mstate_broken(const struct mstate *s, struct migrate_result *res,
    struct merr *e)
{
	for (size_t i = 0; i < s->set->n; i++) {
		const struct merr *why = s->set->v[i].down.broken;

		if (why && lint_add_error(&res->lint, LINT_ROLLBACK_SYNTAX, why,
		    ROLLBACK_HINT, e) == -1)
			return -1;
	}
	return 0;
}

/* status; adopted: as migrate_check_status() reads it */
static int
status_read(const struct mig_env *env, int adopted,
    struct migrate_result *res, struct merr *e)
{
	struct mstate s;
	int rc = 0;

	res->op = "status";
	/* the adopted view adds rows: never to a table borrowed */
	if (mstate_load(&s, env, adopted ? 0 : MST_TRK_READ, e) == -1)
		return -1;
	if (adopted)
		rc = mstate_as_adopted(&s, res, e);
	if (rc == 0)
		rc = mstate_rows(&s, res, e);
	if (rc == 0)
		rc = mstate_broken(&s, res, e);
	mstate_release(&s);
	return rc;
}

int
migrate_status(const struct mig_env *env, struct migrate_result *res,
    struct merr *e)
{
	return status_read(env, 0, res, e);
}

int
migrate_check_status(const struct mig_env *env, struct migrate_result *res,
    struct merr *e)
{
	return status_read(env, 1, res, e);
}

int
migrate_parse_rollbacks(const struct mig_env *env, struct merr *e)
{
	struct mig_env files = *env;	/* the folder only */
	struct mstate s;
	struct merr why;
	int rc = 0;

	files.db = NULL;
	if (mstate_load(&s, &files, 0, e) == -1)
		return -1;
	for (size_t i = 0; rc == 0 && i < s.set->n; i++) {
		merr_clear(&why);
		if (migset_prepare_down(&s.set->v[i], &why) == -1 &&
		    why.code == MERR_NOMEM)
			rc = merr_set(e, MERR_NOMEM, "out of memory");
	}
	mstate_release(&s);
	return rc;
}

int
migrate_list(const struct mig_env *env, struct migrate_result *res,
    struct merr *e)
{
	int rc = migrate_status(env, res, e);

	res->op = "list";
	return rc;
}

/*
 * A rollback that does not parse is a warning here (it has never run and
 * may never run); it is an error only when down is about to run it.
 * With res NULL the warning is only kept on the set (status reads it).
 */
static int
validate_down(struct migration *m, int strict, struct migrate_result *res,
    struct merr *e)
{
	struct merr why;

	merr_clear(&why);
	if (migset_prepare_down(m, &why) == 0)
		return 0;
	if (why.code == MERR_NOMEM || why.code == MERR_STATE) {
		*e = why;	/* out of memory, or stopped: not the file's */
		return -1;
	}
	if (strict) {
		*e = why;
		merr_hint(e, "validate --strict: every rollback must parse");
		return -1;
	}
	if (res == NULL)
		return 0;
	return lint_add_error(&res->lint, LINT_ROLLBACK_SYNTAX, &why,
	    ROLLBACK_HINT, e);
}

/* Is m in known, as t2_summary.clean keys it? */
static int
known_has(const struct vlist *known, const struct migration *m)
{
	char key[MIG_VERSION_MAX + 2 * MIG_SHA256_HEX];

	if (known->n == 0 || snprintf(key, sizeof(key), "%s/%s/%s",
	    m->version, m->checksum, m->down_checksum) >= (int)sizeof(key))
		return 0;
	return vlist_has(known, key);
}

/*
 * Parse every file of the set and check its nolint comments; the lint
 * findings go to res, or with res NULL are not looked for, nor for a
 * file in known (may be NULL: migrate_validate_known(); its rollback's
 * parse error is kept on the set only, as with res NULL).
 */
static int
validate_files(struct mstate *s, const struct mig_env *env, int strict,
    const struct vlist *known, struct migrate_result *res, struct merr *e)
{
	size_t i;
	int rc = -1;

	/*
	 * a stop (SIGTERM) ends a long parse here, between statements; an
	 * operation that runs files parses them whole, then its runner stops
	 * before their first statement
	 */
	for (i = 0; i < s->set->n; i++)
		s->set->v[i].up.stop = s->set->v[i].down.stop = env->stop;
	if (migset_prepare_all(s->set, e) == -1)
		goto out;
	for (i = 0; i < s->set->n; i++) {
		struct migration *m = &s->set->v[i];
		int quiet = res == NULL || (known && known_has(known, m));

		if (lint_script(&m->up, quiet ? NULL : &res->lint, e) == -1 ||
		    validate_down(m, strict, quiet ? NULL : res, e) == -1)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < s->set->n; i++)
		s->set->v[i].up.stop = s->set->v[i].down.stop = NULL;
	return rc;
}

int
migrate_validate(const struct mig_env *env, int strict,
    struct migrate_result *res, struct merr *e)
{
	return migrate_validate_known(env, strict, NULL, res, e);
}

int
migrate_validate_known(const struct mig_env *env, int strict,
    const struct vlist *known, struct migrate_result *res, struct merr *e)
{
	struct mstate s;
	int rc = -1;

	res->op = "validate";
	if (mstate_load(&s, env, 0, e) == -1)
		return -1;
	if (validate_files(&s, env, strict, known, res, e) == -1 ||
	    mstate_rows(&s, res, e) == -1)
		goto out;
	rc = 0;
	if (res->ndrift || res->ndirty) {
		rc = merr_set(e, MERR_STATE, "%d applied migration%s changed "
		    "since applied, %d dirty", res->ndrift,
		    res->ndrift == 1 ? "" : "s", res->ndirty);
		merr_hint(e, "run 'migratectl status' for the versions");
	}
out:
	mstate_release(&s);
	return rc;
}

int
migrate_check(const struct mig_env *env, struct merr *e)
{
	struct mig_env files = *env;	/* the folder only */
	struct mstate s;
	int rc;

	files.db = NULL;
	if (mstate_load(&s, &files, 0, e) == -1)
		return -1;
	rc = validate_files(&s, &files, 0, NULL, NULL, e);
	mstate_release(&s);
	return rc;
}

/* Applied as the file is now: a clean row with the file's checksum. */
static int
applied_unchanged(const struct migration *m, const struct trk_row *t)
{
	return t && !t->dirty && mstate_sum_same(t, m);
}

int
migrate_check_pending(const struct mig_env *env, size_t *nrun,
    struct tracking *keep, struct merr *e)
{
	struct mstate s;
	size_t i;
	int rc = -1;

	*nrun = 0;
	if (mstate_load(&s, env, 0, e) == -1)
		return -1;
	/* as validate_files(): every parse first, then every nolint rule */
	for (i = 0; i < s.set->n; i++)
		s.set->v[i].up.stop = env->stop;
	for (i = 0; i < s.set->n; i++) {
		struct migration *m = &s.set->v[i];

		if (applied_unchanged(m, tracking_find(&s.trk, m->version)))
			continue;
		(*nrun)++;
		if (migset_prepare(m, e) == -1)
			goto out;
	}
	for (i = 0; i < s.set->n; i++) {
		struct migration *m = &s.set->v[i];

		/* made now, while nothing waits on it, for up to copy */
		if (m->up.parsed && lint_keep(&m->up, e) == -1)
			goto out;
	}
	rc = 0;
	if (keep) {
		*keep = s.trk;
		memset(&s.trk, 0, sizeof(s.trk));
	}
out:
	for (i = 0; i < s.set->n; i++)
		s.set->v[i].up.stop = NULL;
	mstate_release(&s);
	return rc;
}
