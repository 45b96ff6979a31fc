/*
 * tracking.h - the table of applied versions, in cfg->schema .
 * cfg->tracking_table: one row per applied (or partly applied) migration.
 *
 *   version text primary key, name, checksum (hex SHA-256), applied_at,
 *   duration_ms, applied_by, dirty (a statement-by-statement run that did
 *   not finish), direction ('up' or 'down' while dirty), stmt_done
 *   (statements finished), batch_key / rows_done (a batched backfill's
 *   last finished batch), error / sqlstate (why it stopped).
 *
 * The table's format is versioned in its COMMENT ("migrated tracking 1");
 * tracking_init() creates it (under the advisory lock) or upgrades it.
 * tracking_load() reads all rows in one query; a missing table reads as
 * empty, so read-only commands never create anything.  A table of that
 * name that is not ours (no such comment: golang-migrate's or dbmate's
 * schema_migrations) is refused, never read or written.
 *
 * The default name was schema_migrations before 2026-11-30 (config.h).
 * With the default configured and only such an old table of ours there,
 * tracking_load() reads it (legacy = 1) and tracking_upgrade() renames it
 * and its constraints, in the caller's transaction under the lock.
 *
 * Ownership: struct tracking owns its rows; tracking_release().
 */
#ifndef MIGRATE_TRACKING_H
#define MIGRATE_TRACKING_H

#include <stddef.h>

#include "err.h"

#define TRACKING_FORMAT	1
/* The table's comment starts with this (then its format): how the table
 * is told from an application's table of the same name (core/pull.c). */
#define TRACKING_COMMENT_PREFIX	"migrated tracking "

struct db;
struct config;

struct trk_row {
	char		*version;
	char		*name;
	char		*checksum;
	char		*applied_at;	/* ISO 8601 text from PostgreSQL */
	char		*applied_by;
	long		 duration_ms;
	int		 dirty;
	char		*direction;	/* "up" / "down" */
	int		 stmt_done;
	char		*batch_key;	/* NULL: no batch finished */
	long long	 rows_done;
	char		*error;		/* NULL when none */
	char		*sqlstate;
};

struct tracking {
	struct trk_row	*v;
	size_t		 n;
	int		 exists;	/* the table exists */
	int		 legacy;	/* it is an old build's, not renamed */
};

int	tracking_init(struct db *, const struct config *, struct merr *);
/*
 * The table made where it is known missing (under the lock): CREATE
 * TABLE, which fails if it is there after all; made, *t (released first)
 * is the table as it is, there and empty, with no read.
 */
int	tracking_create(struct db *, const struct config *, struct tracking *,
	    struct merr *);
int	tracking_load(struct db *, const struct config *, struct tracking *,
	    struct merr *);
/*
 * The table summed up: its rows, whether any is dirty, and the SHA-256
 * (hex) of its (version, checksum) pairs as migset_digest() makes it of
 * a folder.
 */
struct trk_digest {
	long long	 n;
	int		 dirty;
	char		 digest[65];
	int		 failed;	/* the read did not go as sent */
};

/*
 * The table's digest, made by the server without the migration lock, in
 * one round trip that also says whether the read can stand for one made
 * under the lock: *sure = 1 only when the server is a writable primary
 * (asked, as db_writable() asks), no session of the database holds the
 * lock (DB_LOCK_KEY: no run is under way), and the table is there and
 * ours.  Anything else, a failed query included, is *sure = 0 with
 * nothing read: the caller takes the lock and reads again.  In two
 * halves, the server making the digest while the caller works in
 * between: the statement sent (-1 only when out of memory), then its row
 * read into *t, which lives until then.  Every send is followed by its
 * read before d is used for anything else.
 */
int	tracking_digest_send(struct db *, const struct config *,
	    struct trk_digest *, struct merr *);
void	tracking_digest_read(struct db *, struct trk_digest *, int *sure);
void	tracking_release(struct tracking *);
/*
 * Rows taken as recorded, in memory only (a read-only view of what a
 * first run would record): copies of rows' version, name, checksum and
 * applied_by, not dirty, "up"; t, which must hold no row, then owns them.
 */
int	tracking_assume(struct tracking *t, const struct trk_row *rows,
	    size_t n, struct merr *);
/* What tracking_load() says of the table (exists, legacy), no row read. */
int	tracking_state(struct db *, const struct config *, struct tracking *,
	    struct merr *);
/* Rename it to cfg->tracking_table, with its constraints. */
int	tracking_upgrade(struct db *, const struct config *, struct merr *);
struct trk_row *tracking_find(const struct tracking *, const char *version);

/* Insert or replace the row of version (all fields from r). */
int	tracking_put(struct db *, const struct config *,
	    const struct trk_row *r, struct merr *);
/* Progress of a dirty run: statements done, last batch key, rows. */
int	tracking_progress(struct db *, const struct config *,
	    const char *version, int stmt_done, const char *batch_key,
	    long long rows_done, struct merr *);
/* Mark finished: dirty false, progress cleared, duration and checksum. */
int	tracking_finish(struct db *, const struct config *,
	    const char *version, const char *checksum, long duration_ms,
	    struct merr *);
/* Record why a dirty run stopped. */
int	tracking_fail(struct db *, const struct config *, const char *version,
	    const char *error, const char *sqlstate, struct merr *);
int	tracking_delete(struct db *, const struct config *,
	    const char *version, struct merr *);

#endif
