/*
 * tier2_helpers.h - shared by test_runner.c and test_migrate.c: a real
 * database (TESTDB from the harness), a private migrations folder, and an
 * event hook that writes every event into a table of the same database,
 * with the connection it is given (so an event inside a rolled-back
 * transaction disappears with it, as the audit's would).
 */
#ifndef TIER2_HELPERS_H
#define TIER2_HELPERS_H

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "db.h"
#include "migrate.h"

struct fixture {
	char			dir[128];
	struct config		cfg;
	struct db		db;
	struct db		lockdb;
	struct actor		actor;
	struct event_hook	hook;
	struct mig_env		env;
	struct migrate_opts	opts;
	struct merr		e;
};

static struct fixture F;

#define T2_UNUSED __attribute__((unused))

static T2_UNUSED int
hook_record(void *arg, struct db *d, const struct actor *a,
    const struct mig_event *ev, struct merr *e)
{
	const char *p[4] = { ev->action, ev->target, ev->ok ? "t" : "f",
	    ev->error };
	PGresult *r;

	(void)arg;
	(void)a;
	if (db_query(d, "INSERT INTO test_events (action, target, ok, error) "
	    "VALUES ($1, $2, $3, $4)", 4, p, &r, e) == -1)
		return -1;
	PQclear(r);
	return 0;
}

static T2_UNUSED void
sql(const char *s)
{
	struct merr e;

	merr_clear(&e);
	if (db_exec(&F.db, s, &e) == -1)
		fail_msg("%s: %s", s, e.msg);
}

/* First column of the first row as text ("" for NULL / no row). */
static T2_UNUSED char *
val(const char *s)
{
	static char buf[4096];
	struct merr e;
	PGresult *r;

	merr_clear(&e);
	if (db_query(&F.db, s, 0, NULL, &r, &e) == -1)
		fail_msg("%s: %s", s, e.msg);
	snprintf(buf, sizeof(buf), "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) :
	    "");
	PQclear(r);
	return buf;
}

static T2_UNUSED void
put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", F.dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static T2_UNUSED int
fx_setup(void **state)
{
	static int n;
	struct config_overrides o;

	(void)state;
	memset(&F, 0, sizeof(F));
	snprintf(F.dir, sizeof(F.dir), "tier2-%d-%d", (int)getpid(), ++n);
	if (mkdir(F.dir, 0755) == -1)
		return -1;
	memset(&o, 0, sizeof(o));
	o.migrations_dir = F.dir;
	o.database = getenv("TESTDB");
	if (config_load(&F.cfg, NULL, &o, &F.e) == -1)
		return -1;
	F.cfg.lock_timeout_ms = 1000;
	F.cfg.retry_backoff_ms = 10;
	F.cfg.lock_retries = 2;
	if (db_connect(&F.db, F.cfg.database, "test", &F.e) == -1 ||
	    db_connect(&F.lockdb, F.cfg.database, "test-lock", &F.e) == -1) {
		fprintf(stderr, "%s\n", F.e.msg);
		return -1;
	}
	/* a clean database for each test */
	sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
	    "CREATE TABLE test_events (n serial, action text, target text, "
	    "ok boolean, error text)");
	F.actor.user = "alice";
	F.actor.uid = 1000;
	F.hook.fn = hook_record;
	F.hook.actor = &F.actor;
	F.env.cfg = &F.cfg;
	F.env.db = &F.db;
	F.env.lockdb = &F.lockdb;
	F.env.hook = &F.hook;
	F.env.actor = &F.actor;
	merr_clear(&F.e);
	return 0;
}

static T2_UNUSED int
fx_teardown(void **state)
{
	char cmd[256];

	(void)state;
	db_close(&F.db);
	db_close(&F.lockdb);
	config_release(&F.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
	return system(cmd) == 0 ? 0 : -1;
}

#define FX(t)	cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

static T2_UNUSED void
fail_e(const char *what)
{
	fail_msg("%s failed: %s (%s:%d:%d) detail: %s hint: %s", what,
	    F.e.msg, F.e.file, F.e.line, F.e.col, F.e.detail, F.e.hint);
}

/* up with the fixture's options; result released. */
static T2_UNUSED int
up(void)
{
	struct migrate_result r;
	int rc;

	migrate_result_init(&r);
	merr_clear(&F.e);
	rc = migrate_up(&F.env, &F.opts, &r, &F.e);
	migrate_result_release(&r);
	return rc;
}

#endif
