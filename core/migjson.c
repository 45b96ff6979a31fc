/* migjson.c - struct migrate_result: lifecycle and JSON (jansson). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "migrate.h"
#include "migrate_int.h"

void
migrate_result_init(struct migrate_result *r)
{
	memset(r, 0, sizeof(*r));
	lint_list_init(&r->lint);
}

void
mres_rows_clear(struct migrate_result *r)
{
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		free(r->rows[i].name);
		free(r->rows[i].applied_at);
		free(r->rows[i].applied_by);
		free(r->rows[i].checksum);
		free(r->rows[i].direction);
		free(r->rows[i].error);
	}
	free(r->rows);
	r->rows = NULL;
	r->nrows = 0;
	r->npending = r->napplied = r->ndirty = r->ndrift = 0;
	r->nmissing = r->nooo = 0;
}

void
migrate_result_release(struct migrate_result *r)
{
	size_t i;

	mres_rows_clear(r);
	for (i = 0; i < r->nsteps; i++)
		free(r->steps[i].name);
	free(r->steps);
	lint_list_release(&r->lint);
	for (i = 0; i < 3; i++)
		free(r->paths[i]);
	free(r->notice);
	migrate_result_init(r);
}

/* json_string of s, or null when s is NULL. */
static json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
row_json(const struct migrate_row *w)
{
	json_t *o = json_pack("{s:s, s:o, s:s, s:b, s:b, s:b}",
	    "version", w->version, "name", jstr(w->name),
	    "state", migrate_state_name(w->state), "drift", w->drift,
	    "out_of_order", w->out_of_order, "has_rollback", w->has_rollback);

	if (o == NULL)
		return NULL;
	if (w->state != MIG_PENDING) {
		json_object_set_new(o, "applied_at", jstr(w->applied_at));
		json_object_set_new(o, "applied_by", jstr(w->applied_by));
		json_object_set_new(o, "duration_ms",
		    json_integer(w->duration_ms));
	}
	if (w->state == MIG_DIRTY) {
		json_object_set_new(o, "direction", jstr(w->direction));
		json_object_set_new(o, "stmt_done", json_integer(w->stmt_done));
		json_object_set_new(o, "error", jstr(w->error));
	}
	return o;
}

static json_t *
lint_json(const struct lint_finding *f)
{
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:s, s:s}",
	    "rule", lint_rule_name(f->rule), "file", f->file,
	    "line", f->line, "col", f->col, "statement", f->stmt,
	    "message", f->message, "hint", f->hint);
}

static int
lists_rows(const char *op)
{
	return op == NULL || !strcmp(op, "status") || !strcmp(op, "list") ||
	    !strcmp(op, "validate");
}

json_t *
migrate_result_to_json(const struct migrate_result *r)
{
	json_t *o, *rows, *steps, *lint, *files;
	size_t i;

	o = json_pack("{s:s, s:o, s:o, s:{s:i, s:i, s:i, s:i, s:i, s:i}}",
	    "op", r->op ? r->op : "?", "layout", jstr(r->layout),
	    "current", r->current[0] ? json_string(r->current) : json_null(),
	    "counts", "pending", r->npending, "applied", r->napplied,
	    "dirty", r->ndirty, "drift", r->ndrift, "missing", r->nmissing,
	    "out_of_order", r->nooo);
	rows = json_array();
	steps = json_array();
	lint = json_array();
	files = json_array();
	if (!o || !rows || !steps || !lint || !files) {
		json_decref(o);
		json_decref(rows);
		json_decref(steps);
		json_decref(lint);
		json_decref(files);
		return NULL;
	}
	/*
	 * The whole folder is what status, list and validate are for; the
	 * operations that change things report their steps, the counts and
	 * the current version (1000 rows made an empty up 190 kB of JSON).
	 */
	for (i = 0; lists_rows(r->op) && i < r->nrows; i++)
		json_array_append_new(rows, row_json(&r->rows[i]));
	for (i = 0; i < r->nsteps; i++)
		json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:I, "
		    "s:i}", "version", r->steps[i].version, "name",
		    r->steps[i].name, "action", r->steps[i].action,
		    "duration_ms", (json_int_t)r->steps[i].duration_ms,
		    "statements", r->steps[i].statements));
	for (i = 0; i < r->lint.n; i++)
		json_array_append_new(lint, lint_json(&r->lint.v[i]));
	for (i = 0; i < 3; i++)
		if (r->paths[i])
			json_array_append_new(files, json_string(r->paths[i]));
	json_object_set_new(o, "migrations", rows);
	json_object_set_new(o, "steps", steps);
	json_object_set_new(o, "lint", lint);
	json_object_set_new(o, "files", files);
	if (r->notice)
		json_object_set_new(o, "notice", json_string(r->notice));
	return o;
}

const char *
migrate_state_name(enum mig_state s)
{
	switch (s) {
	case MIG_APPLIED: return "applied";
	case MIG_DIRTY: return "dirty";
	case MIG_MISSING: return "missing";
	default: return "pending";
	}
}
