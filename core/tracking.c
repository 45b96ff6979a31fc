/* tracking.c - the table of applied versions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "quote.h"
#include "tracking.h"

#define TRACKING_COMMENT	TRACKING_COMMENT_PREFIX "1"

/* "sql" with every %T replaced by the quoted schema.table; malloc'd. */
static char *
tsql_of(const char *schema, const char *table, const char *fmt)
{
	char *t = quote_qualified(schema, table), *out, *p;
	size_t tl;
	const char *f;

	if (t == NULL)
		return NULL;
	tl = strlen(t);
	if ((out = malloc(strlen(fmt) * 2 + tl * 4 + 1)) == NULL) {
		free(t);
		return NULL;
	}
	for (f = fmt, p = out; *f; f++) {
		if (f[0] == '%' && f[1] == 'T') {
			memcpy(p, t, tl);
			p += tl;
			f++;
		} else {
			*p++ = *f;
		}
	}
	*p = '\0';
	free(t);
	return out;
}

static char *
tsql(const struct config *c, const char *fmt)
{
	return tsql_of(c->schema, c->tracking_table, fmt);
}

static int
run(struct db *d, const struct config *c, const char *fmt, int n,
    const char *const *params, PGresult **res, struct merr *e)
{
	char *sql = tsql(c, fmt);
	PGresult *r = NULL;
	int rc;

	if (sql == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	/* a row written, no result wanted: sent without waiting when the
	 * transaction is pipelined (db_send) */
	if (res == NULL)
		rc = db_send_rec(d, sql, n, params, NULL, NULL, e);
	else
		rc = db_query(d, sql, n, params, &r, e);
	free(sql);
	if (res)
		*res = r;
	return rc;
}

/*
 * After the table's name: its columns and the COMMENT ON TABLE that says
 * it is migrated's (format 1; a later format adds ALTER TABLE steps
 * keyed on the comment, under the same advisory lock).
 */
#define TRK_DDL \
	" version text PRIMARY KEY," \
	" name text NOT NULL," \
	" checksum text NOT NULL," \
	" applied_at timestamptz NOT NULL DEFAULT now()," \
	" duration_ms bigint NOT NULL DEFAULT 0," \
	" applied_by text NOT NULL," \
	" dirty boolean NOT NULL DEFAULT false," \
	" direction text NOT NULL DEFAULT 'up'" \
	"   CHECK (direction IN ('up', 'down'))," \
	" stmt_done integer NOT NULL DEFAULT 0," \
	" batch_key text," \
	" rows_done bigint NOT NULL DEFAULT 0," \
	" error text," \
	" sqlstate text);" \
	" COMMENT ON TABLE %T IS '" TRACKING_COMMENT "'"

/* The table made; strict: CREATE TABLE, which fails if it is there. */
static int
tracking_make(struct db *d, const struct config *c, int strict,
    struct merr *e)
{
	char *schema = quote_ident(c->schema);
	char *sql = NULL;
	int rc;

	if (schema == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = asprintf(&sql, "CREATE SCHEMA IF NOT EXISTS %s", schema);
	free(schema);
	if (rc == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = db_exec(d, sql, e);
	free(sql);
	if (rc == -1)
		return -1;
	if ((sql = tsql(c, strict ? "CREATE TABLE %T (" TRK_DDL :
	    "CREATE TABLE IF NOT EXISTS %T (" TRK_DDL)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = db_exec(d, sql, e);
	free(sql);
	return rc;
}

int
tracking_init(struct db *d, const struct config *c, struct merr *e)
{
	return tracking_make(d, c, 0, e);
}

/*
 * A session that takes no migration lock made the table after it was
 * found missing: "already exists" when it committed first, a unique
 * violation in the catalogs when this statement waited for it to commit.
 */
static int
made_meanwhile(const struct config *c, struct merr *e)
{
	if (strcmp(e->sqlstate, "42P07") == 0 ||
	    strcmp(e->sqlstate, "23505") == 0)
		merr_hint(e, "the table %s.%s was made by another session "
		    "meanwhile; run again", c->schema, c->tracking_table);
	return -1;
}

int
tracking_create(struct db *d, const struct config *c, struct tracking *t,
    struct merr *e)
{
	if (tracking_make(d, c, 1, e) == -1)
		return made_meanwhile(c, e);
	/* made by this statement: there, ours, and empty */
	tracking_release(t);
	t->exists = 1;
	return 0;
}

static char *
dupval(PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return strdup(PQgetvalue(r, row, col));
}

/*
 * Does schema.table exist, and is it ours (its comment says "migrated
 * tracking N")?  And, in the same statement, schema.other when other is
 * not NULL (o[0], o[1]: the same two answers; may be NULL without other).
 */
static int
probe(struct db *d, const char *schema, const char *table,
    const char *other, int *yes, int *ours, int o[2], struct merr *e)
{
	char *t = quote_qualified(schema, table);
	char *t2 = other ? quote_qualified(schema, other) : NULL;
	const char *p[2] = { t, t2 };
	PGresult *r;
	int rc;

	if (t == NULL || (other && t2 == NULL)) {
		free(t);
		free(t2);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	rc = db_query(d, "SELECT to_regclass($1) IS NOT NULL, "
	    "coalesce(obj_description(to_regclass($1), 'pg_class'), '') "
	    "LIKE 'migrated tracking %', to_regclass($2) IS NOT NULL, "
	    "coalesce(obj_description(to_regclass($2), 'pg_class'), '') "
	    "LIKE 'migrated tracking %'", 2, p, &r, e);
	free(t);
	free(t2);
	if (rc == -1)
		return -1;
	*yes = PQgetvalue(r, 0, 0)[0] == 't';
	*ours = PQgetvalue(r, 0, 1)[0] == 't';
	if (o) {
		o[0] = PQgetvalue(r, 0, 2)[0] == 't';
		o[1] = PQgetvalue(r, 0, 3)[0] == 't';
	}
	PQclear(r);
	return 0;
}

/* A table of another tool where ours should be: refused, never read. */
static int
not_ours(const struct config *c, struct merr *e)
{
	merr_set(e, MERR_STATE, "table \"%s\".\"%s\" is not migrated's "
	    "tracking table", c->schema, c->tracking_table);
	merr_detail(e, "its comment does not say 'migrated tracking': another "
	    "tool (golang-migrate and dbmate use schema_migrations) keeps "
	    "its history there");
	merr_hint(e, "set tracking_table to a name of migrated's own (the "
	    "default is %s); migrated then adopts the other tool's history",
	    CONFIG_TRACKING_TABLE);
	return -1;
}

int
tracking_state(struct db *d, const struct config *c, struct tracking *t,
    struct merr *e)
{
	int ours = 0, old[2] = { 0, 0 };

	memset(t, 0, sizeof(*t));
	/* and an old build's table, not renamed yet, in the same statement */
	if (probe(d, c->schema, c->tracking_table, c->tracking_default ?
	    CONFIG_TRACKING_LEGACY : NULL, &t->exists, &ours, old, e) == -1)
		return -1;
	if (t->exists && !ours)
		return not_ours(c, e);
	t->legacy = !t->exists && old[0] && old[1];
	t->exists |= t->legacy;
	return 0;
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct trk_row *)a)->version,
	    ((const struct trk_row *)b)->version);
}

/* The columns tracking_rows() reads, in its order. */
#define TRK_COLUMNS	"version, name, checksum, " \
	"to_char(applied_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), applied_by, duration_ms, " \
	"dirty, direction, stmt_done, batch_key, rows_done, error, sqlstate"

/* The rows of r (TRK_COLUMNS) into t, sorted by version. */
static int
tracking_rows(PGresult *r, struct tracking *t, struct merr *e)
{
	int i, n = PQntuples(r);

	if (n && (t->v = calloc((size_t)n, sizeof(*t->v))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct trk_row *w = &t->v[i];

		w->version = dupval(r, i, 0);
		w->name = dupval(r, i, 1);
		w->checksum = dupval(r, i, 2);
		w->applied_at = dupval(r, i, 3);
		w->applied_by = dupval(r, i, 4);
		w->duration_ms = atol(PQgetvalue(r, i, 5));
		w->dirty = PQgetvalue(r, i, 6)[0] == 't';
		w->direction = dupval(r, i, 7);
		w->stmt_done = atoi(PQgetvalue(r, i, 8));
		w->batch_key = dupval(r, i, 9);
		w->rows_done = atoll(PQgetvalue(r, i, 10));
		w->error = dupval(r, i, 11);
		w->sqlstate = dupval(r, i, 12);
		t->n++;
		if (!w->version || !w->name || !w->checksum || !w->direction) {
			tracking_release(t);
			return merr_set(e, MERR_NOMEM, "out of memory");
		}
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), row_cmp);
	return 0;
}

int
tracking_load(struct db *d, const struct config *c, struct tracking *t,
    struct merr *e)
{
	char *sql;
	PGresult *r;
	int rc;

	if (tracking_state(d, c, t, e) == -1)
		return -1;
	if (!t->exists)
		return 0;
	/* an old build's table, not renamed yet: read where it is */
	if ((sql = tsql_of(c->schema, t->legacy ? CONFIG_TRACKING_LEGACY :
	    c->tracking_table, "SELECT " TRK_COLUMNS " FROM %T")) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = db_query(d, sql, 0, NULL, &r, e);
	free(sql);
	if (rc == -1)
		return -1;
	rc = tracking_rows(r, t, e);
	PQclear(r);
	return rc;
}

/*
 * One row: is the server a writable primary (as DB_ROLE_QUERY asks), does
 * a session of this database hold the migration lock, is the table ours;
 * then its rows summed up (migset_digest()'s text, made by the server in
 * the bytes order of the "C" collation, as strcmp() orders).  The table's
 * comment is read as obj_description() reads it, without that SQL
 * function's body parsed at every call.
 */
#define DIGEST_SQL	"SELECT s.recovery, s.read_only, s.locked, s.ours, " \
	"t.n, t.dirty, t.digest FROM (SELECT pg_is_in_recovery() AS recovery, " \
	"current_setting('transaction_read_only') AS read_only, " \
	"EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND " \
	"granted AND objsubid = 1 AND database = (SELECT oid FROM " \
	"pg_database WHERE datname = current_database()) AND " \
	"((classid::bigint << 32) | objid::bigint) = " DB_LOCK_KEY_STR \
	") AS locked, coalesce((SELECT description FROM " \
	"pg_catalog.pg_description WHERE objoid = to_regclass($1) AND " \
	"classoid = 'pg_catalog.pg_class'::regclass AND objsubid = 0), '') " \
	"LIKE 'migrated tracking %' AS ours) s, (SELECT count(*) AS n, " \
	"coalesce(bool_or(dirty), false) AS dirty, " \
	"encode(sha256(convert_to(coalesce(string_agg(version || '/' || " \
	"checksum, '/' ORDER BY version COLLATE \"C\"), ''), 'UTF8')), " \
	"'hex') AS digest FROM %T) t"

/* The digest's row (db_send_rec's sink): read only when it is sure. */
static void
digest_row(void *arg, const PGresult *r)
{
	struct trk_digest *t = arg;

	if (PQntuples(r) != 1 || PQnfields(r) != 7 ||
	    PQgetvalue(r, 0, 0)[0] != 'f' || strcmp(PQgetvalue(r, 0, 1),
	    "off") != 0 || PQgetvalue(r, 0, 2)[0] != 'f' ||
	    PQgetvalue(r, 0, 3)[0] != 't' ||
	    strlen(PQgetvalue(r, 0, 6)) != sizeof(t->digest) - 1)
		return;
	t->n = atoll(PQgetvalue(r, 0, 4));
	t->dirty = PQgetvalue(r, 0, 5)[0] == 't';
	memcpy(t->digest, PQgetvalue(r, 0, 6), sizeof(t->digest));
}

/*
 * Sent as a record (db_send_rec): prepared once per connection whose
 * session is its own, so that a no-op up is no parse, rewrite (pg_locks
 * is a view) and plan on the server each time.
 */
int
tracking_digest_send(struct db *d, const struct config *c,
    struct trk_digest *t, struct merr *e)
{
	char *sql, *name;
	const char *p[1];
	struct merr ignore;
	int rc;

	memset(t, 0, sizeof(*t));
	sql = tsql(c, DIGEST_SQL);
	name = quote_qualified(c->schema, c->tracking_table);
	if (sql == NULL || name == NULL) {
		free(sql);
		free(name);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	p[0] = name;
	merr_clear(&ignore);
	/* no table (a first run, an old build's): the locked path's job */
	rc = db_pipe_begin(d, &ignore);
	if (rc == 0)
		rc = db_send_rec(d, sql, 1, p, digest_row, t, &ignore);
	if (rc == 0)
		rc = db_pipe_push_sync(d, &ignore);
	t->failed = rc == -1;
	free(sql);
	free(name);
	return 0;
}

void
tracking_digest_read(struct db *d, struct trk_digest *t, int *sure)
{
	struct merr ignore;

	merr_clear(&ignore);
	if (db_pipe_end(d, &ignore) == -1)
		t->failed = 1;
	*sure = !t->failed && t->digest[0] != '\0';
}

void
tracking_release(struct tracking *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct trk_row *w = &t->v[i];

		free(w->version);
		free(w->name);
		free(w->checksum);
		free(w->applied_at);
		free(w->applied_by);
		free(w->direction);
		free(w->batch_key);
		free(w->error);
		free(w->sqlstate);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

int
tracking_assume(struct tracking *t, const struct trk_row *rows, size_t n,
    struct merr *e)
{
	if (t->n || n == 0)
		return 0;
	if ((t->v = calloc(n, sizeof(*t->v))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct trk_row *w = &t->v[t->n++];

		w->version = strdup(rows[i].version);
		w->name = strdup(rows[i].name);
		w->checksum = strdup(rows[i].checksum);
		w->applied_by = strdup(rows[i].applied_by);
		w->direction = strdup("up");
		if (!w->version || !w->name || !w->checksum ||
		    !w->applied_by || !w->direction) {
			tracking_release(t);
			return merr_set(e, MERR_NOMEM, "out of memory");
		}
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), row_cmp);
	return 0;
}

struct trk_row *
tracking_find(const struct tracking *t, const char *version)
{
	struct trk_row key;

	if (t->n == 0)
		return NULL;
	key.version = (char *)(uintptr_t)version;
	return bsearch(&key, t->v, t->n, sizeof(*t->v), row_cmp);
}

int
tracking_put(struct db *d, const struct config *c, const struct trk_row *w,
    struct merr *e)
{
	char dur[32], stmt[32], rows[32];
	const char *p[11];

	snprintf(dur, sizeof(dur), "%ld", w->duration_ms);
	snprintf(stmt, sizeof(stmt), "%d", w->stmt_done);
	snprintf(rows, sizeof(rows), "%lld", w->rows_done);
	p[0] = w->version;
	p[1] = w->name;
	p[2] = w->checksum;
	p[3] = w->applied_by ? w->applied_by : "?";
	p[4] = dur;
	p[5] = w->dirty ? "t" : "f";
	p[6] = w->direction ? w->direction : "up";
	p[7] = stmt;
	p[8] = w->batch_key;
	p[9] = rows;
	p[10] = w->error;
	return run(d, c, "INSERT INTO %T (version, name, checksum, applied_by,"
	    " duration_ms, dirty, direction, stmt_done, batch_key, rows_done,"
	    " error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
	    " ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name,"
	    " checksum = EXCLUDED.checksum, applied_at = now(),"
	    " applied_by = EXCLUDED.applied_by,"
	    " duration_ms = EXCLUDED.duration_ms, dirty = EXCLUDED.dirty,"
	    " direction = EXCLUDED.direction, stmt_done = EXCLUDED.stmt_done,"
	    " batch_key = EXCLUDED.batch_key, rows_done = EXCLUDED.rows_done,"
	    " error = EXCLUDED.error, sqlstate = NULL", 11, p, NULL, e);
}

int
tracking_progress(struct db *d, const struct config *c, const char *version,
    int stmt_done, const char *batch_key, long long rows_done,
    struct merr *e)
{
	char stmt[32], rows[32];
	const char *p[4] = { version, stmt, batch_key, rows };

	snprintf(stmt, sizeof(stmt), "%d", stmt_done);
	snprintf(rows, sizeof(rows), "%lld", rows_done);
	return run(d, c, "UPDATE %T SET stmt_done = $2, batch_key = $3,"
	    " rows_done = $4, error = NULL, sqlstate = NULL"
	    " WHERE version = $1", 4, p, NULL, e);
}

int
tracking_finish(struct db *d, const struct config *c, const char *version,
    const char *checksum, long duration_ms, struct merr *e)
{
	char dur[32];
	const char *p[3] = { version, checksum, dur };

	snprintf(dur, sizeof(dur), "%ld", duration_ms);
	return run(d, c, "UPDATE %T SET dirty = false, direction = 'up',"
	    " stmt_done = 0, batch_key = NULL, rows_done = 0, error = NULL,"
	    " sqlstate = NULL, checksum = $2, duration_ms = $3,"
	    " applied_at = now() WHERE version = $1", 3, p, NULL, e);
}

int
tracking_fail(struct db *d, const struct config *c, const char *version,
    const char *error, const char *sqlstate, struct merr *e)
{
	const char *p[3] = { version, error, sqlstate && *sqlstate ?
	    sqlstate : NULL };

	return run(d, c, "UPDATE %T SET error = $2, sqlstate = $3"
	    " WHERE version = $1", 3, p, NULL, e);
}

int
tracking_delete(struct db *d, const struct config *c, const char *version,
    struct merr *e)
{
	const char *p[1] = { version };

	return run(d, c, "DELETE FROM %T WHERE version = $1", 1, p, NULL, e);
}

/* One constraint of the renamed table: the old table's prefix, the new. */
static int
rename_constraint(struct db *d, const struct config *c, const char *old,
    struct merr *e)
{
	size_t pl = strlen(CONFIG_TRACKING_LEGACY);
	char *from = NULL, *to = NULL, *sql = NULL, *fmt = NULL;
	int rc = merr_set(e, MERR_NOMEM, "out of memory");

	if ((from = quote_ident(old)) == NULL ||
	    asprintf(&fmt, "%s%s", c->tracking_table, old + pl) == -1 ||
	    (to = quote_ident(fmt)) == NULL)
		goto out;
	free(fmt);
	fmt = NULL;
	if (asprintf(&fmt, "ALTER TABLE %%T RENAME CONSTRAINT %s TO %s", from,
	    to) == -1 || (sql = tsql(c, fmt)) == NULL)
		goto out;
	rc = db_exec(d, sql, e);
out:
	free(from);
	free(to);
	free(fmt);
	free(sql);
	return rc;
}

int
tracking_upgrade(struct db *d, const struct config *c, struct merr *e)
{
	char *to = quote_ident(c->tracking_table), *fmt = NULL, *sql = NULL;
	char *t = quote_qualified(c->schema, c->tracking_table);
	const char *p[2];
	PGresult *r = NULL;
	int rc = merr_set(e, MERR_NOMEM, "out of memory");

	if (to == NULL || t == NULL ||
	    asprintf(&fmt, "ALTER TABLE %%T RENAME TO %s", to) == -1 ||
	    (sql = tsql_of(c->schema, CONFIG_TRACKING_LEGACY, fmt)) == NULL)
		goto out;
	if ((rc = db_exec(d, sql, e)) == -1)
		goto out;
	/* schema_migrations_pkey would block golang-migrate's own table */
	p[0] = t;
	p[1] = CONFIG_TRACKING_LEGACY "_";
	if ((rc = db_query(d, "SELECT conname FROM pg_constraint WHERE "
	    "conrelid = to_regclass($1) AND starts_with(conname, $2) "
	    "ORDER BY conname", 2, p, &r, e)) == -1)
		goto out;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++)
		rc = rename_constraint(d, c, PQgetvalue(r, i, 0), e);
out:
	PQclear(r);
	free(to);
	free(t);
	free(fmt);
	free(sql);
	return rc;
}
