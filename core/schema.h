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
	int		 notnull;
	char		 identity;	/* 'a' ALWAYS, 'd' BY DEFAULT, 0: none */
	char		*def;		/* default expression or NULL */
	char		*comment;	/* NULL: none */
	char		*was;		/* model: former name (rename hint) */
	int		 num;		/* catalog: attnum */
	struct sch_pos	 pos;
};

enum sch_con_kind {
	SCH_PK = 'p', SCH_UNIQUE = 'u', SCH_FK = 'f', SCH_CHECK = 'c',
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
	struct sch_pos	 pos;
};

struct sch_enum {
	char		*schema;
	char		*name;
	char		**labels;	/* NULL-terminated, in sort order */
	struct sch_pos	 pos;
};

struct schema {
	char		**schemas;	/* NULL-terminated, may be NULL */
	struct sch_table *tables;
	size_t		 ntables;
	struct sch_enum	*enums;
	size_t		 nenums;
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
/* Keep a copy of a file name for sch_pos; returns the copy. */
const char		*schema_add_file(struct schema *, const char *);

struct sch_table	*schema_find_table(const struct schema *,
			    const char *sch, const char *name);
struct sch_enum		*schema_find_enum(const struct schema *,
			    const char *sch, const char *name);
struct sch_column	*schema_find_column(const struct sch_table *,
			    const char *);
struct sch_constraint	*schema_find_constraint(const struct sch_table *,
			    const char *);
struct sch_constraint	*schema_find_pk(const struct sch_table *);
struct sch_index	*schema_find_index(const struct sch_table *,
			    const char *);
int			 schema_has_schema(const struct schema *,
			    const char *);

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

/* Helpers for NULL-terminated string lists. */
size_t	 schema_strv_len(char *const *);
int	 schema_strv_equal(char *const *, char *const *);
char	**schema_strv_dup(char *const *);
void	 schema_strv_free(char **);
/* Append a copy of s; returns 0 or -1 (out of memory). */
int	 schema_strv_push(char ***, const char *);

#endif
