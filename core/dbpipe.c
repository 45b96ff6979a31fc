/*
 * dbpipe.c - statements sent without waiting: libpq's pipeline mode on a
 * struct db, for one transaction at a time (see db.h, db_pipe_begin).
 *
 * Each statement sent is remembered with the caller's tag; the results
 * are read in order at the next sync, which a statement whose result is
 * needed (db_query) brings with it, so "the statements of a file, then
 * read the audit chain's head" is one round trip.  The first failure is
 * kept with its tag: the runner names the statement that failed, not the
 * one that happened to read the results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* One message sent whose result is not read yet. */
struct sent {
	int		 tag;
	int		 prep;		/* a prepare: its slot, or -1 */
	db_sink_fn	 sink;		/* wants the rows, or NULL */
	void		*arg;
};

/* A statement prepared on this connection (db_send_rec). */
struct dbprep {
	char		*sql;
	int		 state;		/* PREP_SENT, PREP_READY */
};
#define PREP_SENT	1
#define PREP_READY	2
#define PREP_MAX	24

struct dbpipe {
	struct sent	*tags;		/* sent, results not read yet */
	size_t		 n, cap;
	int		 failed;	/* a statement failed since begin */
	int		 failed_tag;
	struct merr	 err;		/* its error */
	int		 synced;	/* a Sync sent, not read yet */
	size_t		 mark;		/* the first tags: before a Sync that
					   others followed (db_pipe_mark) */
	size_t		 held;		/* the first tags: a COMMIT in flight
					   (db_pipe_hold), not read yet */
	int		 settled;	/* its results read: 1 all went well,
					   -1 not (held_err), 0 not read */
	struct merr	 held_err;
};

/*
 * Is the server session behind d its own (so that what is prepared on it
 * stays)?  Asked once per connection: a pooler in transaction mode would
 * run the next transaction on a session that never saw the prepare.
 */
static int
prep_check(struct db *d, struct merr *e)
{
	if (d->prep_ok)
		return 0;
	/* pinned: direct, or behind a pooler in session mode */
	if (!d->pinned && db_direct(d, e) == -1)
		return -1;
	d->prep_ok = d->pinned ? 1 : -1;
	return 0;
}

int
db_session_own(struct db *d, struct merr *e)
{
	return prep_check(d, e) == -1 ? -1 : d->prep_ok == 1;
}

int
db_pipe_begin(struct db *d, struct merr *e)
{
	if (d->conn == NULL)
		return merr_set(e, MERR_CONNECT, "database unavailable");
	if (d->pipe && (d->pipe->held || d->pipe->settled))
		return 0;	/* after a COMMIT in flight: goes on */
	if (d->pipe)
		return merr_set(e, MERR_INTERNAL, "pipeline already begun");
	if (prep_check(d, e) == -1)
		return -1;
	if ((d->pipe = calloc(1, sizeof(*d->pipe))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (!PQenterPipelineMode(d->conn)) {
		free(d->pipe);
		d->pipe = NULL;
		return db_result_error(d, NULL, NULL, e);
	}
	return 0;
}

static int
pipe_push(struct db *d, int tag, struct merr *e)
{
	struct dbpipe *p = d->pipe;
	struct sent *v;

	if (p->n == p->cap) {
		if ((v = realloc(p->tags, (p->cap ? p->cap * 2 : 16) *
		    sizeof(*v))) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		p->tags = v;
		p->cap = p->cap ? p->cap * 2 : 16;
	}
	p->tags[p->n++] = (struct sent){ tag, -1, NULL, NULL };
	return 0;
}

/* The first failure is the one that counts; the rest were skipped. */
static void
pipe_fail(struct db *d, PGresult *r, int tag)
{
	struct dbpipe *p = d->pipe;

	if (p->failed)
		return;
	p->failed = 1;
	p->failed_tag = tag;
	merr_clear(&p->err);
	db_result_error(d, r, NULL, &p->err);
	/* the file deallocated what was prepared: not again on d */
	if (strcmp(p->err.sqlstate, SQLSTATE_NO_PREPARED) == 0) {
		db_prep_drop(d);
		d->prep_ok = -1;
	}
}

int
db_send(struct db *d, const char *sql, int nparams,
    const char *const *params, int tag, struct merr *e)
{
	PGresult *r;

	if (d->pipe == NULL) {
		if (db_query(d, sql, nparams, params, &r, e) == -1)
			return -1;
		PQclear(r);
		return 0;
	}
	if (!PQsendQueryParams(d->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0)) {
		pipe_fail(d, NULL, tag);
		return db_result_error(d, NULL, NULL, e);
	}
	return pipe_push(d, tag, e);
}

/* The slot of sql among what is prepared on d, or -1: not prepared. */
static int
prep_slot(struct db *d, const char *sql)
{
	int i;

	if (d->prep_ok != 1)
		return -1;
	if (d->prep == NULL &&
	    (d->prep = calloc(PREP_MAX, sizeof(*d->prep))) == NULL)
		return -1;
	for (i = 0; i < PREP_MAX && d->prep[i].sql; i++)
		if (strcmp(d->prep[i].sql, sql) == 0)
			return i;
	if (i == PREP_MAX || (d->prep[i].sql = strdup(sql)) == NULL)
		return -1;
	return i;
}

static int
rec_send(struct db *d, int tag, const char *sql, int nparams,
    const char *const *params, db_sink_fn sink, void *arg, struct merr *e)
{
	char name[48];
	int k;

	if (d->pipe == NULL)
		return sink ? merr_set(e, MERR_INTERNAL, "a record with "
		    "rows outside a pipeline") : db_send(d, sql, nparams,
		    params, tag, e);
	if ((k = prep_slot(d, sql)) == -1) {
		if (PQsendQueryParams(d->conn, sql, nparams, NULL, params,
		    NULL, NULL, 0))
			goto sent;
		pipe_fail(d, NULL, tag);
		return db_result_error(d, NULL, NULL, e);
	}
	snprintf(name, sizeof(name), "migrated_rec_%u_%d", d->prep_gen, k);
	if (d->prep[k].state == 0) {
		if (!PQsendPrepare(d->conn, name, sql, nparams, NULL)) {
			pipe_fail(d, NULL, tag);
			return db_result_error(d, NULL, NULL, e);
		}
		if (pipe_push(d, tag, e) == -1)
			return -1;
		d->pipe->tags[d->pipe->n - 1].prep = k;
		d->prep[k].state = PREP_SENT;
	}
	if (PQsendQueryPrepared(d->conn, name, nparams, params, NULL, NULL, 0))
		goto sent;
	pipe_fail(d, NULL, tag);
	return db_result_error(d, NULL, NULL, e);
sent:
	if (pipe_push(d, tag, e) == -1)
		return -1;
	d->pipe->tags[d->pipe->n - 1].sink = sink;
	d->pipe->tags[d->pipe->n - 1].arg = arg;
	return 0;
}

int
db_send_rec(struct db *d, const char *sql, int nparams,
    const char *const *params, db_sink_fn sink, void *arg, struct merr *e)
{
	return rec_send(d, DB_TAG_RECORD, sql, nparams, params, sink, arg, e);
}

int
db_send_guard(struct db *d, int guard, struct merr *e)
{
	char key[16];
	const char *p[1] = { key };

	snprintf(key, sizeof(key), "%d", guard);
	return rec_send(d, DB_TAG_GUARD, DB_GUARD_SQL, 1, p, NULL, NULL, e);
}

void
db_prep_drop(struct db *d)
{
	for (int i = 0; d->prep && i < PREP_MAX; i++)
		free(d->prep[i].sql);
	free(d->prep);
	d->prep = NULL;
	d->prep_gen++;
}

/*
 * The held COMMIT's own result is read: settled, by that result alone
 * (db_pipe_hold refuses a pipeline that failed before it, so p->failed
 * is the COMMIT's, or its Prepare's; a session reset sent after it that
 * fails is the next statement's failure, not the COMMIT's).  Or, lost,
 * it can no longer be read: whether it committed is known only to the
 * server (SQLSTATE 08007), whatever libpq says of the connection.
 */
static void
held_read(struct dbpipe *p, int lost)
{
	p->settled = p->failed || lost ? -1 : 1;
	if (p->settled == 1)
		return;
	p->held_err = p->err;
	if (!lost)
		return;
	snprintf(p->held_err.sqlstate, sizeof(p->held_err.sqlstate), "%s",
	    SQLSTATE_TX_UNKNOWN);
	merr_detail(&p->held_err, "the result of a COMMIT in flight was "
	    "never read: whether it committed is known only to the server");
}

/*
 * Read the results of the first count statements in flight (the rest
 * stay); *last (may be NULL) receives the last one's when count is all
 * of them and all succeeded.  The results of a COMMIT in flight
 * (db_pipe_hold) are settled when read, whoever reads them.  0, or -1
 * when the connection is gone (nothing more to read).
 */
static int
pipe_take(struct db *d, size_t count, PGresult **last)
{
	struct dbpipe *p = d->pipe;
	ExecStatusType st;
	PGresult *r;
	size_t i;
	int gone = 0;

	for (i = 0; i < count; i++) {
		struct sent *t = &p->tags[i];

		if ((r = PQgetResult(d->conn)) == NULL) {
			pipe_fail(d, NULL, t->tag);
			gone = 1;	/* the connection is gone */
			break;
		}
		st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
		    st != PGRES_EMPTY_QUERY && st != PGRES_PIPELINE_ABORTED)
			pipe_fail(d, r, t->tag);
		if (t->prep >= 0 && d->prep)	/* prepared, or sent again */
			d->prep[t->prep].state = st == PGRES_COMMAND_OK ?
			    PREP_READY : 0;
		if (t->sink && st == PGRES_TUPLES_OK)
			t->sink(t->arg, r);
		if (last && i + 1 == p->n && !p->failed)
			*last = r;
		else
			PQclear(r);
		while ((r = PQgetResult(d->conn)) != NULL)
			PQclear(r);	/* the end of this statement's results */
		/* the first held statement not a Prepare is the COMMIT */
		if (i < p->held && t->prep < 0 && p->settled == 0)
			held_read(p, 0);
	}
	if (gone)
		count = p->n;
	if (gone && p->held && p->settled == 0)
		held_read(p, 1);	/* lost before the COMMIT's result */
	p->held = p->held > count ? p->held - count : 0;
	p->mark = p->mark > count ? p->mark - count : 0;
	memmove(p->tags, p->tags + count, (p->n - count) * sizeof(*p->tags));
	p->n -= count;
	return gone ? -1 : 0;
}

/*
 * Read the first count pending results and the Sync after them; *last
 * (may be NULL) receives the last statement's result when all succeeded.
 */
static int
pipe_read_n(struct db *d, size_t count, PGresult **last, struct merr *e)
{
	struct dbpipe *p = d->pipe;
	ExecStatusType st;
	PGresult *r;

	if (pipe_take(d, count, last) == 0)
		while ((r = PQgetResult(d->conn)) != NULL) {
			st = PQresultStatus(r);
			PQclear(r);
			if (st == PGRES_PIPELINE_SYNC)
				break;
		}
	p->synced = 0;
	if (!p->failed)
		return 0;
	if (last && *last) {
		PQclear(*last);
		*last = NULL;
	}
	*e = p->err;
	return -1;
}

/*
 * Read all of it: up to a Sync that others followed first (db_pipe_mark),
 * so that its result is not taken for the next statement's.
 */
static int
pipe_read(struct db *d, PGresult **last, struct merr *e)
{
	struct dbpipe *p = d->pipe;
	struct merr ignore;
	size_t m = p->mark;

	p->mark = 0;
	merr_clear(&ignore);
	if (m)	/* a failure there stays p->err: the one returned below */
		(void)pipe_read_n(d, m, NULL, &ignore);
	return pipe_read_n(d, p->n, last, e);
}

/* Nothing more can be read: what is in flight failed. */
static void
pipe_lost(struct db *d)
{
	struct dbpipe *p = d->pipe;

	if (p->held && p->settled == 0)
		held_read(p, 1);
	p->held = 0;
	p->n = 0;
	p->synced = 0;
}

/* A Sync, unless one is out already. */
static int
pipe_push_sync(struct db *d)
{
	if (d->pipe->synced)
		return 0;
	if (!PQpipelineSync(d->conn))
		return -1;
	d->pipe->synced = 1;
	return 0;
}

int
db_pipe_push_sync(struct db *d, struct merr *e)
{
	if (d->pipe == NULL || d->pipe->n == 0)
		return 0;
	if (pipe_push_sync(d) == -1) {
		pipe_fail(d, NULL, d->pipe->tags[0].tag);
		*e = d->pipe->err;
		return -1;
	}
	return 0;
}

int
db_pipe_mark(struct db *d, struct merr *e)
{
	struct dbpipe *p = d->pipe;

	if (p == NULL || p->n == 0 || p->mark || p->synced)
		return merr_set(e, MERR_INTERNAL, "nothing to mark");
	if (!PQpipelineSync(d->conn)) {
		pipe_fail(d, NULL, p->tags[0].tag);
		pipe_lost(d);
		*e = p->err;
		return -1;
	}
	p->mark = p->n;
	return 0;
}

int
db_pipe_read_mark(struct db *d, struct merr *e)
{
	struct dbpipe *p = d->pipe;
	size_t count = p->mark;
	int rc;

	p->mark = 0;
	if (PQflush(d->conn) != 0) {
		pipe_fail(d, NULL, p->tags[0].tag);
		pipe_lost(d);
		*e = p->err;
		return -1;
	}
	rc = pipe_read_n(d, count, NULL, e);
	if (rc == 0 && p->n) {	/* the COMMIT sent after the Sync, held */
		p->held = p->n;
		p->settled = 0;
	}
	return rc;
}

int
db_pipe_flush(struct db *d, struct merr *e)
{
	if (d->pipe == NULL || d->pipe->n == 0)
		return 0;
	if (PQflush(d->conn) != 0) {
		pipe_fail(d, NULL, d->pipe->tags[d->pipe->n - 1].tag);
		*e = d->pipe->err;
		return -1;
	}
	return 0;
}

int
db_pipe_hold(struct db *d, struct merr *e)
{
	struct dbpipe *p = d->pipe;

	if (p == NULL || p->n == 0 || p->held || p->synced || p->failed)
		return merr_set(e, MERR_INTERNAL, "nothing to hold");
	/* the server sends their results at once, not with the next Sync */
	if (!PQsendFlushRequest(d->conn) || PQflush(d->conn) != 0) {
		pipe_fail(d, NULL, DB_TAG_RECORD);
		*e = p->err;
		return -1;
	}
	p->held = p->n;
	p->settled = 0;
	return 0;
}

int
db_pipe_settle(struct db *d, struct merr *e)
{
	struct dbpipe *p = d->pipe;
	int rc;

	/* fail closed: a COMMIT whose result nobody knows is in doubt,
	 * never taken as committed */
	if (p == NULL || (p->held == 0 && p->settled == 0)) {
		if (p == NULL)	/* the connection was closed under it */
			merr_set(e, MERR_CONNECT, "database unavailable with "
			    "a COMMIT in flight");
		else
			merr_set(e, MERR_INTERNAL, "no COMMIT in flight to "
			    "read: its result is not known");
		snprintf(e->sqlstate, sizeof(e->sqlstate), "%s",
		    SQLSTATE_TX_UNKNOWN);
		return -1;
	}
	if (p->held)	/* the rest of it read too: nothing held is left */
		pipe_take(d, p->held, NULL);
	rc = p->settled == 1 ? 0 : -1;
	if (rc == -1)
		*e = p->held_err;
	p->settled = 0;
	return rc;
}

int
db_pipe_sync(struct db *d, struct merr *e)
{
	if (d->pipe == NULL)
		return 0;
	if (d->pipe->n == 0 && !d->pipe->synced) {
		if (d->pipe->failed)
			*e = d->pipe->err;
		return d->pipe->failed ? -1 : 0;
	}
	if (pipe_push_sync(d) == -1) {
		pipe_fail(d, NULL, d->pipe->tags[0].tag);
		pipe_lost(d);
		*e = d->pipe->err;
		return -1;
	}
	return pipe_read(d, NULL, e);
}

int
db_pipe_query(struct db *d, const char *sql, int nparams,
    const char *const *params, PGresult **res, struct merr *e)
{
	*res = NULL;
	if (d->pipe->failed) {
		*e = d->pipe->err;
		return -1;
	}
	if (d->pipe->synced && pipe_read(d, NULL, e) == -1)
		return -1;
	if (!PQsendQueryParams(d->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0) || pipe_push(d, DB_TAG_RECORD, e) == -1 ||
	    pipe_push_sync(d) == -1) {
		pipe_fail(d, NULL, DB_TAG_RECORD);
		pipe_lost(d);
		*e = d->pipe->err;
		return -1;
	}
	return pipe_read(d, res, e);
}

int
db_pipe_failed(const struct db *d, int *tag, struct merr *e)
{
	if (d->pipe == NULL || !d->pipe->failed)
		return 0;
	*tag = d->pipe->failed_tag;
	*e = d->pipe->err;
	return 1;
}

int
db_pipe_end(struct db *d, struct merr *e)
{
	int rc;

	if (d->pipe == NULL)
		return 0;
	rc = d->pipe->n || d->pipe->synced ? db_pipe_sync(d, e) : 0;
	if (d->conn && !PQexitPipelineMode(d->conn) && rc == 0)
		rc = db_result_error(d, NULL, NULL, e);
	free(d->pipe->tags);
	free(d->pipe);
	d->pipe = NULL;
	return rc;
}

void
db_pipe_drop(struct db *d)
{
	if (d->pipe == NULL)
		return;
	free(d->pipe->tags);
	free(d->pipe);
	d->pipe = NULL;
}

int
db_txstatus(struct db *d)
{
	if (d->conn == NULL)
		return PQTRANS_UNKNOWN;
	/* results pending: the transaction the pipeline began is open */
	if (d->pipe && (d->pipe->n > 0 || d->pipe->synced))
		return d->pipe->failed ? PQTRANS_INERROR : PQTRANS_INTRANS;
	return PQtransactionStatus(d->conn);
}
