/*
 * plan_needs.c - what the SQL of a safe change needs from the database
 * (plan.h, struct plan_need): types that are neither built in nor
 * created by the plan, operator classes (named, or the default one of a
 * key's type for the index method), collations, the functions that
 * expressions call, and the other changes of the plan it builds on.
 * Recorded while planning (a pure function still); core/plancheck.c
 * checks them against the database in one query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "idxdef.h"
#include "plan_int.h"
#include "quote.h"
#include "sqltok.h"

/* "kind schema.name" of a change, for NEED_CHANGE. */
static void
need_change(struct pctx *x, struct plan_change *c, const char *kind,
    const char *sch, const char *name, const char *col)
{
	char *kt = col ? plan_fmt("%s %s.%s.%s", kind, sch, name, col) :
	    plan_fmt("%s %s.%s", kind, sch, name);

	if (kt == NULL)
		x->nomem = 1;
	plan_need(x, c, NEED_CHANGE, kt, NULL, NULL, NULL);
	free(kt);
}

void
plan_needs_change(struct pctx *x, struct plan_change *c, const char *kind,
    const char *sch, const char *name, const char *col)
{
	need_change(x, c, kind, sch, name, col);
}

/* "schema.name" -> its parts (schema NULL without a dot); malloc'd. */
static int
split_qual(const char *q, char **sch, char **name)
{
	const char *dot = strchr(q, '.');

	*sch = dot ? strndup(q, (size_t)(dot - q)) : NULL;
	*name = strdup(dot ? dot + 1 : q);
	return (*name && (!dot || *sch)) ? 0 : -1;
}

/* The want table whose serial column's sequence is sch.name, or -1. */
static long
serial_owner(const struct schema *want, const char *sch, const char *name)
{
	char seq[2 * SCH_NAME_MAX + 8];

	for (size_t i = 0; i < want->ntables; i++) {
		const struct sch_table *t = &want->tables[i];

		if (strcmp(t->schema, sch))
			continue;
		for (size_t k = 0; k < t->ncols; k++) {
			if (!t->cols[k].serial)
				continue;
			snprintf(seq, sizeof(seq), "%s_%s_seq", t->name,
			    t->cols[k].name);
			if (!strcmp(seq, name))
				return (long)i;
		}
	}
	return -1;
}

/*
 * The relations expr names as text must exist when c runs: a serial
 * column's sequence is made with its table, so a default of a table
 * created before it would fail; a sequence of the models not in the
 * database is made before every table; anything else must be there.
 */
static void
plan_needs_relations(struct pctx *x, struct plan_change *c, const char *expr,
    const char *what)
{
	char **rel = NULL, *sch, *name;
	const char *in;
	long t;

	if (schema_expr_relations(expr, &rel) == -1)
		x->nomem = 1;
	for (size_t i = 0; rel && rel[i]; i++) {
		if (split_qual(rel[i], &sch, &name) == -1 || name == NULL) {
			x->nomem = 1;
			free(sch);
			free(name);
			continue;
		}
		in = sch ? sch : "public";
		t = serial_owner(x->want, in, name);
		if (t >= 0 && (x->made == NULL || x->made[t] == MADE_DONE ||
		    x->made[t] == 0))
			;	/* its table exists or was made before c */
		else if (t < 0 && schema_find_sequence(x->want, in, name) &&
		    !schema_find_sequence(x->have, in, name))
			;	/* made first */
		else
			plan_need(x, c, NEED_RELATION, rel[i], NULL, NULL, what);
		free(sch);
		free(name);
	}
	schema_strv_free(rel);
}

void
plan_needs_expr(struct pctx *x, struct plan_change *c, const char *expr,
    const char *what)
{
	char **fn = NULL, *sch, *name;

	if (expr == NULL || c == NULL)
		return;
	if (schema_expr_funcs(expr, &fn) == -1)
		x->nomem = 1;
	for (size_t i = 0; fn && fn[i]; i++) {
		const char *in;

		if (split_qual(fn[i], &sch, &name) == -1)
			x->nomem = 1;
		/* a function the models define and this plan creates */
		in = sch ? sch : "public";
		if (name == NULL)
			;
		else if (schema_find_object(x->want, SCH_FUNCTION, in, name, NULL) &&
		    !schema_find_object(x->have, SCH_FUNCTION, in, name, NULL))
			need_change(x, c, "create function", in, name, NULL);
		else
			plan_need(x, c, NEED_FUNCTION, name, sch, NULL, what);
		free(sch);
		free(name);
	}
	schema_strv_free(fn);
	plan_needs_relations(x, c, expr, what);
}

/* "s.name[]" (an enum or domain's canonical type) -> schema, name. */
static int
user_type(const char *type, char **sch, char **name, int *array)
{
	const char *dot = strchr(type, '.'), *arr = strstr(type, "[]");

	*array = arr != NULL;
	*sch = strndup(type, (size_t)(dot - type));
	*name = strndup(dot + 1, arr ? (size_t)(arr - dot - 1) :
	    strlen(dot + 1));
	return *sch && *name ? 0 : -1;
}

/*
 * The type of column col of want table t as the database will name it
 * when the change runs, for a default operator class check: the type
 * itself, or for an enum or domain the plan creates, what stands for it
 * ("anyenum", "anyarray", the domain's base type).  NULL: no check.
 */
static char *
key_type(struct pctx *x, const struct sch_column *col)
{
	const struct sch_domain *d;
	char *sch = NULL, *name = NULL, *r = NULL, *q;
	int arr;

	if (!col->is_enum && !col->is_domain)
		return strdup(col->type);
	if (user_type(col->type, &sch, &name, &arr) == -1)
		goto out;
	if (col->is_enum ? schema_find_enum(x->have, sch, name) != NULL :
	    schema_find_domain(x->have, sch, name) != NULL) {
		q = quote_qualified(sch, name);
		r = q ? plan_fmt("%s%s", q, arr ? "[]" : "") : NULL;
		free(q);
	} else if (arr)
		r = strdup("anyarray");
	else if (col->is_enum)
		r = strdup("anyenum");
	else if ((d = schema_find_domain(x->want, sch, name)) != NULL)
		r = strdup(d->base_enum ? "anyenum" : d->type);
out:
	free(sch);
	free(name);
	return r;
}

/* A column's type: an extension's must exist, a new domain be made. */
void
plan_needs_type(struct pctx *x, struct plan_change *c, const char *type,
    int is_domain, int ext, const char *what)
{
	char *sch, *name;
	int arr;

	if (ext)
		plan_need(x, c, NEED_TYPE, type, NULL, NULL, what);
	if (!is_domain)
		return;
	if (user_type(type, &sch, &name, &arr) == -1)
		x->nomem = 1;
	else if (!schema_find_domain(x->have, sch, name))
		need_change(x, c, "create domain", sch, name, NULL);
	free(sch);
	free(name);
}

void
plan_needs_column(struct pctx *x, struct plan_change *c,
    const struct sch_column *col)
{
	char *what = plan_fmt("column '%s'", col->name);

	plan_needs_type(x, c, col->type, col->is_domain, col->ext_type, what);
	if (col->collation)
		plan_need(x, c, NEED_COLLATION, col->collation, NULL, NULL,
		    what);
	plan_needs_expr(x, c, col->def, what);
	plan_needs_expr(x, c, col->generated, what);
	free(what);
}

/* A key column of an existing table that this plan adds. */
static void
needs_new_column(struct pctx *x, struct plan_change *c,
    const struct sch_table *t, const char *col)
{
	const struct sch_table *h = schema_find_table(x->have, t->schema,
	    t->name);

	if (h && schema_find_column(t, col) && !schema_find_column(h, col))
		need_change(x, c, "add column", t->schema, t->name, col);
}

/* The columns an expression names: their offsets in "SELECT (expr)". */
static int
expr_refs(json_t *j, size_t **off, size_t *n)
{
	json_t *v, *f;
	const char *k;
	size_t i, *p;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (expr_refs(v, off, n) == -1)
				return -1;
		return 0;
	}
	if (!json_is_object(j))
		return 0;
	if ((v = json_object_get(j, "ColumnRef")) != NULL) {
		f = json_object_get(v, "fields");
		if (json_array_size(f) != 1 || !json_object_get(json_array_get(
		    f, 0), "String") || (p = realloc(*off, (*n + 1) *
		    sizeof(*p))) == NULL)
			return -1;
		*off = p;
		p[(*n)++] = (size_t)json_integer_value(json_object_get(v,
		    "location"));
		return 0;
	}
	json_object_foreach(j, k, v)
		if (expr_refs(v, off, n) == -1)
			return -1;
	return 0;
}

static int
off_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Expression key expr of t with each column it names as a typed NULL,
 * "lower((NULL::text))", for the server to tell the key's type; NULL when
 * that cannot be written (a column of another kind, a type the plan
 * makes, a reference that is not a plain column of t).
 */
static char *
typed_expr(struct pctx *x, const struct sch_table *t, const char *expr)
{
	static const char head[] = "SELECT (";
	PgQueryParseResult r;
	json_t *root = NULL;
	size_t *off = NULL, n = 0, at = 0;
	char *sql, *out = NULL, *acc = NULL, *nx, *type, name[SCH_NAME_MAX + 3];
	int ok;

	if ((sql = plan_fmt("%s%s)", head, expr)) == NULL)
		return NULL;
	r = pg_query_parse(sql);
	ok = r.error == NULL && (root = json_loads(r.parse_tree, 0, NULL)) &&
	    expr_refs(root, &off, &n) == 0 && (acc = strdup("")) != NULL;
	if (ok)
		qsort(off, n, sizeof(*off), off_cmp);
	for (size_t i = 0; ok && i < n; i++) {
		size_t p = off[i] - (sizeof(head) - 1);
		struct sqltok tk;
		const struct sch_column *col;

		sqltok_next(expr, &p, &tk);
		snprintf(name, sizeof(name), "%.*s", (int)(tk.end - tk.off),
		    expr + tk.off);
		col = schema_find_column(t, tk.kind == SQLTOK_WORD ? name :
		    NULL);
		if (tk.kind == SQLTOK_QIDENT && tk.end - tk.off >= 2) {
			snprintf(name, sizeof(name), "%.*s", (int)(tk.end -
			    tk.off - 2), expr + tk.off + 1);
			col = strchr(name, '"') ? NULL : schema_find_column(t,
			    name);
		}
		type = col ? key_type(x, col) : NULL;
		ok = type && strncmp(type, "any", 3) && (nx = plan_fmt(
		    "%s%.*s(NULL::%s)", acc, (int)(tk.off - at), expr + at,
		    type)) != NULL;
		free(type);
		if (ok) {
			free(acc);
			acc = nx;
			at = tk.end;
		}
	}
	if (ok)
		out = plan_fmt("%s%s", acc, expr + at);
	free(acc);
	free(off);
	json_decref(root);
	pg_query_free_parse_result(r);
	free(sql);
	return out;
}

/* Key i of index (or key) on t: its operator class and collation. */
static void
needs_key(struct pctx *x, struct plan_change *c, const struct sch_table *t,
    const char *key, const char *opts, const char *method)
{
	const struct sch_column *col = schema_find_column(t, key);
	char *coll = NULL, *opc = NULL, *sch, *name, *what, *type = NULL;

	what = plan_fmt("index key '%s'", key);
	if (idxdef_parts(opts, &coll, &opc) == -1)
		x->nomem = 1;
	if (coll)
		plan_need(x, c, NEED_COLLATION, coll, NULL, NULL, what);
	if (opc && split_qual(opc, &sch, &name) == 0) {
		plan_need(x, c, NEED_OPCLASS, name, sch, method, what);
		free(sch);
		free(name);
	} else if (opc == NULL && col && (type = key_type(x, col)) != NULL) {
		plan_need(x, c, NEED_DEFAULT_OPCLASS, type, NULL, method, what);
		free(type);
	} else if (col == NULL) {
		plan_needs_expr(x, c, key, what);
		if (opc == NULL && (type = typed_expr(x, t, key)) != NULL)
			plan_need(x, c, NEED_EXPR_OPCLASS, type, NULL, method,
			    what);
		free(type);
	}
	if (col)
		needs_new_column(x, c, t, key);
	free(coll);
	free(opc);
	free(what);
}

void
plan_needs_index(struct pctx *x, struct plan_change *c,
    const struct sch_table *t, const struct sch_index *ix)
{
	char *what = plan_fmt("index '%s'", ix->name);

	for (size_t i = 0; ix->keys && ix->keys[i]; i++)
		needs_key(x, c, t, ix->keys[i], ix->opts ? ix->opts[i] : NULL,
		    ix->method);
	for (size_t i = 0; ix->include && ix->include[i]; i++)
		needs_new_column(x, c, t, ix->include[i]);
	plan_needs_expr(x, c, ix->where, what);
	free(what);
}

void
plan_needs_constraint(struct pctx *x, struct plan_change *c,
    const struct sch_table *t, const struct sch_constraint *k)
{
	const struct sch_table *r;
	char *what = plan_fmt("constraint '%s'", k->name);

	if (k->kind == SCH_CHECK)
		plan_needs_expr(x, c, k->expr, what);
	for (size_t i = 0; k->kind != SCH_CHECK && k->cols && k->cols[i]; i++)
		if (k->kind == SCH_FK)
			needs_new_column(x, c, t, k->cols[i]);
		else
			needs_key(x, c, t, k->cols[i], NULL, "btree");
	for (size_t i = 0; k->include && k->include[i]; i++)
		needs_new_column(x, c, t, k->include[i]);
	if (k->kind == SCH_FK && !schema_find_table(x->have, k->ref_schema,
	    k->ref_table) && (r = schema_find_table(x->want, k->ref_schema,
	    k->ref_table)) != NULL && r != t)
		need_change(x, c, "create table", r->schema, r->name, NULL);
	free(what);
}
