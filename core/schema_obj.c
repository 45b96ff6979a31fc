/*
 * schema_obj.c - the SQL objects of a schema (views, functions, triggers,
 * policies: struct sch_object in schema.h): add, find, free.
 */
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* Views and materialized views share a name space, as do functions and
 * procedures. */
static char
obj_space(char kind)
{
	return kind == SCH_MATVIEW ? SCH_VIEW : kind == SCH_PROCEDURE ?
	    SCH_FUNCTION : kind;
}

static void
obj_release(struct sch_object *o)
{
	free(o->schema);
	free(o->name);
	free(o->table);
	free(o->sql);
	free(o->path);
	schema_strv_free(o->deps);
	free(o->ident);
	free(o->args);
	free(o->result);
	free(o->def);
	free(o->cols);
	free(o->opts);
	free(o->canon_err);
	free(o->try_err);
	free(o->comment);
	schema_strv_free(o->roles);
	free(o->qual);
	free(o->check);
}

void
schema_objects_free(struct schema *s)
{
	for (size_t i = 0; i < s->nobjs; i++)
		obj_release(&s->objs[i]);
	free(s->objs);
	s->objs = NULL;
	s->nobjs = 0;
}

struct sch_object *
schema_add_object(struct schema *s, char kind, const char *sch,
    const char *name, const char *table)
{
	struct sch_object *v, *o;

	if ((v = realloc(s->objs, (s->nobjs + 1) * sizeof(*v))) == NULL)
		return NULL;
	s->objs = v;
	o = &v[s->nobjs++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->permissive = 1;
	o->cmd = '*';
	o->enabled = 'O';
	if ((o->schema = strdup(sch)) == NULL ||
	    (o->name = strdup(name)) == NULL ||
	    (table && (o->table = strdup(table)) == NULL))
		return NULL;
	return o;
}

struct sch_object *
schema_find_object(const struct schema *s, char kind, const char *sch,
    const char *name, const char *table)
{
	for (size_t i = 0; i < s->nobjs; i++) {
		struct sch_object *o = &s->objs[i];

		if (obj_space(o->kind) == obj_space(kind) &&
		    !strcmp(o->schema, sch) && !strcmp(o->name, name) &&
		    (table == NULL || (o->table && !strcmp(o->table, table))))
			return o;
	}
	return NULL;
}

struct sch_object *
schema_find_routine(const struct schema *s, const char *sch,
    const char *name, const char *ident)
{
	for (size_t i = 0; i < s->nobjs; i++) {
		struct sch_object *o = &s->objs[i];

		if (obj_space(o->kind) == SCH_FUNCTION && o->ident &&
		    !strcmp(o->schema, sch) && !strcmp(o->name, name) &&
		    !strcmp(o->ident, ident))
			return o;
	}
	return NULL;
}
