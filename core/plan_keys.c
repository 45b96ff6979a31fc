/*
 * plan_keys.c - constraints and indexes of tables that exist: added the
 * lock-safe way (unique indexes CONCURRENTLY, keys NOT VALID then
 * VALIDATE), compared property by property with the models (see the
 * table in models/README.md), refused or drifted otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idxdef.h"
#include "plan_int.h"
#include "relopts.h"

static const char *
con_kind_name(enum sch_con_kind k)
{
	switch (k) {
	case SCH_PK: return "primary key";
	case SCH_UNIQUE: return "unique constraint";
	case SCH_FK: return "foreign key";
	case SCH_CHECK: return "check";
	case SCH_EXCLUDE: return "exclusion constraint";
	}
	return "constraint";
}

static int
con_same(struct pctx *x, const struct sch_constraint *w,
    const struct sch_constraint *h)
{
	if (w->kind != h->kind)
		return 0;
	if (w->kind == SCH_CHECK)
		return schema_expr_equal_memo(x->memo, w->expr, h->expr);
	if (!schema_strv_equal(w->cols, h->cols))
		return 0;
	if (w->kind != SCH_FK)
		return 1;
	return !strcmp(w->ref_schema, h->ref_schema) &&
	    !strcmp(w->ref_table, h->ref_table) &&
	    schema_strv_equal(w->ref_cols, h->ref_cols) &&
	    w->on_delete == h->on_delete && w->on_update == h->on_update;
}

/* Unique or primary key: unique index built concurrently, then USING. */
static void
plan_add_key(struct pctx *x, const struct sch_table *t,
    const struct sch_table *h, const struct sch_constraint *w)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	const char *q = plan_keep(x, &s, plan_qual(x, t->schema, t->name));
	const char *name = plan_keep(x, &s, plan_ident(x, w->name));

	if (w->kind == SCH_PK) {
		if (schema_find_pk(h)) {
			plan_add(x, 5, PLAN_REFUSED, "change primary key",
			    plan_tname(t), plan_fmt("the table has primary key "
			    "'%s'", schema_find_pk(h)->name),
			    plan_refuse_hint());
			goto out;
		}
		for (size_t i = 0; w->cols[i]; i++) {
			const struct sch_column *hc =
			    schema_find_column(h, w->cols[i]);
			if (hc && !hc->notnull) {
				plan_add(x, 5, PLAN_REFUSED, "add primary key",
				    plan_tname(t), plan_fmt("column '%s' "
				    "allows NULL: SET NOT NULL scans under an "
				    "exclusive lock", w->cols[i]),
				    plan_refuse_hint());
				goto out;
			}
		}
	}
	c = plan_add(x, 5, PLAN_SAFE, w->kind == SCH_PK ? "add primary key" :
	    "add unique", plan_fmt("%s.%s.%s", t->schema, t->name, w->name),
	    strdup("unique index built CONCURRENTLY, then attached"), NULL);
	if (c == NULL)
		goto out;
	c->phase = PLAN_ONLINE;
	plan_needs_constraint(x, c, t, w);
	plan_step(x, c, plan_fmt("CREATE UNIQUE INDEX CONCURRENTLY %s ON %s "
	    "(%s)%s%s", name, q, plan_keep(x, &s, plan_identlist(x, w->cols)),
	    plan_keep(x, &s, plan_include_sql(x, w->include)),
	    w->nulls_not_distinct ? " NULLS NOT DISTINCT" : ""), 0);
	plan_step(x, c, plan_fmt("ALTER TABLE %s ADD CONSTRAINT %s %s USING "
	    "INDEX %s%s", q, name, w->kind == SCH_PK ? "PRIMARY KEY" : "UNIQUE",
	    name, plan_defer_sql(w->deferrable, w->deferred, 0)), 1);
	c->cleanup = plan_fmt("DROP INDEX CONCURRENTLY IF EXISTS %s",
	    plan_keep(x, &s, plan_qual(x, t->schema, w->name)));
out:
	plan_strs_free(&s);
}

/* A sample row that violates a check: its primary key (or ctid). */
static char *
check_query(struct pctx *x, const struct sch_table *t,
    const struct sch_constraint *w)
{
	const struct sch_constraint *pk = schema_find_pk(t);
	struct strs s = { .n = 0 };
	char *r;

	r = plan_fmt("SELECT %s FROM %s WHERE NOT (%s) LIMIT 1",
	    pk ? plan_keep(x, &s, plan_identlist(x, pk->cols)) : "ctid",
	    plan_keep(x, &s, plan_qual(x, t->schema, t->name)), w->expr);
	plan_strs_free(&s);
	return r;
}

/* Foreign key or check: NOT VALID, then VALIDATE. */
static void
plan_add_validated(struct pctx *x, const struct sch_table *t,
    const struct sch_constraint *w, int only_validate)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	const char *q = plan_keep(x, &s, plan_qual(x, t->schema, t->name));
	const char *name = plan_keep(x, &s, plan_ident(x, w->name));

	c = plan_add(x, 7, PLAN_SAFE, only_validate ? "validate constraint" :
	    w->kind == SCH_FK ? "add foreign key" : "add check",
	    plan_fmt("%s.%s.%s", t->schema, t->name, w->name),
	    strdup(only_validate ? "constraint is NOT VALID in the database" :
	    "added NOT VALID, then validated without blocking writes"), NULL);
	if (c == NULL)
		goto out;
	c->phase = PLAN_ONLINE;
	if (!only_validate)
		plan_needs_constraint(x, c, t, w);
	if (!only_validate) {
		plan_step(x, c, plan_fmt("ALTER TABLE %s ADD %s", q,
		    plan_keep(x, &s, plan_con_sql(x, w, 1))), 1);
		c->cleanup = plan_fmt("ALTER TABLE %s DROP CONSTRAINT IF "
		    "EXISTS %s", q, name);
	}
	if (w->kind == SCH_CHECK)
		c->check = check_query(x, t, w);
	plan_step(x, c, plan_fmt("ALTER TABLE %s VALIDATE CONSTRAINT %s", q,
	    name), 1);
out:
	plan_strs_free(&s);
}

static const char *
match_name(char m)
{
	return m == 'f' ? "MATCH FULL" : m == 'p' ? "MATCH PARTIAL" :
	    "MATCH SIMPLE";
}

/*
 * What PostgreSQL can change in place: a foreign key's deferrability.
 * Loosening it (checks later, or deferrable at all) cannot break the
 * application; tightening it can (a transaction that relied on deferred
 * checks fails), and a model written before the format could say it
 * would tighten every key of, say, a Django app: refused, with a hint.
 */
static void
plan_alter_defer(struct pctx *x, const struct sch_table *t,
    const struct sch_constraint *w, const struct sch_constraint *h)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;

	if ((h->deferrable && !w->deferrable) || (h->deferred && !w->deferred)) {
		plan_add(x, 7, PLAN_REFUSED, "change constraint",
		    plan_fmt("%s.%s.%s", t->schema, t->name, w->name),
		    plan_fmt("foreign key '%s' is%s in the database,%s in the "
		    "model: its checks would run earlier than the application "
		    "may expect", w->name, plan_defer_sql(h->deferrable,
		    h->deferred, 1), plan_defer_sql(w->deferrable, w->deferred,
		    1)), plan_fmt("say 'deferrable: true'%s in the model if the "
		    "database is right; otherwise %s (ALTER TABLE ... ALTER "
		    "CONSTRAINT ... NOT DEFERRABLE)", h->deferred ?
		    " and 'initially_deferred: true'" : "", HINT_MIGRATION));
		return;
	}
	c = plan_add(x, 7, PLAN_SAFE, "alter constraint", plan_fmt("%s.%s.%s",
	    t->schema, t->name, w->name), plan_fmt("%s ->%s",
	    plan_defer_sql(h->deferrable, h->deferred, 1) + 1,
	    plan_defer_sql(w->deferrable, w->deferred, 1)), NULL);
	plan_step(x, c, plan_fmt("ALTER TABLE %s ALTER CONSTRAINT %s%s",
	    plan_keep(x, &s, plan_qual(x, t->schema, t->name)),
	    plan_keep(x, &s, plan_ident(x, w->name)),
	    plan_defer_sql(w->deferrable, w->deferred, 1)), 1);
	plan_strs_free(&s);
}

static char	*include_text(struct pctx *, char *const *);

/* A unique or primary key's index: INCLUDE, NULLS NOT DISTINCT. */
static void
plan_key_index(struct pctx *x, const struct sch_table *t,
    const struct sch_constraint *w, const struct sch_constraint *h)
{
	struct strs s = { .n = 0 };
	char *why;

	if (schema_strv_equal(w->include, h->include) &&
	    w->nulls_not_distinct == h->nulls_not_distinct)
		return;
	if (!schema_strv_equal(w->include, h->include))
		why = plan_fmt("%s '%s' has INCLUDE (%s) in the database, (%s) "
		    "in the model", con_kind_name(w->kind), w->name,
		    plan_keep(x, &s, include_text(x, h->include)),
		    plan_keep(x, &s, include_text(x, w->include)));
	else
		why = plan_fmt("%s '%s' is NULLS NOT DISTINCT in the %s, not "
		    "in the %s", con_kind_name(w->kind), w->name,
		    h->nulls_not_distinct ? "database" : "model",
		    h->nulls_not_distinct ? "model" : "database");
	plan_add(x, 7, PLAN_REFUSED, "change constraint", plan_fmt("%s.%s.%s",
	    t->schema, t->name, w->name), why, plan_fmt("%s: build the new "
	    "unique index CONCURRENTLY, ADD CONSTRAINT ... USING INDEX, then "
	    "drop the old constraint", HINT_MIGRATION));
	plan_strs_free(&s);
}

/* A key with the same columns and references: its match and timing. */
static void
plan_con_options(struct pctx *x, const struct sch_table *t,
    const struct sch_constraint *w, const struct sch_constraint *h)
{
	if (w->kind == SCH_PK || w->kind == SCH_UNIQUE)
		plan_key_index(x, t, w, h);
	if (w->match != h->match)
		plan_add(x, 7, PLAN_REFUSED, "change constraint",
		    plan_fmt("%s.%s.%s", t->schema, t->name, w->name),
		    plan_fmt("foreign key '%s' is %s in the database, %s in "
		    "the model", w->name, match_name(h->match),
		    match_name(w->match)), plan_fmt("%s: add the key again "
		    "under a new name with the new MATCH, NOT VALID, "
		    "VALIDATE it, then drop the old one", HINT_MIGRATION));
	if (w->deferrable == h->deferrable && w->deferred == h->deferred)
		return;
	if (w->kind == SCH_FK) {
		plan_alter_defer(x, t, w, h);
		return;
	}
	plan_add(x, 7, PLAN_REFUSED, "change constraint", plan_fmt("%s.%s.%s",
	    t->schema, t->name, w->name), plan_fmt("%s '%s' is%s in the "
	    "database,%s in the model", con_kind_name(w->kind), w->name,
	    plan_defer_sql(h->deferrable, h->deferred, 1),
	    plan_defer_sql(w->deferrable, w->deferred, 1)), plan_fmt("%s: "
	    "PostgreSQL alters the timing of foreign keys only; build a "
	    "unique index CONCURRENTLY, ADD CONSTRAINT ... USING INDEX ... "
	    "with the new timing, then drop the old constraint",
	    HINT_MIGRATION));
}

/* A constraint both have: its definition, options, validity. */
static void
plan_con_existing(struct pctx *x, const struct sch_table *t,
    const struct sch_constraint *w, const struct sch_constraint *h)
{
	if (!con_same(x, w, h)) {
		plan_add(x, 7, PLAN_REFUSED, "change constraint",
		    plan_fmt("%s.%s.%s", t->schema, t->name, w->name),
		    plan_fmt("%s '%s' differs from the model",
		    con_kind_name(w->kind), w->name), plan_refuse_hint());
		return;
	}
	plan_con_options(x, t, w, h);
	if (!h->valid)
		plan_add_validated(x, t, w, 1);
}

void
plan_constraints(struct pctx *x, const struct sch_table *t,
    const struct sch_table *h)
{
	const struct sch_constraint *w, *hc;

	for (size_t i = 0; i < t->ncons; i++) {
		w = &t->cons[i];
		if ((hc = schema_find_constraint(h, w->name)) != NULL) {
			plan_con_existing(x, t, w, hc);
			continue;
		}
		if (w->kind == SCH_PK || w->kind == SCH_UNIQUE)
			plan_add_key(x, t, h, w);
		else
			plan_add_validated(x, t, w, 0);
	}
	for (size_t i = 0; i < h->ncons; i++) {
		const struct sch_constraint *k = &h->cons[i];

		if (schema_find_constraint(t, k->name))
			continue;
		plan_drift(x, con_kind_name(k->kind), plan_fmt("%s.%s.%s",
		    h->schema, h->name, k->name), k->kind == SCH_EXCLUDE ?
		    plan_fmt("the models cannot say exclusion constraints: "
		    "%s stays as it is", k->expr ? k->expr : "it") :
		    plan_fmt("%s is not in the models", con_kind_name(
		    k->kind)), NULL);
	}
}

/* Same keys (columns by name, expressions by meaning)? */
static int
index_keys_same(struct pctx *x, const struct sch_table *t,
    const struct sch_index *w, const struct sch_index *h)
{
	if (schema_strv_len(w->keys) != schema_strv_len(h->keys))
		return 0;
	for (size_t i = 0; w->keys[i]; i++) {
		if (schema_find_column(t, w->keys[i])) {
			if (strcmp(w->keys[i], h->keys[i]))
				return 0;
		} else if (!schema_expr_equal_memo(x->memo, w->keys[i],
		    h->keys[i]))
			return 0;
	}
	return 1;
}

static const char *
opts_text(char *const *opts, size_t i)
{
	return opts && opts[i] && *opts[i] ? opts[i] : "plain";
}

static char *
include_text(struct pctx *x, char *const *v)
{
	return v && v[0] ? plan_identlist(x, v) : strdup("none");
}

/*
 * Why index w (the model) differs from h (the database), or NULL when it
 * does not; *differs says which (NULL with *differs set: out of memory).
 */
static char *
index_diff(struct pctx *x, const struct sch_table *t,
    const struct sch_index *w, const struct sch_index *h, int *differs)
{
	struct strs s = { .n = 0 };
	char *r = NULL;
	size_t n = schema_strv_len(w->keys);

	*differs = 1;
	if (w->unique != h->unique || strcmp(w->method, h->method) ||
	    !schema_expr_equal_memo(x->memo, w->where, h->where) ||
	    !index_keys_same(x, t, w, h))
		return strdup("the index differs from the model");
	for (size_t i = 0; i < n; i++)
		if (!idxdef_equal(w->opts ? w->opts[i] : NULL,
		    h->opts ? h->opts[i] : NULL))
			return plan_fmt("key '%s' is %s in the database, %s in "
			    "the model", w->keys[i], opts_text(h->opts, i),
			    opts_text(w->opts, i));
	if (!schema_strv_equal(w->include, h->include)) {
		r = plan_fmt("INCLUDE (%s) in the database, (%s) in the model",
		    plan_keep(x, &s, include_text(x, h->include)),
		    plan_keep(x, &s, include_text(x, w->include)));
		plan_strs_free(&s);
		return r;
	}
	if (w->nulls_not_distinct != h->nulls_not_distinct)
		return plan_fmt("NULLS NOT DISTINCT in the %s, not in the %s",
		    h->nulls_not_distinct ? "database" : "model",
		    h->nulls_not_distinct ? "model" : "database");
	*differs = 0;
	return NULL;
}

/* An index's comment: safe to set, drift when only the database has one. */
static void
index_comment(struct pctx *x, const struct sch_table *t,
    const struct sch_index *w, const struct sch_index *h)
{
	struct plan_change *c;

	if (w->comment && (!h->comment || strcmp(w->comment, h->comment))) {
		c = plan_add(x, 6, PLAN_SAFE, "comment", plan_fmt("%s.%s",
		    t->schema, w->name), strdup("index comment"), NULL);
		plan_step(x, c, plan_index_comment_sql(x, t, w), 1);
	} else if (!w->comment && h->comment)
		plan_drift(x, "comment", plan_fmt("%s.%s", t->schema,
		    w->name), strdup("index comment is not in the models"),
		    NULL);
}

void
plan_storage(struct pctx *x, int rank10, const char *kind, const char *sch,
    const char *name, char *const *want, char *const *have)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	const char *q, *set, *reset;

	if (relopts_equal(want, have))
		return;
	q = plan_keep(x, &s, plan_qual(x, sch, name));
	set = plan_keep(x, &s, plan_relopts_set(x, want));
	reset = plan_keep(x, &s, plan_relopts_reset(x, want, have));
	c = plan_add_at(x, rank10, PLAN_SAFE, !strcmp(kind, "TABLE") ?
	    "set table storage" : "set index storage", plan_fmt("%s.%s", sch,
	    name), plan_fmt("storage parameters (%s) -> (%s)",
	    plan_keep(x, &s, plan_relopts_set(x, have)), set), NULL);
	if (*set)
		plan_step(x, c, plan_fmt("ALTER %s %s SET (%s)", kind, q, set),
		    1);
	if (*reset)
		plan_step(x, c, plan_fmt("ALTER %s %s RESET (%s)", kind, q,
		    reset), 1);
	plan_strs_free(&s);
}

static void
plan_change_index(struct pctx *x, const struct sch_table *t,
    const struct sch_index *w, const struct sch_index *h)
{
	int differs;
	char *why = index_diff(x, t, w, h, &differs);

	if (!differs) {
		plan_storage(x, 60, "INDEX", t->schema, w->name, w->storage,
		    h->storage);
		index_comment(x, t, w, h);
		return;
	}
	plan_add(x, 6, PLAN_REFUSED, "change index", plan_fmt("%s.%s",
	    t->schema, w->name), why, plan_fmt("%s (CREATE INDEX "
	    "CONCURRENTLY a new one, then DROP INDEX CONCURRENTLY)",
	    HINT_MIGRATION));
}

void
plan_indexes(struct pctx *x, const struct sch_table *t,
    const struct sch_table *h)
{
	struct strs s = { .n = 0 };
	const struct sch_index *w, *hi;
	struct plan_change *c;

	for (size_t i = 0; i < t->nidx; i++) {
		w = &t->idx[i];
		hi = schema_find_index(h, w->name);
		if (hi && hi->valid) {
			plan_change_index(x, t, w, hi);
			continue;
		}
		c = plan_add(x, 6, PLAN_SAFE, hi ? "rebuild index" :
		    "add index", plan_fmt("%s.%s", t->schema, w->name),
		    strdup(hi ?
		    "invalid index left by an interrupted build: rebuilt "
		    "CONCURRENTLY" : "built CONCURRENTLY"), NULL);
		if (c == NULL)
			break;
		c->phase = PLAN_ONLINE;
		plan_needs_index(x, c, t, w);
		c->cleanup = plan_fmt("DROP INDEX CONCURRENTLY IF EXISTS %s",
		    plan_keep(x, &s, plan_qual(x, t->schema, w->name)));
		if (hi)
			plan_step(x, c, strdup(c->cleanup), 0);
		plan_step(x, c, plan_index_sql(x, t, w, 1), 0);
		if (w->comment)
			plan_step(x, c, plan_index_comment_sql(x, t, w), 1);
		plan_strs_free(&s);
	}
	for (size_t i = 0; i < h->nidx; i++)
		if (!schema_find_index(t, h->idx[i].name))
			plan_drift(x, "index", plan_fmt("%s.%s", h->schema,
			    h->idx[i].name), strdup("index is not in the "
			    "models"), NULL);
}

