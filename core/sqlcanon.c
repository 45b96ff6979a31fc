/* sqlcanon.c - the models' SQL objects as PostgreSQL prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "quote.h"
#include "sqlcanon.h"
#include "sqlobj.h"

enum { P_DEF, P_QUAL, P_CHECK, P_TRY };

struct probe {
	struct sch_object *o;
	int		 what;		/* P_DEF, P_QUAL, P_CHECK, P_TRY */
	char		*path;		/* SET LOCAL search_path or NULL */
	char		*try;		/* tried: a copy that is not read back,
					   under check_function_bodies */
	char		*create[2];
	char		*read;
	char		*live;		/* the database's, read the same way */
	int		 failed;
};

/* What the pipeline returns, in order. */
enum { R_OTHER, R_CREATE, R_READ, R_LIVE, R_TRY, R_SYNC };
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
	/* the bare names of what the plan may make (a table, view,
	   function, type, sequence) or add columns to; new: an extension */
	char		**made;
	int		 new_ext;
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
	free(o->try_err);
	o->def = o->cols = o->opts = o->ident = o->args = o->result = NULL;
	o->canon_err = o->try_err = NULL;
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

		if ((is_view(o->kind) ? !is_view(h->kind) : h->kind !=
		    SCH_FUNCTION && h->kind != SCH_PROCEDURE) || h->table ||
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

/*
 * The name of o's temporary copy (malloc'd, quoted): a view's is made
 * up; a routine keeps its own, since a SQL-standard body (RETURN, BEGIN
 * ATOMIC) may name an argument as function.argument, and PostgreSQL
 * deparses it so. Each probe is rolled back before the next.
 */
static char *
copy_name(const struct canon *c, const struct sch_object *o)
{
	char *n;

	if (!is_view(o->kind))
		return quote_ident(o->name);
	return asprintf(&n, "migrated_canon_%zu", c->n) == -1 ? NULL : n;
}

static int
probe_def(struct canon *c, struct sch_object *o, int check)
{
	struct probe *p;
	char *name = copy_name(c, o), *oids = NULL, *lit = NULL;
	int rc = -1;

	if (name == NULL || (p = canon_add(c, o, P_DEF)) == NULL ||
	    (p->create[0] = sqlobj_temp_sql(o, name, 0)) == NULL ||
	    (oids = live_oids(c->have, o)) == NULL ||
	    (lit = quote_literal(is_view(o->kind) ? name : o->name)) == NULL)
		goto out;
	rc = asprintf(&p->read, "%s%s", is_view(o->kind) ? q_view : q_func,
	    lit) == -1 || asprintf(&p->live, "%s%s", is_view(o->kind) ?
	    q_view_live : q_func_live, oids) == -1 ? -1 : 0;
	/* the body checked as CREATE FUNCTION checks it by default: the same
	   copy again, replaced */
	if (rc == 0 && check && (p->try = sqlobj_temp_sql(o, name, 1)) ==
	    NULL)
		rc = -1;
out:
	free(name);
	free(oids);
	free(lit);
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

/* A new view or routine tried as a temporary copy (nothing read back). */
static int
probe_try(struct canon *c, struct sch_object *o)
{
	char *name = copy_name(c, o);
	struct probe *p;
	int rc = -1;

	if (name && (p = canon_add(c, o, P_TRY)) != NULL &&
	    (p->try = sqlobj_temp_sql(o, name, 0)) != NULL)
		rc = 0;
	free(name);
	return rc;
}

static int
made_push(struct canon *c, const char *name, int is_new)
{
	return is_new ? schema_strv_push(&c->made, name) : 0;
}

/* What the plan may make: want's names that have lacks (canon.made). */
static int
canon_made(struct canon *c, const struct schema *want,
    const struct schema *have)
{
	int rc = 0;

	for (size_t i = 0; i < want->nexts; i++)
		c->new_ext |= !schema_find_extension(have, want->exts[i].name);
	for (size_t i = 0; rc == 0 && i < want->ntables; i++) {
		const struct sch_table *t = &want->tables[i];
		const struct sch_table *h = schema_find_table(have, t->schema,
		    t->name);
		int grows = h == NULL;

		for (size_t k = 0; !grows && k < t->ncols; k++)
			grows = !schema_find_column(h, t->cols[k].name);
		rc = made_push(c, t->name, grows);
	}
	for (size_t i = 0; rc == 0 && i < want->nobjs; i++) {
		const struct sch_object *o = &want->objs[i];

		rc = made_push(c, o->name, o->table == NULL &&
		    !schema_find_object(have, o->kind, o->schema, o->name,
		    NULL));
	}
	for (size_t i = 0; rc == 0 && i < want->nenums; i++)
		rc = made_push(c, want->enums[i].name, !schema_find_enum(have,
		    want->enums[i].schema, want->enums[i].name));
	for (size_t i = 0; rc == 0 && i < want->ndomains; i++)
		rc = made_push(c, want->domains[i].name, !schema_find_domain(
		    have, want->domains[i].schema, want->domains[i].name));
	for (size_t i = 0; rc == 0 && i < want->nseqs; i++)
		rc = made_push(c, want->seqs[i].name, !schema_find_sequence(
		    have, want->seqs[i].schema, want->seqs[i].name));
	return rc;
}

/*
 * 1 when o can be tried before the plan runs: it names nothing the plan
 * may make (then it is tried only when the plan applies), and the plan
 * creates no extension (whose functions and types it may use); -1 when
 * out of memory.
 */
static int
canon_tryable(const struct canon *c, const struct sch_object *o)
{
	char **m = NULL;
	int ok = !c->new_ext;

	if (ok && sqlobj_mentions(o, &m) == -1)
		return -1;
	for (size_t i = 0; ok && m && m[i]; i++)
		for (size_t k = 0; ok && c->made && c->made[k]; k++)
			ok = strcmp(m[i], c->made[k]) != 0;
	schema_strv_free(m);
	return ok;
}

/*
 * The probes: model objects the database has an object of that name of
 * (read back), and the new views and routines that can be tried.
 */
static int
canon_probes(struct canon *c, struct schema *want, struct schema *have)
{
	int rc = canon_made(c, want, have), tryable;

	for (size_t i = 0; rc == 0 && i < want->nobjs; i++) {
		struct sch_object *o = &want->objs[i];
		const struct sch_object *h = schema_find_object(have, o->kind,
		    o->schema, o->name, o->table);

		canon_reset(o);
		if (o->sql == NULL || (h == NULL && (o->kind == SCH_POLICY ||
		    o->kind == SCH_TRIGGER)))
			continue;
		tryable = o->kind == SCH_POLICY || o->kind == SCH_TRIGGER ?
		    0 : canon_tryable(c, o);
		if (tryable == -1)
			return -1;
		if (h == NULL) {
			rc = tryable ? probe_try(c, o) : 0;
			continue;
		}
		if (o->kind != SCH_POLICY && o->kind != SCH_TRIGGER)
			rc = probe_def(c, o, tryable && !is_view(o->kind));
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
		free(c->p[i].try);
		free(c->p[i].create[1]);
		free(c->p[i].read);
		free(c->p[i].live);
	}
	free(c->p);
	free(c->r);
	schema_strv_free(c->made);
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
		    (p->create[0] ? canon_send(db, c, p->create[0], 0, NULL,
		    R_CREATE, i) : 0) |
		    (p->create[1] ? canon_send(db, c, p->create[1], 0, NULL,
		    R_CREATE, i) : 0) |
		    (p->read ? canon_send(db, c, p->read, 0, NULL, R_READ, i) :
		    0) |
		    (p->live ? canon_send(db, c, p->live, 0, NULL, R_LIVE, i) :
		    0) |
		    (p->try ? canon_send(db, c, "SELECT set_config("
		    "'check_function_bodies', 'on', true)", 0, NULL, R_OTHER,
		    i) | canon_send(db, c, p->try, 0, NULL, R_TRY, i) : 0) |
		    canon_send(db, c, NULL, 0, NULL, R_SYNC, i) |
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

/* Byte offset of PostgreSQL's 1-based character position in s. */
static size_t
canon_char_byte(const char *s, long pos)
{
	size_t i;
	long n = 0;

	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++n == pos)
			return i;
	return i;
}

/*
 * The server's error for sql, a temporary copy of o, into *dst: its words,
 * and where in the model file it is (the server's position in the copy).
 */
static int
canon_error(char **dst, const struct sch_object *o, const char *sql,
    PGresult *r)
{
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *at = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
	int line = o->pos.line, col = o->pos.col;
	size_t off;

	if (msg == NULL)
		msg = "error";
	if (at == NULL || o->pos.file == NULL)
		return (*dst = strdup(msg)) ? 0 : -1;
	off = sqlobj_temp_offset(o, sql, canon_char_byte(sql,
	    strtol(at, NULL, 10)));
	for (size_t i = 0; i < off && o->sql[i]; i++)
		if (o->sql[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)o->sql[i] & 0xc0) != 0x80)
			col++;
	return asprintf(dst, "%s at %s:%d:%d", msg, o->pos.file, line,
	    col) == -1 ? -1 : 0;
}

/* A probe's statement failed: the server's words, once. */
static int
canon_failed(struct probe *p, int kind, PGresult *r)
{
	if (p->failed++)
		return 0;
	if (kind == R_TRY)
		return canon_error(&p->o->try_err, p->o, p->try, r);
	if (p->what != P_DEF)
		return 0;
	return canon_error(&p->o->canon_err, p->o, p->create[0], r);
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
		if (rc == 0 && st == PGRES_FATAL_ERROR && (y->kind ==
		    R_CREATE || y->kind == R_TRY))
			rc = canon_failed(&c->p[y->probe], y->kind, r) ?
			    canon_nomem(e) : 0;
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
	if ((c.r = calloc(10 * c.n + 5, sizeof(*c.r))) == NULL) {
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
