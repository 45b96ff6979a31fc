/*
 * plan_sql.c - the SQL text of planned changes.  Every identifier is
 * quoted by libpq (db_ident / db_qualified), every literal escaped by
 * PQescapeLiteral; expressions come from the models after libpg_query
 * has checked that each is one expression, and are parenthesised.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_int.h"

/* ---- small helpers ---- */

char *
plan_fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) == -1)
		s = NULL;
	va_end(ap);
	return s;
}

const char *
plan_keep(struct pctx *x, struct strs *s, char *p)
{
	if (p == NULL || s->n == 16) {
		free(p);	/* a full list is a bug: fail, do not leak */
		x->nomem = 1;
		return "";
	}
	s->v[s->n++] = p;
	return p;
}

void
plan_strs_free(struct strs *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

char *
plan_ident(struct pctx *x, const char *name)
{
	char *q = db_ident(x->db, name);

	if (q == NULL)
		x->nomem = 1;
	return q;
}

char *
plan_qual(struct pctx *x, const char *sch, const char *name)
{
	char *q = db_qualified(x->db, sch, name);

	if (q == NULL)
		x->nomem = 1;
	return q;
}

char *
plan_literal(struct pctx *x, const char *s)
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
char *
plan_identlist(struct pctx *x, char *const *v)
{
	char *s = strdup(""), *q, *n;

	for (size_t i = 0; s && v && v[i]; i++) {
		q = plan_ident(x, v[i]);
		n = q ? plan_fmt("%s%s%s", s, i ? ", " : "", q) : NULL;
		free(q);
		free(s);
		s = n;
	}
	if (s == NULL)
		x->nomem = 1;
	return s;
}

char *
plan_coltype(struct pctx *x, const struct sch_column *c)
{
	const char *dot, *arr;
	char *sch, *q, *r;

	if (!c->is_enum)
		return strdup(c->type);
	dot = strchr(c->type, '.');
	arr = strstr(c->type, "[]");
	sch = strndup(c->type, (size_t)(dot - c->type));
	r = strndup(dot + 1, arr ? (size_t)(arr - dot - 1) : strlen(dot + 1));
	q = (sch && r) ? plan_qual(x, sch, r) : NULL;
	free(sch);
	free(r);
	r = q ? plan_fmt("%s%s", q, arr ? "[]" : "") : NULL;
	free(q);
	if (r == NULL)
		x->nomem = 1;
	return r;
}

/* ---- SQL fragments ---- */

const char *
plan_action_sql(char a)
{
	switch (a) {
	case 'r': return " RESTRICT";
	case 'c': return " CASCADE";
	case 'n': return " SET NULL";
	case 'd': return " SET DEFAULT";
	}
	return "";
}

char *
plan_col_sql(struct pctx *x, const struct sch_column *c)
{
	struct strs s = { .n = 0 };
	char *r;

	r = plan_fmt("%s %s%s%s%s%s", plan_keep(x, &s, plan_ident(x, c->name)),
	    plan_keep(x, &s, plan_coltype(x, c)), c->notnull ? " NOT NULL" : "",
	    c->def ? " DEFAULT (" : "", c->def ? c->def : "",
	    c->def ? ")" : "");
	plan_strs_free(&s);
	return r;
}

/* The body of a constraint: "PRIMARY KEY (a)", "CHECK (...)", ... */
char *
plan_con_body(struct pctx *x, const struct sch_constraint *c, int not_valid)
{
	struct strs s = { .n = 0 };
	char *r = NULL;

	switch (c->kind) {
	case SCH_PK:
		r = plan_fmt("PRIMARY KEY (%s)", plan_keep(x, &s, plan_identlist(x, c->cols)));
		break;
	case SCH_UNIQUE:
		r = plan_fmt("UNIQUE (%s)", plan_keep(x, &s, plan_identlist(x, c->cols)));
		break;
	case SCH_CHECK:
		r = plan_fmt("CHECK (%s)%s", c->expr, not_valid ? " NOT VALID" : "");
		break;
	case SCH_FK:
		r = plan_fmt("FOREIGN KEY (%s) REFERENCES %s (%s)%s%s%s%s%s",
		    plan_keep(x, &s, plan_identlist(x, c->cols)),
		    plan_keep(x, &s, plan_qual(x, c->ref_schema, c->ref_table)),
		    plan_keep(x, &s, plan_identlist(x, c->ref_cols)),
		    c->on_delete != 'a' ? " ON DELETE" : "",
		    plan_action_sql(c->on_delete),
		    c->on_update != 'a' ? " ON UPDATE" : "",
		    plan_action_sql(c->on_update), not_valid ? " NOT VALID" : "");
		break;
	}
	plan_strs_free(&s);
	return r;
}

char *
plan_con_sql(struct pctx *x, const struct sch_constraint *c, int not_valid)
{
	struct strs s = { .n = 0 };
	char *r;

	r = plan_fmt("CONSTRAINT %s %s", plan_keep(x, &s, plan_ident(x, c->name)),
	    plan_keep(x, &s, plan_con_body(x, c, not_valid)));
	plan_strs_free(&s);
	return r;
}

char *
plan_index_keys(struct pctx *x, const struct sch_table *t,
    const struct sch_index *ix)
{
	char *s = strdup(""), *n, *q;

	for (size_t i = 0; s && ix->keys[i]; i++) {
		int col = schema_find_column(t, ix->keys[i]) != NULL;

		q = col ? plan_ident(x, ix->keys[i]) : plan_fmt("(%s)", ix->keys[i]);
		n = q ? plan_fmt("%s%s%s", s, i ? ", " : "", q) : NULL;
		free(q);
		free(s);
		s = n;
	}
	if (s == NULL)
		x->nomem = 1;
	return s;
}

char *
plan_index_sql(struct pctx *x, const struct sch_table *t,
    const struct sch_index *ix, int concurrently)
{
	struct strs s = { .n = 0 };
	char *r;

	r = plan_fmt("CREATE %sINDEX %s%s ON %s USING %s (%s)%s%s%s",
	    ix->unique ? "UNIQUE " : "", concurrently ? "CONCURRENTLY " : "",
	    plan_keep(x, &s, plan_ident(x, ix->name)),
	    plan_keep(x, &s, plan_qual(x, t->schema, t->name)), ix->method,
	    plan_keep(x, &s, plan_index_keys(x, t, ix)), ix->where ? " WHERE (" : "",
	    ix->where ? ix->where : "", ix->where ? ")" : "");
	plan_strs_free(&s);
	return r;
}

char *
plan_comment_sql(struct pctx *x, const struct sch_table *t, const char *col,
    const char *text)
{
	struct strs s = { .n = 0 };
	char *r;

	if (col)
		r = plan_fmt("COMMENT ON COLUMN %s.%s IS %s",
		    plan_keep(x, &s, plan_qual(x, t->schema, t->name)),
		    plan_keep(x, &s, plan_ident(x, col)), plan_keep(x, &s, plan_literal(x, text)));
	else
		r = plan_fmt("COMMENT ON TABLE %s IS %s",
		    plan_keep(x, &s, plan_qual(x, t->schema, t->name)),
		    plan_keep(x, &s, plan_literal(x, text)));
	plan_strs_free(&s);
	return r;
}
