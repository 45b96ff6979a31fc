/*
 * dbpool.c - does the server session behind a connection stay ours between
 * transactions, as a session advisory lock needs?  (db_session_check)
 *
 * A direct connection: libpq's BackendKeyData pid is the backend's own
 * pid.  A pooler (pgbouncer in every pool mode) sends a cancel key of its
 * own, so the two differ.  Behind a pooler the mode is asked of the pooler
 * by what it does, not by chance: the connection LISTENs on a random
 * channel, a second connection NOTIFYs it, and the first then sends
 * nothing.  Only a server connection linked to it for good (session mode)
 * forwards the notification; in transaction mode the server connection
 * went back to the pool with the LISTEN and no client is linked to it.
 * When the second connection is handed the very backend the first one
 * listened on, transaction pooling is shown at once (and it UNLISTENs
 * there).  Nothing is locked or changed on the way.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "db.h"
#include "log.h"
#include "mtime.h"

/* How long a session-mode pooler may take to forward the notification. */
#define DB_POOL_PROBE_MS	3000

/* One int from the one-row result of sql (no parameters) on d. */
static int
pool_int(struct db *d, const char *sql, long *v, struct merr *e)
{
	PGresult *r;

	if (db_exec_last(d, sql, &r, e) == -1)
		return -1;
	if (PQntuples(r) != 1 || PQnfields(r) < 1) {
		PQclear(r);
		return merr_set(e, MERR_DB, "unexpected reply to '%s'", sql);
	}
	*v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

/*
 * A second connection with d's own connection options (PQconninfo: the
 * ones libpq used, the password too), for the NOTIFY.
 */
static int
pool_clone(struct db *d, struct db *o, struct merr *e)
{
	PQconninfoOption *opts = PQconninfo(d->conn), *p;
	const char *keys[64], *vals[64];
	int n = 0;

	memset(o, 0, sizeof(*o));
	if (opts == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (p = opts; p->keyword && n < 62; p++) {
		if (p->val == NULL || p->val[0] == '\0' ||
		    !strcmp(p->keyword, "fallback_application_name"))
			continue;
		keys[n] = p->keyword;
		vals[n++] = p->val;
	}
	keys[n] = "fallback_application_name";
	vals[n++] = "migrated pool check";
	keys[n] = NULL;
	vals[n] = NULL;
	o->conn = PQconnectdbParams(keys, vals, 0);
	PQconninfoFree(opts);
	if (o->conn == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (PQstatus(o->conn) != CONNECTION_OK) {
		merr_set(e, MERR_CONNECT, "cannot open a second connection "
		    "to check the pooler on %s", d->where);
		db_close(o);
		return -1;
	}
	snprintf(o->where, sizeof(o->where), "%s", d->where);
	return 0;
}

/*
 * On o: 1 when o is handed d's backend (transaction pooling, shown; the
 * LISTEN is undone there), else NOTIFY chan from another backend: 0.
 */
static int
pool_notify(struct db *o, long dpid, const char *chan, struct merr *e)
{
	const char *params[1] = { chan };
	char sql[128];
	long opid;
	PGresult *r;

	if (pool_int(o, "BEGIN; SELECT pg_backend_pid()", &opid, e) == -1)
		return -1;
	if (opid == dpid) {
		snprintf(sql, sizeof(sql), "UNLISTEN %s; COMMIT", chan);
		return db_exec(o, sql, e) == -1 ? -1 : 1;
	}
	if (db_query(o, "SELECT pg_notify($1, '')", 1, params, &r, e) == -1)
		return -1;
	PQclear(r);
	return db_exec(o, "COMMIT", e);
}

/* Wait, sending nothing, for chan's notification on d: 1 came, 0 not. */
static int
pool_wait(struct db *d, const char *chan)
{
	long end = mtime_now_ms() + DB_POOL_PROBE_MS, left;
	struct pollfd pfd = { PQsocket(d->conn), POLLIN, 0 };
	PGnotify *n;
	int got = 0;

	while (!got && (left = end - mtime_now_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (PQconsumeInput(d->conn) == 0)
			break;
		while ((n = PQnotifies(d->conn)) != NULL) {
			got |= strcmp(n->relname, chan) == 0;
			PQfreemem(n);
		}
	}
	return got;
}

static int
pool_refuse(struct db *d, int shown, struct merr *e)
{
	merr_set(e, MERR_CONFIG, "cannot hold the session advisory lock %s "
	    "through 'database': a pooler in transaction mode is in between",
	    DB_LOCK_KEY_STR);
	snprintf(e->field, sizeof(e->field), "database");
	merr_detail(e, "%s on %s: it hands each transaction to any server "
	    "connection, so a session lock would stay on one migrated cannot "
	    "reach and protect nothing; nothing was locked",
	    shown ? "a second connection was handed this connection's "
	    "server session" : "this connection's server session did not "
	    "stay linked to it between transactions", d->where);
	merr_hint(e, "point 'database' at PostgreSQL directly or at a pool "
	    "in session mode (pgbouncer pool_mode = session)");
	return -1;
}

/* Behind a pooler: the LISTEN/NOTIFY check above. */
static int
pool_probe(struct db *d, struct merr *e)
{
	unsigned char rnd[8];
	char chan[64], sql[128];
	struct merr ignore;
	struct db o;
	long dpid;
	int shown, got;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return merr_set(e, MERR_INTERNAL, "no random bytes");
	snprintf(chan, sizeof(chan), "migrated_pool_check_%02x%02x%02x%02x"
	    "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
	    rnd[5], rnd[6], rnd[7]);
	/* one message, one implicit transaction: one backend */
	snprintf(sql, sizeof(sql), "LISTEN %s; SELECT pg_backend_pid()", chan);
	if (pool_int(d, sql, &dpid, e) == -1)
		return -1;
	if (pool_clone(d, &o, e) == -1)
		return -1;
	shown = pool_notify(&o, dpid, chan, e);
	db_close(&o);
	if (shown == -1)
		return -1;
	got = shown ? 0 : pool_wait(d, chan);
	/* where it lands, if at all, in transaction mode */
	snprintf(sql, sizeof(sql), "UNLISTEN %s", chan);
	if (db_exec(d, sql, got ? e : &ignore) == -1 && got)
		return -1;
	log_debug("pooler on %s: %s", d->where, got ? "session mode" :
	    "transaction mode");
	return got ? 0 : pool_refuse(d, shown, e);
}

int
db_direct(struct db *d, struct merr *e)
{
	long pid;

	if (d->pinned)
		return d->direct;
	if (pool_int(d, "SELECT pg_backend_pid()", &pid, e) == -1)
		return -1;
	d->direct = pid == PQbackendPID(d->conn);
	d->pinned = d->direct;
	return d->direct;
}

int
db_session_check(struct db *d, struct merr *e)
{
	int direct;

	if (d->pinned)
		return 0;
	if ((direct = db_direct(d, e)) == -1)
		return -1;
	if (!direct && pool_probe(d, e) == -1)
		return -1;
	d->pinned = 1;
	return 0;
}
