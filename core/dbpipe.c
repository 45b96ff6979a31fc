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

struct dbpipe {
	int		*tags;		/* sent, results not read yet */
	size_t		 n, cap;
	int		 failed;	/* a statement failed since begin */
	int		 failed_tag;
	struct merr	 err;		/* its error */
};

int
db_pipe_begin(struct db *d, struct merr *e)
{
	if (d->conn == NULL)
		return merr_set(e, MERR_CONNECT, "database unavailable");
	if (d->pipe)
		return merr_set(e, MERR_INTERNAL, "pipeline already begun");
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
	int *v;

	if (p->n == p->cap) {
		if ((v = realloc(p->tags, (p->cap ? p->cap * 2 : 16) *
		    sizeof(*v))) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		p->tags = v;
		p->cap = p->cap ? p->cap * 2 : 16;
	}
	p->tags[p->n++] = tag;
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

/*
 * Read every pending result and the sync; *last (may be NULL) receives
 * the last statement's result when all succeeded.
 */
static int
pipe_read(struct db *d, PGresult **last, struct merr *e)
{
	struct dbpipe *p = d->pipe;
	ExecStatusType st;
	PGresult *r;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if ((r = PQgetResult(d->conn)) == NULL) {
			pipe_fail(d, NULL, p->tags[i]);
			break;	/* the connection is gone */
		}
		st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
		    st != PGRES_EMPTY_QUERY && st != PGRES_PIPELINE_ABORTED)
			pipe_fail(d, r, p->tags[i]);
		if (last && i + 1 == p->n && !p->failed)
			*last = r;
		else
			PQclear(r);
		while ((r = PQgetResult(d->conn)) != NULL)
			PQclear(r);	/* the end of this statement's results */
	}
	if (i == p->n)
		while ((r = PQgetResult(d->conn)) != NULL) {
			st = PQresultStatus(r);
			PQclear(r);
			if (st == PGRES_PIPELINE_SYNC)
				break;
		}
	p->n = 0;
	if (!p->failed)
		return 0;
	if (last && *last) {
		PQclear(*last);
		*last = NULL;
	}
	*e = p->err;
	return -1;
}

int
db_pipe_sync(struct db *d, struct merr *e)
{
	if (d->pipe == NULL)
		return 0;
	if (d->pipe->n == 0) {
		if (d->pipe->failed)
			*e = d->pipe->err;
		return d->pipe->failed ? -1 : 0;
	}
	if (!PQpipelineSync(d->conn)) {
		pipe_fail(d, NULL, d->pipe->tags[0]);
		d->pipe->n = 0;
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
	if (!PQsendQueryParams(d->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0) || pipe_push(d, DB_TAG_RECORD, e) == -1 ||
	    !PQpipelineSync(d->conn)) {
		pipe_fail(d, NULL, DB_TAG_RECORD);
		d->pipe->n = 0;
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
	rc = d->pipe->n ? db_pipe_sync(d, e) : 0;
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
	if (d->pipe && d->pipe->n > 0)
		return d->pipe->failed ? PQTRANS_INERROR : PQTRANS_INTRANS;
	return PQtransactionStatus(d->conn);
}
