/*
 * dblisten.c - the loop's LISTEN connection, driven without blocking
 * (dblisten.h).
 *
 * libpq's asynchronous calls: PQconsumeInput() reads what arrived when the
 * socket is readable (a notification, a ping's reply, the server's FATAL,
 * EOF), PQnotifies() hands out the notifications, PQsendQuery() on a
 * non-blocking connection sends a ping, or an announcement the worker
 * left to the loop (dblisten_tell).  A connection that fails any of
 * them is dropped and reported once.  Each connection lives in a struct
 * dblisten_conn of its own, freed (and the connection closed) in its poll
 * handle's close callback, so a new one can be taken at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dblisten.h"
#include "log.h"

static void
dblisten_lost(struct dblisten *l, const char *why)
{
	char msg[300];
	size_t n = strcspn(why, "\n");

	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	memcpy(msg, why, n);
	msg[n] = '\0';
	dblisten_drop(l);
	l->on_lost(l->arg, msg);
}

/*
 * Why it closed: the server's own FATAL, which libpq hands to the notice
 * processor since no query was running, else what libpq says.
 */
static const char *
dblisten_why(struct dblisten_conn *c)
{
	const char *m = PQerrorMessage(c->db.conn);

	if (c->said[0])
		return c->said;
	return m && *m ? m : "connection to the server lost";
}

/* Notices are kept, never printed: "FATAL:  terminating connection..." */
static void
dblisten_notice(void *arg, const char *msg)
{
	struct dblisten_conn *c = arg;
	const char *p = strstr(msg, ":  ");

	snprintf(c->said, sizeof(c->said), "%s", p ? p + 3 : msg);
}

/*
 * Read every finished result (a ping's, an announcement's) and every
 * notification; the query is over (another may be sent) once libpq has
 * no more results for it.
 */
static void
dblisten_drain(struct dblisten *l, PGconn *conn)
{
	char origin[ANNOUNCE_ORIGIN_MAX];
	PGnotify *n;
	PGresult *r;
	int changed = 0;

	while (!PQisBusy(conn)) {
		if ((r = PQgetResult(conn)) == NULL) {
			l->ping_sent = 0;
			break;
		}
		if (PQresultStatus(r) == PGRES_FATAL_ERROR)
			log_debug("the listening connection: %s",
			    PQresultErrorMessage(r));
		PQclear(r);
	}
	/* a switchover that left the server up: it went read-only */
	if (db_role_now(&l->c->db) != DB_ROLE_PRIMARY) {
		dblisten_lost(l, l->c->db.srv.role == DB_ROLE_STANDBY ?
		    "the server became a standby (read-only)" :
		    "the server became read-only "
		    "(default_transaction_read_only)");
		return;
	}
	while ((n = PQnotifies(conn)) != NULL) {
		announce_origin(n->extra, origin);
		if (strcmp(origin, l->self) != 0)
			changed = 1;
		PQfreemem(n);
	}
	if (changed)
		l->on_change(l->arg);
}

static void
dblisten_poll_cb(uv_poll_t *h, int status, int events)
{
	struct dblisten_conn *c = h->data;
	struct dblisten *l = c->l;
	PGconn *conn = c->db.conn;

	(void)events;
	if (l->c != c)
		return;		/* dropped already */
	if (status < 0 || PQconsumeInput(conn) == 0 ||
	    PQstatus(conn) != CONNECTION_OK) {
		dblisten_lost(l, dblisten_why(c));
		return;
	}
	dblisten_drain(l, conn);
}

static void
dblisten_ping_cb(uv_timer_t *t)
{
	struct dblisten *l = t->data;
	uint64_t now = uv_now(l->loop);
	PGconn *conn;

	if (l->c == NULL)
		return;
	conn = l->c->db.conn;
	if (l->ping_sent) {
		if (now - l->ping_sent >= DBLISTEN_DEAD_MS)
			dblisten_lost(l, "the server did not answer a ping "
			    "within 5 s");
		return;
	}
	if (!PQsendQuery(conn, "SELECT 1") || PQflush(conn) == -1) {
		dblisten_lost(l, dblisten_why(l->c));
		return;
	}
	l->ping_sent = now ? now : 1;
}

/* The owed announcement, once no ping or earlier one is out. */
static void
dblisten_tell_cb(uv_timer_t *t)
{
	struct dblisten *l = t->data;
	const char *p[2] = { l->chan, l->payload };
	PGconn *conn;

	if (l->c == NULL || !l->owed)
		return;
	if (l->ping_sent) {
		uv_timer_start(&l->tell, dblisten_tell_cb, 10, 0);
		return;
	}
	conn = l->c->db.conn;
	if (!PQsendQueryParams(conn, "SELECT pg_notify($1, $2)", 2, NULL, p,
	    NULL, NULL, 0) || PQflush(conn) == -1) {
		dblisten_lost(l, dblisten_why(l->c));
		return;
	}
	l->owed = 0;
	l->ping_sent = uv_now(l->loop) ? uv_now(l->loop) : 1;
}

void
dblisten_tell(struct dblisten *l, const char *chan, const char *payload)
{
	if (l->c == NULL)
		return;
	snprintf(l->chan, sizeof(l->chan), "%s", chan);
	snprintf(l->payload, sizeof(l->payload), "%s", payload);
	if (!l->owed)
		uv_timer_start(&l->tell, dblisten_tell_cb, DBLISTEN_TELL_MS,
		    0);
	l->owed = 1;
}

void
dblisten_untell(struct dblisten *l)
{
	l->owed = 0;
	uv_timer_stop(&l->tell);
}

void
dblisten_init(struct dblisten *l, uv_loop_t *loop, const char *self,
    dblisten_change_fn change, dblisten_lost_fn lost, void *arg)
{
	memset(l, 0, sizeof(*l));
	l->loop = loop;
	snprintf(l->self, sizeof(l->self), "%s", self);
	l->on_change = change;
	l->on_lost = lost;
	l->arg = arg;
	uv_timer_init(loop, &l->ping);
	l->ping.data = l;
	uv_timer_init(loop, &l->tell);
	l->tell.data = l;
}

static void
dblisten_conn_closed(uv_handle_t *h)
{
	struct dblisten_conn *c = h->data;

	/* the socket is the connection's: closed after libuv let go of it */
	db_close(&c->db);
	free(c);
}

void
dblisten_drop(struct dblisten *l)
{
	struct dblisten_conn *c = l->c;

	uv_timer_stop(&l->ping);
	uv_timer_stop(&l->tell);
	l->ping_sent = 0;
	l->owed = 0;
	if (c == NULL)
		return;
	l->c = NULL;
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, dblisten_conn_closed);
}

void
dblisten_take(struct dblisten *l, struct db *db)
{
	struct dblisten_conn *c;

	dblisten_drop(l);
	if (l->closing || (c = calloc(1, sizeof(*c))) == NULL) {
		db_close(db);
		return;
	}
	c->db = *db;
	c->l = l;
	memset(db, 0, sizeof(*db));
	if (PQsetnonblocking(c->db.conn, 1) != 0 ||
	    uv_poll_init(l->loop, &c->poll, PQsocket(c->db.conn)) != 0) {
		log_warnx("cannot watch the listening connection");
		db_close(&c->db);
		free(c);
		return;
	}
	c->poll.data = c;
	PQsetNoticeProcessor(c->db.conn, dblisten_notice, c);
	l->c = c;
	uv_poll_start(&c->poll, UV_READABLE, dblisten_poll_cb);
	uv_timer_start(&l->ping, dblisten_ping_cb, DBLISTEN_PING_MS,
	    DBLISTEN_PING_MS);
	/* what arrived between LISTEN and now */
	dblisten_poll_cb(&c->poll, 0, UV_READABLE);
}

int
dblisten_active(const struct dblisten *l)
{
	return l->c != NULL;
}

void
dblisten_close(struct dblisten *l)
{
	l->closing = 1;
	dblisten_drop(l);
	uv_close((uv_handle_t *)&l->ping, NULL);
	uv_close((uv_handle_t *)&l->tell, NULL);
}
