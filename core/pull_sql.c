/*
 * pull_sql.c - the SQL objects of a live database as model SQL files
 * (pull.h, models/README.md "SQL objects"): views and materialized views,
 * functions and procedures, triggers and policies, as a person writes
 * them for psql.
 *
 * The definitions are PostgreSQL's own (pg_get_viewdef, pg_get_functiondef,
 * pg_get_triggerdef, pg_get_expr), read schema by schema with the
 * search_path the file will set (schema, public), so a name is qualified
 * exactly when the file's statements would not find it unqualified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "pull.h"

#define NOT_EXT(cls, oid)	" NOT EXISTS (SELECT 1 FROM pg_depend x WHERE" \
	" x.classid = '" cls "'::regclass AND x.objid = " oid \
	" AND x.deptype = 'e')"

/* "r:schema.name" of a relation of the database's own (not an
   extension's, not the system's): one an object needs. */
#define REL(c)	"'r:' || (SELECT nspname FROM pg_namespace WHERE oid =" \
	" " c ".relnamespace) || '.' || " c ".relname"
#define USER_REL(c)	" " c ".relnamespace NOT IN (SELECT oid FROM" \
	" pg_namespace WHERE nspname ~ '^pg_' OR nspname =" \
	" 'information_schema') AND" NOT_EXT("pg_class", c ".oid")

/* The path the schema's files set; the server quotes the name. */
static const char q_path[] =
    "SELECT set_config('search_path', CASE WHEN $1 = 'public' THEN"
    " 'public' ELSE quote_ident($1) || ', public' END, true)";

/*
 * One row per object of schema $1: kind (v m f p t y), table (trigger,
 * policy), name, the statement (and COMMENT ON a view or routine that
 * has one), tgenabled, and the relations it needs,
 * "r:sch.rel" one a line (a view reads them, a function takes or returns
 * their row type); in the order they were made.  (A trigger's function
 * takes no row type: it is always written.)
 * Extension members, aggregates, internal triggers and the clones of a
 * partitioned table's trigger are not model objects.
 */
static const char q_objects[] =
    "SELECT k, tbl, name, txt, en, needs FROM ("
    /* views: WITH (options) but the check option, which goes last */
    " SELECT c.relkind::text AS k, NULL::text AS tbl, c.relname::text AS"
    "  name, c.oid AS o, 'CREATE ' || CASE c.relkind WHEN 'm' THEN"
    "  'MATERIALIZED ' ELSE '' END || 'VIEW ' || quote_ident(c.relname) ||"
    "  COALESCE(' WITH (' || (SELECT string_agg(x, ', ') FROM"
    "  unnest(c.reloptions) x WHERE x !~ '^check_option=') || ')', '') ||"
    "  E' AS\\n' || rtrim(pg_get_viewdef(c.oid, true), ';') ||"
    "  COALESCE((SELECT E'\\n  WITH ' || upper(substr(x, 14)) ||"
    "  ' CHECK OPTION' FROM unnest(c.reloptions) x WHERE"
    "  x ~ '^check_option='), '') || CASE c.relkind WHEN 'm' THEN"
    "  E'\\n  WITH NO DATA' ELSE '' END || ';' || COALESCE(E'\\nCOMMENT ON ' ||"
    "  CASE c.relkind WHEN 'm' THEN 'MATERIALIZED ' ELSE '' END || 'VIEW ' ||"
    "  quote_ident(c.relname) || ' IS ' || quote_literal(obj_description("
    "  c.oid, 'pg_class')) || ';', '') AS txt, NULL::text AS en,"
    "  (SELECT string_agg(DISTINCT " REL("rc") ", E'\\n') FROM pg_rewrite rw"
    "  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND"
    "  d.objid = rw.oid AND d.refclassid = 'pg_class'::regclass"
    "  JOIN pg_class rc ON rc.oid = d.refobjid WHERE rw.ev_class = c.oid"
    "  AND rc.oid <> c.oid AND" USER_REL("rc") ") AS needs"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') AND"
    NOT_EXT("pg_class", "c.oid")
    /* functions and procedures: CREATE, the name unqualified */
    " UNION ALL SELECT p.prokind::text, NULL, p.proname || '(' ||"
    "  pg_get_function_identity_arguments(p.oid) || ')', p.oid,"
    "  rtrim(CASE WHEN starts_with(f.d, f.pre) THEN 'CREATE ' || f.kw ||"
    "  substr(f.d, length(f.pre) + 1) ELSE f.d END, E'\\n') || ';' ||"
    "  COALESCE(E'\\nCOMMENT ON ' || f.kw || quote_ident(p.proname) || '(' ||"
    "  pg_get_function_identity_arguments(p.oid) || ') IS ' ||"
    "  quote_literal(obj_description(p.oid, 'pg_proc')) || ';', ''), NULL,"
    "  (SELECT string_agg(DISTINCT " REL("rc") ", E'\\n') FROM pg_type t"
    "  JOIN pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' THEN"
    "  t.typelem ELSE t.oid END JOIN pg_class rc ON rc.oid = et.typrelid"
    "  WHERE (t.oid = p.prorettype OR t.oid = ANY (COALESCE("
    "  p.proallargtypes, p.proargtypes::oid[]))) AND" USER_REL("rc") ")"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " CROSS JOIN LATERAL (SELECT pg_get_functiondef(p.oid) AS d,"
    "  CASE p.prokind WHEN 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END AS"
    "  kw) g CROSS JOIN LATERAL (SELECT g.d, g.kw, 'CREATE OR REPLACE ' ||"
    "  g.kw || quote_ident(n.nspname) || '.' AS pre) f"
    " WHERE n.nspname = $1 AND p.prokind IN ('f', 'p') AND"
    NOT_EXT("pg_proc", "p.oid")
    " UNION ALL SELECT 't', c.relname, t.tgname, t.oid,"
    "  pg_get_triggerdef(t.oid, true) || ';', t.tgenabled::text, NULL"
    " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = $1 AND NOT t.tgisinternal AND t.tgparentid = 0"
    /* policies, rebuilt from pg_policy */
    " UNION ALL SELECT 'y', c.relname, p.polname, p.oid,"
    "  'CREATE POLICY ' || quote_ident(p.polname) || ' ON ' ||"
    "  quote_ident(c.relname) || CASE WHEN p.polpermissive THEN '' ELSE"
    "  ' AS RESTRICTIVE' END || CASE p.polcmd WHEN 'r' THEN ' FOR SELECT'"
    "  WHEN 'a' THEN ' FOR INSERT' WHEN 'w' THEN ' FOR UPDATE' WHEN 'd'"
    "  THEN ' FOR DELETE' ELSE '' END || CASE WHEN p.polroles = '{0}' THEN"
    "  '' ELSE ' TO ' || (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC'"
    "  ELSE quote_ident(pg_get_userbyid(r)) END, ', ' ORDER BY 1) FROM"
    "  unnest(p.polroles) r) END || COALESCE(E'\\n  USING (' ||"
    "  pg_get_expr(p.polqual, p.polrelid, true) || ')', '') ||"
    "  COALESCE(E'\\n  WITH CHECK (' || pg_get_expr(p.polwithcheck,"
    "  p.polrelid, true) || ')', '') || ';', NULL, NULL"
    " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1"
    ") a ORDER BY o";

static int
sql_nomem(struct merr *e)
{
	return merr_set(e, MERR_NOMEM, "out of memory");
}

void
pull_sqlobjs_release(struct pull_sqlobjs *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].sch);
		free(v->v[i].table);
		free(v->v[i].name);
		free(v->v[i].text);
		free(v->v[i].path);
		free(v->v[i].needs);
	}
	free(v->v);
	memset(v, 0, sizeof(*v));
}

static int
dupval(char **dst, PGresult *r, int row, int col)
{
	*dst = NULL;
	if (PQgetisnull(r, row, col))
		return 0;
	return (*dst = strdup(PQgetvalue(r, row, col))) ? 0 : -1;
}

static struct pull_sqlobj *
sqlobj_add(struct pull_sqlobjs *v)
{
	struct pull_sqlobj *nv;

	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 32;

		if ((nv = realloc(v->v, cap * sizeof(*nv))) == NULL)
			return NULL;
		v->v = nv;
		v->cap = cap;
	}
	memset(&v->v[v->n], 0, sizeof(v->v[0]));
	return &v->v[v->n++];
}

/* The objects of schema sch, read with the path its files set. */
static int
read_schema(struct db *db, const char *sch, struct pull_sqlobjs *v,
    struct merr *e)
{
	const char *params[1] = { sch };
	PGresult *r;
	char *path = NULL;
	int rc = 0;

	if (db_query(db, q_path, 1, params, &r, e) == -1)
		return -1;
	if (strcmp(sch, "public"))
		path = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (strcmp(sch, "public") && path == NULL)
		return sql_nomem(e);
	if (db_query(db, q_objects, 1, params, &r, e) == -1) {
		free(path);
		return -1;
	}
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		struct pull_sqlobj *o = sqlobj_add(v);

		if (o == NULL || (o->sch = strdup(sch)) == NULL ||
		    dupval(&o->table, r, i, 1) || dupval(&o->name, r, i, 2) ||
		    dupval(&o->text, r, i, 3) || dupval(&o->needs, r, i, 5) ||
		    (path && (o->path = strdup(path)) == NULL)) {
			rc = -1;
			break;
		}
		o->kind = PQgetvalue(r, i, 0)[0] == 'y' ? SCH_POLICY :
		    PQgetvalue(r, i, 0)[0];
		o->enabled = PQgetisnull(r, i, 4) ? 'O' :
		    PQgetvalue(r, i, 4)[0];
	}
	PQclear(r);
	free(path);
	return rc == -1 ? sql_nomem(e) : 0;
}

int
pull_sql_read(struct db *db, char *const *schemas, struct pull_sqlobjs *v,
    struct merr *e)
{
	for (size_t i = 0; schemas && schemas[i]; i++)
		if (read_schema(db, schemas[i], v, e) == -1)
			return -1;
	/* back to the session's path for what follows in the transaction */
	return db_exec(db, "RESET search_path", e);
}

static void
sql_drop(struct pull_sqlobjs *v, size_t i)
{
	free(v->v[i].sch);
	free(v->v[i].table);
	free(v->v[i].name);
	free(v->v[i].text);
	free(v->v[i].path);
	free(v->v[i].needs);
	memmove(&v->v[i], &v->v[i + 1], (v->n - i - 1) * sizeof(v->v[0]));
	v->n--;
}

static const char *
kind_word(char kind)
{
	switch (kind) {
	case SCH_VIEW:		return "view";
	case SCH_MATVIEW:	return "materialized view";
	case SCH_FUNCTION:	return "function";
	case SCH_PROCEDURE:	return "procedure";
	case SCH_TRIGGER:	return "trigger";
	default:		return "policy";
	}
}

/* migrated's own audit guard (function, or trigger on the audit table). */
static int
own_guard(const struct pull_sqlobj *x, const struct pull_opts *o)
{
	size_t n = strlen(AUDIT_GUARD);

	return o && o->own_schema && !strcmp(x->sch, o->own_schema) &&
	    !strncmp(x->name, AUDIT_GUARD, n) && (x->name[n] == '\0' ||
	    x->name[n] == '(');
}

/* Is relation "r:sch.rel" written (a table or a view)? */
static int
need_ok(const struct pull_sqlobjs *v, const struct schema *s,
    const char *need)
{
	const char *dot = strchr(need + 2, '.');
	size_t n;

	if (dot == NULL)
		return 1;
	n = (size_t)(dot - need - 2);
	for (size_t i = 0; i < s->ntables; i++)
		if (strlen(s->tables[i].schema) == n &&
		    !strncmp(s->tables[i].schema, need + 2, n) &&
		    !strcmp(s->tables[i].name, dot + 1))
			return 1;
	for (size_t i = 0; i < v->n; i++)
		if ((v->v[i].kind == SCH_VIEW || v->v[i].kind == SCH_MATVIEW) &&
		    strlen(v->v[i].sch) == n &&
		    !strncmp(v->v[i].sch, need + 2, n) &&
		    !strcmp(v->v[i].name, dot + 1))
			return 1;
	return 0;
}

/* Why x is not written (in buf when it says a name), or NULL. */
static const char *
skip_why(const struct pull_sqlobjs *v, const struct schema *s,
    const struct pull_sqlobj *x, char *buf, size_t len)
{
	char need[2 * SCH_NAME_MAX + 600];

	if ((x->kind == SCH_TRIGGER || x->kind == SCH_POLICY) &&
	    schema_find_table(s, x->sch, x->table) == NULL)
		return "not written: its table is not written";
	if (x->kind == SCH_TRIGGER && x->enabled != 'O')
		return "not written: it is disabled (or fires on replica "
		    "only), which the model format cannot say";
	for (const char *p = x->needs; p && *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		snprintf(need, sizeof(need), "%.*s", n, p);
		if (!need_ok(v, s, need)) {
			snprintf(buf, len, "not written: it %s %s, which is not "
			    "written", x->kind == SCH_VIEW ||
			    x->kind == SCH_MATVIEW ? "reads" :
			    "takes or returns the row type of", need + 2);
			return buf;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Note x as not written, and drop it. */
static int
prune_one(struct pull_sqlobjs *v, size_t i, const char *why,
    struct pull_notes *notes)
{
	const struct pull_sqlobj *x = &v->v[i];
	char *name;
	int rc;

	rc = x->table ? asprintf(&name, "%s.%s.%s", x->sch, x->table,
	    x->name) : asprintf(&name, "%s.%s", x->sch, x->name);
	if (rc == -1)
		return -1;
	rc = pull_note_add(notes, kind_word(x->kind), name, why);
	free(name);
	sql_drop(v, i);
	return rc;
}

int
pull_sql_prune(struct pull_sqlobjs *v, const struct schema *s,
    const struct pull_opts *o, struct pull_notes *notes, struct merr *e)
{
	char buf[2 * SCH_NAME_MAX + 700];
	const char *why;
	int more = 1, rc = 0;

	for (size_t i = v->n; i-- > 0;)
		if (own_guard(&v->v[i], o))
			sql_drop(v, i);
	/* until nothing more goes: a view on a view that went, ... */
	while (more && rc == 0) {
		more = 0;
		for (size_t i = v->n; rc == 0 && i-- > 0;) {
			why = skip_why(v, s, &v->v[i], buf, sizeof(buf));
			if (why == NULL)
				continue;
			rc = prune_one(v, i, why, notes);
			more = 1;
		}
	}
	return rc == -1 ? sql_nomem(e) : 0;
}

/* Is x of kind, of schema sch, and of table (NULL: of no table)? */
static int
sql_match(const struct pull_sqlobj *x, const char *sch, const char *table,
    char kind)
{
	return x->kind == kind && !strcmp(x->sch, sch) && (table == NULL ?
	    x->table == NULL : x->table && !strcmp(x->table, table));
}

int
pull_sql_text(const struct pull_sqlobjs *v, const char *sch,
    const char *table, const char *kinds, char **out, struct merr *e)
{
	const char *path = NULL;
	size_t len;
	FILE *f;
	int n = 0;

	*out = NULL;
	/* every object of a schema has the same path */
	for (size_t i = 0; i < v->n && n == 0; i++)
		for (const char *k = kinds; *k && n == 0; k++)
			if (sql_match(&v->v[i], sch, table, *k)) {
				path = v->v[i].path;
				n = 1;
			}
	if (n == 0)
		return 0;
	if ((f = open_memstream(out, &len)) == NULL)
		return sql_nomem(e);
	n = 0;
	if (path)
		fprintf(f, "SET search_path TO %s;\n", path);
	for (const char *k = kinds; *k; k++)
		for (size_t i = 0; i < v->n; i++)
			if (sql_match(&v->v[i], sch, table, *k))
				fprintf(f, "%s%s\n", n++ || path ? "\n" : "",
				    v->v[i].text);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return sql_nomem(e);
	}
	return 0;
}
