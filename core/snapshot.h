/*
 * snapshot.h - a struct schema as JSON text, and back.
 *
 * Two uses: a catalog snapshot (the live schema that catalog_load() read,
 * saved so that the planner can run with no database: golden files, a CI
 * without PostgreSQL), and the canonical print of what the model loader
 * made of a models folder.
 *
 * The format, one object:
 *   {
 *     "snapshot": 1,
 *     "schemas": ["public", ...],
 *     "extensions": [ {"name", "schema", "version"} ],
 *     "sequences": [ {"schema", "name", "type", "start", "increment",
 *                     "min", "max", "cache", "cycle", "unlogged", "owned_by"} ],
 *     "domains": [ {"schema", "name", "type", "base_enum", "not_null",
 *                   "default", "collation", "checks": [ {"name",
 *                   "expr"} ]} ],
 *     "enums": [ {"schema", "name", "labels": [...]} ],
 *     "tables": [ {"schema", "name", "comment", "rows", "partition",
 *                  "columns": [ {"name", "type", "enum", "domain",
 *                                "ext_type", "not_null", "identity",
 *                                "default", "serial", "serial_seq",
 *                                "generated", "collation", "comment",
 *                                "was", "num"} ],
 *                  "constraints": [ {"kind", "name", "columns",
 *                                "ref_schema", "ref_table", "ref_columns",
 *                                "on_delete", "on_update", "expr",
 *                                "valid", "deferrable",
 *                                "initially_deferred", "match", "include",
 *                                "nulls_not_distinct"} ],
 *                  "indexes": [ {"name", "unique", "method", "keys",
 *                                "options", "include",
 *                                "nulls_not_distinct", "where",
 *                                "valid", "storage", "comment"} ],
 *                  "row_level_security", "unlogged", "storage"} ],
 *     "objects": [ {"kind", "schema", "name", "table", "sql", "deps",
 *                   "identity_arguments", "arguments", "result",
 *                   "definition", "columns", "options", "enabled",
 *                   "command", "restrictive", "roles", "using",
 *                   "with_check"} ]
 *   }
 * with the fields of core/schema.h in their canonical forms.  kind is
 * "primary key", "unique", "foreign key" or "check"; identity "always" or
 * "by default"; on_delete/on_update "no action", "restrict", "cascade",
 * "set null" or "set default"; partition "partitioned" or "partition";
 * row_level_security "enabled" or "forced"; unlogged true when it is;
 * storage a list of "name=value" (WITH (...)); an object's kind "view",
 * "materialized view", "function", "procedure", "trigger" or "policy" and
 * its command "all", "select", "insert", "update" or "delete" (struct
 * sch_object in schema.h); sequence values always written; match "full" or "partial" ("simple" read
 * too); options one string per key in pg_get_indexdef()'s spelling ("" for
 * a plain key; core/idxdef.h); rows 1 (has rows) or 0 (empty).  Snapshots
 * written before these keys existed read the same (each is optional).
 * A field is written only when it differs from what schema_add_*()
 * gives (NULL, 0, false, an empty list, rows unknown, valid true, actions
 * "no action", match simple), and read back the same way, so format ->
 * parse -> format is the identity.  Model positions (files, pos) are not kept.  Order is the
 * schema's own (the catalog's: tables by oid, constraints and indexes by
 * name), so a snapshot of the same database reads the same.
 *
 * Ownership: snapshot_format() sets *out to a malloc'd string (free());
 * snapshot_parse() sets *out to a new schema (schema_free()), NULL on
 * error.
 */
#ifndef MIGRATE_SNAPSHOT_H
#define MIGRATE_SNAPSHOT_H

#include "err.h"
#include "schema.h"

#define SNAPSHOT_VERSION	1

int	snapshot_format(const struct schema *, char **out, struct merr *);
/*
 * Parse text (name is used in errors).  Errors are MERR_INPUT with the
 * line and column of a JSON syntax error, or the field
 * ("tables[2].columns[0].type") of a missing, mistyped or unknown key.
 */
int	snapshot_parse(const char *name, const char *text,
	    struct schema **out, struct merr *);

#endif
