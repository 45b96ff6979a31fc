/* plancheck.c - a plan's needs checked against the database (plancheck.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "plancheck.h"

/*
 * $1 kinds, $2 names, $3 schemas, $4 arguments (text[] each, one entry a
 * need): the 1-based positions of the needs that are not met, and for a
 * key's default operator class the type.  An expression key's type is
 * the column of the temporary view pg_temp.migrated_key_<position>.
 * The query is put together from the branches of the kinds the plan
 * has (pc_sql): each branch is a subquery that a fresh backend plans
 * whether a row takes it or not, opening its catalogs (a cold fleet
 * member's plan needs functions and default operator classes only).
 */
static const char q_check_head[] =
    "SELECT n.i, format_type(x.ty, NULL)"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])"
    "  WITH ORDINALITY n(k, name, sch, arg, i)"
    " CROSS JOIN LATERAL (SELECT CASE n.k WHEN 'd' THEN to_regtype(n.name)";
static const char q_check_ekey[] =
    "  WHEN 'e' THEN (SELECT a.atttypid FROM pg_attribute a WHERE"
    "   a.attrelid = to_regclass('pg_temp.migrated_key_' || n.i) AND"
    "   a.attnum = 1)";
static const char q_check_where[] =
    " END AS ty) x"
    " WHERE NOT CASE CASE n.k WHEN 'e' THEN 'd' ELSE n.k END";
static const char q_check_tail[] =
    "  ELSE true END"
    " ORDER BY 1";

/* One branch a kind of need ('e' takes 'd''s). */
static const struct {
	char		 kind;
	const char	*sql;
} q_check_when[] = {
	{ 't', "  WHEN 't' THEN to_regtype(n.name) IS NOT NULL" },
	{ 'T', "  WHEN 'T' THEN to_regtype(quote_ident(n.name)) IS NOT NULL"
	    " OR EXISTS"
	    "   (SELECT 1 FROM regexp_split_to_table(n.arg, ', ') s"
	    "    WHERE to_regtype(s || '.' || quote_ident(n.name)) IS NOT NULL)" },
	{ 'c', "  WHEN 'c' THEN EXISTS (SELECT 1 FROM pg_collation co"
	    "   WHERE co.collname = n.name AND co.collencoding IN"
	    "   (-1, pg_char_to_encoding(getdatabaseencoding())))" },
	{ 'f', "  WHEN 'f' THEN EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace s"
	    "   ON s.oid = p.pronamespace WHERE p.proname = n.name AND"
	    "   CASE WHEN n.sch IS NULL THEN pg_function_is_visible(p.oid)"
	    "   ELSE s.nspname = n.sch END)" },
	{ 'o', "  WHEN 'o' THEN EXISTS (SELECT 1 FROM pg_opclass oc"
	    "   JOIN pg_am a ON a.oid = oc.opcmethod"
	    "   JOIN pg_namespace s ON s.oid = oc.opcnamespace"
	    "   WHERE oc.opcname = n.name AND a.amname = n.arg AND"
	    "   CASE WHEN n.sch IS NULL THEN pg_opclass_is_visible(oc.oid)"
	    "   ELSE s.nspname = n.sch END)" },
	/* as CREATE INDEX's GetDefaultOpClass(): a missing type is its
	   own need */
	{ 'd', "  WHEN 'd' THEN x.ty IS NULL OR EXISTS (SELECT 1"
	    "   FROM pg_type t0 JOIN pg_type t ON t.oid = CASE WHEN"
	    "    t0.typtype = 'd' THEN t0.typbasetype ELSE t0.oid END,"
	    "    pg_opclass oc JOIN pg_am a ON a.oid = oc.opcmethod"
	    "   WHERE t0.oid = x.ty AND a.amname = n.arg AND"
	    "    oc.opcdefault AND (oc.opcintype = t.oid OR EXISTS (SELECT 1"
	    "    FROM pg_cast c WHERE c.castsource = t.oid AND"
	    "    c.casttarget = oc.opcintype AND c.castmethod = 'b') OR"
	    "    (oc.opcintype = 'anyarray'::regtype AND t.typcategory = 'A') OR"
	    "    (oc.opcintype = 'anyenum'::regtype AND t.typtype = 'e') OR"
	    "    (oc.opcintype = 'anyrange'::regtype AND t.typtype = 'r') OR"
	    "    (oc.opcintype = 'anymultirange'::regtype AND t.typtype = 'm')))" },
	{ 'v', "  WHEN 'v' THEN NOT EXISTS (SELECT 1 FROM pg_depend d"
	    "   JOIN pg_attribute a ON a.attrelid = d.refobjid AND"
	    "    a.attnum = d.refobjsubid"
	    "   WHERE d.classid = 'pg_rewrite'::regclass AND"
	    "    d.refclassid = 'pg_class'::regclass AND d.refobjid ="
	    "    to_regclass(quote_ident(n.sch) || '.' || quote_ident(n.arg)) AND"
	    "    a.attname = n.name)" },
	{ 'r', "  WHEN 'r' THEN to_regclass(n.name) IS NOT NULL" },
};

/* Well-known objects of extensions, for the hints. */
static const char *const pc_known[][3] = {
	{ "t", "citext", "citext" }, { "t", "hstore", "hstore" },
	{ "t", "ltree", "ltree" }, { "t", "lquery", "ltree" },
	{ "t", "vector", "vector" }, { "t", "geometry", "postgis" },
	{ "t", "geography", "postgis" }, { "t", "cube", "cube" },
	{ "o", "gin_trgm_ops", "pg_trgm" }, { "o", "gist_trgm_ops", "pg_trgm" },
	{ "o", "gist_ltree_ops", "ltree" }, { "o", "gin_hstore_ops", "hstore" },
	{ "o", "gist_hstore_ops", "hstore" },
	{ "o", "vector_l2_ops", "vector" },
	{ "o", "vector_cosine_ops", "vector" },
	{ "f", "uuid_generate_v4", "uuid-ossp" },
	{ "f", "uuid_generate_v1", "uuid-ossp" }, { "f", "crypt", "pgcrypto" },
	{ "f", "gen_salt", "pgcrypto" }, { "f", "digest", "pgcrypto" },
	{ "f", "hmac", "pgcrypto" }, { "f", "gen_random_bytes", "pgcrypto" },
	{ "f", "similarity", "pg_trgm" }, { "f", "word_similarity", "pg_trgm" },
	{ "f", "unaccent", "unaccent" },
};

static const char *
pc_extension_of(char kind, const char *name)
{
	size_t n;

	for (size_t i = 0; i < sizeof(pc_known) / sizeof(*pc_known); i++) {
		n = strlen(pc_known[i][1]);
		if (pc_known[i][0][0] == kind && !strncmp(name, pc_known[i][1],
		    n) && (name[n] == '\0' || name[n] == '(' || name[n] == '['))
			return pc_known[i][2];
	}
	return NULL;
}

static char *
pc_fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
pc_fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) == -1)
		s = NULL;
	va_end(ap);
	return s;
}

/* What is missing, in the words of the error the SQL would get; type:
   the type of an expression key, as the server named it. */
static char *
pc_reason(const struct plan_need *n, const char *type)
{
	const char *w = n->what ? n->what : "the change";
	const char *dot = n->sch ? "." : "", *sch = n->sch ? n->sch : "";

	switch (n->kind) {
	case NEED_TYPE:
		return pc_fmt("would fail: type \"%s\" does not exist (%s)",
		    n->name, w);
	case NEED_TYPE_ON_PATH:
		return pc_fmt("would fail: type \"%s\" does not exist in %s "
		    "(%s)", n->name, n->arg, w);
	case NEED_OPCLASS:
		return pc_fmt("would fail: operator class \"%s%s%s\" does not "
		    "exist for access method \"%s\" (%s)", sch, dot, n->name,
		    n->arg, w);
	case NEED_DEFAULT_OPCLASS:
		return pc_fmt("would fail: type %s has no default operator "
		    "class for access method \"%s\" (%s)", n->name, n->arg, w);
	case NEED_EXPR_OPCLASS:
		return pc_fmt("would fail: type %s has no default operator "
		    "class for access method \"%s\" (%s, an expression of "
		    "that type)", type ? type : "?", n->arg, w);
	case NEED_COLLATION:
		return pc_fmt("would fail: collation \"%s\" does not exist for "
		    "this database's encoding (%s)", n->name, w);
	case NEED_FUNCTION:
		return pc_fmt("would fail: function %s%s%s() does not exist "
		    "(%s)", sch, dot, n->name, w);
	case NEED_NO_VIEW:
		return pc_fmt("would fail: a view or rule uses column '%s' "
		    "(ALTER COLUMN ... TYPE cannot change it)", n->name);
	case NEED_RELATION:
		return pc_fmt("would fail: relation \"%s\" does not exist when "
		    "this runs (%s)", n->name, w);
	}
	return pc_fmt("would fail (%s)", w);
}

static char *
pc_hint(const struct plan_need *n, const char *type)
{
	int key = n->kind == NEED_DEFAULT_OPCLASS ||
	    n->kind == NEED_EXPR_OPCLASS;
	const char *ty = n->kind == NEED_EXPR_OPCLASS ? (type ? type : "") :
	    n->name;
	const char *x = pc_extension_of(key ? 'o' : n->kind, ty);
	int text = key && (!strcmp(ty, "text") || !strncmp(ty, "character",
	    9));

	if (x)
		return pc_fmt("add 'extensions: [%s]' to a model (it provides "
		    "%s)", x, ty);
	switch (n->kind) {
	case NEED_EXPR_OPCLASS:
	case NEED_DEFAULT_OPCLASS:
		return pc_fmt("name an operator class for the key (a mapping "
		    "with 'opclass:')%s", text ? ": gin_trgm_ops or "
		    "gist_trgm_ops from 'extensions: [pg_trgm]' for text" :
		    ", or use another method");
	case NEED_OPCLASS:
		return pc_fmt("check the name and the method: SELECT opcname "
		    "FROM pg_opclass JOIN pg_am ON pg_am.oid = opcmethod WHERE "
		    "amname = '%s'", n->arg);
	case NEED_NO_VIEW:
		return strdup("a tier-2 migration drops the view, changes the "
		    "column and creates the view again, in one transaction");
	case NEED_RELATION:
		return strdup("a sequence a default draws from: say it under "
		    "'sequences:' (made before every table), or make the "
		    "column serial");
	case NEED_COLLATION:
		return strdup("the collations this server has are in "
		    "pg_collation (ICU ones such as und-x-icu need a build "
		    "with ICU); create one in a tier-2 migration");
	}
	return strdup("create it first: list the extension that provides it "
	    "under 'extensions', or write a tier-2 migration");
}

/* {"a",NULL,...}: text[] literal of n entries, NULL entries unquoted. */
static char *
pc_array(char *const *v, size_t n)
{
	size_t len = 3;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += (v[i] ? 2 * strlen(v[i]) : 4) + 3;
	if ((p = s = malloc(len)) == NULL)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		if (v[i] == NULL) {
			memcpy(p, "NULL", 4);
			p += 4;
			continue;
		}
		*p++ = '"';
		for (const char *q = v[i]; *q; q++) {
			if (*q == '"' || *q == '\\')
				*p++ = '\\';
			*p++ = *q;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return s;
}

/* The needs checked by the query: the change and need of each. */
struct pcset {
	size_t	*chg, *need;
	char	**col[4];	/* kind, name, sch, arg */
	size_t	 n;
};

static void
pcset_release(struct pcset *s)
{
	free(s->chg);
	free(s->need);
	for (int k = 0; k < 4; k++)
		free(s->col[k]);
}

static int
pcset_fill(struct pcset *s, const struct plan *p)
{
	static char kinds[][2] = { "t", "o", "d", "c", "f", "v", "T", "r",
	    "e" };
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < p->n; i++)
		n += p->v[i].cls == PLAN_SAFE ? p->v[i].nneeds : 0;
	s->chg = calloc(n + 1, sizeof(*s->chg));
	s->need = calloc(n + 1, sizeof(*s->need));
	for (int k = 0; k < 4; k++)
		s->col[k] = calloc(n + 1, sizeof(char *));
	if (!s->chg || !s->need || !s->col[0] || !s->col[1] || !s->col[2] ||
	    !s->col[3])
		return -1;
	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; p->v[i].cls == PLAN_SAFE &&
		    j < p->v[i].nneeds; j++) {
			const struct plan_need *d = &p->v[i].needs[j];
			const char *kp = strchr("todcfvTre", d->kind);

			if (d->kind == NEED_CHANGE || kp == NULL)
				continue;
			s->chg[s->n] = i;
			s->need[s->n] = j;
			s->col[0][s->n] = kinds[kp - "todcfvTre"];
			s->col[1][s->n] = d->name;
			s->col[2][s->n] = d->sch;
			s->col[3][s->n++] = d->arg;
		}
	return 0;
}

/* 1 when a need of s is of kind k ('e' counts as 'd'). */
static int
pc_has_kind(const struct pcset *s, char k)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->col[0][i][0] == k ||
		    (k == 'd' && s->col[0][i][0] == 'e'))
			return 1;
	return 0;
}

/* The check of s's kinds of needs (q_check_*); NULL: out of memory. */
static char *
pc_sql(const struct pcset *s)
{
	size_t len = sizeof(q_check_head) + sizeof(q_check_ekey) +
	    sizeof(q_check_where) + sizeof(q_check_tail);
	char *sql;

	for (size_t k = 0; k < sizeof(q_check_when) / sizeof(*q_check_when);
	    k++)
		len += strlen(q_check_when[k].sql);
	if ((sql = malloc(len)) == NULL)
		return NULL;
	strcpy(sql, q_check_head);
	if (pc_has_kind(s, 'e'))
		strcat(sql, q_check_ekey);
	strcat(sql, q_check_where);
	for (size_t k = 0; k < sizeof(q_check_when) / sizeof(*q_check_when);
	    k++)
		if (pc_has_kind(s, q_check_when[k].kind))
			strcat(sql, q_check_when[k].sql);
	strcat(sql, q_check_tail);
	return sql;
}

/*
 * The 1-based positions of the needs the database does not meet, per
 * change (bad); the type of an expression key that has none (type).
 */
static int
pc_query(struct db *db, const struct pcset *s, size_t *bad, char **type,
    struct merr *e)
{
	char *arr[4] = { NULL, NULL, NULL, NULL }, *sql = pc_sql(s);
	const char *params[4];
	PGresult *r = NULL;
	int rc = 0;

	if (sql == NULL)
		rc = merr_set(e, MERR_NOMEM, "out of memory");
	for (int k = 0; k < 4 && rc == 0; k++)
		if ((arr[k] = pc_array(s->col[k], s->n)) == NULL)
			rc = merr_set(e, MERR_NOMEM, "out of memory");
		else
			params[k] = arr[k];
	if (rc == 0 && (rc = db_query(db, sql, 4, params, &r, e)) == 0)
		for (int i = 0; i < PQntuples(r); i++) {
			size_t k = strtoul(PQgetvalue(r, i, 0), NULL, 10);

			if (k < 1 || k > s->n || bad[s->chg[k - 1]] != 0)
				continue;
			bad[s->chg[k - 1]] = s->need[k - 1] + 1;
			if (!PQgetisnull(r, i, 1) && (type[s->chg[k - 1]] =
			    strdup(PQgetvalue(r, i, 1))) == NULL)
				rc = merr_set(e, MERR_NOMEM, "out of memory");
		}
	PQclear(r);
	free(sql);
	for (int k = 0; k < 4; k++)
		free(arr[k]);
	if (rc == -1)
		merr_set(e, e->code, "cannot check the plan against the "
		    "database: %.400s", e->msg);
	return rc;
}

/*
 * An expression key's type, for the query: the column of a temporary view
 * of the expression (its columns as typed NULLs) named after the need's
 * position.  One the server cannot make is left out: the expression's
 * other needs (its functions) say why.
 */
static int
pc_one_view(const char *sql)
{
	PgQueryParseResult r = pg_query_parse(sql);
	json_t *root = r.error ? NULL : json_loads(r.parse_tree, 0, NULL);
	json_t *st = json_object_get(root, "stmts");
	int one = json_array_size(st) == 1 && json_object_get(json_object_get(
	    json_array_get(st, 0), "stmt"), "ViewStmt") != NULL;

	json_decref(root);
	pg_query_free_parse_result(r);
	return one;
}

static int
pc_key_views(struct db *db, const struct pcset *s, struct merr *e)
{
	struct merr fe;
	char *sql;
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < s->n; k++) {
		if (s->col[0][k][0] != 'e')
			continue;
		if ((sql = pc_fmt("CREATE TEMP VIEW pg_temp.migrated_key_%zu AS "
		    "SELECT (%s) AS k", k + 1, s->col[1][k])) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		/* exactly the one statement, as the model's expression was */
		merr_clear(&fe);
		if (pc_one_view(sql) && (db_exec(db, "SAVEPOINT migrated_key", e) == -1 ||
		    (db_exec(db, sql, &fe) == -1 && db_exec(db, "ROLLBACK TO "
		    "SAVEPOINT migrated_key", e) == -1)))
			rc = -1;
		free(sql);
	}
	return rc;
}

static int
pc_has_keys(const struct pcset *s)
{
	for (size_t k = 0; k < s->n; k++)
		if (s->col[0][k][0] == 'e')
			return 1;
	return 0;
}

/* The schemas and extensions the plan creates, in savepoints. */
static int
pc_extensions(struct db *db, struct plan *p, char **why, struct merr *e)
{
	struct merr fe;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->n; i++) {
			struct plan_change *c = &p->v[i];

			if (c->cls != PLAN_SAFE || c->nsteps != 1 ||
			    strcmp(c->kind, pass ? "create extension" :
			    "create schema"))
				continue;
			if (db_exec(db, "SAVEPOINT migrated_check", e) == -1)
				return -1;
			merr_clear(&fe);
			if (db_exec(db, c->steps[0].sql, &fe) == 0)
				continue;
			if (db_exec(db, "ROLLBACK TO SAVEPOINT migrated_check",
			    e) == -1)
				return -1;
			if (pass && (why[i] = pc_fmt("would fail: %s",
			    fe.msg)) == NULL)
				return merr_set(e, MERR_NOMEM, "out of memory");
		}
	return 0;
}

static int
pc_has_extensions(const struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].cls == PLAN_SAFE &&
		    !strcmp(p->v[i].kind, "create extension"))
			return 1;
	return 0;
}

/* Refuse what would fail, each with its first unmet need. */
static int
pc_refuse(struct plan *p, size_t *bad, char **why, char **type)
{
	int rc = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct plan_need *n;

		if (why[i]) {
			rc |= plan_refuse(p, i, why[i], strdup("install the "
			    "package that provides it on the server, or take "
			    "it out of 'extensions'"));
			why[i] = NULL;
		} else if (bad[i]) {
			n = &p->v[i].needs[bad[i] - 1];
			rc |= plan_refuse(p, i, pc_reason(n, type[i]),
			    pc_hint(n, type[i]));
		}
	}
	return plan_settle(p) | rc;
}

int
plancheck_run(struct db *db, struct plan *p, long lock_ms, long stmt_ms,
    struct merr *e)
{
	struct pcset s;
	struct merr ignore;
	size_t *bad = calloc(p->n + 1, sizeof(*bad));
	char **why = calloc(p->n + 1, sizeof(*why));
	char **type = calloc(p->n + 1, sizeof(*type));
	int ext = pc_has_extensions(p), tx, rc = 0;

	memset(&s, 0, sizeof(s));
	if (bad == NULL || why == NULL || type == NULL ||
	    pcset_fill(&s, p) == -1) {
		rc = merr_set(e, MERR_NOMEM, "out of memory");
		goto out;
	}
	if (s.n == 0 && !ext)
		goto out;
	tx = ext || pc_has_keys(&s);
	if (tx && db_begin(db, lock_ms, stmt_ms, e) == -1)
		rc = -1;
	if (rc == 0 && ext)
		rc = pc_extensions(db, p, why, e);
	if (rc == 0 && tx)
		rc = pc_key_views(db, &s, e);
	if (rc == 0 && s.n > 0)
		rc = pc_query(db, &s, bad, type, e);
	if (tx) {
		merr_clear(&ignore);
		db_exec(db, "ROLLBACK", &ignore);
	}
	if (rc == 0 && pc_refuse(p, bad, why, type) != 0)
		rc = merr_set(e, MERR_NOMEM, "out of memory");
out:
	pcset_release(&s);
	for (size_t i = 0; why && i < p->n; i++)
		free(why[i]);
	for (size_t i = 0; type && i < p->n; i++)
		free(type[i]);
	free(type);
	free(why);
	free(bad);
	return rc;
}
