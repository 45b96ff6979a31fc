/*
 * test_migrate.c - the operations against the real database: status,
 * list, up, down, goto, force, redo, validate, create; every layout;
 * drift, out-of-order, missing files; the sample service's enhancements.
 */
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>

#include "pgtest.h"
#include "tier2_helpers.h"
#include "tracking.h"

static struct migrate_result R;

static int
op_setup(void **state)
{
	migrate_result_init(&R);
	return fx_setup(state);
}

static int
op_teardown(void **state)
{
	migrate_result_release(&R);
	return fx_teardown(state);
}

#define OP(t)	cmocka_unit_test_setup_teardown(t, op_setup, op_teardown)

static void
reset(void)
{
	migrate_result_release(&R);
	migrate_result_init(&R);
	memset(&F.opts, 0, sizeof(F.opts));
	merr_clear(&F.e);
}

static void
three(void)
{
	put("20240101_a.sql", "CREATE TABLE a (id int PRIMARY KEY);");
	put("20240101_a_rollback.sql", "DROP TABLE a;");
	put("20240102_b.sql", "CREATE TABLE b (id int PRIMARY KEY);");
	put("20240102_b_rollback.sql", "DROP TABLE b;");
	put("20240103_120000_c.sql", "CREATE TABLE c (id int PRIMARY KEY);");
	put("20240103_120000_c_rollback.sql", "DROP TABLE c;");
}

static const char *
tables(void)
{
	return val("SELECT coalesce(string_agg(relname, ',' ORDER BY relname),"
	    " '') FROM pg_class WHERE relkind = 'r' AND relnamespace = "
	    "'public'::regnamespace AND relname IN ('a', 'b', 'c')");
}

static void
test_status_and_up_steps(void **state)
{
	(void)state;
	three();
	assert_int_equal(migrate_status(&F.env, &R, &F.e), 0);
	assert_int_equal(R.npending, 3);
	assert_string_equal(R.current, "");
	assert_string_equal(R.layout, "native");
	/* status never creates the tracking table */
	assert_string_equal(val("SELECT to_regclass('migrated_versions') IS "
	    "NULL"), "t");
	reset();
	F.opts.steps = 1;
	assert_int_equal(migrate_up(&F.env, &F.opts, &R, &F.e), 0);
	assert_int_equal(R.nsteps, 1);
	assert_string_equal(R.steps[0].action, "apply");
	assert_string_equal(R.current, "20240101");
	assert_string_equal(tables(), "a");
	reset();
	F.opts.target = "20240102";
	assert_int_equal(migrate_up(&F.env, &F.opts, &R, &F.e), 0);
	assert_string_equal(tables(), "a,b");
	reset();
	assert_int_equal(migrate_up(&F.env, &F.opts, &R, &F.e), 0);
	assert_string_equal(tables(), "a,b,c");
	assert_string_equal(R.current, "20240103_120000");
	reset();
	/* nothing pending: nothing runs */
	assert_int_equal(migrate_up(&F.env, &F.opts, &R, &F.e), 0);
	assert_int_equal(R.nsteps, 0);
	reset();
	assert_int_equal(migrate_list(&F.env, &R, &F.e), 0);
	assert_string_equal(R.op, "list");
	assert_int_equal(R.nrows, 3);
	assert_int_equal(R.napplied, 3);
	assert_string_equal(R.rows[2].applied_by, "alice");
	assert_non_null(R.rows[2].applied_at);
}

static void
test_dry_run(void **state)
{
	(void)state;
	three();
	F.opts.dry_run = 1;
	assert_int_equal(migrate_up(&F.env, &F.opts, &R, &F.e), 0);
	assert_int_equal(R.nsteps, 3);
	assert_string_equal(R.steps[0].action, "would apply");
	assert_string_equal(tables(), "");
}

static void
test_down_goto_redo(void **state)
{
	(void)state;
	three();
	assert_int_equal(up(), 0);
	/* destructive: needs yes */
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), -1);
	assert_int_equal(F.e.code, MERR_REFUSED);
	assert_string_equal(tables(), "a,b,c");
	reset();
	F.opts.yes = 1;
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), 0);
	assert_string_equal(R.steps[0].action, "rollback");
	assert_string_equal(tables(), "a,b");
	assert_string_equal(R.current, "20240102");
	reset();
	F.opts.yes = 1;
	assert_int_equal(migrate_goto(&F.env, "20240101", &F.opts, &R, &F.e),
	    0);
	assert_string_equal(tables(), "a");
	reset();
	assert_int_equal(migrate_goto(&F.env, "20240103120000", &F.opts, &R,
	    &F.e), 0);
	assert_string_equal(tables(), "a,b,c");
	reset();
	F.opts.yes = 1;
	sql("INSERT INTO c VALUES (1)");
	assert_int_equal(migrate_redo(&F.env, &F.opts, &R, &F.e), 0);
	assert_int_equal(R.nsteps, 2);
	assert_string_equal(R.steps[1].action, "apply");
	assert_string_equal(val("SELECT count(*) FROM c"), "0");
	reset();
	F.opts.yes = 1;
	F.opts.target = "20240101";
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), 0);
	assert_string_equal(tables(), "a");
	reset();
	F.opts.yes = 1;
	F.opts.all = 1;
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), 0);
	assert_string_equal(tables(), "");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "0");
	assert_string_equal(val("SELECT string_agg(action, ',' ORDER BY n) "
	    "FROM test_events WHERE action <> 'tier2.apply'"),
	    "tier2.rollback,tier2.rollback,tier2.rollback,tier2.rollback,"
	    "tier2.rollback,tier2.rollback");
}

static void
test_missing_rollback_stops_first(void **state)
{
	(void)state;
	three();
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/20240101_a_rollback.sql", F.dir);
		assert_int_equal(unlink(p), 0);
	}
	assert_int_equal(up(), 0);
	F.opts.yes = 1;
	F.opts.all = 1;
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), -1);
	assert_string_equal(F.e.msg, "cannot roll back '20240101_a': it has "
	    "no rollback");
	/* nothing was rolled back, not even the two that could be */
	assert_string_equal(tables(), "a,b,c");
	assert_int_equal(R.nsteps, 0);
}

static void
test_layout_golang(void **state)
{
	(void)state;
	put("1_first.up.sql", "CREATE TABLE a (id int);");
	put("1_first.down.sql", "DROP TABLE a;");
	put("2_second.up.sql", "CREATE TABLE b (id int);");
	put("2_second.down.sql", "DROP TABLE b;");
	assert_int_equal(up(), 0);
	assert_string_equal(tables(), "a,b");
	F.opts.yes = 1;
	F.opts.all = 1;
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), 0);
	assert_string_equal(tables(), "");
}

static void
test_layout_single(void **state)
{
	(void)state;
	put("20240101_first.sql", "-- +++++ UP\nCREATE TABLE a (id int);\n"
	    "-- +++++ DOWN\nDROP TABLE a;\n");
	put("20240102_second.sql", "-- +++++ UP\nCREATE TABLE b (id int);\n"
	    "-- +++++ DOWN\nDROP TABLE b;\n");
	assert_int_equal(up(), 0);
	assert_string_equal(tables(), "a,b");
	F.opts.yes = 1;
	F.opts.steps = 1;
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), 0);
	assert_string_equal(tables(), "a");
}

static void
test_mixed_layout_refused(void **state)
{
	(void)state;
	put("1_first.up.sql", "CREATE TABLE a (id int);");
	put("20240101_b.sql", "CREATE TABLE b (id int);");
	assert_int_equal(up(), -1);
	assert_non_null(strstr(F.e.msg, "mixes layouts: '1_first.up.sql' is "
	    "golang-migrate, '20240101_b.sql' is native"));
	assert_string_equal(tables(), "");
}

static void
test_syntax_error_applies_nothing(void **state)
{
	(void)state;
	put("20240101_a.sql", "CREATE TABLE a (id int);");
	put("20240102_b.sql", "CREATE TABLE b (id int);\n\nCREATE TABEL c "
	    "(id int);\n");
	assert_int_equal(up(), -1);
	assert_non_null(strstr(F.e.file, "20240102_b.sql"));
	assert_int_equal(F.e.line, 3);
	assert_int_equal(F.e.col, 8);
	assert_string_equal(F.e.msg, "syntax error at or near \"TABEL\"");
	assert_string_equal(tables(), "");
}

static void
test_checksum_drift(void **state)
{
	(void)state;
	three();
	assert_int_equal(up(), 0);
	put("20240102_b.sql", "CREATE TABLE b (id bigint PRIMARY KEY);");
	put("20240104_d.sql", "CREATE TABLE d (id int);");
	assert_int_equal(up(), -1);
	assert_int_equal(F.e.code, MERR_STATE);
	assert_string_equal(F.e.msg, "cannot apply: '20240102_b' was changed "
	    "after it was applied");
	assert_non_null(strstr(F.e.hint, "migratectl force 20240102"));
	assert_string_equal(val("SELECT to_regclass('d') IS NULL"), "t");
	assert_int_equal(migrate_status(&F.env, &R, &F.e), 0);
	assert_int_equal(R.ndrift, 1);
	assert_int_equal(R.rows[1].drift, 1);
	reset();
	assert_int_equal(migrate_validate(&F.env, 0, &R, &F.e), -1);
	assert_int_equal(R.ndrift, 1);
	/* force records the file as applied (after checking by hand) */
	reset();
	F.opts.yes = 1;
	assert_int_equal(migrate_force(&F.env, "20240103_120000", &F.opts, &R,
	    &F.e), 0);
	assert_int_equal(R.ndrift, 0);
	assert_string_equal(val("SELECT action FROM test_events ORDER BY n "
	    "DESC LIMIT 1"), "tier2.force");
	reset();
	assert_int_equal(up(), 0);
	assert_string_equal(val("SELECT to_regclass('d') IS NOT NULL"), "t");
}

/*
 * redo checks what would refuse its second half before the first half
 * rolls anything back; the refusal is audited.  (It used to roll back c,
 * then refuse to apply it again because b had changed: one version lower.)
 */
static void
test_redo_refused_before_rollback(void **state)
{
	(void)state;
	three();
	assert_int_equal(up(), 0);
	put("20240102_b.sql", "CREATE TABLE b (id bigint PRIMARY KEY);");
	reset();
	F.opts.yes = 1;
	assert_int_equal(migrate_redo(&F.env, &F.opts, &R, &F.e), -1);
	assert_string_equal(F.e.msg, "cannot apply: '20240102_b' was changed "
	    "after it was applied");
	assert_string_equal(tables(), "a,b,c");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "3");
	assert_string_equal(val("SELECT action || ' ' || target || ' ' || ok "
	    "FROM test_events ORDER BY n DESC LIMIT 1"),
	    "tier2.refuse redo false");
	/* the newest file itself may change: that is what redo is for */
	put("20240102_b.sql", "CREATE TABLE b (id int PRIMARY KEY);");
	put("20240103_120000_c.sql", "CREATE TABLE c (id int PRIMARY KEY, "
	    "x int);");
	reset();
	F.opts.yes = 1;
	if (migrate_redo(&F.env, &F.opts, &R, &F.e) == -1)
		fail_e("redo of the changed newest file");
	assert_string_equal(val("SELECT count(*) FROM pg_attribute WHERE "
	    "attrelid = 'c'::regclass AND attname = 'x'"), "1");
	/* a forward file that no longer parses: refused the same way */
	put("20240102_b.sql", "CREATE TABLE b (id int PRIMARY KEY);");
	put("20240103_120000_c.sql", "CREATE TABLE c (id int PRIMARY KEY;");
	reset();
	F.opts.yes = 1;
	assert_int_equal(migrate_redo(&F.env, &F.opts, &R, &F.e), -1);
	assert_int_equal(F.e.code, MERR_INPUT);
	assert_string_equal(tables(), "a,b,c");
}

/* A rollback that does not parse: a warning until down needs it. */
static void
test_broken_rollback_blocks_nothing(void **state)
{
	(void)state;
	put("20240101_a.sql", "CREATE TABLE a (id int PRIMARY KEY);");
	put("20240101_a_rollback.sql", "DROP TABLEE a;");
	assert_int_equal(migrate_validate(&F.env, 0, &R, &F.e), 0);
	assert_int_equal(R.lint.n, 1);
	assert_int_equal(R.lint.v[0].rule, LINT_ROLLBACK_SYNTAX);
	assert_non_null(strstr(R.lint.v[0].file, "20240101_a_rollback.sql"));
	assert_int_equal(R.lint.v[0].line, 1);
	/* validate --strict (CI): the same rollback is an error, placed */
	reset();
	assert_int_equal(migrate_validate(&F.env, 1, &R, &F.e), -1);
	assert_int_equal(F.e.code, MERR_INPUT);
	assert_non_null(strstr(F.e.file, "20240101_a_rollback.sql"));
	assert_int_equal(F.e.line, 1);
	assert_int_equal(F.e.col, 6);
	assert_string_equal(F.e.msg, "syntax error at or near \"TABLEE\"");
	reset();
	assert_int_equal(up(), 0);
	assert_string_equal(tables(), "a");
	reset();
	F.opts.yes = 1;
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), -1);
	assert_int_equal(F.e.code, MERR_INPUT);
	assert_non_null(strstr(F.e.file, "20240101_a_rollback.sql"));
	assert_string_equal(tables(), "a");
}

/* The hint names the rollback in the folder's own layout. */
static void
test_missing_rollback_hint_golang(void **state)
{
	(void)state;
	put("0001_a.up.sql", "CREATE TABLE a (id int PRIMARY KEY);");
	assert_int_equal(up(), 0);
	reset();
	F.opts.yes = 1;
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), -1);
	assert_string_equal(F.e.hint, "write 0001_a.down.sql; nothing was "
	    "rolled back");
}

/*
 * After a server restart an idle connection looks fine (db_ok) until
 * something reads from it; db_alive reads, sends nothing, and says so.
 */
static void
test_db_alive_after_termination(void **state)
{
	struct db victim;
	PGresult *r;
	char pid[16];
	const char *p[1] = { pid };
	pid_t bpid;
	int i;

	(void)state;
	assert_int_equal(db_connect(&victim, F.cfg.database, "victim",
	    &F.e), 0);
	assert_true(db_alive(&victim));
	bpid = (pid_t)PQbackendPID(victim.conn);
	snprintf(pid, sizeof(pid), "%d", (int)bpid);
	assert_int_equal(db_query(&F.db, "SELECT pg_terminate_backend($1)",
	    1, p, &r, &F.e), 0);
	PQclear(r);
	/*
	 * The backend is gone once its process is (the test cluster runs on
	 * this machine): only then has its socket been closed.  Leaving
	 * pg_stat_activity comes earlier, before the FATAL and the close.
	 */
	for (i = 0; i < 3000 && !(kill(bpid, 0) == -1 && errno == ESRCH);
	    i++)
		usleep(10000);
	assert_true(i < 3000);
	assert_true(db_ok(&victim));	/* libpq has not noticed yet */
	assert_false(db_alive(&victim));
	db_close(&victim);
}

static void
test_out_of_order(void **state)
{
	(void)state;
	put("20240102_b.sql", "CREATE TABLE b (id int);");
	assert_int_equal(up(), 0);
	put("20240101_a.sql", "CREATE TABLE a (id int);");
	assert_int_equal(migrate_status(&F.env, &R, &F.e), 0);
	assert_int_equal(R.nooo, 1);
	assert_int_equal(R.rows[0].out_of_order, 1);
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.msg, "cannot apply '20240101_a': it is older "
	    "than the newest applied version");
	assert_non_null(strstr(F.e.hint, "up --out-of-order"));
	assert_string_equal(tables(), "b");
	F.opts.allow_out_of_order = 1;
	assert_int_equal(up(), 0);
	assert_string_equal(tables(), "a,b");
}

static void
test_missing_file(void **state)
{
	char p[256];

	(void)state;
	three();
	assert_int_equal(up(), 0);
	snprintf(p, sizeof(p), "%s/20240102_b.sql", F.dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/20240102_b_rollback.sql", F.dir);
	unlink(p);
	assert_int_equal(migrate_status(&F.env, &R, &F.e), 0);
	assert_int_equal(R.nmissing, 1);
	assert_int_equal(R.rows[1].state, MIG_MISSING);
	assert_string_equal(R.rows[1].version, "20240102");
	reset();
	F.opts.yes = 1;
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), -1);
	assert_non_null(strstr(F.e.msg, "applied version '20240102' has no "
	    "file"));
	assert_string_equal(tables(), "a,b,c");
}

static void
test_force_repairs_dirty(void **state)
{
	(void)state;
	sql("CREATE TABLE t (id int PRIMARY KEY, a int); "
	    "INSERT INTO t VALUES (1, 1), (2, 1)");
	put("20240101_u.sql", "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "
	    "t_a ON t (a);\n");
	put("20240102_v.sql", "CREATE TABLE v (id int);\n");
	assert_int_equal(up(), -1);
	assert_int_equal(migrate_status(&F.env, &R, &F.e), 0);
	assert_int_equal(R.ndirty, 1);
	reset();
	/* repaired by hand: the index is not wanted after all */
	sql("DROP INDEX IF EXISTS t_a");
	assert_int_equal(migrate_force(&F.env, "20240101", &F.opts, &R, &F.e),
	    -1);
	assert_int_equal(F.e.code, MERR_REFUSED);
	F.opts.yes = 1;
	assert_int_equal(migrate_force(&F.env, "20240101", &F.opts, &R, &F.e),
	    0);
	assert_int_equal(R.ndirty, 0);
	assert_string_equal(R.current, "20240101");
	reset();
	assert_int_equal(up(), 0);
	assert_string_equal(val("SELECT to_regclass('v') IS NOT NULL"), "t");
}

static void
test_busy(void **state)
{
	struct db_lock_policy now = { 0, NULL, 0 };
	struct db other;
	int waited;

	(void)state;
	three();
	assert_int_equal(db_connect(&other, F.cfg.database, "other", &F.e), 0);
	assert_int_equal(db_lock_take(&other, &now, &waited, &F.e), 0);
	assert_false(waited);
	F.cfg.lock_timeout_ms = 100;
	assert_int_equal(up(), -1);
	assert_int_equal(F.e.code, MERR_BUSY);
	assert_string_equal(F.e.msg, "another migration is running");
	assert_string_equal(tables(), "");
	db_close(&other);
	assert_int_equal(up(), 0);
}

/*
 * up told without the lock (migrate_up_settled), then up under the lock
 * on the same state; returns up's.  *fast: the first answered, and then
 * the two answers must be the same; when it did not, it left its result
 * untouched.
 */
static int
settled_then_up(int *fast)
{
	struct migrate_result s;
	int rc;

	migrate_result_init(&s);
	merr_clear(&F.e);
	*fast = migrate_up_settled(&F.env, &F.opts, &s, &F.e);
	assert_int_not_equal(*fast, -1);
	if (!*fast) {
		assert_null(s.op);
		assert_int_equal(s.nrows + s.napplied, 0);
		assert_string_equal(s.current, "");
	}
	merr_clear(&F.e);
	rc = migrate_up(&F.env, &F.opts, &R, &F.e);
	if (*fast) {
		assert_int_equal(rc, 0);
		assert_int_equal(R.nsteps, 0);
		assert_int_equal(s.nsteps, 0);
		assert_string_equal(s.op, R.op);
		assert_string_equal(s.layout, R.layout);
		assert_string_equal(s.current, R.current);
		assert_int_equal(s.napplied, R.napplied);
		assert_int_equal(R.npending + R.ndirty + R.ndrift +
		    R.nmissing + R.nooo, 0);
		assert_int_equal(s.npending + s.ndirty + s.ndrift + s.nmissing +
		    s.nooo, 0);
		/* the reply: what goes on the wire is the same */
		{
			json_t *a = migrate_result_to_json(&s);
			json_t *b = migrate_result_to_json(&R);
			char *ja = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
			char *jb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);

			assert_string_equal(ja, jb);
			free(ja);
			free(jb);
			json_decref(a);
			json_decref(b);
		}
	}
	migrate_result_release(&s);
	return rc;
}

/*
 * The settled read in two halves (migrate_settled_send(), _end()): they
 * say what the one call says; a folder that cannot be read between them
 * fails the end, which still reads the row, so that the connection is
 * usable after, outside any pipeline.
 */
static void
test_settled_halves(void **state)
{
	struct settled_read q;
	struct migrate_result s;
	char gone[300];

	(void)state;
	three();
	assert_int_equal(up(), 0);
	migrate_result_init(&s);
	assert_int_equal(migrate_settled_send(&F.env, &q, &F.e), 0);
	assert_int_equal(migrate_settled_end(&F.env, &q, &s, &F.e), 1);
	assert_string_equal(s.current, "20240103_120000");
	assert_int_equal(s.napplied, 3);
	migrate_result_release(&s);
	/* a new file: not settled, in two halves as in one */
	put("20240104_d.sql", "CREATE TABLE d (id int PRIMARY KEY);");
	migrate_result_init(&s);
	assert_int_equal(migrate_settled_send(&F.env, &q, &F.e), 0);
	assert_int_equal(migrate_settled_end(&F.env, &q, &s, &F.e), 0);
	migrate_result_release(&s);
	/* the folder gone while the server makes the digest */
	snprintf(gone, sizeof(gone), "%s.gone", F.dir);
	migrate_result_init(&s);
	assert_int_equal(migrate_settled_send(&F.env, &q, &F.e), 0);
	assert_int_equal(rename(F.dir, gone), 0);
	merr_clear(&F.e);
	assert_int_equal(migrate_settled_end(&F.env, &q, &s, &F.e), -1);
	assert_int_equal(rename(gone, F.dir), 0);
	migrate_result_release(&s);
	assert_null(F.db.pipe);
	assert_string_equal(val("SELECT 'usable'"), "usable");
	/* and the end without a send (no connection) says nothing */
	F.env.db = NULL;
	assert_int_equal(migrate_settled_send(&F.env, &q, &F.e), 0);
	migrate_result_init(&s);
	assert_int_equal(migrate_settled_end(&F.env, &q, &s, &F.e), 0);
	assert_null(s.op);
	migrate_result_release(&s);
	F.env.db = &F.db;
}

/*
 * The folder check's read handed over (migrate_check_pending()'s keep)
 * and a status that takes it (mig_env.trk_read, the daemon's start)
 * instead of reading the table: the table as the check read it, a row
 * deleted since unseen until the status reads the table again.  The
 * adopted view of --check never takes it.  The rows stay the caller's.
 */
static void
test_check_keep(void **state)
{
	struct migrate_result r;
	struct tracking keep;
	size_t nrun;

	(void)state;
	three();
	assert_int_equal(up(), 0);
	memset(&keep, 0, sizeof(keep));
	assert_int_equal(migrate_check_pending(&F.env, &nrun, &keep, &F.e),
	    0);
	assert_int_equal(nrun, 0);
	assert_true(keep.exists);
	assert_int_equal(keep.n, 3);
	sql("DELETE FROM migrated_versions WHERE version = '20240103_120000'");
	F.env.trk_read = &keep;
	migrate_result_init(&r);
	assert_int_equal(migrate_status(&F.env, &r, &F.e), 0);
	assert_int_equal(r.napplied, 3);
	assert_int_equal(r.npending, 0);
	migrate_result_release(&r);
	migrate_result_init(&r);
	assert_int_equal(migrate_check_status(&F.env, &r, &F.e), 0);
	assert_int_equal(r.napplied, 2);
	assert_int_equal(r.npending, 1);
	migrate_result_release(&r);
	F.env.trk_read = NULL;
	migrate_result_init(&r);
	assert_int_equal(migrate_status(&F.env, &r, &F.e), 0);
	assert_int_equal(r.napplied, 2);
	assert_int_equal(r.npending, 1);
	migrate_result_release(&r);
	assert_int_equal(keep.n, 3);
	assert_string_equal(keep.v[2].version, "20240103_120000");
	tracking_release(&keep);
}

static void
test_up_settled(void **state)
{
	struct db_lock_policy now = { 0, NULL, 0 };
	struct db other;
	int fast, waited;
	char p[256];

	(void)state;
	three();
	/* no table yet: the locked path creates it and applies all */
	assert_int_equal(settled_then_up(&fast), 0);
	assert_false(fast);
	assert_int_equal(R.nsteps, 3);
	reset();
	/* nothing pending: told in one read, as up tells it */
	assert_int_equal(settled_then_up(&fast), 0);
	assert_true(fast);
	reset();
	/* a new file: up applies it (a build that always says "nothing
	   pending" fails here) */
	put("20240104_d.sql", "CREATE TABLE d (id int PRIMARY KEY);");
	assert_int_equal(settled_then_up(&fast), 0);
	assert_false(fast);
	assert_int_equal(R.nsteps, 1);
	assert_string_equal(R.steps[0].action, "apply");
	assert_string_equal(val("SELECT to_regclass('d') IS NOT NULL"), "t");
	reset();
	/* an applied file edited: refused as before */
	put("20240102_b.sql", "CREATE TABLE b (id int PRIMARY KEY, x int);");
	assert_int_equal(settled_then_up(&fast), -1);
	assert_false(fast);
	assert_non_null(strstr(F.e.msg, "'20240102_b' was changed after it "
	    "was applied"));
	put("20240102_b.sql", "CREATE TABLE b (id int PRIMARY KEY);");
	reset();
	/* an applied file gone: up says so (missing) and runs nothing */
	snprintf(p, sizeof(p), "%s/20240104_d.sql", F.dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(settled_then_up(&fast), 0);
	assert_false(fast);
	assert_int_equal(R.nsteps, 0);
	assert_int_equal(R.nmissing, 1);
	put("20240104_d.sql", "CREATE TABLE d (id int PRIMARY KEY);");
	reset();
	/* another run holds the lock: up waits for it, and gives up */
	assert_int_equal(db_connect(&other, F.cfg.database, "other", &F.e), 0);
	assert_int_equal(db_lock_take(&other, &now, &waited, &F.e), 0);
	F.cfg.lock_timeout_ms = 100;
	assert_int_equal(settled_then_up(&fast), -1);
	assert_false(fast);
	assert_int_equal(F.e.code, MERR_BUSY);
	db_close(&other);
	F.cfg.lock_timeout_ms = 1000;
	reset();
	/* a lock connection not known to reach its backend directly (as
	   behind a pooler, which a transaction mode would be refused at the
	   locked path's session check): the locked path's answer; a direct
	   one is known at once (db_connect() asks) */
	db_close(&F.lockdb);
	assert_int_equal(db_connect(&F.lockdb, F.cfg.database, "test-lock",
	    &F.e), 0);
	assert_true(F.lockdb.pinned);
	F.lockdb.pinned = F.lockdb.direct = 0;
	assert_int_equal(settled_then_up(&fast), 0);
	assert_false(fast);
	reset();
	assert_int_equal(settled_then_up(&fast), 0);
	assert_true(fast);
	reset();
	/* a dirty row: resumed under the lock, refused again until fixed */
	sql("CREATE TABLE t (id int PRIMARY KEY, a int); "
	    "INSERT INTO t VALUES (1, 1), (2, 1)");
	put("20240105_u.sql", "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "
	    "t_a ON t (a);\n");
	assert_int_equal(up(), -1);
	reset();
	assert_int_equal(settled_then_up(&fast), -1);
	assert_false(fast);
	assert_non_null(strstr(F.e.msg, "20240105_u"));
	reset();
	sql("UPDATE t SET a = 2 WHERE id = 2");
	assert_int_equal(settled_then_up(&fast), 0);
	assert_false(fast);
	assert_int_equal(R.nsteps, 1);
	assert_string_equal(R.steps[0].action, "resume");
	reset();
	assert_int_equal(settled_then_up(&fast), 0);
	assert_true(fast);
	reset();
	/* the table edited by hand: a checksum, a version swapped for
	   another with as many rows (the digest, not the count, tells) */
	sql("UPDATE migrated_versions SET checksum = 'x' "
	    "WHERE version = '20240102'");
	assert_int_equal(settled_then_up(&fast), -1);
	assert_false(fast);
	sql("UPDATE migrated_versions SET checksum = (SELECT checksum FROM "
	    "migrated_versions WHERE version = '20240101') "
	    "WHERE version = '20240102'");
	reset();
	assert_int_equal(settled_then_up(&fast), -1);
	assert_false(fast);
}

/*
 * Versions ordered differently as numbers and as bytes (golang-migrate's
 * 1, 2, 10): the digest orders them as the server does.
 */
static void
test_up_settled_order(void **state)
{
	int fast;

	(void)state;
	put("1_a.up.sql", "CREATE TABLE a (id int PRIMARY KEY);");
	put("2_b.up.sql", "CREATE TABLE b (id int PRIMARY KEY);");
	put("10_c.up.sql", "CREATE TABLE c (id int PRIMARY KEY);");
	assert_int_equal(up(), 0);
	reset();
	assert_int_equal(settled_then_up(&fast), 0);
	assert_true(fast);
	assert_string_equal(R.current, "10");
	reset();
	/* a row swapped for another version, as many rows as files */
	sql("UPDATE migrated_versions SET version = '3' WHERE version = '2'");
	(void)settled_then_up(&fast);
	assert_false(fast);
}

/* A repeatable file (Flyway's R__) whose checksum changed runs again. */
static void
test_up_settled_repeatable(void **state)
{
	int fast;

	(void)state;
	put("V1__a.sql", "CREATE TABLE a (id int PRIMARY KEY);");
	put("R__v.sql", "CREATE OR REPLACE VIEW v AS SELECT 1 AS x;");
	assert_int_equal(up(), 0);
	reset();
	assert_int_equal(settled_then_up(&fast), 0);
	assert_true(fast);
	reset();
	put("R__v.sql", "CREATE OR REPLACE VIEW v AS SELECT 2 AS x;");
	assert_int_equal(settled_then_up(&fast), 0);
	assert_false(fast);
	assert_int_equal(R.nsteps, 1);
	assert_string_equal(val("SELECT x FROM v"), "2");
	reset();
	assert_int_equal(settled_then_up(&fast), 0);
	assert_true(fast);
}

static void
test_validate_lints(void **state)
{
	(void)state;
	put("20240101_a.sql", "CREATE TABLE t (id int);\n"
	    "ALTER TABLE users ADD COLUMN nick text;\n"
	    "CREATE INDEX t_id ON t (id);\n");
	assert_int_equal(migrate_validate(&F.env, 0, &R, &F.e), 0);
	assert_int_equal(R.lint.n, 2);
	assert_string_equal(lint_rule_name(R.lint.v[0].rule),
	    "add-column-idempotent");
	assert_int_equal(R.lint.v[0].line, 2);
	assert_string_equal(lint_rule_name(R.lint.v[1].rule),
	    "create-index-idempotent");
	{
		json_t *j = migrate_result_to_json(&R);
		char *s = json_dumps(j, JSON_COMPACT);

		assert_non_null(strstr(s, "\"rule\":\"add-column-idempotent\""));
		assert_non_null(strstr(s, "\"op\":\"validate\""));
		free(s);
		json_decref(j);
	}
	reset();
	put("20240102_b.sql", "SELEC 1;");
	assert_int_equal(migrate_validate(&F.env, 0, &R, &F.e), -1);
	assert_non_null(strstr(F.e.file, "20240102_b.sql"));
	assert_int_equal(F.e.line, 1);
}

static void
test_create(void **state)
{
	(void)state;
	assert_int_equal(migrate_create(F.dir, "x/../y", 1704294000, &R, &F.e),
	    -1);
	assert_int_equal(F.e.code, MERR_USAGE);
	reset();
	assert_int_equal(migrate_create(F.dir, "add_things", 1704294000, &R,
	    &F.e), 0);
	assert_non_null(R.paths[2]);
	reset();
	assert_int_equal(migrate_create(F.dir, "add_things", 1704294000, &R,
	    &F.e), -1);
	assert_string_equal(F.e.msg, "refusing to overwrite an existing file");
	reset();
	/* the new (empty) migration applies and rolls back */
	assert_int_equal(up(), 0);
	F.opts.yes = 1;
	assert_int_equal(migrate_down(&F.env, &F.opts, &R, &F.e), 0);
	assert_int_equal(R.nsteps, 1);
}

static void
test_cached_set(void **state)
{
	struct migset cache;

	(void)state;
	memset(&cache, 0, sizeof(cache));
	F.env.cache = &cache;
	three();
	assert_int_equal(migrate_status(&F.env, &R, &F.e), 0);
	assert_int_equal(R.npending, 3);
	assert_int_equal(cache.n, 3);
	assert_int_equal(up(), 0);
	assert_string_equal(tables(), "a,b,c");
	/* an edit after apply is still seen through the cache */
	put("20240102_b.sql", "CREATE TABLE b (id bigint PRIMARY KEY);");
	reset();
	assert_int_equal(migrate_status(&F.env, &R, &F.e), 0);
	assert_int_equal(R.ndrift, 1);
	migset_release(&cache);
	F.env.cache = NULL;
}

/* ---- the sample service ------------------------------------------- */

static void
samples_dir(void)
{
	char exe[PATH_MAX], *root;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	/* BUILD/tests/test_migrate -> the repository */
	root = dirname(dirname(dirname(exe)));
	free(F.cfg.migrations_dir);
	assert_true(asprintf(&F.cfg.migrations_dir, "%s/migrations", root) > 0);
}

/* The tables as tier 1 creates them from models/ (plain SQL here). */
static void
sample_tables(int with_model_columns)
{
	sql("CREATE TABLE users (id uuid PRIMARY KEY DEFAULT "
	    "gen_random_uuid(), username varchar(20) NOT NULL UNIQUE, email "
	    "varchar(254) NOT NULL UNIQUE, password_hash text NOT NULL, "
	    "created_at timestamptz NOT NULL DEFAULT now())");
	sql("CREATE TABLE activity_logs (id bigint PRIMARY KEY, user_id uuid "
	    "NOT NULL REFERENCES users ON DELETE CASCADE, event_type "
	    "varchar(50) NOT NULL, \"timestamp\" timestamptz NOT NULL DEFAULT "
	    "now(), ip_address inet, details jsonb NOT NULL DEFAULT '{}')");
	if (with_model_columns)
		sql("CREATE TYPE severity_level AS ENUM ('info', 'warning', "
		    "'critical');"
		    "ALTER TABLE users ADD COLUMN preferences jsonb NOT NULL "
		    "DEFAULT '{}';"
		    "ALTER TABLE activity_logs ADD COLUMN severity "
		    "severity_level NOT NULL DEFAULT 'info', ADD COLUMN "
		    "expires_at timestamptz, ADD COLUMN is_anomaly boolean NOT "
		    "NULL DEFAULT false");
	sql("INSERT INTO users (username, email, password_hash) SELECT "
	    "'user' || g, 'u' || g || '@example.org', 'x' FROM "
	    "generate_series(1, 120) g");
	sql("INSERT INTO activity_logs (id, user_id, event_type, \"timestamp\")"
	    " SELECT g, (SELECT id FROM users ORDER BY id LIMIT 1), CASE g % 4 "
	    "WHEN 0 THEN 'login' WHEN 1 THEN 'login_failed' WHEN 2 THEN "
	    "'account_locked' ELSE 'logout' END, '2024-01-01'::timestamptz "
	    "FROM generate_series(1, 12000) g");
}

static void
check_samples_applied(void)
{
	assert_string_equal(val("SELECT string_agg(severity || '=' || n, ',' "
	    "ORDER BY severity) FROM (SELECT severity, count(*) n FROM "
	    "activity_logs GROUP BY 1) s"), "info=6000,warning=3000,"
	    "critical=3000");
	assert_string_equal(val("SELECT count(*) FROM activity_logs WHERE "
	    "expires_at IS NULL"), "0");
	assert_string_equal(val("SELECT max(expires_at) FROM activity_logs "
	    "WHERE severity = 'critical'"), "2026-01-01 00:00:00+00");
	assert_string_equal(val("SELECT indisvalid FROM pg_index WHERE "
	    "indexrelid = 'activity_logs_anomalies_idx'::regclass"), "t");
	assert_string_equal(val("SELECT indisvalid FROM pg_index WHERE "
	    "indexrelid = 'users_preferences_gin_idx'::regclass"), "t");
	assert_string_equal(val("SELECT count(*) FROM users WHERE NOT "
	    "preferences ? 'theme'"), "0");
	assert_string_equal(val("SELECT col_description('activity_logs'::"
	    "regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = "
	    "'activity_logs'::regclass AND attname = 'is_anomaly'))"),
	    "flagged by the anomaly detector; indexed partially");
}

static void
run_samples(int with_model_columns)
{
	samples_dir();
	sql("SET TIME ZONE 'UTC'");
	sample_tables(with_model_columns);
	/* lint-clean, and both parse */
	assert_int_equal(migrate_validate(&F.env, 0, &R, &F.e), 0);
	assert_int_equal(R.lint.n, 0);
	reset();
	if (migrate_up(&F.env, &F.opts, &R, &F.e) == -1)
		fail_e("up");
	assert_int_equal(R.nsteps, 2);
	assert_string_equal(R.current, "20240110_150000");
	check_samples_applied();
	reset();
	F.opts.yes = 1;
	F.opts.all = 1;
	if (migrate_down(&F.env, &F.opts, &R, &F.e) == -1)
		fail_e("down");
	assert_int_equal(R.nsteps, 2);
	assert_string_equal(val("SELECT to_regclass('activity_logs_anomalies_"
	    "idx') IS NULL AND to_regclass('users_preferences_gin_idx') IS "
	    "NULL"), "t");
	assert_string_equal(val("SELECT col_description('users'::regclass, "
	    "(SELECT attnum FROM pg_attribute WHERE attrelid = "
	    "'users'::regclass AND attname = 'preferences')) IS NULL"), "t");
	/* idempotent: applying again changes nothing it should not */
	reset();
	if (migrate_up(&F.env, &F.opts, &R, &F.e) == -1)
		fail_e("up again");
	check_samples_applied();
}

static void
test_samples_after_tier1(void **state)
{
	(void)state;
	run_samples(1);
}

static void
test_samples_on_bare_tables(void **state)
{
	(void)state;
	run_samples(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		OP(test_status_and_up_steps),
		OP(test_dry_run),
		OP(test_down_goto_redo),
		OP(test_missing_rollback_stops_first),
		OP(test_layout_golang),
		OP(test_layout_single),
		OP(test_mixed_layout_refused),
		OP(test_syntax_error_applies_nothing),
		OP(test_checksum_drift),
		OP(test_redo_refused_before_rollback),
		OP(test_broken_rollback_blocks_nothing),
		OP(test_missing_rollback_hint_golang),
		OP(test_db_alive_after_termination),
		OP(test_out_of_order),
		OP(test_missing_file),
		OP(test_force_repairs_dirty),
		OP(test_busy),
		OP(test_up_settled),
		OP(test_settled_halves),
		OP(test_check_keep),
		OP(test_up_settled_repeatable),
		OP(test_up_settled_order),
		OP(test_validate_lints),
		OP(test_create),
		OP(test_cached_set),
		OP(test_samples_after_tier1),
		OP(test_samples_on_bare_tables),
	};

	pgtest_require("test_migrate");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
