/*
 * adopt.h - the history another migration tool left in the database, read
 * as that tool reads it, and mapped onto the folder's versions.
 *
 *   golang-migrate  schema_migrations(version bigint, dirty boolean): one
 *                   row, the current version; everything up to it is
 *                   applied.  dirty: a migration stopped part-way.
 *   goose           goose_db_version(id, version_id, is_applied, tstamp):
 *                   a version is applied when its latest row (highest id)
 *                   says is_applied; version 0 is goose's own first row.
 *   dbmate          schema_migrations(version varchar): the set of applied
 *                   versions (Rails' table has the same shape).
 *   Flyway          flyway_schema_history(installed_rank, version, ...,
 *                   type, script, checksum, ..., success): versioned rows
 *                   in installed_rank order, the latest row of a version
 *                   deciding (UNDO_* and DELETE take it back); a BASELINE
 *                   row means everything up to it; repeatable rows (no
 *                   version) are kept by script and checksum, and match
 *                   an R__ file by its name.
 *   Diesel          __diesel_schema_migrations(version varchar(50),
 *                   run_on timestamp): the set of applied versions, each
 *                   its folder's name up to the first '_' with the '-'
 *                   left out (the folders renamed as golang-migrate files
 *                   the way migrated's refusal of Diesel's layout says).
 *   Prisma Migrate  _prisma_migrations(id, checksum, finished_at,
 *                   migration_name, logs, rolled_back_at, started_at,
 *                   applied_steps_count): a migration is applied when a
 *                   row of it finished and was not rolled back; its
 *                   version is its folder's name up to the first '_'.  A
 *                   row neither finished nor rolled back is a failed one,
 *                   which Prisma refuses to go past, and so does adopt.
 *   pop             schema_migration(version varchar(48), version_self
 *                   int), or an older pop's (version varchar(14)): the
 *                   set of applied versions; as popx reads it, a version
 *                   of more than 14 digits is applied too when its first
 *                   14 are (the rows of an older pop).
 *   sql-migrate     gorp_migrations(id, applied_at): the set of applied
 *                   ids, each a file name, its version without .sql.
 *   tern            schema_version(version int4): one row, the current
 *                   version (0: none); everything up to it is applied.
 *   Atlas           atlas_schema_revisions(version, ..., type, applied,
 *                   total, ...), in the schema atlas_schema_revisions
 *                   (Atlas's default) or the current one: the versions of
 *                   its rows, a baseline row's and everything before it;
 *                   a row whose applied is not its total (a file stopped
 *                   part-way, which Atlas resumes) is refused.
 *   SQLx (Rust)     _sqlx_migrations(version bigint, description, ...,
 *                   success, checksum, execution_time): the versions of
 *                   its rows; a row with success false (sqlx's "dirty"
 *                   migration, which sqlx refuses to go past) is refused.
 *   node-pg-migrate pgmigrations(id, name, run_on): the set of applied
 *                   names, file stems, each its version (its number).
 *   Supabase CLI    supabase_migrations.schema_migrations(version,
 *                   statements, name, ...: whatever columns it grew):
 *                   the set of versions.
 *   Drizzle         drizzle.__drizzle_migrations(id, hash, created_at):
 *                   each row's created_at is the "when" of the journal
 *                   entry (meta/_journal.json) that ran: those entries'
 *                   tags' file versions; read with the folder's journal.
 *   postgrator      schemaversion(version, name, md5[, run_at]): the
 *                   versions of its rows (0, its first row, aside);
 *                   postgrator runs only what is above the highest, and
 *                   passes over for ever an older one added later: such
 *                   a file never ran, and is pending here.
 *
 * Each tool finds its table through the connection's search_path, and so
 * does adopt_detect() (Atlas's also in its own schema,
 * atlas_schema_revisions).  A table is a tool's when it has the tool's
 * name and exactly the tool's columns (adopt_table_tool()):
 * golang-migrate's and dbmate's tables share a name and are told apart by
 * their columns; migrated's own table is never taken for another tool's.
 * Without --from, tern's and Atlas's tables, whose shape an application's
 * own could have, count only for a folder of their files (migadopt.c).
 *
 * adopt_read() refuses (MERR_STATE, with the way out in the hint) a dirty
 * golang-migrate version and a failed Flyway row: what the database holds
 * is then not what the history says.
 *
 * Versions are matched by adopt_vcmp() only, whatever the folder's layout:
 * "0008" = 8, "20240101_120000" = 20240101120000, Flyway's "1.1" = "1_1"
 * and "1.0" = "1"; dotted versions compare part by part.
 *
 * Ownership: an adopt_hist owns its strings (adopt_hist_release); an
 * adopt_map borrows the set's migrations and the history's strings.
 */
#ifndef MIGRATE_ADOPT_H
#define MIGRATE_ADOPT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct db;
struct config;
struct migset;
struct migration;

enum adopt_tool {
	ADOPT_NONE = 0,
	ADOPT_GOLANG,
	ADOPT_GOOSE,
	ADOPT_DBMATE,
	ADOPT_FLYWAY,
	ADOPT_DIESEL,
	ADOPT_PRISMA,
	ADOPT_POP,
	ADOPT_SQLMIGRATE,
	ADOPT_TERN,
	ADOPT_ATLAS,
	ADOPT_SQLX,
	ADOPT_NPGM,
	ADOPT_SUPABASE,
	ADOPT_DRIZZLE,
	ADOPT_POSTGRATOR,
	ADOPT_NTOOLS
};

/* A history table found in the database. */
struct adopt_src {
	enum adopt_tool	 tool;
	char		 table[160];	/* schema.table, for messages */
	char		 schema[64];
	char		 name[64];
};

#define ADOPT_MAX_FOUND	15

struct adopt_repeatable {
	char	*script;
	char	*checksum;		/* Flyway's CRC32 as text, or NULL */
};

struct adopt_hist {
	struct adopt_src src;
	char		**versions;	/* applied one by one */
	char		**sums;		/* beside each: the tool's checksum of
					   its file, lower-case hex (SQLx's
					   SHA-384, Drizzle's SHA-256,
					   postgrator's MD5), or NULL */
	size_t		 n;
	char		*upto;		/* everything <= upto, or NULL */
	int		 upto_is_file;	/* golang-migrate: upto names a file */
	struct adopt_repeatable *rep;	/* Flyway repeatables */
	size_t		 nrep;
};

/* What the history means for the folder. */
struct adopt_map {
	struct migration **applied;	/* folder order */
	size_t		 napplied;
	struct migration **changed;	/* Flyway repeatables run with
					   another checksum: pending */
	size_t		 nchanged;
	const char	**unknown;	/* history versions with no file */
	size_t		 nunknown;
	char		**recsum;	/* beside each applied: the checksum to
					   record when the tool ran another
					   file than the folder's ("sqlx
					   sha384 ab12..."), else NULL */
	size_t		 nmodified;	/* how many have one */
};

const char *adopt_tool_name(enum adopt_tool);	/* "golang-migrate" */
/* By name (case-insensitive): golang-migrate, migrate, goose, dbmate,
 * flyway, diesel, prisma, pop, sql-migrate, tern, atlas, sqlx; ADOPT_NONE
 * when unknown. */
enum adopt_tool adopt_tool_from_name(const char *);

/*
 * Whose history table is a table of this name with exactly these columns
 * (in any order); ADOPT_NONE when no tool's.  Tier 1 uses it too: such a
 * table is not drift.
 */
enum adopt_tool adopt_table_tool(const char *name, const char *const *cols,
	    size_t n);

/*
 * The histories in the database (at most one per tool); none is not an
 * error.  cfg names migrated's own tables, which are never reported.
 */
int	adopt_detect(struct db *, const struct config *,
	    struct adopt_src found[ADOPT_MAX_FOUND], size_t *nfound,
	    struct merr *);
/*
 * A history migrated cannot read: Knex's, Alembic's, Django's, Ecto's,
 * Sequelize's, TypeORM's, Laravel's, MikroORM's, Liquibase's, Entity
 * Framework's, Doctrine's, Phinx's, Kysely's, Sqitch's or
 * graphile-migrate's table, known by name (and schema) and the columns it
 * has at least, with a row in it (or which migrated's role may not read).  Whether such a tool ran the folder's
 * files cannot be told: a first run refuses (migadopt.c) until
 * 'baseline' says what is applied.
 */
struct adopt_foreign {
	const char	*tool;		/* static: "Knex" */
	char		 table[160];	/* schema.table */
	int		 unreadable;	/* no SELECT on it: its rows unknown */
};

int	adopt_foreign(struct db *, struct adopt_foreign *, int *found,
	    struct merr *);

/* dir: the migrations folder (Drizzle's journal is in it) */
int	adopt_read(struct db *, const struct adopt_src *, const char *dir,
	    struct adopt_hist *, struct merr *);
void	adopt_hist_release(struct adopt_hist *);

/*
 * Flyway's checksum of a script (ChecksumCalculator): CRC-32 of the UTF-8
 * bytes of each line without its terminator (\n, \r\n or \r), a leading
 * byte order mark left out, as a Java int.  A repeatable (R__) is adopted
 * as applied when the history's latest run of its script has the file's
 * checksum, and is pending (applied again, as Flyway would) when not.
 */
int32_t	adopt_flyway_checksum(const char *text, size_t len);

/* Compare two versions: *cmp <0, 0, >0; -1 when one is not a version. */
int	adopt_vcmp(const char *a, const char *b, int *cmp);
int	adopt_map(const struct migset *, const struct adopt_hist *,
	    struct adopt_map *, struct merr *);
void	adopt_map_release(struct adopt_map *);

/*
 * recorded, a tracking row's checksum, is another tool's ("postgrator md5
 * 2f09...": adopted from a file that differed): 1, *same when m's file
 * has it now (restored), out its checksum in that algorithm (empty when
 * unreadable); else 0.
 */
#define ADOPT_SUM_MAX	112	/* "sha384 " and 96 hex digits */
int	adopt_sum_check(const char *recorded, const struct migration *m,
	    int *same, char out[ADOPT_SUM_MAX]);

#endif
