/* db.c - a libpq connection with errors that never leak the password. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "mtime.h"

static void
db_describe(struct db *d)
{
	const char *host = PQhost(d->conn), *port = PQport(d->conn);
	const char *name = PQdb(d->conn), *user = PQuser(d->conn);

	snprintf(d->where, sizeof(d->where), "%s%s port=%s dbname=%s user=%s",
	    host && host[0] == '/' ? "socket dir " : "host=",
	    host ? host : "?", port ? port : "?", name ? name : "?",
	    user ? user : "?");
	snprintf(d->srv.host, sizeof(d->srv.host), "%s", host ? host : "");
	snprintf(d->srv.port, sizeof(d->srv.port), "%s", port ? port : "");
}

const char *
db_role_name(enum db_role r)
{
	switch (r) {
	case DB_ROLE_PRIMARY:
		return "primary";
	case DB_ROLE_STANDBY:
		return "standby";
	case DB_ROLE_READONLY:
		return "read-only";
	default:
		return "unknown";
	}
}

static int
db_param_on(PGconn *c, const char *name)
{
	const char *v = PQparameterStatus(c, name);

	return v && strcmp(v, "on") == 0;
}

enum db_role
db_role_now(struct db *d)
{
	if (d->conn == NULL)
		return d->srv.role;
	/* reported by PostgreSQL 14 and later, updated as they change */
	if (PQparameterStatus(d->conn, "in_hot_standby") != NULL)
		d->srv.role = db_param_on(d->conn, "in_hot_standby") ?
		    DB_ROLE_STANDBY : db_param_on(d->conn,
		    "default_transaction_read_only") ? DB_ROLE_READONLY :
		    DB_ROLE_PRIMARY;
	return d->srv.role;
}

/* First line of libpq's message: it names the server, never the password. */
static void
db_first_line(const char *msg, char *buf, size_t len)
{
	size_t n = strcspn(msg, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
}

/*
 * libpq checks a port only when it connects ("invalid port number"): a
 * typo would then look like a server that is down.  Each of a
 * comma-separated list must be a number from 1 to 65535 (or empty).
 */
static int
db_conninfo_ports(const PQconninfoOption *o, const char *what,
    struct merr *e)
{
	for (; o->keyword; o++) {
		const char *p;
		long n = 0;

		if (strcmp(o->keyword, "port") != 0 || o->val == NULL)
			continue;
		for (p = o->val; ; p++) {
			if (*p >= '0' && *p <= '9' && n <= 65535) {
				n = n * 10 + (*p - '0');
				continue;
			}
			if ((*p == ',' || *p == '\0') && n <= 65535 &&
			    (n > 0 || p == o->val || p[-1] == ',')) {
				if (*p == '\0')
					break;
				n = 0;
				continue;
			}
			merr_set(e, MERR_CONFIG, "invalid port in '%s': '%.40s' "
			    "is not a number from 1 to 65535", what, o->val);
			snprintf(e->field, sizeof(e->field), "%s", what);
			return -1;
		}
	}
	return 0;
}

int
db_conninfo_check(const char *conninfo, const char *what, struct merr *e)
{
	PQconninfoOption *opts;
	char *msg = NULL;

	/* as libpq's expand_dbname: otherwise it is a plain database name */
	if (conninfo == NULL || (strchr(conninfo, '=') == NULL &&
	    strncmp(conninfo, "postgresql://", 13) != 0 &&
	    strncmp(conninfo, "postgres://", 11) != 0))
		return 0;
	if ((opts = PQconninfoParse(conninfo, &msg)) != NULL) {
		int rc = db_conninfo_ports(opts, what, e);

		PQconninfoFree(opts);
		return rc;
	}
	PQfreemem(msg);		/* may quote the password: never shown */
	merr_set(e, MERR_CONFIG, "invalid connection string in '%s'", what);
	snprintf(e->field, sizeof(e->field), "%s", what);
	merr_hint(e, "use key=value pairs (host=... dbname=...) or a "
	    "postgresql:// URI with percent-encoded parts; the string is not "
	    "shown because it may hold a password");
	return -1;
}

/* What every connection sets for its session (db_reset_session too). */
#define DB_SESSION_SETUP	"SET client_min_messages = warning"
/* ... and what a new connection asks: is its server a writable primary? */
#define DB_ROLE_QUERY	"SELECT pg_is_in_recovery(), " \
	"current_setting('transaction_read_only')"

/* The role from DB_ROLE_QUERY's result (r is cleared). */
static int
db_role_read(struct db *d, PGresult *r, struct merr *e)
{
	if (PQntuples(r) != 1 || PQnfields(r) < 2) {
		PQclear(r);
		return merr_set(e, MERR_DB, "unexpected reply to the server's "
		    "role query on %s", d->where);
	}
	d->srv.role = PQgetvalue(r, 0, 0)[0] == 't' ? DB_ROLE_STANDBY :
	    strcmp(PQgetvalue(r, 0, 1), "on") == 0 ? DB_ROLE_READONLY :
	    DB_ROLE_PRIMARY;
	PQclear(r);
	return 0;
}

/*
 * The session set up, the server's role read and whether the connection
 * reaches its backend directly (db_direct(): pinned when it does, so that
 * no later call asks), in one round trip.
 */
static int
db_setup(struct db *d, struct merr *e)
{
	PGresult *r;

	if (db_exec_last(d, DB_SESSION_SETUP "; " DB_ROLE_QUERY
	    ", pg_backend_pid()", &r, e) == -1)
		return -1;
	if (PQntuples(r) == 1 && PQnfields(r) == 3)
		d->pinned = d->direct =
		    atol(PQgetvalue(r, 0, 2)) == (long)PQbackendPID(d->conn);
	return db_role_read(d, r, e);
}

/*
 * Asked, not taken from what the server last reported: an idle backend
 * applies a reload (default_transaction_read_only) only when the next
 * statement comes, so an idle connection's report may be stale.
 */
int
db_writable(struct db *d, const char *what, struct merr *e)
{
	PGresult *res;

	if (db_query(d, DB_ROLE_QUERY, 0, NULL, &res, e) == -1 ||
	    db_role_read(d, res, e) == -1)
		return -1;
	return db_writable_asked(d, what, e);
}

int
db_writable_asked(struct db *d, const char *what, struct merr *e)
{
	enum db_role r;

	if ((r = d->srv.role) == DB_ROLE_PRIMARY)
		return 0;
	merr_set(e, MERR_CONNECT, "connected to a standby (read-only): "
	    "cannot %s on %s", what, d->where);
	merr_detail(e, "%s; migrated changes the schema, takes its lock and "
	    "writes its tracking and audit rows on a writable primary only",
	    r == DB_ROLE_READONLY ? "default_transaction_read_only is on "
	    "there" : "the server is in recovery (a hot standby)");
	merr_hint(e, "list the cluster's servers in 'database' with "
	    "target_session_attrs=read-write (host=pg1,pg2 ...) so that libpq "
	    "connects to the primary; migrated waits and tries again");
	return -1;
}

/*
 * Failures that waiting will not heal: the server refused who we are or
 * what we asked for (28P01, 28000, 3D000 and pg_hba.conf), or libpq
 * refused the connection string.  libpq gives no SQLSTATE for a failed
 * connection, so these are told by PostgreSQL's own message texts (in
 * the server's lc_messages: English unless set otherwise; anything not
 * recognised is retried, as before).
 */
static int
db_connect_cannot_heal(const char *msg)
{
	static const char *const words[] = {
		"password authentication failed",
		"authentication failed for user",
		"no pg_hba.conf entry",
		"does not exist",		/* database or role */
		"is not permitted to log in",
		"password must be",		/* no password given */
		"invalid port number",
		"invalid connection option",
		"invalid sslmode value",
		"invalid value for parameter",
		"invalid integer value",	/* connect_timeout=abc, ... */
		NULL
	};

	for (int i = 0; words[i]; i++)
		if (strstr(msg, words[i]))
			return 1;
	return 0;
}

/*
 * core/ prints nothing: a notice (or the server's FATAL on an idle
 * connection, "terminating connection due to ...") is not written to
 * stderr; what fails comes back as an error.  (A NULL processor would
 * leave libpq's default, which prints.)
 */
static void
db_notice_ignore(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int
db_connect(struct db *d, const char *conninfo, const char *appname,
    struct merr *e)
{
	/*
	 * A later keyword wins over the same one in the expanded dbname:
	 * the encoding after it (UTF8: the models' encoding, and what
	 * quote.h quotes for).  connect_timeout is libpq's to find (the
	 * conninfo, a service, PGCONNECT_TIMEOUT: the daemon sets that one
	 * when the environment does not).
	 */
	const char *keys[] = { "dbname", "fallback_application_name",
	    "client_encoding", NULL };
	const char *vals[] = { conninfo && *conninfo ? conninfo : NULL,
	    appname ? appname : "migrated", "UTF8", NULL };
	char line[400];

	memset(d, 0, sizeof(*d));
	if (db_conninfo_check(conninfo, "database", e) == -1)
		return -1;
	/* expand_dbname: dbname may be a whole conninfo string or URI */
	d->conn = PQconnectdbParams(keys, vals, 1);
	if (d->conn == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (PQstatus(d->conn) != CONNECTION_OK) {
		db_first_line(PQerrorMessage(d->conn), line, sizeof(line));
		merr_set(e, MERR_CONNECT, "cannot connect to the database: %s",
		    line[0] ? line : "unknown error");
		if (strchr(PQerrorMessage(d->conn), '\n'))
			merr_detail(e, "%s", strchr(PQerrorMessage(d->conn),
			    '\n') + 1);
		/* strip a trailing newline from the detail */
		e->detail[strcspn(e->detail, "\n")] = '\0';
		if (db_connect_cannot_heal(PQerrorMessage(d->conn))) {
			e->code = MERR_CONFIG;
			merr_hint(e, "check 'database' (user, password, database "
			    "name, port): retrying will not help");
		}
		PQfinish(d->conn);
		d->conn = NULL;
		return -1;
	}
	db_describe(d);
	d->cancel = PQgetCancel(d->conn);
	PQsetNoticeProcessor(d->conn, db_notice_ignore, NULL);
	if (db_setup(d, e) == -1) {
		db_close(d);	/* the caller has only the error */
		return -1;
	}
	return 0;
}

int
db_reset_session(struct db *d, struct merr *e)
{
	static const char *const reset[] = { "RESET SESSION AUTHORIZATION",
	    "RESET ROLE", "RESET ALL", DB_SESSION_SETUP };

	d->tmo_set = 0;
	for (size_t i = 0; d->pipe && i < sizeof(reset) / sizeof(*reset); i++)
		if (db_send_rec(d, reset[i], 0, NULL, NULL, NULL, e) == -1)
			return -1;
	if (d->pipe)
		return 0;	/* after a COMMIT sent: read with it */
	if (PQtransactionStatus(d->conn) != PQTRANS_IDLE)
		return merr_set(e, MERR_INTERNAL, "cannot reset the session "
		    "inside a transaction");
	return db_exec(d, "RESET SESSION AUTHORIZATION; RESET ROLE; "
	    "RESET ALL; " DB_SESSION_SETUP, e);
}

void
db_close(struct db *d)
{
	db_pipe_drop(d);
	db_prep_drop(d);
	d->prep_ok = 0;
	d->tmo_set = 0;
	d->pinned = d->direct = 0;	/* the next connection is asked again */
	d->guard = 0;
	if (d->cancel) {
		PQfreeCancel(d->cancel);
		d->cancel = NULL;
	}
	if (d->conn) {
		PQfinish(d->conn);
		d->conn = NULL;
	}
}

int
db_ok(struct db *d)
{
	return d->conn && PQstatus(d->conn) == CONNECTION_OK;
}

int
db_alive(struct db *d)
{
	/* reads what an idle connection was sent: a server that shut down
	 * sent its FATAL and closed, which libpq learns only by reading */
	if (!db_ok(d) || PQtransactionStatus(d->conn) != PQTRANS_IDLE)
		return db_ok(d);
	/* the first read may take the FATAL message, the second the EOF */
	for (int i = 0; i < 2; i++)
		if (PQconsumeInput(d->conn) == 0)
			return 0;
	return PQstatus(d->conn) == CONNECTION_OK;
}

int
db_cancel(struct db *d)
{
	char buf[256];

	if (d->cancel == NULL)
		return -1;
	return PQcancel(d->cancel, buf, sizeof(buf)) ? 0 : -1;
}

int
db_result_error(struct db *d, PGresult *r, const char *what, struct merr *e)
{
	const char *st, *msg, *det, *hint;

	if (e == NULL)
		return -1;
	if (r == NULL) {
		char line[400];

		db_first_line(PQerrorMessage(d->conn), line, sizeof(line));
		return merr_set(e, db_ok(d) ? MERR_DB : MERR_CONNECT,
		    "%s%s%s", what ? what : "", what ? ": " : "", line);
	}
	st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	det = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
	merr_set(e, db_ok(d) ? MERR_DB : MERR_CONNECT, "%s%s%s",
	    what ? what : "", what ? ": " : "",
	    msg ? msg : "database error");
	snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", st ? st : "");
	if (det)
		merr_detail(e, "%s", det);
	if (hint)
		merr_hint(e, "%s", hint);
	if (st && !strcmp(st, SQLSTATE_LOCK_TIMEOUT))
		e->code = MERR_LOCKED;
	return -1;
}

int
db_query(struct db *d, const char *sql, int nparams,
    const char *const *params, PGresult **res, struct merr *e)
{
	PGresult *r;
	ExecStatusType st;

	*res = NULL;
	if (d->conn == NULL)
		return merr_set(e, MERR_CONNECT, "database unavailable");
	if (d->pipe)
		return db_pipe_query(d, sql, nparams, params, res, e);
	r = PQexecParams(d->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_result_error(d, r, NULL, e);
		PQclear(r);
		return -1;
	}
	*res = r;
	return 0;
}

int
db_exec(struct db *d, const char *sql, struct merr *e)
{
	return db_exec_last(d, sql, NULL, e);
}

/*
 * Several statements go by the simple protocol, which pipeline mode does
 * not allow: what is in flight is read, and pipeline mode left for the
 * call.
 */
static int
db_exec_unpiped(struct db *d, const char *sql, PGresult **res,
    struct merr *e)
{
	struct dbpipe *p = d->pipe;
	int rc;

	if (db_pipe_sync(d, e) == -1)
		return -1;
	if (!PQexitPipelineMode(d->conn))
		return db_result_error(d, NULL, NULL, e);
	d->pipe = NULL;
	rc = db_exec_last(d, sql, res, e);
	d->pipe = p;
	if (d->conn && !PQenterPipelineMode(d->conn) && rc == 0)
		rc = db_result_error(d, NULL, NULL, e);
	return rc;
}

int
db_exec_last(struct db *d, const char *sql, PGresult **res, struct merr *e)
{
	PGresult *r, *last = NULL;
	int rc = 0;

	if (res)
		*res = NULL;
	if (d->conn == NULL)
		return merr_set(e, MERR_CONNECT, "database unavailable");
	if (d->pipe)
		return db_exec_unpiped(d, sql, res, e);
	/* simple protocol: sql may hold several statements */
	if (!PQsendQuery(d->conn, sql))
		return db_result_error(d, NULL, NULL, e);
	while ((r = PQgetResult(d->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(r);

		if (rc == 0 && st != PGRES_COMMAND_OK &&
		    st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
			db_result_error(d, r, NULL, e);
			rc = -1;
		}
		PQclear(last);
		last = r;
	}
	if (rc == 0 && !db_ok(d))
		rc = db_result_error(d, NULL, NULL, e);
	if (rc == 0 && res)
		*res = last;
	else
		PQclear(last);
	return rc;
}

int
db_set_timeouts(struct db *d, int local, long lock_ms, long stmt_ms,
    struct merr *e)
{
	char sql[160];

	d->tmo_set = 0;
	snprintf(sql, sizeof(sql), "SET %s lock_timeout = %ld; "
	    "SET %s statement_timeout = %ld", local ? "LOCAL" : "",
	    lock_ms, local ? "LOCAL" : "", stmt_ms);
	return db_exec(d, sql, e);
}

int
db_session_timeouts(struct db *d, long lock_ms, long stmt_ms, struct merr *e)
{
	char sql[160];

	d->tmo_set = 0;
	snprintf(sql, sizeof(sql), "SET lock_timeout = %ld; "
	    "SET statement_timeout = %ld", lock_ms, stmt_ms);
	if (db_exec(d, sql, e) == -1)
		return -1;
	d->tmo_set = 1;
	d->tmo_lock_ms = lock_ms;
	d->tmo_stmt_ms = stmt_ms;
	return 0;
}

int
db_reset_timeouts(struct db *d, struct merr *e)
{
	d->tmo_set = 0;
	return db_exec(d, "RESET lock_timeout; RESET statement_timeout", e);
}

int
db_begin(struct db *d, long lock_ms, long stmt_ms, struct merr *e)
{
	char sql[160], lock[32], stmt[32];
	const char *p[2] = { lock, stmt };

	d->ntx++;
	if (d->tmo_set && d->tmo_lock_ms == lock_ms &&
	    d->tmo_stmt_ms == stmt_ms)	/* the session's already */
		return d->pipe ? db_send_rec(d, "BEGIN", 0, NULL, NULL, NULL,
		    e) : db_exec(d, "BEGIN", e);
	if (d->pipe) {	/* one statement a message */
		snprintf(lock, sizeof(lock), "%ld", lock_ms);
		snprintf(stmt, sizeof(stmt), "%ld", stmt_ms);
		return db_send_rec(d, "BEGIN", 0, NULL, NULL, NULL, e) == -1 ||
		    db_send_rec(d, "SELECT set_config('lock_timeout', $1, "
		    "true), set_config('statement_timeout', $2, true)", 2, p,
		    NULL, NULL, e) == -1 ? -1 : 0;
	}
	/* a BEGIN in a message makes the rest of it part of the transaction */
	snprintf(sql, sizeof(sql), "BEGIN; SET LOCAL lock_timeout = %ld; "
	    "SET LOCAL statement_timeout = %ld", lock_ms, stmt_ms);
	return db_exec(d, sql, e);
}

/*
 * The session advisory lock must be held by the backend we talk to.
 * Behind a transaction-pooling pooler (pgbouncer pool_mode=transaction)
 * the next statement may run on another server connection that does not
 * hold it: refuse rather than race.  Asked behind a pooler; on a direct
 * connection (db_session_check() saw the backend's own pid in libpq's
 * BackendKeyData, which a pooler replaces with a key of its own, and the
 * lock was taken by that backend: db_trylock) every statement reaches
 * the backend that took the lock, which holds it until it lets go or
 * ends: nothing to ask (pg_locks is a view over a function that a fresh
 * backend plans, about 1 ms of server CPU).
 */
static int
db_not_held(struct merr *e)
{
	merr_set(e, MERR_STATE, "session advisory lock %s is not held by this "
	    "session after taking it", DB_LOCK_KEY_STR);
	merr_detail(e, "a connection pooler in transaction mode (pgbouncer "
	    "pool_mode=transaction) hands each statement to another server "
	    "connection, so a session lock protects nothing");
	merr_hint(e, "point migrated at PostgreSQL directly or at a pool in "
	    "session mode");
	return -1;
}

static int
db_lock_held(struct db *d, struct merr *e)
{
	PGresult *res;
	int held;

	if (db_query(d, "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE "
	    "locktype = 'advisory' AND granted AND pid = pg_backend_pid() "
	    "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = "
	    DB_LOCK_KEY_STR ")", 0, NULL, &res, e) == -1)
		return -1;
	held = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return held ? 0 : db_not_held(e);
}

/*
 * One try.  On a connection found direct the lock is taken only by the
 * backend libpq's key names: a statement that reached another one (a
 * proxy in transaction mode that passed a backend's own key) takes
 * nothing, and the connection is refused as behind such a pooler (asked
 * of pg_locks, the next statement could land on the backend that took
 * it and say yes).  No round trip more on a direct connection.
 */
static int
db_trylock(struct db *d, int *got, struct merr *e)
{
	char sql[160];
	PGresult *r;
	int stray;

	if (d->direct)
		snprintf(sql, sizeof(sql), "SELECT CASE WHEN pg_backend_pid() "
		    "= %d THEN pg_try_advisory_lock(" DB_LOCK_KEY_STR ") END, "
		    "pg_backend_pid()", PQbackendPID(d->conn));
	else
		snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock("
		    DB_LOCK_KEY_STR "), pg_backend_pid()");
	if (db_query(d, sql, 0, NULL, &r, e) == -1)
		return -1;
	*got = PQgetvalue(r, 0, 0)[0] == 't';
	stray = d->direct &&
	    atol(PQgetvalue(r, 0, 1)) != (long)PQbackendPID(d->conn);
	PQclear(r);
	if (stray) {
		/* not the backend it said: nothing known of its session */
		d->direct = d->pinned = 0;
		d->prep_ok = -1;
		return db_not_held(e);
	}
	return 0;
}

/* Why db_lock_take() gave up waiting. */
static int
db_lock_gave_up(struct db *d, const struct db_lock_policy *p, struct merr *e)
{
	if (p->stop && *p->stop) {
		merr_set(e, MERR_STATE, "interrupted while waiting for the "
		    "advisory lock %s", DB_LOCK_KEY_STR);
		return -1;
	}
	merr_set(e, MERR_BUSY, "another migration is running");
	merr_detail(e, "the advisory lock %s is held by another session "
	    "(waited %ld ms on %s)", DB_LOCK_KEY_STR, p->wait_ms, d->where);
	merr_hint(e, "try again when it has finished");
	return -1;
}

/*
 * A waiter polls with pg_try_advisory_lock (50 ms doubling to 1 s) instead
 * of blocking in pg_advisory_lock(): a statement blocked on the lock holds
 * a snapshot, and CREATE INDEX CONCURRENTLY in the process that holds the
 * lock waits for every older snapshot (the classic hang).
 */
int
db_lock_take(struct db *d, const struct db_lock_policy *p, int *waited,
    struct merr *e)
{
	long t0 = mtime_now_ms(), left, pause = 50;
	int got;

	*waited = 0;
	if ((p->fresh ? db_writable_asked(d, "take the migration lock", e) :
	    db_writable(d, "take the migration lock", e)) == -1 ||
	    db_session_check(d, e) == -1)
		return -1;
	for (;;) {
		if (db_trylock(d, &got, e) == -1)
			return -1;
		if (got)
			break;
		*waited = 1;
		left = p->wait_ms < 0 ? pause : p->wait_ms -
		    (mtime_now_ms() - t0);
		if (left <= 0 || (p->stop && *p->stop))
			return db_lock_gave_up(d, p, e);
		mtime_sleep_ms(pause < left ? pause : left);
		if (pause < 1000)
			pause *= 2;
	}
	if ((d->direct || db_lock_held(d, e) == 0) &&
	    db_fence_take(d, p->stop, e) == 0)
		return 0;
	db_unlock(d, NULL);
	return -1;
}

int
db_unlock(struct db *d, struct merr *e)
{
	struct merr ignore;
	char sql[160];
	int guard = d->guard;

	if (guard)	/* the guard key first: never held without the lock */
		snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock("
		    DB_GUARD_CLASS_STR ", %d), pg_advisory_unlock("
		    DB_LOCK_KEY_STR ")", guard);
	else
		snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock("
		    DB_LOCK_KEY_STR ")");
	d->guard = 0;
	if (db_exec(d, sql, e ? e : &ignore) == 0)
		return 0;
	if (guard)	/* never left held: its session goes */
		db_close(d);
	return -1;
}

int
db_is_lock_timeout(const struct merr *e)
{
	return e->code == MERR_LOCKED ||
	    strcmp(e->sqlstate, SQLSTATE_LOCK_TIMEOUT) == 0;
}
