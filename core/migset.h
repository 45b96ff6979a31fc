/*
 * migset.h - a migrations folder as an ordered list of migrations.
 *
 * Eleven layouts are read, one per folder, found from the names and the
 * markers in the files:
 *   native        YYYYMMDD[_HHMMSS]_name.sql, ..._name_rollback.sql and an
 *                 optional ..._name.md (the documentation of the change)
 *   golang        NNNN_name.up.sql / NNNN_name.down.sql (golang-migrate),
 *                 paired by version
 *   single        NNNN_name.sql with "-- +++++ UP" and "-- +++++ DOWN"
 *                 sections (either version style)
 *   goose         NNNN_name.sql with "-- +goose Up" / "Down" annotations,
 *                 StatementBegin/End blocks, NO TRANSACTION; beside them
 *                 NNNN_name.go, a Go migration: a version migrated
 *                 cannot run (m->code), which up stops at
 *   dbmate        NNNN_name.sql with "-- migrate:up" / "-- migrate:down"
 *                 (option transaction:false)
 *   sql-migrate   NNNN_name.sql with "-- +migrate Up" / "Down" (option
 *                 notransaction), StatementBegin/End; the version is the
 *                 file name without .sql (sql-migrate's id), ordered by
 *                 its number, then by name (two files may share a number)
 *   tern          N_name.sql, the rollback after a "---- create above /
 *                 drop below ----" line, "---- tern: disable-tx ----";
 *                 a file without them is tern's too in a tern folder
 *   node-pg-migrate  NNNN_name.sql with "-- Up Migration" / "-- Down
 *                 Migration" lines, each part in one transaction; named
 *                 and ordered as native files; once one file has a Down
 *                 line, every NNNN_name.sql is one (no markers: all up),
 *                 and NNNN_name.js/.ts/.cjs/.mjs a JavaScript migration,
 *                 which migrated cannot run (m->code)
 *   postgrator    NNN.do.name.sql / NNN.undo.name.sql, paired by version
 *                 (the name: the third dot piece only, as postgrator
 *                 reads it); NNN.do.name.js a migration in code
 *   flyway        V<ver>__desc.sql, U<ver>__desc.sql (its rollback, paired
 *                 by version), R__desc.sql (repeatable: applied again when
 *                 its checksum changes, after every version, by
 *                 description); an optional FILE.sql.conf may say
 *                 executeInTransaction=true|false
 *   pop           NNNN_name[.dialect][.autocommit].up.sql / .down.sql
 *                 (gobuffalo/pop, ory/x popx: Ory Kratos, Hydra, Keto):
 *                 a version's PostgreSQL file (.postgres.) instead of its
 *                 every-database file, other databases' files skipped, as
 *                 pop picks them; one transaction each unless
 *                 .autocommit.  A folder is pop's when a name says a
 *                 dialect or .autocommit; its plain names are pop's too.
 * A folder that mixes layouts, or holds a .sql file that fits none, is an
 * error naming the files.  Dot files are ignored.  Beside drizzle-kit's
 * journal (meta/_journal.json) only the files of its entries are read, as
 * drizzle-kit runs no other.
 *
 * Versions sort as their tool sorts them: numerically (golang-migrate,
 * goose, tern; native and single with YYYYMMDD as YYYYMMDD_000000), as strings
 * (dbmate, by file name; pop), part by part (Flyway: 1.10 > 1.9, 1.0 = 1).
 * migset_key() makes the sort key; keys compare with strcmp().
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
#include "pacer.h"

struct lint_list;

#define MIG_VERSION_MAX	128	/* a Flyway repeatable's is R__desc */
#define MIG_KEY_MAX	160
#define MIG_KEY_REPEATABLE '~'	/* first byte of a repeatable's key */
#define MIG_SHA256_HEX	65

/*
 * The layouts (and so the tools) a folder can be in.  Adoption of another
 * tool's history reads set->layout to know which table to look for.
 */
enum mig_layout {
	MIG_LAYOUT_EMPTY = 0,	/* no migrations at all */
	MIG_LAYOUT_NATIVE,
	MIG_LAYOUT_GOLANG,	/* golang-migrate */
	MIG_LAYOUT_SINGLE,
	MIG_LAYOUT_GOOSE,
	MIG_LAYOUT_DBMATE,
	MIG_LAYOUT_FLYWAY,
	MIG_LAYOUT_POP,		/* gobuffalo/pop, ory/x popx */
	MIG_LAYOUT_SQLMIGRATE,	/* rubenv/sql-migrate */
	MIG_LAYOUT_TERN,	/* jackc/tern */
	MIG_LAYOUT_NPGM,	/* salsita/node-pg-migrate */
	MIG_LAYOUT_POSTGRATOR,	/* rickbergfalk/postgrator */
	MIG_LAYOUT_PRISMA,	/* Prisma Migrate: NAME/migration.sql */
	MIG_LAYOUT_DIESEL,	/* Diesel: NAME/up.sql, NAME/down.sql */
};

/* Who decides a script's transaction mode. */
enum mig_txrule {
	MIG_TXRULE_AUTO = 0,	/* the statements (native, golang, single,
				   Flyway without a .conf) */
	MIG_TXRULE_TX,		/* the tool runs it in one transaction */
	MIG_TXRULE_NONE,	/* the tool's marker says no transaction */
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
	struct pace_spec *pace;		/* pacing options (owned), or NULL */
};

/* One direction (forward or rollback) of a migration. */
struct mig_script {
	char		*path;		/* NULL: no such script */
	size_t		 file_at;	/* path + file_at: its name in the
					   folder ("x.sql", Prisma's
					   "NAME/migration.sql") */
	char		*text;		/* file text; for the marker layouts
					   (single, goose, dbmate) all but
					   this section is blanked.  Once
					   parsed it holds the statements: the
					   ';' that ends one (or the first
					   byte of the StatementBegin or
					   StatementEnd line after it) is a
					   NUL */
	int		 parsed;
	int		 session_inert;	/* no statement can change the
					   session (mig_stmt_inert): no
					   reset after it (runner_script.c) */
	enum mig_txrule	 txrule;
	const char	*txmarker;	/* static: how the file asks for no
					   transaction ("-- +goose NO
					   TRANSACTION"), for messages */
	size_t		*blocks;	/* goose StatementBegin/End: pairs of
					   byte offsets [start, end) in text,
					   each one statement (owned); start
					   follows the StatementBegin line,
					   end is the StatementEnd line's */
	size_t		 nblocks;
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
	struct merr	*broken;	/* a rollback that did not parse: its
					   error, kept (owned), so that it is
					   parsed once and status can tell */
	struct lint_list *lint;		/* its findings once made (owned):
					   lint_keep() */
};

struct migration {
	char		 version[MIG_VERSION_MAX];	/* as in the name
					   (Flyway: '_' written '.', as
					   Flyway records it; R__desc for
					   a repeatable) */
	char		 key[MIG_KEY_MAX];	/* sort key, migset_key() */
	int		 repeatable;	/* Flyway R__: no version, re-applied
					   when its checksum changes */
	char		*name;		/* the description part */
	char		*id;		/* the file stem (golang: without
					   .up) */
	char		 checksum[MIG_SHA256_HEX];	/* forward file */
	char		 down_checksum[MIG_SHA256_HEX];	/* its rollback's,
					   "" when none (migset_refresh()) */
	char		*doc_path;	/* native .md, or NULL */
	const char	*code;		/* static: a migration in code, which
					   migrated cannot run, its language:
					   "Go" (goose's NNN_name.go),
					   "JavaScript" (node-pg-migrate's
					   .js, .ts ...); its up.text is "";
					   NULL for SQL */
	struct mig_script up;
	struct mig_script down;
};

/* A script's file as the folder names it (for messages). */
static inline const char *
mig_script_file(const struct mig_script *sc)
{
	return sc->path + sc->file_at;
}

/*
 * What the folder looked like when loaded: name, inode, size, mtime and
 * ctime.  The ctime is the kernel's (no user can set it): an edit of the
 * same size whose mtime was put back (touch -d, cp -p, tar) changes it.
 */
struct mig_stamp {
	char		*name;
	long long	 mtime_ns;
	long long	 ctime_ns;
	long long	 size;
	unsigned long long ino;
};

/*
 * migentry.c: an entry of a migrations folder (dirfd), opened with flags
 * or stat'ed, a symbolic link followed only while it stays inside the
 * folder (openat2's RESOLVE_BENEATH; a ConfigMap's files are links into a
 * hidden folder beside them).  -1 and errno: EXDEV for a link out of the
 * folder, ELOOP for any link where openat2 is missing.  mig_entry_why()
 * says it for an error message (never the link's target).
 */
struct stat;
int	mig_entry_open(int dirfd, const char *name, int flags);
int	mig_entry_stat(int dirfd, const char *name, struct stat *);
const char *mig_entry_why(int err);

/* A stamp's inode, size and times from st (its name untouched). */
void	mig_stamp_of(struct mig_stamp *, const struct stat *);
/* Does st still have stamp s's inode, size and times? */
int	mig_stamp_is(const struct mig_stamp *s, const struct stat *st);

/*
 * A file changed within the clock tick of its last stamp keeps the same
 * stamp (timestamps come from a clock that advances a few ms at a time,
 * or a second on some file systems): one whose mtime or ctime was this
 * close to the scan, or after it, is read again at the next refresh
 * (git's "racily clean" entries).
 */
#define MIG_RACY_NS	2000000000LL

struct migset {
	char		*dir;
	enum mig_layout	 layout;
	struct migration *v;		/* sorted by order */
	size_t		 n;
	struct mig_stamp *stamps;	/* sorted by name */
	size_t		 nstamps;
	long long	 scanned_ns;	/* CLOCK_REALTIME before the stamps */
	char		 digest[MIG_SHA256_HEX];	/* migset_digest()'s, "" until asked */
	int		 atlas;		/* an atlas.sum beside the files: their
					   Atlas directives are read */
	int		 drizzle;	/* a Drizzle journal, meta/_journal.json:
					   only its entries' files are read */
};

int	migset_load(struct migset *, const char *dir, struct merr *);
/*
 * May dir hold a migration: an entry whose name ends in ".sql" (no file
 * read, no name checked)?  1 also when dir cannot be read (loading it
 * says why); 0: nothing to apply there.
 */
int	migset_maybe_any(const char *dir);
/*
 * The SHA-256 (hex) of the set's (version, checksum) pairs in byte order
 * of the versions, as "version/checksum" joined by "/" (no version or
 * checksum holds a '/': they come from file names and hex digits), which
 * tracking_digest_send() has the server make of the tracking table.  Made
 * once per load, kept in s->digest.  NULL when out of memory.
 */
const char *migset_digest(struct migset *);
void	migset_release(struct migset *);
/*
 * Keep a loaded set current: stat every file of dir (no read) and reload
 * only when a name, inode, size, mtime or ctime changed, a file was racy
 * at the last scan (MIG_RACY_NS) or dir is another folder (then what was
 * parsed is parsed again).  On error the old set is kept.  An empty
 * (zeroed) set is simply loaded.  *changed may be NULL.
 */
int	migset_refresh(struct migset *, const char *dir, int *changed,
	    struct merr *);
/* Was an entry changed within MIG_RACY_NS of the last scan? */
int	migset_racy(const struct migset *);
/*
 * Parse m's forward script (once); errors carry file:line:col.  The
 * rollback is parsed only when it is about to run (migset_prepare_down):
 * a broken rollback that nobody runs must not block forward work.  A
 * rollback that does not parse keeps its error (m->down.broken): it is
 * not parsed again, and the same error is returned.
 */
int	migset_prepare(struct migration *, struct merr *);
int	migset_prepare_down(struct migration *, struct merr *);
/* Parse every forward script; stops at the first error. */
int	migset_prepare_all(struct migset *, struct merr *);

/*
 * Find by version as the layout spells it: with or without the '_' of
 * YYYYMMDD_HHMMSS, with or without leading zeros where the tool compares
 * numbers (golang-migrate, goose, Flyway), Flyway's 1_1 or 1.1.
 */
struct migration *migset_find(const struct migset *, const char *version);
/*
 * The sort key of a version in a folder of layout l (one of a tracking
 * row, too); -1 when it is no version of that layout.  A repeatable's key
 * starts with MIG_KEY_REPEATABLE and sorts after every version.
 */
int	migset_key(enum mig_layout l, const char *version,
	    char key[MIG_KEY_MAX]);
const char *migset_layout_name(enum mig_layout);
const char *migset_txmode_name(enum mig_txmode);
/*
 * What to write so that m has a rollback, in the folder's own layout
 * ("write 0007_x.down.sql", "add a '-- +goose Down' section to ...").
 */
void	migset_rollback_hint(const struct migset *, const struct migration *m,
	    char *buf, size_t len);

/*
 * st's parse tree as jansson (new reference, NULL on failure): its kept
 * JSON, or st->sql parsed again when none was kept.
 */
json_t	*mig_stmt_tree(const struct mig_stmt *st);

/*
 * A copy of src, not parsed yet, with its own text and blocks: parsed and
 * released (migset_script_release()) without touching src.
 */
int	migset_script_copy(struct mig_script *dst,
	    const struct mig_script *src, struct merr *);
/* Parse sc in place, if it is not yet (migset_prepare() for a script). */
int	migset_parse(struct mig_script *, struct merr *);

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
 *   "function", "procedure"  schema.name  CREATE FUNCTION, PROCEDURE
 *   "view", "materialized view"  schema.name  CREATE [MATERIALIZED] VIEW
 *   "trigger", "policy"  schema.table.name  CREATE TRIGGER, POLICY
 *   "extension"   name                CREATE EXTENSION
 *   "sequence"    schema.name         CREATE SEQUENCE
 *   "domain"      schema.name         CREATE DOMAIN
 * and the new name of what ALTER TABLE (a table, a column, a constraint),
 * ALTER INDEX, SEQUENCE, VIEW or MATERIALIZED VIEW ... RENAME renames.
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
 * Could migset_objects() find an object of kind in the script?  Each
 * statement it takes one from spells a keyword (CREATE INDEX "index", the
 * columns, constraints and key indexes of CREATE and ALTER TABLE "table",
 * CREATE EXTENSION "extension", ...), which SQL cannot quote or escape: a
 * text without any of the kind's keywords (anywhere, in any case) makes
 * none of that kind.  Once parsed, its statements' texts are looked at.
 * 0 when it cannot (or no statement makes that kind), 1 when it may.
 */
int	migset_may_own(const struct mig_script *, const char *kind);
/* Does any statement make an object of kind (migset_objects)?  Of
   MIG_OWN_KINDS kinds. */
#define MIG_OWN_KINDS	17
int	migset_kind_owned(const char *kind);

/*
 * create: the next migration in the folder's own layout.  Native (and an
 * empty folder): VERSION_NAME.sql, VERSION_NAME_rollback.sql and
 * VERSION_NAME.md from the template (dir/.template.md when it exists, else
 * the built-in one), VERSION = now as YYYYMMDD_HHMMSS UTC.  golang-migrate:
 * NNNN_NAME.up.sql and .down.sql; goose, dbmate, single: one file with
 * the tool's markers; Flyway: V<next>__NAME.sql (+ U<next>__NAME.sql when
 * the folder has undo files).  NNNN is the newest version + 1 with the
 * folder's zero padding, or now as YYYYMMDDHHMMSS when the folder uses
 * timestamps.  The name must match [a-z0-9_]{1,80} (no separators, no
 * ".."); no existing file is ever overwritten (O_EXCL).  paths[3] receive
 * the file names written, unused ones NULL (caller frees each).
 */
int	migset_create(const char *dir, const char *name, time_t now,
	    char *paths[3], struct merr *);

#endif
