/* adopt.c - another tool's history in the database (see adopt.h). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <zlib.h>

#include "adopt.h"
#include "config.h"
#include "db.h"
#include "hash.h"
#include "migset.h"
#include "migset_int.h"	/* mig_read_file */
#include "quote.h"

static const char *const tool_names[ADOPT_NTOOLS] = {
	[ADOPT_NONE] = "none",
	[ADOPT_GOLANG] = "golang-migrate",
	[ADOPT_GOOSE] = "goose",
	[ADOPT_DBMATE] = "dbmate",
	[ADOPT_FLYWAY] = "flyway",
	[ADOPT_DIESEL] = "diesel",
	[ADOPT_PRISMA] = "prisma",
	[ADOPT_POP] = "pop",
	[ADOPT_SQLMIGRATE] = "sql-migrate",
	[ADOPT_TERN] = "tern",
	[ADOPT_ATLAS] = "atlas",
	[ADOPT_SQLX] = "sqlx",
	[ADOPT_NPGM] = "node-pg-migrate",
	[ADOPT_SUPABASE] = "supabase",
	[ADOPT_DRIZZLE] = "drizzle",
	[ADOPT_POSTGRATOR] = "postgrator",
};

const char *
adopt_tool_name(enum adopt_tool t)
{
	return t > ADOPT_NONE && t < ADOPT_NTOOLS ? tool_names[t] : "none";
}

enum adopt_tool
adopt_tool_from_name(const char *s)
{
	if (s == NULL)
		return ADOPT_NONE;
	if (!strcasecmp(s, "migrate"))	/* golang-migrate's command */
		return ADOPT_GOLANG;
	for (int t = ADOPT_GOLANG; t < ADOPT_NTOOLS; t++)
		if (!strcasecmp(s, tool_names[t]))
			return (enum adopt_tool)t;
	return ADOPT_NONE;
}

/* ---- versions ---- */

#define VPARTS	8

/*
 * Plain digits, or a native date version "YYYYMMDD_HHMMSS", as one number:
 * "0008" is 8, "20240101_120000" and goose's 20240101120000 are one.
 */
static int
plain_number(const char *v, uint64_t *out)
{
	size_t i, n = 0;
	uint64_t x = 0;

	for (i = 0; v[i]; i++) {
		if (v[i] == '_' && i == 8 && n == 8)
			continue;
		if (v[i] < '0' || v[i] > '9' || ++n > 19)
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (n == 0)
		return -1;
	*out = x;
	return 0;
}

/*
 * A version as numbers: plain_number(), otherwise parts split at '.' or
 * '_' (Flyway: "1.1", "1_1"), trailing zero parts dropped ("1.0" is "1").
 */
static int
vparts(const char *v, uint64_t p[VPARTS], size_t *n)
{
	const char *s = v;
	size_t digits;

	*n = 0;
	if (plain_number(v, &p[0]) == 0) {
		*n = 1;
		return 0;
	}
	for (;;) {
		if (*n == VPARTS)
			return -1;
		p[*n] = 0;
		for (digits = 0; isdigit((unsigned char)*s); s++, digits++) {
			if (digits == 19)
				return -1;
			p[*n] = p[*n] * 10 + (uint64_t)(*s - '0');
		}
		if (digits == 0)
			return -1;
		(*n)++;
		if (*s == '\0')
			break;
		if (*s != '.' && *s != '_')
			return -1;
		s++;
	}
	while (*n > 1 && p[*n - 1] == 0)
		(*n)--;
	return 0;
}

/*
 * Two strings of digits as numbers of any length (pop's 20-digit
 * versions pass 64 bits): 1 when both are such strings, *cmp set.
 */
static int
long_numbers(const char *a, const char *b, int *cmp)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na == 0 || nb == 0 || strspn(a, "0123456789") != na ||
	    strspn(b, "0123456789") != nb)
		return 0;
	for (; na > 1 && *a == '0'; na--)
		a++;
	for (; nb > 1 && *b == '0'; nb--)
		b++;
	*cmp = na != nb ? (na < nb ? -1 : 1) : strcmp(a, b);
	*cmp = *cmp < 0 ? -1 : *cmp > 0;
	return 1;
}

int
adopt_vcmp(const char *a, const char *b, int *cmp)
{
	uint64_t pa[VPARTS], pb[VPARTS], x, y;
	size_t na, nb;

	if (long_numbers(a, b, cmp))
		return 0;
	if (vparts(a, pa, &na) == -1 || vparts(b, pb, &nb) == -1)
		return -1;
	for (size_t i = 0; i < na || i < nb; i++) {
		x = i < na ? pa[i] : 0;
		y = i < nb ? pb[i] : 0;
		if (x != y) {
			*cmp = x < y ? -1 : 1;
			return 0;
		}
	}
	*cmp = 0;
	return 0;
}

/* ---- detection ---- */

/*
 * Each tool's table: its name and exactly these columns, as the tool
 * creates it (golang-migrate database/postgres/postgres.go, goose
 * internal/dialects/postgres.go, dbmate pkg/driver/postgres/postgres.go,
 * Flyway PostgreSQLDatabase.getRawCreateScript, Diesel
 * diesel_migrations's CREATE_MIGRATIONS_TABLE, Prisma's schema engine's
 * create_migrations_table for PostgreSQL, ory/x popx's migrator.go and
 * the older gobuffalo/pop's, sql-migrate's gorp_migrations, which gorp
 * creates from its MigrationRecord, tern's
 * ensureSchemaVersionTableExists, Atlas's ent schema of its revisions,
 * cmd/atlas/internal/migrate/ent/migrate/schema.go, SQLx's
 * sqlx-postgres/src/migrate.rs, node-pg-migrate's ensureMigrationsTable
 * in src/runner.ts, drizzle-orm's pg-core dialect.ts migrate(),
 * postgrator's lib/Client.js ensureTable, run_at added by 4.x).
 */
static const struct {
	enum adopt_tool	 tool;
	const char	*name;
	const char	*cols[13];	/* NULL-terminated */
} known[] = {
	{ ADOPT_GOLANG, "schema_migrations", { "version", "dirty" } },
	{ ADOPT_DBMATE, "schema_migrations", { "version" } },
	{ ADOPT_GOOSE, "goose_db_version", { "id", "version_id",
	    "is_applied", "tstamp" } },
	{ ADOPT_FLYWAY, "flyway_schema_history", { "installed_rank",
	    "version", "description", "type", "script", "checksum",
	    "installed_by", "installed_on", "execution_time", "success" } },
	{ ADOPT_DIESEL, "__diesel_schema_migrations", { "version",
	    "run_on" } },
	{ ADOPT_PRISMA, "_prisma_migrations", { "id", "checksum",
	    "finished_at", "migration_name", "logs", "rolled_back_at",
	    "started_at", "applied_steps_count" } },
	{ ADOPT_POP, "schema_migration", { "version", "version_self" } },
	{ ADOPT_POP, "schema_migration", { "version" } },
	{ ADOPT_SQLMIGRATE, "gorp_migrations", { "id", "applied_at" } },
	{ ADOPT_TERN, "schema_version", { "version" } },
	{ ADOPT_ATLAS, "atlas_schema_revisions", { "version", "description",
	    "type", "applied", "total", "executed_at", "execution_time",
	    "error", "error_stmt", "hash", "partial_hashes",
	    "operator_version" } },
	{ ADOPT_SQLX, "_sqlx_migrations", { "version", "description",
	    "installed_on", "success", "checksum", "execution_time" } },
	{ ADOPT_NPGM, "pgmigrations", { "id", "name", "run_on" } },
	{ ADOPT_DRIZZLE, "__drizzle_migrations", { "id", "hash",
	    "created_at" } },
	{ ADOPT_POSTGRATOR, "schemaversion", { "version", "name", "md5",
	    "run_at" } },
	{ ADOPT_POSTGRATOR, "schemaversion", { "version", "name", "md5" } },
};

static int
has_col(const char *const *cols, size_t n, const char *c)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cols[i], c))
			return 1;
	return 0;
}

enum adopt_tool
adopt_table_tool(const char *name, const char *const *cols, size_t n)
{
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		size_t i;

		if (strcmp(known[k].name, name))
			continue;
		for (i = 0; known[k].cols[i]; i++)
			if (!has_col(cols, n, known[k].cols[i]))
				break;
		if (known[k].cols[i] == NULL && i == n)
			return known[k].tool;
	}
	return ADOPT_NONE;
}

/* The candidates' columns, one row each, grouped by table. */
static const char detect_sql[] =
    "SELECT c.relname, n.nspname, a.attname,"
    " coalesce(obj_description(c.oid, 'pg_class'), '')"
    "  LIKE 'migrated tracking %'"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
    "  AND NOT a.attisdropped"
    " WHERE (n.nspname = current_schema() OR (n.nspname, c.relname) IN"
    "  (('atlas_schema_revisions', 'atlas_schema_revisions'),"
    "  ('supabase_migrations', 'schema_migrations'),"
    "  ('drizzle', '__drizzle_migrations')))"
    " AND c.relkind IN ('r', 'p')"
    " AND c.relname IN ('schema_migrations', 'goose_db_version',"
    "  'flyway_schema_history', '__diesel_schema_migrations',"
    "  '_prisma_migrations', 'schema_migration', 'gorp_migrations',"
    "  'schema_version', 'atlas_schema_revisions', '_sqlx_migrations',"
    "  'pgmigrations', '__drizzle_migrations', 'schemaversion')"
    " ORDER BY c.relname, n.nspname, a.attnum";

#define DETECT_COLS	16

/*
 * Rows [i, *next) of r, grouped by its columns 0 and 1 (a table's name
 * and schema), are one table's: its columns' names (column 2) into cols.
 */
static size_t
table_cols(PGresult *r, int i, const char *cols[DETECT_COLS], int *next)
{
	const char *a = PQgetvalue(r, i, 0), *b = PQgetvalue(r, i, 1);
	size_t n = 0;
	int k;

	for (k = i; k < PQntuples(r) && !strcmp(PQgetvalue(r, k, 0), a) &&
	    !strcmp(PQgetvalue(r, k, 1), b); k++)
		if (n < DETECT_COLS)
			cols[n++] = PQgetvalue(r, k, 2);
	*next = k;
	return n;
}

/* Rows [i, *next) are one table's: which tool's it is, if any. */
static enum adopt_tool
detect_tool(PGresult *r, int i, int *next)
{
	const char *cols[DETECT_COLS];
	const char *name = PQgetvalue(r, i, 0), *schema = PQgetvalue(r, i, 1);
	int ours = PQgetvalue(r, i, 3)[0] == 't';
	/* one table: its name and schema (Atlas's may be in two) */
	size_t n = table_cols(r, i, cols, next);

	if (ours || *next - i > DETECT_COLS)
		return ADOPT_NONE;
	/* the Supabase CLI's, in its schema, with whatever columns it grew */
	if (!strcmp(schema, "supabase_migrations") &&
	    !strcmp(name, "schema_migrations") && has_col(cols, n, "version"))
		return ADOPT_SUPABASE;
	return adopt_table_tool(name, cols, n);
}

int
adopt_detect(struct db *d, const struct config *cfg,
    struct adopt_src found[ADOPT_MAX_FOUND], size_t *nfound, struct merr *e)
{
	PGresult *r;
	int next;

	*nfound = 0;
	if (db_query(d, detect_sql, 0, NULL, &r, e) == -1)
		return -1;
	for (int i = 0; i < PQntuples(r) && *nfound < ADOPT_MAX_FOUND;
	    i = next) {
		const char *name = PQgetvalue(r, i, 0);
		const char *schema = PQgetvalue(r, i, 1);
		struct adopt_src *s = &found[*nfound];
		enum adopt_tool t = detect_tool(r, i, &next);

		/* never one of ours, whatever it is called */
		if (t == ADOPT_NONE || (!strcmp(schema, cfg->schema) &&
		    (!strcmp(name, cfg->tracking_table) ||
		    !strcmp(name, cfg->audit_table))))
			continue;
		memset(s, 0, sizeof(*s));
		s->tool = t;
		snprintf(s->schema, sizeof(s->schema), "%s", schema);
		snprintf(s->name, sizeof(s->name), "%s", name);
		snprintf(s->table, sizeof(s->table), "%s.%s", schema, name);
		(*nfound)++;
	}
	PQclear(r);
	return 0;
}

/* ---- histories migrated cannot read ---- */

/*
 * Tools whose migrations are no SQL files (or not files of a layout
 * migrated reads), known by their table's name, schema (NULL: the current
 * one) and the columns it has at least (Knex's knex_migrations, Alembic's
 * alembic_version, Django's django_migrations, Ecto's
 * schema_migrations(version, inserted_at), ...).
 */
static const struct {
	const char	*tool;
	const char	*schema;
	const char	*name;
	const char	*cols[4];	/* NULL-terminated */
} foreign[] = {
	{ "Knex", NULL, "knex_migrations", { "name", "batch",
	    "migration_time" } },
	{ "Alembic", NULL, "alembic_version", { "version_num" } },
	{ "Django", NULL, "django_migrations", { "app", "name", "applied" } },
	{ "Ecto", NULL, "schema_migrations", { "version", "inserted_at" } },
	{ "Sequelize", NULL, "SequelizeMeta", { "name" } },
	{ "TypeORM", NULL, "migrations", { "timestamp", "name" } },
	{ "Laravel", NULL, "migrations", { "migration", "batch" } },
	{ "MikroORM", NULL, "mikro_orm_migrations", { "name",
	    "executed_at" } },
	{ "Liquibase", NULL, "databasechangelog", { "id", "author",
	    "filename" } },
	{ "Entity Framework", NULL, "__EFMigrationsHistory", {
	    "MigrationId", "ProductVersion" } },
	{ "Doctrine", NULL, "doctrine_migration_versions", { "version",
	    "executed_at" } },
	{ "Phinx", NULL, "phinxlog", { "version", "migration_name" } },
	{ "Kysely", NULL, "kysely_migration", { "name", "timestamp" } },
	{ "Sqitch", "sqitch", "changes", { "change_id", "change" } },
	{ "graphile-migrate", "graphile_migrate", "migrations", { "hash",
	    "filename" } },
};

static const char foreign_sql[] =
    "SELECT n.nspname, c.relname, a.attname,"
    " has_table_privilege(c.oid, 'SELECT')"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
    "  AND NOT a.attisdropped"
    " WHERE c.relkind IN ('r', 'p') AND (n.nspname = current_schema()"
    "  OR (n.nspname, c.relname) IN (('sqitch', 'changes'),"
    "  ('graphile_migrate', 'migrations')))"
    " AND c.relname IN ('knex_migrations', 'alembic_version',"
    "  'django_migrations', 'schema_migrations', 'SequelizeMeta',"
    "  'migrations', 'mikro_orm_migrations', 'databasechangelog',"
    "  '__EFMigrationsHistory', 'doctrine_migration_versions', 'phinxlog',"
    "  'kysely_migration', 'changes')"
    " ORDER BY n.nspname, c.relname, a.attnum";

/* Rows [i, *next) are one table's: its foreign[] entry, or -1. */
static int
foreign_of(PGresult *r, int i, int *next)
{
	const char *schema = PQgetvalue(r, i, 0), *name = PQgetvalue(r, i, 1);
	const char *cols[DETECT_COLS];
	size_t n = table_cols(r, i, cols, next), k, c;

	for (k = 0; k < sizeof(foreign) / sizeof(foreign[0]); k++) {
		if (strcmp(foreign[k].name, name) || (foreign[k].schema &&
		    strcmp(foreign[k].schema, schema)))
			continue;
		for (c = 0; foreign[k].cols[c] && has_col(cols, n,
		    foreign[k].cols[c]); c++)
			;
		if (foreign[k].cols[c] == NULL)
			return (int)k;
	}
	return -1;
}

/* Does the table hold a row? */
static int
foreign_rows(struct db *d, const char *schema, const char *name, int *any,
    struct merr *e)
{
	char *q = quote_qualified(schema, name), *sql = NULL;
	PGresult *r;
	int rc;

	if (q == NULL || asprintf(&sql, "SELECT EXISTS (SELECT FROM %s)", q) ==
	    -1) {
		free(q);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	rc = db_query(d, sql, 0, NULL, &r, e);
	free(sql);
	free(q);
	if (rc == 0) {
		*any = PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
	}
	return rc;
}

int
adopt_foreign(struct db *d, struct adopt_foreign *out, int *found,
    struct merr *e)
{
	PGresult *r;
	int next, k, any = 0, rc = 0;

	*found = 0;
	if (db_query(d, foreign_sql, 0, NULL, &r, e) == -1)
		return -1;
	for (int i = 0; rc == 0 && !*found && i < PQntuples(r); i = next) {
		/* a table it may not read counts: its rows cannot be told */
		out->unreadable = PQgetvalue(r, i, 3)[0] != 't';
		if ((k = foreign_of(r, i, &next)) < 0 || (!out->unreadable &&
		    ((rc = foreign_rows(d, PQgetvalue(r, i, 0),
		    PQgetvalue(r, i, 1), &any, e)) == -1 || !any)))
			continue;
		*found = 1;
		out->tool = foreign[k].tool;
		snprintf(out->table, sizeof(out->table), "%s.%s",
		    PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	}
	PQclear(r);
	return rc;
}

/* ---- reading ---- */

void
adopt_hist_release(struct adopt_hist *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->versions[i]);
		if (h->sums)
			free(h->sums[i]);
	}
	free(h->versions);
	free(h->sums);
	free(h->upto);
	for (size_t i = 0; i < h->nrep; i++) {
		free(h->rep[i].script);
		free(h->rep[i].checksum);
	}
	free(h->rep);
	memset(h, 0, sizeof(*h));
}

static ssize_t
hist_find(const struct adopt_hist *h, const char *v)
{
	int cmp;

	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->versions[i], v) ||
		    (adopt_vcmp(h->versions[i], v, &cmp) == 0 && cmp == 0))
			return (ssize_t)i;
	return -1;
}

/* Mark v applied (on) or not (off). */
static int
hist_set(struct adopt_hist *h, const char *v, int on, struct merr *e)
{
	ssize_t at = hist_find(h, v);
	char **nv;

	if (!on) {
		if (at >= 0) {
			free(h->versions[at]);
			h->n--;
			h->versions[at] = h->versions[h->n];
			if (h->sums) {
				free(h->sums[at]);
				h->sums[at] = h->sums[h->n];
			}
		}
		return 0;
	}
	if (at >= 0)
		return 0;
	if ((nv = realloc(h->versions, (h->n + 1) * sizeof(*nv))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	h->versions = nv;
	if ((nv = realloc(h->sums, (h->n + 1) * sizeof(*nv))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	h->sums = nv;
	h->sums[h->n] = NULL;
	if ((h->versions[h->n] = strdup(v)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	h->n++;
	return 0;
}

/* v applied, with the tool's checksum of its file (lower-cased) */
static int
hist_set_sum(struct adopt_hist *h, const char *v, const char *sum,
    struct merr *e)
{
	ssize_t at;

	if (hist_set(h, v, 1, e) == -1)
		return -1;
	if (sum == NULL || *sum == '\0' || (at = hist_find(h, v)) < 0 ||
	    h->sums[at])
		return 0;
	if ((h->sums[at] = strdup(sum)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (char *c = h->sums[at]; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return 0;
}

/* "SELECT ... FROM %T" for the source's table; malloc'd. */
static char *
src_sql(const struct adopt_src *s, const char *before, const char *after)
{
	char *t = quote_qualified(s->schema, s->name), *sql = NULL;

	if (t && asprintf(&sql, "%s%s%s", before, t, after) == -1)
		sql = NULL;
	free(t);
	return sql;
}

static int
src_query(struct db *d, const struct adopt_src *s, const char *before,
    const char *after, PGresult **r, struct merr *e)
{
	char *sql = src_sql(s, before, after);
	int rc;

	if (sql == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = db_query(d, sql, 0, NULL, r, e);
	free(sql);
	return rc;
}

/* golang-migrate: the one row, read as the tool reads it. */
static int
read_golang(struct db *d, struct adopt_hist *h, struct merr *e)
{
	PGresult *r;
	const char *v;
	int dirty;

	if (src_query(d, &h->src, "SELECT version, dirty FROM ", " LIMIT 1",
	    &r, e) == -1)
		return -1;
	if (PQntuples(r) == 0) {	/* golang-migrate's "no version" */
		PQclear(r);
		return 0;
	}
	v = PQgetvalue(r, 0, 0);
	dirty = PQgetvalue(r, 0, 1)[0] == 't';
	if (dirty) {
		merr_set(e, MERR_STATE, "cannot adopt golang-migrate's history: "
		    "version %s is dirty", v);
		merr_detail(e, "%s says migration %s stopped part-way (or its "
		    "rollback did): the database may hold half of it",
		    h->src.table, v);
		merr_hint(e, "check what version %s changed and finish or undo "
		    "it by hand; then record the version the database is at "
		    "with 'migrate -path DIR -database URL force V' and start "
		    "migrated again, or skip the old history with 'migratectl "
		    "baseline V'", v);
		PQclear(r);
		return -1;
	}
	h->upto_is_file = 1;
	/* -1: golang-migrate's "no version", written only with dirty */
	if (strcmp(v, "-1") != 0 && (h->upto = strdup(v)) == NULL) {
		PQclear(r);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	PQclear(r);
	return 0;
}

/* goose: newest row first; a version's first row decides. */
static int
read_goose(struct db *d, struct adopt_hist *h, struct merr *e)
{
	struct adopt_hist seen = { .n = 0 };
	PGresult *r;
	int rc = 0;

	if (src_query(d, &h->src, "SELECT version_id, is_applied FROM ",
	    " ORDER BY id DESC", &r, e) == -1)
		return -1;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		const char *v = PQgetvalue(r, i, 0);

		if (!strcmp(v, "0") || hist_find(&seen, v) >= 0)
			continue;	/* 0: the row goose starts with */
		rc = hist_set(&seen, v, 1, e);
		if (rc == 0 && PQgetvalue(r, i, 1)[0] == 't')
			rc = hist_set(h, v, 1, e);
	}
	PQclear(r);
	adopt_hist_release(&seen);
	return rc;
}

/* Everything up to v is applied (a baseline): the highest one counts. */
static int
upto_raise(struct adopt_hist *h, const char *v, struct merr *e)
{
	int cmp;

	if (h->upto && adopt_vcmp(v, h->upto, &cmp) == 0 && cmp <= 0)
		return 0;
	free(h->upto);
	return (h->upto = strdup(v)) ? 0 :
	    merr_set(e, MERR_NOMEM, "out of memory");
}

typedef int (*row_fn)(struct adopt_hist *, PGresult *, int,
    struct merr *);

/* "before TABLE after" read, each row given to fn until one fails */
static int
read_rows(struct db *d, struct adopt_hist *h, const char *before,
    const char *after, row_fn fn, struct merr *e)
{
	PGresult *r;
	int rc = 0;

	if (src_query(d, &h->src, before, after, &r, e) == -1)
		return -1;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++)
		rc = fn(h, r, i, e);
	PQclear(r);
	return rc;
}

/* sql-migrate's: the ids, file names; the version is without .sql */
static int
id_row(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	const char *id = PQgetvalue(r, i, 0);
	size_t n = strlen(id);
	char *v;
	int rc;

	if (n > 4 && !strcmp(id + n - 4, ".sql"))
		n -= 4;
	if ((v = strndup(id, n)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = hist_set(h, v, 1, e);
	free(v);
	return rc;
}

/* Atlas: RevisionTypeBaseline (1 << 0; Execute is 2, Resolved 4) */
#define ATLAS_BASELINE	1
#define ATLAS_RESOLVED	4

/* Atlas: a baseline row covers what is before it; a part-way row stops */
static int
atlas_row(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	const char *v = PQgetvalue(r, i, 0), *err = PQgetvalue(r, i, 4);
	long type = strtol(PQgetvalue(r, i, 1), NULL, 10);

	if (!strcmp(v, ".atlas_cloud_identifier"))	/* ReadRevisions too */
		return 0;
	if (type & ATLAS_BASELINE)
		return upto_raise(h, v, e);
	/* a part-way file resolved ('atlas migrate set') counts as done */
	if (strcmp(PQgetvalue(r, i, 2), PQgetvalue(r, i, 3)) != 0 &&
	    !(type & ATLAS_RESOLVED)) {
		merr_set(e, MERR_STATE, "cannot adopt Atlas's history: version "
		    "%s stopped part-way", v);
		merr_detail(e, "%s: %s of its %s statements applied%s%s",
		    h->src.table, PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		    *err ? ": " : "", err);
		merr_hint(e, "finish it with 'atlas migrate apply' (it goes on "
		    "at the statement that failed), or finish or undo it by "
		    "hand and record it with 'atlas migrate set', then start "
		    "migrated again; or skip the old history with 'migratectl "
		    "baseline V'");
		return -1;
	}
	return hist_set(h, v, 1, e);
}

/* SQLx: a row that did not succeed is its "dirty" migration */
static int
sqlx_row(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	const char *v = PQgetvalue(r, i, 0);

	if (PQgetvalue(r, i, 1)[0] == 't')
		return hist_set_sum(h, v, PQgetvalue(r, i, 2), e);
	merr_set(e, MERR_STATE, "cannot adopt SQLx's history: migration %s "
	    "is dirty", v);
	merr_detail(e, "%s has it with success = false: it stopped part-way, "
	    "and the database may hold part of it (sqlx migrate run refuses "
	    "to go on too)", h->src.table);
	merr_hint(e, "check what %s changed and finish or undo it by hand; "
	    "then delete its row (or mark it applied) and start migrated "
	    "again, or skip the old history with 'migratectl baseline V'",
	    v);
	return -1;
}

/* tern: its one row, the current version and all before it (0: none) */
static int
tern_row(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	const char *v = PQgetvalue(r, i, 0);

	h->upto_is_file = 1;
	return strcmp(v, "0") == 0 ? 0 : upto_raise(h, v, e);
}

/*
 * A file stem's version, as the folder reads it: the number it starts
 * with (with a native "_HHMMSS"); a stem without one is kept whole (a
 * version with no file).
 */
static int
stem_set(struct adopt_hist *h, const char *stem, const char *sum,
    struct merr *e)
{
	size_t d = strspn(stem, "0123456789");
	char v[MIG_VERSION_MAX];

	if (d > 0 && stem[d] == '_' && strspn(stem + d + 1, "0123456789") ==
	    6 && stem[d + 7] == '_' && stem[d + 8] != '\0')
		d += 7;
	if (d == 0 || stem[d] != '_')
		d = strlen(stem);
	snprintf(v, sizeof(v), "%.*s", (int)d, stem);
	return hist_set_sum(h, v, sum, e);
}

/* node-pg-migrate's: the names, file stems */
static int
npgm_row(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	return stem_set(h, PQgetvalue(r, i, 0), NULL, e);
}

static int
drizzle_journal_error(struct merr *e, const char *path, const char *why)
{
	merr_set(e, MERR_STATE, "cannot adopt Drizzle's history: %s: %s",
	    path, why);
	merr_detail(e, "each row of its table names a journal entry by its "
	    "time: without the journal, which files it ran cannot be told");
	merr_hint(e, "put drizzle-kit's meta/_journal.json back in the "
	    "migrations folder, or record what is applied with 'migratectl "
	    "baseline VERSION'");
	return -1;
}

/* The row whose created_at (column 0 of r) is t, or -1. */
static int
drizzle_ran(PGresult *r, long long t)
{
	for (int i = 0; i < PQntuples(r); i++)
		if (strtoll(PQgetvalue(r, i, 0), NULL, 10) == t)
			return i;
	return -1;
}

/* Is t some entry's "when"? */
static int
drizzle_entry(json_t *entries, long long t)
{
	size_t i;
	json_t *ent;

	json_array_foreach(entries, i, ent)
		if (json_integer_value(json_object_get(ent, "when")) == t)
			return 1;
	return 0;
}

/* A row of no entry: the journal is not the one that ran (squashed?) */
static int
drizzle_strays(const struct adopt_hist *h, PGresult *r, json_t *entries,
    const char *path, struct merr *e)
{
	for (int i = 0; i < PQntuples(r); i++) {
		if (drizzle_entry(entries, strtoll(PQgetvalue(r, i, 0), NULL,
		    10)))
			continue;
		merr_set(e, MERR_STATE, "cannot adopt Drizzle's history: %s has "
		    "a row (created_at %s) of no entry of %s", h->src.table,
		    PQgetvalue(r, i, 0), path);
		merr_detail(e, "each run of an entry leaves a row with its "
		    "\"when\": this journal is not the one that ran (rewritten "
		    "or squashed?), and which files ran cannot be told");
		merr_hint(e, "restore the journal that ran, or record what is "
		    "applied with 'migratectl baseline VERSION'");
		return -1;
	}
	return 0;
}

/*
 * Drizzle (drizzle-orm migrator.ts, pg-core dialect.ts migrate()): each
 * run of a journal entry left a row whose created_at is the entry's
 * "when": the entries with such a row ran (their tags' file versions).
 * drizzle-kit itself compares the newest row only, and passes over for
 * ever an entry whose "when" is older (a branch merged late, as in kan's
 * journal): such an entry never ran and is pending here.
 */
static int
read_drizzle(struct db *d, struct adopt_hist *h, const char *dir,
    struct merr *e)
{
	json_t *j = NULL, *entries = NULL, *ent, *when, *tag;
	PGresult *r;
	char *path = NULL;
	size_t i;
	int k, rc = 0;

	if (src_query(d, &h->src, "SELECT created_at, hash FROM ",
	    " WHERE created_at IS NOT NULL", &r, e) == -1)
		return -1;
	if (PQntuples(r) == 0)
		goto out;
	if ((rc = mig_drizzle_journal(dir, &j, &entries, &path, e)) == -1)
		goto out;
	if (j == NULL) {
		rc = drizzle_journal_error(e, path, "no such file");
		goto out;
	}
	json_array_foreach(entries, i, ent) {
		when = json_object_get(ent, "when");
		tag = json_object_get(ent, "tag");
		if (!json_is_integer(when) || !json_is_string(tag)) {
			rc = drizzle_journal_error(e, path, "an entry without "
			    "\"when\" and \"tag\"");
			break;
		}
		if ((k = drizzle_ran(r, json_integer_value(when))) >= 0 &&
		    (rc = stem_set(h, json_string_value(tag),
		    PQgetvalue(r, k, 1), e)) == -1)
			break;
	}
	if (rc == 0)
		rc = drizzle_strays(h, r, entries, path, e);
out:
	PQclear(r);
	json_decref(j);
	free(path);
	return rc;
}

/* postgrator's: its versions, each with its file's MD5 (a JavaScript
 * migration's is "undefined") */
static int
postgrator_row(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	const char *sum = PQgetvalue(r, i, 1);

	return hist_set_sum(h, PQgetvalue(r, i, 0), strcmp(sum, "undefined") ?
	    sum : NULL, e);
}

/* dbmate's and Diesel's: the set of applied versions */
static int
version_row(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	return hist_set(h, PQgetvalue(r, i, 0), 1, e);
}

static int
flyway_failed(const struct adopt_hist *h, PGresult *r, int i,
    struct merr *e)
{
	const char *v = PQgetvalue(r, i, 1), *script = PQgetvalue(r, i, 3);

	merr_set(e, MERR_STATE, "cannot adopt Flyway's history: %s%s "
	    "failed", PQgetisnull(r, i, 1) ? "repeatable " : "version ",
	    PQgetisnull(r, i, 1) ? script : v);
	merr_detail(e, "%s row installed_rank %s (%s) has success = false: "
	    "the database may hold part of it", h->src.table,
	    PQgetvalue(r, i, 0), script);
	merr_hint(e, "check what %s changed and finish or undo it by hand; "
	    "then remove the failed row with 'flyway repair' and start "
	    "migrated again, or skip the old history with 'migratectl "
	    "baseline V'", script);
	return -1;
}

static int
flyway_repeatable(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	const char *script = PQgetvalue(r, i, 3);
	struct adopt_repeatable *nv, *w = NULL;

	for (size_t k = 0; k < h->nrep; k++)
		if (!strcmp(h->rep[k].script, script))
			w = &h->rep[k];
	if (w == NULL) {
		nv = realloc(h->rep, (h->nrep + 1) * sizeof(*nv));
		if (nv == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		h->rep = nv;
		w = &nv[h->nrep++];
		memset(w, 0, sizeof(*w));
		if ((w->script = strdup(script)) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
	}
	free(w->checksum);	/* the latest run's checksum counts */
	w->checksum = NULL;
	if (!PQgetisnull(r, i, 4) &&
	    (w->checksum = strdup(PQgetvalue(r, i, 4))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return 0;
}

/* Flyway: rows in installed_rank order, the latest of a version wins. */
static int
flyway_row(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	const char *v = PQgetvalue(r, i, 1), *type = PQgetvalue(r, i, 2);

	if (PQgetvalue(r, i, 5)[0] != 't')
		return flyway_failed(h, r, i, e);
	if (!strcmp(type, "SCHEMA"))	/* "<< Flyway Schema Creation >>" */
		return 0;
	if (PQgetisnull(r, i, 1))
		return flyway_repeatable(h, r, i, e);
	if (!strcmp(type, "BASELINE"))
		return upto_raise(h, v, e);
	/* the latest row decides, with its checksum (a Java migration's
	   is NULL) */
	if (hist_set(h, v, 0, e) == -1 || strncmp(type, "UNDO_", 5) == 0 ||
	    strcmp(type, "DELETE") == 0)
		return 0;
	return hist_set_sum(h, v, PQgetvalue(r, i, 4), e);
}

/* Prisma: a migration's rows; one finished and not rolled back counts. */
static int
prisma_row(struct adopt_hist *h, PGresult *r, int i, struct merr *e)
{
	const char *name = PQgetvalue(r, i, 0), *us = strchr(name, '_');
	char v[64];

	if (PQgetvalue(r, i, 2)[0] == 't')	/* rolled back */
		return 0;
	if (PQgetvalue(r, i, 1)[0] != 't') {
		merr_set(e, MERR_STATE, "cannot adopt Prisma's history: "
		    "migration %s failed", name);
		merr_detail(e, "%s has a row of it neither finished nor rolled "
		    "back: the database may hold part of it (prisma migrate "
		    "deploy stops there too)", h->src.table);
		merr_hint(e, "check what %s changed and finish or undo it by "
		    "hand; then mark it with 'prisma migrate resolve "
		    "--applied %s' (or --rolled-back) and start migrated "
		    "again, or skip the old history with 'migratectl baseline "
		    "V'", name, name);
		return -1;
	}
	snprintf(v, sizeof(v), "%.*s", us ? (int)(us - name) : 63, name);
	return hist_set_sum(h, v, PQgetvalue(r, i, 3), e);
}

int
adopt_read(struct db *d, const struct adopt_src *s, const char *dir,
    struct adopt_hist *h, struct merr *e)
{
	int rc;

	memset(h, 0, sizeof(*h));
	h->src = *s;
	switch (s->tool) {
	case ADOPT_GOLANG: rc = read_golang(d, h, e); break;
	case ADOPT_GOOSE: rc = read_goose(d, h, e); break;
	case ADOPT_TERN:
		rc = read_rows(d, h, "SELECT version FROM ", "", tern_row, e);
		break;
	case ADOPT_DRIZZLE: rc = read_drizzle(d, h, dir, e); break;
	case ADOPT_POSTGRATOR:	/* the version 0 row it starts with aside */
		rc = read_rows(d, h, "SELECT version, coalesce(md5, '') FROM ",
		    " WHERE version <> 0 ORDER BY version", postgrator_row, e);
		break;
	case ADOPT_DBMATE:
	case ADOPT_DIESEL:
	case ADOPT_POP:
	case ADOPT_SUPABASE:
		rc = read_rows(d, h, "SELECT version FROM ",
		    " ORDER BY version", version_row, e);
		break;
	case ADOPT_SQLMIGRATE:
		rc = read_rows(d, h, "SELECT id FROM ", " ORDER BY id", id_row,
		    e);
		break;
	case ADOPT_NPGM:
		rc = read_rows(d, h, "SELECT name FROM ", " ORDER BY id",
		    npgm_row, e);
		break;
	case ADOPT_SQLX:
		rc = read_rows(d, h, "SELECT version, success, "
		    "encode(checksum, 'hex') FROM ", " ORDER BY version",
		    sqlx_row, e);
		break;
	case ADOPT_ATLAS:
		rc = read_rows(d, h, "SELECT version, type, applied, total, "
		    "coalesce(error, '') FROM ", " ORDER BY version", atlas_row,
		    e);
		break;
	case ADOPT_FLYWAY:
		rc = read_rows(d, h, "SELECT installed_rank, version, type, "
		    "script, checksum, success FROM ",
		    " ORDER BY installed_rank", flyway_row, e);
		break;
	case ADOPT_PRISMA:
		rc = read_rows(d, h, "SELECT migration_name, finished_at IS "
		    "NOT NULL, rolled_back_at IS NOT NULL, checksum FROM ",
		    " ORDER BY started_at", prisma_row, e);
		break;
	default: rc = merr_set(e, MERR_USAGE, "no tool to adopt");
	}
	if (rc == -1)
		adopt_hist_release(h);
	return rc;
}

/* ---- the folder ---- */

void
adopt_map_release(struct adopt_map *m)
{
	for (size_t i = 0; m->recsum && i < m->napplied; i++)
		free(m->recsum[i]);
	free(m->recsum);
	free(m->applied);
	free(m->changed);
	free(m->unknown);
	memset(m, 0, sizeof(*m));
}

/* popx: a version's first 14 digits, as an older pop recorded it */
#define POP_LEGACY	14

static int
is_applied(const struct adopt_hist *h, const char *v)
{
	char legacy[POP_LEGACY + 1];
	int cmp;

	if (h->upto && adopt_vcmp(v, h->upto, &cmp) == 0 && cmp <= 0)
		return 1;
	if (hist_find(h, v) >= 0)
		return 1;
	if (h->src.tool != ADOPT_POP || strlen(v) <= POP_LEGACY)
		return 0;
	memcpy(legacy, v, POP_LEGACY);
	legacy[POP_LEGACY] = '\0';
	return hist_find(h, legacy) >= 0;
}

static int
has_file(const struct migset *set, const struct adopt_hist *h, const char *v)
{
	size_t n = strlen(v);
	int cmp;

	for (size_t i = 0; i < set->n; i++) {
		const char *f = set->v[i].version;

		if (!strcmp(f, v) || (adopt_vcmp(f, v, &cmp) == 0 && cmp == 0))
			return 1;
		if (h->src.tool == ADOPT_POP && n == POP_LEGACY &&
		    strlen(f) > n && !strncmp(f, v, n))
			return 1;
	}
	return 0;
}

int32_t
adopt_flyway_checksum(const char *text, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	size_t i = 0, start;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;		/* BomFilter: the first line's BOM */
	while (i < len) {
		for (start = i; i < len && text[i] != '\n' && text[i] != '\r';
		    i++)
			;
		crc = crc32(crc, (const Bytef *)text + start,
		    (uInt)(i - start));
		while (i < len && (text[i] == '\n' || text[i] == '\r'))
			i++;	/* readLine(): no terminator is hashed */
	}
	return (int32_t)(uint32_t)crc;
}

/* The history's latest run of repeatable m's script, or NULL. */
static const struct adopt_repeatable *
rep_of(const struct adopt_hist *h, const struct migration *m)
{
	const char *file = m->up.path ? mig_script_file(&m->up) : NULL;

	for (size_t i = 0; file && i < h->nrep; i++) {
		const char *s = strrchr(h->rep[i].script, '/');

		if (!strcmp(s ? s + 1 : h->rep[i].script, file))
			return &h->rep[i];
	}
	return NULL;
}

/*
 * A Flyway repeatable counts as applied when the history's latest run of
 * its script has the file's checksum, as Flyway decides; else it is
 * pending (changed: Flyway would apply it again).
 */
static int
rep_applied(const struct adopt_hist *h, const struct migration *m,
    int *changed)
{
	const struct adopt_repeatable *r = rep_of(h, m);
	struct merr e;
	char *end, *text;
	size_t len;
	long sum;
	int same;

	*changed = 0;
	if (r == NULL)
		return 0;
	*changed = 1;
	if (r->checksum == NULL || m->up.path == NULL)
		return 0;
	sum = strtol(r->checksum, &end, 10);
	/* the file as Flyway reads it: a parsed script's text is cut up */
	if (*end != '\0' || mig_read_file(m->up.path, &text, &len, &e) == -1)
		return 0;
	same = sum == adopt_flyway_checksum(text, len);
	free(text);
	if (!same)
		return 0;
	*changed = 0;
	return 1;
}

/*
 * text with its line ends changed as prisma-engines' checksum.rs changes
 * them: CRLF made LF, or (crlf) every LF made CRLF; malloc'd, NULL when
 * out of memory.
 */
static char *
eol_changed(const char *text, size_t len, int crlf, size_t *n)
{
	char *out = malloc(crlf ? 2 * len + 1 : len + 1);

	*n = 0;
	for (size_t i = 0; out && i < len; i++) {
		if (crlf && text[i] == '\n')
			out[(*n)++] = '\r';
		else if (!crlf && text[i] == '\r' && i + 1 < len &&
		    text[i + 1] == '\n')
			continue;
		out[(*n)++] = text[i];
	}
	return out;
}

/*
 * Prisma's check of a file against its row (script_matches_checksum()):
 * the SHA-256 of its bytes, or of them with CRLF made LF or LF made CRLF
 * (git may have changed the line ends since); a checksum not 64 digits
 * long is an old engine's, each byte without zero padding.  -1: out of
 * memory.
 */
static int
prisma_sum_is(const char *text, size_t len, const char *rec)
{
	char sum[HASH_HEX], *own = NULL;
	const char *t = text;
	size_t n = len;

	for (int k = 0; k < 3; k++) {
		if (k > 0 && (t = own = eol_changed(text, len, k == 2,
		    &n)) == NULL)
			return -1;
		if (strlen(rec) == HASH_HEX - 1)
			hash_hex(t, n, sum);
		else
			hash_hex_unpadded(t, n, sum);
		free(own);
		own = NULL;
		if (strcmp(sum, rec) == 0)
			return 1;
	}
	return 0;
}

/*
 * The tool's checksum of m's file, as the tool computes it (SQLx's
 * SHA-384, postgrator's MD5 of the bytes, Flyway's CRC-32 of its lines;
 * Drizzle's and Prisma's SHA-256 is migrated's own), into out; *algo
 * names it; *same: rec (the recorded one) is the file's, as the tool
 * compares them (Prisma's, whatever the line ends).
 */
static int
tool_sum(enum adopt_tool t, const struct migration *m, const char *rec,
    char *out, const char **algo, int *same, struct merr *e)
{
	char *text;
	size_t len;
	int rc = 0;

	*algo = t == ADOPT_SQLX ? "sha384" : t == ADOPT_POSTGRATOR ? "md5" :
	    t == ADOPT_FLYWAY ? "crc32" : "sha256";
	if (t == ADOPT_DRIZZLE) {
		memcpy(out, m->checksum, MIG_SHA256_HEX);
		*same = strcmp(out, rec) == 0;
		return 0;
	}
	if (mig_read_file(m->up.path, &text, &len, e) == -1)
		return -1;
	if (t == ADOPT_SQLX)
		hash_sha384_hex(text, len, out);
	else if (t == ADOPT_FLYWAY)
		snprintf(out, HASH384_HEX, "%d", (int)adopt_flyway_checksum(text,
		    len));
	else if (t == ADOPT_PRISMA)
		hash_hex(text, len, out);
	else
		hash_md5_hex(text, len, out);
	*same = strcmp(out, rec) == 0;
	if (t == ADOPT_PRISMA && !*same &&
	    (*same = prisma_sum_is(text, len, rec)) == -1)
		rc = merr_set(e, MERR_NOMEM, "out of memory");
	free(text);
	return rc;
}

int
adopt_sum_check(const char *recorded, const struct migration *m, int *same,
    char out[ADOPT_SUM_MAX])
{
	const char *sp = strchr(recorded, ' '), *hex;
	char tool[32], sum[HASH384_HEX];
	const char *algo;
	enum adopt_tool t;
	struct merr e;

	*same = 0;
	out[0] = '\0';
	if (sp == NULL || (size_t)(sp - recorded) >= sizeof(tool) ||
	    (hex = strchr(sp + 1, ' ')) == NULL)
		return 0;
	snprintf(tool, sizeof(tool), "%.*s", (int)(sp - recorded), recorded);
	if ((t = adopt_tool_from_name(tool)) == ADOPT_NONE)
		return 0;
	merr_clear(&e);
	if (tool_sum(t, m, hex + 1, sum, &algo, same, &e) == -1) {
		*same = 0;
		return 1;	/* unreadable: not the same */
	}
	snprintf(out, ADOPT_SUM_MAX, "%s %s", algo, sum);
	return 1;
}

/*
 * An applied file that is not the one the tool ran (its checksum is
 * another): the checksum to record, which is not the file's, so that up
 * stops at it as at any file changed after it was applied.
 */
static int
recsum_of(const struct adopt_hist *h, const struct migration *v,
    char **out, struct merr *e)
{
	char sum[HASH384_HEX];
	const char *algo;
	ssize_t at;
	int same;

	*out = NULL;
	if (v->code || h->sums == NULL || (at = hist_find(h, v->version)) < 0
	    || h->sums[at] == NULL)
		return 0;
	if (tool_sum(h->src.tool, v, h->sums[at], sum, &algo, &same, e) == -1)
		return -1;
	if (same)
		return 0;
	if (asprintf(out, "%s %s %s", adopt_tool_name(h->src.tool), algo,
	    h->sums[at]) == -1) {
		*out = NULL;
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	return 0;
}

int
adopt_map(const struct migset *set, const struct adopt_hist *h,
    struct adopt_map *m, struct merr *e)
{
	int changed;

	memset(m, 0, sizeof(*m));
	if ((set->n && ((m->applied = calloc(set->n,
	    sizeof(*m->applied))) == NULL || (m->changed = calloc(set->n,
	    sizeof(*m->changed))) == NULL || (m->recsum = calloc(set->n,
	    sizeof(*m->recsum))) == NULL)) || (m->unknown = calloc(h->n + 1,
	    sizeof(*m->unknown))) == NULL) {
		adopt_map_release(m);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *v = &set->v[i];

		if (v->repeatable ? rep_applied(h, v, &changed) :
		    is_applied(h, v->version)) {
			if (!v->repeatable && recsum_of(h, v,
			    &m->recsum[m->napplied], e) == -1) {
				adopt_map_release(m);
				return -1;
			}
			m->nmodified += m->recsum[m->napplied] != NULL;
			m->applied[m->napplied++] = &set->v[i];
		} else if (v->repeatable && changed) {
			m->changed[m->nchanged++] = &set->v[i];
		}
	}
	for (size_t i = 0; i < h->n; i++)
		if (!has_file(set, h, h->versions[i]))
			m->unknown[m->nunknown++] = h->versions[i];
	/* golang-migrate's current version names a file; a baseline not */
	if (h->upto && h->upto_is_file && !has_file(set, h, h->upto))
		m->unknown[m->nunknown++] = h->upto;
	return 0;
}
