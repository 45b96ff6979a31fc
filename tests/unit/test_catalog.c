/*
 * test_catalog.c - the live schema, against the real test database:
 * normalised values, a fixed number of queries whatever the number of
 * tables, every construct of the model format in sync after apply, and
 * a catalog snapshot that plans like the database it was taken from.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "catalog.h"
#include "config.h"
#include "db.h"
#include "model.h"
#include "pgtest.h"
#include "plan.h"
#include "snapshot.h"
#include "tier1.h"

static struct db db;

static int
setup(void **state)
{
	struct merr e;

	(void)state;
	merr_clear(&e);
	if (db_connect(&db, NULL, "test_catalog", &e) == -1) {
		fprintf(stderr, "connect: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	db_close(&db);
	return 0;
}

static void
sql(const char *s)
{
	struct merr e;

	merr_clear(&e);
	if (db_exec(&db, s, &e) == -1)
		fail_msg("%s: %s", s, e.msg);
}

/* tier1_apply on a connection of its own and a lock connection made on
 * demand, as `migrated --once` runs it. */
static int
apply(const struct config *cfg, const struct event_hook *hook,
    struct tier1_report *rep, struct plan **out, struct merr *e)
{
	struct db work, lk = { 0 };
	struct mig_env env;
	int rc;

	memset(&env, 0, sizeof(env));
	env.cfg = cfg;
	env.db = &work;
	env.lockdb = &lk;
	env.hook = hook;
	if (db_connect(&work, cfg->database, "test_catalog apply", e) == -1)
		return -1;
	rc = tier1_apply(&env, rep, out, e);
	db_close(&work);
	db_close(&lk);
	return rc;
}

/* tier1_plan on conn, reading the folder itself (no cache). */
static int
plan_only(const struct config *cfg, struct db *conn, struct plan **out,
    struct merr *e)
{
	struct mig_env env;

	memset(&env, 0, sizeof(env));
	env.cfg = cfg;
	env.db = conn;
	return tier1_plan(&env, out, e);
}

static void
test_normalised(void **state)
{
	char *schemas[] = { "cat", NULL };
	struct schema *s;
	struct sch_table *t;
	struct sch_constraint *c;
	struct sch_index *x;
	struct merr e;

	(void)state;
	sql("CREATE SCHEMA cat; CREATE SCHEMA other;"
	    "CREATE TYPE cat.mood AS ENUM ('up', 'down');"
	    "CREATE TABLE cat.p (a int, b int, PRIMARY KEY (a, b));"
	    "CREATE TABLE cat.t (id serial PRIMARY KEY, n varchar(9) NOT NULL"
	    " DEFAULT 'x', m cat.mood[], d numeric(4,1), a int, b int,"
	    " CONSTRAINT t_fk FOREIGN KEY (b, a) REFERENCES cat.p (a, b)"
	    " ON DELETE SET NULL);"
	    "ALTER TABLE cat.t ADD CONSTRAINT t_ck CHECK (d > 0) NOT VALID;"
	    "COMMENT ON TABLE cat.t IS 'tee';"
	    "CREATE INDEX t_x ON cat.t USING btree (lower(n), a) WHERE a > 1;"
	    "CREATE TABLE other.z (i int);");
	merr_clear(&e);
	assert_int_equal(catalog_load(&db, schemas, &s, &e), 0);
	assert_null(schema_find_table(s, "other", "z"));
	assert_non_null(t = schema_find_table(s, "cat", "t"));
	assert_string_equal(t->comment, "tee");
	assert_string_equal(schema_find_column(t, "n")->type,
	    "character varying(9)");
	assert_string_equal(schema_find_column(t, "n")->def,
	    "'x'::character varying");
	assert_true(schema_find_column(t, "n")->notnull);
	assert_string_equal(schema_find_column(t, "m")->type, "cat.mood[]");
	assert_true(schema_find_column(t, "m")->is_enum);
	assert_string_equal(schema_find_column(t, "d")->type, "numeric(4,1)");
	assert_string_equal(schema_find_column(t, "id")->def,
	    "nextval('cat.t_id_seq'::regclass)");
	assert_non_null(c = schema_find_constraint(t, "t_fk"));
	assert_string_equal(c->cols[0], "b");
	assert_string_equal(c->ref_table, "p");
	assert_string_equal(c->ref_cols[0], "a");
	assert_int_equal(c->on_delete, 'n');
	assert_int_equal(c->on_update, 'a');
	assert_non_null(c = schema_find_constraint(t, "t_ck"));
	assert_false(c->valid);
	assert_string_equal(c->expr, "(d > (0)::numeric)");
	assert_non_null(schema_find_pk(t));
	/* indexes behind constraints are not listed as indexes */
	assert_null(schema_find_index(t, "t_pkey"));
	assert_non_null(x = schema_find_index(t, "t_x"));
	assert_string_equal(x->keys[0], "lower(n::text)");
	assert_string_equal(x->keys[1], "a");
	assert_string_equal(x->where, "(a > 1)");
	assert_string_equal(x->method, "btree");
	assert_true(x->valid);
	assert_non_null(s->enums);
	assert_string_equal(s->enums[0].labels[1], "down");
	schema_free(s);
}

/* Columns in attnum order, whatever order the server's rows come in. */
static void
test_column_order(void **state)
{
	char *schemas[] = { "ord", NULL };
	const char *want[] = { "a", "c", "d", "e" };
	struct schema *s;
	struct sch_table *t;
	struct merr e;

	(void)state;
	/* updated pg_attribute rows move to the end of the heap */
	sql("CREATE SCHEMA ord; CREATE TABLE ord.t (a int, b int, c int,"
	    " d int); ALTER TABLE ord.t DROP COLUMN b;"
	    "ALTER TABLE ord.t ALTER COLUMN a SET NOT NULL,"
	    " ALTER COLUMN c SET NOT NULL; ALTER TABLE ord.t ADD COLUMN e int;");
	merr_clear(&e);
	assert_int_equal(catalog_load(&db, schemas, &s, &e), 0);
	assert_non_null(t = schema_find_table(s, "ord", "t"));
	assert_int_equal(t->ncols, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(t->cols[i].name, want[i]);
	schema_free(s);
}

/* Count the queries a catalog_load sends, from libpq's protocol trace. */
static int
count_queries(int ntables, char **schemas)
{
	char buf[512];
	struct schema *s;
	struct merr e;
	FILE *f;
	int n = 0;

	for (int i = 0; i < ntables; i++) {
		snprintf(buf, sizeof(buf), "CREATE TABLE IF NOT EXISTS many.t%d "
		    "(id int PRIMARY KEY, v text UNIQUE, w int CHECK (w > 0))",
		    i);
		sql(buf);
	}
	assert_non_null(f = tmpfile());
	PQtrace(db.conn, f);
	merr_clear(&e);
	assert_int_equal(catalog_load(&db, schemas, &s, &e), 0);
	PQuntrace(db.conn);
	assert_int_equal(s->ntables, schemas[0] ? ntables : 0);
	schema_free(s);
	rewind(f);
	while (fgets(buf, sizeof(buf), f))
		if (strstr(buf, "F\t") && (strstr(buf, "\tParse\t") ||
		    strstr(buf, "\tQuery\t")))
			n++;
	fclose(f);
	return n;
}

static void
test_fixed_queries(void **state)
{
	char *many[] = { "many", NULL }, *none[] = { NULL };

	(void)state;
	sql("CREATE SCHEMA many");
	/* an empty schema: its name and the extensions, nothing else asked */
	assert_int_equal(count_queries(0, many), 2);
	/* tables: the two, and tables, columns, constraints, indexes (no
	   view, routine, trigger, enum or domain: not asked) */
	assert_int_equal(count_queries(1, many), 6);
	assert_int_equal(count_queries(40, many), 6);
	sql("CREATE TYPE many.e AS ENUM ('a'); CREATE VIEW many.v AS SELECT 1");
	assert_int_equal(count_queries(40, many), CATALOG_QUERIES);
	/* no schema (tier 1 with no model): one query, for the extensions */
	assert_int_equal(count_queries(40, none), 1);
}

/*
 * An empty database is read in one round trip: the question "is there
 * anything" must never say no while the full read would find something.
 * Each kind the catalogs read, alone in a schema of its own, is found.
 */
static void
test_anything_each_kind(void **state)
{
	static const char *const made[] = {
		"CREATE TABLE %s.x (i int)",
		"CREATE UNLOGGED TABLE %s.x (i int)",
		"CREATE TABLE %s.x (i int) PARTITION BY RANGE (i)",
		"CREATE SEQUENCE %s.x",
		"CREATE VIEW %s.x AS SELECT 1 AS one",
		"CREATE MATERIALIZED VIEW %s.x AS SELECT 1 AS one",
		"CREATE TYPE %s.x AS ENUM ('a')",
		"CREATE DOMAIN %s.x AS int CHECK (VALUE > 0)",
		"CREATE FUNCTION %s.x() RETURNS int LANGUAGE sql AS 'SELECT 1'",
		"CREATE PROCEDURE %s.x() LANGUAGE sql AS 'SELECT 1'",
		"CREATE AGGREGATE %s.x(int) (sfunc = int4pl, stype = int)",
	};
	/* on a table (the table is read whatever): the object too */
	static const char *const on_table[] = {
		"CREATE TRIGGER x BEFORE INSERT ON %s.t FOR EACH ROW"
		" EXECUTE FUNCTION suppress_redundant_updates_trigger()",
		"CREATE POLICY x ON %s.t USING (true)",
		"CREATE RULE x AS ON INSERT TO %s.t DO INSTEAD NOTHING",
	};
	char sch[32], buf[256], *only[] = { sch, NULL };
	struct schema *s;
	struct merr e;
	size_t found;

	(void)state;
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(sch, sizeof(sch), "kind%zu", i);
		snprintf(buf, sizeof(buf), "CREATE SCHEMA %s", sch);
		sql(buf);
		snprintf(buf, sizeof(buf), made[i], sch);
		sql(buf);
		merr_clear(&e);
		assert_int_equal(catalog_load(&db, only, &s, &e), 0);
		found = s->ntables + s->nseqs + s->nobjs + s->nenums +
		    s->ndomains;
		if (found != 1)
			fail_msg("'%s': %zu objects read", buf, found);
		schema_free(s);
	}
	for (size_t i = 0; i < sizeof(on_table) / sizeof(on_table[0]); i++) {
		snprintf(sch, sizeof(sch), "on_table%zu", i);
		snprintf(buf, sizeof(buf), "CREATE SCHEMA %s; CREATE TABLE "
		    "%s.t (i int)", sch, sch);
		sql(buf);
		snprintf(buf, sizeof(buf), on_table[i], sch);
		sql(buf);
		merr_clear(&e);
		assert_int_equal(catalog_load(&db, only, &s, &e), 0);
		if (s->nobjs != 1)
			fail_msg("'%s': %zu objects read", buf, s->nobjs);
		schema_free(s);
	}
	/* the empty schema alone: its name, nothing else */
	sql("CREATE SCHEMA kind_none");
	snprintf(sch, sizeof(sch), "kind_none");
	assert_int_equal(catalog_load(&db, only, &s, &e), 0);
	assert_non_null(s->schemas);
	assert_string_equal(s->schemas[0], "kind_none");
	assert_int_equal(s->ntables + s->nseqs + s->nobjs + s->nenums +
	    s->ndomains, 0);
	schema_free(s);
}

/* No schema listed: no table, type or object, but every extension. */
static void
test_no_schema(void **state)
{
	char *none[] = { NULL };
	struct schema *s;
	struct merr e;

	(void)state;
	sql("CREATE SCHEMA IF NOT EXISTS ns; CREATE TABLE ns.t (id int); "
	    "CREATE TYPE ns.e AS ENUM ('a'); CREATE VIEW ns.v AS SELECT 1 AS x;"
	    " CREATE SEQUENCE ns.q");
	merr_clear(&e);
	assert_int_equal(catalog_load(&db, none, &s, &e), 0);
	assert_int_equal(s->ntables, 0);
	assert_int_equal(s->nenums, 0);
	assert_int_equal(s->nseqs, 0);
	assert_int_equal(s->nobjs, 0);
	assert_null(s->schemas);
	assert_non_null(schema_find_extension(s, "plpgsql"));
	schema_free(s);
}

static void
test_probe_rows(void **state)
{
	char *schemas[] = { "pr", NULL };
	char *which[] = { "pr", "full", "pr", "empty", NULL };
	struct schema *s;
	struct merr e;

	(void)state;
	sql("CREATE SCHEMA pr; CREATE TABLE pr.full (i int);"
	    "CREATE TABLE pr.empty (i int); INSERT INTO pr.full VALUES (1)");
	merr_clear(&e);
	assert_int_equal(catalog_load(&db, schemas, &s, &e), 0);
	assert_int_equal(schema_find_table(s, "pr", "full")->rows, -1);
	assert_int_equal(catalog_probe_rows(&db, s, which, &e), 0);
	assert_int_equal(schema_find_table(s, "pr", "full")->rows, 1);
	assert_int_equal(schema_find_table(s, "pr", "empty")->rows, 0);
	schema_free(s);
}

/* Every construct of the format: applied once, then nothing to do. */
static const char every_enum[] =
    "schema: shop\n"
    "enums:\n"
    "  order_status: [new, paid, shipped]\n"
    "  public.mood: [happy, sad]\n";
static const char every_customers[] =
    "table: shop.customers\n"
    "comment: \"customer's data\"\n"
    "columns:\n"
    "  id:     { type: bigint, primary_key: true }\n"
    "  region: { type: int, primary_key: true }\n"
    "  email:  { type: varchar(254), not_null: true }\n"
    "  name:   { type: character varying(100), comment: display name }\n"
    "  tags:   { type: \"text[]\", not_null: true, default: \"'{}'\" }\n"
    "  scores: { type: \"int4[]\" }\n"
    "  balance: { type: \"numeric(12,2)\", not_null: true, default: 0 }\n"
    "  ratio:  { type: \"numeric(5)\", default: -1 }\n"
    "  price:  { type: decimal }\n"
    "  data:   { type: jsonb, default: \"'{\\\"a\\\": 1}'::jsonb\" }\n"
    "  created: { type: timestamptz, not_null: true,"
    " default: CURRENT_TIMESTAMP }\n"
    "  at3:    { type: timestamp(3) with time zone }\n"
    "  naive:  { type: timestamp }\n"
    "  born:   { type: date, default: \"'2000-01-01'\" }\n"
    "  flag:   { type: bool, default: true }\n"
    "  code:   { type: \"char(3)\", default: \"'abc'\" }\n"
    "  mood:   { type: mood, default: \"'happy'\" }\n"
    "  uid:    { type: uuid, default: gen_random_uuid() }\n"
    "  f8:     { type: float8, default: 1.5 }\n"
    "  small:  { type: int2 }\n"
    "  span:   { type: interval, default: \"'1 day'\" }\n"
    "  status: { type: shop.order_status,"
    " default: \"'new'::shop.order_status\" }\n"
    "  note:   { type: text, default: \"'it''s'\" }\n"
    "  up:     { type: text, default: \"upper('x')\" }\n"
    "  js:     { type: jsonb, default: \"'{\\\"b\\\":[1,2],\\\"a\\\":1}'\" }\n"
    "  ts:     { type: timestamptz, default: \"'2000-01-01 12:00'\" }\n"
    "  iv:     { type: interval, default: \"'90 minutes'\" }\n"
    "unique:\n"
    "  - [email]\n"
    "  - { name: customers_name_region_uq, columns: [name, region] }\n"
    "checks:\n"
    "  - \"balance >= 0\"\n"
    "  - { name: email_has_at, expr: \"email LIKE '%@%'\" }\n"
    "  - { name: code_known, expr: \"code IN ('abc', 'def')\" }\n"
    "  - { name: ratio_between,"
    " expr: \"ratio > -10 AND ratio < 10 OR ratio IS NULL\" }\n"
    "  - { name: small_between, expr: \"small BETWEEN 1 AND 5\" }\n"
    "  - { name: small_not_between,"
    " expr: \"small NOT BETWEEN 10 AND 20\" }\n"
    "  - { name: code_not_in, expr: \"code NOT IN ('zzz', 'yyy')\" }\n"
    "  - { name: name_ilike, expr: \"name NOT ILIKE 'admin%'\" }\n"
    "  - { name: recent, expr: \"born > '2000-01-01'::date - 1 AND"
    " span < interval '2 days'\" }\n"
    "  - { name: len_ok, expr: \"length(email) BETWEEN 3 AND 254\" }\n"
    "indexes:\n"
    "  - { columns: [\"lower(email)\"], unique: true }\n"
    "  - { name: customers_tags_gin, columns: [tags], method: gin }\n"
    "  - { columns: [created], method: brin }\n"
    "  - { columns: [uid], method: hash }\n"
    "  - { name: customers_rich, columns: [region, balance],"
    " where: \"balance > 1000 AND flag\" }\n"
    "  - { name: customers_expr2, columns: [\"(data->>'a')\","
    " \"coalesce(name, '')\"] }\n";
static const char every_orders[] =
    "table: shop.orders\n"
    "columns:\n"
    "  id: { type: bigint, primary_key: true, identity: always }\n"
    "  line: { type: int2, identity: by_default }\n"
    "  customer_id: bigint\n"
    "  customer_region: int\n"
    "  status: { type: shop.order_status, not_null: true,"
    " default: \"'new'\" }\n"
    "  moods: { type: \"mood[]\" }\n"
    "  total: { type: \"numeric(10,2)\", check: \"total > 0\" }\n"
    "foreign_keys:\n"
    "  - { columns: [customer_id, customer_region], references: customers,"
    " on_delete: set null, on_update: cascade }\n"
    "indexes:\n"
    "  - [customer_id]\n";

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
count_event(void *arg, struct db *d, const struct actor *a,
    const struct mig_event *ev, struct merr *e)
{
	(void)d; (void)a; (void)e;
	if (!strcmp(ev->action, "tier1.apply"))
		(*(int *)arg)++;
	return 0;
}

/*
 * The stop flag reaches tier 1: while it waits for the advisory lock that
 * another session holds, and before its first statement.  Nothing is
 * applied either way.
 */
static void
test_stop_reaches_tier1(void **state)
{
	volatile sig_atomic_t stop = 1;
	struct db work, lk = { 0 }, other;
	struct db_lock_policy now = { 0, NULL, 0 };
	struct tier1_report rep;
	struct mig_env env;
	struct config cfg;
	struct merr e;
	int waited;

	(void)state;
	mkdir("stopm", 0755);
	write_file("stopm/stopped.yaml", "table: stopped\ncolumns:\n"
	    "  id: { type: int, primary_key: true }\n");
	merr_clear(&e);
	assert_int_equal(config_load(&cfg, NULL, NULL, &e), 0);
	free(cfg.models_dir);
	cfg.models_dir = strdup("stopm");
	memset(&env, 0, sizeof(env));
	env.cfg = &cfg;
	env.db = &work;
	env.lockdb = &lk;
	env.stop = &stop;
	assert_int_equal(db_connect(&work, cfg.database, "t1 stop", &e), 0);
	assert_int_equal(db_connect(&other, cfg.database, "holder", &e), 0);
	assert_int_equal(db_lock_take(&other, &now, &waited, &e), 0);
	assert_int_equal(tier1_apply(&env, &rep, NULL, &e), -1);
	assert_int_equal(e.code, MERR_STATE);
	assert_non_null(strstr(e.msg, "interrupted while waiting for the "
	    "advisory lock"));
	assert_true(rep.waited);
	db_unlock(&other, NULL);
	db_close(&other);
	merr_clear(&e);
	assert_int_equal(tier1_apply(&env, &rep, NULL, &e), -1);
	assert_string_equal(e.msg, "cannot apply tier-1 changes: interrupted "
	    "before statement 1 of 1");
	assert_int_equal(rep.statements, 0);
	{
		PGresult *r;

		assert_int_equal(db_query(&work, "SELECT to_regclass("
		    "'public.stopped') IS NULL", 0, NULL, &r, &e), 0);
		assert_string_equal(PQgetvalue(r, 0, 0), "t");
		PQclear(r);
	}
	db_close(&work);
	db_close(&lk);
	config_release(&cfg);
}

static void
test_every_construct_in_sync(void **state)
{
	struct config cfg;
	struct tier1_report rep;
	struct event_hook hook;
	struct plan *p;
	struct merr e;
	char *text;
	int applied = 0;

	(void)state;
	mkdir("every", 0755);
	write_file("every/a_enums.yaml", every_enum);
	write_file("every/customers.yaml", every_customers);
	write_file("every/orders.yaml", every_orders);
	merr_clear(&e);
	assert_int_equal(config_load(&cfg, NULL, NULL, &e), 0);
	free(cfg.models_dir);
	cfg.models_dir = strdup("every");
	hook.fn = count_event;
	hook.arg = &applied;
	hook.actor = NULL;
	hook.said = NULL;
	hook.ready = NULL;
	if (apply(&cfg, &hook, &rep, NULL, &e) == -1)
		fail_msg("apply: %s (%s)", e.msg, e.detail);
	/* schema, 2 enums, customers, orders with its key to customers inline */
	assert_int_equal(applied, 5);
	assert_int_equal(rep.applied, 5);
	assert_true(rep.locked);
	assert_int_equal(plan_only(&cfg, &db, &p, &e), 0);
	assert_int_equal(plan_format_text(p, &text, &e), 0);
	if (p->n != 0)
		fail_msg("not in sync:\n%s", text);
	free(text);
	plan_free(p);
	/* a re-printed constant that really differs is still a change */
	sql("ALTER TABLE shop.customers ALTER js SET DEFAULT '{\"a\": 2}'");
	assert_int_equal(plan_only(&cfg, &db, &p, &e), 0);
	assert_int_equal(p->nsafe, 1);
	assert_string_equal(p->v[0].kind, "set default");
	assert_string_equal(p->v[0].target, "shop.customers.js");
	plan_free(p);
	assert_int_equal(apply(&cfg, NULL, &rep, NULL, &e), 0);
	assert_int_equal(rep.applied, 1);
	/* a second run: no statement, no event, no lock */
	applied = 0;
	assert_int_equal(apply(&cfg, &hook, &rep, NULL, &e), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(rep.statements, 0);
	assert_false(rep.locked);
	config_release(&cfg);
}

/* The hook writes each event into a table through the db it is given. */
static int
record_event(void *arg, struct db *d, const struct actor *a,
    const struct mig_event *ev, struct merr *e)
{
	const char *params[3] = { ev->action, ev->target ? ev->target : "",
	    ev->ok ? "t" : "f" };
	PGresult *r;

	(void)arg; (void)a;
	if (db_query(d, "INSERT INTO evlog.ev (action, target, ok) "
	    "VALUES ($1, $2, $3)", 3, params, &r, e) == -1)
		return -1;
	PQclear(r);
	return 0;
}

/* The recorded events as "action:target:ok ...", then forget them. */
static char *
events(void)
{
	struct merr e;
	PGresult *r;
	char *s;

	merr_clear(&e);
	assert_int_equal(db_query(&db, "SELECT coalesce(string_agg(action || "
	    "':' || target || ':' || left(ok::text, 1), ' ' ORDER BY n), '')"
	    " FROM evlog.ev",
	    0, NULL, &r, &e), 0);
	s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	sql("TRUNCATE evlog.ev");
	return s;
}

static void
test_events(void **state)
{
	struct config cfg;
	struct tier1_report rep;
	struct event_hook hook = { .fn = record_event };
	struct db other;
	struct merr e;
	char *got;

	(void)state;
	sql("CREATE SCHEMA evlog; CREATE TABLE evlog.ev (n serial, action text,"
	    " target text, ok boolean)");
	mkdir("evm", 0755);
	write_file("evm/a.yaml", "schema: ev\ntable: a\ncolumns:\n"
	    "  id: { type: int, primary_key: true }\n  n: int\n");
	merr_clear(&e);
	assert_int_equal(config_load(&cfg, NULL, NULL, &e), 0);
	free(cfg.models_dir);
	cfg.models_dir = strdup("evm");
	cfg.lock_timeout_ms = 100;
	cfg.lock_retries = 1;
	cfg.retry_backoff_ms = 10;
	assert_int_equal(apply(&cfg, &hook, &rep, NULL, &e), 0);
	got = events();
	assert_string_equal(got, "tier1.plan::t tier1.apply:ev:t "
	    "tier1.apply:ev.a:t");
	free(got);

	/* a check that a row violates: recorded as a failure only */
	sql("INSERT INTO ev.a VALUES (1, -1)");
	write_file("evm/a.yaml", "schema: ev\ntable: a\ncolumns:\n"
	    "  id: { type: int, primary_key: true }\n"
	    "  n: { type: int, check: \"n > 0\" }\n");
	assert_int_equal(apply(&cfg, &hook, &rep, NULL, &e), -1);
	if (strstr(e.msg, "cannot add check 'ev.a.a_n_check'") == NULL)
		fail_msg("got '%s'", e.msg);
	got = events();
	assert_string_equal(got, "tier1.plan::t tier1.fail:ev.a.a_n_check:f");
	free(got);

	/* a busy table: one lock.retry, then tier1.fail; refusals too */
	write_file("evm/a.yaml", "schema: ev\ntable: a\ncolumns:\n"
	    "  id: { type: int, primary_key: true }\n  n: bigint\n  m: text\n");
	assert_int_equal(db_connect(&other, NULL, "holder", &e), 0);
	assert_int_equal(db_exec(&other, "BEGIN; LOCK TABLE ev.a IN "
	    "ACCESS SHARE MODE", &e), 0);
	assert_int_equal(apply(&cfg, &hook, &rep, NULL, &e), -1);
	assert_int_equal(e.code, MERR_LOCKED);
	assert_string_equal(e.sqlstate, "55P03");
	db_exec(&other, "ROLLBACK", &e);
	db_close(&other);
	got = events();
	assert_string_equal(got, "lock.retry:ev.a.m:f tier1.fail:ev.a.m:f");
	free(got);
	assert_int_equal(apply(&cfg, &hook, &rep, NULL, &e), 0);
	got = events();
	assert_string_equal(got, "tier1.plan::t tier1.apply:ev.a.m:t "
	    "tier1.refuse:ev.a.n:f");
	free(got);
	config_release(&cfg);
}

/* A live schema with what real ones have, and models that differ from it. */
static const char snap_sql[] =
    "CREATE SCHEMA snap;"
    "CREATE TYPE snap.status AS ENUM ('draft', 'live', 'gone');"
    "CREATE TABLE snap.authors (id bigint GENERATED ALWAYS AS IDENTITY"
    " PRIMARY KEY, handle text NOT NULL, email varchar(254),"
    " UNIQUE (handle, email));"
    "COMMENT ON TABLE snap.authors IS 'who writes';"
    "CREATE TABLE snap.posts (id bigint PRIMARY KEY, author_id bigint"
    " REFERENCES snap.authors ON DELETE SET NULL, status snap.status NOT"
    " NULL DEFAULT 'draft', tags text[] DEFAULT '{}', published_at"
    " timestamptz, body jsonb DEFAULT '{\"v\": 1}');"
    "CREATE INDEX posts_recent ON snap.posts (published_at DESC)"
    " WHERE status = 'live';"
    "CREATE INDEX posts_title ON snap.posts (lower(body->>'title'));"
    "ALTER TABLE snap.posts ADD CONSTRAINT posts_tags_check"
    " CHECK (cardinality(tags) < 10) NOT VALID;"
    "INSERT INTO snap.authors (handle) VALUES ('a');";

static const char snap_authors[] =
    "table: snap.authors\n"
    "columns:\n"
    "  id: { type: bigint, primary_key: true, identity: always }\n"
    "  handle: { type: text, not_null: true }\n"
    "  email: varchar(254)\n"
    "  bio: text\n"
    "  joined: { type: timestamptz, not_null: true, default: now() }\n"
    "  rank: { type: int, not_null: true }\n"
    "unique:\n"
    "  - [handle, email]\n";

static const char snap_posts[] =
    "table: snap.posts\n"
    "columns:\n"
    "  id: { type: bigint, primary_key: true }\n"
    "  author_id: { type: bigint, references: { table: snap.authors,"
    " on_delete: set null } }\n"
    "  status: { type: status, not_null: true, default: \"'draft'\" }\n"
    "  tags: { type: \"text[]\", default: \"'{}'\" }\n"
    "  published_at: timestamptz\n"
    "  words: { type: int, not_null: true }\n"
    "indexes:\n"
    "  - { name: posts_recent, columns: [published_at],"
    " where: \"status = 'live'\" }\n"
    "enums:\n"
    "  status: [draft, live, gone, archived]\n";

static char *
plan_of(const struct schema *want, const struct schema *have)
{
	struct plan_opts o = { .own_schema = "public", .own_tables = {
	    "migrated_versions", "migrated_audit", NULL } };
	struct plan *p;
	struct merr e;
	char *text;

	merr_clear(&e);
	assert_int_equal(plan_compute(want, have, &o, &p, &e), 0);
	assert_int_equal(plan_format_text(p, &text, &e), 0);
	assert_true(p->n > 0);
	plan_free(p);
	return text;
}

/*
 * The catalog snapshot is honest: catalog_load -> snapshot -> parse gives
 * a schema that formats the same and plans the same as the live one, so
 * golden files planned against a snapshot say what the database would.
 */
static void
test_snapshot_plans_like_the_database(void **state)
{
	char *only[] = { "snap", NULL }, *which[] = { "snap", "authors",
	    "snap", "posts", NULL }, *a, *b, *p1, *p2;
	struct schema *live, *back, *want;
	struct merr e;

	(void)state;
	sql(snap_sql);
	mkdir("snapm", 0755);
	write_file("snapm/authors.yaml", snap_authors);
	write_file("snapm/posts.yaml", snap_posts);
	merr_clear(&e);
	if (model_load_dir("snapm", &want, &e) == -1)
		fail_msg("model: %s", e.msg);
	assert_int_equal(catalog_load(&db, only, &live, &e), 0);
	assert_int_equal(catalog_probe_rows(&db, live, which, &e), 0);
	assert_int_equal(snapshot_format(live, &a, &e), 0);
	assert_int_equal(snapshot_parse("live.json", a, &back, &e), 0);
	assert_int_equal(snapshot_format(back, &b, &e), 0);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"valid\": false"));	/* NOT VALID */
	p1 = plan_of(want, live);
	p2 = plan_of(want, back);
	assert_string_equal(p1, p2);
	/* rows (probed) matter: authors has one, posts none */
	assert_non_null(strstr(p1, "-- refused: add column snap.authors.rank"));
	assert_non_null(strstr(p1, "-- safe: add column snap.posts.words"));
	assert_non_null(strstr(p1, "-- drift: column snap.posts.body"));
	free(a);
	free(b);
	free(p1);
	free(p2);
	schema_free(live);
	schema_free(back);
	schema_free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalised),
		cmocka_unit_test(test_column_order),
		cmocka_unit_test(test_fixed_queries),
		cmocka_unit_test(test_anything_each_kind),
		cmocka_unit_test(test_no_schema),
		cmocka_unit_test(test_probe_rows),
		cmocka_unit_test(test_stop_reaches_tier1),
		cmocka_unit_test(test_every_construct_in_sync),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_snapshot_plans_like_the_database),
	};

	pgtest_require("test_catalog");
	return cmocka_run_group_tests(tests, setup, teardown);
}
