/*
 * plan_objects.c - the objects beside tables: extensions (created IF NOT
 * EXISTS before anything that may need them), standalone sequences and
 * domains, compared property by property (the table in
 * models/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_int.h"

/* ---- extensions ---- */

static void
ext_create(struct pctx *x, const struct sch_extension *w)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;

	c = plan_add(x, 0, PLAN_SAFE, "create extension", strdup(w->name),
	    strdup("new extension"), NULL);
	plan_step(x, c, plan_fmt("CREATE EXTENSION IF NOT EXISTS %s%s%s%s%s",
	    plan_keep(x, &s, plan_ident(x, w->name)),
	    w->schema ? " SCHEMA " : "",
	    w->schema ? plan_keep(x, &s, plan_ident(x, w->schema)) : "",
	    w->version ? " VERSION " : "",
	    w->version ? plan_keep(x, &s, plan_literal(x, w->version)) : ""),
	    1);
	plan_strs_free(&s);
}

void
plan_extensions(struct pctx *x)
{
	const struct sch_extension *w, *h;

	for (size_t i = 0; i < x->want->nexts; i++) {
		w = &x->want->exts[i];
		if ((h = schema_find_extension(x->have, w->name)) == NULL) {
			ext_create(x, w);
			continue;
		}
		if (w->schema && h->schema && strcmp(w->schema, h->schema))
			plan_add(x, 0, PLAN_REFUSED, "change extension",
			    strdup(w->name), plan_fmt("extension '%s' is in "
			    "schema '%s', the model says '%s'", w->name,
			    h->schema, w->schema), plan_fmt("%s: ALTER "
			    "EXTENSION ... SET SCHEMA (or say the schema it "
			    "is in)", HINT_MIGRATION));
		if (w->version && h->version && strcmp(w->version, h->version))
			plan_add(x, 0, PLAN_REFUSED, "change extension",
			    strdup(w->name), plan_fmt("extension '%s' is "
			    "version %s, the model says %s", w->name,
			    h->version, w->version), plan_fmt("%s: ALTER "
			    "EXTENSION ... UPDATE TO (or drop 'version' from "
			    "the model)", HINT_MIGRATION));
	}
	for (size_t i = 0; i < x->have->nexts; i++) {
		h = &x->have->exts[i];
		/* every database has plpgsql; nobody models it */
		if (strcmp(h->name, "plpgsql") &&
		    !schema_find_extension(x->want, h->name))
			plan_drift(x, "extension", strdup(h->name),
			    plan_fmt("extension %s (version %s) is not in the "
			    "models", h->name, h->version ? h->version : "?"),
			    NULL);
	}
}

/* ---- sequences ---- */

static int
int_width(const char *type)
{
	return !strcmp(type, "smallint") ? 2 : !strcmp(type, "integer") ? 4 :
	    8;
}

static char *
seq_options(const struct sch_sequence *q)
{
	return plan_fmt("AS %s INCREMENT BY %lld MINVALUE %lld MAXVALUE %lld "
	    "START WITH %lld CACHE %lld %sCYCLE", q->type, q->increment, q->min,
	    q->max, q->start, q->cache, q->cycle ? "" : "NO ");
}

static char *
seq_text(const struct sch_sequence *q)
{
	return plan_fmt("%s, increment %lld, %lld..%lld, start %lld, cache "
	    "%lld%s", q->type, q->increment, q->min, q->max, q->start,
	    q->cache, q->cycle ? ", cycle" : "");
}

static int
seq_same(const struct sch_sequence *w, const struct sch_sequence *h)
{
	return !strcmp(w->type, h->type) && w->increment == h->increment &&
	    w->min == h->min && w->max == h->max && w->start == h->start &&
	    w->cache == h->cache && w->cycle == h->cycle;
}

static void
seq_alter(struct pctx *x, const struct sch_sequence *w,
    const struct sch_sequence *h)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	char *why = plan_fmt("%s -> %s", plan_keep(x, &s, seq_text(h)),
	    plan_keep(x, &s, seq_text(w)));

	/* a narrower range may leave the current value outside it */
	if (int_width(w->type) < int_width(h->type) || w->min > h->min ||
	    w->max < h->max)
		plan_add(x, 1, PLAN_REFUSED, "alter sequence",
		    plan_fmt("%s.%s", h->schema, h->name), why, plan_fmt("%s: "
		    "a narrower type or range fails nextval() once the current "
		    "value is outside it; check the value first",
		    HINT_MIGRATION));
	else {
		c = plan_add(x, 1, PLAN_SAFE, "alter sequence",
		    plan_fmt("%s.%s", h->schema, h->name), why, NULL);
		plan_step(x, c, plan_fmt("ALTER SEQUENCE %s %s",
		    plan_keep(x, &s, plan_qual(x, h->schema, h->name)),
		    plan_keep(x, &s, seq_options(w))), 1);
	}
	plan_strs_free(&s);
}

/*
 * OWNED BY: after the tables and columns this plan makes (rank 35); only
 * the drop behaviour changes, so safe either way.  A model sequence
 * without owned_by is owned by no column.
 */
static void
seq_owner(struct pctx *x, const struct sch_sequence *w,
    const struct sch_sequence *h)
{
	struct strs s = { .n = 0 };
	const struct sch_table *ht;
	struct plan_change *c;
	char *tn = NULL, *col = NULL;
	const char *have = h ? h->owned_by : NULL;

	if (w->owned_by == NULL ? have == NULL : have != NULL &&
	    !strcmp(w->owned_by, have))
		return;
	if (w->owned_by && (tn = strdup(w->owned_by + strlen(w->schema) +
	    1)) != NULL && (col = strchr(tn, '.')) != NULL)
		*col++ = '\0';
	if (w->owned_by && col == NULL) {
		x->nomem = 1;
		free(tn);
		return;
	}
	c = plan_add_at(x, 35, PLAN_SAFE, "alter sequence", plan_fmt("%s.%s",
	    w->schema, w->name), plan_fmt("owned by %s -> %s", have ? have :
	    "no column", w->owned_by ? w->owned_by : "no column"), NULL);
	if (tn && (ht = schema_find_table(x->have, w->schema, tn)) == NULL)
		plan_needs_change(x, c, "create table", w->schema, tn, NULL);
	else if (tn && !schema_find_column(ht, col))
		plan_needs_change(x, c, "add column", w->schema, tn, col);
	plan_step(x, c, plan_fmt("ALTER SEQUENCE %s OWNED BY %s%s%s",
	    plan_keep(x, &s, plan_qual(x, w->schema, w->name)),
	    tn ? plan_keep(x, &s, plan_qual(x, w->schema, tn)) : "NONE",
	    tn ? "." : "", tn ? plan_keep(x, &s, plan_ident(x, col)) : ""), 1);
	plan_strs_free(&s);
	free(tn);
}

void
plan_serial_seq(struct pctx *x, const struct sch_column *w,
    const struct sch_column *h)
{
	const struct sch_sequence *q = NULL;
	const char *dot = h->serial_seq ? strchr(h->serial_seq, '.') : NULL;
	char *sch;

	if (w->seq == NULL || dot == NULL)
		return;
	if ((sch = strndup(h->serial_seq, (size_t)(dot - h->serial_seq))) ==
	    NULL) {
		x->nomem = 1;
		return;
	}
	q = schema_find_sequence(x->have, sch, dot + 1);
	free(sch);
	if (q && !seq_same(w->seq, q))
		seq_alter(x, w->seq, q);
}

char *
plan_serial_seq_sql(struct pctx *x, const struct sch_column *w)
{
	const struct sch_sequence *q = w->seq;
	long long hi;
	char *n, *o, *r;

	if (q == NULL)
		return NULL;
	hi = int_width(q->type) == 2 ? 32767 : int_width(q->type) == 4 ?
	    2147483647LL : 9223372036854775807LL;
	if (q->increment == 1 && q->cache == 1 && q->min == 1 &&
	    q->max == hi && q->start == 1 && !q->cycle)
		return NULL;
	n = plan_qual(x, q->schema, q->name);
	o = seq_options(q);
	r = n && o ? plan_fmt("ALTER SEQUENCE %s %s", n, o) : NULL;
	free(n);
	free(o);
	return r;
}

void
plan_sequences(struct pctx *x)
{
	struct strs s = { .n = 0 };
	const struct sch_sequence *w, *h;
	struct plan_change *c;

	for (size_t i = 0; i < x->want->nseqs; i++) {
		w = &x->want->seqs[i];
		h = schema_find_sequence(x->have, w->schema, w->name);
		seq_owner(x, w, h);
		if (h) {
			if (!seq_same(w, h))
				seq_alter(x, w, h);
			continue;
		}
		c = plan_add(x, 1, PLAN_SAFE, "create sequence",
		    plan_fmt("%s.%s", w->schema, w->name),
		    strdup("new sequence"), NULL);
		plan_step(x, c, plan_fmt("CREATE SEQUENCE %s %s",
		    plan_keep(x, &s, plan_qual(x, w->schema, w->name)),
		    plan_keep(x, &s, seq_options(w))), 1);
		plan_strs_free(&s);
	}
	for (size_t i = 0; i < x->have->nseqs; i++) {
		h = &x->have->seqs[i];
		/* a column's own sequence (serial) goes with the column */
		if (h->owned_by || !schema_has_schema(x->want, h->schema) ||
		    schema_find_sequence(x->want, h->schema, h->name))
			continue;
		plan_drift(x, "sequence", plan_fmt("%s.%s", h->schema, h->name),
		    strdup("sequence is not in the models"), NULL);
	}
}

/* ---- domains ---- */

static char *
dom_type_sql(struct pctx *x, const struct sch_domain *d)
{
	struct sch_column c;

	memset(&c, 0, sizeof(c));
	c.type = d->type;
	c.is_enum = d->base_enum;
	return plan_coltype(x, &c);
}

static void
dom_create(struct pctx *x, const struct sch_domain *d)
{
	struct strs s = { .n = 0 };
	struct plan_change *c;
	char *sql, *n;

	c = plan_add(x, 1, PLAN_SAFE, "create domain", plan_fmt("%s.%s",
	    d->schema, d->name), strdup("new domain"), NULL);
	plan_needs_type(x, c, d->type, 0, d->base_ext, "the base type");
	if (d->collation)
		plan_need(x, c, NEED_COLLATION, d->collation, NULL, NULL,
		    "the domain");
	plan_needs_expr(x, c, d->def, "the default");
	sql = plan_fmt("CREATE DOMAIN %s AS %s%s%s%s%s%s%s",
	    plan_keep(x, &s, plan_qual(x, d->schema, d->name)),
	    plan_keep(x, &s, dom_type_sql(x, d)),
	    d->collation ? " COLLATE " : "", d->collation ?
	    plan_keep(x, &s, plan_ident(x, d->collation)) : "",
	    d->def ? " DEFAULT (" : "", d->def ? d->def : "",
	    d->def ? ")" : "", d->notnull ? " NOT NULL" : "");
	for (size_t i = 0; sql && i < d->nchecks; i++) {
		plan_needs_expr(x, c, d->checks[i].expr, "a check");
		n = plan_fmt("%s CONSTRAINT %s CHECK (%s)", sql,
		    plan_keep(x, &s, plan_ident(x, d->checks[i].name)),
		    d->checks[i].expr);
		free(sql);
		sql = n;
		if (s.n > 12)
			plan_strs_free(&s);
	}
	plan_step(x, c, sql, 1);
	plan_strs_free(&s);
}

static const struct sch_dcheck *
dom_find_check(const struct sch_domain *d, const char *name)
{
	for (size_t i = 0; i < d->nchecks; i++)
		if (!strcmp(d->checks[i].name, name))
			return &d->checks[i];
	return NULL;
}

static void
dom_refuse(struct pctx *x, const struct sch_domain *w, char *why,
    const char *hint)
{
	plan_add(x, 1, PLAN_REFUSED, "change domain", plan_fmt("%s.%s",
	    w->schema, w->name), why, plan_fmt("%s: %s", HINT_MIGRATION,
	    hint));
}

static struct plan_change *
dom_alter(struct pctx *x, const struct sch_domain *w, const char *what,
    char *sql)
{
	struct plan_change *c;

	c = plan_add(x, 1, PLAN_SAFE, "alter domain", plan_fmt("%s.%s",
	    w->schema, w->name), strdup(what), NULL);
	plan_step(x, c, sql, 1);
	return c;
}

static void
dom_checks(struct pctx *x, const struct sch_domain *w,
    const struct sch_domain *h)
{
	const struct sch_dcheck *k;

	for (size_t i = 0; i < w->nchecks; i++) {
		if ((k = dom_find_check(h, w->checks[i].name)) == NULL)
			dom_refuse(x, w, plan_fmt("check '%s' is not in the "
			    "database: adding it checks every column of the "
			    "domain under a lock", w->checks[i].name),
			    "ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID, "
			    "then VALIDATE CONSTRAINT");
		else if (!schema_expr_equal_memo(x->memo, w->checks[i].expr,
		    k->expr))
			dom_refuse(x, w, plan_fmt("check '%s' is %s in the "
			    "database, %s in the model", k->name, k->expr,
			    w->checks[i].expr), "add the new check NOT VALID, "
			    "VALIDATE it, drop the old one");
	}
	for (size_t i = 0; i < h->nchecks; i++)
		if (!dom_find_check(w, h->checks[i].name))
			plan_drift(x, "domain check", plan_fmt("%s.%s.%s",
			    h->schema, h->name, h->checks[i].name),
			    plan_fmt("check %s is not in the models",
			    h->checks[i].expr), NULL);
}

static void
dom_compare(struct pctx *x, const struct sch_domain *w,
    const struct sch_domain *h)
{
	struct strs s = { .n = 0 };
	const char *q = plan_keep(x, &s, plan_qual(x, w->schema, w->name));

	if (strcmp(w->type, h->type))
		dom_refuse(x, w, plan_fmt("base type %s -> %s", h->type,
		    w->type), "a new domain, columns moved to it");
	if (strcmp(w->collation ? w->collation : "", h->collation ?
	    h->collation : ""))
		dom_refuse(x, w, plan_fmt("collation %s -> %s", h->collation ?
		    h->collation : "default", w->collation ? w->collation :
		    "default"), "a new domain, columns moved to it");
	if (w->notnull && !h->notnull)
		dom_refuse(x, w, strdup("SET NOT NULL checks every column of "
		    "the domain under a lock"), "backfill, then ALTER DOMAIN "
		    "... SET NOT NULL");
	else if (!w->notnull && h->notnull)
		dom_alter(x, w, "the model allows NULL", plan_fmt("ALTER "
		    "DOMAIN %s DROP NOT NULL", q));
	if (w->def && !schema_expr_equal_memo(x->memo, w->def, h->def))
		plan_needs_expr(x, dom_alter(x, w, "default",
		    plan_fmt("ALTER DOMAIN %s SET DEFAULT (%s)", q, w->def)),
		    w->def, "the default");
	else if (!w->def && h->def)
		plan_drift(x, "default", plan_fmt("%s.%s", h->schema, h->name),
		    plan_fmt("domain default %s is not in the models", h->def),
		    NULL);
	dom_checks(x, w, h);
	plan_strs_free(&s);
}

void
plan_domains(struct pctx *x)
{
	const struct sch_domain *w, *h;

	for (size_t i = 0; i < x->want->ndomains; i++) {
		w = &x->want->domains[i];
		if ((h = schema_find_domain(x->have, w->schema, w->name)))
			dom_compare(x, w, h);
		else
			dom_create(x, w);
	}
	for (size_t i = 0; i < x->have->ndomains; i++) {
		h = &x->have->domains[i];
		if (schema_has_schema(x->want, h->schema) &&
		    !schema_find_domain(x->want, h->schema, h->name))
			plan_drift(x, "domain", plan_fmt("%s.%s", h->schema,
			    h->name), plan_fmt("domain over %s is not in the "
			    "models", h->type), NULL);
	}
}
