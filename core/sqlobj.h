/*
 * sqlobj.h - the SQL of a model's SQL objects (struct sch_object in
 * schema.h): the statement that creates or replaces one, the one that
 * makes a throwaway copy to canonicalise it (core/sqlcanon.h), and the
 * comparison of triggers and view queries, which needs no server.
 *
 * Every char * returned is malloc'd and the caller's; NULL when out of
 * memory.
 */
#ifndef MIGRATE_SQLOBJ_H
#define MIGRATE_SQLOBJ_H

#include "schema.h"

/*
 * The model's statement under its qualified, quoted name; replace: as
 * CREATE OR REPLACE (a view, function, procedure or trigger).
 */
char	*sqlobj_create_sql(const struct sch_object *, int replace);
/*
 * A view (a materialized view as a plain view of its query) or a
 * function as pg_temp.name (name quoted as SQL): a temporary copy
 * PostgreSQL deparses the same way as the object itself; replace: a
 * routine as CREATE OR REPLACE.
 */
char	*sqlobj_temp_sql(const struct sch_object *, const char *name,
	    int replace);
/* "schema.name", or "schema.table.name" for a trigger or policy. */
char	*sqlobj_target(const struct sch_object *);
/* "view", "materialized view", "function", ... */
const char *sqlobj_kind_name(char kind);
/*
 * 1 when model trigger w and catalog trigger h are the same trigger:
 * the model's statement and pg_get_triggerdef() compared as parse trees
 * (unqualified table and function names are in public, WHEN compared as
 * expressions are), and h enabled as CREATE TRIGGER leaves it.
 */
int	 sqlobj_trigger_equal(const struct sch_object *w,
	    const struct sch_object *h);
/*
 * 1 when two view queries as pg_get_viewdef() prints them are the same:
 * equal, or the same parse tree but for the output names of a set
 * operation's later arms, which name nothing (PostgreSQL prints
 * "NULL::integer" there without a name, and names it "int4" when that
 * text is parsed again).
 */
int	 sqlobj_viewdef_equal(const char *a, const char *b);
/*
 * The bare names of the relations, functions and types o's statement
 * names (a LANGUAGE sql function's body included; of a body in another
 * language every word, lower-cased, and quoted name), pushed onto *out
 * (schema_strv_push); 0, or -1 when out of memory.  A statement that
 * does not parse names nothing.
 */
int	 sqlobj_mentions(const struct sch_object *o, char ***out);
/*
 * The byte offset in o->sql of byte offset off of temp, a temporary copy
 * sqlobj_temp_sql() made of o (its name where temp differs from o->sql).
 */
size_t	 sqlobj_temp_offset(const struct sch_object *o, const char *temp,
	    size_t off);

#endif
