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

#include <openssl/evp.h>

#include "plan.h"

struct pctx {
	struct db		*db;
	const struct schema	*want, *have;
	const struct plan_opts	*opts;
	struct plan		*p;
	struct merr		*e;
	int			 nomem;
};

/* ---- small helpers ---- */

static char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) == -1)
		s = NULL;
	va_end(ap);
	return s;
}

/* Track pointers a function builds so one call frees them all. */
struct strs {
	char	*v[16];
	int	 n;
};

static const char *
keep(struct pctx *x, struct strs *s, char *p)
{
	if (p == NULL)
		x->nomem = 1;
	if (s->n < 16)
		s->v[s->n++] = p;
	return p ? p : "";
}

static void
strs_free(struct strs *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

static char *
ident(struct pctx *x, const char *name)
{
	char *q = db_ident(x->db, name);

	if (q == NULL)
		x->nomem = 1;
	return q;
}

static char *
qual(struct pctx *x, const char *sch, const char *name)
{
	char *q = db_qualified(x->db, sch, name);

	if (q == NULL)
		x->nomem = 1;
	return q;
}

static char *
literal(struct pctx *x, const char *s)
{
	char *l = PQescapeLiteral(x->db->conn, s, strlen(s)), *r;

	if (l == NULL) {
		x->nomem = 1;
		return NULL;
	}
	r = strdup(l);
	PQfreemem(l);
	return r;
}

/* "a", "b" -> "\"a\", \"b\"" */
static char *
identlist(struct pctx *x, char *const *v)
{
	char *s = strdup(""), *q, *n;

	for (size_t i = 0; s && v && v[i]; i++) {
		q = ident(x, v[i]);
		n = q ? fmt("%s%s%s", s, i ? ", " : "", q) : NULL;
		free(q);
		free(s);
		s = n;
	}
	if (s == NULL)
		x->nomem = 1;
	return s;
}

static char *
coltype(struct pctx *x, const struct sch_column *c)
{
	const char *dot, *arr;
	char *sch, *q, *r;

	if (!c->is_enum)
		return strdup(c->type);
	dot = strchr(c->type, '.');
	arr = strstr(c->type, "[]");
	sch = strndup(c->type, (size_t)(dot - c->type));
	r = strndup(dot + 1, arr ? (size_t)(arr - dot - 1) : strlen(dot + 1));
	q = (sch && r) ? qual(x, sch, r) : NULL;
	free(sch);
	free(r);
	r = q ? fmt("%s%s", q, arr ? "[]" : "") : NULL;
	free(q);
	if (r == NULL)
		x->nomem = 1;
	return r;
}

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
	c->rank = cls == PLAN_SAFE ? rank : cls == PLAN_REFUSED ? 8 : 9;
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
	else
		p->ndrift++;
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
	return fmt("%s.%s", t->schema, t->name);
}

static char *
cname(const struct sch_table *t, const char *col)
{
	return fmt("%s.%s.%s", t->schema, t->name, col);
}

static const char HINT_MIGRATION[] = "write a tier-2 migration "
    "(migratectl create NAME) that makes this change";
static const char HINT_DRIFT[] = "not in the models: add it to the models "
    "or drop it in a tier-2 migration; tier 1 never drops";

static char *
refuse_hint(void)
{
	return strdup(HINT_MIGRATION);
}

/* ---- SQL fragments ---- */

static const char *
action_sql(char a)
{
	switch (a) {
	case 'r': return " RESTRICT";
	case 'c': return " CASCADE";
	case 'n': return " SET NULL";
	case 'd': return " SET DEFAULT";
	}
	return "";
}

static char *
col_sql(struct pctx *x, const struct sch_column *c)
{
	struct strs s = { .n = 0 };
	char *r;

	r = fmt("%s %s%s%s%s%s", keep(x, &s, ident(x, c->name)),
	    keep(x, &s, coltype(x, c)), c->notnull ? " NOT NULL" : "",
	    c->def ? " DEFAULT (" : "", c->def ? c->def : "",
	    c->def ? ")" : "");
	strs_free(&s);
	return r;
}

/* The body of a constraint: "PRIMARY KEY (a)", "CHECK (...)", ... */
static char *
con_body(struct pctx *x, const struct sch_constraint *c, int not_valid)
{
	struct strs s = { .n = 0 };
	char *r = NULL;

	switch (c->kind) {
	case SCH_PK:
		r = fmt("PRIMARY KEY (%s)", keep(x, &s, identlist(x, c->cols)));
		break;
	case SCH_UNIQUE:
		r = fmt("UNIQUE (%s)", keep(x, &s, identlist(x, c->cols)));
		break;
	case SCH_CHECK:
		r = fmt("CHECK (%s)%s", c->expr, not_valid ? " NOT VALID" : "");
		break;
	case SCH_FK:
		r = fmt("FOREIGN KEY (%s) REFERENCES %s (%s)%s%s%s%s%s",
		    keep(x, &s, identlist(x, c->cols)),
		    keep(x, &s, qual(x, c->ref_schema, c->ref_table)),
		    keep(x, &s, identlist(x, c->ref_cols)),
		    c->on_delete != 'a' ? " ON DELETE" : "",
		    action_sql(c->on_delete),
		    c->on_update != 'a' ? " ON UPDATE" : "",
		    action_sql(c->on_update), not_valid ? " NOT VALID" : "");
		break;
	}
	strs_free(&s);
	return r;
}

static char *
con_sql(struct pctx *x, const struct sch_constraint *c, int not_valid)
{
	struct strs s = { .n = 0 };
	char *r;

	r = fmt("CONSTRAINT %s %s", keep(x, &s, ident(x, c->name)),
	    keep(x, &s, con_body(x, c, not_valid)));
	strs_free(&s);
	return r;
}

static char *
index_keys(struct pctx *x, const struct sch_table *t,
    const struct sch_index *ix)
{
	char *s = strdup(""), *n, *q;

	for (size_t i = 0; s && ix->keys[i]; i++) {
		int col = schema_find_column(t, ix->keys[i]) != NULL;

		q = col ? ident(x, ix->keys[i]) : fmt("(%s)", ix->keys[i]);
		n = q ? fmt("%s%s%s", s, i ? ", " : "", q) : NULL;
		free(q);
		free(s);
		s = n;
	}
	if (s == NULL)
		x->nomem = 1;
	return s;
}

static char *
index_sql(struct pctx *x, const struct sch_table *t,
    const struct sch_index *ix, int concurrently)
{
	struct strs s = { .n = 0 };
	char *r;

	r = fmt("CREATE %sINDEX %s%s ON %s USING %s (%s)%s%s%s",
	    ix->unique ? "UNIQUE " : "", concurrently ? "CONCURRENTLY " : "",
	    keep(x, &s, ident(x, ix->name)),
	    keep(x, &s, qual(x, t->schema, t->name)), ix->method,
	    keep(x, &s, index_keys(x, t, ix)), ix->where ? " WHERE (" : "",
	    ix->where ? ix->where : "", ix->where ? ")" : "");
	strs_free(&s);
	return r;
}

static char *
comment_sql(struct pctx *x, const struct sch_table *t, const char *col,
    const char *text)
{
	struct strs s = { .n = 0 };
	char *r;

	if (col)
		r = fmt("COMMENT ON COLUMN %s.%s IS %s",
		    keep(x, &s, qual(x, t->schema, t->name)),
		    keep(x, &s, ident(x, col)), keep(x, &s, literal(x, text)));
	else
		r = fmt("COMMENT ON TABLE %s IS %s",
		    keep(x, &s, qual(x, t->schema, t->name)),
		    keep(x, &s, literal(x, text)));
	strs_free(&s);
	return r;
}

/* ---- schemas and enums ---- */

static void
plan_schemas(struct pctx *x)
{
	struct plan_change *c;
	char *q;

	for (size_t i = 0; x->want->schemas && x->want->schemas[i]; i++) {
		const char *s = x->want->schemas[i];

		if (schema_has_schema(x->have, s))
			continue;
		c = add(x, 0, PLAN_SAFE, "create schema", strdup(s),
		    strdup("new schema"), NULL);
		q = ident(x, s);
		step(x, c, q ? fmt("CREATE SCHEMA %s", q) : NULL, 1);
		free(q);
	}
}

static char *
enum_labels(struct pctx *x, char *const *labels)
{
	char *s = strdup(""), *n, *l;

	for (size_t i = 0; s && labels[i]; i++) {
		l = literal(x, labels[i]);
		n = l ? fmt("%s%s%s", s, i ? ", " : "", l) : NULL;
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
	char *q = qual(x, w->schema, w->name);

	for (size_t i = 0; w->labels[i]; i++) {
		if ((k = label_index(h->labels, w->labels[i])) >= 0) {
			if (k < last)
				add(x, 1, PLAN_REFUSED, "reorder enum",
				    fmt("%s.%s", w->schema, w->name),
				    fmt("value '%s' is in another order in the "
				    "database", w->labels[i]), refuse_hint());
			last = k;
			continue;
		}
		c = add(x, 1, PLAN_SAFE, "add enum value",
		    fmt("%s.%s", w->schema, w->name),
		    fmt("new value '%s'", w->labels[i]), NULL);
		if (c)
			c->phase = PLAN_PRE;
		/* keep the model's order: after the previous model value */
		if (i > 0)
			step(x, c, fmt("ALTER TYPE %s ADD VALUE IF NOT EXISTS "
			    "%s AFTER %s", q, keep(x, &s, literal(x,
			    w->labels[i])), keep(x, &s, literal(x,
			    w->labels[i - 1]))), 1);
		else
			step(x, c, fmt("ALTER TYPE %s ADD VALUE IF NOT EXISTS "
			    "%s%s%s", q, keep(x, &s, literal(x, w->labels[i])),
			    h->labels[0] ? " BEFORE " : "", h->labels[0] ?
			    keep(x, &s, literal(x, h->labels[0])) : ""), 1);
		strs_free(&s);
	}
	free(q);
	for (size_t i = 0; h->labels[i]; i++)
		if (label_index(w->labels, h->labels[i]) < 0)
			add(x, 9, PLAN_DRIFT, "enum value",
			    fmt("%s.%s", h->schema, h->name),
			    fmt("value '%s' is not in the models", h->labels[i]),
			    strdup(HINT_DRIFT));
	strs_free(&s);
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
		c = add(x, 1, PLAN_SAFE, "create enum",
		    fmt("%s.%s", w->schema, w->name), strdup("new enum type"),
		    NULL);
		step(x, c, fmt("CREATE TYPE %s AS ENUM (%s)",
		    keep(x, &s, qual(x, w->schema, w->name)),
		    keep(x, &s, enum_labels(x, w->labels))), 1);
		strs_free(&s);
	}
}

/* ---- new tables ---- */

static void
plan_create_table(struct pctx *x, const struct sch_table *t)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	char *body = strdup(""), *n, *item;
	size_t i;

	for (i = 0; body && i < t->ncols + t->ncons; i++) {
		if (i >= t->ncols && t->cons[i - t->ncols].kind == SCH_FK)
			continue;
		item = i < t->ncols ? col_sql(x, &t->cols[i]) :
		    con_sql(x, &t->cons[i - t->ncols], 0);
		n = item ? fmt("%s%s\n    %s", body, *body ? "," : "", item) :
		    NULL;
		free(item);
		free(body);
		body = n;
	}
	c = add(x, 2, PLAN_SAFE, "create table", tname(t),
	    fmt("new table with %zu columns", t->ncols), NULL);
	step(x, c, body ? fmt("CREATE TABLE %s (%s\n)",
	    keep(x, &s, qual(x, t->schema, t->name)), body) : NULL, 1);
	free(body);
	strs_free(&s);
	for (i = 0; i < t->nidx; i++)
		step(x, c, index_sql(x, t, &t->idx[i], 0), 1);
	if (t->comment)
		step(x, c, comment_sql(x, t, NULL, t->comment), 1);
	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].comment)
			step(x, c, comment_sql(x, t, t->cols[i].name,
			    t->cols[i].comment), 1);
	/* foreign keys once every table exists; the new table is empty */
	for (i = 0; i < t->ncons; i++) {
		if (t->cons[i].kind != SCH_FK)
			continue;
		c = add(x, 4, PLAN_SAFE, "add foreign key",
		    fmt("%s.%s.%s", t->schema, t->name, t->cons[i].name),
		    fmt("new table references %s.%s", t->cons[i].ref_schema,
		    t->cons[i].ref_table), NULL);
		step(x, c, fmt("ALTER TABLE %s ADD %s",
		    keep(x, &s, qual(x, t->schema, t->name)),
		    keep(x, &s, con_sql(x, &t->cons[i], 0))), 1);
		strs_free(&s);
	}
}

/* ---- columns of existing tables ---- */

/* No rewrite: varchar(n) up, to varchar or text; numeric precision up. */
static int
type_widens(const char *from, const char *to)
{
	int n, m, p, q;

	if (sscanf(from, "character varying(%d)", &n) == 1)
		return !strcmp(to, "text") || !strcmp(to, "character varying")
		    || (sscanf(to, "character varying(%d)", &m) == 1 && m > n);
	if (!strcmp(from, "character varying"))
		return !strcmp(to, "text");
	if (sscanf(from, "numeric(%d,%d)", &n, &p) == 2)
		return !strcmp(to, "numeric") || (sscanf(to, "numeric(%d,%d)",
		    &m, &q) == 2 && m > n && q == p);
	if (sscanf(from, "bit varying(%d)", &n) == 1)
		return !strcmp(to, "bit varying") || (sscanf(to,
		    "bit varying(%d)", &m) == 1 && m > n);
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

	if (w->was && schema_find_column(h, w->was) &&
	    !schema_find_column(t, w->was)) {
		add(x, 3, PLAN_REFUSED, "rename column", cname(t, w->name),
		    fmt("looks like a rename of '%s' to '%s'", w->was, w->name),
		    fmt("write a tier-2 migration: ALTER TABLE ... RENAME "
		    "COLUMN (and keep the application compatible with both)"));
		return;
	}
	if (h->rows != 0 && w->notnull && w->def == NULL)
		why = "NOT NULL column without a default on a table that has "
		    "rows";
	else if (h->rows != 0 && def_volatile(w->def))
		why = "a volatile default rewrites every row of the table";
	if (why) {
		add(x, 3, PLAN_REFUSED, "add column", cname(t, w->name),
		    strdup(why), fmt("%s; or add it nullable, backfill in "
		    "batches, then SET NOT NULL in a migration",
		    HINT_MIGRATION));
		return;
	}
	c = add(x, 3, PLAN_SAFE, "add column", cname(t, w->name),
	    fmt("new %s column%s", w->notnull ? "NOT NULL" : "nullable",
	    w->notnull ? " with a default (no rewrite)" : ""), NULL);
	step(x, c, fmt("ALTER TABLE %s ADD COLUMN %s",
	    keep(x, &s, qual(x, t->schema, t->name)),
	    keep(x, &s, col_sql(x, w))), 1);
	if (w->comment)
		step(x, c, comment_sql(x, t, w->name, w->comment), 1);
	strs_free(&s);
}

static void
plan_alter_column(struct pctx *x, const struct sch_table *t,
    const struct sch_column *w, const struct sch_column *h)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	const char *q = keep(x, &s, qual(x, t->schema, t->name));
	const char *col = keep(x, &s, ident(x, w->name));

	if (strcmp(w->type, h->type) != 0) {
		if (!w->is_enum && !h->is_enum && type_widens(h->type, w->type)) {
			c = add(x, 3, PLAN_SAFE, "widen type", cname(t, w->name),
			    fmt("%s -> %s (no rewrite)", h->type, w->type),
			    NULL);
			step(x, c, fmt("ALTER TABLE %s ALTER COLUMN %s TYPE %s",
			    q, col, keep(x, &s, coltype(x, w))), 1);
		} else
			add(x, 3, PLAN_REFUSED, "change type",
			    cname(t, w->name), fmt("%s -> %s may rewrite the "
			    "table or fail on existing rows", h->type, w->type),
			    refuse_hint());
	}
	if (w->notnull && !h->notnull)
		add(x, 3, PLAN_REFUSED, "set not null", cname(t, w->name),
		    strdup("adding NOT NULL scans the table under an "
		    "exclusive lock and fails on NULL rows"),
		    fmt("%s: backfill, add CHECK (%s IS NOT NULL) NOT VALID, "
		    "VALIDATE, then SET NOT NULL", HINT_MIGRATION, w->name));
	else if (!w->notnull && h->notnull) {
		c = add(x, 3, PLAN_SAFE, "drop not null", cname(t, w->name),
		    strdup("the model allows NULL"), NULL);
		step(x, c, fmt("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL",
		    q, col), 1);
	}
	if (w->def && !schema_expr_equal(w->def, h->def)) {
		c = add(x, 3, PLAN_SAFE, "set default", cname(t, w->name),
		    h->def ? fmt("default %s -> %s", h->def, w->def) :
		    fmt("default %s", w->def), NULL);
		step(x, c, fmt("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT (%s)",
		    q, col, w->def), 1);
	} else if (!w->def && h->def)
		add(x, 9, PLAN_DRIFT, "default", cname(t, w->name),
		    fmt("default %s is not in the models", h->def),
		    strdup(HINT_DRIFT));
	if (w->comment && (!h->comment || strcmp(w->comment, h->comment))) {
		c = add(x, 3, PLAN_SAFE, "comment", cname(t, w->name),
		    strdup("column comment"), NULL);
		step(x, c, comment_sql(x, t, w->name, w->comment), 1);
	}
	strs_free(&s);
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
			add(x, 9, PLAN_DRIFT, "column", cname(h,
			    h->cols[i].name), fmt("%s column is not in the "
			    "models", h->cols[i].type), strdup(HINT_DRIFT));
	if (t->comment && (!h->comment || strcmp(t->comment, h->comment))) {
		c = add(x, 3, PLAN_SAFE, "comment", tname(t),
		    strdup("table comment"), NULL);
		step(x, c, comment_sql(x, t, NULL, t->comment), 1);
	}
}

/* ---- constraints and indexes of existing tables (lock-safe) ---- */

static const char *
con_kind_name(enum sch_con_kind k)
{
	switch (k) {
	case SCH_PK: return "primary key";
	case SCH_UNIQUE: return "unique constraint";
	case SCH_FK: return "foreign key";
	case SCH_CHECK: return "check";
	}
	return "constraint";
}

static int
con_same(const struct sch_constraint *w, const struct sch_constraint *h)
{
	if (w->kind != h->kind)
		return 0;
	if (w->kind == SCH_CHECK)
		return schema_expr_equal(w->expr, h->expr);
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
	const char *q = keep(x, &s, qual(x, t->schema, t->name));
	const char *name = keep(x, &s, ident(x, w->name));

	if (w->kind == SCH_PK) {
		if (schema_find_pk(h)) {
			add(x, 5, PLAN_REFUSED, "change primary key",
			    tname(t), fmt("the table has primary key '%s'",
			    schema_find_pk(h)->name), refuse_hint());
			goto out;
		}
		for (size_t i = 0; w->cols[i]; i++) {
			const struct sch_column *hc =
			    schema_find_column(h, w->cols[i]);
			if (hc && !hc->notnull) {
				add(x, 5, PLAN_REFUSED, "add primary key",
				    tname(t), fmt("column '%s' allows NULL: "
				    "SET NOT NULL scans under an exclusive "
				    "lock", w->cols[i]), refuse_hint());
				goto out;
			}
		}
	}
	c = add(x, 5, PLAN_SAFE, w->kind == SCH_PK ? "add primary key" :
	    "add unique", fmt("%s.%s.%s", t->schema, t->name, w->name),
	    strdup("unique index built CONCURRENTLY, then attached"), NULL);
	if (c == NULL)
		goto out;
	c->phase = PLAN_ONLINE;
	step(x, c, fmt("CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s)", name,
	    q, keep(x, &s, identlist(x, w->cols))), 0);
	step(x, c, fmt("ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s", q,
	    name, w->kind == SCH_PK ? "PRIMARY KEY" : "UNIQUE", name), 1);
	c->cleanup = fmt("DROP INDEX CONCURRENTLY IF EXISTS %s",
	    keep(x, &s, qual(x, t->schema, w->name)));
out:
	strs_free(&s);
}

/* A sample row that violates a check: its primary key (or ctid). */
static char *
check_query(struct pctx *x, const struct sch_table *t,
    const struct sch_constraint *w)
{
	const struct sch_constraint *pk = schema_find_pk(t);
	struct strs s = { .n = 0 };
	char *r;

	r = fmt("SELECT %s FROM %s WHERE NOT (%s) LIMIT 1",
	    pk ? keep(x, &s, identlist(x, pk->cols)) : "ctid",
	    keep(x, &s, qual(x, t->schema, t->name)), w->expr);
	strs_free(&s);
	return r;
}

/* Foreign key or check: NOT VALID, then VALIDATE. */
static void
plan_add_validated(struct pctx *x, const struct sch_table *t,
    const struct sch_constraint *w, int only_validate)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	const char *q = keep(x, &s, qual(x, t->schema, t->name));
	const char *name = keep(x, &s, ident(x, w->name));

	c = add(x, 7, PLAN_SAFE, only_validate ? "validate constraint" :
	    w->kind == SCH_FK ? "add foreign key" : "add check",
	    fmt("%s.%s.%s", t->schema, t->name, w->name),
	    strdup(only_validate ? "constraint is NOT VALID in the database" :
	    "added NOT VALID, then validated without blocking writes"), NULL);
	if (c == NULL)
		goto out;
	c->phase = PLAN_ONLINE;
	if (!only_validate) {
		step(x, c, fmt("ALTER TABLE %s ADD %s", q,
		    keep(x, &s, con_sql(x, w, 1))), 1);
		c->cleanup = fmt("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s",
		    q, name);
	}
	if (w->kind == SCH_CHECK)
		c->check = check_query(x, t, w);
	step(x, c, fmt("ALTER TABLE %s VALIDATE CONSTRAINT %s", q, name), 1);
out:
	strs_free(&s);
}

static void
plan_constraints(struct pctx *x, const struct sch_table *t,
    const struct sch_table *h)
{
	const struct sch_constraint *w, *hc;

	for (size_t i = 0; i < t->ncons; i++) {
		w = &t->cons[i];
		if ((hc = schema_find_constraint(h, w->name)) != NULL) {
			if (!con_same(w, hc))
				add(x, 7, PLAN_REFUSED, "change constraint",
				    fmt("%s.%s.%s", t->schema, t->name,
				    w->name), fmt("%s '%s' differs from the "
				    "model", con_kind_name(w->kind), w->name),
				    refuse_hint());
			else if (!hc->valid)
				plan_add_validated(x, t, w, 1);
			continue;
		}
		if (w->kind == SCH_PK || w->kind == SCH_UNIQUE)
			plan_add_key(x, t, h, w);
		else
			plan_add_validated(x, t, w, 0);
	}
	for (size_t i = 0; i < h->ncons; i++)
		if (!schema_find_constraint(t, h->cons[i].name))
			add(x, 9, PLAN_DRIFT, con_kind_name(h->cons[i].kind),
			    fmt("%s.%s.%s", h->schema, h->name,
			    h->cons[i].name), fmt("%s is not in the models",
			    con_kind_name(h->cons[i].kind)),
			    strdup(HINT_DRIFT));
}

static int
index_same(const struct sch_table *t, const struct sch_index *w,
    const struct sch_index *h)
{
	if (w->unique != h->unique || strcmp(w->method, h->method) ||
	    schema_strv_len(w->keys) != schema_strv_len(h->keys) ||
	    !schema_expr_equal(w->where, h->where))
		return 0;
	for (size_t i = 0; w->keys[i]; i++) {
		if (schema_find_column(t, w->keys[i])) {
			if (strcmp(w->keys[i], h->keys[i]))
				return 0;
		} else if (!schema_expr_equal(w->keys[i], h->keys[i]))
			return 0;
	}
	return 1;
}

static void
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
			if (!index_same(t, w, hi))
				add(x, 6, PLAN_REFUSED, "change index",
				    fmt("%s.%s", t->schema, w->name),
				    strdup("the index differs from the model"),
				    fmt("%s (CREATE INDEX CONCURRENTLY a new "
				    "one, then DROP INDEX CONCURRENTLY)",
				    HINT_MIGRATION));
			continue;
		}
		c = add(x, 6, PLAN_SAFE, hi ? "rebuild index" : "add index",
		    fmt("%s.%s", t->schema, w->name), strdup(hi ?
		    "invalid index left by an interrupted build: rebuilt "
		    "CONCURRENTLY" : "built CONCURRENTLY"), NULL);
		if (c == NULL)
			break;
		c->phase = PLAN_ONLINE;
		c->cleanup = fmt("DROP INDEX CONCURRENTLY IF EXISTS %s",
		    keep(x, &s, qual(x, t->schema, w->name)));
		if (hi)
			step(x, c, strdup(c->cleanup), 0);
		step(x, c, index_sql(x, t, w, 1), 0);
		strs_free(&s);
	}
	for (size_t i = 0; i < h->nidx; i++)
		if (!schema_find_index(t, h->idx[i].name))
			add(x, 9, PLAN_DRIFT, "index", fmt("%s.%s", h->schema,
			    h->idx[i].name), strdup("index is not in the "
			    "models"), strdup(HINT_DRIFT));
}

/* ---- the whole plan ---- */

static int
plan_own_table(const struct plan_opts *o, const struct sch_table *t)
{
	if (o == NULL || o->own_schema == NULL ||
	    strcmp(o->own_schema, t->schema))
		return 0;
	for (int i = 0; i < 4 && o->own_tables[i]; i++)
		if (!strcmp(o->own_tables[i], t->name))
			return 1;
	return 0;
}

static void
plan_tables(struct pctx *x)
{
	const struct sch_table *t, *h;

	for (size_t i = 0; i < x->want->ntables; i++) {
		t = &x->want->tables[i];
		if ((h = schema_find_table(x->have, t->schema, t->name)) ==
		    NULL) {
			plan_create_table(x, t);
			continue;
		}
		plan_columns(x, t, h);
		plan_constraints(x, t, h);
		plan_indexes(x, t, h);
	}
	for (size_t i = 0; i < x->have->ntables; i++) {
		h = &x->have->tables[i];
		if (!schema_find_table(x->want, h->schema, h->name) &&
		    !plan_own_table(x->opts, h))
			add(x, 9, PLAN_DRIFT, "table", tname(h),
			    strdup("table is not in the models"),
			    strdup(HINT_DRIFT));
	}
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
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *text = NULL;
	struct merr e;

	p->hash[0] = '\0';
	if (plan_format_text(p, &text, &e) == -1)
		return;
	if (EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL))
		for (unsigned int i = 0; i < len && i < 32; i++)
			snprintf(p->hash + 2 * i, 3, "%02x", md[i]);
	free(text);
}

int
plan_compute(struct db *db, const struct schema *desired,
    const struct schema *actual, const struct plan_opts *opts,
    struct plan **out, struct merr *e)
{
	struct pctx x;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	x.db = db;
	x.want = desired;
	x.have = actual;
	x.opts = opts;
	x.e = e;
	if ((x.p = calloc(1, sizeof(*x.p))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	plan_schemas(&x);
	plan_enums(&x);
	plan_tables(&x);
	if (x.nomem) {
		plan_free(x.p);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	plan_sort(x.p);
	plan_hash(x.p);
	*out = x.p;
	return 0;
}

void
plan_free(struct plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct plan_change *c = &p->v[i];

		free(c->kind);
		free(c->target);
		free(c->reason);
		free(c->hint);
		for (size_t j = 0; j < c->nsteps; j++)
			free(c->steps[j].sql);
		free(c->steps);
		free(c->cleanup);
		free(c->check);
	}
	free(p->v);
	free(p);
}

size_t
plan_statements(const struct plan *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].cls == PLAN_SAFE)
			n += p->v[i].nsteps;
	return n;
}

const char *
plan_class_name(enum plan_class c)
{
	switch (c) {
	case PLAN_SAFE: return "safe";
	case PLAN_REFUSED: return "refused";
	case PLAN_DRIFT: return "drift";
	}
	return "?";
}

/* ---- rendering ---- */

int
plan_format_text(const struct plan *p, char **out, struct merr *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_change *c = &p->v[i];

		fprintf(f, "-- %s: %s %s: %s\n", plan_class_name(c->cls),
		    c->kind, c->target, c->reason);
		if (c->hint)
			fprintf(f, "--   hint: %s\n", c->hint);
		for (size_t j = 0; j < c->nsteps; j++)
			fprintf(f, "%s;\n", c->steps[j].sql);
	}
	if (p->n == 0)
		fprintf(f, "-- no changes: the database matches the models\n");
	else
		fprintf(f, "-- plan: %zu safe, %zu refused, %zu drift\n",
		    p->nsafe, p->nrefused, p->ndrift);
	if (fclose(f) != 0) {
		free(buf);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	*out = buf;
	return 0;
}

json_t *
plan_to_json(const struct plan *p)
{
	json_t *j, *arr, *c, *sql;

	arr = json_array();
	for (size_t i = 0; arr && i < p->n; i++) {
		const struct plan_change *ch = &p->v[i];

		sql = json_array();
		for (size_t k = 0; sql && k < ch->nsteps; k++)
			json_array_append_new(sql,
			    json_string(ch->steps[k].sql));
		c = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:o?}",
		    "class", plan_class_name(ch->cls), "kind", ch->kind,
		    "target", ch->target, "reason", ch->reason,
		    "hint", ch->hint, "phase", ch->phase == PLAN_ONLINE ?
		    "online" : ch->phase == PLAN_PRE ? "before" : "transaction", "sql", sql);
		json_array_append_new(arr, c);
	}
	j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o?}", "hash", p->hash,
	    "safe", (json_int_t)p->nsafe, "refused", (json_int_t)p->nrefused,
	    "drift", (json_int_t)p->ndrift, "statements",
	    (json_int_t)plan_statements(p), "changes", arr);
	return j;
}
