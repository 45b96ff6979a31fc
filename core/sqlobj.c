/* sqlobj.c - the SQL of the models' SQL objects (sqlobj.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "quote.h"
#include "sqlobj.h"
#include "sqltok.h"

const char *
sqlobj_kind_name(char kind)
{
	switch (kind) {
	case SCH_VIEW:
		return "view";
	case SCH_MATVIEW:
		return "materialized view";
	case SCH_FUNCTION:
		return "function";
	case SCH_PROCEDURE:
		return "procedure";
	case SCH_TRIGGER:
		return "trigger";
	case SCH_RULE:
		return "rule";
	case SCH_AGGREGATE:
		return "aggregate";
	}
	return "policy";
}

char *
sqlobj_target(const struct sch_object *o)
{
	char *t;

	if ((o->table ? asprintf(&t, "%s.%s.%s", o->schema, o->table,
	    o->name) : asprintf(&t, "%s.%s", o->schema, o->name)) == -1)
		return NULL;
	return t;
}

/* "CREATE " head + sql[kw_off, name_off) + name + sql[name_end, end) */
static char *
obj_renamed(const struct sch_object *o, const char *head, const char *name,
    size_t end)
{
	char *r;

	if (asprintf(&r, "%s%.*s%s%.*s", head, (int)(o->name_off - o->kw_off),
	    o->sql + o->kw_off, name, (int)(end - o->name_end),
	    o->sql + o->name_end) == -1)
		return NULL;
	return r;
}

char *
sqlobj_create_sql(const struct sch_object *o, int replace)
{
	const char *head = replace ? "CREATE OR REPLACE " : "CREATE ";
	char *q, *r;

	if (o->kind == SCH_TRIGGER || o->kind == SCH_POLICY) {
		if (asprintf(&r, "%s%s", head, o->sql + o->kw_off) == -1)
			return NULL;
		return r;
	}
	if ((q = quote_qualified(o->schema, o->name)) == NULL)
		return NULL;
	/* a materialized view cannot be replaced: never asked to */
	r = obj_renamed(o, o->kind == SCH_MATVIEW ? "CREATE " : head, q,
	    strlen(o->sql));
	free(q);
	return r;
}

/* A materialized view's query as CREATE TEMP VIEW, its columns kept. */
static char *
temp_matview(const struct sch_object *o, const char *name)
{
	struct sqltok t;
	size_t p = o->name_end, cols = o->name_end, depth = 0;
	char *r;

	sqltok_next(o->sql, &p, &t);
	if (sqltok_is(o->sql, &t, "("))
		for (depth = 1; depth > 0 && t.kind != SQLTOK_END;) {
			sqltok_next(o->sql, &p, &t);
			depth += sqltok_is(o->sql, &t, "(") -
			    sqltok_is(o->sql, &t, ")");
			cols = p;
		}
	if (asprintf(&r, "CREATE TEMP VIEW pg_temp.%s%.*s AS %.*s", name,
	    (int)(cols - o->name_end), o->sql + o->name_end,
	    (int)(o->query_end - o->as_off), o->sql + o->as_off) == -1)
		return NULL;
	return r;
}

char *
sqlobj_temp_sql(const struct sch_object *o, const char *name, int replace)
{
	char *q, *r;

	if (o->kind == SCH_MATVIEW)
		return temp_matview(o, name);
	if (asprintf(&q, "pg_temp.%s", name) == -1)
		return NULL;
	r = obj_renamed(o, o->kind == SCH_VIEW ? "CREATE TEMP " : replace ?
	    "CREATE OR REPLACE " : "CREATE ", q, strlen(o->sql));
	free(q);
	return r;
}

/* ---- triggers ---- */

/*
 * Names as the model resolved them (o: its table, its function in
 * deps[0]), or for pg_get_triggerdef() (o NULL) an unqualified function
 * in public; REPLACE left out.
 */
static void
trigger_fix(json_t *stmt, const void *arg)
{
	const struct sch_object *o = arg;
	json_t *n = json_object_get(stmt, "CreateTrigStmt"), *rel, *fn;
	const char *sch, *dot;
	char fs[SCH_NAME_MAX + 1];

	if (n == NULL)
		return;
	json_object_del(n, "replace");
	rel = json_object_get(n, "relation");
	sch = json_string_value(json_object_get(rel, "schemaname"));
	json_object_set_new(n, "relation", json_pack("{s:s, s:s?}",
	    "schemaname", o ? o->schema : sch ? sch : "public", "relname",
	    o ? o->table : json_string_value(json_object_get(rel,
	    "relname"))));
	fn = json_object_get(n, "funcname");
	if (o && o->deps && (dot = strchr(o->deps[0], '.')) &&
	    dot - o->deps[0] <= SCH_NAME_MAX) {
		snprintf(fs, sizeof(fs), "%.*s", (int)(dot - o->deps[0]),
		    o->deps[0]);
		json_object_set_new(n, "funcname", json_pack("[{s:{s:s}}, "
		    "{s:{s:s}}]", "String", "sval", fs, "String", "sval",
		    dot + 1));
	} else if (json_array_size(fn) == 1)
		json_array_insert_new(fn, 0, json_pack("{s:{s:s}}", "String",
		    "sval", "public"));
}

int
sqlobj_trigger_equal(const struct sch_object *w, const struct sch_object *h)
{
	char *a, *b;
	int eq;

	if (h->enabled != 'O' || w->sql == NULL || h->def == NULL)
		return 0;
	a = schema_stmt_canon(w->sql, trigger_fix, w);
	b = schema_stmt_canon(h->def, trigger_fix, NULL);
	eq = a && b && !strcmp(a, b);
	free(a);
	free(b);
	return eq;
}

/* ---- view queries ---- */

/* Drops the output names of every SELECT of a set operation's arm. */
static void
view_unname(json_t *sel)
{
	const char *op = json_string_value(json_object_get(sel, "op"));
	size_t i;
	json_t *t;

	if (op && strcmp(op, "SETOP_NONE")) {
		view_unname(json_object_get(sel, "larg"));
		view_unname(json_object_get(sel, "rarg"));
		return;
	}
	json_array_foreach(json_object_get(sel, "targetList"), i, t)
		json_object_del(json_object_get(t, "ResTarget"), "name");
}

/*
 * Walks the tree: no locations, and no output names in the arms of a set
 * operation but the first, which name its columns.
 */
static void
view_clean(json_t *j)
{
	const char *op, *k;
	json_t *v;
	void *tmp;
	size_t i;

	if (json_is_array(j))
		json_array_foreach(j, i, v)
			view_clean(v);
	if (!json_is_object(j))
		return;
	json_object_del(j, "location");
	op = json_string_value(json_object_get(j, "op"));
	if (op && strcmp(op, "SETOP_NONE") && json_object_get(j, "rarg"))
		view_unname(json_object_get(j, "rarg"));
	json_object_foreach_safe(j, tmp, k, v)
		view_clean(v);
}

static json_t *
view_tree(const char *def)
{
	PgQueryParseResult r = pg_query_parse(def);
	json_t *root = NULL, *t = NULL;

	if (r.error == NULL && (root = json_loads(r.parse_tree, 0, NULL)) &&
	    json_array_size(json_object_get(root, "stmts")) == 1 &&
	    (t = json_object_get(json_array_get(json_object_get(root,
	    "stmts"), 0), "stmt"))) {
		json_incref(t);
		view_clean(t);
	}
	json_decref(root);
	pg_query_free_parse_result(r);
	return t;
}

int
sqlobj_viewdef_equal(const char *a, const char *b)
{
	json_t *ta, *tb;
	int eq;

	if (a == b || (a && b && !strcmp(a, b)))
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	ta = view_tree(a);
	tb = view_tree(b);
	eq = ta && tb && json_equal(ta, tb);
	json_decref(ta);
	json_decref(tb);
	return eq;
}

/* ---- what an object's SQL names ---- */

static const char *
last_name(json_t *names)
{
	json_t *n = json_array_get(names, json_array_size(names) - 1);

	return json_string_value(json_object_get(json_object_get(n, "String"),
	    "sval"));
}

static int mentions_sql(const char *sql, char ***out);

/* Every word and quoted name of a body in another language (plpgsql). */
static int
mentions_words(const char *body, char ***out)
{
	struct sqltok t;
	size_t p = 0;
	char *w;
	int rc = 0;

	for (sqltok_next(body, &p, &t); rc == 0 && t.kind != SQLTOK_END;
	    sqltok_next(body, &p, &t)) {
		int q = t.kind == SQLTOK_QIDENT;

		if (t.kind != SQLTOK_WORD && !q)
			continue;
		if ((w = strndup(body + t.off + q, t.end - t.off - 2 * q)) ==
		    NULL)
			return -1;
		for (char *c = w; !q && *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		rc = schema_strv_push(out, w);
		free(w);
	}
	return rc;
}

/* A CREATE FUNCTION's string body, and whether its language is sql. */
static const char *
fn_body(json_t *fn, int *sql)
{
	const char *body = NULL, *lang = NULL, *k;
	json_t *opt;
	size_t i;

	json_array_foreach(json_object_get(fn, "options"), i, opt) {
		json_t *d = json_object_get(opt, "DefElem");
		json_t *arg = json_object_get(d, "arg");

		if ((k = json_string_value(json_object_get(d, "defname"))) ==
		    NULL)
			continue;
		if (!strcmp(k, "language"))
			lang = json_string_value(json_object_get(
			    json_object_get(arg, "String"), "sval"));
		else if (!strcmp(k, "as"))
			body = json_string_value(json_object_get(
			    json_object_get(json_array_get(json_object_get(
			    json_object_get(arg, "List"), "items"), 0),
			    "String"), "sval"));
	}
	*sql = lang && !strcmp(lang, "sql");
	return body;
}

static int
mentions_walk(json_t *j, char ***out)
{
	const char *k, *n = NULL;
	json_t *v;
	size_t i;
	int sql;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (mentions_walk(v, out) == -1)
				return -1;
		return 0;
	}
	if (!json_is_object(j))
		return 0;
	/* a view's (materialized view's) own name is not something it needs */
	if ((v = json_object_get(j, "ViewStmt")) ||
	    (v = json_object_get(j, "CreateTableAsStmt")))
		return mentions_walk(json_object_get(v, "query"), out);
	/* a RangeVar or TypeName field is written without its node name */
	if (json_is_string(json_object_get(j, "relname")))
		n = json_string_value(json_object_get(j, "relname"));
	else if ((v = json_object_get(j, "FuncCall")))
		n = last_name(json_object_get(v, "funcname"));
	else if (json_is_array(json_object_get(j, "names")) &&
	    json_object_get(j, "typemod"))
		n = last_name(json_object_get(j, "names"));
	else if ((v = json_object_get(j, "CreateFunctionStmt")) &&
	    (k = fn_body(v, &sql)) && (sql ? mentions_sql(k, out) :
	    mentions_words(k, out)) == -1)
		return -1;
	if (n && schema_strv_push(out, n) == -1)
		return -1;
	json_object_foreach(j, k, v)
		if (mentions_walk(v, out) == -1)
			return -1;
	return 0;
}

static int
mentions_sql(const char *sql, char ***out)
{
	PgQueryParseResult r = pg_query_parse(sql);
	json_t *root = NULL;
	int rc = 0;

	if (r.error == NULL && (root = json_loads(r.parse_tree, 0, NULL)))
		rc = mentions_walk(root, out);
	json_decref(root);
	pg_query_free_parse_result(r);
	return rc;
}

int
sqlobj_mentions(const struct sch_object *o, char ***out)
{
	return o->sql ? mentions_sql(o->sql, out) : 0;
}

size_t
sqlobj_temp_offset(const struct sch_object *o, const char *temp, size_t off)
{
	size_t tail = o->kind == SCH_MATVIEW ? o->as_off : o->name_end;
	size_t end = o->kind == SCH_MATVIEW ? o->query_end : strlen(o->sql);
	size_t tlen = strlen(temp);

	if (end - tail > tlen || off < tlen - (end - tail))
		return o->name_off;
	return tail + off - (tlen - (end - tail));
}
