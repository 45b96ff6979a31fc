/* lint.c - hazard rules over pg_query_parse JSON trees (jansson). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lint.h"
#include "migset.h"

static const char *const rule_names[LINT_NRULES] = {
	[LINT_INDEX_CONCURRENTLY] = "index-concurrently",
	[LINT_ADD_COLUMN_NOT_NULL] = "add-column-not-null",
	[LINT_ALTER_COLUMN_TYPE] = "alter-column-type",
	[LINT_CONSTRAINT_NOT_VALID] = "constraint-not-valid",
	[LINT_UNBOUNDED_DML] = "unbounded-dml",
	[LINT_ADD_COLUMN_IDEMPOTENT] = "add-column-idempotent",
	[LINT_CREATE_INDEX_IDEMPOTENT] = "create-index-idempotent",
	[LINT_ROLLBACK_SYNTAX] = "rollback-syntax",
};

const char *
lint_rule_name(enum lint_rule r)
{
	return (unsigned)r < LINT_NRULES ? rule_names[r] : "?";
}

int
lint_rule_lookup(const char *name)
{
	int i;

	for (i = 0; i < LINT_NRULES; i++)
		if (strcmp(name, rule_names[i]) == 0)
			return i;
	return -1;
}

void
lint_list_init(struct lint_list *l)
{
	l->v = NULL;
	l->n = l->cap = 0;
}

/*
 * Room for more findings in l: doubled, so that a folder's thousand
 * files' findings gathered one file at a time (lint_script) are not a
 * copy of the whole list each.  -1 when out of memory.
 */
static int
lint_room(struct lint_list *l, size_t more)
{
	struct lint_finding *nv;
	size_t cap = l->cap ? l->cap : 8;

	if (l->n + more <= l->cap)
		return 0;
	while (cap < l->n + more)
		cap *= 2;
	if ((nv = realloc(l->v, cap * sizeof(*nv))) == NULL)
		return -1;
	l->v = nv;
	l->cap = cap;
	return 0;
}

void
lint_list_release(struct lint_list *l)
{
	free(l->v);
	lint_list_init(l);
}

/* State while checking one script. */
struct lint_run {
	const struct mig_script	*sc;
	const struct mig_stmt	*st;
	int			 stmt;		/* 1-based */
	unsigned		 silenced;	/* bit per rule */
	char			**created;	/* tables made so far */
	size_t			 ncreated;
	struct lint_list	*out;
	int			 nomem;
};

static void finding(struct lint_run *, enum lint_rule, const char *hint,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
finding(struct lint_run *r, enum lint_rule rule, const char *hint,
    const char *fmt, ...)
{
	struct lint_finding *f;
	va_list ap;

	if (r->silenced & (1u << rule))
		return;
	if (lint_room(r->out, 1) == -1) {
		r->nomem = 1;
		return;
	}
	f = &r->out->v[r->out->n++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	snprintf(f->file, sizeof(f->file), "%s", r->sc->path ? r->sc->path :
	    "");
	f->line = r->st->line;
	f->col = r->st->col;
	f->stmt = r->stmt;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	snprintf(f->hint, sizeof(f->hint), "%s (silence with "
	    "'-- migrated:nolint %s')", hint, rule_names[rule]);
}

static const char *
relname(json_t *node)
{
	const char *s = json_string_value(json_object_get(
	    json_object_get(node, "relation"), "relname"));

	return s ? s : "?";
}

static int
is_new_table(const struct lint_run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ncreated; i++)
		if (strcmp(r->created[i], name) == 0)
			return 1;
	return 0;
}

static int
has_contype(json_t *constraints, const char *type)
{
	json_t *c;
	size_t i;

	json_array_foreach(constraints, i, c) {
		const char *t = json_string_value(json_object_get(
		    json_object_get(c, "Constraint"), "contype"));

		if (t && strcmp(t, type) == 0)
			return 1;
	}
	return 0;
}

static void
lint_index(struct lint_run *r, json_t *n)
{
	const char *t = relname(n);

	if (!json_is_true(json_object_get(n, "concurrent")) &&
	    !is_new_table(r, t))
		finding(r, LINT_INDEX_CONCURRENTLY, "use CREATE INDEX "
		    "CONCURRENTLY (the file then runs outside a transaction)",
		    "CREATE INDEX on existing table \"%s\" without "
		    "CONCURRENTLY blocks writes while it builds", t);
	if (!json_is_true(json_object_get(n, "if_not_exists")))
		finding(r, LINT_CREATE_INDEX_IDEMPOTENT, "name the index and "
		    "add IF NOT EXISTS", "CREATE INDEX on \"%s\" without IF "
		    "NOT EXISTS fails when the index already exists", t);
}

static void
lint_add_column(struct lint_run *r, json_t *cmd, const char *t)
{
	json_t *cd = json_object_get(json_object_get(cmd, "def"),
	    "ColumnDef");
	json_t *cons = json_object_get(cd, "constraints");
	const char *col = json_string_value(json_object_get(cd, "colname"));

	if (col == NULL)
		col = "?";
	/* each named: one ALTER TABLE may add several */
	if (!json_is_true(json_object_get(cmd, "missing_ok")))
		finding(r, LINT_ADD_COLUMN_IDEMPOTENT, "write ADD COLUMN IF "
		    "NOT EXISTS: tier 1 may already have created the column",
		    "ADD COLUMN \"%s\" on \"%s\" without IF NOT EXISTS is "
		    "not idempotent", col, t);
	if (has_contype(cons, "CONSTR_NOTNULL") &&
	    !has_contype(cons, "CONSTR_DEFAULT") &&
	    !json_object_get(cd, "raw_default"))
		finding(r, LINT_ADD_COLUMN_NOT_NULL, "add a DEFAULT, or add "
		    "the column nullable, backfill it, then SET NOT NULL",
		    "ADD COLUMN \"%s\" NOT NULL without DEFAULT on \"%s\" "
		    "fails on a table with rows", col, t);
}

static void
lint_add_constraint(struct lint_run *r, json_t *cmd, const char *t)
{
	json_t *c = json_object_get(json_object_get(cmd, "def"), "Constraint");
	const char *type = json_string_value(json_object_get(c, "contype"));

	if (type == NULL || (strcmp(type, "CONSTR_FOREIGN") != 0 &&
	    strcmp(type, "CONSTR_CHECK") != 0))
		return;
	if (json_is_true(json_object_get(c, "skip_validation")))
		return;
	finding(r, LINT_CONSTRAINT_NOT_VALID, "add it NOT VALID, then "
	    "VALIDATE CONSTRAINT in a later statement", "ADD CONSTRAINT "
	    "(foreign key or check) on \"%s\" without NOT VALID scans the "
	    "table under a lock that blocks writes", t);
}

/*
 * May this new column type (no USING, no array) be one PostgreSQL changes
 * to without a rewrite?  1: a widening (varchar(n) to a longer varchar or
 * text, more numeric precision at the same scale, a longer bit varying,
 * as tier 1's type_widens()); 2: timestamptz, from timestamp in a session
 * whose TimeZone is UTC; each tried on PostgreSQL 15.  0: no.  The type
 * it had is not in the file.
 */
static int
may_widen(json_t *cmd)
{
	static const char *const widen[] = { "varchar", "text", "numeric",
	    "varbit" };
	json_t *cd = json_object_get(json_object_get(cmd, "def"),
	    "ColumnDef");
	json_t *tn = json_object_get(cd, "typeName");
	json_t *names = json_object_get(tn, "names");
	const char *last;

	if (json_object_get(cd, "raw_default") || json_array_size(names) == 0 ||
	    json_array_size(json_object_get(tn, "arrayBounds")) > 0)
		return 0;
	if ((last = json_string_value(json_object_get(json_object_get(
	    json_array_get(names, json_array_size(names) - 1), "String"),
	    "sval"))) && strcmp(last, "timestamptz") == 0)
		return 2;
	for (size_t i = 0; last && i < sizeof(widen) / sizeof(widen[0]); i++)
		if (strcmp(last, widen[i]) == 0)
			return 1;
	return 0;
}

static void
lint_alter_type(struct lint_run *r, json_t *cmd, const char *t)
{
	int how = may_widen(cmd);
	const char *col = json_string_value(json_object_get(cmd, "name"));

	if (col == NULL)
		col = "?";

	if (how == 2)
		finding(r, LINT_ALTER_COLUMN_TYPE, "check the old type and "
		    "the server's TimeZone; otherwise add a new column, "
		    "backfill it in batches and switch over", "ALTER COLUMN "
		    "\"%s\" TYPE on \"%s\" takes an exclusive lock, and "
		    "rewrites the table unless the old type is timestamp and "
		    "the session's TimeZone is UTC", col, t);
	else if (how == 1)
		finding(r, LINT_ALTER_COLUMN_TYPE, "a widening is quick; "
		    "otherwise add a new column, backfill it in batches and "
		    "switch over", "ALTER COLUMN \"%s\" TYPE on \"%s\" takes "
		    "an exclusive lock, and rewrites the table unless the new "
		    "type only widens the old (a longer varchar or bit "
		    "varying, text, more numeric precision)", col, t);
	else
		finding(r, LINT_ALTER_COLUMN_TYPE, "add a new column, "
		    "backfill it in batches and switch over",
		    "ALTER COLUMN \"%s\" TYPE on \"%s\" rewrites the table "
		    "under an exclusive lock", col, t);
}

static void
lint_alter(struct lint_run *r, json_t *n)
{
	const char *t = relname(n), *sub;
	json_t *cmd, *c;
	size_t i;

	if (is_new_table(r, t))
		return;
	json_array_foreach(json_object_get(n, "cmds"), i, c) {
		cmd = json_object_get(c, "AlterTableCmd");
		sub = json_string_value(json_object_get(cmd, "subtype"));
		if (sub == NULL)
			continue;
		if (strcmp(sub, "AT_AddColumn") == 0)
			lint_add_column(r, cmd, t);
		else if (strcmp(sub, "AT_AlterColumnType") == 0)
			lint_alter_type(r, cmd, t);
		else if (strcmp(sub, "AT_AddConstraint") == 0)
			lint_add_constraint(r, cmd, t);
	}
}

static void
lint_dml(struct lint_run *r, const char *type, json_t *n)
{
	if (json_object_get(n, "whereClause") ||
	    r->st->kind == MIG_STMT_BATCH)
		return;
	finding(r, LINT_UNBOUNDED_DML, "add a WHERE clause, or mark a "
	    "backfill with '-- migrated:batch size=N'",
	    strcmp(type, "UpdateStmt") == 0 ? "UPDATE of \"%s\" without "
	    "WHERE touches every row in one transaction" : "DELETE from "
	    "\"%s\" without WHERE removes every row", relname(n));
}

static int
silence(struct lint_run *r, struct merr *e)
{
	char buf[512], *tok, *save = NULL;
	int k;

	r->silenced = 0;
	if (r->st->nolint == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", r->st->nolint);
	for (tok = strtok_r(buf, " \t,", &save); tok;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "all") == 0) {
			r->silenced = ~0u;
			continue;
		}
		if ((k = lint_rule_lookup(tok)) == -1) {
			merr_setpos(e, MERR_INPUT, r->sc->path, r->st->line,
			    r->st->col, "unknown lint rule '%s' in "
			    "'migrated:nolint'", tok);
			merr_hint(e, "rules: index-concurrently, "
			    "add-column-not-null, alter-column-type, "
			    "constraint-not-valid, unbounded-dml, "
			    "add-column-idempotent, create-index-idempotent");
			return -1;
		}
		r->silenced |= 1u << k;
	}
	return 0;
}

/* One statement of a tree (a goose block's tree may hold several). */
static void
lint_node(struct lint_run *r, json_t *s)
{
	const char *type;
	json_t *n;
	void *it;

	if ((it = json_object_iter(s)) == NULL)
		return;
	type = json_object_iter_key(it);
	n = json_object_iter_value(it);
	if (strcmp(type, "IndexStmt") == 0)
		lint_index(r, n);
	else if (strcmp(type, "AlterTableStmt") == 0)
		lint_alter(r, n);
	else if (strcmp(type, "UpdateStmt") == 0 ||
	    strcmp(type, "DeleteStmt") == 0)
		lint_dml(r, type, n);
	else if (strcmp(type, "CreateStmt") == 0) {
		char **nv = realloc(r->created,
		    (r->ncreated + 1) * sizeof(*nv));

		if (nv == NULL)
			r->nomem = 1;
		else {
			r->created = nv;
			nv[r->ncreated] = strdup(relname(n));
			if (nv[r->ncreated])
				r->ncreated++;
		}
	}
}

static int
lint_stmt(struct lint_run *r, struct merr *e)
{
	json_t *root, *item;
	json_error_t je;
	size_t i;

	if (silence(r, e) == -1)
		return -1;
	/* no rule reads its type, or no finding wanted */
	if (r->st->tree == NULL || r->out == NULL)
		return 0;
	if ((root = json_loads(r->st->tree, 0, &je)) == NULL)
		return merr_set(e, MERR_INTERNAL, "bad parse tree: %s",
		    je.text);
	json_array_foreach(json_object_get(root, "stmts"), i, item)
		lint_node(r, json_object_get(item, "stmt"));
	json_decref(root);
	return r->nomem ? merr_set(e, MERR_NOMEM, "out of memory") : 0;
}

static int
lint_run_script(const struct mig_script *sc, struct lint_list *out,
    struct merr *e)
{
	struct lint_run r;
	size_t i;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.sc = sc;
	r.out = out;
	for (i = 0; i < sc->nstmts && rc == 0; i++) {
		r.st = &sc->stmts[i];
		r.stmt = (int)i + 1;
		rc = lint_stmt(&r, e);
	}
	for (i = 0; i < r.ncreated; i++)
		free(r.created[i]);
	free(r.created);
	return rc;
}

int
lint_keep(struct mig_script *sc, struct merr *e)
{
	struct lint_list *l;

	if (sc->lint)
		return 0;
	if ((l = malloc(sizeof(*l))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	lint_list_init(l);
	if (lint_run_script(sc, l, e) == -1) {
		lint_list_release(l);
		free(l);
		return -1;
	}
	sc->lint = l;
	return 0;
}

int
lint_script(struct mig_script *sc, struct lint_list *out, struct merr *e)
{
	size_t n;

	if (out == NULL)
		return lint_run_script(sc, NULL, e);
	if (lint_keep(sc, e) == -1)
		return -1;
	if ((n = sc->lint->n) == 0)
		return 0;
	if (lint_room(out, n) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	memcpy(out->v + out->n, sc->lint->v, n * sizeof(*out->v));
	out->n += n;
	return 0;
}

int
lint_add_error(struct lint_list *l, enum lint_rule rule,
    const struct merr *why, const char *hint, struct merr *e)
{
	struct lint_finding *f;

	if (lint_room(l, 1) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	f = &l->v[l->n++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	snprintf(f->file, sizeof(f->file), "%.200s", why->file);
	f->line = why->line;
	f->col = why->col;
	snprintf(f->message, sizeof(f->message), "%.200s", why->msg);
	snprintf(f->hint, sizeof(f->hint), "%.200s", hint);
	return 0;
}
