/*
 * migown.c - the objects a migration's forward script creates, read from
 * the libpg_query trees migparse.c keeps (see migset_objects() in
 * migset.h).  Names are those PostgreSQL would resolve: an unqualified
 * relation or type is in the default schema, an index in its table's.
 * Objects PostgreSQL names itself (an index or constraint without a name)
 * and statements inside DO blocks are not seen.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "migset.h"

struct own_run {
	struct mig_objects	*out;
	const char		*defschema;
	int			 nomem;
};

static void
own_add(struct own_run *r, const char *kind, const char *detail,
    const char *fmt, ...)
{
	struct mig_object *v, *o;
	va_list ap;
	int n;

	if ((v = realloc(r->out->v, (r->out->n + 1) * sizeof(*v))) == NULL) {
		r->nomem = 1;
		return;
	}
	r->out->v = v;
	o = &v[r->out->n];
	memset(o, 0, sizeof(*o));
	va_start(ap, fmt);
	n = vasprintf(&o->target, fmt, ap);
	va_end(ap);
	o->kind = strdup(kind);
	o->detail = detail ? strdup(detail) : NULL;
	if (n == -1)
		o->target = NULL;
	r->out->n++;
	if (!o->kind || !o->target || (detail && !o->detail))
		r->nomem = 1;
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The schema of a RangeVar, or the default. */
static const char *
rv_schema(struct own_run *r, const json_t *rv)
{
	const char *s = str(rv, "schemaname");

	return s ? s : r->defschema;
}

/* A qualified name list ([schema,] name) of String nodes. */
static int
own_qname(struct own_run *r, const json_t *list, const char **sch,
    const char **name)
{
	size_t n = json_array_size(list);

	if (n < 1 || n > 2)
		return -1;
	*name = str(json_object_get(json_array_get(list, n - 1), "String"),
	    "sval");
	*sch = n == 2 ? str(json_object_get(json_array_get(list, 0),
	    "String"), "sval") : r->defschema;
	return *name && *sch ? 0 : -1;
}

/* A named constraint of table sch.t; keys also own their index. */
static void
own_constraint(struct own_run *r, const char *sch, const char *t,
    const json_t *con)
{
	const char *name = str(con, "conname"), *type = str(con, "contype");

	if (name == NULL || type == NULL)
		return;
	own_add(r, "constraint", NULL, "%s.%s.%s", sch, t, name);
	if (!strcmp(type, "CONSTR_PRIMARY") || !strcmp(type, "CONSTR_UNIQUE") ||
	    !strcmp(type, "CONSTR_EXCLUSION"))
		own_add(r, "index", NULL, "%s.%s", sch, name);
}

/* A column definition: the column, its default, its named constraints. */
static void
own_coldef(struct own_run *r, const char *sch, const char *t,
    const json_t *cd)
{
	const char *col = str(cd, "colname");
	json_t *c;
	size_t i;

	if (col == NULL)
		return;
	own_add(r, "column", NULL, "%s.%s.%s", sch, t, col);
	json_array_foreach(json_object_get(cd, "constraints"), i, c) {
		json_t *con = json_object_get(c, "Constraint");
		const char *type = str(con, "contype");

		if (type && !strcmp(type, "CONSTR_DEFAULT"))
			own_add(r, "default", NULL, "%s.%s.%s", sch, t, col);
		else
			own_constraint(r, sch, t, con);
	}
}

static void
own_create_table(struct own_run *r, const json_t *n)
{
	const json_t *rv = json_object_get(n, "relation"), *el;
	const char *sch = rv_schema(r, rv), *t = str(rv, "relname");
	size_t i;

	if (t == NULL)
		return;
	own_add(r, "table", NULL, "%s.%s", sch, t);
	json_array_foreach(json_object_get(n, "tableElts"), i, el) {
		if (json_object_get(el, "ColumnDef"))
			own_coldef(r, sch, t, json_object_get(el, "ColumnDef"));
		else if (json_object_get(el, "Constraint"))
			own_constraint(r, sch, t,
			    json_object_get(el, "Constraint"));
	}
}

static void
own_alter_table(struct own_run *r, const json_t *n)
{
	const json_t *rv = json_object_get(n, "relation"), *c, *cmd;
	const char *sch = rv_schema(r, rv), *t = str(rv, "relname"), *sub;
	size_t i;

	if (t == NULL || !str(n, "objtype") ||
	    strcmp(str(n, "objtype"), "OBJECT_TABLE"))
		return;
	json_array_foreach(json_object_get(n, "cmds"), i, c) {
		cmd = json_object_get(c, "AlterTableCmd");
		if ((sub = str(cmd, "subtype")) == NULL)
			continue;
		if (!strcmp(sub, "AT_AddColumn"))
			own_coldef(r, sch, t, json_object_get(json_object_get(
			    cmd, "def"), "ColumnDef"));
		else if (!strcmp(sub, "AT_AddConstraint"))
			own_constraint(r, sch, t, json_object_get(
			    json_object_get(cmd, "def"), "Constraint"));
		else if (!strcmp(sub, "AT_ColumnDefault") && str(cmd, "name") &&
		    json_object_get(cmd, "def"))
			own_add(r, "default", NULL, "%s.%s.%s", sch, t,
			    str(cmd, "name"));
	}
}

static void
own_index(struct own_run *r, const json_t *n)
{
	const json_t *rv = json_object_get(n, "relation");
	const char *name = str(n, "idxname");

	if (name && str(rv, "relname"))
		own_add(r, "index", NULL, "%s.%s", rv_schema(r, rv), name);
}

static void
own_enum(struct own_run *r, const json_t *n, int create)
{
	const char *sch, *name;

	if (own_qname(r, json_object_get(n, "typeName"), &sch, &name) == -1)
		return;
	if (create)
		own_add(r, "type", NULL, "%s.%s", sch, name);
	else if (str(n, "newVal"))
		own_add(r, "enum value", str(n, "newVal"), "%s.%s", sch, name);
}

/* COMMENT ON TABLE / COLUMN / INDEX / TYPE / CONSTRAINT ... IS '...' */
static void
own_comment(struct own_run *r, const json_t *n)
{
	const json_t *items = json_object_get(json_object_get(json_object_get(
	    n, "object"), "List"), "items");
	const char *p[3] = { NULL, NULL, NULL }, *type = str(n, "objtype");
	size_t k = json_array_size(items);

	if (type == NULL || k == 0 || k > 3 || json_is_null(json_object_get(n, "comment")) ||
	    !json_object_get(n, "comment"))
		return;
	for (size_t i = 0; i < k; i++)
		if ((p[i] = str(json_object_get(json_array_get(items, i),
		    "String"), "sval")) == NULL)
			return;
	/* the last part is the object's own name, the rest its path */
	if (k == 3)
		own_add(r, "comment", NULL, "%s.%s.%s", p[0], p[1], p[2]);
	else if (k == 2 && (!strcmp(type, "OBJECT_COLUMN") ||
	    !strcmp(type, "OBJECT_TABCONSTRAINT")))
		own_add(r, "comment", NULL, "%s.%s.%s", r->defschema, p[0],
		    p[1]);
	else if (k == 2)
		own_add(r, "comment", NULL, "%s.%s", p[0], p[1]);
	else
		own_add(r, "comment", NULL, "%s.%s", r->defschema, p[0]);
}

/* What ALTER TABLE, INDEX, SEQUENCE or VIEW ... RENAME names anew. */
static void
own_rename(struct own_run *r, const json_t *n)
{
	const json_t *rv = json_object_get(n, "relation");
	const char *type = str(n, "renameType"), *to = str(n, "newname");
	const char *rel = str(rv, "relname"), *sch = rv_schema(r, rv);
	const char *on = str(n, "relationType");

	if (type == NULL || to == NULL || rel == NULL)
		return;
	if (!strcmp(type, "OBJECT_TABLE"))
		own_add(r, "table", NULL, "%s.%s", sch, to);
	else if (!strcmp(type, "OBJECT_COLUMN") && on &&
	    !strcmp(on, "OBJECT_TABLE"))
		own_add(r, "column", NULL, "%s.%s.%s", sch, rel, to);
	else if (!strcmp(type, "OBJECT_TABCONSTRAINT"))
		own_add(r, "constraint", NULL, "%s.%s.%s", sch, rel, to);
	else if (!strcmp(type, "OBJECT_INDEX"))
		own_add(r, "index", NULL, "%s.%s", sch, to);
	else if (!strcmp(type, "OBJECT_SEQUENCE"))
		own_add(r, "sequence", NULL, "%s.%s", sch, to);
	else if (!strcmp(type, "OBJECT_VIEW"))
		own_add(r, "view", NULL, "%s.%s", sch, to);
	else if (!strcmp(type, "OBJECT_MATVIEW"))
		own_add(r, "materialized view", NULL, "%s.%s", sch, to);
}

/* Views, functions, triggers, policies, extensions, sequences and domains
   a file creates (made by an enhancement, they are not drift) */
static void
own_sqlobj(struct own_run *r, const char *type, const json_t *n)
{
	const json_t *rv;
	const char *sch, *name;

	if (!strcmp(type, "CreateFunctionStmt")) {
		if (own_qname(r, json_object_get(n, "funcname"), &sch,
		    &name) == 0)
			own_add(r, json_is_true(json_object_get(n,
			    "is_procedure")) ? "procedure" : "function", NULL,
			    "%s.%s", sch, name);
	} else if (!strcmp(type, "ViewStmt")) {
		rv = json_object_get(n, "view");
		if (str(rv, "relname"))
			own_add(r, "view", NULL, "%s.%s", rv_schema(r, rv),
			    str(rv, "relname"));
	} else if (!strcmp(type, "CreateTableAsStmt")) {
		rv = json_object_get(json_object_get(n, "into"), "rel");
		if (str(n, "objtype") && !strcmp(str(n, "objtype"),
		    "OBJECT_MATVIEW") && str(rv, "relname"))
			own_add(r, "materialized view", NULL, "%s.%s",
			    rv_schema(r, rv), str(rv, "relname"));
	} else if (!strcmp(type, "CreateTrigStmt")) {
		rv = json_object_get(n, "relation");
		if (str(n, "trigname") && str(rv, "relname"))
			own_add(r, "trigger", NULL, "%s.%s.%s", rv_schema(r, rv),
			    str(rv, "relname"), str(n, "trigname"));
	} else if (!strcmp(type, "CreatePolicyStmt")) {
		rv = json_object_get(n, "table");
		if (str(n, "policy_name") && str(rv, "relname"))
			own_add(r, "policy", NULL, "%s.%s.%s", rv_schema(r, rv),
			    str(rv, "relname"), str(n, "policy_name"));
	} else if (!strcmp(type, "CreateExtensionStmt")) {
		if (str(n, "extname"))
			own_add(r, "extension", NULL, "%s", str(n, "extname"));
	} else if (!strcmp(type, "CreateSeqStmt")) {
		rv = json_object_get(n, "sequence");
		if (str(rv, "relname"))
			own_add(r, "sequence", NULL, "%s.%s", rv_schema(r, rv),
			    str(rv, "relname"));
	} else if (!strcmp(type, "CreateDomainStmt")) {
		if (own_qname(r, json_object_get(n, "domainname"), &sch,
		    &name) == 0)
			own_add(r, "domain", NULL, "%s.%s", sch, name);
	}
}

static int
own_stmt(struct own_run *r, const struct mig_stmt *st, struct merr *e)
{
	json_t *root, *s, *n, *item;
	json_error_t je;
	const char *type;
	size_t i;
	void *it;

	if (st->tree == NULL)
		return 0;
	if ((root = json_loads(st->tree, 0, &je)) == NULL)
		return merr_set(e, MERR_INTERNAL, "bad parse tree: %s",
		    je.text);
	/* a goose StatementBegin block may hold several statements */
	json_array_foreach(json_object_get(root, "stmts"), i, item) {
		s = json_object_get(item, "stmt");
		if ((it = json_object_iter(s)) == NULL)
			continue;
		type = json_object_iter_key(it);
		n = json_object_iter_value(it);
		if (!strcmp(type, "CreateStmt"))
			own_create_table(r, n);
		else if (!strcmp(type, "AlterTableStmt"))
			own_alter_table(r, n);
		else if (!strcmp(type, "IndexStmt"))
			own_index(r, n);
		else if (!strcmp(type, "CreateEnumStmt"))
			own_enum(r, n, 1);
		else if (!strcmp(type, "AlterEnumStmt"))
			own_enum(r, n, 0);
		else if (!strcmp(type, "CommentStmt"))
			own_comment(r, n);
		else if (!strcmp(type, "RenameStmt"))
			own_rename(r, n);
		else
			own_sqlobj(r, type, n);
	}
	json_decref(root);
	return 0;
}

int
migset_objects(const struct mig_script *sc, const char *defschema,
    struct mig_objects *out, struct merr *e)
{
	struct own_run r = { out, defschema, 0 };

	memset(out, 0, sizeof(*out));
	if (!sc->parsed)
		return merr_set(e, MERR_INTERNAL, "'%s' is not parsed",
		    sc->path ? sc->path : "script");
	for (size_t i = 0; i < sc->nstmts && !r.nomem; i++)
		if (own_stmt(&r, &sc->stmts[i], e) == -1) {
			migset_objects_release(out);
			return -1;
		}
	if (r.nomem) {
		migset_objects_release(out);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	return 0;
}

/* The keywords of the statements own_stmt() takes each kind from. */
#define OWN_WORDS	2
static const struct {
	const char	*kind;
	const char	*words[OWN_WORDS];
} own_words[] = {
	{ "table",		{ "table" } },	/* CREATE, ALTER TABLE */
	/* the renames each spell their kind's word: ALTER INDEX, ALTER
	   TABLE (a column, a constraint), ALTER SEQUENCE, ALTER VIEW */
	{ "column",		{ "table" } },
	{ "default",		{ "table" } },
	{ "constraint",		{ "table" } },
	{ "index",		{ "index", "table" } },	/* and constraints' */
	{ "type",		{ "type" } },	/* CREATE TYPE AS ENUM */
	{ "enum value",		{ "type" } },	/* and ALTER TYPE */
	{ "comment",		{ "comment" } },
	{ "function",		{ "function", "procedure" } },
	{ "procedure",		{ "function", "procedure" } },
	{ "view",		{ "view" } },
	{ "materialized view",	{ "view" } },
	{ "trigger",		{ "trigger" } },
	{ "policy",		{ "policy" } },
	{ "extension",		{ "extension" } },
	{ "sequence",		{ "sequence" } },
	{ "domain",		{ "domain" } },
};

_Static_assert(sizeof(own_words) / sizeof(own_words[0]) == MIG_OWN_KINDS,
    "MIG_OWN_KINDS is the number of kinds in own_words");

/* w (lower case ASCII) in text, in any case. */
static int
has_word(const char *text, const char *w)
{
	size_t n = strlen(w);

	for (; *text; text++)
		if ((*text | 0x20) == w[0] && strncasecmp(text, w, n) == 0)
			return 1;
	return 0;
}

/* The keywords of kind, or NULL: no statement makes one. */
static const char *const *
own_kind_words(const char *kind)
{
	for (size_t i = 0; i < sizeof(own_words) / sizeof(own_words[0]); i++)
		if (!strcmp(own_words[i].kind, kind))
			return own_words[i].words;
	return NULL;
}

int
migset_kind_owned(const char *kind)
{
	return own_kind_words(kind) != NULL;
}

static int
has_words(const char *text, const char *const *w)
{
	for (size_t k = 0; k < OWN_WORDS && w[k]; k++)
		if (has_word(text, w[k]))
			return 1;
	return 0;
}

int
migset_may_own(const struct mig_script *sc, const char *kind)
{
	const char *const *w = own_kind_words(kind);

	if (w == NULL)
		return 0;
	if (!sc->parsed)
		return sc->text == NULL || has_words(sc->text, w);
	/* parsed, the text is cut into its statements */
	for (size_t i = 0; i < sc->nstmts; i++)
		if (sc->stmts[i].sql == NULL ||
		    has_words(sc->stmts[i].sql, w))
			return 1;
	return 0;
}

void
migset_objects_release(struct mig_objects *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].kind);
		free(o->v[i].target);
		free(o->v[i].detail);
	}
	free(o->v);
	o->v = NULL;
	o->n = 0;
}
