/*
 * test_runner.c - executing migrations against the real database:
 * transactions, failures, a killed CONCURRENTLY run resumed, explicit
 * BEGIN/COMMIT, lock timeouts, batched backfills killed and resumed.
 */
#include <sys/wait.h>

#include <signal.h>
#include <time.h>

#include "pgtest.h"
#include "tier2_helpers.h"
#include "tracking.h"

static void
test_one_transaction(void **state)
{
	(void)state;
	put("20240101_a.sql", "CREATE TABLE a (id int PRIMARY KEY);\n"
	    "COMMENT ON TABLE a IS 'x; y';\n");
	if (up() == -1)
		fail_e("up");
	assert_string_equal(val("SELECT obj_description('a'::regclass)"),
	    "x; y");
	assert_string_equal(val("SELECT name || ' ' || applied_by || ' ' || "
	    "dirty FROM migrated_versions WHERE version = '20240101'"),
	    "a alice false");
	assert_string_equal(val("SELECT string_agg(action || ':' || ok, ',') "
	    "FROM test_events"), "tier2.apply:true");
}

static void
test_failure_leaves_no_trace(void **state)
{
	(void)state;
	put("20240101_a.sql", "CREATE TABLE a (id int);\n"
	    "INSERT INTO a VALUES (1);\n"
	    "INSERT INTO a VALUES ('not a number');\n");
	assert_int_equal(up(), -1);
	assert_int_equal(F.e.code, MERR_DB);
	assert_string_equal(F.e.sqlstate, "22P02");
	assert_non_null(strstr(F.e.msg, "cannot apply '20240101_a': "
	    "statement 3 of 3: invalid input syntax for type integer"));
	assert_int_equal(F.e.line, 3);
	assert_non_null(strstr(F.e.file, "20240101_a.sql"));
	/* no table, no tracking row; only the failure record */
	assert_string_equal(val("SELECT to_regclass('a') IS NULL"), "t");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "0");
	assert_string_equal(val("SELECT string_agg(action || ':' || ok, ',') "
	    "FROM test_events"), "tier2.fail:false");
	assert_non_null(strstr(val("SELECT error FROM test_events"),
	    "invalid input syntax"));
}

static void
test_dollar_quotes_and_do(void **state)
{
	(void)state;
	put("20240101_fn.sql",
	    "CREATE FUNCTION add_one(i int) RETURNS int LANGUAGE plpgsql AS $$\n"
	    "BEGIN\n  -- a ; inside the body\n  RETURN i + 1;\nEND;\n$$;\n"
	    "CREATE TABLE t (v text);\n"
	    "DO $do$\nBEGIN\n  INSERT INTO t VALUES ('a;b');\n"
	    "  INSERT INTO t VALUES ($$c;d$$);\nEND\n$do$;\n");
	if (up() == -1)
		fail_e("up");
	assert_string_equal(val("SELECT add_one(41)"), "42");
	assert_string_equal(val("SELECT string_agg(v, '|' ORDER BY v) FROM t"),
	    "a;b|c;d");
}

static void
test_explicit_begin_commit(void **state)
{
	(void)state;
	sql("CREATE TABLE t (id int PRIMARY KEY, a int)");
	put("20240101_x.sql", "BEGIN;\nALTER TABLE t ADD COLUMN IF NOT EXISTS "
	    "b int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_b ON t "
	    "(b);\n");
	if (up() == -1)
		fail_e("up");
	/* not nested: the CONCURRENTLY index ran outside any transaction */
	assert_string_equal(val("SELECT indisvalid FROM pg_index WHERE "
	    "indexrelid = 't_b'::regclass"), "t");
	assert_string_equal(val("SELECT dirty FROM migrated_versions"), "f");
}

/* A file's session-level SET does not reach the next file or the daemon. */
static void
test_session_reset_after_file(void **state)
{
	(void)state;
	sql("DO $$ BEGIN CREATE ROLE migrated_test_norole NOLOGIN; "
	    "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
	/* the role may write the file's own tracking row */
	if (tracking_init(&F.db, &F.cfg, &F.e) == -1)
		fail_e("tracking_init");
	sql("GRANT USAGE, CREATE ON SCHEMA public TO migrated_test_norole;"
	    "GRANT ALL ON ALL TABLES IN SCHEMA public TO migrated_test_norole;"
	    "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "
	    "migrated_test_norole");
	sql("CREATE SCHEMA elsewhere");
	put("20240101_a.sql", "SET search_path = elsewhere, public;\n"
	    "SET session_replication_role = replica;\n"
	    "SET ROLE migrated_test_norole;\n");
	put("20240102_b.sql", "CREATE TABLE t2 (id int);\n");
	if (up() == -1)
		fail_e("up");
	assert_string_equal(val("SELECT count(*) FROM public.t2"), "0");
	assert_string_equal(val("SHOW search_path"), "\"$user\", public");
	assert_string_equal(val("SHOW session_replication_role"), "origin");
	assert_string_equal(val("SHOW client_min_messages"), "warning");
	assert_string_equal(val("SELECT current_user = session_user"), "t");
	assert_string_equal(val("SELECT tableowner = session_user FROM "
	    "pg_tables WHERE tablename = 't2'"), "t");
}

/*
 * A file that deallocates every prepared statement (its own DEALLOCATE
 * ALL in its transaction, or a DISCARD ALL, which runs outside one)
 * takes the records' prepared statements with it: the next transaction
 * that uses them fails as a whole and runs once more without them.
 */
static void
test_deallocate_in_file(void **state)
{
	(void)state;
	put("20240101_a.sql", "CREATE TABLE a (id int);\n");
	put("20240102_b.sql", "CREATE TABLE b (id int);\nDEALLOCATE ALL;\n");
	put("20240103_c.sql", "DISCARD ALL;\n");
	put("20240104_d.sql", "CREATE TABLE d (id int);\n");
	if (up() == -1)
		fail_e("up");
	assert_string_equal(val("SELECT string_agg(version || ':' || dirty, "
	    "',' ORDER BY version) FROM migrated_versions"), "20240101:false,"
	    "20240102:false,20240103:false,20240104:false");
	assert_string_equal(val("SELECT count(*) FROM pg_class WHERE relname"
	    " IN ('a', 'b', 'd')"), "3");
	assert_string_equal(val("SELECT string_agg(action || ':' || ok, ',') "
	    "FROM test_events"), "tier2.apply:true,tier2.apply:true,"
	    "tier2.apply:true,tier2.apply:true");
}

/* ---- a CONCURRENTLY file killed in the middle, then resumed --------- */

static pid_t
child_up(void)
{
	pid_t pid;

	/* the table the parent polls exists before the child starts */
	if (tracking_init(&F.db, &F.cfg, &F.e) == -1)
		fail_e("tracking_init");
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct db d;
		struct mig_env env = F.env;
		struct migrate_result r;
		struct merr e;

		/* the child's own connection; the parent's is left alone */
		merr_clear(&e);
		if (db_connect(&d, F.cfg.database, "test-child", &e) == -1)
			_exit(2);
		env.db = &d;
		env.lockdb = NULL;
		migrate_result_init(&r);
		_exit(migrate_up(&env, &F.opts, &r, &e) == 0 ? 0 : 1);
	}
	return pid;
}

static void
wait_for(const char *query, const char *want)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (strcmp(val(query), want) == 0)
			return;
		usleep(10000);
	}
	fail_msg("timed out waiting for %s = %s", query, want);
}

static void
test_concurrently_killed_and_resumed(void **state)
{
	struct db blocker;
	struct merr e;
	pid_t pid;
	int status;

	(void)state;
	sql("CREATE TABLE t1 (id int PRIMARY KEY, a int);"
	    "CREATE TABLE t2 (id int PRIMARY KEY, b int);"
	    "INSERT INTO t1 SELECT g, g FROM generate_series(1, 1000) g;"
	    "INSERT INTO t2 SELECT g, g FROM generate_series(1, 1000) g");
	put("20240101_idx.sql",
	    "CREATE INDEX CONCURRENTLY IF NOT EXISTS t1_a ON t1 (a);\n"
	    "CREATE INDEX CONCURRENTLY IF NOT EXISTS t2_b ON t2 (b);\n"
	    "COMMENT ON INDEX t2_b IS 'resumed';\n");
	F.cfg.lock_timeout_ms = 60000;	/* the child waits, we kill it */
	/* a writer on t2 keeps statement 2 waiting after its first phase */
	merr_clear(&e);
	assert_int_equal(db_connect(&blocker, F.cfg.database, "blocker", &e),
	    0);
	assert_int_equal(db_exec(&blocker, "BEGIN; INSERT INTO t2 VALUES "
	    "(5000, 1)", &e), 0);
	pid = child_up();
	/* statement 1 done, statement 2 has created its (invalid) index */
	wait_for("SELECT stmt_done || ' ' || dirty FROM migrated_versions",
	    "1 true");
	wait_for("SELECT count(*) FROM pg_class WHERE relname = 't2_b'", "1");
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	/* the orphaned backend goes too, then the writer commits: untouched */
	sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
	    "application_name = 'test-child'");
	wait_for("SELECT count(*) FROM pg_stat_activity WHERE "
	    "application_name = 'test-child'", "0");
	assert_int_equal(db_exec(&blocker, "COMMIT", &e), 0);
	db_close(&blocker);
	assert_string_equal(val("SELECT count(*) FROM t2"), "1001");
	assert_string_equal(val("SELECT indisvalid FROM pg_index WHERE "
	    "indexrelid = 't2_b'::regclass"), "f");
	/* status shows where it stopped */
	{
		struct migrate_result r;

		migrate_result_init(&r);
		assert_int_equal(migrate_status(&F.env, &r, &F.e), 0);
		assert_int_equal(r.ndirty, 1);
		assert_int_equal(r.rows[0].state, MIG_DIRTY);
		assert_int_equal(r.rows[0].stmt_done, 1);
		migrate_result_release(&r);
	}
	/* resume: drops the invalid index, rebuilds it, finishes */
	F.cfg.lock_timeout_ms = 2000;
	if (up() == -1)
		fail_e("resume");
	assert_string_equal(val("SELECT indisvalid FROM pg_index WHERE "
	    "indexrelid = 't2_b'::regclass"), "t");
	assert_string_equal(val("SELECT obj_description('t2_b'::regclass)"),
	    "resumed");
	assert_string_equal(val("SELECT dirty || ' ' || stmt_done FROM "
	    "migrated_versions"), "false 0");
	assert_string_equal(val("SELECT string_agg(action, ',') FROM "
	    "test_events"), "tier2.apply");
}

/*
 * Killed while the server builds an index CONCURRENTLY: the orphaned
 * backend finishes the build, so the index is valid although the
 * progress row says statement 1 was not done.  Resume asks the database
 * (the step's check) and does not run it again: without that, a file
 * without IF NOT EXISTS fails for ever with "already exists".
 */
static void
test_concurrently_finished_after_kill(void **state)
{
	struct db blocker;
	struct merr e;
	pid_t pid;
	int status;

	(void)state;
	sql("CREATE TABLE t1 (id int PRIMARY KEY, a int);"
	    "INSERT INTO t1 SELECT g, g FROM generate_series(1, 1000) g");
	put("20240101_idx.sql",
	    "CREATE INDEX CONCURRENTLY t1_a ON t1 (a);\n"
	    "COMMENT ON INDEX t1_a IS 'resumed';\n");
	F.cfg.lock_timeout_ms = 60000;
	merr_clear(&e);
	assert_int_equal(db_connect(&blocker, F.cfg.database, "blocker", &e),
	    0);
	assert_int_equal(db_exec(&blocker, "BEGIN; INSERT INTO t1 VALUES "
	    "(5000, 1)", &e), 0);
	pid = child_up();
	wait_for("SELECT stmt_done || ' ' || dirty FROM migrated_versions",
	    "0 true");
	wait_for("SELECT count(*) FROM pg_class WHERE relname = 't1_a'", "1");
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* the writer commits: the orphaned backend completes the build */
	assert_int_equal(db_exec(&blocker, "COMMIT", &e), 0);
	db_close(&blocker);
	wait_for("SELECT indisvalid FROM pg_index WHERE indexrelid = "
	    "'t1_a'::regclass", "t");
	wait_for("SELECT count(*) FROM pg_stat_activity WHERE "
	    "application_name = 'test-child'", "0");
	assert_string_equal(val("SELECT stmt_done || ' ' || dirty FROM "
	    "migrated_versions"), "0 true");
	F.cfg.lock_timeout_ms = 2000;
	if (up() == -1)
		fail_e("resume");
	assert_string_equal(val("SELECT obj_description('t1_a'::regclass)"),
	    "resumed");
	assert_string_equal(val("SELECT dirty || ' ' || stmt_done FROM "
	    "migrated_versions"), "false 0");
	assert_string_equal(val("SELECT count(*) FROM pg_indexes WHERE "
	    "tablename = 't1'"), "2");
}

static void
test_failed_notx_resumes_at_statement(void **state)
{
	(void)state;
	sql("CREATE TABLE t (id int PRIMARY KEY, a int);"
	    "INSERT INTO t VALUES (1, 1), (2, 1)");
	put("20240101_u.sql",
	    "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id2 ON t (id);\n"
	    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);\n"
	    "COMMENT ON INDEX t_a IS 'ok';\n");
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.sqlstate, "23505");
	assert_non_null(strstr(F.e.msg, "statement 2 of 3"));
	assert_non_null(strstr(F.e.hint, "resumes at statement 2"));
	assert_non_null(strstr(val("SELECT stmt_done || ' ' || error FROM "
	    "migrated_versions"), "1 cannot apply"));
	/* fix the cause; up resumes at statement 2 (statement 1 not rerun) */
	sql("UPDATE t SET a = 2 WHERE id = 2");
	if (up() == -1)
		fail_e("resume");
	assert_string_equal(val("SELECT indisvalid FROM pg_index WHERE "
	    "indexrelid = 't_a'::regclass"), "t");
	assert_string_equal(val("SELECT dirty FROM migrated_versions"), "f");
	assert_string_equal(val("SELECT string_agg(action || ':' || ok, ',' "
	    "ORDER BY n) FROM test_events"),
	    "tier2.fail:false,tier2.apply:true");
}

static void
test_lock_timeout_fails_cleanly(void **state)
{
	struct db app;
	struct merr e;

	(void)state;
	sql("CREATE TABLE hot (id int PRIMARY KEY, v int)");
	put("20240101_lock.sql", "-- migrated:lock_timeout=100ms\n"
	    "-- migrated:lock_retries=2\n"
	    "ALTER TABLE hot ADD COLUMN IF NOT EXISTS w int;\n");
	merr_clear(&e);
	assert_int_equal(db_connect(&app, F.cfg.database, "app", &e), 0);
	assert_int_equal(db_exec(&app, "BEGIN; INSERT INTO hot VALUES (1, 1);"
	    " LOCK TABLE hot IN ACCESS SHARE MODE", &e), 0);
	assert_int_equal(up(), -1);
	if (F.e.code != MERR_LOCKED)
		fail_e("expected a lock timeout");
	assert_string_equal(F.e.sqlstate, "55P03");

	assert_string_equal(F.e.msg, "cannot apply '20240101_lock': lock "
	    "timeout on \"hot\" after 3 tries");
	assert_string_equal(F.e.detail, "statement 1 of 1 waited 100 ms for "
	    "its lock on each try");
	assert_int_equal(F.e.line, 3);
	/* recorded: two retries and the failure; nothing applied */
	assert_string_equal(val("SELECT string_agg(action, ',' ORDER BY n) "
	    "FROM test_events"), "lock.retry,lock.retry,tier2.fail");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "0");
	/* the application's transaction is untouched */
	assert_int_equal(db_exec(&app, "INSERT INTO hot VALUES (2, 2); COMMIT",
	    &e), 0);
	db_close(&app);
	assert_string_equal(val("SELECT count(*) FROM hot"), "2");
	assert_string_equal(val("SELECT count(*) FROM pg_attribute WHERE "
	    "attrelid = 'hot'::regclass AND attname = 'w'"), "0");
	if (up() == -1)
		fail_e("up after the lock is gone");
}

static void
test_statement_timeout_header(void **state)
{
	(void)state;
	put("20240101_slow.sql", "-- migrated:statement_timeout=200ms\n"
	    "CREATE TABLE s (id int);\nSELECT pg_sleep(5);\n");
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.sqlstate, "57014");
	assert_non_null(strstr(F.e.msg, "statement 2 of 2: canceling "
	    "statement due to statement timeout"));
	assert_string_equal(val("SELECT to_regclass('s') IS NULL"), "t");
}

static void
test_explicit_lock_timeout_then_resume(void **state)
{
	struct db app;
	struct merr e;

	(void)state;
	sql("CREATE TABLE hot (id int PRIMARY KEY)");
	put("20240101_x.sql", "-- migrated:lock_timeout=100ms\n"
	    "-- migrated:lock_retries=1\n"
	    "CREATE TABLE side (id int);\n"
	    "BEGIN;\nALTER TABLE hot ADD COLUMN IF NOT EXISTS w int;\n"
	    "COMMENT ON TABLE hot IS 'x';\nCOMMIT;\n");
	merr_clear(&e);
	assert_int_equal(db_connect(&app, F.cfg.database, "app", &e), 0);
	assert_int_equal(db_exec(&app, "BEGIN; LOCK TABLE hot IN ACCESS SHARE "
	    "MODE", &e), 0);
	assert_int_equal(up(), -1);
	assert_int_equal(F.e.code, MERR_LOCKED);
	assert_string_equal(F.e.msg, "cannot apply '20240101_x': lock "
	    "timeout on \"hot\" after 2 tries");
	/* statement 1 (outside the file's transaction) stays done; the
	 * file's transaction rolled back with its progress */
	assert_string_equal(val("SELECT stmt_done || ' ' || dirty FROM "
	    "migrated_versions"), "1 true");
	assert_string_equal(val("SELECT obj_description('hot'::regclass) IS "
	    "NULL"), "t");
	assert_int_equal(db_exec(&app, "COMMIT", &e), 0);
	db_close(&app);
	/* resumes at the BEGIN, not at statement 1 (no duplicate table) */
	if (up() == -1)
		fail_e("resume");
	assert_string_equal(val("SELECT obj_description('hot'::regclass)"),
	    "x");
	assert_string_equal(val("SELECT dirty FROM migrated_versions"), "f");
	assert_string_equal(val("SELECT string_agg(action, ',' ORDER BY n) "
	    "FROM test_events"), "lock.retry,tier2.fail,tier2.apply");
}

/* ---- batched backfills ---------------------------------------------- */

static void
test_backfill_killed_and_resumed(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	sql("CREATE TABLE logs (id bigint PRIMARY KEY, kind text, hits int "
	    "NOT NULL DEFAULT 0, severity text);"
	    "INSERT INTO logs SELECT g, CASE WHEN g % 3 = 0 THEN 'login' ELSE "
	    "'other' END FROM generate_series(1, 3000) g");
	put("20240101_bf.sql", "-- migrated:batch size=100 pause=5ms\n"
	    "UPDATE logs AS l SET hits = l.hits + 1, severity = CASE WHEN "
	    "l.kind = 'login' THEN 'info' ELSE 'debug' END;\n");
	pid = child_up();
	wait_for("SELECT rows_done >= 500 FROM migrated_versions", "t");
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
	    "application_name = 'test-child'");
	wait_for("SELECT count(*) FROM pg_stat_activity WHERE "
	    "application_name = 'test-child'", "0");
	/* some batches done, not all; every done row exactly once */
	assert_string_equal(val("SELECT count(*) > 0 AND count(*) < 3000 "
	    "FROM logs WHERE hits = 1"), "t");
	assert_string_equal(val("SELECT count(*) FROM logs WHERE hits > 1"),
	    "0");
	assert_string_equal(val("SELECT rows_done = (SELECT count(*) FROM "
	    "logs WHERE hits = 1) FROM migrated_versions"), "t");
	if (up() == -1)
		fail_e("resume");
	/* no row missed, none done twice */
	assert_string_equal(val("SELECT count(*) FROM logs WHERE hits <> 1 OR "
	    "severity IS NULL"), "0");
	assert_string_equal(val("SELECT count(*) FROM logs WHERE severity = "
	    "'info'"), "1000");
	assert_string_equal(val("SELECT dirty FROM migrated_versions"), "f");
}

static int stop_after;
static volatile sig_atomic_t stop_flag;

static void
on_progress(void *arg, const struct progress *p)
{
	long long *last = arg;

	if (strcmp(p->phase, "batch") == 0) {
		assert_true(p->rows_done > *last);
		assert_int_equal(p->rows_total, 1000);
		*last = p->rows_done;
		if (p->rows_done >= stop_after)
			stop_flag = 1;
	}
}

static void
test_backfill_stop_flag_uuid_key(void **state)
{
	long long last = 0;

	(void)state;
	sql("CREATE TABLE u (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
	    "n int NOT NULL DEFAULT 0);"
	    "INSERT INTO u (n) SELECT 0 FROM generate_series(1, 1000);"
	    "ANALYZE u");
	put("20240101_bf.sql", "-- migrated:batch size=64 pause=0ms\n"
	    "UPDATE u SET n = n + 1 WHERE n = 0;\n");
	F.env.progress = on_progress;
	F.env.progress_arg = &last;
	F.env.stop = &stop_flag;
	stop_after = 300;
	stop_flag = 0;
	assert_int_equal(up(), -1);
	assert_non_null(strstr(F.e.msg, "interrupted"));
	assert_string_equal(val("SELECT count(*) FROM u WHERE n = 1"), "320");
	stop_flag = 0;
	stop_after = 1 << 30;
	if (up() == -1)
		fail_e("resume");
	assert_true(last == 1000);
	assert_string_equal(val("SELECT count(*) FROM u WHERE n <> 1"), "0");
}

/* A stop before a file's first statement leaves no dirty row behind. */
/* The folder parsed and kept in cache, without running anything. */
static void
parse_into(struct migset *cache)
{
	F.env.cache = cache;
	F.opts.dry_run = 1;
	if (up() == -1)
		fail_e("up --dry-run");
	F.opts.dry_run = 0;
}

static void
test_stop_before_first_statement(void **state)
{
	struct migset cache;
	char path[512];

	(void)state;
	memset(&cache, 0, sizeof(cache));
	sql("CREATE TABLE s (a int)");
	put("20240101_tx.sql", "BEGIN;\nALTER TABLE s ADD b int;\nCOMMIT;\n");
	F.env.stop = &stop_flag;
	stop_flag = 1;
	/* a stop during the parse: given up before anything ran */
	assert_int_equal(up(), -1);
	assert_int_equal(F.e.code, MERR_STATE);
	assert_non_null(strstr(F.e.msg, "stopped while parsing '"));
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"), "0");
	/* parsed before the stop: the runner stops before statement 1 */
	stop_flag = 0;
	parse_into(&cache);
	stop_flag = 1;
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.msg, "'20240101_tx' interrupted before "
	    "statement 1 of 3");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"), "0");
	snprintf(path, sizeof(path), "%s/20240101_tx.sql", F.dir);
	unlink(path);
	put("20240102_ix.sql", "CREATE INDEX CONCURRENTLY s_a ON s (a);\n");
	stop_flag = 0;
	parse_into(&cache);
	stop_flag = 1;
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.msg, "'20240102_ix' interrupted before "
	    "statement 1 of 1");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"), "0");
	assert_string_equal(val("SELECT count(*) FROM pg_indexes WHERE "
	    "indexname = 's_a'"), "0");
	stop_flag = 0;
	if (up() == -1)
		fail_e("up after the stop");
	assert_string_equal(val("SELECT dirty FROM migrated_versions"), "f");
	F.env.cache = NULL;
	migset_release(&cache);
}

static void
test_backfill_refused_without_key(void **state)
{
	(void)state;
	sql("CREATE TABLE nokey (a int, b int);"
	    "INSERT INTO nokey VALUES (1, 1)");
	put("20240101_bf.sql", "COMMENT ON TABLE nokey IS 'x';\n"
	    "-- migrated:batch size=10\nUPDATE nokey SET b = 2;\n");
	assert_int_equal(up(), -1);
	assert_int_equal(F.e.code, MERR_REFUSED);
	assert_string_equal(F.e.msg, "cannot batch statement 2 of "
	    "'20240101_bf': no single-column primary key on table \"nokey\"");
	assert_int_equal(F.e.line, 3);
	assert_non_null(strstr(F.e.hint, "add a primary key"));
	/* refused before anything ran */
	assert_string_equal(val("SELECT obj_description('nokey'::regclass) IS "
	    "NULL"), "t");
	assert_string_equal(val("SELECT b FROM nokey"), "1");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "0");
	assert_string_equal(val("SELECT action FROM test_events"),
	    "tier2.fail");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_one_transaction),
		FX(test_failure_leaves_no_trace),
		FX(test_dollar_quotes_and_do),
		FX(test_explicit_begin_commit),
		FX(test_session_reset_after_file),
		FX(test_deallocate_in_file),
		FX(test_concurrently_killed_and_resumed),
		FX(test_concurrently_finished_after_kill),
		FX(test_failed_notx_resumes_at_statement),
		FX(test_lock_timeout_fails_cleanly),
		FX(test_statement_timeout_header),
		FX(test_explicit_lock_timeout_then_resume),
		FX(test_backfill_killed_and_resumed),
		FX(test_backfill_stop_flag_uuid_key),
		FX(test_backfill_refused_without_key),
		FX(test_stop_before_first_statement),
	};

	pgtest_require("test_runner");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
