/*
 * catalog.h - the live database -> the actual schema.
 *
 * catalog_load() reads schemas and extensions, enum types and domains,
 * tables and sequences, columns, constraints and indexes with a fixed
 * number of bulk catalog queries (CATALOG_QUERIES)
 * whatever the number of tables, limited to the schemas listed (the
 * schemas the models use; NULL: every user schema).  A column of an enum
 * type is named "schema.enum" (is_enum) when that enum is in one of those
 * schemas, like every enum a model may use.  Result: *out, the caller's
 * (schema_free()).
 *
 * catalog_send() + catalog_recv() are the same in two halves: the queries
 * go out at once in libpq pipeline mode and the server works on them while
 * the caller does something else (tier 1 loads the models meanwhile).
 * Nothing else may use the connection in between.
 */
#ifndef MIGRATE_CATALOG_H
#define MIGRATE_CATALOG_H

#include "db.h"
#include "err.h"
#include "schema.h"

#define CATALOG_QUERIES	6

int	catalog_load(struct db *, char *const *schemas, struct schema **out,
	    struct merr *);
int	catalog_send(struct db *, char *const *schemas, struct merr *);
int	catalog_recv(struct db *, struct schema **out, struct merr *);

/*
 * Fill tbl->rows (1 has rows, 0 empty) for the tables of actual named in
 * which (pairs "schema", "table", ..., NULL): one query for all of them.
 */
int	catalog_probe_rows(struct db *, struct schema *actual,
	    char *const *which, struct merr *);

#endif
