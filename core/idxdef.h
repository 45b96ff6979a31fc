/*
 * idxdef.h - the options of an index key (collation, operator class,
 * order, nulls order) in the spelling pg_get_indexdef() prints after the
 * key: `COLLATE "C" text_pattern_ops DESC NULLS LAST`, "" for the
 * defaults.  The catalog reads them out of pg_get_indexdef()'s text, the
 * model writes them from its fields, and the planner compares the two
 * spellings token by token (quotes and a pg_catalog or public schema
 * prefix do not count).
 *
 * Ownership: every char * and char ** returned is malloc'd and the
 * caller's (free(), schema_strv_free()).
 */
#ifndef MIGRATE_IDXDEF_H
#define MIGRATE_IDXDEF_H

#include <stddef.h>

/* What idxdef_split() puts for every key of a definition it cannot read
 * (never equal to anything a model says). */
#define IDXDEF_UNREAD	"(options not read)"

/*
 * def: pg_get_indexdef(oid, 0, true), or NULL when the catalog knows
 * that every key has the defaults; method: the access method; keys: the
 * key texts as the catalog names them (column names, expressions as
 * pg_get_indexdef(oid, k, true) prints them).  *opts gets one string per
 * key, or NULL when every key has the defaults.  Returns 0, or -1 when
 * out of memory.
 */
int	 idxdef_split(const char *def, const char *method, char *const *keys,
	    char ***opts);

/*
 * The options of one key as pg_get_indexdef() prints them: collation and
 * opclass may be NULL (default), desc 0/1, nulls 0 (the default for the
 * order), 'f' (first) or 'l' (last).  Returns NULL when out of memory.
 */
char	*idxdef_format(const char *collation, const char *opclass, int desc,
	    char nulls);

/*
 * The collation and operator class of one key's options (either NULL
 * when not said), unquoted, without a pg_catalog or public prefix and
 * without operator class parameters.  0, or -1 when out of memory.
 */
int	 idxdef_parts(const char *opts, char **collation, char **opclass);

/* 1 when two option strings say the same (NULL counts as ""). */
int	 idxdef_equal(const char *a, const char *b);
/* The same over all n keys of two lists (a NULL list: all defaults). */
int	 idxdef_equalv(char *const *a, char *const *b, size_t n);

#endif
