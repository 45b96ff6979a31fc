/*
 * plan_out.c - a plan as text (SQL plus one explanation line per change,
 * for --plan and migratectl plan) and as JSON (for the control protocol);
 * freeing a plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

void
plan_free(struct plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct plan_change *c = &p->v[i];

		free(c->kind);
		free(c->target);
		free(c->reason);
		free(c->hint);
		for (size_t j = 0; j < c->nsteps; j++)
			free(c->steps[j].sql);
		free(c->steps);
		free(c->cleanup);
		free(c->check);
		plan_needs_free(c);
	}
	free(p->v);
	free(p);
}

void
plan_needs_free(struct plan_change *c)
{
	for (size_t j = 0; j < c->nneeds; j++) {
		free(c->needs[j].name);
		free(c->needs[j].sch);
		free(c->needs[j].arg);
		free(c->needs[j].what);
	}
	free(c->needs);
	c->needs = NULL;
	c->nneeds = 0;
}

size_t
plan_statements(const struct plan *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].cls == PLAN_SAFE)
			n += p->v[i].nsteps;
	return n;
}

const char *
plan_class_name(enum plan_class c)
{
	switch (c) {
	case PLAN_SAFE: return "safe";
	case PLAN_REFUSED: return "refused";
	case PLAN_DRIFT: return "drift";
	case PLAN_TIER2: return "tier 2";
	}
	return "?";
}

int
plan_format_text(const struct plan *p, char **out, struct merr *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_change *c = &p->v[i];

		fprintf(f, "-- %s: %s %s: %s\n", plan_class_name(c->cls),
		    c->kind, c->target, c->reason);
		if (c->hint)
			fprintf(f, "--   hint: %s\n", c->hint);
		for (size_t j = 0; j < c->nsteps; j++)
			fprintf(f, "%s;\n", c->steps[j].sql);
	}
	if (p->n == p->ntier2)
		fprintf(f, "-- no changes: the database matches the models%s\n",
		    p->ntier2 ? " and the applied enhancements" : "");
	else
		fprintf(f, "-- plan: %zu safe, %zu refused, %zu drift%s\n",
		    p->nsafe, p->nrefused, p->ndrift, p->ntier2 ?
		    " (and objects of applied enhancements)" : "");
	if (fclose(f) != 0) {
		free(buf);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	*out = buf;
	return 0;
}

json_t *
plan_to_json(const struct plan *p)
{
	json_t *j, *arr, *c, *sql;

	arr = json_array();
	for (size_t i = 0; arr && i < p->n; i++) {
		const struct plan_change *ch = &p->v[i];

		sql = json_array();
		for (size_t k = 0; sql && k < ch->nsteps; k++)
			json_array_append_new(sql,
			    json_string(ch->steps[k].sql));
		c = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:o?}",
		    "class", plan_class_name(ch->cls), "kind", ch->kind,
		    "target", ch->target, "reason", ch->reason,
		    "hint", ch->hint, "phase", ch->phase == PLAN_ONLINE ?
		    "online" : ch->phase == PLAN_PRE ? "before" : "transaction", "sql", sql);
		json_array_append_new(arr, c);
	}
	j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o?}", "hash", p->hash,
	    "safe", (json_int_t)p->nsafe, "refused", (json_int_t)p->nrefused,
	    "drift", (json_int_t)p->ndrift, "tier2", (json_int_t)p->ntier2,
	    "statements",
	    (json_int_t)plan_statements(p), "changes", arr);
	return j;
}
