/*
 * db.h - one PostgreSQL connection, used synchronously.
 *
 * core/ uses libpq's blocking API; the daemon runs core work on a worker
 * thread (see daemon/dbloop.c), and can interrupt it with db_cancel() from
 * another thread.  Every error carries PostgreSQL's SQLSTATE, detail and
 * hint.  The connection string is never copied into a message: errors name
 * the host or socket, port, database and user only.
 */
#ifndef MIGRATE_DB_H
#define MIGRATE_DB_H

#include <signal.h>

#include <libpq-fe.h>

#include "err.h"

/* pg_advisory_lock key: the ASCII bytes of "migrated" (documented). */
#define DB_LOCK_KEY		0x6d69677261746564LL
#define DB_LOCK_KEY_STR		"7883960004428899684"
#define DB_LOCK_APPNAME		"migrated lock"	/* the connection's */
/*
 * The fence (dbfence.c): "migfence", and the class of the guard keys
 * ("mgrd", the other half random), each taken with the migration lock.
 */
#define DB_FENCE_KEY_STR	"7883946312174822245"
#define DB_GUARD_CLASS_STR	"1835496036"
/*
 * The last statement of a transaction whose COMMIT goes out with it, $1
 * the guard key of the lock it was sent under: fails (division by zero)
 * once that key is not held, having taken the fence shared.
 */
#define DB_GUARD_SQL	"SELECT 1 / (NOT pg_try_advisory_xact_lock_shared(" \
	DB_GUARD_CLASS_STR ", $1::int))::int FROM pg_advisory_xact_lock_shared(" \
	DB_FENCE_KEY_STR ")"
#define SQLSTATE_GUARD_FAILED	"22012"	/* DB_GUARD_SQL's division_by_zero */

#define SQLSTATE_LOCK_TIMEOUT	"55P03"
#define SQLSTATE_QUERY_CANCELED	"57014"
#define SQLSTATE_TX_UNKNOWN	"08007"	/* transaction_resolution_unknown */
#define SQLSTATE_NO_PREPARED	"26000"
#define SQLSTATE_IN_TX_BLOCK	"25001"	/* active_sql_transaction: "cannot
					   run inside a transaction block" */

struct dbpipe;
struct dbprep;

/*
 * What the server behind a connection is in a replicated cluster: the
 * primary (writable), a hot standby (in recovery), or a primary that
 * refuses writes (default_transaction_read_only).  Only a primary is
 * written to: the schema, the migration lock, the tracking and audit rows.
 */
enum db_role {
	DB_ROLE_UNKNOWN = 0,
	DB_ROLE_PRIMARY,
	DB_ROLE_STANDBY,
	DB_ROLE_READONLY,
};

/* Which server a connection reached (of a multi-host conninfo). */
struct db_server {
	char		 host[256];	/* PQhost(): name, address or socket dir */
	char		 port[16];
	enum db_role	 role;
};

struct db {
	PGconn		*conn;
	PGcancel	*cancel;	/* for db_cancel(), thread-safe */
	struct dbpipe	*pipe;		/* statements in flight (dbpipe.c) */
	char		 where[256];	/* "host=... port=... dbname=... user=..." */
	struct db_server srv;		/* set by db_connect, role kept current */
	unsigned long	 ntx;		/* db_begin() calls: which transaction */
	int		 pinned;	/* db_session_check() passed, or
					   db_direct() said direct */
	int		 direct;	/* ... finding the BackendKeyData
					   pid is the backend's own */
	struct dbprep	*prep;		/* prepared records (dbpipe.c) */
	unsigned	 prep_gen;	/* their names' generation */
	int		 prep_ok;	/* 1: may prepare, -1: not, 0: ask */
	int		 tmo_set;	/* the session's timeouts are these: */
	long		 tmo_lock_ms;	/* (db_session_timeouts) */
	long		 tmo_stmt_ms;
	int		 guard;		/* the guard key this session holds
					   with the migration lock, or 0 */
};

/*
 * Check that conninfo parses (key=value pairs or a URI).  libpq's own parse
 * message quotes the offending text, which may be the password, so the
 * error says only where the string came from (what, e.g. "database").
 */
int	db_conninfo_check(const char *conninfo, const char *what,
	    struct merr *);

/*
 * Connect with conninfo (a keyword string or URI; NULL or "" uses the PG*
 * environment, service files and .pgpass as every libpq program does).
 * A failure is MERR_CONNECT when waiting may heal it (the server is down,
 * starting, unreachable) and MERR_CONFIG when it cannot (authentication,
 * an unknown database or role, a connection string libpq refuses).
 */
int	db_connect(struct db *, const char *conninfo, const char *appname,
	    struct merr *);
void	db_close(struct db *);

/* "primary", "standby", "read-only" or "unknown". */
const char *db_role_name(enum db_role);
/*
 * The server's role now, without a round trip: PostgreSQL 14 and later
 * report in_hot_standby and default_transaction_read_only to the client
 * whenever they change (a promotion, a reload), read with the last result;
 * an older server's role is the one db_connect() asked.  d->srv.role is
 * updated.
 */
enum db_role db_role_now(struct db *);
/*
 * 0 when d's server takes writes (asked: one round trip, d->srv.role
 * updated); else MERR_CONNECT, "connected to a standby (read-only):
 * cannot <what> ...": waiting (for a promotion, for libpq to find the
 * primary of a multi-host conninfo) may heal it.  Outside a pipeline.
 */
int	db_writable(struct db *, const char *what, struct merr *);
/*
 * The same from the role last asked (db_connect() asks it with the
 * session's setup), without a round trip: for a check made right after
 * db_connect(), nothing sent since.
 */
int	db_writable_asked(struct db *, const char *what, struct merr *);
int	db_ok(struct db *);		/* connection still usable */
/*
 * The same, asked of the server for an idle connection: after a restart
 * the old connection looks fine until something reads from it.  Sends
 * nothing; 0: reconnect before using it.
 */
int	db_alive(struct db *);
int	db_cancel(struct db *);		/* cancel the running query */

/* Run sql (no parameters, may hold several statements); no result. */
int	db_exec(struct db *, const char *sql, struct merr *);
/*
 * The same, keeping the last statement's result in *res (caller
 * PQclear()s; NULL on failure or when sql is empty).  Inside an explicit
 * READ COMMITTED transaction each statement sees what was committed before
 * it started, so "take a lock; read" is one round trip.
 */
int	db_exec_last(struct db *, const char *sql, PGresult **res,
	    struct merr *);
/*
 * Run one statement with text parameters.  On success *res holds the
 * result (caller PQclear()s); on failure *res is NULL.
 */
int	db_query(struct db *, const char *sql, int nparams,
	    const char *const *params, PGresult **res, struct merr *);

/*
 * Undo what SQL run on d set for the session (RESET ALL, ROLE, SESSION
 * AUTHORIZATION) and set again what db_connect sets.  Outside a
 * transaction only, or in a pipeline right after its COMMIT was sent.
 */
int	db_reset_session(struct db *, struct merr *);
/*
 * BEGIN and SET LOCAL of both timeouts, in one round trip (BEGIN alone
 * when the session has them already: db_session_timeouts).  On failure
 * the transaction may be open (aborted): the caller rolls back.
 */
int	db_begin(struct db *, long lock_ms, long stmt_ms, struct merr *);
/*
 * Both timeouts set for the session (outside a transaction), so that a
 * run of files whose transactions want them sends no SET of its own each
 * time; until anything sets or resets them (db_set_timeouts,
 * db_reset_timeouts, db_reset_session: after a file that could change
 * the session), when db_begin() sets them again.
 */
int	db_session_timeouts(struct db *, long lock_ms, long stmt_ms,
	    struct merr *);
/*
 * 1 when the server session behind d stays its own from one transaction
 * to the next (no pooler in transaction mode), 0 when not, -1 on error:
 * asked once per connection (dbpipe.c).
 */
int	db_session_own(struct db *, struct merr *);
/* RESET lock_timeout and statement_timeout. */
int	db_reset_timeouts(struct db *, struct merr *);
/* SET [LOCAL] lock_timeout and statement_timeout (0: no limit). */
int	db_set_timeouts(struct db *, int local, long lock_ms, long stmt_ms,
	    struct merr *);

/*
 * Check, once per connection and before anything is locked, that the
 * server session behind d stays d's between transactions (a direct
 * connection, or a pooler in session mode: core/dbpool.c says how).
 * MERR_CONFIG, naming the field 'database', when a pooler in transaction
 * mode is in between.  Behind a pooler it takes a second connection and
 * up to 3 s; a direct connection costs nothing (db_connect() asked).
 */
int	db_session_check(struct db *, struct merr *);
/*
 * Its first step: 1 when d reaches its backend directly (pinned then),
 * 0 behind a pooler (not asked which mode), -1 with e.  No round trip
 * once pinned, which db_connect() does for a direct connection (its
 * session set-up asks); behind a pooler, one each call.
 */
int	db_direct(struct db *, struct merr *);

/* How long db_lock_take() waits for another session to let go. */
struct db_lock_policy {
	long			 wait_ms;	/* -1: until *stop */
	volatile sig_atomic_t	*stop;		/* NULL: never stops */
	int			 fresh;		/* connected just now: its
						   role as db_connect() asked
						   it (db_writable_asked) */
};

/*
 * Take the session advisory lock DB_LOCK_KEY on d, which the caller then
 * keeps idle (never inside a transaction) until db_unlock().  Refuses
 * before locking when db_session_check() does (a transaction-mode pooler
 * is in between), and (unlocked again) when the lock is not held by this
 * backend afterwards; on a server that is not a writable primary
 * (db_writable()) nothing is tried.  *waited: another session held
 * it.  MERR_BUSY when the wait ran out, MERR_STATE when stopped.
 */
int	db_lock_take(struct db *, const struct db_lock_policy *, int *waited,
	    struct merr *);
/*
 * Lets go of the lock and of its guard key; e may be NULL (nothing to
 * report: best effort on the way out).  When that fails on a connection
 * that held a guard key, the connection is closed: the session's end
 * lets go of both.
 */
int	db_unlock(struct db *, struct merr *);
/*
 * After taking the migration lock on d: a guard key for it (d->guard) and
 * the fence passed, that is, no transaction sent under an earlier
 * holder's key is still between its guard and its end (dbfence.c).
 * Waits (polling, never blocked in the server) until then, *stop, or a
 * minute, whatever the lock's own wait: MERR_STATE, MERR_BUSY
 * (MERR_INTERNAL: no free guard key in 16 tries).
 */
int	db_fence_take(struct db *, const volatile sig_atomic_t *stop,
	    struct merr *);

/*
 * Statements sent without waiting (core/dbpipe.c), for one transaction:
 * db_pipe_begin() enters libpq's pipeline mode; then db_send() sends a
 * statement and returns at once (its result is read at the next sync),
 * db_begin() and db_query() work as usual (db_query() sends its
 * statement, syncs and reads every result up to its own: one round trip
 * for all), db_exec() of several statements leaves pipeline mode for
 * the call; db_pipe_end() reads what is left and leaves pipeline mode.
 * A failure of a statement sent earlier is the error of the call that
 * read it; db_pipe_failed() tells which statement (by its tag) failed
 * first, and how.  Without db_pipe_begin() db_send() is db_query().
 * The struct dbpipe is owned by the struct db from begin to end.
 */
#define DB_TAG_RECORD	(-1)	/* not a step: a record, a COMMIT */
#define DB_TAG_GUARD	(-2)	/* DB_GUARD_SQL (db_send_guard) */
int	db_pipe_begin(struct db *, struct merr *);
int	db_send(struct db *, const char *sql, int nparams,
	    const char *const *params, int tag, struct merr *);
/*
 * A record's statement (a tracking or audit row, BEGIN, COMMIT: never a
 * file's) in a pipeline: prepared once per connection when its server
 * session is its own, then only executed.  sink (may be NULL) is called
 * with the rows when they are read; outside a pipeline (no sink) it is
 * db_send().  The prepared statements are owned by d until db_close().
 */
typedef void (*db_sink_fn)(void *arg, const PGresult *);
int	db_send_rec(struct db *, const char *sql, int nparams,
	    const char *const *params, db_sink_fn sink, void *arg,
	    struct merr *);
/* DB_GUARD_SQL for guard key guard, as a record, tagged DB_TAG_GUARD. */
int	db_send_guard(struct db *, int guard, struct merr *);
/* Forget what is prepared (db_close; a file that ran DEALLOCATE). */
void	db_prep_drop(struct db *);
int	db_pipe_sync(struct db *, struct merr *);
/* What was sent goes to the server now (libpq keeps it until a Sync). */
int	db_pipe_flush(struct db *, struct merr *);
/* A Sync after what was sent, its results read later (db_pipe_sync). */
int	db_pipe_push_sync(struct db *, struct merr *);
/*
 * A COMMIT in flight between transactions: everything sent so far (a
 * COMMIT and what follows it before the next BEGIN) is flushed with a
 * request that the server send its results at once, and the pipeline
 * stays open (db_pipe_begin goes on in it).  db_pipe_hold() refuses a
 * pipeline where something failed already.  db_pipe_settle() reads those
 * results, whoever read them first: 0 when the COMMIT's own result said
 * it committed; -1 when not, or when that result was not read (the
 * connection lost: SQLSTATE 08007 from the caller's commit_in_doubt),
 * or when no COMMIT is in flight to read (fails closed: MERR_INTERNAL,
 * 08007, never "committed"); e says why.  A statement sent after them
 * runs only if they went well (no Sync between).
 */
int	db_pipe_hold(struct db *, struct merr *);
/*
 * A Sync after what was sent, and what is sent after it (a COMMIT) goes
 * without waiting; db_pipe_read_mark() flushes, reads what came before
 * the Sync and holds the rest as db_pipe_hold() does, but without asking
 * the server to flush its results: they come with the next Sync (when
 * all of it went well: else the rest is read by db_pipe_end()).
 */
int	db_pipe_mark(struct db *, struct merr *);
int	db_pipe_read_mark(struct db *, struct merr *);
int	db_pipe_settle(struct db *, struct merr *);
int	db_pipe_end(struct db *, struct merr *);
int	db_pipe_failed(const struct db *, int *tag, struct merr *);
/* Forget the pipeline without reading anything (db_close). */
void	db_pipe_drop(struct db *);
/* db_query() inside a pipeline (db.c calls it). */
int	db_pipe_query(struct db *, const char *sql, int nparams,
	    const char *const *params, PGresult **res, struct merr *);
/*
 * PQtransactionStatus(), except that with results in flight it is the
 * transaction the pipeline began (PQTRANS_INTRANS), not "busy".
 */
int	db_txstatus(struct db *);

/* Fill e from a failed result (SQLSTATE, message, detail, hint). */
int	db_result_error(struct db *, PGresult *, const char *what,
	    struct merr *);

int	db_is_lock_timeout(const struct merr *);

#endif
