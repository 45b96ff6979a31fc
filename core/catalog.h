/*
 * catalog.h - the live database -> the actual schema.
 *
 * catalog_load() reads schemas and extensions, SQL objects, enum types
 * and domains, tables and sequences, columns, constraints and indexes
 * with a fixed number of bulk catalog queries (CATALOG_QUERIES) whatever
 * the number of tables, limited to the schemas listed (the schemas the
 * models use; NULL: every user schema; an empty list: none, and then only
 * the first query goes out, for the extensions).  A column of an enum
 * type is named "schema.enum" (is_enum) when that enum is in one of those
 * schemas, like every enum a model may use.  Result: *out, the caller's
 * (schema_free()).
 *
 * Two round trips, the queries of each at once in libpq pipeline mode:
 * the schemas and extensions with three questions (are there relations,
 * SQL objects, enums or domains in those schemas?); then the queries for
 * the kinds found (every row a query reads is of its kind or belongs to
 * one, so one whose kind is absent could only come back empty: not
 * sending it is exact).  A database with nothing in scope is one round
 * trip of two small queries.
 */
#ifndef MIGRATE_CATALOG_H
#define MIGRATE_CATALOG_H

#include "db.h"
#include "err.h"
#include "schema.h"

#define CATALOG_QUERIES	8

/*
 * SQL expressions shared with core/sqlcanon.c, so that a model object
 * and the database's read the same: the definition of function p (in
 * schema nsp, quoted) after its signature, pg_get_functiondef() less
 * "CREATE OR REPLACE FUNCTION nsp.name(arguments)"; the columns of view c
 * as JSON [[name, type, collation oid], ...].
 */
#define CATALOG_FUNC_BODY(p, nsp) \
    "substr(pg_get_functiondef(" p ".oid), length(format('CREATE OR REPLACE" \
    " %s %s.%s(%s)', CASE " p ".prokind WHEN 'p' THEN 'PROCEDURE' ELSE" \
    " 'FUNCTION' END, " nsp ", quote_ident(" p ".proname)," \
    " pg_get_function_arguments(" p ".oid))) + 1)"
#define CATALOG_VIEW_COLS(c) \
    "(SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid," \
    " a.atttypmod), a.attcollation) ORDER BY a.attnum) FROM pg_attribute a" \
    " WHERE a.attrelid = " c ".oid AND a.attnum > 0 AND" \
    " NOT a.attisdropped)::text"

int	catalog_load(struct db *, char *const *schemas, struct schema **out,
	    struct merr *);

/*
 * Fill tbl->rows (1 has rows, 0 empty) for the tables of actual named in
 * which (pairs "schema", "table", ..., NULL): one query for all of them.
 */
int	catalog_probe_rows(struct db *, struct schema *actual,
	    char *const *which, struct merr *);

#endif
