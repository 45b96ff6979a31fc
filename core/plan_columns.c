/*
 * plan_columns.c - the column properties that decide what a column is
 * rather than what it holds: serial (a default from a sequence the column
 * owns), generated (STORED) and collation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_int.h"

static char *
colname(const struct sch_table *t, const struct sch_column *c)
{
	return plan_fmt("%s.%s.%s", t->schema, t->name, c->name);
}

/* The model says serial: is the database's column one? */
static int
plan_serial(struct pctx *x, const struct sch_table *t,
    const struct sch_column *w, const struct sch_column *h)
{
	const char *why;

	if (!w->serial || h->serial)
		return 0;
	why = h->identity ? "an identity column in the database, serial in "
	    "the model" : h->def ? "its default does not draw from a "
	    "sequence the column owns" : "it has no default in the database";
	plan_add(x, 3, PLAN_REFUSED, "set serial", colname(t, w),
	    plan_fmt("column '%s' is serial in the model: %s", w->name, why),
	    plan_fmt("%s: CREATE SEQUENCE %s_%s_seq OWNED BY the column, "
	    "setval() it past max(%s), then SET DEFAULT nextval(...); or "
	    "model the column as it is", HINT_MIGRATION, t->name, w->name,
	    w->name));
	return 1;
}

static int
plan_generated(struct pctx *x, const struct sch_table *t,
    const struct sch_column *w, const struct sch_column *h)
{
	if (!w->generated && !h->generated)
		return 0;
	if (w->generated && h->generated &&
	    schema_expr_equal_memo(x->memo, w->generated, h->generated))
		return 0;
	if (w->generated && h->generated)
		plan_add(x, 3, PLAN_REFUSED, "change generated", colname(t, w),
		    plan_fmt("generated as %s in the database, as %s in the "
		    "model", h->generated, w->generated), plan_fmt("%s: "
		    "PostgreSQL cannot change a generation expression in "
		    "place (add a new generated column, move readers, drop "
		    "the old one: each rewrite locks the table)",
		    HINT_MIGRATION));
	else if (w->generated)
		plan_add(x, 3, PLAN_REFUSED, "change generated", colname(t, w),
		    plan_fmt("column '%s' is a plain column in the database, "
		    "generated in the model", w->name), plan_fmt("%s: a column "
		    "cannot become generated; add a new one (a rewrite)",
		    HINT_MIGRATION));
	else
		plan_add(x, 3, PLAN_REFUSED, "change generated", colname(t, w),
		    plan_fmt("column '%s' is generated as %s in the database, "
		    "not in the model", w->name, h->generated), plan_fmt("say "
		    "'generated: \"%s\"' in the model if the database is "
		    "right; otherwise %s (ALTER TABLE ... ALTER COLUMN ... "
		    "DROP EXPRESSION)", h->generated, HINT_MIGRATION));
	return 1;
}

int
plan_column_kind(struct pctx *x, const struct sch_table *t,
    const struct sch_column *w, const struct sch_column *h)
{
	return plan_serial(x, t, w, h) || plan_generated(x, t, w, h);
}

/* Does an index, key, check or generated column of h use column col? */
static int
col_used(const struct sch_table *h, const char *col)
{
	for (size_t i = 0; i < h->ncols; i++)
		if (h->cols[i].generated && strstr(h->cols[i].generated, col))
			return 1;
	for (size_t i = 0; i < h->nidx; i++)
		for (size_t k = 0; h->idx[i].keys && h->idx[i].keys[k]; k++)
			if (strstr(h->idx[i].keys[k], col) ||
			    (h->idx[i].where && strstr(h->idx[i].where, col)))
				return 1;
	for (size_t i = 0; i < h->ncons; i++) {
		const struct sch_constraint *c = &h->cons[i];

		if (c->expr && strstr(c->expr, col))
			return 1;
		for (size_t k = 0; c->cols && c->cols[k]; k++)
			if (!strcmp(c->cols[k], col))
				return 1;
	}
	return 0;
}

/*
 * A collation change keeps the table's rows (no rewrite: checked) but
 * rebuilds every index on the column and checks its constraints again,
 * under an ACCESS EXCLUSIVE lock, and may change what is unique: safe
 * only for a column nothing indexes or checks.
 */
void
plan_collation(struct pctx *x, const struct sch_table *t,
    const struct sch_column *w, const struct sch_column *h)
{
	const struct sch_table *ht = schema_find_table(x->have, t->schema,
	    t->name);
	struct strs s = { .n = 0 };
	struct plan_change *c;
	const char *wc = w->collation, *hc = h->collation;
	char *why;

	if (!strcmp(wc ? wc : "", hc ? hc : ""))
		return;
	why = plan_fmt("collation %s -> %s", hc ? hc : "default",
	    wc ? wc : "default");
	if (ht == NULL || col_used(ht, w->name)) {
		plan_add(x, 3, PLAN_REFUSED, "change collation", colname(t, w),
		    why, plan_fmt("%s: the indexes and constraints on the "
		    "column are rebuilt under an exclusive lock and what is "
		    "unique may change; build new indexes CONCURRENTLY first",
		    HINT_MIGRATION));
		return;
	}
	c = plan_add(x, 3, PLAN_SAFE, "change collation", colname(t, w), why,
	    NULL);
	if (wc)
		plan_need(x, c, NEED_COLLATION, wc, NULL, NULL, "the column");
	plan_need(x, c, NEED_NO_VIEW, w->name, t->schema, t->name, NULL);
	plan_step(x, c, plan_fmt("ALTER TABLE %s ALTER COLUMN %s TYPE %s "
	    "COLLATE %s", plan_keep(x, &s, plan_qual(x, t->schema, t->name)),
	    plan_keep(x, &s, plan_ident(x, w->name)),
	    plan_keep(x, &s, plan_coltype(x, w)),
	    plan_keep(x, &s, plan_ident(x, wc ? wc : "default"))), 1);
	plan_strs_free(&s);
}
