/*
 * plan.c - desired vs actual schema -> ordered, classified changes.
 *
 * The classification follows issue 3: what PostgreSQL does without a
 * rewrite and with a short lock is SAFE; what can fail, rewrite, lock
 * long or lose data is REFUSED with a hint to write a tier-2 migration;
 * what only the database has is DRIFT and never dropped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#include "plan.h"
#include "plan_int.h"


/* Append a change; steps, strings are taken over (may be NULL). */
static struct plan_change *
add(struct pctx *x, int rank, enum plan_class cls, const char *kind,
    char *target, char *reason, char *hint)
{
	struct plan *p = x->p;
	struct plan_change *c, *v;

	if ((v = realloc(p->v, (p->n + 1) * sizeof(*v))) == NULL) {
		free(target);
		free(reason);
		free(hint);
		x->nomem = 1;
		return NULL;
	}
	p->v = v;
	c = &p->v[p->n++];
	memset(c, 0, sizeof(*c));
	c->cls = cls;
	c->rank = cls == PLAN_SAFE ? rank : cls == PLAN_REFUSED ? 80 :
	    cls == PLAN_DRIFT ? 90 : 100;
	c->kind = strdup(kind);
	c->target = target;
	c->reason = reason;
	c->hint = hint;
	if (!c->kind || !target || !reason)
		x->nomem = 1;
	if (cls == PLAN_SAFE)
		p->nsafe++;
	else if (cls == PLAN_REFUSED)
		p->nrefused++;
	else if (cls == PLAN_DRIFT)
		p->ndrift++;
	else
		p->ntier2++;
	return c;
}

static void
step(struct pctx *x, struct plan_change *c, char *sql, int tx)
{
	struct plan_step *v;

	if (c == NULL || sql == NULL) {
		free(sql);
		x->nomem = 1;
		return;
	}
	if ((v = realloc(c->steps, (c->nsteps + 1) * sizeof(*v))) == NULL) {
		free(sql);
		x->nomem = 1;
		return;
	}
	c->steps = v;
	v[c->nsteps].sql = sql;
	v[c->nsteps++].tx = tx;
}

static char *
tname(const struct sch_table *t)
{
	return plan_fmt("%s.%s", t->schema, t->name);
}

static char *
cname(const struct sch_table *t, const char *col)
{
	return plan_fmt("%s.%s.%s", t->schema, t->name, col);
}

const char HINT_MIGRATION[] = "write a tier-2 migration "
    "(migratectl create NAME) that makes this change";
static const char HINT_DRIFT[] = "not in the models: add it to the models "
    "or drop it in a tier-2 migration; tier 1 never drops";

const char *
plan_owner_kind(const char *kind)
{
	if (!strcmp(kind, "index") || !strcmp(kind, "table") ||
	    !strcmp(kind, "column") || !strcmp(kind, "default") ||
	    !strcmp(kind, "enum value") || !strcmp(kind, "comment") ||
	    !strcmp(kind, "sequence") || !strcmp(kind, "domain") ||
	    !strcmp(kind, "extension") || !strcmp(kind, "view") ||
	    !strcmp(kind, "materialized view") || !strcmp(kind, "function") ||
	    !strcmp(kind, "procedure") || !strcmp(kind, "trigger") ||
	    !strcmp(kind, "policy"))
		return kind;
	if (!strcmp(kind, "identity"))
		return "column";	/* ADD COLUMN ... AS IDENTITY */
	if (!strcmp(kind, "primary key") || !strcmp(kind, "check") ||
	    !strcmp(kind, "unique constraint") ||
	    !strcmp(kind, "foreign key") ||
	    !strcmp(kind, "exclusion constraint") ||
	    !strcmp(kind, "constraint"))
		return "constraint";
	return NULL;	/* a domain's check, a rule, an aggregate, RLS */
}

/* The enhancement that created what would be drift, or NULL. */
static const char *
drift_owner(struct pctx *x, const char *kind, const char *target,
    const char *detail)
{
	const struct plan_owner *o;
	const char *want = plan_owner_kind(kind);

	for (size_t i = 0; want && x->opts && i < x->opts->nowned; i++) {
		o = &x->opts->owned[i];
		/* a routine's target has its arguments: "s.f(a int)" */
		if (o->target == NULL || (strcmp(o->target, target) &&
		    (strncmp(o->target, target, strlen(o->target)) ||
		    target[strlen(o->target)] != '(')))
			continue;
		if (!strcmp(o->kind, want) && (detail == NULL ||
		    o->detail == NULL || !strcmp(o->detail, detail)))
			return o->by;
		/* a new enum type owns all its values */
		if (!strcmp(want, "enum value") && !strcmp(o->kind, "type"))
			return o->by;
	}
	return NULL;
}

/* Drift, unless an applied enhancement created it (then PLAN_TIER2). */
static void
drift(struct pctx *x, const char *kind, char *target, char *reason,
    const char *detail)
{
	const char *by = target ? drift_owner(x, kind, target, detail) : NULL;
	char *r;

	if (by == NULL) {
		add(x, 90, PLAN_DRIFT, kind, target, reason, strdup(HINT_DRIFT));
		return;
	}
	r = reason ? plan_fmt("%s; created by enhancement '%s'", reason, by) :
	    NULL;
	free(reason);
	add(x, 100, PLAN_TIER2, kind, target, r, NULL);
}

static char *
refuse_hint(void)
{
	return strdup(HINT_MIGRATION);
}

void
plan_need(struct pctx *x, struct plan_change *c, char kind,
    const char *name, const char *sch, const char *arg, const char *what)
{
	struct plan_need *v, *n;

	if (c == NULL || c->cls != PLAN_SAFE || name == NULL)
		return;
	for (size_t i = 0; i < c->nneeds; i++) {	/* once is enough */
		const struct plan_need *o = &c->needs[i];

		if (o->kind == kind && !strcmp(o->name, name) &&
		    !strcmp(o->arg ? o->arg : "", arg ? arg : "") &&
		    !strcmp(o->sch ? o->sch : "", sch ? sch : ""))
			return;
	}
	if ((v = realloc(c->needs, (c->nneeds + 1) * sizeof(*v))) == NULL) {
		x->nomem = 1;
		return;
	}
	c->needs = v;
	n = &v[c->nneeds++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	if ((n->name = strdup(name)) == NULL ||
	    (sch && (n->sch = strdup(sch)) == NULL) ||
	    (arg && (n->arg = strdup(arg)) == NULL) ||
	    (what && (n->what = strdup(what)) == NULL))
		x->nomem = 1;
}

/* The same, for the planner's other files (plan_int.h). */
struct plan_change *
plan_add(struct pctx *x, int rank, enum plan_class cls, const char *kind,
    char *target, char *reason, char *hint)
{
	return add(x, 10 * rank, cls, kind, target, reason, hint);
}

struct plan_change *
plan_add_at(struct pctx *x, int rank10, enum plan_class cls,
    const char *kind, char *target, char *reason, char *hint)
{
	return add(x, rank10, cls, kind, target, reason, hint);
}

void
plan_step(struct pctx *x, struct plan_change *c, char *sql, int tx)
{
	step(x, c, sql, tx);
}

void
plan_drift(struct pctx *x, const char *kind, char *target, char *reason,
    const char *detail)
{
	drift(x, kind, target, reason, detail);
}

char *
plan_refuse_hint(void)
{
	return refuse_hint();
}

char *
plan_tname(const struct sch_table *t)
{
	return tname(t);
}

/* ---- schemas and enums ---- */

static void
plan_schemas(struct pctx *x)
{
	struct plan_change *c;
	char *q;

	for (size_t i = 0; x->want->schemas && x->want->schemas[i]; i++) {
		const char *s = x->want->schemas[i];
		int own = x->opts && x->opts->own_schema &&
		    strcmp(s, x->opts->own_schema) == 0;

		if (schema_has_schema(x->have, s))
			continue;
		c = add(x, 0, PLAN_SAFE, "create schema", strdup(s),
		    strdup("new schema"), NULL);
		q = plan_ident(x, s);
		/*
		 * migrated's own schema: its tables' setup may make it after
		 * the catalogs were read.  Any other stays plain: one made
		 * meanwhile by another role must fail, not be built into.
		 */
		step(x, c, q ? plan_fmt(own ? "CREATE SCHEMA IF NOT EXISTS %s" :
		    "CREATE SCHEMA %s", q) : NULL, 1);
		free(q);
	}
}

static char *
enum_labels(struct pctx *x, char *const *labels)
{
	char *s = strdup(""), *n, *l;

	for (size_t i = 0; s && labels[i]; i++) {
		l = plan_literal(x, labels[i]);
		n = l ? plan_fmt("%s%s%s", s, i ? ", " : "", l) : NULL;
		free(l);
		free(s);
		s = n;
	}
	if (s == NULL)
		x->nomem = 1;
	return s;
}

static ssize_t
label_index(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return (ssize_t)i;
	return -1;
}

static void
plan_enum_values(struct pctx *x, const struct sch_enum *w,
    const struct sch_enum *h)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	ssize_t last = -1, k;
	char *q = plan_qual(x, w->schema, w->name);

	for (size_t i = 0; w->labels[i]; i++) {
		if ((k = label_index(h->labels, w->labels[i])) >= 0) {
			if (k < last)
				add(x, 10, PLAN_REFUSED, "reorder enum",
				    plan_fmt("%s.%s", w->schema, w->name),
				    plan_fmt("value '%s' is in another order in the "
				    "database", w->labels[i]), refuse_hint());
			last = k;
			continue;
		}
		c = add(x, 10, PLAN_SAFE, "add enum value",
		    plan_fmt("%s.%s", w->schema, w->name),
		    plan_fmt("new value '%s'", w->labels[i]), NULL);
		if (c)
			c->phase = PLAN_PRE;
		/* keep the model's order: after the previous model value */
		if (i > 0)
			step(x, c, plan_fmt("ALTER TYPE %s ADD VALUE IF NOT EXISTS "
			    "%s AFTER %s", q, plan_keep(x, &s, plan_literal(x,
			    w->labels[i])), plan_keep(x, &s, plan_literal(x,
			    w->labels[i - 1]))), 1);
		else
			step(x, c, plan_fmt("ALTER TYPE %s ADD VALUE IF NOT EXISTS "
			    "%s%s%s", q, plan_keep(x, &s, plan_literal(x, w->labels[i])),
			    h->labels[0] ? " BEFORE " : "", h->labels[0] ?
			    plan_keep(x, &s, plan_literal(x, h->labels[0])) : ""), 1);
		plan_strs_free(&s);
	}
	free(q);
	for (size_t i = 0; h->labels[i]; i++)
		if (label_index(w->labels, h->labels[i]) < 0)
			drift(x, "enum value", plan_fmt("%s.%s", h->schema,
			    h->name), plan_fmt("value '%s' is not in the models",
			    h->labels[i]), h->labels[i]);
	plan_strs_free(&s);
}

static void
plan_enums(struct pctx *x)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;

	for (size_t i = 0; i < x->want->nenums; i++) {
		const struct sch_enum *w = &x->want->enums[i], *h;

		if ((h = schema_find_enum(x->have, w->schema, w->name))) {
			plan_enum_values(x, w, h);
			continue;
		}
		c = add(x, 10, PLAN_SAFE, "create enum",
		    plan_fmt("%s.%s", w->schema, w->name), strdup("new enum type"),
		    NULL);
		step(x, c, plan_fmt("CREATE TYPE %s AS ENUM (%s)",
		    plan_keep(x, &s, plan_qual(x, w->schema, w->name)),
		    plan_keep(x, &s, enum_labels(x, w->labels))), 1);
		plan_strs_free(&s);
	}
}

/* ---- new tables ---- */

/*
 * Can new table t declare foreign key k inline?  When k references a
 * table this plan has already created (with its keys and unique indexes):
 * one statement instead of two.  Keys to t itself stay separate, to be
 * safe (a key backed by a unique index of t, not a constraint, needs the
 * index, which comes after the CREATE TABLE), as do keys around a cycle
 * or to an existing table (see below).
 */
static int
fk_inline(struct pctx *x, const struct sch_table *t,
    const struct sch_constraint *k)
{
	const struct sch_table *r;

	if (k->kind != SCH_FK || x->made == NULL ||
	    (r = schema_find_table(x->want, k->ref_schema, k->ref_table)) ==
	    NULL || r == t)
		return 0;
	return x->made[r - x->want->tables] == MADE_DONE;
}

static void
plan_create_table(struct pctx *x, const struct sch_table *t)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	char *body = strdup(""), *n, *item;
	size_t i;

	for (i = 0; body && i < t->ncols + t->ncons; i++) {
		if (i >= t->ncols && t->cons[i - t->ncols].kind == SCH_FK &&
		    !fk_inline(x, t, &t->cons[i - t->ncols]))
			continue;
		item = i < t->ncols ? plan_col_sql(x, &t->cols[i]) :
		    plan_con_sql(x, &t->cons[i - t->ncols], 0);
		n = item ? plan_fmt("%s%s\n    %s", body, *body ? "," : "", item) :
		    NULL;
		free(item);
		free(body);
		body = n;
	}
	c = add(x, 20, PLAN_SAFE, "create table", tname(t),
	    plan_fmt("new table with %zu columns", t->ncols), NULL);
	for (i = 0; i < t->ncols; i++)
		plan_needs_column(x, c, &t->cols[i]);
	for (i = 0; i < t->ncons; i++)
		if (t->cons[i].kind != SCH_FK || fk_inline(x, t, &t->cons[i]))
			plan_needs_constraint(x, c, t, &t->cons[i]);
	for (i = 0; i < t->nidx; i++)
		plan_needs_index(x, c, t, &t->idx[i]);
	step(x, c, body ? plan_fmt("CREATE %sTABLE %s (%s\n)%s", t->unlogged ?
	    "UNLOGGED " : "", plan_keep(x, &s, plan_qual(x, t->schema,
	    t->name)), body, plan_keep(x, &s, plan_with_sql(x, t->storage))) :
	    NULL, 1);
	free(body);
	plan_strs_free(&s);
	for (i = 0; i < t->ncols; i++)
		if ((item = plan_serial_seq_sql(x, &t->cols[i])) != NULL)
			step(x, c, item, 1);
	for (i = 0; i < t->nidx; i++) {
		step(x, c, plan_index_sql(x, t, &t->idx[i], 0), 1);
		if (t->idx[i].comment)
			step(x, c, plan_index_comment_sql(x, t, &t->idx[i]),
			    1);
	}
	if (t->comment)
		step(x, c, plan_comment_sql(x, t, NULL, t->comment), 1);
	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].comment)
			step(x, c, plan_comment_sql(x, t, t->cols[i].name,
			    t->cols[i].comment), 1);
	/* other keys once every table exists; the new table is empty */
	for (i = 0; i < t->ncons; i++) {
		if (t->cons[i].kind != SCH_FK || fk_inline(x, t, &t->cons[i]))
			continue;
		c = add(x, 40, PLAN_SAFE, "add foreign key",
		    plan_fmt("%s.%s.%s", t->schema, t->name, t->cons[i].name),
		    plan_fmt("new table references %s.%s", t->cons[i].ref_schema,
		    t->cons[i].ref_table), NULL);
		plan_needs_constraint(x, c, t, &t->cons[i]);
		if (c && c->cls == PLAN_SAFE) {
			char *kt = plan_fmt("create table %s.%s", t->schema,
			    t->name);

			plan_need(x, c, NEED_CHANGE, kt, NULL, NULL, NULL);
			free(kt);
		}
		step(x, c, plan_fmt("ALTER TABLE %s ADD %s",
		    plan_keep(x, &s, plan_qual(x, t->schema, t->name)),
		    plan_keep(x, &s, plan_con_sql(x, &t->cons[i], 0))), 1);
		plan_strs_free(&s);
	}
}

/* ---- columns of existing tables ---- */

/*
 * "name(n)" or "name(n,m)" taking the whole string: "character varying(10)[]"
 * is an array, not a varchar, so it must not match.
 */
static int
type_mod(const char *s, const char *name, int *n, int *m)
{
	size_t len = strlen(name);
	int end = -1;

	if (strncmp(s, name, len) != 0)
		return 0;
	if (m && sscanf(s + len, "(%d,%d)%n", n, m, &end) == 2 &&
	    s[len + end] == '\0')
		return 1;
	end = -1;
	return !m && sscanf(s + len, "(%d)%n", n, &end) == 1 &&
	    end > 0 && s[len + end] == '\0';
}

/* No rewrite: varchar(n) up, to varchar or text; numeric precision up. */
static int
type_widens(const char *from, const char *to)
{
	int n, m, p, q;

	if (type_mod(from, "character varying", &n, NULL))
		return !strcmp(to, "text") || !strcmp(to, "character varying")
		    || (type_mod(to, "character varying", &m, NULL) && m > n);
	if (!strcmp(from, "character varying"))
		return !strcmp(to, "text");
	if (type_mod(from, "numeric", &n, &p))
		return !strcmp(to, "numeric") || (type_mod(to, "numeric",
		    &m, &q) && m > n && q == p);
	if (type_mod(from, "bit varying", &n, NULL))
		return !strcmp(to, "bit varying") ||
		    (type_mod(to, "bit varying", &m, NULL) && m > n);
	return 0;
}

/* A volatile default makes ADD COLUMN rewrite the table. */
static int
def_volatile(const char *def)
{
	static const char *const fns[] = { "gen_random_uuid", "random",
	    "clock_timestamp", "uuid_generate", "nextval", "timeofday", NULL };

	for (int i = 0; def && fns[i]; i++)
		if (strstr(def, fns[i]))
			return 1;
	return 0;
}

static void
plan_add_column(struct pctx *x, const struct sch_table *t,
    const struct sch_table *h, const struct sch_column *w)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	const char *why = NULL;
	char *sql;

	if (w->was && schema_find_column(h, w->was) &&
	    !schema_find_column(t, w->was)) {
		add(x, 30, PLAN_REFUSED, "rename column", cname(t, w->name),
		    plan_fmt("looks like a rename of '%s' to '%s'", w->was, w->name),
		    plan_fmt("write a tier-2 migration: ALTER TABLE ... RENAME "
		    "COLUMN (and keep the application compatible with both)"));
		return;
	}
	if (h->rows != 0 && w->identity)
		why = "an identity column numbers every existing row: the "
		    "table is rewritten under an exclusive lock";
	else if (h->rows != 0 && w->notnull && w->def == NULL && !w->serial &&
	    !w->generated)
		why = "NOT NULL column without a default on a table that has "
		    "rows";
	else if (h->rows != 0 && (def_volatile(w->def) || w->serial))
		why = "a volatile default rewrites every row of the table";
	else if (h->rows != 0 && w->generated)
		why = "a generated column is computed for every row: the "
		    "table is rewritten under an exclusive lock";
	if (why) {
		add(x, 30, PLAN_REFUSED, "add column", cname(t, w->name),
		    strdup(why), w->identity ? strdup(HINT_MIGRATION) :
		    plan_fmt("%s; or add it nullable, backfill in batches, "
		    "then SET NOT NULL in a migration", HINT_MIGRATION));
		return;
	}
	c = add(x, 30, PLAN_SAFE, "add column", cname(t, w->name),
	    w->identity ? strdup("new identity column (the table is empty)") :
	    plan_fmt("new %s column%s", w->notnull ? "NOT NULL" : "nullable",
	    w->notnull ? " with a default (no rewrite)" : ""), NULL);
	plan_needs_column(x, c, w);
	step(x, c, plan_fmt("ALTER TABLE %s ADD COLUMN %s",
	    plan_keep(x, &s, plan_qual(x, t->schema, t->name)),
	    plan_keep(x, &s, plan_col_sql(x, w))), 1);
	if ((sql = plan_serial_seq_sql(x, w)) != NULL)
		step(x, c, sql, 1);
	if (w->comment)
		step(x, c, plan_comment_sql(x, t, w->name, w->comment), 1);
	plan_strs_free(&s);
}

/* An identity the model and the database disagree on: never automatic. */
static void
plan_identity(struct pctx *x, const struct sch_table *t,
    const struct sch_column *w, const struct sch_column *h)
{
	if (w->identity == 0) {
		drift(x, "identity", cname(t, w->name), plan_fmt("%s is not "
		    "in the models; its NOT NULL and default stay as they are "
		    "until it is dropped", plan_identity_sql(h->identity) + 1),
		    NULL);
		return;
	}
	if (h->identity)
		add(x, 30, PLAN_REFUSED, "set identity", cname(t, w->name),
		    plan_fmt("%s -> %s changes which INSERTs succeed",
		    plan_identity_sql(h->identity) + 1,
		    plan_identity_sql(w->identity) + 1), plan_fmt("%s: ALTER "
		    "TABLE ... ALTER COLUMN ... SET GENERATED %s, once the "
		    "application is ready for it", HINT_MIGRATION,
		    w->identity == 'a' ? "ALWAYS" : "BY DEFAULT"));
	else
		add(x, 30, PLAN_REFUSED, "set identity", cname(t, w->name),
		    strdup("an identity on an existing column needs its "
		    "sequence to start past the values already there"),
		    plan_fmt("%s: ALTER TABLE ... ALTER COLUMN ...%s%s%s ADD "
		    "GENERATED ... AS IDENTITY, then setval("
		    "pg_get_serial_sequence(...), max(column))",
		    HINT_MIGRATION, h->def ? " DROP DEFAULT," : "",
		    h->notnull ? "" : " SET NOT NULL,", h->def ? " (DROP "
		    "SEQUENCE the old one)," : ""));
}

static void
plan_alter_column(struct pctx *x, const struct sch_table *t,
    const struct sch_column *w, const struct sch_column *h)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	const char *q, *col;

	/* the common case, nothing to change, costs no quoting */
	if (!strcmp(w->type, h->type) && w->notnull == h->notnull &&
	    w->identity == h->identity && (w->def == NULL) == (h->def == NULL) &&
	    (!w->comment || (h->comment && !strcmp(w->comment, h->comment))) &&
	    (w->comment || !h->comment) &&
	    (!w->def || schema_expr_equal_memo(x->memo, w->def, h->def)) &&
	    !w->serial && !w->generated && !h->generated &&
	    !w->collation && !h->collation)
		return;
	if (plan_column_kind(x, t, w, h))
		return;
	q = plan_keep(x, &s, plan_qual(x, t->schema, t->name));
	col = plan_keep(x, &s, plan_ident(x, w->name));
	if (strcmp(w->type, h->type) != 0) {
		if (!w->is_enum && !h->is_enum && type_widens(h->type, w->type)) {
			c = add(x, 30, PLAN_SAFE, "widen type", cname(t, w->name),
			    plan_fmt("%s -> %s (no rewrite)", h->type, w->type),
			    NULL);
			plan_need(x, c, NEED_NO_VIEW, w->name, t->schema,
			    t->name, NULL);
			/* without COLLATE the type's default replaces it */
			step(x, c, plan_fmt("ALTER TABLE %s ALTER COLUMN %s TYPE "
			    "%s%s", q, col, plan_keep(x, &s, plan_coltype(x, w)),
			    plan_keep(x, &s, plan_collate_sql(x, w->collation))),
			    1);
		} else
			add(x, 30, PLAN_REFUSED, "change type",
			    cname(t, w->name), plan_fmt("%s -> %s may rewrite the "
			    "table or fail on existing rows", h->type, w->type),
			    refuse_hint());
	}
	if (w->notnull && !h->notnull)
		add(x, 30, PLAN_REFUSED, "set not null", cname(t, w->name),
		    strdup("adding NOT NULL scans the table under an "
		    "exclusive lock and fails on NULL rows"),
		    plan_fmt("%s: backfill, add CHECK (%s IS NOT NULL) NOT VALID, "
		    "VALIDATE, then SET NOT NULL", HINT_MIGRATION, w->name));
	else if (!w->notnull && h->notnull && !h->identity) {
		c = add(x, 30, PLAN_SAFE, "drop not null", cname(t, w->name),
		    strdup("the model allows NULL"), NULL);
		step(x, c, plan_fmt("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL",
		    q, col), 1);
	}
	if (!strcmp(w->type, h->type))
		plan_collation(x, t, w, h);
	if (w->identity != h->identity)
		plan_identity(x, t, w, h);
	/* an identity column takes no default (the drift says so) */
	if (w->serial) {
		/* plan_column_kind() found it serial in the database too */
		plan_serial_seq(x, w, h);
	} else if (w->def && !h->identity &&
	    !schema_expr_equal_memo(x->memo, w->def, h->def)) {
		c = add(x, 30, PLAN_SAFE, "set default", cname(t, w->name),
		    h->def ? plan_fmt("default %s -> %s", h->def, w->def) :
		    plan_fmt("default %s", w->def), NULL);
		plan_needs_expr(x, c, w->def, "the default");
		step(x, c, plan_fmt("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT (%s)",
		    q, col, w->def), 1);
	} else if (!w->def && h->def)
		drift(x, "default", cname(t, w->name),
		    plan_fmt("default %s is not in the models", h->def), NULL);
	if (w->comment && (!h->comment || strcmp(w->comment, h->comment))) {
		c = add(x, 30, PLAN_SAFE, "comment", cname(t, w->name),
		    strdup("column comment"), NULL);
		step(x, c, plan_comment_sql(x, t, w->name, w->comment), 1);
	} else if (!w->comment && h->comment)
		drift(x, "comment", cname(t, w->name), strdup("column comment "
		    "is not in the models"), NULL);
	plan_strs_free(&s);
}

static int
col_renamed_to(const struct sch_table *t, const char *old)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (t->cols[i].was && !strcmp(t->cols[i].was, old))
			return 1;
	return 0;
}

static void
plan_columns(struct pctx *x, const struct sch_table *t,
    const struct sch_table *h)
{
	struct plan_change *c;
	const struct sch_column *hc;

	for (size_t i = 0; i < t->ncols; i++) {
		if ((hc = schema_find_column(h, t->cols[i].name)) == NULL)
			plan_add_column(x, t, h, &t->cols[i]);
		else
			plan_alter_column(x, t, &t->cols[i], hc);
	}
	for (size_t i = 0; i < h->ncols; i++)
		if (!schema_find_column(t, h->cols[i].name) &&
		    !col_renamed_to(t, h->cols[i].name))
			drift(x, "column", cname(h, h->cols[i].name),
			    plan_fmt("%s column is not in the models",
			    h->cols[i].type), NULL);
	if (t->comment && (!h->comment || strcmp(t->comment, h->comment))) {
		c = add(x, 30, PLAN_SAFE, "comment", tname(t),
		    strdup("table comment"), NULL);
		step(x, c, plan_comment_sql(x, t, NULL, t->comment), 1);
	} else if (!t->comment && h->comment)
		drift(x, "comment", tname(t), strdup("table comment is not in "
		    "the models"), NULL);
}

/* ---- the whole plan ---- */

static int
plan_own_table(const struct plan_opts *o, const struct sch_table *t)
{
	if (o == NULL)
		return 0;
	for (size_t i = 0; i < o->nhistories; i++)
		if (o->histories[i] == t)
			return 1;
	if (o->own_schema == NULL || strcmp(o->own_schema, t->schema))
		return 0;
	for (int i = 0; i < 4 && o->own_tables[i]; i++)
		if (!strcmp(o->own_tables[i], t->name))
			return 1;
	return 0;
}

/*
 * Create new table t after the new tables it references (depth first), so
 * that its foreign keys can be declared inline.  x->made: MADE_NEW for a
 * table to create, MADE_BUSY while its references are visited (a cycle),
 * MADE_DONE once created; 0 for a table that exists.
 */
static void
plan_new_table(struct pctx *x, const struct sch_table *t)
{
	const struct sch_table *r;
	size_t i = (size_t)(t - x->want->tables);

	if (x->made[i] != MADE_NEW)
		return;
	x->made[i] = MADE_BUSY;
	for (size_t k = 0; k < t->ncons; k++)
		if (t->cons[k].kind == SCH_FK && (r = schema_find_table(x->want,
		    t->cons[k].ref_schema, t->cons[k].ref_table)) != NULL)
			plan_new_table(x, r);
	plan_create_table(x, t);
	x->made[i] = MADE_DONE;
}

static void
plan_tables(struct pctx *x)
{
	const struct sch_table *t, *h;

	if ((x->made = calloc(x->want->ntables + 1, 1)) == NULL) {
		x->nomem = 1;
		return;
	}
	for (size_t i = 0; i < x->want->ntables; i++) {
		t = &x->want->tables[i];
		if (schema_find_table(x->have, t->schema, t->name) == NULL)
			x->made[i] = MADE_NEW;
	}
	for (size_t i = 0; i < x->want->ntables; i++) {
		t = &x->want->tables[i];
		if ((h = schema_find_table(x->have, t->schema, t->name)) ==
		    NULL) {
			plan_new_table(x, t);
			continue;
		}
		if (h->partition) {
			add(x, 20, PLAN_REFUSED, "partitioned table", tname(t),
			    plan_fmt("'%s' is %s in the database: migrated does "
			    "not model partitioned tables or their partitions, "
			    "so it compares nothing of it", t->name,
			    h->partition == 'p' ? "partitioned (PARTITION BY)" :
			    "a partition of another table"), plan_fmt("manage "
			    "it with tier-2 migrations and remove it from the "
			    "models"));
			continue;
		}
		plan_storage(x, 30, "TABLE", t->schema, t->name, t->storage,
		    h->storage);
		if (t->unlogged != h->unlogged)
			add(x, 20, PLAN_REFUSED, "change table", tname(t),
			    plan_fmt("'%s' is %s in the database, %s in the "
			    "model", t->name, h->unlogged ? "UNLOGGED" :
			    "logged", t->unlogged ? "UNLOGGED" : "logged"),
			    plan_fmt("%s: ALTER TABLE ... SET %s rewrites the "
			    "table under an ACCESS EXCLUSIVE lock (and an "
			    "unlogged table is emptied by a crash)",
			    HINT_MIGRATION, t->unlogged ? "UNLOGGED" :
			    "LOGGED"));
		plan_columns(x, t, h);
		plan_constraints(x, t, h);
		plan_indexes(x, t, h);
	}
	for (size_t i = 0; i < x->have->ntables; i++) {
		h = &x->have->tables[i];
		/* a partition goes with its partitioned table */
		if (schema_has_schema(x->want, h->schema) &&
		    !schema_find_table(x->want, h->schema, h->name) &&
		    !plan_own_table(x->opts, h) && h->partition != 'c')
			drift(x, "table", tname(h), strdup(h->partition ?
			    "partitioned table is not in the models" :
			    "table is not in the models"), NULL);
	}
	free(x->made);
	x->made = NULL;
}

static int
plan_rank_cmp(const void *a, const void *b)
{
	const struct plan_change *x = a, *y = b;

	return x->rank - y->rank;
}

static void
plan_sort(struct plan *p)
{
	/* insertion sort: stable, plans are small */
	for (size_t i = 1; i < p->n; i++) {
		struct plan_change c = p->v[i];
		size_t j = i;

		while (j > 0 && plan_rank_cmp(&p->v[j - 1], &c) > 0) {
			p->v[j] = p->v[j - 1];
			j--;
		}
		p->v[j] = c;
	}
}

static void
plan_hash(struct plan *p)
{
	char *text = NULL;
	struct merr e;

	p->hash[0] = '\0';
	if (plan_format_text(p, &text, &e) == -1)
		return;
	hash_hex(text, strlen(text), p->hash);
	free(text);
}

int
plan_refuse(struct plan *p, size_t i, char *reason, char *hint)
{
	struct plan_change *c = &p->v[i];

	free(c->reason);
	free(c->hint);
	c->reason = reason;
	c->hint = hint;
	if (c->cls == PLAN_SAFE) {
		c->cls = PLAN_REFUSED;
		c->rank = 80;
		p->nsafe--;
		p->nrefused++;
		for (size_t j = 0; j < c->nsteps; j++)
			free(c->steps[j].sql);
		free(c->steps);
		c->steps = NULL;
		c->nsteps = 0;
		free(c->cleanup);
		free(c->check);
		c->cleanup = c->check = NULL;
		plan_needs_free(c);
	}
	return reason && hint ? 0 : -1;
}

/* The change "kind target" of p, or NULL. */
static const struct plan_change *
plan_find(const struct plan *p, const char *kt)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_change *c = &p->v[i];
		size_t k = strlen(c->kind);

		if (!strncmp(kt, c->kind, k) && kt[k] == ' ' &&
		    !strcmp(kt + k + 1, c->target))
			return c;
	}
	return NULL;
}

int
plan_settle(struct plan *p)
{
	const struct plan_change *d;
	int again = 1, rc = 0;

	while (again) {
		again = 0;
		for (size_t i = 0; i < p->n; i++) {
			struct plan_change *c = &p->v[i];

			for (size_t k = 0; c->cls == PLAN_SAFE && k < c->nneeds;
			    k++) {
				if (c->needs[k].kind != NEED_CHANGE ||
				    (d = plan_find(p, c->needs[k].name)) == NULL ||
				    d->cls == PLAN_SAFE)
					continue;
				if (plan_refuse(p, i, plan_fmt("needs %s %s, "
				    "which is refused", d->kind, d->target),
				    strdup("see that change's reason")) == -1)
					rc = -1;
				again = 1;
				break;
			}
		}
	}
	plan_sort(p);
	plan_hash(p);
	return rc;
}

int
plan_compute(const struct schema *desired,
    const struct schema *actual, const struct plan_opts *opts,
    struct plan **out, struct merr *e)
{
	struct pctx x;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	x.want = desired;
	x.have = actual;
	x.opts = opts;
	x.e = e;
	if ((x.p = calloc(1, sizeof(*x.p))) == NULL ||
	    (x.memo = schema_memo_new()) == NULL) {
		free(x.p);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	plan_schemas(&x);
	plan_extensions(&x);
	plan_enums(&x);
	plan_domains(&x);
	plan_sequences(&x);
	plan_tables(&x);
	plan_sqlobjects(&x);
	schema_memo_free(x.memo);
	if (x.nomem || x.badutf8) {
		plan_free(x.p);
		/* a quoting failure also looks like nomem further on */
		if (!x.badutf8)
			return merr_set(e, MERR_NOMEM, "out of memory");
		return merr_set(e, MERR_INPUT, "cannot plan: a name or text "
		    "to quote is not valid UTF-8");
	}
	plan_sort(x.p);
	plan_hash(x.p);
	*out = x.p;
	return 0;
}
