/*
 * backfill.c - a batched UPDATE ("-- migrated:batch size=N").
 *
 * The statement is run unchanged except for its target table, which is
 * replaced by a temporary auto-updatable view
 *     pg_temp.migrated_batch = SELECT * FROM t
 *         WHERE pk > current_setting('migrated.batch_lo')::type
 *           AND pk <= current_setting('migrated.batch_hi')::type
 * (">=" for the first batch of a walk; the table name is found at the
 * location the parser gives; the SQL is never re-parsed by hand).  Each
 * batch is one short transaction of four round trips: BEGIN; the bounds
 * (one statement reads the next N keys after the last one done from the
 * primary key's index, in one pass, and sets them as the view's bounds
 * and the batch's lock_timeout); the UPDATE and the tracking row's last
 * key and rows done, sent together in libpq's pipeline mode; COMMIT,
 * sent once their results are read.  The lower bound is the last key
 * done itself, not the next key found: a row inserted between the two
 * while the batch runs is in this batch, never skipped.  A kill loses at
 * most the batch in flight, which rolls back with its progress; the
 * next run continues after the recorded key.
 *
 * The pace (rows per batch, the pause after it) comes from pacer.c, fed
 * with each batch's time and, when adaptive, the transaction id the
 * batch takes (txid_current() in its bounds statement): the ids others
 * took between two batches give the application's write rate (pacer.h).
 * A probe, a trivial write transaction (SELECT txid_current()) on the
 * same connection between two batches, is timed once a rate window
 * (PACER_WINDOW_US) and PACER_NBASE times, RATE_GAP_MS apart, for the
 * baselines of both (and more, up to PACER_NBASE_MAX, while the write
 * rate settles: pacer_rate_settled()), once a file: before the first
 * batch, or before the file's first statement to run when that is not
 * a paced batch (backfill_baseline()), and again past
 * PACER_BASE_MAX_AGE_US.  The application's busy sessions are counted
 * by each batch's bounds statement and every PACER_BUSY_GAP_MS of a
 * pause and of the gaps between those probes.
 * An adaptive batch waits for a row lock at most PROBE_LOCK_MIN_MS or ten
 * times the target (the file's lock_timeout if shorter); a lock timeout
 * halves the size before the retry.  Every batch event carries the
 * measurements and the decision.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "mtime.h"
#include "pacer.h"
#include "quote.h"
#include "runner_int.h"
#include "tracking.h"

struct backfill {
	struct run		*r;
	struct runner		*ex;	/* runs the batches */
	const struct mig_stmt	*st;
	char			*table;	/* quoted, qualified */
	char			*pk;	/* quoted */
	char			*type;	/* format_type() */
	char			*sql;	/* the rewritten UPDATE */
	char			*bounds;	/* the next keys, after $3 */
	char			*bounds0;	/* the first keys */
	int			 incl;	/* the view's lower bound is ">=" */
	int			 viewed;	/* the view was made (or tried) */
	int			 want_view;	/* a batch found keys first */
	char			*last;	/* last key done, or NULL */
	/* what the batch in flight found, kept on commit */
	char			*next_last;
	long long		 count;
	/* the pace */
	long long		 xid;	/* the batch's transaction id, -1 */
	long long		 xid_us;	/* when it was taken */
	long			 busy;	/* the application's busy sessions
					   then, -1: unknown */
	struct pacer		 pace;
	char			 lock_ms[24];	/* adaptive: the batch's */
	int			 retries;	/* of the batch in flight */
	int			 probes;	/* ids probes took since the last
						   batch's */
	long long		 probe_at;	/* the last probe, us */
	struct progress_pace	 report;
};

#define PROBE_LOCK_MIN_MS	200	/* the shortest per-batch lock wait */
#define PACE_TARGET_MS		20	/* target when the config has none */
#define RATE_GAP_MS		200	/* between the probes before */

/*
 * The application's busy sessions: other client backends of this
 * database running a statement, migrated's own left out (its
 * connections' fallback_application_name, "migrated" and "migrated
 * ...": a fleet member's backfill, the lock session).  A session of a
 * role whose privileges migrated's has not shows no state without
 * pg_read_all_stats (or superuser): when this database has one, NULL,
 * not a count of 0, and the signal is off; one pass over the sessions
 * answers both.  The function under pg_stat_activity: the view's joins,
 * removed by the planner as unused, cost 0.3 ms of planning a call, the
 * function 0.07 ms in all (200 connection slots).
 */
#define BUSY_SQL	"SELECT CASE WHEN pg_catalog.pg_has_role(" \
	"'pg_read_all_stats', 'USAGE') OR count(*) FILTER (WHERE " \
	"s.usesysid IS NOT NULL AND NOT pg_catalog.pg_has_role(s.usesysid, " \
	"'USAGE')) = 0 THEN count(*) FILTER (WHERE s.state = 'active' AND " \
	"s.backend_type = 'client backend' AND s.pid <> " \
	"pg_catalog.pg_backend_pid() AND s.application_name <> 'migrated' " \
	"AND s.application_name NOT LIKE 'migrated %') END FROM " \
	"pg_catalog.pg_stat_get_activity(NULL) s WHERE s.datid = (SELECT oid " \
	"FROM pg_catalog.pg_database WHERE datname = " \
	"pg_catalog.current_database())"

/* Length of identifier name written at s (quoted or not), or 0. */
static size_t
ident_at(const char *s, const char *name)
{
	size_t n = strlen(name), i = 1, j = 0;

	if (*s != '"') {
		if (strncasecmp(s, name, n) != 0 || isalnum((unsigned char)s[n])
		    || s[n] == '_' || s[n] == '$')
			return 0;
		return n;
	}
	while (s[i]) {
		if (s[i] == '"' && s[i + 1] == '"') {
			if (name[j++] != '"')
				return 0;
			i += 2;
		} else if (s[i] == '"') {
			return name[j] == '\0' ? i + 1 : 0;
		} else if (name[j++] != s[i++]) {
			return 0;
		}
	}
	return 0;
}

/* The span of "[schema.]table" at loc in sql, or 0. */
static size_t
rel_span(const char *sql, size_t loc, const char *schema, const char *rel)
{
	size_t a, b;

	if (loc >= strlen(sql))
		return 0;
	if (schema == NULL)
		return ident_at(sql + loc, rel);
	if ((a = ident_at(sql + loc, schema)) == 0 || sql[loc + a] != '.')
		return 0;
	if ((b = ident_at(sql + loc + a + 1, rel)) == 0)
		return 0;
	return a + 1 + b;
}

static int
refuse(struct backfill *b, struct merr *e, const char *why, const char *rel)
{
	struct run *r = b->r;

	merr_setpos(e, MERR_REFUSED, r->sc->path, b->st->line, b->st->col,
	    "cannot batch statement %d of '%s': %s \"%s\"", r->stmt + 1,
	    r->m->id, why, rel);
	return -1;
}

/*
 * The statements that find the next batch's keys: at most $1 of them
 * after the last one done ($3; bounds0: from the start), in one pass of
 * the primary key's index (array_agg: not every key type has min and
 * max, uuid has not).  They set the view's bounds (empty when no
 * key is left: the UPDATE then matches nothing) and, when adaptive, the
 * batch's lock_timeout ($2), and return how many keys, the last one and
 * the transaction id the batch takes.
 */
static int
bf_bounds_sql(struct backfill *b)
{
	const char *fmt = "SELECT n, hi, set_config('migrated.batch_lo', "
	    "coalesce(%s, ''), true), set_config('migrated.batch_hi', "
	    "coalesce(hi, ''), true), CASE WHEN $2::text IS NOT NULL THEN "
	    "set_config('lock_timeout', $2, true) END, txid_current(), "
	    "CASE WHEN $2::text IS NOT NULL THEN (" BUSY_SQL ") END FROM "
	    "(SELECT n, a[1]::text lo, a[n]::text hi FROM (SELECT count(*) "
	    "n, array_agg(k ORDER BY k) a FROM (SELECT %s AS k FROM %s%s%s%s%s "
	    "ORDER BY %s LIMIT $1) s) s) s";

	if (asprintf(&b->bounds0, fmt, "lo", b->pk, b->table, "", "", "", "",
	    b->pk) == -1) {
		b->bounds0 = NULL;
		return -1;
	}
	if (asprintf(&b->bounds, fmt, "$3::text", b->pk, b->table, " WHERE ",
	    b->pk, " > $3::text::", b->type, b->pk) == -1) {
		b->bounds = NULL;
		return -1;
	}
	return 0;
}

/* Table, primary key and the rewritten statement. */
static int
bf_prepare(struct backfill *b, struct merr *e)
{
	json_t *root = mig_stmt_tree(b->st), *n, *rv;
	const char *schema, *rel, *alias, *p[1];
	struct db *d = b->r->env->db;
	PGresult *res = NULL;
	char *qrel = NULL;
	size_t loc, span;
	int rc = -1;

	n = json_object_get(json_object_get(json_array_get(json_object_get(
	    root, "stmts"), 0), "stmt"), "UpdateStmt");
	rv = json_object_get(n, "relation");
	schema = json_string_value(json_object_get(rv, "schemaname"));
	rel = json_string_value(json_object_get(rv, "relname"));
	alias = json_string_value(json_object_get(json_object_get(rv,
	    "alias"), "aliasname"));
	loc = (size_t)json_integer_value(json_object_get(rv, "location"));
	if (rel == NULL) {
		merr_set(e, MERR_INTERNAL, "batched UPDATE without a table");
		goto out;
	}
	b->table = schema ? quote_qualified(schema, rel) : quote_ident(rel);
	if ((p[0] = b->table) == NULL) {
		merr_set(e, MERR_NOMEM, "out of memory");
		goto out;
	}
	if (db_query(d, "SELECT a.attname, format_type(a.atttypid, "
	    "a.atttypmod), c.reltuples::bigint FROM pg_class c JOIN pg_index "
	    "i ON i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1 "
	    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = "
	    "i.indkey[0] WHERE c.oid = $1::regclass", 1, p, &res, e) == -1)
		goto out;
	if (PQntuples(res) != 1) {
		refuse(b, e, "no single-column primary key on table", rel);
		merr_hint(e, "add a primary key, or remove the "
		    "'-- migrated:batch' line to run it as one statement");
		goto out;
	}
	b->pk = quote_ident(PQgetvalue(res, 0, 0));
	b->type = strdup(PQgetvalue(res, 0, 1));
	b->r->rows_total = atoll(PQgetvalue(res, 0, 2));
	if ((span = rel_span(b->st->sql, loc, schema, rel)) == 0) {
		refuse(b, e, "cannot find the name of table", rel);
		goto out;
	}
	if ((qrel = quote_ident(rel)) == NULL || b->pk == NULL ||
	    b->type == NULL || asprintf(&b->sql,
	    "%.*spg_temp.migrated_batch%s%s%s", (int)loc, b->st->sql,
	    alias ? "" : " AS ", alias ? "" : qrel,
	    b->st->sql + loc + span) == -1) {
		b->sql = NULL;
		merr_set(e, MERR_NOMEM, "out of memory");
		goto out;
	}
	if (bf_bounds_sql(b) == -1) {
		merr_set(e, MERR_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(qrel);
	PQclear(res);
	json_decref(root);
	return rc;
}

static int
bf_view_body(struct db *d, void *arg, struct merr *e)
{
	struct backfill *b = arg;
	char *sql;
	int rc;

	if (asprintf(&sql, "CREATE OR REPLACE TEMP VIEW migrated_batch AS "
	    "SELECT * FROM %s WHERE %s %s nullif(current_setting("
	    "'migrated.batch_lo'), '')::%s AND %s <= nullif(current_setting("
	    "'migrated.batch_hi'), '')::%s", b->table, b->pk,
	    b->incl ? ">=" : ">", b->type, b->pk, b->type) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = db_exec(d, sql, e);
	free(sql);
	return rc;
}

/*
 * The view, under the same short lock_timeout and retries: its lower
 * bound is the first key found for a walk's first batch, the last key
 * done (excluded) for every other.
 */
static int
bf_view(struct backfill *b, struct merr *e)
{
	b->viewed = 1;
	b->incl = b->last == NULL;
	return runner_notx(b->ex, bf_view_body, b, e);
}

static int
bf_estimate(struct backfill *b, struct merr *e)
{
	PGresult *res;
	char *sql;
	int rc;

	if (b->r->rows_total >= 0)	/* reltuples: -1 if never analysed */
		return 0;
	if (asprintf(&sql, "SELECT count(*) FROM %s", b->table) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = db_query(b->r->env->db, sql, 0, NULL, &res, e);
	free(sql);
	if (rc == 0) {
		b->r->rows_total = atoll(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	return rc;
}

/* The next keys (bf_bounds_sql): one round trip. */
static int
bf_bounds(struct db *d, struct backfill *b, struct merr *e)
{
	const char *p[3];
	char size[24];
	PGresult *res;

	snprintf(size, sizeof(size), "%ld", b->pace.size);
	p[0] = size;
	p[1] = b->lock_ms[0] ? b->lock_ms : NULL;
	p[2] = b->last;
	if (db_query(d, b->last ? b->bounds : b->bounds0, b->last ? 3 : 2,
	    p, &res, e) == -1)
		return -1;
	b->xid_us = mtime_now_us();
	b->count = atoll(PQgetvalue(res, 0, 0));
	b->xid = atoll(PQgetvalue(res, 0, 5));
	b->busy = PQgetisnull(res, 0, 6) ? -1 : atol(PQgetvalue(res, 0, 6));
	if (b->count > 0 && (b->next_last = strdup(PQgetvalue(res, 0,
	    1))) == NULL) {
		PQclear(res);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	PQclear(res);
	return 0;
}

/*
 * One batch, inside the transaction runner_tx() opened: the bounds, then
 * the UPDATE and its progress in one round trip.  A failure of the
 * UPDATE names the file, line and statement (run_sql_failed).
 */
static int
bf_body(struct db *d, void *arg, struct merr *e)
{
	struct backfill *b = arg;
	struct merr first, ignore;
	int rc, tag = DB_TAG_RECORD;

	free(b->next_last);
	b->next_last = NULL;
	b->count = 0;
	if (b->ex->attempt > 0) {	/* after a lock timeout */
		b->retries++;
		pacer_retry(&b->pace);
	}
	if (bf_bounds(d, b, e) == -1)
		return -1;
	if (b->count == 0)
		return 0;
	if (!b->viewed) {	/* made when the first keys are found */
		b->want_view = 1;
		return 0;
	}
	merr_clear(e);	/* a retry must not inherit the last position */
	if (db_pipe_begin(d, e) == -1)
		return -1;
	rc = db_send(d, b->sql, 0, NULL, 0, e);
	if (rc == 0)
		rc = tracking_progress(d, b->r->env->cfg, b->r->m->version,
		    b->r->stmt, b->next_last, b->r->rows_done + b->count, e);
	if (rc == 0)
		rc = db_pipe_sync(d, e);
	if (rc == -1 && db_pipe_failed(d, &tag, &first))
		*e = first;
	merr_clear(&ignore);
	if (db_pipe_end(d, rc == 0 ? e : &ignore) == -1)
		rc = -1;
	if (rc == -1 && tag == 0)
		run_sql_failed(b->r, b->st, e);
	return rc;
}

/* A batch line without pause= (or with a pacing option) is paced. */
int
backfill_paced(const struct run *r, const struct mig_stmt *st)
{
	return st->pace != NULL || (st->batch_pause_ms < 0 &&
	    r->env->cfg->batch_target_ms > 0);
}

/* The limits of this statement's pace, from its line and the config. */
static void
bf_limits(const struct backfill *b, struct pace_limits *l)
{
	const struct config *c = b->r->env->cfg;
	const struct pace_spec *sp = b->st->pace;
	long size = b->st->batch_size;

	memset(l, 0, sizeof(*l));
	l->size = size;
	l->pause_ms = b->st->batch_pause_ms >= 0 ? b->st->batch_pause_ms :
	    c->batch_pause_ms;
	l->adaptive = backfill_paced(b->r, b->st);
	if (!l->adaptive) {
		l->min_size = l->max_size = size;
		return;
	}
	l->min_size = sp && sp->min_size > 0 ? sp->min_size :
	    size / 16 > 0 ? size / 16 : 1;
	l->max_size = sp && sp->max_size > 0 ? sp->max_size :
	    size <= 10000000 / 4 ? size * 4 : 10000000;
	l->target_ms = sp && sp->target_ms > 0 ? sp->target_ms :
	    c->batch_target_ms > 0 ? c->batch_target_ms : PACE_TARGET_MS;
	l->max_pause_ms = sp && sp->max_pause_ms > 0 ? sp->max_pause_ms :
	    c->batch_max_pause_ms;
	if (l->pause_ms > l->max_pause_ms)
		l->pause_ms = l->max_pause_ms;
}

/*
 * The probe: the smallest write transaction, timed (microseconds, or -1
 * if it failed: the pace goes on without it).  txid_current() takes a
 * transaction id, so its commit waits for the WAL flush (and synchronous
 * standbys) as the application's commits do, besides the CPU everyone
 * waits for; the id (*xid, -1 if none) counts the write transactions
 * begun before it.
 */
static long
bf_probe(struct backfill *b, long long *xid, long long *at_us)
{
	struct merr ignore;
	PGresult *res;
	long long t0;

	*xid = -1;
	*at_us = t0 = mtime_now_us();
	if (db_query(b->r->env->db, "SELECT txid_current()", 0, NULL, &res,
	    &ignore) == -1)
		return -1;
	*xid = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	b->probe_at = mtime_now_us();
	return (long)(b->probe_at - t0);
}

/* The application's busy sessions now (BUSY_SQL), or -1 (not seen). */
static long
bf_busy(struct backfill *b)
{
	struct merr ignore;
	PGresult *res;
	long n;

	if (db_query(b->r->env->db, BUSY_SQL, 0, NULL, &res, &ignore) == -1)
		return -1;
	n = PQgetisnull(res, 0, 0) ? -1 : atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

/* Stopped: by the runner of the batches, or before it runs, the run's. */
static int
bf_stopped(const struct backfill *b)
{
	volatile sig_atomic_t *stop = b->r->env->stop;

	return b->ex ? runner_stopped(b->ex) : stop != NULL && *stop;
}

/*
 * Wait ms; adaptive, with a busy sample every PACER_BUSY_GAP_MS
 * (pacer_busy_gap_ms()), before the first batch for the baseline
 * (baseline set), after for the window; stopped, at once.
 */
static void
bf_wait(struct backfill *b, long ms, int baseline)
{
	long long end = mtime_now_us() + (long long)ms * 1000, left;
	long busy, gap;

	if (!b->pace.lim.adaptive) {
		mtime_sleep_ms(ms);
		return;
	}
	while ((left = end - mtime_now_us()) > 0 && !bf_stopped(b)) {
		if ((gap = pacer_busy_gap_ms(left)) == 0) {
			mtime_sleep_ms((long)((left + 999) / 1000));
			return;
		}
		mtime_sleep_ms(gap);
		busy = bf_busy(b);
		if (baseline)
			pacer_busy_baseline(&b->pace, busy);
		else
			pacer_busy_sample(&b->pace, busy);
	}
}

/*
 * The probe, write rate and busy baselines: PACER_NBASE probes,
 * RATE_GAP_MS apart, and more, up to PACER_NBASE_MAX, while the write
 * rate settles; busy samples in the gaps.
 */
static void
bf_baselines(struct backfill *b)
{
	long long xid, at;

	for (int i = 0; i < PACER_NBASE_MAX; i++) {
		if ((i >= PACER_NBASE && pacer_rate_settled(&b->pace)) ||
		    bf_stopped(b))
			break;
		if (i > 0)
			bf_wait(b, RATE_GAP_MS, 1);
		pacer_baseline(&b->pace, bf_probe(b, &xid, &at));
		pacer_rate_baseline(&b->pace, xid, at);
	}
}

size_t
backfill_first_paced(const struct run *r, const struct work_unit *u)
{
	size_t i;

	for (i = u->start; i < u->nsteps; i++)
		if (u->steps[i].custom && backfill_paced(r, &r->sc->stmts[i]))
			break;
	return i;
}

/*
 * The baselines are the application undisturbed.  A batch after other
 * statements in its file (an index build) would take them while the
 * application catches up on what those made it wait for: pgbench at
 * 5,000 a second read as 5,771 and 6,311 writes a second, after
 * probing for 2.8 s (pacer_rate_settled()), and seemed behind ever
 * after.  So a file's paced batches take them once, before the first
 * statement to run (here, when that is not a paced batch; otherwise
 * that batch, as it starts: bf_pace_init()), and every one uses them
 * while they are usable (pacer_baselines_usable(): a probe answered, at
 * most PACER_BASE_MAX_AGE_US ago); past that, a batch takes them again.
 */
void
backfill_baseline(struct run *r, const struct work_unit *u)
{
	struct backfill b;
	struct pace_limits l;
	char note[128];
	size_t i = backfill_first_paced(r, u);

	if (i == u->nsteps || i == u->start)
		return;
	memset(&b, 0, sizeof(b));
	b.r = r;
	b.st = &r->sc->stmts[i];
	bf_limits(&b, &l);
	pacer_init(&b.pace, &l);
	bf_baselines(&b);
	if (bf_stopped(&b) || !pacer_baselines_usable(&b.pace,
	    mtime_now_us()))
		return;
	r->early = b.pace;
	r->early_taken = 1;
	snprintf(note, sizeof(note), "the application's baselines taken "
	    "before the statements run, for the file's batches (the first "
	    "at line %d)", b.st->line);
	run_progress(r, "pace", note);
}

/*
 * The file's baselines for this batch: usable, with a probe that starts
 * its first window; otherwise (none yet, or too old) its own, which the
 * file's later batches then use.
 */
static void
bf_pace_baselines(struct backfill *b)
{
	struct run *r = b->r;
	long long xid, at, now = mtime_now_us();
	char note[128];

	if (r->early_taken && pacer_baselines_usable(&r->early, now)) {
		pacer_adopt_baselines(&b->pace, &r->early);
		(void)bf_probe(b, &xid, &at);
		pacer_rate_restart(&b->pace, xid, at);
		return;
	}
	if (r->early_taken) {
		snprintf(note, sizeof(note), "the application's baselines "
		    "are %lld s old: taken again for the batch at line %d",
		    (now - r->early.taken_us) / 1000000, b->st->line);
		run_progress(r, "pace", note);
	}
	bf_baselines(b);
	r->early = b->pace;
	r->early_taken = !bf_stopped(b) && pacer_baselines_usable(&b->pace,
	    mtime_now_us());
}

/* Set up the pace; an adaptive one gets its lock wait and baselines. */
static void
bf_pace_init(struct backfill *b)
{
	struct pace_limits l;
	long ms;

	bf_limits(b, &l);
	pacer_init(&b->pace, &l);
	if (!l.adaptive)
		return;
	ms = l.target_ms * 10 > PROBE_LOCK_MIN_MS ? l.target_ms * 10 :
	    PROBE_LOCK_MIN_MS;
	if (b->ex->w->lim.lock_ms > 0 && b->ex->w->lim.lock_ms < ms)
		ms = b->ex->w->lim.lock_ms;
	snprintf(b->lock_ms, sizeof(b->lock_ms), "%ldms", ms);
	bf_pace_baselines(b);
}

/*
 * After a committed batch: the probe when a window has passed since the
 * last one, the pacer's decision, reported with the batch.
 */
static void
bf_pace(struct backfill *b, long ms)
{
	struct pace_sample s;
	struct progress_pace *rp = &b->report;
	long long xid, at;

	s.rows = b->count;
	s.ms = ms;
	s.retries = b->retries;
	s.xid = b->pace.lim.adaptive ? b->xid : -1;
	s.at_us = b->xid_us;
	s.probes = b->probes;	/* since the batch before */
	s.busy = b->pace.lim.adaptive ? b->busy : -1;
	s.probe_us = -1;
	b->probes = 0;
	if (b->pace.lim.adaptive &&
	    mtime_now_us() - b->probe_at >= PACER_WINDOW_US) {
		s.probe_us = bf_probe(b, &xid, &at);
		b->probes = xid >= 0;
	}
	pacer_update(&b->pace, &s);
	memset(rp, 0, sizeof(*rp));
	rp->batch = b->pace.batches;
	rp->rows = s.rows;
	rp->ms = ms;
	rp->retries = s.retries;
	rp->probe_us = s.probe_us;
	rp->probe_limit_us = pacer_probe_limit_us(&b->pace);
	rp->rate = b->pace.rate.last;
	rp->base_rate = b->pace.rate.base;
	rp->busy = b->pace.busy.last;
	rp->base_busy = b->pace.busy.base;
	rp->target_ms = b->pace.lim.target_ms;
	rp->decision = pacer_decision_name(b->pace.decision);
	rp->reason = b->pace.reason;
	rp->size = b->pace.size;
	rp->pause_ms = pacer_pause_ms(&b->pace);
}

static int
bf_loop(struct backfill *b, struct merr *e)
{
	struct run *r = b->r;
	long t0;

	bf_pace_init(b);
	for (;;) {
		if (runner_stopped(b->ex)) {
			return merr_set(e, MERR_STATE, "'%s' interrupted in "
			    "statement %d after %lld rows", r->m->id,
			    r->stmt + 1, r->rows_done);
		}
		b->retries = 0;
		t0 = mtime_now_ms();
		if (runner_tx(b->ex, bf_body, b, e) == -1)
			return -1;
		if (b->count == 0)
			return 0;
		if (b->want_view) {	/* rows the estimate did not see */
			b->want_view = 0;
			free(b->next_last);
			b->next_last = NULL;
			if (bf_view(b, e) == -1)
				return -1;
			continue;
		}
		free(b->last);
		b->last = b->next_last;
		b->next_last = NULL;
		r->rows_done += b->count;
		bf_pace(b, mtime_now_ms() - t0);
		r->pace = &b->report;
		run_progress(r, "batch", NULL);
		r->pace = NULL;
		if (b->incl && bf_view(b, e) == -1)	/* "> last" from now */
			return -1;
		bf_wait(b, pacer_pause_ms(&b->pace), 0);
	}
}

/*
 * Before a file starts: refuse a batch whose table already exists but
 * has no usable key (a table the file creates is checked when reached).
 */
int
backfill_check(struct run *r, const struct mig_stmt *st, struct merr *e)
{
	json_t *root = mig_stmt_tree(st), *rv;
	const char *schema, *rel, *p[1];
	struct backfill b;
	PGresult *res;
	char *q;
	int rc = 0, found;

	rv = json_object_get(json_object_get(json_object_get(json_array_get(
	    json_object_get(root, "stmts"), 0), "stmt"), "UpdateStmt"),
	    "relation");
	schema = json_string_value(json_object_get(rv, "schemaname"));
	rel = json_string_value(json_object_get(rv, "relname"));
	q = rel == NULL ? NULL : schema ? quote_qualified(schema, rel) :
	    quote_ident(rel);
	if ((p[0] = q) == NULL) {
		json_decref(root);
		return merr_set(e, MERR_INTERNAL, "batched UPDATE without a "
		    "table");
	}
	rc = db_query(r->env->db, "SELECT to_regclass($1) IS NOT NULL", 1, p,
	    &res, e);
	found = rc == 0 && PQgetvalue(res, 0, 0)[0] == 't';
	if (rc == 0)
		PQclear(res);
	free(q);
	json_decref(root);
	if (rc == -1 || !found)
		return rc;
	memset(&b, 0, sizeof(b));
	b.r = r;
	b.st = st;
	rc = bf_prepare(&b, e);
	free(b.table);
	free(b.pk);
	free(b.type);
	free(b.sql);
	free(b.bounds);
	free(b.bounds0);
	return rc;
}

int
backfill_run(struct run *r, struct runner *ex, const struct mig_stmt *st,
    struct merr *e)
{
	struct backfill b;
	struct merr ignore;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	b.r = r;
	b.ex = ex;
	b.st = st;
	b.xid = -1;
	if (r->resume && r->resume->dirty && r->stmt == r->resume->stmt_done &&
	    r->resume->batch_key) {
		if ((b.last = strdup(r->resume->batch_key)) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		r->rows_done = r->resume->rows_done;
	}
	/*
	 * An empty table (a database just made: every member of a cold
	 * fleet) gets no view: the first batch finds no key and the
	 * statement is done.  A backend's first temporary object is a
	 * namespace of its own, the costliest part of an empty backfill.
	 * Keys found anyway (rows written since the estimate) get the view
	 * then, and their batch is run again with it.
	 */
	if (bf_prepare(&b, e) == 0 && bf_estimate(&b, e) == 0 &&
	    (r->rows_total == 0 || bf_view(&b, e) == 0))
		rc = bf_loop(&b, e);
	merr_clear(&ignore);
	if (b.viewed && db_ok(r->env->db))
		db_exec(r->env->db,
		    "DROP VIEW IF EXISTS pg_temp.migrated_batch",
		    &ignore);
	free(b.table);
	free(b.pk);
	free(b.type);
	free(b.sql);
	free(b.bounds);
	free(b.bounds0);
	free(b.last);
	free(b.next_last);
	return rc;
}
