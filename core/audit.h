/*
 * audit.h - the append-only, hash-chained audit table.
 *
 * Every action migrated takes or refuses becomes one row of
 * cfg->schema . cfg->audit_table.  The table is created by audit_ensure()
 * with a trigger that rejects UPDATE, DELETE and TRUNCATE; each row carries
 *
 *	hash = SHA-256(prev_hash || canonical encoding of the row)
 *
 * computed here in C (see docs/audit.md for the exact encoding), with
 * prev_hash the hash of the row before it (64 zeros for the first row).
 * Writers are serialised by pg_advisory_xact_lock(AUDIT_LOCK_KEY), taken in
 * the writer's transaction, so the chain never forks.
 *
 * audit_hook() has the event_fn signature of core/event.h: it writes the
 * row in the caller's open transaction (so the change and its row commit
 * together), or, when no transaction is open, in a short transaction of its
 * own (failures recorded after a rollback, lock retries, daemon start).
 * The caller's transaction must be READ COMMITTED (the default).
 *
 * core/audit.c holds the database side, core/audit_render.c the renderers.
 *
 * Ownership: struct audit owns its strings (audit_release()).  struct
 * audit_rows owns its array and every string in it (audit_rows_release()).
 * Renderers return malloc'd strings or new json_t references that the
 * caller frees (free(), json_decref()).
 */
#ifndef MIGRATE_AUDIT_H
#define MIGRATE_AUDIT_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "event.h"

/* pg_advisory_xact_lock key: the ASCII bytes of "migaudit". */
#define AUDIT_LOCK_KEY		0x6d69676175646974LL
#define AUDIT_LOCK_KEY_STR	"7883946290967767412"

/* Version of the table layout (kept in the table's comment). */
#define AUDIT_TABLE_VERSION	1
/* Version of the row encoding under the hash (kept in each row). */
#define AUDIT_ROW_FORMAT	1
/* The append-only trigger and its function; the table's comment prefix. */
#define AUDIT_GUARD		"migrated_append_only"
#define AUDIT_COMMENT_PREFIX	"migrated audit trail, version "
/* prev_hash of the first row */
#define AUDIT_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* A sequence's qualified name: two quoted names of 63 bytes, doubled */
#define AUDIT_SEQ_MAX	260

/*
 * Who owns the audit table, and what the connection's role may do with
 * it.  With the privilege split (docs/audit.md, contrib/audit-owner.sql)
 * another role owns it and the daemon's role has INSERT and SELECT, and
 * USAGE on its sequence, only.  audit_ensure() refuses an existing table
 * the role cannot write (MERR_PERM, naming each missing privilege).
 */
struct audit_privs {
	char	owner[64];	/* the table's owner */
	char	role[64];	/* current_user */
	int	owns;		/* role is the owner, a member of it, or a
				   superuser: it can rewrite the table */
	int	schema_usage, insert, select, seq_usage;
	char	seq[AUDIT_SEQ_MAX];	/* its id sequence, "" when none */
};

/* What the hook needs to know about the writer; set up by audit_init(). */
struct audit {
	char	*table;		/* "schema"."table", quoted */
	char	*host;		/* gethostname() */
	pid_t	 pid;		/* the daemon's pid */
	char	*version;	/* MIGRATED_VERSION */
	char	*user;		/* the daemon's user name, or NULL */
	char	*seq;	/* the id's sequence as named by the server, or
			   NULL: looked up on every row (audit_open) */
	char	*head_sql;	/* lock the chain; read id, time and head */
	char	*insert_sql;	/* append one row */
	char	*fold_sql;	/* read the head and append, hashed there */
	/* the last row inserted (committed or not): audit_head.h */
	long long last_id;
	char	 last_hash[65];
	/* and where: its connection and transaction (struct db's ntx) */
	const struct db *last_db;
	unsigned long last_tx;
	/* a row sent in a pipeline, its id not read yet: where */
	const struct db *fold_db;
	unsigned long fold_tx;
	/* as audit_open() read them; owner "" when it made the table */
	struct audit_privs privs;
};

/* The struct db * is not used (quoting needs no connection). */
int	audit_init(struct audit *, struct db *, const struct config *,
	    struct merr *);
void	audit_release(struct audit *);

/*
 * Create the schema, table, guard function and trigger when missing: on an
 * idle connection, under pg_advisory_lock(AUDIT_LOCK_KEY) (a session lock,
 * so that the transaction that creates begins after it is granted), safe
 * when many daemons start at once; an existing table takes no lock.  An
 * existing table of a newer version, or a relation of that name that is
 * not an audit table, is refused (MERR_STATE); an older one would be
 * upgraded here.
 */
int	audit_ensure(struct db *, const struct config *, struct merr *);
/*
 * audit_ensure() then audit_init(), a appending with the nextval of the
 * table's id sequence as pg_get_serial_sequence() names it, learnt with
 * what audit_ensure() asks anyway (not known, a table made by another
 * daemon at the same moment, or no memory for it: looked up on every
 * row).  On failure a is not set up.
 */
int	audit_open(struct audit *a, struct db *, const struct config *,
	    struct merr *);

int	audit_privileges(struct db *, const struct config *,
	    struct audit_privs *, struct merr *);

/* event_fn for core/event.h: arg is a struct audit *. */
/*
 * A failure whose COMMIT is in doubt (SQLSTATE 08007, the connection lost
 * after it went out): 1 when the last row a inserted went into that very
 * transaction, ev->tx on db (db's current one when ev->tx is 0), with
 * *id and hash (65 bytes) set: that row, looked up once the database is
 * back, says whether it committed (present) or not (absent).  Else 0
 * (not in doubt, or no row of that transaction known).
 */
int	audit_doubt_row(const struct audit *, const struct db *,
	    const struct mig_event *, long long *id, char *hash);
int	audit_hook(void *arg, struct db *, const struct actor *,
	    const struct mig_event *, struct merr *);
/* The same with a typed first argument. */
int	audit_record(struct audit *, struct db *, const struct actor *,
	    const struct mig_event *, struct merr *);

/* The result of walking the chain. */
struct audit_verify_result {
	long long	rows;		/* rows checked */
	long long	broken_id;	/* first broken row, 0: chain intact */
	char		reason[256];	/* what is wrong with it */
	long long	head_id;	/* last row checked, 0: empty table */
	char		head[65];	/* its hash: record it elsewhere */
	int		guarded;	/* append-only trigger on and enabled */
	/* audit_head_check(): the ids of rows deleted from the end */
	long long	missing_from, missing_to;
};

/*
 * Walk the whole chain in id order.  Returns 0 when the walk completed,
 * whatever it found (look at broken_id and guarded); -1 on a database
 * error.
 */
int	audit_verify(struct db *, const struct config *,
	    struct audit_verify_result *, struct merr *);

/* One row as read back. */
struct audit_row {
	long long	 id;
	char		*at;		/* "2026-01-31T12:00:00.123456Z" */
	char		*action;
	char		*target;	/* NULL when none, as all below */
	char		*detail;
	char		*checksum;
	long long	 duration_ms;	/* -1: none */
	int		 statements;
	int		 ok;
	char		*sqlstate;
	char		*error;
	int		 is_daemon;
	long long	 uid;		/* -1: none */
	char		*user;
	long long	 pid;		/* -1: none */
	char		*host;
	long long	 daemon_pid;
	char		*daemon_version;
	char		*prev_hash;
	char		*hash;
};

struct audit_rows {
	struct audit_row *v;
	size_t		  n;
};

struct audit_filter {
	/*
	 * since: a time PostgreSQL reads as timestamptz ("2024-01-31",
	 * "2024-01-31 12:00+02") or a duration back from now ("30m", "12h",
	 * "7d", "2w"); NULL: no limit.
	 */
	const char	*since;
	/* version: rows whose target is V or starts with "V_"; NULL: all */
	const char	*version;
	/* action: rows whose action is A or starts with "A." ("tier2") */
	const char	*action;
	long		 limit;		/* newest N; 0: no limit */
};

/* Rows matching f, newest first.  Bad filter values are MERR_INPUT. */
int	audit_query(struct db *, const struct config *,
	    const struct audit_filter *, struct audit_rows *, struct merr *);
void	audit_rows_release(struct audit_rows *);

/* Rows <-> JSON (an array of objects), for the control protocol. */
json_t	*audit_rows_json(const struct audit_rows *);
int	audit_rows_from_json(const json_t *, struct audit_rows *,
	    struct merr *);

/* Compact text, one line per row, in the order given (newest first). */
char	*audit_render_text(const struct audit_rows *);

/* A version of the migrations folder, for the markdown log. */
struct audit_version {
	const char	*version;	/* "20240103_120000" */
	const char	*name;		/* "20240103_120000_add_x", or NULL */
};

/*
 * MIGRATIONS_LOG.md: for each version of the folder (and each version the
 * audit knows that the folder lacks), its state and when and by whom it
 * was applied, then the chronological history of tier-2 events.  rows are
 * audit rows in any order (typically audit_query with action "tier2");
 * dbname names the database in the heading, or NULL.
 */
char	*audit_render_markdown(const struct audit_rows *,
	    const struct audit_version *, size_t nversions,
	    const char *dbname);

#endif
