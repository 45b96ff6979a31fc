/*
 * model_sql.c - the SQL files of the models folder: views, materialized
 * views, functions, procedures, triggers and policies, one CREATE
 * statement each (models/README.md, "SQL objects").
 *
 * The file is split by libpg_query's parser and each statement parsed
 * alone; the parse tree says what it is and names it, core/sqltok.h finds
 * the few offsets the tree does not give.  Anything but those CREATE
 * statements is an error with its file:line:col.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "model_int.h"
#include "quote.h"
#include "sqltok.h"

/* One statement being read. */
struct sload {
	struct schema	*s;
	const char	*file;		/* owned by s->files */
	const char	*text;		/* the whole file */
	size_t		 base;		/* the statement's offset in text */
	char		*sql;		/* the statement, from its first word */
	struct sch_object *o;
	/* SET search_path: the first schema (default "public") and the
	   whole path as SQL (NULL: the connection's) */
	char		*dflt;
	char		*path;
};

static void
sql_linecol(const char *text, size_t off, int *line, int *col)
{
	*line = *col = 1;
	for (size_t i = 0; i < off && text[i]; i++)
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80)
			(*col)++;
}

static int
sql_error(struct sload *l, size_t off, struct merr *e, const char *fmt,
    const char *arg)
{
	int line, col;

	sql_linecol(l->text, l->base + off, &line, &col);
	merr_setpos(e, MERR_INPUT, l->file, line, col, fmt, arg);
	return -1;
}

/* Byte offset of PostgreSQL's 1-based character position. */
static size_t
sql_char_byte(const char *s, int pos)
{
	size_t i;
	int c = 0;

	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++c == pos)
			return i;
	return i;
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A list of String nodes: its n-th sval. */
static const char *
jlist_str(json_t *list, size_t i)
{
	return jstr(json_object_get(json_array_get(list, i), "String"), "sval");
}

/* ---- what each statement says ---- */

/* The offset of the word after CREATE [OR REPLACE]. */
static size_t
sql_kw_off(const char *sql)
{
	struct sqltok t;
	size_t p = 0, q;

	sqltok_next(sql, &p, &t);	/* CREATE */
	q = p;
	sqltok_next(sql, &q, &t);
	if (sqltok_is(sql, &t, "or")) {
		sqltok_next(sql, &q, &t);	/* REPLACE */
		p = q;
		sqltok_next(sql, &q, &t);
	}
	return t.off;
}

/* Relations a view's query reads, as "schema.name" (for the order). */
static int
sql_deps(json_t *j, const char *dflt, char ***out)
{
	json_t *v, *rv;
	const char *k;
	size_t i;
	char *q;
	int rc = 0;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (rc == 0)
				rc = sql_deps(v, dflt, out);
		return rc;
	}
	if (!json_is_object(j))
		return 0;
	if ((rv = json_object_get(j, "RangeVar")) && jstr(rv, "relname")) {
		if (asprintf(&q, "%s.%s", jstr(rv, "schemaname") ?
		    jstr(rv, "schemaname") : dflt, jstr(rv, "relname")) == -1)
			return -1;
		rc = schema_strv_push(out, q);
		free(q);
		return rc;
	}
	json_object_foreach(j, k, v)
		if (rc == 0)
			rc = sql_deps(v, dflt, out);
	return rc;
}

/* A relation name (RangeVar) into the object's schema, name. */
static int
sql_new(struct sload *l, char kind, json_t *rv, const char *name,
    struct merr *e)
{
	const char *sch = jstr(rv, "schemaname") ? jstr(rv, "schemaname") :
	    l->dflt;
	const char *rel = jstr(rv, "relname");

	if (jstr(rv, "catalogname"))
		return sql_error(l, 0, e, "'%s': a database name is not "
		    "allowed here", jstr(rv, "catalogname"));
	if (kind == SCH_TRIGGER || kind == SCH_POLICY)
		l->o = schema_add_object(l->s, kind, sch, name, rel);
	else
		l->o = schema_add_object(l->s, kind, sch, rel, NULL);
	if (l->o == NULL || schema_add_schema(l->s, sch) == -1)
		return mload_nomem(e);
	return 0;
}

static int
sql_view(struct sload *l, json_t *n, char kind, json_t *rv, struct merr *e)
{
	struct sch_object *o;

	if (jstr(rv, "relpersistence") && strcmp(jstr(rv, "relpersistence"),
	    "p"))
		return sql_error(l, 0, e, "%s: a model view cannot be "
		    "temporary or unlogged", "view");
	if (sql_new(l, kind, rv, NULL, e) == -1)
		return -1;
	o = l->o;
	o->name_off = (size_t)json_integer_value(json_object_get(rv,
	    "location"));
	o->name_end = sqltok_name_end(l->sql, o->name_off);
	if (sql_deps(json_object_get(n, "query"), l->dflt, &o->deps) == -1)
		return mload_nomem(e);
	return 0;
}

/* A materialized view: where AS and its query are (WITH [NO] DATA out). */
static int
sql_matview(struct sload *l, json_t *n, struct merr *e)
{
	json_t *into = json_object_get(n, "into");
	struct sch_object *o;
	struct sqltok t, t1, t2;
	size_t p, last[3] = { 0, 0, 0 };

	if (jstr(n, "objtype") == NULL || strcmp(jstr(n, "objtype"),
	    "OBJECT_MATVIEW"))
		return sql_error(l, 0, e, "%s is not a model object: tables "
		    "are YAML models, data belongs in a tier-2 migration",
		    "CREATE TABLE AS");
	if (sql_view(l, n, SCH_MATVIEW, json_object_get(into, "rel"), e) == -1)
		return -1;
	o = l->o;
	p = o->name_end;
	if (sqltok_find(l->sql, &p, "as") == -1)
		return sql_error(l, 0, e, "%s: no AS", "materialized view");
	o->as_off = p + 2;
	o->query_end = strlen(l->sql);
	/* the last three tokens: WITH [NO] DATA ends the query */
	for (p = o->as_off;;) {
		sqltok_next(l->sql, &p, &t);
		if (t.kind == SQLTOK_END)
			break;
		last[0] = last[1];
		last[1] = last[2];
		last[2] = t.off;
	}
	p = last[1];
	sqltok_next(l->sql, &p, &t1);
	p = last[2];
	sqltok_next(l->sql, &p, &t2);
	if (sqltok_is(l->sql, &t2, "data") && sqltok_is(l->sql, &t1, "with"))
		o->query_end = last[1];
	else if (sqltok_is(l->sql, &t2, "data") && sqltok_is(l->sql, &t1,
	    "no")) {
		p = last[0];
		sqltok_next(l->sql, &p, &t);
		if (sqltok_is(l->sql, &t, "with"))
			o->query_end = last[0];
	}
	return 0;
}

/* A TypeName that is not pg_catalog's, as "schema.name" or "name"
 * (unqualified: where the search_path finds it), into deps. */
static int
sql_type_dep(json_t *tn, struct sch_object *o)
{
	json_t *names = json_object_get(tn, "names");
	size_t k = json_array_size(names);
	char *q;
	int rc;

	if (k == 0 || k > 2 || (k == 2 && !strcmp(jlist_str(names, 0),
	    "pg_catalog")) || json_is_true(json_object_get(tn, "pct_type")))
		return 0;
	if (asprintf(&q, "%s%s%s", k == 2 ? jlist_str(names, 0) : "",
	    k == 2 ? "." : "", jlist_str(names, k - 1)) == -1)
		return -1;
	rc = schema_strv_push(&o->deps, q);
	free(q);
	return rc;
}

static int
sql_function(struct sload *l, json_t *n, struct merr *e)
{
	json_t *fn = json_object_get(n, "funcname"), *prm;
	size_t k = json_array_size(fn);
	struct sqltok t;
	size_t p;
	char *sch = NULL;

	if (k > 2)
		return sql_error(l, 0, e, "'%s': a database name is not "
		    "allowed here", jlist_str(fn, 0));
	sch = strdup(k == 2 ? jlist_str(fn, 0) : l->dflt);
	if (sch == NULL)
		return mload_nomem(e);
	l->o = schema_add_object(l->s, json_is_true(json_object_get(n,
	    "is_procedure")) ? SCH_PROCEDURE : SCH_FUNCTION, sch,
	    jlist_str(fn, k - 1), NULL);
	if (l->o == NULL || schema_add_schema(l->s, sch) == -1) {
		free(sch);
		return mload_nomem(e);
	}
	free(sch);
	/* CREATE [OR REPLACE] FUNCTION|PROCEDURE name */
	p = sql_kw_off(l->sql);
	sqltok_next(l->sql, &p, &t);
	sqltok_next(l->sql, &p, &t);
	l->o->name_off = t.off;
	l->o->name_end = sqltok_name_end(l->sql, t.off);
	/* the types it takes and returns: a table's row type orders it */
	if (sql_type_dep(json_object_get(n, "returnType"), l->o) == -1)
		return mload_nomem(e);
	json_array_foreach(json_object_get(n, "parameters"), k, prm)
		if (sql_type_dep(json_object_get(json_object_get(prm,
		    "FunctionParameter"), "argType"), l->o) == -1)
			return mload_nomem(e);
	return 0;
}

static int
sql_trigger(struct sload *l, json_t *n, struct merr *e)
{
	json_t *fn = json_object_get(n, "funcname");
	size_t k = json_array_size(fn);
	char *q;

	if (sql_new(l, SCH_TRIGGER, json_object_get(n, "relation"),
	    jstr(n, "trigname"), e) == -1)
		return -1;
	if (k == 0 || asprintf(&q, "%s.%s", k > 1 ? jlist_str(fn, k - 2) :
	    l->dflt, jlist_str(fn, k - 1)) == -1)
		return mload_nomem(e);
	k = schema_strv_push(&l->o->deps, q);
	free(q);
	return k == 0 ? 0 : mload_nomem(e);
}

/* The text inside the parentheses after the top-level word w [w2]. */
static int
sql_paren(const char *sql, const char *w, const char *w2, char **out)
{
	struct sqltok t;
	size_t p = 0, start;
	int depth = 0;

	*out = NULL;
	for (;;) {
		if (sqltok_find(sql, &p, w) == -1)
			return 0;
		sqltok_next(sql, &p, &t);
		if (w2) {
			sqltok_next(sql, &p, &t);
			if (!sqltok_is(sql, &t, w2))
				continue;
		}
		sqltok_next(sql, &p, &t);
		if (sqltok_is(sql, &t, "("))
			break;
	}
	for (start = p;;) {
		sqltok_next(sql, &p, &t);
		if (t.kind == SQLTOK_END)
			return 0;
		if (sqltok_is(sql, &t, "("))
			depth++;
		else if (sqltok_is(sql, &t, ")") && depth-- == 0)
			break;
	}
	*out = strndup(sql + start, t.off - start);
	return *out ? 0 : -1;
}

static int
sql_policy(struct sload *l, json_t *n, struct merr *e)
{
	static const char *const cmds[][2] = { { "all", "*" },
	    { "select", "r" }, { "insert", "a" }, { "update", "w" },
	    { "delete", "d" } };
	json_t *roles = json_object_get(n, "roles"), *r;
	struct sch_object *o;
	const char *cmd = jstr(n, "cmd_name");
	size_t i;

	if (sql_new(l, SCH_POLICY, json_object_get(n, "table"),
	    jstr(n, "policy_name"), e) == -1)
		return -1;
	o = l->o;
	o->permissive = json_is_true(json_object_get(n, "permissive"));
	for (i = 0; cmd && i < sizeof(cmds) / sizeof(*cmds); i++)
		if (!strcmp(cmd, cmds[i][0]))
			o->cmd = cmds[i][1][0];
	json_array_foreach(roles, i, r) {
		json_t *rs = json_object_get(r, "RoleSpec");
		const char *type = jstr(rs, "roletype");

		if (type && !strcmp(type, "ROLESPEC_PUBLIC"))
			type = "public";
		else if (type && !strcmp(type, "ROLESPEC_CSTRING"))
			type = jstr(rs, "rolename");
		else
			return sql_error(l, 0, e, "policy '%s': name its roles "
			    "(CURRENT_USER and SESSION_USER depend on who "
			    "applies the models)", o->name);
		if (schema_strv_push(&o->roles, type) == -1)
			return mload_nomem(e);
	}
	if (o->roles == NULL && schema_strv_push(&o->roles, "public") == -1)
		return mload_nomem(e);
	if ((json_object_get(n, "qual") && sql_paren(l->sql, "using", NULL,
	    &o->qual) == -1) || (json_object_get(n, "with_check") &&
	    sql_paren(l->sql, "with", "check", &o->check) == -1))
		return mload_nomem(e);
	if ((json_object_get(n, "qual") && !o->qual) ||
	    (json_object_get(n, "with_check") && !o->check))
		return sql_error(l, 0, e, "policy '%s': cannot find its "
		    "USING or WITH CHECK expression", o->name);
	return 0;
}

/*
 * SET search_path TO a, b: the schema of the file's next unqualified
 * names, and the path their statements run with; DEFAULT: back to
 * public and the connection's path.
 */
static int
sql_search_path(struct sload *l, json_t *n, struct merr *e)
{
	json_t *args = json_object_get(n, "args"), *a;
	char *path = NULL, *q, *next;
	size_t i;

	free(l->path);
	free(l->dflt);
	l->path = NULL;
	l->dflt = NULL;
	if (jstr(n, "kind") && !strcmp(jstr(n, "kind"), "VAR_SET_DEFAULT"))
		return (l->dflt = strdup("public")) ? 0 : mload_nomem(e);
	json_array_foreach(args, i, a) {
		const char *v = jstr(json_object_get(json_object_get(a,
		    "A_Const"), "sval"), "sval");

		if (v == NULL || *v == '\0' || strlen(v) > SCH_NAME_MAX) {
			free(path);
			free(l->dflt);	/* the first schema, if one was named */
			l->dflt = strdup("public");
			return sql_error(l, 0, e, "%s: name the schemas, "
			    "e.g. SET search_path TO app, public",
			    "SET search_path");
		}
		q = quote_ident(v);
		if (q == NULL || asprintf(&next, "%s%s%s", path ? path : "",
		    path ? ", " : "", q) == -1) {
			free(q);
			free(path);
			return mload_nomem(e);
		}
		free(q);
		free(path);
		path = next;
		if (i == 0 && (l->dflt = strdup(v)) == NULL)
			return mload_nomem(e);
	}
	l->path = path;
	return l->dflt ? 0 : mload_nomem(e);
}

/* ---- one statement, one file ---- */

static const char HINT_KINDS[] = "%s is not a model object: a model SQL "
    "file holds CREATE VIEW, CREATE MATERIALIZED VIEW, CREATE FUNCTION, "
    "CREATE PROCEDURE, CREATE TRIGGER and CREATE POLICY statements, and "
    "COMMENT ON one of the views, functions and procedures; anything "
    "else belongs in a tier-2 migration";

/*
 * COMMENT ON VIEW | MATERIALIZED VIEW | FUNCTION | PROCEDURE of a model
 * object written before it (in this file or an earlier one; of several
 * functions of that name, the last one: a function's arguments are not
 * compared here).
 */
static int
sql_comment(struct sload *l, json_t *n, struct merr *e)
{
	static const char *const kinds[][2] = { { "OBJECT_VIEW", "v" },
	    { "OBJECT_MATVIEW", "m" }, { "OBJECT_FUNCTION", "f" },
	    { "OBJECT_PROCEDURE", "p" } };
	const char *ot = jstr(n, "objtype"), *sch = l->dflt, *name;
	json_t *obj = json_object_get(n, "object"), *names;
	struct sch_object *o = NULL;
	char kind = 0;
	size_t k;

	for (size_t i = 0; ot && i < sizeof(kinds) / sizeof(*kinds); i++)
		if (!strcmp(ot, kinds[i][0]))
			kind = kinds[i][1][0];
	if (kind == 0)
		return sql_error(l, 0, e, HINT_KINDS, "COMMENT ON that kind "
		    "of object");
	names = json_object_get(json_object_get(obj, "List"), "items");
	if (names == NULL)
		names = json_object_get(json_object_get(obj,
		    "ObjectWithArgs"), "objname");
	k = json_array_size(names);
	name = json_string_value(json_object_get(json_object_get(
	    json_array_get(names, k - 1), "String"), "sval"));
	if (k == 2)
		sch = json_string_value(json_object_get(json_object_get(
		    json_array_get(names, 0), "String"), "sval"));
	/* the last one of that name: overloaded functions each have their
	   comment after them */
	for (size_t i = l->s->nobjs; name && sch && k <= 2 && o == NULL &&
	    i-- > 0;)
		if (l->s->objs[i].kind == kind && !l->s->objs[i].table &&
		    !strcmp(l->s->objs[i].schema, sch) &&
		    !strcmp(l->s->objs[i].name, name))
			o = &l->s->objs[i];
	if (o == NULL || o->kind != kind)
		return sql_error(l, 0, e, "COMMENT ON %s: no model object of "
		    "that kind and name is written before it", name ? name :
		    "?");
	if (o->comment)
		return sql_error(l, 0, e, "duplicate COMMENT ON '%s'", name);
	if (jstr(n, "comment") && (o->comment = strdup(jstr(n,
	    "comment"))) == NULL)
		return mload_nomem(e);
	return 0;
}

/* The first two words of the statement, as written ("ALTER TABLE"). */
static const char *
sql_words(const char *sql, char *buf, size_t len)
{
	struct sqltok t1, t2;
	size_t p = 0;

	sqltok_next(sql, &p, &t1);
	sqltok_next(sql, &p, &t2);
	snprintf(buf, len, "%.*s%s%.*s", (int)(t1.end - t1.off),
	    sql + t1.off, t2.kind == SQLTOK_WORD ? " " : "",
	    t2.kind == SQLTOK_WORD ? (int)(t2.end - t2.off) : 0,
	    sql + t2.off);
	return buf;
}

static int
sql_classify(struct sload *l, json_t *stmt, struct merr *e)
{
	char buf[160];
	const char *kind;
	json_t *n;
	void *it = json_object_iter(stmt);

	if (it == NULL)
		return sql_error(l, 0, e, HINT_KINDS, "an empty statement");
	kind = json_object_iter_key(it);
	n = json_object_iter_value(it);
	if (!strcmp(kind, "VariableSetStmt") && jstr(n, "name") &&
	    !strcmp(jstr(n, "name"), "search_path"))
		return sql_search_path(l, n, e);
	if (!strcmp(kind, "ViewStmt"))
		return sql_view(l, n, SCH_VIEW, json_object_get(n, "view"), e);
	if (!strcmp(kind, "CreateTableAsStmt"))
		return sql_matview(l, n, e);
	if (!strcmp(kind, "CreateFunctionStmt"))
		return sql_function(l, n, e);
	if (!strcmp(kind, "CreateTrigStmt"))
		return sql_trigger(l, n, e);
	if (!strcmp(kind, "CreatePolicyStmt"))
		return sql_policy(l, n, e);
	if (!strcmp(kind, "CommentStmt"))
		return sql_comment(l, n, e);
	return sql_error(l, 0, e, HINT_KINDS, sql_words(l->sql, buf,
	    sizeof(buf)));
}

/* Statement [off, off + len) of the file. */
static int
sql_statement(struct sload *l, size_t off, size_t len, struct merr *e)
{
	PgQueryParseResult r;
	json_t *root = NULL, *stmts;
	struct sqltok t;
	size_t p = 0;
	char *raw;
	int rc = -1;

	if ((raw = strndup(l->text + off, len)) == NULL)
		return mload_nomem(e);
	sqltok_next(raw, &p, &t);
	l->base = off;
	if (t.kind == SQLTOK_END) {	/* only comments */
		free(raw);
		return 0;
	}
	l->sql = raw + t.off;
	l->base = off + t.off;
	r = pg_query_parse(l->sql);
	if (r.error) {
		sql_error(l, sql_char_byte(l->sql, r.error->cursorpos), e,
		    "%s", r.error->message);
		goto out;
	}
	if ((root = json_loads(r.parse_tree, 0, NULL)) == NULL) {
		mload_nomem(e);
		goto out;
	}
	stmts = json_object_get(root, "stmts");
	l->o = NULL;
	if (sql_classify(l, json_object_get(json_array_get(stmts, 0), "stmt"),
	    e) == -1)
		goto out;
	if (l->o) {		/* not SET search_path */
		int line, col;

		sql_linecol(l->text, l->base, &line, &col);
		l->o->pos = (struct sch_pos){ l->file, line, col };
		l->o->kw_off = sql_kw_off(l->sql);
		if ((l->o->sql = strdup(l->sql)) == NULL ||
		    (l->path && (l->o->path = strdup(l->path)) == NULL)) {
			mload_nomem(e);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	pg_query_free_parse_result(r);
	free(raw);
	return rc;
}

int
mload_sql(struct schema *s, const char *file, const char *text,
    struct merr *e)
{
	struct sload l;
	PgQuerySplitResult r;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	l.s = s;
	l.text = text;
	if ((l.file = schema_add_file(s, file)) == NULL ||
	    (l.dflt = strdup("public")) == NULL)
		return mload_nomem(e);
	r = pg_query_split_with_parser(text);
	if (r.error) {
		sql_error(&l, sql_char_byte(text, r.error->cursorpos), e, "%s",
		    r.error->message);
		pg_query_free_split_result(r);
		free(l.dflt);
		return -1;
	}
	for (int i = 0; rc == 0 && i < r.n_stmts; i++)
		rc = sql_statement(&l, (size_t)r.stmts[i]->stmt_location,
		    r.stmts[i]->stmt_len ? (size_t)r.stmts[i]->stmt_len :
		    strlen(text) - (size_t)r.stmts[i]->stmt_location, e);
	pg_query_free_split_result(r);
	free(l.dflt);
	free(l.path);
	return rc;
}
