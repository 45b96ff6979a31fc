/*
 * schema.h - an in-memory database schema: the desired one (from the YAML
 * models, core/model.h) or the actual one (from the catalogs,
 * core/catalog.h), in one canonical form so that core/plan.h can compare
 * the two field by field.
 *
 * Canonical forms:
 *   - types are spelled as PostgreSQL's format_type() prints them
 *     ("integer", "character varying(20)", "timestamp with time zone",
 *     "numeric(10,2)", "text[]"); an enum type is "schema.name" with
 *     is_enum set (plus "[]" for an array of it);
 *   - expressions (defaults, checks, index expressions and predicates) are
 *     kept as SQL text; schema_expr_equal() compares two of them through
 *     libpg_query parse trees with PostgreSQL's own decorations (implicit
 *     casts, pg_catalog prefixes, LIKE spelled ~~, IN spelled = ANY)
 *     removed;
 *   - constraint and index names are always explicit (the model derives
 *     PostgreSQL's default names, see schema_default_name()).
 *
 * Ownership: a struct schema owns every string and array it points to;
 * schema_free() releases all of it.  Pointers returned by the find
 * functions are borrowed from the schema.  schema_find_table() keeps a
 * hash index in the schema up to date (a cache; not thread-safe: one
 * schema, one thread at a time).
 */
#ifndef MIGRATE_SCHEMA_H
#define MIGRATE_SCHEMA_H

#include <stddef.h>

#include "err.h"

/* PostgreSQL's longest identifier in bytes (NAMEDATALEN - 1). */
#define SCH_NAME_MAX	63

/* Where a model item was written (file:line:col), for errors. */
struct sch_pos {
	const char	*file;		/* borrowed from schema->files */
	int		 line, col;
};

struct sch_column {
	char		*name;
	char		*type;		/* canonical, see above */
	int		 is_enum;	/* type names an enum (schema.name) */
	int		 is_domain;	/* type names a domain (schema.name) */
	int		 ext_type;	/* model: a type that is neither built
					   in nor modelled (an extension's):
					   checked against the database */
	int		 notnull;
	char		 identity;	/* 'a' ALWAYS, 'd' BY DEFAULT, 0: none */
	char		*def;		/* default expression or NULL */
	/*
	 * serial: the column draws its default from a sequence it owns
	 * (what serial / bigserial / smallserial make).  Model: said as the
	 * type (type is then the integer type, def NULL).  Catalog: set
	 * when the default calls nextval() and a sequence is OWNED BY the
	 * column (serial_seq names it, schema.name).
	 */
	int		 serial;
	char		*serial_seq;	/* catalog: the owned sequence */
	/* model, serial: its sequence's options (`sequence:`), the rest
	   PostgreSQL's defaults for the type (model_resolve()) */
	struct sch_sequence *seq;
	char		*generated;	/* GENERATED ALWAYS AS (expr) STORED */
	char		*collation;	/* not the type's default: its name
					   ("C", "pg_catalog.C" as "C") */
	char		*comment;	/* NULL: none */
	char		*was;		/* model: former name (rename hint) */
	int		 num;		/* catalog: attnum */
	struct sch_pos	 pos;
};

enum sch_con_kind {
	SCH_PK = 'p', SCH_UNIQUE = 'u', SCH_FK = 'f', SCH_CHECK = 'c',
	SCH_EXCLUDE = 'x',	/* catalog only: the models cannot say it */
};

struct sch_constraint {
	enum sch_con_kind kind;
	char		*name;
	char		**cols;		/* NULL-terminated (not for checks) */
	char		*ref_schema;	/* FK */
	char		*ref_table;
	char		**ref_cols;	/* NULL-terminated; model: may be NULL */
	char		 on_delete;	/* pg_constraint letters: a r c n d */
	char		 on_update;
	char		*expr;		/* check expression */
	int		 valid;		/* catalog: convalidated */
	int		 deferrable;	/* DEFERRABLE (not for checks) */
	int		 deferred;	/* INITIALLY DEFERRED */
	char		 match;		/* FK: 'f' FULL, 'p' PARTIAL, 0 SIMPLE */
	char		**include;	/* unique, PK: INCLUDE columns */
	int		 nulls_not_distinct;	/* unique: NULLS NOT DISTINCT */
	struct sch_pos	 pos;
};

struct sch_index {
	char		*name;
	int		 unique;
	char		*method;	/* btree gin gist brin hash ... */
	char		**keys;		/* column names or expressions */
	/*
	 * Per key, its options as pg_get_indexdef() spells them after the
	 * key ("COLLATE \"C\" text_pattern_ops DESC NULLS LAST", "" for
	 * the defaults; see core/idxdef.h); as long as keys, or NULL when
	 * every key has the defaults.
	 */
	char		**opts;
	char		**include;	/* INCLUDE columns, NULL: none */
	int		 nulls_not_distinct;
	char		*where;		/* partial index predicate or NULL */
	char		**storage;	/* WITH (...): "name=value"s (relopts.h) */
	char		*comment;
	int		 valid;		/* catalog: indisvalid */
	struct sch_pos	 pos;
};

struct sch_table {
	char		*schema;
	char		*name;
	char		*comment;
	struct sch_column *cols;
	size_t		 ncols;
	struct sch_constraint *cons;
	size_t		 ncons;
	struct sch_index *idx;
	size_t		 nidx;
	int		 rows;		/* catalog: 1 has rows, 0 empty, -1 unknown */
	/* catalog: 'p' partitioned (PARTITION BY), 'c' a partition of
	   another table (neither is modelled: refused), 0 a plain table */
	char		 partition;
	/* ROW LEVEL SECURITY: 0 off, 1 enabled, 2 enabled and forced */
	int		 rls;
	int		 unlogged;	/* CREATE UNLOGGED TABLE */
	char		**storage;	/* WITH (...): "name=value"s (relopts.h) */
	struct sch_pos	 pos;
};

struct sch_enum {
	char		*schema;
	char		*name;
	char		**labels;	/* NULL-terminated, in sort order */
	struct sch_pos	 pos;
};

/* CREATE EXTENSION: database-wide, not per schema. */
struct sch_extension {
	char		*name;
	char		*schema;	/* model: NULL unless said */
	char		*version;	/* model: NULL unless said */
	struct sch_pos	 pos;
};

/*
 * A sequence.  Model: the values said, the rest PostgreSQL's defaults
 * (filled in by model_resolve(), so both sides carry every value).
 * owned_by: "schema.table.column" for a sequence a column owns (OWNED
 * BY: a serial column's in the catalog, never drift on its own; the
 * model's 'owned_by', in the sequence's schema as PostgreSQL requires;
 * owned_pos is where the model says it).
 */
struct sch_sequence {
	char		*schema;
	char		*name;
	char		*type;		/* smallint, integer, bigint */
	long long	 start, increment, min, max, cache;
	int		 cycle;
	int		 unlogged;	/* catalog: an UNLOGGED sequence */
	unsigned	 said;		/* model: 1 << S_* of what was said */
	char		*owned_by;
	struct sch_pos	 pos, owned_pos;
};

/* A domain check: its name and expression (VALUE for the value). */
struct sch_dcheck {
	char		*name;
	char		*expr;
};

struct sch_domain {
	char		*schema;
	char		*name;
	char		*type;		/* base type, canonical */
	int		 base_enum;	/* the base type is an enum */
	int		 base_ext;	/* model: an extension's type */
	int		 notnull;
	char		*def;
	char		*collation;	/* not the base type's default */
	struct sch_dcheck *checks;
	size_t		 nchecks;
	struct sch_pos	 pos;
};

/*
 * A desired-state SQL object (models/README.md, "SQL objects"): a view,
 * materialized view, function, procedure, trigger or policy, written as
 * SQL in a model file.
 *
 * Model: sql is the statement as written and the offsets say where its
 * parts are (core/sqlobj.h spells it CREATE OR REPLACE, or under another
 * name to canonicalise it).  Catalog: the canonical fields, as
 * PostgreSQL prints them.  The canonical fields of a model view or
 * function are filled by core/sqlcanon.h (the server's own deparse of the
 * model's statement) when the database has an object of that name.
 */
enum sch_obj_kind {
	SCH_VIEW = 'v', SCH_MATVIEW = 'm', SCH_FUNCTION = 'f',
	SCH_PROCEDURE = 'p', SCH_TRIGGER = 't', SCH_POLICY = 'y',
	/* catalog only, the models cannot say them: always drift */
	SCH_RULE = 'r', SCH_AGGREGATE = 'a',
};

struct sch_object {
	char		 kind;		/* enum sch_obj_kind */
	char		*schema;	/* trigger, policy: the table's */
	char		*name;		/* trigger, policy: its own name */
	char		*table;		/* trigger, policy: its table */
	/* model */
	char		*sql;		/* the statement as written */
	/* the file's SET search_path before it, as SQL ("a", "b"), or NULL:
	   unqualified names in sql resolve through it */
	char		*path;
	size_t		 kw_off;	/* the word after CREATE [OR REPLACE] */
	size_t		 name_off, name_end;	/* view, function: its name */
	size_t		 as_off, query_end;	/* matview: its query */
	char		**deps;		/* view: relations it reads; trigger:
					   its function ("schema.name");
					   function: the types it takes and
					   returns, "schema.name" or "name" */
	/* canonical: catalog, or model once canonicalised */
	char		*ident;		/* function: identity arguments */
	char		*args;		/* function: arguments, defaults */
	char		*result;	/* function: pg_get_function_result */
	/* view: pg_get_viewdef; function: pg_get_functiondef after the
	   signature; trigger: pg_get_triggerdef (catalog only) */
	char		*def;
	char		*cols;		/* view: [[name, type, collation]] */
	char		*opts;		/* view: reloptions, JSON or NULL */
	char		*canon_err;	/* model: why it could not be */
	/* model: the server's error when the statement was tried before
	   the plan runs (a new view or routine, a LANGUAGE sql body with
	   check_function_bodies on), "... at file:line:col" */
	char		*try_err;
	/* view, function: COMMENT ON (model: a statement after it; catalog:
	   obj_description()), NULL: none */
	char		*comment;
	int		 canon;		/* model: canonical fields are set */
	char		 enabled;	/* trigger: tgenabled (catalog) */
	unsigned long	 oid;		/* catalog: the object's oid */
	/* policy */
	char		 cmd;		/* '*' all, r a w d */
	int		 permissive;
	char		**roles;	/* names, "public" */
	char		*qual;		/* USING, or NULL */
	char		*check;		/* WITH CHECK, or NULL */
	/* model: the server found qual, check the same as the catalog's */
	int		 same_qual, same_check;
	struct sch_pos	 pos;
};

struct schema {
	char		**schemas;	/* NULL-terminated, may be NULL */
	struct sch_extension *exts;
	size_t		 nexts;
	struct sch_sequence *seqs;
	size_t		 nseqs;
	struct sch_domain *domains;
	size_t		 ndomains;
	struct sch_table *tables;
	size_t		 ntables;
	struct sch_enum	*enums;
	size_t		 nenums;
	struct sch_object *objs;	/* in the order the models give them */
	size_t		 nobjs;
	char		**files;	/* model files, for sch_pos */
	/* schema_find_table()'s hash index: slot -> table index + 1 */
	size_t		*tindex;
	size_t		 tindex_cap, tindex_n;
};

struct schema	*schema_new(void);
void		 schema_free(struct schema *);

/* Appenders: return the new zeroed element (owned by the parent) or NULL. */
struct sch_table	*schema_add_table(struct schema *, const char *sch,
			    const char *name);
struct sch_enum		*schema_add_enum(struct schema *, const char *sch,
			    const char *name);
struct sch_extension	*schema_add_extension(struct schema *, const char *);
struct sch_sequence	*schema_add_sequence(struct schema *, const char *sch,
			    const char *name);
struct sch_domain	*schema_add_domain(struct schema *, const char *sch,
			    const char *name);
struct sch_object	*schema_add_object(struct schema *, char kind,
			    const char *sch, const char *name,
			    const char *table);
struct sch_dcheck	*schema_add_dcheck(struct sch_domain *,
			    const char *name, const char *expr);
struct sch_column	*schema_add_column(struct sch_table *, const char *);
struct sch_constraint	*schema_add_constraint(struct sch_table *,
			    enum sch_con_kind, const char *name);
struct sch_index	*schema_add_index(struct sch_table *, const char *);
int			 schema_add_schema(struct schema *, const char *);
/* Remove element i, freeing what it owns; later elements move down one
 * (pointers to them are no longer valid). */
void			 schema_remove_table(struct schema *, size_t i);
void			 schema_remove_column(struct sch_table *, size_t i);
void			 schema_remove_constraint(struct sch_table *, size_t i);
void			 schema_remove_index(struct sch_table *, size_t i);
void			 schema_remove_sequence(struct schema *, size_t i);
void			 schema_remove_domain(struct schema *, size_t i);
/* Keep a copy of a file name for sch_pos; returns the copy. */
const char		*schema_add_file(struct schema *, const char *);

struct sch_table	*schema_find_table(const struct schema *,
			    const char *sch, const char *name);
struct sch_enum		*schema_find_enum(const struct schema *,
			    const char *sch, const char *name);
struct sch_extension	*schema_find_extension(const struct schema *,
			    const char *);
struct sch_sequence	*schema_find_sequence(const struct schema *,
			    const char *sch, const char *name);
struct sch_domain	*schema_find_domain(const struct schema *,
			    const char *sch, const char *name);
/* An object of kind (a function: the first of that name; table for a
 * trigger or policy, else NULL) */
struct sch_object	*schema_find_object(const struct schema *, char kind,
			    const char *sch, const char *name,
			    const char *table);
/* A function or procedure of that name and identity arguments. */
struct sch_object	*schema_find_routine(const struct schema *,
			    const char *sch, const char *name,
			    const char *ident);
/* Free every object (schema_free() does it). */
void			 schema_objects_free(struct schema *);
struct sch_column	*schema_find_column(const struct sch_table *,
			    const char *);
struct sch_constraint	*schema_find_constraint(const struct sch_table *,
			    const char *);
struct sch_constraint	*schema_find_pk(const struct sch_table *);
struct sch_index	*schema_find_index(const struct sch_table *,
			    const char *);
int			 schema_has_schema(const struct schema *,
			    const char *);
/* 1 when s names nothing at all: no schema, extension or object. */
int			 schema_is_empty(const struct schema *);

/*
 * Canonical spelling of a built-in type as format_type() prints it
 * ("varchar(20)" -> "character varying(20)", "int4[]" -> "integer[]").
 * Returns 0 and a malloc'd string in *out, or -1 (with a message in e)
 * when the type is not a known built-in type; the caller may then try
 * an enum.  *is_array tells whether "[]" was given.
 */
int	schema_type_canon(const char *type, char **out, int *is_array,
	    struct merr *);
/*
 * A type that is not built in, as format_type() prints it when its
 * schema is on the search path: parsed by libpg_query, names lower-cased
 * unless quoted, a "public." prefix dropped, typmods and "[]" kept
 * ("Public.CITEXT" -> "citext", "vector(3)").  -1 (message in e) when it
 * is not a type name.
 */
int	schema_type_other(const char *type, char **out, struct merr *);

/*
 * 1 when two expressions mean the same once PostgreSQL's decorations are
 * removed, 0 when they differ.  Identical strings are equal without
 * parsing.  An expression libpg_query cannot parse compares as text.
 */
int	schema_expr_equal(const char *a, const char *b);
/*
 * 1 when expr is a constant: literals, casts and operators only (no
 * function call, column, subquery or parameter), so that evaluating it has
 * no side effect.
 */
int	schema_expr_is_constant(const char *expr);
/*
 * Append to *out (once each) the functions expr calls, as written:
 * "name" or "schema.name" (libpg_query's FuncCall nodes; SQL syntax
 * such as EXTRACT or SUBSTRING ... FROM appears as its pg_catalog
 * function).  An expression that does not parse adds nothing.  -1: out
 * of memory.
 */
int	schema_expr_funcs(const char *expr, char ***out);
/*
 * The relations expr names as text: 'x'::regclass, and the first argument
 * of nextval(), currval() and setval() ("x" or "s.x", as written).
 */
int	schema_expr_relations(const char *expr, char ***out);
/* The same for the statements of sql (a view's query, ...). */
int	schema_sql_funcs(const char *sql, char ***out);
/*
 * The parse tree of the one statement sql, cleaned as expressions are for
 * schema_expr_equal(), as compact JSON text (malloc'd), or NULL when it
 * does not parse.  fix, when not NULL, first adjusts the statement's node
 * ({"CreateTrigStmt": {...}}) in place, with arg.
 */
struct json_t;
char	*schema_stmt_canon(const char *sql, void (*fix)(struct json_t *,
	    const void *), const void *arg);
/* Check that expr parses as an SQL expression; error with its message. */
int	schema_expr_check(const char *expr, struct merr *);

/*
 * A memo of expressions already parsed, so that the same text (now(),
 * '{}', a check repeated on many tables) is parsed once per load or plan.
 * The memo owns its copies; schema_memo_free() releases them.
 */
struct sch_memo;
struct sch_memo	*schema_memo_new(void);
void		 schema_memo_free(struct sch_memo *);
/* schema_expr_equal() and schema_expr_check() through a memo (may be
 * NULL: no memo). */
int	schema_expr_equal_memo(struct sch_memo *, const char *a,
	    const char *b);
int	schema_expr_check_memo(struct sch_memo *, const char *expr,
	    struct merr *);

/*
 * PostgreSQL's default name for a constraint or index (truncated to 63
 * bytes): table_pkey, table_a_b_key, table_a_fkey, table_a_check,
 * table_a_b_idx.  suffix: "pkey", "key", "fkey", "check", "idx".
 * Returns a malloc'd string.
 */
char	*schema_default_name(const char *table, char *const *cols,
	    const char *suffix);
/* PostgreSQL's name for serial column col's sequence: table_col_seq, cut
   to 63 bytes as makeObjectName() cuts it (malloc'd, NULL: no memory). */
char	*schema_serial_seq_name(const char *table, const char *col);

/* Helpers for NULL-terminated string lists. */
size_t	 schema_strv_len(char *const *);
int	 schema_strv_equal(char *const *, char *const *);
char	**schema_strv_dup(char *const *);
void	 schema_strv_free(char **);
/* Append a copy of s; returns 0 or -1 (out of memory). */
int	 schema_strv_push(char ***, const char *);

#endif
