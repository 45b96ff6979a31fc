/*
 * sqlcanon.h - the model's SQL objects as PostgreSQL prints them.
 *
 * A view or function of the models is compared with the database's by
 * what the server makes of it: each model view (a materialized view as a
 * plain view of its query) or function whose name the database has is
 * created once more as a temporary copy (pg_temp.migrated_canon_N) and
 * read back with the catalog's own expressions (pg_get_viewdef, the
 * view's columns and options; pg_get_functiondef after the signature,
 * the arguments and the result: core/catalog.h).  A policy whose USING or
 * WITH CHECK expression differs from the database's as a parse tree has
 * both expressions deparsed by the server the same way (a temporary view
 * selecting each from the policy's table) and compared.  Names in the
 * bodies resolve through the connection's search_path, exactly as they
 * did for the database's objects, which the catalog read on the same
 * connection.
 *
 * A new model view or routine (one the database has no object of that
 * name of) is tried the same way when it names nothing the plan may make
 * (a table, view, function, enum, domain or sequence that have lacks, a
 * table have lacks a column of; nothing when the models add an
 * extension), and a routine's body once more with check_function_bodies
 * on: the server's error, with the file:line:col in the model it points
 * at, goes into try_err (a database routine's copy too: the plan uses it
 * only when the body changes).
 *
 * All of it runs in one transaction that is rolled back, sent at once in
 * libpq pipeline mode (one round trip), each object in a savepoint of its
 * own so that one that fails says why (check_function_bodies is off, as
 * in pg_dump, so that a function body is not checked against tables the
 * plan has yet to create).  Nothing runs when no model object has a
 * database object of its name: a database without the models' objects,
 * or models without SQL objects, cost nothing.
 */
#ifndef MIGRATE_SQLCANON_H
#define MIGRATE_SQLCANON_H

#include "db.h"
#include "err.h"
#include "schema.h"

/*
 * Fill the canonical fields of want's objects (struct sch_object: def,
 * cols, opts, ident, args, result and canon; same_qual, same_check; or
 * canon_err with the server's message; try_err) against have, read on db (idle,
 * outside a transaction); the same fields of have's views and routines
 * of those names are read again beside them, under the same search_path
 * (a model file's SET search_path changes how names print).  -1 when the
 * transaction itself fails.
 */
int	sqlcanon_run(struct db *, struct schema *want, struct schema *have,
	    long lock_ms, long stmt_ms, struct merr *);

#endif
