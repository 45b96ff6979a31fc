/*
 * plan_sqlobj.c - the models' SQL objects (views, materialized views,
 * functions, procedures, triggers, policies) and tables' row level
 * security, against the database's.
 *
 * A view or function is compared by its canonical definition (what the
 * server made of the model's statement, core/sqlcanon.h), a trigger by
 * parse trees (core/sqlobj.h), a policy by its parts.  What CREATE OR
 * REPLACE (ALTER POLICY) can change is safe; what it cannot is refused
 * with a hint; what only the database has is drift.  Order: functions
 * before the tables whose defaults and checks call them, views after the
 * tables and columns (and the views) they read, policies and triggers
 * after their tables, functions and views.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "audit.h"
#include "plan_int.h"
#include "sqlobj.h"

/* Ranks in tenths (plan_add_at) */
enum { R_FUNCTION = 15, R_TABLE_TYPE = 25, R_VIEW = 74, R_POLICY = 76,
    R_RLS = 77, R_TRIGGER = 78 };

static const char HINT_VIEW_COLS[] = "write a tier-2 migration that drops "
    "the view (and the views that read it) and creates it again, in one "
    "transaction";
static const char HINT_FUNC[] = "write a tier-2 migration: DROP FUNCTION "
    "the old one (and what depends on it) and CREATE the new one";
static const char HINT_RECREATE[] = "write a tier-2 migration that drops "
    "it and creates it again";

static char *
target(struct pctx *x, const struct sch_object *o)
{
	char *t = sqlobj_target(o);

	if (t == NULL)
		x->nomem = 1;
	return t;
}

/*
 * sql (taken over) under the search_path the model file set for o; a
 * function's body as pg_dump creates it, unchecked (it may name tables
 * the plan creates after it: functions come first, for the defaults and
 * checks that call them).
 */
static void
obj_sql(struct pctx *x, struct plan_change *c, const struct sch_object *o,
    char *sql)
{
	int fn = o->kind == SCH_FUNCTION || o->kind == SCH_PROCEDURE;

	if (o->path)
		plan_step(x, c, plan_fmt("SET LOCAL search_path TO %s",
		    o->path), 1);
	if (fn)
		plan_step(x, c, strdup("SET LOCAL check_function_bodies = "
		    "off"), 1);
	plan_step(x, c, sql, 1);
	if (fn)
		plan_step(x, c, strdup("RESET check_function_bodies"), 1);
	if (o->path)
		plan_step(x, c, strdup("RESET search_path"), 1);
}

/* The statement as the plan runs it (quoted name, OR REPLACE). */
static void
obj_step(struct pctx *x, struct plan_change *c, const struct sch_object *o,
    int replace)
{
	obj_sql(x, c, o, sqlobj_create_sql(o, replace));
}

/* Model object w could not be read by the server: why. */
static int
obj_uncanon(struct pctx *x, const struct sch_object *w, const char *kind,
    int rank)
{
	if (w->canon)
		return 0;
	if (w->canon_err)
		plan_add_at(x, rank, PLAN_REFUSED, kind, target(x, w),
		    plan_fmt("would fail: %s", w->canon_err), strdup("the "
		    "server's own error for the model's statement (a view or "
		    "function that needs a column this plan adds is compared "
		    "on the next run)"));
	else
		plan_add_at(x, rank, PLAN_REFUSED, kind, target(x, w),
		    strdup("not compared: the model's definition was not "
		    "canonicalised (no database)"), strdup("plan against a "
		    "database"));
	return 1;
}

/*
 * New model object w, tried as a temporary copy before anything runs
 * (core/sqlcanon.h), was rejected by the server: refused with its error.
 */
static int
obj_rejected(struct pctx *x, const struct sch_object *w, const char *kind,
    int rank)
{
	if (w->try_err == NULL)
		return 0;
	plan_add_at(x, rank, PLAN_REFUSED, kind, target(x, w),
	    plan_fmt("would fail: %s", w->try_err), strdup("the server's "
	    "own error for the model's statement, tried before anything is "
	    "applied: correct the model"));
	return 1;
}

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * COMMENT ON view or routine o (ident: a routine's identity arguments, or
 * NULL: by its name alone, which PostgreSQL allows for a unique name).
 */
static char *
obj_comment_sql(struct pctx *x, const struct sch_object *o,
    const char *ident)
{
	static const char *const kw[][2] = { { "v", "VIEW" },
	    { "m", "MATERIALIZED VIEW" }, { "f", "FUNCTION" },
	    { "p", "PROCEDURE" } };
	const char *k = "VIEW";
	char *q = plan_qual(x, o->schema, o->name);
	char *l = o->comment ? plan_literal(x, o->comment) : strdup("NULL");
	char *r = NULL;

	for (size_t i = 0; i < sizeof(kw) / sizeof(*kw); i++)
		if (kw[i][0][0] == o->kind)
			k = kw[i][1];
	if (q && l)
		r = plan_fmt("COMMENT ON %s %s%s%s%s IS %s", k, q, ident ? "(" :
		    "", ident ? ident : "", ident ? ")" : "", l);
	free(q);
	free(l);
	return r;
}

/* A new object's comment, after it is made. */
static void
obj_comment_step(struct pctx *x, struct plan_change *c,
    const struct sch_object *w)
{
	if (c && c->cls == PLAN_SAFE && w->comment)
		plan_step(x, c, obj_comment_sql(x, w, NULL), 1);
}

/* The comment of a model view or routine the database has. */
static void
plan_obj_comment(struct pctx *x, const struct sch_object *w)
{
	int fn = w->kind == SCH_FUNCTION || w->kind == SCH_PROCEDURE;
	const struct sch_object *h = fn ? (w->canon ? schema_find_routine(
	    x->have, w->schema, w->name, w->ident) : NULL) :
	    schema_find_object(x->have, w->kind, w->schema, w->name, NULL);
	struct plan_change *c;

	if (h == NULL || h->kind != w->kind || str_eq(w->comment, h->comment))
		return;
	if (w->comment == NULL) {
		plan_drift(x, "comment", target(x, w), plan_fmt("%s comment "
		    "is not in the models", sqlobj_kind_name(w->kind)), NULL);
		return;
	}
	c = plan_add_at(x, fn ? R_FUNCTION : R_VIEW, PLAN_SAFE, "comment",
	    target(x, w), plan_fmt("%s comment", sqlobj_kind_name(w->kind)),
	    NULL);
	plan_step(x, c, obj_comment_sql(x, w, h->ident), 1);
}

/* ---- views ---- */

/* JSON column lists: 1 when have's is a prefix of want's. */
static int
cols_prefix(const char *want, const char *have)
{
	json_t *w = json_loads(want ? want : "[]", 0, NULL);
	json_t *h = json_loads(have ? have : "[]", 0, NULL);
	int ok = w && h && json_array_size(h) <= json_array_size(w);

	for (size_t i = 0; ok && i < json_array_size(h); i++)
		ok = json_equal(json_array_get(w, i), json_array_get(h, i));
	json_decref(w);
	json_decref(h);
	return ok;
}


/*
 * The functions a new view's query calls: a model function this plan
 * creates first, or one the database has (not checked under a file's own
 * search_path).
 */
static void
view_funcs(struct pctx *x, struct plan_change *c, const struct sch_object *w)
{
	char **fn = NULL;

	if (c == NULL || w->sql == NULL)
		return;
	if (schema_sql_funcs(w->sql, &fn) == -1)
		x->nomem = 1;
	for (size_t i = 0; fn && fn[i]; i++) {
		const char *dot = strchr(fn[i], '.'), *n = dot ? dot + 1 :
		    fn[i];
		char *sch = dot ? strndup(fn[i], (size_t)(dot - fn[i])) : NULL;
		const char *in = sch ? sch : w->schema;

		if (dot && sch == NULL)
			x->nomem = 1;
		else if (schema_find_object(x->want, SCH_FUNCTION, in, n,
		    NULL) && !schema_find_object(x->have, SCH_FUNCTION, in, n,
		    NULL))
			plan_needs_change(x, c, "create function", in, n, NULL);
		else if (w->path == NULL)
			plan_need(x, c, NEED_FUNCTION, n, sch, NULL,
			    "the view's query");
		free(sch);
	}
	schema_strv_free(fn);
}

/*
 * The views and tables of the models view w reads that this plan makes:
 * c needs them (refused with them).
 */
static void
view_deps(struct pctx *x, struct plan_change *c, const struct sch_object *w)
{
	for (size_t i = 0; w->deps && w->deps[i]; i++) {
		const char *dot = strchr(w->deps[i], '.');
		char *sch = dot ? strndup(w->deps[i], (size_t)(dot -
		    w->deps[i])) : NULL;
		const struct sch_object *d = sch ? schema_find_object(x->want,
		    SCH_VIEW, sch, dot + 1, NULL) : NULL;

		if (dot == NULL)
			continue;
		if (sch == NULL)
			x->nomem = 1;
		else if (d && d != w && !schema_find_object(x->have, SCH_VIEW,
		    sch, dot + 1, NULL))
			plan_needs_change(x, c, d->kind == SCH_VIEW ?
			    "create view" : "create materialized view", sch,
			    dot + 1, NULL);
		else if (schema_find_table(x->want, sch, dot + 1) &&
		    !schema_find_table(x->have, sch, dot + 1))
			plan_needs_change(x, c, "create table", sch, dot + 1,
			    NULL);
		free(sch);
	}
}

static void
plan_view_create(struct pctx *x, const struct sch_object *w)
{
	struct plan_change *c;
	const char *kind = w->kind == SCH_VIEW ? "create view" :
	    "create materialized view";

	if (obj_rejected(x, w, kind, R_VIEW))
		return;
	c = plan_add_at(x, R_VIEW, PLAN_SAFE, kind, target(x, w),
	    plan_fmt("new %s", sqlobj_kind_name(w->kind)), NULL);
	view_deps(x, c, w);
	view_funcs(x, c, w);
	obj_step(x, c, w, 0);
	obj_comment_step(x, c, w);
}

static void
plan_view(struct pctx *x, const struct sch_object *w)
{
	const struct sch_object *h = schema_find_object(x->have, SCH_VIEW,
	    w->schema, w->name, NULL);
	const char *kind = w->kind == SCH_VIEW ? "change view" :
	    "change materialized view";
	struct plan_change *c;

	if (h == NULL) {
		plan_view_create(x, w);
		return;
	}
	if (h->kind != w->kind) {
		plan_add_at(x, R_VIEW, PLAN_REFUSED, kind, target(x, w),
		    plan_fmt("it is a %s in the database",
		    sqlobj_kind_name(h->kind)), strdup(HINT_RECREATE));
		return;
	}
	if (obj_uncanon(x, w, kind, R_VIEW))
		return;
	if (sqlobj_viewdef_equal(w->def, h->def) && str_eq(w->cols, h->cols) &&
	    (w->kind == SCH_MATVIEW || str_eq(w->opts, h->opts)))
		return;
	if (w->kind == SCH_MATVIEW) {
		plan_add_at(x, R_VIEW, PLAN_REFUSED, kind, target(x, w),
		    strdup("its query or columns differ: a materialized view "
		    "cannot be replaced"), strdup("write a tier-2 migration: "
		    "DROP MATERIALIZED VIEW and CREATE it again (WITH DATA)"));
		return;
	}
	if (!cols_prefix(w->cols, h->cols)) {
		plan_add_at(x, R_VIEW, PLAN_REFUSED, kind, target(x, w),
		    strdup("its columns change (a name, type or order): CREATE "
		    "OR REPLACE VIEW can only add columns at the end"),
		    strdup(HINT_VIEW_COLS));
		return;
	}
	c = plan_add_at(x, R_VIEW, PLAN_SAFE, "replace view", target(x, w),
	    strdup(str_eq(w->cols, h->cols) ? "its definition differs" :
	    "new columns at the end"), NULL);
	view_deps(x, c, w);
	obj_step(x, c, w, 1);
}

/* Views after the model views they read (depth first); 2: done. */
static void
plan_view_ordered(struct pctx *x, size_t i, unsigned char *seen)
{
	const struct sch_object *w = &x->want->objs[i];

	if (seen[i])
		return;
	seen[i] = 1;
	for (size_t k = 0; w->deps && w->deps[k]; k++)
		for (size_t j = 0; j < x->want->nobjs; j++) {
			const struct sch_object *d = &x->want->objs[j];
			size_t n = strlen(d->schema);

			if ((d->kind == SCH_VIEW || d->kind == SCH_MATVIEW) &&
			    !strncmp(w->deps[k], d->schema, n) &&
			    w->deps[k][n] == '.' &&
			    !strcmp(w->deps[k] + n + 1, d->name))
				plan_view_ordered(x, j, seen);
		}
	plan_view(x, w);
}

/* ---- functions and procedures ---- */

static int
routine_named(const struct schema *s, const char *sch, const char *name)
{
	return schema_find_object(s, SCH_FUNCTION, sch, name, NULL) != NULL;
}

/*
 * A new function comes before the tables whose defaults and checks call
 * it, unless it takes or returns a model table's row type (then after
 * the tables) or a model view's (after the views).
 */
/* The next schema of a path as model_sql.c writes it (quoted
 * identifiers joined by ", ") into buf; 0 at its end. */
static int
path_next(const char **p, char *buf, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == ',')
		s++;
	if (*s == '\0')
		return 0;
	if (*s == '"') {
		for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
			if (*s == '"')
				s++;	/* a doubled quote */
			if (n + 1 < len)
				buf[n++] = *s;
		}
		if (*s == '"')
			s++;
	} else {
		for (; *s && *s != ','; s++)
			if (n + 1 < len)
				buf[n++] = *s;
	}
	buf[n] = '\0';
	*p = s;
	return 1;
}

/* Does the plan's desired state have a type named sch.n (a table, view,
 * enum or domain)? */
static int
want_type(struct pctx *x, const char *sch, const char *n)
{
	return schema_find_table(x->want, sch, n) ||
	    schema_find_object(x->want, SCH_VIEW, sch, n, NULL) ||
	    schema_find_enum(x->want, sch, n) ||
	    schema_find_domain(x->want, sch, n);
}

/* A function's type dep: its schema and name; malloc'd schema, or NULL
 * when out of memory. Unqualified: the first schema of the file's
 * search_path whose models make that type, else the function's own. */
static char *
type_dep(struct pctx *x, const struct sch_object *w, const char *dep,
    const char **name)
{
	const char *dot = strchr(dep, '.'), *p = w->path;
	char sch[SCH_NAME_MAX + 1];

	*name = dot ? dot + 1 : dep;
	if (dot)
		return strndup(dep, (size_t)(dot - dep));
	while (p && path_next(&p, sch, sizeof(sch)))
		if (want_type(x, sch, *name))
			return strdup(sch);
	return strdup(w->schema);
}

static int
routine_rank(struct pctx *x, const struct sch_object *w)
{
	int rank = R_FUNCTION;
	const char *n;

	for (size_t i = 0; w->deps && w->deps[i]; i++) {
		char *sch = type_dep(x, w, w->deps[i], &n);

		if (sch && schema_find_object(x->want, SCH_VIEW, sch, n, NULL))
			rank = R_VIEW + 1;
		else if (sch && schema_find_table(x->want, sch, n) &&
		    rank < R_TABLE_TYPE)
			rank = R_TABLE_TYPE;
		free(sch);
	}
	return rank;
}

/*
 * The types a new function takes and returns: made by this plan first,
 * or already there (an unqualified one as the connection's search_path
 * finds it, built-in types included, or in a schema of the file's own
 * search_path).
 */
static void
routine_needs(struct pctx *x, struct plan_change *c,
    const struct sch_object *w)
{
	const struct sch_object *v;
	const char *n;
	char *sch, *q;

	for (size_t i = 0; c && w->deps && w->deps[i]; i++) {
		if ((sch = type_dep(x, w, w->deps[i], &n)) == NULL) {
			x->nomem = 1;
			continue;
		}
		if (schema_find_table(x->want, sch, n)) {
			if (!schema_find_table(x->have, sch, n))
				plan_needs_change(x, c, "create table", sch, n,
				    NULL);
		} else if ((v = schema_find_object(x->want, SCH_VIEW, sch, n,
		    NULL))) {
			if (!schema_find_object(x->have, SCH_VIEW, sch, n,
			    NULL))
				plan_needs_change(x, c, v->kind == SCH_VIEW ?
				    "create view" : "create materialized view",
				    sch, n, NULL);
		} else if (schema_find_enum(x->want, sch, n)) {
			if (!schema_find_enum(x->have, sch, n))
				plan_needs_change(x, c, "create enum", sch, n,
				    NULL);
		} else if (schema_find_domain(x->want, sch, n)) {
			if (!schema_find_domain(x->have, sch, n))
				plan_needs_change(x, c, "create domain", sch, n,
				    NULL);
		} else if (w->path && !strchr(w->deps[i], '.')) {
			plan_need(x, c, NEED_TYPE_ON_PATH, n, NULL, w->path,
			    "the function's arguments or result");
		} else if ((q = strchr(w->deps[i], '.') ? plan_qual(x, sch,
		    n) : plan_ident(x, n)) != NULL) {
			plan_need(x, c, NEED_TYPE, q, NULL, NULL,
			    "the function's arguments or result");
			free(q);
		}
		free(sch);
	}
}

static void
plan_routine(struct pctx *x, const struct sch_object *w)
{
	const char *kn = sqlobj_kind_name(w->kind);
	char ck[32], rk[32];
	const struct sch_object *h;
	struct plan_change *c;

	snprintf(ck, sizeof(ck), "change %s", kn);
	snprintf(rk, sizeof(rk), "replace %s", kn);
	if (!routine_named(x->have, w->schema, w->name)) {
		snprintf(rk, sizeof(rk), "create %s", kn);
		if (obj_rejected(x, w, rk, routine_rank(x, w)))
			return;
		c = plan_add_at(x, routine_rank(x, w), PLAN_SAFE, rk,
		    target(x, w), plan_fmt("new %s", kn), NULL);
		routine_needs(x, c, w);
		obj_step(x, c, w, 0);
		obj_comment_step(x, c, w);
		return;
	}
	if (obj_uncanon(x, w, ck, R_FUNCTION))
		return;
	if ((h = schema_find_routine(x->have, w->schema, w->name,
	    w->ident)) == NULL) {
		h = schema_find_object(x->have, SCH_FUNCTION, w->schema,
		    w->name, NULL);
		plan_add_at(x, R_FUNCTION, PLAN_REFUSED, ck, target(x, w),
		    plan_fmt("the database has %s(%s), the model (%s): other "
		    "arguments make another function, not this one changed",
		    w->name, h->ident ? h->ident : "", w->ident),
		    strdup(HINT_FUNC));
		return;
	}
	if (h->kind != w->kind)
		plan_add_at(x, R_FUNCTION, PLAN_REFUSED, ck, target(x, w),
		    plan_fmt("it is a %s in the database",
		    sqlobj_kind_name(h->kind)), strdup(HINT_FUNC));
	else if (!str_eq(w->result, h->result))
		plan_add_at(x, R_FUNCTION, PLAN_REFUSED, ck, target(x, w),
		    plan_fmt("its result changes (%s -> %s): CREATE OR REPLACE "
		    "cannot change it", h->result ? h->result : "none",
		    w->result ? w->result : "none"), strdup(HINT_FUNC));
	else if (!str_eq(w->args, h->args))
		plan_add_at(x, R_FUNCTION, PLAN_REFUSED, ck, target(x, w),
		    plan_fmt("its argument names or defaults change (%s -> %s)",
		    h->args, w->args), strdup(HINT_FUNC));
	else if (!str_eq(w->def, h->def) && !obj_rejected(x, w, ck,
	    R_FUNCTION)) {
		c = plan_add_at(x, R_FUNCTION, PLAN_SAFE, rk, target(x, w),
		    strdup("its definition differs"), NULL);
		obj_step(x, c, w, 1);
	}
}

/* ---- triggers ---- */

static void
needs_table(struct pctx *x, struct plan_change *c, const char *sch,
    const char *table)
{
	const struct sch_object *v;

	if (schema_find_table(x->have, sch, table) ||
	    schema_find_object(x->have, SCH_VIEW, sch, table, NULL))
		return;
	if (schema_find_table(x->want, sch, table))
		plan_needs_change(x, c, "create table", sch, table, NULL);
	else if ((v = schema_find_object(x->want, SCH_VIEW, sch, table, NULL)))
		plan_needs_change(x, c, v->kind == SCH_VIEW ? "create view" :
		    "create materialized view", sch, table, NULL);
}

static void
plan_trigger_create(struct pctx *x, const struct sch_object *w)
{
	struct plan_change *c;
	const char *fn = w->deps ? w->deps[0] : NULL, *dot;
	char *sch;

	c = plan_add_at(x, R_TRIGGER, PLAN_SAFE, "create trigger",
	    target(x, w), strdup("new trigger"), NULL);
	needs_table(x, c, w->schema, w->table);
	/* with a search_path of its own, the function is the server's to
	   find at apply */
	if (fn && !w->path && (dot = strchr(fn, '.')) && (sch = strndup(fn,
	    (size_t)(dot - fn)))) {
		if (routine_named(x->want, sch, dot + 1) &&
		    !routine_named(x->have, sch, dot + 1))
			plan_needs_change(x, c, "create function", sch,
			    dot + 1, NULL);
		else
			plan_need(x, c, NEED_FUNCTION, dot + 1, sch, NULL,
			    "the trigger's function");
		free(sch);
	}
	obj_step(x, c, w, 0);
}

static void
plan_trigger(struct pctx *x, const struct sch_object *w)
{
	const struct sch_object *h = schema_find_object(x->have, SCH_TRIGGER,
	    w->schema, w->name, w->table);
	struct plan_change *c;

	if (h == NULL) {
		plan_trigger_create(x, w);
		return;
	}
	if (sqlobj_trigger_equal(w, h))
		return;
	if (h->enabled != 'O')
		plan_add_at(x, R_TRIGGER, PLAN_REFUSED, "change trigger",
		    target(x, w), strdup("it is disabled (or set to fire on "
		    "replicas only) in the database"), strdup("write a tier-2 "
		    "migration: ALTER TABLE ... ENABLE TRIGGER, once that is "
		    "what you want"));
	else if (!strncasecmp(w->sql + w->kw_off, "constraint", 10) ||
	    !strncmp(h->def, "CREATE CONSTRAINT", 17))
		plan_add_at(x, R_TRIGGER, PLAN_REFUSED, "change trigger",
		    target(x, w), strdup("a constraint trigger cannot be "
		    "replaced"), strdup(HINT_RECREATE));
	else {
		c = plan_add_at(x, R_TRIGGER, PLAN_SAFE, "replace trigger",
		    target(x, w), strdup("its definition differs"), NULL);
		obj_step(x, c, w, 1);
	}
}

/* ---- policies ---- */

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Two role lists as sets. */
static int
roles_equal(char *const *a, char *const *b)
{
	char **x = schema_strv_dup(a), **y = schema_strv_dup(b);
	int eq;

	if (x)
		qsort(x, schema_strv_len(x), sizeof(*x), strp_cmp);
	if (y)
		qsort(y, schema_strv_len(y), sizeof(*y), strp_cmp);
	eq = schema_strv_equal(x, y);
	schema_strv_free(x);
	schema_strv_free(y);
	return eq;
}

/* " TO a, PUBLIC" */
static char *
roles_sql(struct pctx *x, char *const *roles)
{
	char *s = strdup(" TO"), *n, *q;

	for (size_t i = 0; s && roles && roles[i]; i++) {
		q = strcmp(roles[i], "public") ? plan_ident(x, roles[i]) :
		    strdup("PUBLIC");
		n = q ? plan_fmt("%s%s %s", s, i ? "," : "", q) : NULL;
		free(q);
		free(s);
		s = n;
	}
	if (s == NULL)
		x->nomem = 1;
	return s;
}

static int
expr_same(struct pctx *x, const char *w, const char *h, int server)
{
	if (w == NULL || h == NULL)
		return w == h;
	return server || schema_expr_equal_memo(x->memo, w, h);
}

static void
plan_policy_create(struct pctx *x, const struct sch_object *w)
{
	struct plan_change *c;

	c = plan_add_at(x, R_POLICY, PLAN_SAFE, "create policy", target(x, w),
	    strdup("new policy"), NULL);
	needs_table(x, c, w->schema, w->table);
	if (w->path == NULL) {
		plan_needs_expr(x, c, w->qual, "the policy's USING");
		plan_needs_expr(x, c, w->check, "the policy's WITH CHECK");
	}
	obj_step(x, c, w, 0);
}

static void
plan_policy(struct pctx *x, const struct sch_object *w)
{
	const struct sch_object *h = schema_find_object(x->have, SCH_POLICY,
	    w->schema, w->name, w->table);
	struct strs s = { .n = 0 };
	struct plan_change *c;
	int roles, qual, check;

	if (h == NULL) {
		plan_policy_create(x, w);
		return;
	}
	roles = roles_equal(w->roles, h->roles);
	qual = expr_same(x, w->qual, h->qual, w->same_qual);
	check = expr_same(x, w->check, h->check, w->same_check);
	if (roles && qual && check && w->cmd == h->cmd &&
	    w->permissive == h->permissive)
		return;
	if (w->cmd != h->cmd || w->permissive != h->permissive ||
	    (!w->qual && h->qual) || (!w->check && h->check)) {
		plan_add_at(x, R_POLICY, PLAN_REFUSED, "change policy",
		    target(x, w), strdup(w->cmd != h->cmd ? "its command "
		    "differs" : w->permissive != h->permissive ? "PERMISSIVE "
		    "or RESTRICTIVE differs" : "ALTER POLICY cannot remove a "
		    "USING or WITH CHECK expression"), strdup(HINT_RECREATE));
		return;
	}
	c = plan_add_at(x, R_POLICY, PLAN_SAFE, "alter policy", target(x, w),
	    plan_fmt("it differs in %s%s%s%s%s", roles ? "" : "its roles",
	    !roles && !qual ? ", " : "", qual ? "" : "USING", (!roles ||
	    !qual) && !check ? ", " : "", check ? "" : "WITH CHECK"), NULL);
	if (w->path == NULL) {
		plan_needs_expr(x, c, qual ? NULL : w->qual,
		    "the policy's USING");
		plan_needs_expr(x, c, check ? NULL : w->check,
		    "the policy's WITH CHECK");
	}
	obj_sql(x, c, w, plan_fmt("ALTER POLICY %s ON %s%s%s%s",
	    plan_keep(x, &s, plan_ident(x, w->name)),
	    plan_keep(x, &s, plan_qual(x, w->schema, w->table)),
	    roles ? "" : plan_keep(x, &s, roles_sql(x, w->roles)),
	    qual ? "" : plan_keep(x, &s, plan_fmt(" USING (%s)", w->qual)),
	    check ? "" : plan_keep(x, &s, plan_fmt(" WITH CHECK (%s)",
	    w->check))));
	plan_strs_free(&s);
}

/* ---- row level security ---- */

static int
has_policy(const struct schema *s, const struct sch_table *t)
{
	for (size_t i = 0; i < s->nobjs; i++)
		if (s->objs[i].kind == SCH_POLICY &&
		    !strcmp(s->objs[i].schema, t->schema) &&
		    !strcmp(s->objs[i].table, t->name))
			return 1;
	return 0;
}

static const char *const rls_words[] = { "off", "enabled",
    "enabled and forced" };

static void
plan_rls(struct pctx *x, const struct sch_table *t)
{
	const struct sch_table *h = schema_find_table(x->have, t->schema,
	    t->name);
	int from = h ? h->rls : 0;
	struct strs s = { .n = 0 };
	struct plan_change *c;
	const char *q;

	if (h && h->partition)
		return;
	if (t->rls < from) {
		plan_drift(x, "row level security", plan_tname(t),
		    plan_fmt("%s in the database, %s in the models",
		    rls_words[from], rls_words[t->rls]), NULL);
		return;
	}
	if (t->rls == from)
		return;
	/* an existing table without a policy would hide every row */
	if (h && !has_policy(x->want, t)) {
		plan_add_at(x, R_RLS, PLAN_REFUSED, "enable row level security",
		    plan_tname(t), strdup("the models give the table no "
		    "policy: every row would be hidden from every role but "
		    "its owner"), strdup("add a policy (CREATE POLICY in a "
		    "model SQL file), or enable it in a tier-2 migration if "
		    "that is what you want"));
		return;
	}
	c = plan_add_at(x, R_RLS, PLAN_SAFE, "enable row level security",
	    plan_tname(t), plan_fmt("%s -> %s", rls_words[from],
	    rls_words[t->rls]), NULL);
	if (h == NULL)
		plan_needs_change(x, c, "create table", t->schema, t->name,
		    NULL);
	q = plan_keep(x, &s, plan_qual(x, t->schema, t->name));
	if (from == 0)
		plan_step(x, c, plan_fmt("ALTER TABLE %s ENABLE ROW LEVEL "
		    "SECURITY", q), 1);
	if (t->rls == 2)
		plan_step(x, c, plan_fmt("ALTER TABLE %s FORCE ROW LEVEL "
		    "SECURITY", q), 1);
	plan_strs_free(&s);
}

/* ---- what only the database has ---- */

static int
own_object(const struct plan_opts *o, const struct sch_object *h)
{
	if (o == NULL || o->own_schema == NULL ||
	    strcmp(o->own_schema, h->schema))
		return 0;
	if (h->kind == SCH_FUNCTION)
		return !strcmp(h->name, AUDIT_GUARD);
	for (int i = 0; h->table && i < 4 && o->own_tables[i]; i++)
		if (!strcmp(o->own_tables[i], h->table))
			return 1;
	return 0;
}

/* A routine of want by name and identity (by name when not canonical). */
static int
routine_modelled(const struct schema *want, const struct sch_object *h)
{
	for (size_t i = 0; i < want->nobjs; i++) {
		const struct sch_object *w = &want->objs[i];

		if ((w->kind == SCH_FUNCTION || w->kind == SCH_PROCEDURE) &&
		    !strcmp(w->schema, h->schema) &&
		    !strcmp(w->name, h->name) && (!w->canon ||
		    str_eq(w->ident, h->ident)))
			return 1;
	}
	return 0;
}

static void
plan_obj_drift(struct pctx *x)
{
	for (size_t i = 0; i < x->have->nobjs; i++) {
		const struct sch_object *h = &x->have->objs[i];
		int fn = h->kind == SCH_FUNCTION || h->kind == SCH_PROCEDURE;
		int cannot = h->kind == SCH_RULE || h->kind == SCH_AGGREGATE;

		if (!schema_has_schema(x->want, h->schema) ||
		    own_object(x->opts, h))
			continue;
		if (cannot)
			plan_add_at(x, 90, PLAN_DRIFT, sqlobj_kind_name(
			    h->kind), h->table ? target(x, h) : plan_fmt(
			    "%s.%s(%s)", h->schema, h->name, h->ident ?
			    h->ident : ""), plan_fmt("the models cannot say "
			    "%ss: it stays as it is", sqlobj_kind_name(
			    h->kind)), strdup("make or change it with a tier-2 "
			    "migration; tier 1 never drops it"));
		if (cannot || (fn ? routine_modelled(x->want, h) :
		    schema_find_object(x->want, h->kind, h->schema, h->name,
		    h->table) != NULL))
			continue;
		plan_drift(x, sqlobj_kind_name(h->kind), fn ?
		    plan_fmt("%s.%s(%s)", h->schema, h->name, h->ident ?
		    h->ident : "") : target(x, h), plan_fmt("%s is not in the "
		    "models", sqlobj_kind_name(h->kind)), NULL);
	}
}

void
plan_sqlobjects(struct pctx *x)
{
	const struct schema *w = x->want;
	unsigned char *seen = calloc(w->nobjs + 1, 1);

	if (seen == NULL) {
		x->nomem = 1;
		return;
	}
	for (size_t i = 0; i < w->nobjs; i++) {
		const struct sch_object *o = &w->objs[i];

		if (o->kind == SCH_VIEW || o->kind == SCH_MATVIEW)
			plan_view_ordered(x, i, seen);
		else if (o->kind == SCH_FUNCTION || o->kind == SCH_PROCEDURE)
			plan_routine(x, o);
		else if (o->kind == SCH_TRIGGER)
			plan_trigger(x, o);
		else
			plan_policy(x, o);
		if (o->kind != SCH_TRIGGER && o->kind != SCH_POLICY)
			plan_obj_comment(x, o);
	}
	free(seen);
	for (size_t i = 0; i < w->ntables; i++)
		plan_rls(x, &w->tables[i]);
	plan_obj_drift(x);
}
