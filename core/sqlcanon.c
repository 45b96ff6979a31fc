/* sqlcanon.c - the models' SQL objects as PostgreSQL prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "quote.h"
#include "sqlcanon.h"
#include "sqlobj.h"

enum { P_DEF, P_QUAL, P_CHECK };

struct probe {
	struct sch_object *o;
	int		 what;		/* P_DEF, P_QUAL, P_CHECK */
	char		*path;		/* SET LOCAL search_path or NULL */
	char		*create[2];
	char		*read;
	char		*live;		/* the database's, read the same way */
	int		 failed;
};

/* What the pipeline returns, in order. */
enum { R_OTHER, R_CREATE, R_READ, R_LIVE, R_SYNC };
struct reply {
	int	 kind;
	size_t	 probe;
};

struct canon {
	struct schema	*have;
	struct probe	*p;
	size_t		 n;
	struct reply	*r;
	size_t		 nr;
};

static int
canon_nomem(struct merr *e)
{
	return merr_set(e, MERR_NOMEM, "out of memory");
}

static void
canon_reset(struct sch_object *o)
{
	free(o->def);
	free(o->cols);
	free(o->opts);
	free(o->ident);
	free(o->args);
	free(o->result);
	free(o->canon_err);
	o->def = o->cols = o->opts = o->ident = o->args = o->result = NULL;
	o->canon_err = NULL;
	o->canon = o->same_qual = o->same_check = 0;
}

static struct probe *
canon_add(struct canon *c, struct sch_object *o, int what)
{
	struct probe *v;

	if ((v = realloc(c->p, (c->n + 1) * sizeof(*v))) == NULL)
		return NULL;
	c->p = v;
	memset(&v[c->n], 0, sizeof(*v));
	v[c->n].o = o;
	v[c->n].what = what;
	v[c->n].path = o->path;
	return &v[c->n++];
}

/* Reading a temporary copy back (its name follows, as a literal). */
static const char q_view[] = "SELECT pg_get_viewdef(c.oid), "
    CATALOG_VIEW_COLS("c") ", array_to_json(c.reloptions)::text"
    " FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema() AND"
    " c.relname = ";
static const char q_func[] = "SELECT " CATALOG_FUNC_BODY("p", "'pg_temp'")
    ", pg_get_function_identity_arguments(p.oid),"
    " pg_get_function_arguments(p.oid), pg_get_function_result(p.oid)"
    " FROM pg_proc p WHERE p.pronamespace = pg_my_temp_schema() AND"
    " p.proname = ";
/* The database's objects of that name (oids follow), the same way. */
static const char q_view_live[] = "SELECT pg_get_viewdef(c.oid), "
    CATALOG_VIEW_COLS("c") ", array_to_json(c.reloptions)::text, c.oid"
    " FROM pg_class c WHERE c.oid IN ";
static const char q_func_live[] = "SELECT " CATALOG_FUNC_BODY("p",
    "quote_ident(n.nspname)") ", pg_get_function_identity_arguments(p.oid),"
    " pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),"
    " p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE p.oid IN ";

static int
is_view(char kind)
{
	return kind == SCH_VIEW || kind == SCH_MATVIEW;
}

/* "(1, 2)": the oids of have's views or routines named as o. */
static char *
live_oids(const struct schema *have, const struct sch_object *o)
{
	char *s = NULL, *n;

	for (size_t i = 0; i < have->nobjs; i++) {
		const struct sch_object *h = &have->objs[i];

		if (is_view(h->kind) != is_view(o->kind) || h->table ||
		    strcmp(h->schema, o->schema) || strcmp(h->name, o->name))
			continue;
		if (asprintf(&n, "%s%s%lu", s ? s : "(", s ? ", " : "",
		    h->oid) == -1) {
			free(s);
			return NULL;
		}
		free(s);
		s = n;
	}
	if (s && asprintf(&n, "%s)", s) == -1)
		n = NULL;
	free(s);
	return n;
}

static int
probe_def(struct canon *c, struct sch_object *o)
{
	size_t i = c->n;
	struct probe *p;
	char name[32], *oids;
	int rc;

	snprintf(name, sizeof(name), "migrated_canon_%zu", i);
	if ((p = canon_add(c, o, P_DEF)) == NULL ||
	    (p->create[0] = sqlobj_temp_sql(o, name)) == NULL ||
	    (oids = live_oids(c->have, o)) == NULL)
		return -1;
	rc = asprintf(&p->read, "%s'%s'", is_view(o->kind) ? q_view : q_func,
	    name) == -1 || asprintf(&p->live, "%s%s", is_view(o->kind) ?
	    q_view_live : q_func_live, oids) == -1 ? -1 : 0;
	free(oids);
	return rc;
}

/* A policy expression of the model and the database's, both deparsed. */
static int
probe_expr(struct canon *c, struct sch_object *o, int what, const char *w,
    const char *h)
{
	size_t i = c->n;
	struct probe *p;
	char *t = quote_qualified(o->schema, o->table);
	int rc = -1;

	if (t && (p = canon_add(c, o, what)) != NULL &&
	    asprintf(&p->create[0], "CREATE TEMP VIEW pg_temp.migrated_canon_"
	    "%zu_a AS SELECT (%s) FROM %s", i, w, t) != -1 &&
	    asprintf(&p->create[1], "CREATE TEMP VIEW pg_temp.migrated_canon_"
	    "%zu_b AS SELECT (%s) FROM %s", i, h, t) != -1 &&
	    asprintf(&p->read, "SELECT pg_get_viewdef('pg_temp.migrated_canon_"
	    "%zu_a'::regclass) = pg_get_viewdef('pg_temp.migrated_canon_%zu_b'"
	    "::regclass)", i, i) != -1)
		rc = 0;
	free(t);
	return rc;
}

/* The probes: model objects the database has an object of that name of. */
static int
canon_probes(struct canon *c, struct schema *want, struct schema *have)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < want->nobjs; i++) {
		struct sch_object *o = &want->objs[i];
		const struct sch_object *h = schema_find_object(have, o->kind,
		    o->schema, o->name, o->table);

		canon_reset(o);
		if (h == NULL || o->sql == NULL)
			continue;
		if (o->kind != SCH_POLICY && o->kind != SCH_TRIGGER)
			rc = probe_def(c, o);
		if (o->kind != SCH_POLICY)
			continue;
		if (o->qual && h->qual && !schema_expr_equal(o->qual, h->qual))
			rc = probe_expr(c, o, P_QUAL, o->qual, h->qual);
		if (rc == 0 && o->check && h->check &&
		    !schema_expr_equal(o->check, h->check))
			rc = probe_expr(c, o, P_CHECK, o->check, h->check);
	}
	return rc;
}

static void
canon_release(struct canon *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->p[i].create[0]);
		free(c->p[i].create[1]);
		free(c->p[i].read);
		free(c->p[i].live);
	}
	free(c->p);
	free(c->r);
}

/* Send one statement, remembering what its reply is. */
static int
canon_send(struct db *db, struct canon *c, const char *sql, int nparams,
    const char *const *params, int kind, size_t probe)
{
	int ok = kind == R_SYNC ? PQpipelineSync(db->conn) :
	    PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL,
	    0);

	c->r[c->nr].kind = kind;
	c->r[c->nr++].probe = probe;
	return ok ? 0 : -1;
}

static int
canon_send_all(struct db *db, struct canon *c, long lock_ms, long stmt_ms)
{
	char lock[32], stmt[32];
	const char *params[2] = { lock, stmt };
	int rc;

	snprintf(lock, sizeof(lock), "%ld", lock_ms);
	snprintf(stmt, sizeof(stmt), "%ld", stmt_ms);
	rc = canon_send(db, c, "BEGIN", 0, NULL, R_OTHER, 0) |
	    canon_send(db, c, "SELECT set_config('lock_timeout', $1, true),"
	    " set_config('statement_timeout', $2, true),"
	    " set_config('check_function_bodies', 'off', true)", 2, params,
	    R_OTHER, 0);
	for (size_t i = 0; rc == 0 && i < c->n; i++) {
		struct probe *p = &c->p[i];

		const char *pp[1] = { p->path };

		rc = canon_send(db, c, "SAVEPOINT migrated_canon", 0, NULL,
		    R_OTHER, i) |
		    (p->path ? canon_send(db, c, "SELECT set_config("
		    "'search_path', $1, true)", 1, pp, R_OTHER, i) : 0) |
		    canon_send(db, c, p->create[0], 0, NULL, R_CREATE, i) |
		    (p->create[1] ? canon_send(db, c, p->create[1], 0, NULL,
		    R_CREATE, i) : 0) |
		    canon_send(db, c, p->read, 0, NULL, R_READ, i) |
		    (p->live ? canon_send(db, c, p->live, 0, NULL, R_LIVE, i) :
		    0) | canon_send(db, c, NULL, 0, NULL, R_SYNC, i) |
		    canon_send(db, c, "ROLLBACK TO SAVEPOINT migrated_canon", 0,
		    NULL, R_OTHER, i);
	}
	return rc | canon_send(db, c, "ROLLBACK", 0, NULL, R_OTHER, 0) |
	    canon_send(db, c, NULL, 0, NULL, R_SYNC, 0);
}

static int
canon_dup(char **dst, PGresult *r, int col, int row)
{
	*dst = NULL;
	if (PQgetisnull(r, row, col))
		return 0;
	return (*dst = strdup(PQgetvalue(r, row, col))) ? 0 : -1;
}

/* A probe's answer into its model object. */
static int
canon_read(struct probe *p, PGresult *r)
{
	struct sch_object *o = p->o;
	int same = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';

	if (p->what == P_QUAL || p->what == P_CHECK) {
		*(p->what == P_QUAL ? &o->same_qual : &o->same_check) = same;
		return 0;
	}
	if (PQntuples(r) != 1)
		return (o->canon_err = strdup("the temporary copy was not "
		    "found")) ? 0 : -1;
	o->canon = 1;
	if (o->kind == SCH_VIEW || o->kind == SCH_MATVIEW)
		return canon_dup(&o->def, r, 0, 0) | canon_dup(&o->cols, r, 1,
		    0) | canon_dup(&o->opts, r, 2, 0);
	return canon_dup(&o->def, r, 0, 0) | canon_dup(&o->ident, r, 1, 0) |
	    canon_dup(&o->args, r, 2, 0) | canon_dup(&o->result, r, 3, 0);
}

/* The database's objects as read beside the model's, by oid. */
static int
canon_live(struct canon *c, PGresult *r)
{
	int rc = 0;

	for (int k = 0; k < PQntuples(r); k++) {
		unsigned long oid = strtoul(PQgetvalue(r, k, PQnfields(r) - 1),
		    NULL, 10);

		for (size_t i = 0; i < c->have->nobjs; i++) {
			struct sch_object *h = &c->have->objs[i];
			char **f[4] = { &h->def, &h->ident, &h->args,
			    &h->result };

			if (h->oid != oid || h->table)
				continue;
			if (is_view(h->kind)) {
				f[1] = &h->cols;
				f[2] = &h->opts;
			}
			for (int j = 0; j < PQnfields(r) - 1 && j < 4; j++) {
				free(*f[j]);
				rc |= canon_dup(f[j], r, j, k);
			}
		}
	}
	return rc;
}

/* A probe's statement failed: the server's words, once. */
static int
canon_failed(struct probe *p, PGresult *r)
{
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	if (p->failed++ || p->what != P_DEF)
		return 0;
	return (p->o->canon_err = strdup(msg ? msg : "error")) ? 0 : -1;
}

/* Read every reply (also after a failure); -1 with e set on failure. */
static int
canon_recv(struct db *db, struct canon *c, struct merr *e)
{
	PGresult *r, *x;
	int rc = 0;

	for (size_t i = 0; i < c->nr; i++) {
		struct reply *y = &c->r[i];
		ExecStatusType st;

		if ((r = PQgetResult(db->conn)) == NULL) {
			if (rc == 0)
				rc = db_result_error(db, NULL, "cannot "
				    "canonicalise the models' SQL objects", e);
			break;
		}
		st = PQresultStatus(r);
		if (y->kind != R_SYNC)
			while ((x = PQgetResult(db->conn)) != NULL)
				PQclear(x);
		if (rc == 0 && st == PGRES_FATAL_ERROR && y->kind == R_CREATE)
			rc = canon_failed(&c->p[y->probe], r) ? canon_nomem(e) :
			    0;
		else if (rc == 0 && st == PGRES_TUPLES_OK && y->kind == R_READ)
			rc = canon_read(&c->p[y->probe], r) ? canon_nomem(e) :
			    0;
		else if (rc == 0 && st == PGRES_TUPLES_OK && y->kind == R_LIVE)
			rc = canon_live(c, r) ? canon_nomem(e) : 0;
		else if (rc == 0 && st == PGRES_FATAL_ERROR && y->kind ==
		    R_OTHER)
			rc = db_result_error(db, r, "cannot canonicalise the "
			    "models' SQL objects", e);
		PQclear(r);
	}
	return rc;
}

int
sqlcanon_run(struct db *db, struct schema *want, struct schema *have,
    long lock_ms, long stmt_ms, struct merr *e)
{
	struct canon c;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.have = have;
	if (canon_probes(&c, want, have) == -1) {
		canon_release(&c);
		return canon_nomem(e);
	}
	if (c.n == 0)
		goto out;
	if ((c.r = calloc(8 * c.n + 5, sizeof(*c.r))) == NULL) {
		rc = canon_nomem(e);
		goto out;
	}
	if (!PQenterPipelineMode(db->conn) || canon_send_all(db, &c, lock_ms,
	    stmt_ms) == -1) {
		rc = db_result_error(db, NULL, "cannot canonicalise the "
		    "models' SQL objects", e);
		PQexitPipelineMode(db->conn);
		goto out;
	}
	rc = canon_recv(db, &c, e);
	PQexitPipelineMode(db->conn);
out:
	canon_release(&c);
	return rc;
}
