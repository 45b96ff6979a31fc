/*
 * migset.h - a migrations folder as an ordered list of migrations.
 *
 * Three layouts are read, one per folder:
 *   native        YYYYMMDD[_HHMMSS]_name.sql, ..._name_rollback.sql and an
 *                 optional ..._name.md (the documentation of the change)
 *   golang        NNNN_name.up.sql / NNNN_name.down.sql (golang-migrate)
 *   single        NNNN_name.sql with "-- +++++ UP" and "-- +++++ DOWN"
 *                 sections (either version style)
 * A folder that mixes layouts, or holds a .sql file that fits none, is an
 * error naming the files.  Dot files are ignored.
 *
 * migset_load() reads every file and its SHA-256 (cheap: status needs no
 * parse); migset_prepare() parses one migration with libpg_query: splits
 * it into statements (pg_query_split_with_parser, never by ';'), parses
 * each (pg_query_parse JSON, kept for the statement types lint and the
 * runner read), reads the "-- migrated:"
 * directives and decides the transaction mode.  Parse errors carry file,
 * line and column.
 *
 * Ownership: a struct migset owns everything reachable from it; pointers
 * returned by migset_find() are borrowed until migset_release().
 */
#ifndef MIGRATE_MIGSET_H
#define MIGRATE_MIGSET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "err.h"

#define MIG_VERSION_MAX	32
#define MIG_SHA256_HEX	65

enum mig_layout {
	MIG_LAYOUT_EMPTY = 0,	/* no migrations at all */
	MIG_LAYOUT_NATIVE,
	MIG_LAYOUT_GOLANG,
	MIG_LAYOUT_SINGLE,
};

enum mig_txmode {
	MIG_TX_ONE = 0,		/* one transaction with its tracking row */
	MIG_TX_NONE,		/* statement by statement, autocommit */
	MIG_TX_EXPLICIT,	/* the file's own BEGIN/COMMIT, not nested */
};

enum mig_stmt_kind {
	MIG_STMT_PLAIN = 0,
	MIG_STMT_NOTX,		/* cannot run in a transaction block */
	MIG_STMT_TXCTL,		/* BEGIN / COMMIT / ROLLBACK ... */
	MIG_STMT_BATCH,		/* UPDATE marked "-- migrated:batch" */
};

/*
 * One statement; a file of a million INSERTs holds a million of these,
 * so it stays small: the text is not copied and most trees are not kept.
 */
struct mig_stmt {
	char		*sql;		/* the statement text, NUL-terminated
					   inside its script's text (borrowed
					   from mig_script.text) */
	char		*tree;		/* pg_query_parse JSON (owned) of the
					   types read after parsing, else NULL:
					   use mig_stmt_tree() */
	char		*nolint;	/* "rule rule": silenced lint rules */
	int		 line;		/* 1-based position of sql's first */
	int		 col;		/*   character in the file */
	enum mig_stmt_kind kind;
	int		 batch_size;	/* MIG_STMT_BATCH: rows per batch */
	long		 batch_pause_ms; /* -1: the configured pause */
};

/* One direction (forward or rollback) of a migration. */
struct mig_script {
	char		*path;		/* NULL: no such script */
	char		*text;		/* file text; for the single layout
					   the other section is blanked.  Once
					   parsed it holds the statements: each
					   ';' that ends one is a NUL */
	int		 parsed;
	/* borrowed: parsing stops (MERR_STATE) once *stop is set; NULL */
	volatile sig_atomic_t *stop;
	size_t		 window;	/* bytes split at once; 0: 1 MiB
					   (tests and fuzzing set it small) */
	struct mig_stmt	*stmts;
	size_t		 nstmts;
	enum mig_txmode	 tx;
	long		 lock_timeout_ms;	/* -1: configured */
	long		 statement_timeout_ms;	/* -1: configured */
	long		 lock_retries;		/* -1: configured */
};

struct migration {
	char		 version[MIG_VERSION_MAX];	/* as in the name */
	uint64_t	 order;		/* sort key (timestamps padded) */
	char		*name;		/* the description part */
	char		*id;		/* version_name, the file stem */
	char		 checksum[MIG_SHA256_HEX];	/* forward file */
	char		*doc_path;	/* native .md, or NULL */
	struct mig_script up;
	struct mig_script down;
};

/* What the folder looked like when loaded: name, mtime, size, inode. */
struct mig_stamp {
	char		*name;
	long long	 mtime_ns;
	long long	 size;
	unsigned long long ino;
};

struct migset {
	char		*dir;
	enum mig_layout	 layout;
	struct migration *v;		/* sorted by order */
	size_t		 n;
	struct mig_stamp *stamps;	/* sorted by name */
	size_t		 nstamps;
};

int	migset_load(struct migset *, const char *dir, struct merr *);
void	migset_release(struct migset *);
/*
 * Keep a loaded set current: stat every file of dir (no read) and reload
 * only when a name, size, mtime or inode changed or dir is another folder
 * (then what was parsed is parsed again).  On error the old set is kept.
 * An empty (zeroed) set is simply loaded.  *changed may be NULL.
 */
int	migset_refresh(struct migset *, const char *dir, int *changed,
	    struct merr *);
/*
 * Parse m's forward script (once); errors carry file:line:col.  The
 * rollback is parsed only when it is about to run (migset_prepare_down):
 * a broken rollback that nobody runs must not block forward work.
 */
int	migset_prepare(struct migration *, struct merr *);
int	migset_prepare_down(struct migration *, struct merr *);
/* Parse every forward script; stops at the first error. */
int	migset_prepare_all(struct migset *, struct merr *);

/* Find by version, with or without the '_' of YYYYMMDD_HHMMSS. */
struct migration *migset_find(const struct migset *, const char *version);
/* The sort key of a version string; -1 when it is not a version. */
int	migset_order(const char *version, uint64_t *order);
const char *migset_layout_name(enum mig_layout);
const char *migset_txmode_name(enum mig_txmode);

/*
 * st's parse tree as jansson (new reference, NULL on failure): its kept
 * JSON, or st->sql parsed again when none was kept.
 */
json_t	*mig_stmt_tree(const struct mig_stmt *st);

/* Parse one script held in memory (tests, tools): path names errors. */
int	migset_parse_text(struct mig_script *, const char *path,
	    const char *text, struct merr *);
void	migset_script_release(struct mig_script *);

/*
 * The objects a parsed script creates or changes, as PostgreSQL names
 * them (an unqualified name is in defschema; an index in its table's
 * schema):
 *   "table"       schema.table        CREATE TABLE
 *   "column"      schema.table.column CREATE TABLE, ADD COLUMN
 *   "default"     schema.table.column column DEFAULT, SET DEFAULT
 *   "constraint"  schema.table.name   named constraints (CREATE TABLE,
 *                                     ADD CONSTRAINT); a named primary
 *                                     key, unique or exclusion
 *                                     constraint also owns its "index"
 *   "index"       schema.name         CREATE INDEX name
 *   "type"        schema.name         CREATE TYPE ... AS ENUM
 *   "enum value"  schema.name         ALTER TYPE ... ADD VALUE (detail =
 *                                     the label)
 *   "comment"     schema.table[.col]  COMMENT ON ... IS '...' (or the
 *                                     path of the object commented)
 * Not seen: names PostgreSQL makes up (an index or constraint without a
 * name) and statements inside DO blocks or functions.
 * Ownership: out owns its strings; migset_objects_release().
 */
struct mig_object {
	char	*kind;
	char	*target;
	char	*detail;	/* "enum value": the label; else NULL */
};

struct mig_objects {
	struct mig_object *v;
	size_t		 n;
};

int	migset_objects(const struct mig_script *, const char *defschema,
	    struct mig_objects *out, struct merr *);
void	migset_objects_release(struct mig_objects *);

/*
 * create: write VERSION_NAME.sql, VERSION_NAME_rollback.sql and
 * VERSION_NAME.md into dir from the template (dir/.template.md when it
 * exists, else the built-in one), VERSION = now as YYYYMMDD_HHMMSS UTC.
 * The name must match [a-z0-9_]{1,80} (no separators, no ".."); no
 * existing file is ever overwritten (O_EXCL).  paths[3] receive the file
 * names written (caller frees each).
 */
int	migset_create(const char *dir, const char *name, time_t now,
	    char *paths[3], struct merr *);

#endif
