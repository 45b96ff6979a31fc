/*
 * test_chain.c - a file's COMMIT left in flight while the next file goes
 * out in the same message (runner.h, struct runner_chain), against the
 * real database, with faults injected at the runner's fault points
 * (work.h): a stop that arrives once the runner has decided, the
 * connection cut while a COMMIT is in flight after the server committed
 * it, a lock timeout at a COMMIT in flight (and one on the records,
 * named apart), a COMMIT read that the pipeline knows nothing of or
 * whose result it never saw; a file's session settings, which the next
 * file's rollback brings back, reset again before that file goes again;
 * and a unit the stop flag ends: its "start", then its failure.
 */
#include <sys/socket.h>

#include <signal.h>

#include "audit.h"
#include "audit_head.h"
#include "mtime.h"
#include "pgtest.h"
#include "tier2_helpers.h"

static volatile sig_atomic_t stop_flag;

/* What the fault points and hooks of a test do, and what they saw. */
static struct {
	int		 decided;	/* "decided" calls so far */
	int		 stop_at;	/* set the stop flag at this one */
	int		 cut;		/* cut the connection at "chain-held" */
	int		 cut_step;	/* ... at the nth "step-done" */
	int		 cut_ahead;	/* ... at the nth "ahead-sent" */
	const char	*ahead_wait;	/* first wait_for() this there */
	int		 silent;	/* cut: the server not told (kept) */
	int		 end_lock_step;	/* end the lock's session at the nth
					   "step-done" */
	int		 kept;		/* the real socket, kept open, or -1 */
	struct db	*app;		/* holds a row lock; COMMIT at a retry */
	struct db	 held;		/* that session (closed at teardown) */
	struct audit	 audit;		/* the real audit writer (hook_audit) */
	int		 doubt;		/* audit_doubt_row() of the failure */
	long long	 doubt_id;
	char		 doubt_hash[65];
	char		 fail_target[128];
	char		 fail_checksum[80];
	long long	 doubt_after;	/* the last audit row read then */
	int		 events;	/* hook_audit calls */
	char		 retry_app[64];	/* application_name at a lock.retry */
	char		 phases[256];	/* rec_phase(): the calls seen */
} X;

/* Wait until sql, on a connection of its own, says "t" (10 s at most). */
static void
wait_for(const char *sql)
{
	struct db obs;
	struct merr e;
	PGresult *r;
	int yes = 0;

	memset(&obs, 0, sizeof(obs));
	merr_clear(&e);
	assert_int_equal(db_connect(&obs, F.cfg.database, "observer", &e), 0);
	for (int i = 0; i < 1000 && !yes; i++) {
		assert_int_equal(db_query(&obs, sql, 0, NULL, &r, &e), 0);
		yes = PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (!yes)
			mtime_sleep_ms(10);
	}
	db_close(&obs);
	assert_true(yes);
}

/*
 * The connection lost from the client's side only: its socket replaced
 * by one whose peer is gone (reads see end of file, writes fail), so the
 * result the server sent is never read; the server, its socket closed,
 * ends the backend.  X.silent: the real socket is kept open (X.kept), as
 * a network that stops carrying packets would leave it, so the server
 * goes on sending into it without an error.
 */
static void
cut(struct db *d)
{
	int sv[2];

	if (X.silent)
		assert_true((X.kept = dup(PQsocket(d->conn))) >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_true(dup2(sv[0], PQsocket(d->conn)) >= 0);
	close(sv[0]);
	close(sv[1]);
}

/* Another session ends backend pid (as an administrator would). */
static void
end_session(int pid)
{
	struct db adm;
	struct merr e;
	char q[96];

	memset(&adm, 0, sizeof(adm));
	merr_clear(&e);
	snprintf(q, sizeof(q), "SELECT pg_terminate_backend(%d, 10000)", pid);
	assert_int_equal(db_connect(&adm, F.cfg.database, "admin", &e), 0);
	assert_int_equal(db_exec(&adm, q, &e), 0);
	db_close(&adm);
}

static void
fault(void *arg, const char *point)
{
	(void)arg;
	if (strcmp(point, "decided") == 0 && ++X.decided == X.stop_at)
		stop_flag = 1;
	if (strcmp(point, "step-done") == 0 && X.cut_step &&
	    X.cut_step-- == 1)
		cut(&F.db);
	if (strcmp(point, "step-done") == 0 && X.end_lock_step &&
	    X.end_lock_step-- == 1)
		end_session(PQbackendPID(F.lockdb.conn));
	if (strcmp(point, "ahead-sent") == 0 && X.cut_ahead &&
	    X.cut_ahead-- == 1) {
		if (X.ahead_wait)
			wait_for(X.ahead_wait);
		cut(&F.db);
	}
	if (strcmp(point, "chain-held") == 0 && X.cut && X.cut-- == 1) {
		/* the server has committed the first file; its result stays
		 * unread */
		wait_for("SELECT count(*) = 1 FROM migrated_versions");
		cut(&F.db);
	}
}

/* The daemon's way: a real audit row, and for a failure it cannot write,
 * the row that tells whether its COMMIT went through (daemon/ops.c). */
static int
hook_audit(void *arg, struct db *d, const struct actor *a,
    const struct mig_event *ev, struct merr *e)
{
	(void)arg;
	X.events++;
	if (audit_record(&X.audit, d, a, ev, e) == 0)
		return 0;
	if (!ev->ok) {
		X.doubt = audit_doubt_row(&X.audit, d, ev, &X.doubt_id,
		    X.doubt_hash);
		snprintf(X.fail_target, sizeof(X.fail_target), "%s",
		    ev->target ? ev->target : "");
		snprintf(X.fail_checksum, sizeof(X.fail_checksum), "%s",
		    ev->checksum ? ev->checksum : "");
		X.doubt_after = X.audit.last_id;
	}
	return -1;
}

/* hook_record, and at a lock retry the application's COMMIT (and the
 * session's application_name as the lock.retry row is written). */
static int
hook_release(void *arg, struct db *d, const struct actor *a,
    const struct mig_event *ev, struct merr *e)
{
	struct merr ignore;

	PGresult *r;

	merr_clear(&ignore);
	if (strcmp(ev->action, "lock.retry") == 0 && !X.retry_app[0] &&
	    db_query(d, "SELECT current_setting('application_name')", 0, NULL,
	    &r, &ignore) == 0) {
		snprintf(X.retry_app, sizeof(X.retry_app), "%s",
		    PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	if (X.app && strcmp(ev->action, "lock.retry") == 0) {
		assert_int_equal(db_exec(X.app, "COMMIT", &ignore), 0);
		db_close(X.app);
		X.app = NULL;
	}
	return hook_record(arg, d, a, ev, e);
}

static int
setup(void **state)
{
	memset(&X, 0, sizeof(X));
	X.kept = -1;
	stop_flag = 0;
	if (fx_setup(state) == -1)
		return -1;
	F.env.stop = &stop_flag;
	F.env.fault = fault;
	return 0;
}

static int
teardown(void **state)
{
	db_close(&X.held);	/* a failed test's lock goes too */
	if (X.kept >= 0)
		close(X.kept);
	return fx_teardown(state);
}

#define CX(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)

/* 20240101: a deferred foreign key that fails at COMMIT. */
static void
put_deferred_fail(void)
{
	put("20240101_a.sql", "CREATE TABLE par (id int PRIMARY KEY);\n"
	    "CREATE TABLE kid (pid int REFERENCES par DEFERRABLE INITIALLY "
	    "DEFERRED);\nINSERT INTO kid VALUES (1);\n");
}

/*
 * A stop that arrives after the runner decided to send the second file
 * with the first one's COMMIT in flight: that COMMIT is still read and
 * acted on.  It failed (a deferred foreign key): the first file is the
 * run's failure, not reported applied, and the second never ran.  (With
 * the stop flag read twice, once for the decision and once for the
 * interruption, the second file was "interrupted" and the first reported
 * applied without its COMMIT read.)
 */
static void
test_stop_after_decision_commit_fails(void **state)
{
	struct migrate_result r;
	int rc;

	(void)state;
	put_deferred_fail();
	put("20240102_b.sql", "CREATE TABLE b (id int);\n");
	X.stop_at = 2;	/* the second file's decision */
	migrate_result_init(&r);
	merr_clear(&F.e);
	rc = migrate_up(&F.env, &F.opts, &r, &F.e);
	assert_int_equal(rc, -1);
	assert_int_equal(X.decided, 2);
	assert_int_equal(r.nsteps, 0);	/* nothing reported applied */
	migrate_result_release(&r);
	assert_string_equal(F.e.sqlstate, "23503");
	assert_non_null(strstr(F.e.msg, "cannot apply '20240101_a': after "
	    "its last statement"));
	assert_non_null(strstr(F.e.file, "20240101_a.sql"));
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "0");
	assert_string_equal(val("SELECT to_regclass('par') IS NULL AND "
	    "to_regclass('b') IS NULL"), "t");
	assert_string_equal(val("SELECT string_agg(action || ' ' || target, "
	    "',' ORDER BY n) FROM test_events"), "tier2.fail 20240101_a");
}

/* The same stop, the first COMMIT good: both files done, then the stop. */
static void
test_stop_after_decision_commit_ok(void **state)
{
	struct migrate_result r;
	int rc;

	(void)state;
	put("20240101_a.sql", "CREATE TABLE a (id int);\n");
	put("20240102_b.sql", "CREATE TABLE b (id int);\n");
	put("20240103_c.sql", "CREATE TABLE c (id int);\n");
	X.stop_at = 2;
	migrate_result_init(&r);
	merr_clear(&F.e);
	rc = migrate_up(&F.env, &F.opts, &r, &F.e);
	assert_int_equal(rc, -1);
	assert_int_equal(r.nsteps, 2);
	migrate_result_release(&r);
	assert_string_equal(F.e.msg, "interrupted before '20240103_c'");
	assert_string_equal(val("SELECT string_agg(version, ',' ORDER BY "
	    "version) FROM migrated_versions WHERE NOT dirty"),
	    "20240101,20240102");
	assert_string_equal(val("SELECT to_regclass('c') IS NULL"), "t");
}

/*
 * The connection lost while the first file's COMMIT is in flight, after
 * the server committed it and before its result was read, the second
 * file's BEGIN already sent.  The second file (a goose StatementBegin
 * block, which is read at once) finds the connection gone before it
 * writes its audit row.  The failure is in doubt (08007) and names the
 * first file's transaction: the audit row that resolves it is the first
 * file's own, which the database holds once the connection is back: it
 * committed, and no failure is to be recorded.  (Resolved as "the last
 * row, if no BEGIN since", it was not in doubt: tier2.fail would have
 * been appended for a file that committed.)
 */
static void
test_connection_cut_commit_held(void **state)
{
	struct event_hook hook = { .fn = hook_audit, .actor = &F.actor };
	char hash[65];
	int found;

	(void)state;
	assert_int_equal(audit_ensure(&F.db, &F.cfg, &F.e), 0);
	assert_int_equal(audit_init(&X.audit, &F.db, &F.cfg, &F.e), 0);
	F.env.hook = &hook;
	put("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n");
	put("00002_b.sql", "-- +goose Up\n-- +goose StatementBegin\n"
	    "CREATE TABLE b (id int);\n-- +goose StatementEnd\n");
	X.cut = 1;
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.sqlstate, SQLSTATE_TX_UNKNOWN);
	assert_non_null(strstr(F.e.msg, "'00001_a'"));
	assert_string_equal(X.fail_target, "00001_a");
	/* the first file's apply and failure: the second wrote no row */
	assert_int_equal(X.events, 2);
	assert_int_equal(X.doubt, 1);
	/* back: the row is there, with its hash: it committed */
	db_close(&F.db);
	assert_int_equal(db_connect(&F.db, F.cfg.database, "test", &F.e), 0);
	assert_string_equal(val("SELECT version FROM migrated_versions"),
	    "00001");
	assert_int_equal(audit_head_lookup(&F.db, X.audit.table, X.doubt_id,
	    &found, hash, &F.e), 0);
	assert_int_equal(found, 1);
	assert_string_equal(hash, X.doubt_hash);
	assert_string_equal(val("SELECT action || ' ' || target FROM "
	    "migrated_audit ORDER BY id DESC LIMIT 1"), "tier2.apply 00001_a");
	audit_release(&X.audit);
	/* and the next run applies the second file */
	F.env.hook = &F.hook;
	if (up() == -1)
		fail_e("up after the cut");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "2");
}

/* The file 00001_a applied whole: its tables a and b, its row clean. */
static void
ab_applied(void)
{
	assert_string_equal(val("SELECT count(*) FROM pg_class WHERE relname "
	    "IN ('a', 'b')"), "2");
	assert_string_equal(val("SELECT version || ' ' || dirty FROM "
	    "migrated_versions"), "00001 false");
}

/*
 * A file run statement by statement (goose NO TRANSACTION), the
 * connection lost right after its first statement, before that
 * statement's progress is recorded (a switchover: 58_switchover's
 * trials found it).  A statement that may run in a transaction commits
 * with its progress, so the lost connection took both: the next run
 * resumes at that statement and runs it once.  (In autocommit it was
 * done and not counted, and ran again: "relation already exists".)
 */
static void
test_connection_cut_before_progress(void **state)
{
	char gone[96];

	(void)state;
	snprintf(gone, sizeof(gone), "SELECT count(*) = 0 FROM "
	    "pg_stat_activity WHERE pid = %d", PQbackendPID(F.db.conn));
	put("00001_a.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n"
	    "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n");
	X.cut_step = 1;
	assert_int_equal(up(), -1);
	db_close(&F.db);
	assert_int_equal(db_connect(&F.db, F.cfg.database, "test", &F.e), 0);
	wait_for(gone);	/* the first backend, its transaction with it */
	if (up() == -1)
		fail_e("up after the cut");
	ab_applied();
}

/*
 * ... and a statement PostgreSQL refuses in a transaction block that the
 * parser does not know as such (REINDEX SCHEMA) still runs, as written,
 * in autocommit.
 */
static void
test_unknown_notx_runs_as_written(void **state)
{
	(void)state;
	put("00001_a.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n"
	    "CREATE TABLE a (id int);\nREINDEX SCHEMA public;\n"
	    "CREATE TABLE b (id int);\n");
	if (up() == -1)
		fail_e("up");
	ab_applied();
}

/* par, row 1, locked FOR UPDATE by another session (X.held). */
static void
lock_parent_row(void)
{
	struct merr e;

	sql("CREATE TABLE par (id int PRIMARY KEY); INSERT INTO par VALUES (1)");
	merr_clear(&e);
	assert_int_equal(db_connect(&X.held, F.cfg.database, "app", &e), 0);
	assert_int_equal(db_exec(&X.held, "BEGIN; SELECT * FROM par WHERE "
	    "id = 1 FOR UPDATE", &e), 0);
}

/* 20240101's COMMIT checks a deferred key on par's row 1. */
static void
put_deferred_wait(void)
{
	put("20240101_a.sql", "-- migrated:lock_timeout=100ms\n"
	    "-- migrated:lock_retries=2\n"
	    "CREATE TABLE kid (pid int REFERENCES par DEFERRABLE INITIALLY "
	    "DEFERRED);\nINSERT INTO kid VALUES (1);\n");
	put("20240102_b.sql", "CREATE TABLE b (id int);\n");
}

/*
 * A lock timeout at a COMMIT in flight (the deferred key's check waits
 * for the row lock): the file is tried again as a whole, as a lock
 * timeout in its statements would be, and once the lock is gone it
 * commits; the second file runs after it, once.
 */
static void
test_lock_timeout_at_held_commit_retried(void **state)
{
	struct event_hook hook = { .fn = hook_release, .actor = &F.actor };

	(void)state;
	lock_parent_row();
	X.app = &X.held;	/* released at the first retry */
	put_deferred_wait();
	F.env.hook = &hook;
	if (up() == -1)
		fail_e("up with a lock timeout at a COMMIT in flight");
	assert_null(X.app);	/* released at the retry */
	assert_string_equal(val("SELECT string_agg(version, ',' ORDER BY "
	    "version) FROM migrated_versions WHERE NOT dirty"),
	    "20240101,20240102");
	assert_string_equal(val("SELECT string_agg(action || ' ' || target, "
	    "',' ORDER BY n) FROM test_events"), "lock.retry 20240101_a,"
	    "tier2.apply 20240101_a,tier2.apply 20240102_b");
	assert_string_equal(val("SELECT count(*) FROM kid"), "1");
}

/* The lock never released: given up after its tries, named; nothing of
 * the second file. */
static void
test_lock_timeout_at_held_commit_gives_up(void **state)
{
	struct merr e;

	(void)state;
	lock_parent_row();	/* not released */
	put_deferred_wait();
	assert_int_equal(up(), -1);
	assert_int_equal(F.e.code, MERR_LOCKED);
	assert_string_equal(F.e.sqlstate, "55P03");
	assert_string_equal(F.e.msg, "cannot apply '20240101_a': lock "
	    "timeout at its COMMIT after 3 tries");
	assert_non_null(strstr(F.e.file, "20240101_a.sql"));
	assert_string_equal(val("SELECT string_agg(action, ',' ORDER BY n) "
	    "FROM test_events"), "lock.retry,lock.retry,tier2.fail");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "0");
	assert_string_equal(val("SELECT to_regclass('kid') IS NULL AND "
	    "to_regclass('b') IS NULL"), "t");
	merr_clear(&e);
	assert_int_equal(db_exec(&X.held, "COMMIT", &e), 0);
	db_close(&X.held);
	if (up() == -1)
		fail_e("up after the lock is gone");
}

/*
 * 20240101 sets what stays with its session (reset after its COMMIT);
 * 20240102, after first (its first statements), keeps the settings it
 * runs under in b_saw.
 */
static void
put_set_then_saw(const char *first)
{
	char text[512];

	put("20240101_a.sql", "SET application_name = 'leaked';\n"
	    "SET search_path = public, pg_catalog;\n"
	    "CREATE TABLE a (id int);\n");
	snprintf(text, sizeof(text), "-- migrated:lock_timeout=100ms\n"
	    "-- migrated:lock_retries=2\n%sCREATE TABLE public.b_saw AS SELECT "
	    "current_setting('application_name') AS app, "
	    "current_setting('search_path') AS path;\n", first);
	put("20240102_b.sql", text);
}

/* The settings the second file committed under, and at its lock.retry,
 * are the session's own, not the first file's. */
static void
assert_saw_defaults(void)
{
	assert_string_equal(val("SELECT string_agg(version, ',' ORDER BY "
	    "version) FROM migrated_versions WHERE NOT dirty"),
	    "20240101,20240102");
	assert_string_equal(val("SELECT app || ' ' || path FROM b_saw"),
	    "test \"$user\", public");
	if (X.retry_app[0])
		assert_string_equal(X.retry_app, "test");
}

/*
 * The first file's session reset goes out after its COMMIT, with no Sync
 * before the second file's BEGIN: it runs in the transaction that BEGIN
 * takes over, and rolls back with it.  A lock timeout in the second
 * file: its lock.retry row and its retry run with the session reset
 * again (they ran as 'leaked', in the first file's search_path).
 */
static void
test_settings_reset_before_retry(void **state)
{
	struct event_hook hook = { .fn = hook_release, .actor = &F.actor };

	(void)state;
	lock_parent_row();
	X.app = &X.held;	/* released at the first retry */
	put_set_then_saw("ALTER TABLE par ADD COLUMN x int;\n");
	F.env.hook = &hook;
	if (up() == -1)
		fail_e("up with a lock timeout after a chained COMMIT");
	assert_null(X.app);
	assert_string_equal(X.retry_app, "test");
	assert_saw_defaults();
}

/* The same for the second file's run again without the prepared records
 * (its DEALLOCATE ALL rolled its first run back). */
static void
test_settings_reset_before_rerun(void **state)
{
	(void)state;
	put_set_then_saw("DEALLOCATE ALL;\n");
	if (up() == -1)
		fail_e("up with a DEALLOCATE after a chained COMMIT");
	assert_saw_defaults();
}

/*
 * The second file, the last, waits at its COMMIT in flight (a deferred
 * key): its transaction, which carried the first file's reset, rolled
 * back; its retry runs with the session reset again.
 */
static void
test_settings_reset_after_held_commit_fails(void **state)
{
	struct event_hook hook = { .fn = hook_release, .actor = &F.actor };

	(void)state;
	lock_parent_row();
	X.app = &X.held;
	put_set_then_saw("CREATE TABLE kid (pid int REFERENCES par DEFERRABLE "
	    "INITIALLY DEFERRED);\nINSERT INTO kid VALUES (1);\n");
	F.env.hook = &hook;
	if (up() == -1)
		fail_e("up with a lock timeout at the last COMMIT");
	assert_null(X.app);
	assert_string_equal(X.retry_app, "test");
	assert_saw_defaults();
	assert_string_equal(val("SELECT count(*) FROM kid"), "1");
}

/* The real audit writer; the session holding the chain's lock closed
 * before a failure is recorded (outside a transaction it would wait). */
static int
hook_audit_unlocking(void *arg, struct db *d, const struct actor *a,
    const struct mig_event *ev, struct merr *e)
{
	(void)arg;
	if (!ev->ok)
		db_close(&X.held);
	return audit_record(&X.audit, d, a, ev, e);
}

/*
 * A lock timeout on the file's records (another session holds the audit
 * chain's lock) is named as such, not as its COMMIT's (a deferred
 * constraint), which never went out.
 */
static void
test_lock_timeout_on_records_named(void **state)
{
	struct event_hook hook = { .fn = hook_audit_unlocking,
	    .actor = &F.actor };
	struct merr e;

	(void)state;
	assert_int_equal(audit_ensure(&F.db, &F.cfg, &F.e), 0);
	assert_int_equal(audit_init(&X.audit, &F.db, &F.cfg, &F.e), 0);
	merr_clear(&e);
	assert_int_equal(db_connect(&X.held, F.cfg.database, "app", &e), 0);
	assert_int_equal(db_exec(&X.held, "SELECT pg_advisory_lock("
	    AUDIT_LOCK_KEY_STR ")", &e), 0);
	F.env.hook = &hook;
	put("20240101_a.sql", "-- migrated:lock_timeout=100ms\n"
	    "-- migrated:lock_retries=0\nCREATE TABLE a (id int);\n");
	assert_int_equal(up(), -1);
	audit_release(&X.audit);
	assert_int_equal(F.e.code, MERR_LOCKED);
	assert_string_equal(F.e.msg, "cannot apply '20240101_a': lock "
	    "timeout on its records after 1 try");
	assert_non_null(strstr(F.e.detail, "the audit chain's lock"));
	assert_null(strstr(F.e.detail, "COMMIT"));
	assert_non_null(strstr(F.e.file, "20240101_a.sql"));
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "0");
}

/* Asked for the result of a COMMIT it never saw, the pipeline does not
 * say "committed". */
static void
test_settle_unknown_fails_closed(void **state)
{
	struct merr e;

	(void)state;
	merr_clear(&e);
	assert_int_equal(db_pipe_begin(&F.db, &e), 0);
	assert_int_equal(db_pipe_settle(&F.db, &e), -1);
	assert_string_equal(e.sqlstate, SQLSTATE_TX_UNKNOWN);
	merr_clear(&e);
	assert_int_equal(db_pipe_end(&F.db, &e), 0);
	merr_clear(&e);
	assert_int_equal(db_pipe_settle(&F.db, &e), -1);	/* no pipeline */
	assert_string_equal(e.sqlstate, SQLSTATE_TX_UNKNOWN);
}

/*
 * The result of a held COMMIT never read, the connection still up (its
 * results taken from under the pipeline): in doubt (08007), not a
 * failure of its own, whatever libpq says of the connection.
 */
static void
test_settle_result_lost_fails_closed(void **state)
{
	struct merr e;
	PGresult *r;
	int nulls = 0;

	(void)state;
	merr_clear(&e);
	assert_int_equal(db_pipe_begin(&F.db, &e), 0);
	assert_int_equal(db_send(&F.db, "SELECT 1", 0, NULL, DB_TAG_RECORD,
	    &e), 0);
	assert_int_equal(db_pipe_hold(&F.db, &e), 0);
	while (nulls < 2)	/* its result, then nothing queued */
		if ((r = PQgetResult(F.db.conn)) != NULL) {
			PQclear(r);
			nulls = 0;
		} else {
			nulls++;
		}
	assert_int_equal(db_pipe_settle(&F.db, &e), -1);
	assert_true(db_ok(&F.db));
	assert_string_equal(e.sqlstate, SQLSTATE_TX_UNKNOWN);
	merr_clear(&e);
	db_pipe_end(&F.db, &e);
}

static void
rec_phase(void *arg, const struct work_unit *u, size_t i, const char *phase,
    const char *note)
{
	(void)arg;
	(void)u;
	(void)i;
	(void)note;
	snprintf(X.phases + strlen(X.phases), sizeof(X.phases) -
	    strlen(X.phases), "%s%s", X.phases[0] ? "," : "", phase);
}

static void
rec_fail(void *arg, const struct work_unit *u, size_t i, struct merr *e)
{
	(void)e;
	rec_phase(arg, u, i, "fail", NULL);
}

static void
env_phase(void *arg, const struct progress *p)
{
	(void)arg;
	snprintf(X.phases + strlen(X.phases), sizeof(X.phases) -
	    strlen(X.phases), "%s%s %s", X.phases[0] ? "," : "", p->phase,
	    p->name);
}

/* hook_release, and the stop flag up as the first file's retry records
 * its success. */
static int
hook_release_stop(void *arg, struct db *d, const struct actor *a,
    const struct mig_event *ev, struct merr *e)
{
	if (X.app == NULL && ev->ok && strcmp(ev->target, "20240101_a") == 0)
		stop_flag = 1;
	return hook_release(arg, d, a, ev, e);
}

/*
 * The first file's COMMIT in flight waits for a lock; its retry commits,
 * and by then the stop flag is up: the second file, which never ran, is
 * interrupted after its "start" (it had none: its start waited for that
 * COMMIT).
 */
static void
test_stop_after_held_commit_retried(void **state)
{
	struct event_hook hook = { .fn = hook_release_stop, .actor = &F.actor };

	(void)state;
	lock_parent_row();
	X.app = &X.held;
	put_deferred_wait();
	F.env.hook = &hook;
	F.env.progress = env_phase;
	assert_int_equal(up(), -1);
	assert_int_equal(strncmp(F.e.msg, "'20240102_b' " RUNNER_INTERRUPTED,
	    strlen("'20240102_b' " RUNNER_INTERRUPTED)), 0);
	assert_string_equal(X.phases, "start a,retry a,done a,start b,fail b");
	assert_string_equal(val("SELECT string_agg(version, ',' ORDER BY "
	    "version) FROM migrated_versions WHERE NOT dirty"), "20240101");
	assert_string_equal(val("SELECT to_regclass('b') IS NULL"), "t");
}

/* A chained unit the stop flag ends before it runs: "start", then its
 * failure, as for any unit that fails (never a failure alone). */
static void
test_stopped_unit_started_then_failed(void **state)
{
	struct work_step st = { .sql = "CREATE TABLE never (id int)" };
	struct work_unit u = { .mode = WORK_TX, .steps = &st, .nsteps = 1 };
	struct runner_chain ch;
	struct work w;
	struct merr e;

	(void)state;
	memset(&ch, 0, sizeof(ch));
	memset(&w, 0, sizeof(w));
	w.units = &u;
	w.nunits = 1;
	w.pipeline = 1;
	w.chain = &ch;
	w.target.progress = rec_phase;
	w.target.fail = rec_fail;
	stop_flag = 1;
	merr_clear(&e);
	assert_int_equal(runner_exec(&F.db, &stop_flag, &w, &e), -1);
	assert_int_equal(strncmp(e.msg, RUNNER_INTERRUPTED,
	    strlen(RUNNER_INTERRUPTED)), 0);
	assert_string_equal(X.phases, "start,fail");
	assert_null(ch.held);
	assert_string_equal(val("SELECT to_regclass('never') IS NULL"), "t");
}

/* X.held: a session of the test's own, holding advisory lock key. */
static void
block_take(const char *key)
{
	char q[64];

	snprintf(q, sizeof(q), "SELECT pg_advisory_lock(%s)", key);
	assert_int_equal(db_connect(&X.held, F.cfg.database, "blocker",
	    &F.e), 0);
	assert_int_equal(db_exec(&X.held, q, &F.e), 0);
}

/* The connection of a test whose F.db was cut, its backend gone. */
static void
reconnect_when_gone(int pid)
{
	char gone[96];

	snprintf(gone, sizeof(gone), "SELECT count(*) = 0 FROM "
	    "pg_stat_activity WHERE pid = %d", pid);
	if (X.kept >= 0)	/* the server sees the end of it now */
		close(X.kept);
	X.kept = -1;
	db_close(&F.db);
	assert_int_equal(db_connect(&F.db, F.cfg.database, "test", &F.e), 0);
	wait_for(gone);
}

/*
 * Commit ahead (runner.c): the connection lost once a file's statements
 * and COMMIT went out, the file still waiting for a lock the test holds,
 * and the server not told (a network that stops carrying packets: a
 * closed socket would end the backend at the Sync before the COMMIT,
 * when it sends the results).  The run fails in doubt and lets go of
 * the migration lock and its guard key; the backend left behind then
 * runs the file to its end, and its guard finds the key gone: it rolls
 * back, and the next run applies the file once.  (Without the guard it
 * committed after its run had failed, and a run started meanwhile would
 * have run it a second time.)
 */
static void
test_orphan_after_unlock_rolls_back(void **state)
{
	int pid = PQbackendPID(F.db.conn);
	char q[128];

	(void)state;
	F.cfg.lock_timeout_ms = 60000;	/* the file waits for the test */
	F.env.hook = NULL;	/* hook_record reads: nothing would be ahead */
	block_take("4242");
	put("20240101_a.sql", "SELECT pg_advisory_xact_lock(4242);\n"
	    "CREATE TABLE a (id int);\n");
	X.cut_ahead = 1;
	X.silent = 1;
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.sqlstate, SQLSTATE_TX_UNKNOWN);
	assert_int_equal(F.lockdb.guard, 0);	/* let go with the lock */
	assert_int_equal(db_exec(&X.held, "SELECT pg_advisory_unlock(4242)",
	    &F.e), 0);
	/* through the file, waiting for the next message */
	snprintf(q, sizeof(q), "SELECT wait_event = 'ClientRead' FROM "
	    "pg_stat_activity WHERE pid = %d", pid);
	wait_for(q);
	reconnect_when_gone(pid);
	assert_string_equal(val("SELECT to_regclass('a') IS NULL"), "t");
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "0");
	F.cfg.lock_timeout_ms = 1000;
	if (up() == -1)
		fail_e("up after the cut");
	assert_string_equal(val("SELECT version || ' ' || dirty FROM "
	    "migrated_versions"), "20240101 false");
	assert_string_equal(val("SELECT to_regclass('a') IS NOT NULL"), "t");
}

/*
 * ... and one cut past its guard, its COMMIT waiting (a deferred trigger
 * waits for a lock the test holds): the next run takes the migration
 * lock and stops at the fence, which that transaction holds until it
 * ends (here the stop flag ends the wait).  Once it committed, the next
 * run finds the file applied and runs nothing.  (Without the fence it
 * read the tracking table before that COMMIT and ran the file again: a
 * second row in log.)
 */
static void
test_orphan_committing_fences_next_holder(void **state)
{
	struct migrate_result r;
	int pid = PQbackendPID(F.db.conn);

	(void)state;
	F.cfg.lock_timeout_ms = 60000;
	F.env.hook = NULL;
	sql("CREATE TABLE log (n int); CREATE FUNCTION wait_4243() RETURNS "
	    "trigger LANGUAGE plpgsql AS $$BEGIN PERFORM "
	    "pg_advisory_xact_lock(4243); RETURN NULL; END$$; CREATE "
	    "CONSTRAINT TRIGGER log_wait AFTER INSERT ON log DEFERRABLE "
	    "INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wait_4243()");
	block_take("4243");
	put("20240101_a.sql", "INSERT INTO log VALUES (1);\n");
	X.cut_ahead = 1;	/* once it waits at its COMMIT */
	X.ahead_wait = "SELECT count(*) = 1 FROM pg_locks WHERE locktype = "
	    "'advisory' AND NOT granted AND objid = 4243";
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.sqlstate, SQLSTATE_TX_UNKNOWN);
	reconnect_when_gone(-1);
	stop_flag = 1;
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.msg, "interrupted while waiting for a "
	    "transaction of a lost migrated session to end");
	assert_string_equal(val("SELECT count(*) FROM log"), "0");
	stop_flag = 0;
	assert_int_equal(db_exec(&X.held, "SELECT pg_advisory_unlock(4243)",
	    &F.e), 0);
	reconnect_when_gone(pid);
	migrate_result_init(&r);
	if (migrate_up(&F.env, &F.opts, &r, &F.e) == -1)
		fail_e("up after the orphan committed");
	assert_int_equal(r.nsteps, 0);
	migrate_result_release(&r);
	assert_string_equal(val("SELECT count(*) FROM log"), "1");
	assert_string_equal(val("SELECT version || ' ' || dirty FROM "
	    "migrated_versions"), "20240101 false");
}

/*
 * Commit ahead, nothing read inside a file's transaction (no hook: the
 * daemon's audit rows are sent, not read): the first file's COMMIT fails
 * (a deferred foreign key) while the second file's statements, guard and
 * COMMIT are already out behind it.  That failure is the run's, named;
 * the second file never ran, and the results in flight on both sides of
 * its Sync are read in order (read as one batch, the Sync's result was
 * taken for the COMMIT's, and the COMMIT's dropped), and the connection
 * serves the next run.
 */
static void
test_held_commit_fails_ahead(void **state)
{
	(void)state;
	F.env.hook = NULL;
	put_deferred_fail();
	put("20240102_b.sql", "CREATE TABLE b (id int);\n");
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.sqlstate, "23503");
	assert_non_null(strstr(F.e.msg, "cannot apply '20240101_a'"));
	assert_string_equal(val("SELECT count(*) FROM migrated_versions"),
	    "0");
	assert_string_equal(val("SELECT to_regclass('b') IS NULL"), "t");
	/* the connection is usable, in step, the next run too */
	put("20240101_a.sql", "CREATE TABLE a (id int);\n");
	if (up() == -1)
		fail_e("up after the failed COMMIT");
	assert_string_equal(val("SELECT string_agg(version, ',' ORDER BY "
	    "version) FROM migrated_versions WHERE NOT dirty"),
	    "20240101,20240102");
}

/*
 * The lock's session ends during a run (an idle-session timeout, a
 * proxy's, pg_terminate_backend) while the work connection lives: the
 * file then running fails at its guard, rolls back, and is named with
 * the lost lock; the file before it stays applied.  (Without the guard
 * it committed with no lock held: another run could be applying too.)
 */
static void
test_lock_session_ended_guard_fails(void **state)
{
	(void)state;
	F.env.hook = NULL;
	X.end_lock_step = 2;	/* during the second file */
	put("20240101_a.sql", "CREATE TABLE a (id int);\n");
	put("20240102_b.sql", "CREATE TABLE b (id int);\n");
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.msg, "cannot apply '20240102_b': after its "
	    "last statement: lost the migration lock: the connection that "
	    "held it ended");
	assert_non_null(strstr(F.e.detail, "rolled back at its guard"));
	assert_null(F.lockdb.conn);	/* closed: nothing left held */
	assert_string_equal(val("SELECT string_agg(version, ',') FROM "
	    "migrated_versions"), "20240101");
	assert_string_equal(val("SELECT to_regclass('b') IS NULL"), "t");
}

/*
 * Commit ahead, the connection cut silently once the file went out and
 * its backend committed it: the run fails in doubt, and no row of that
 * transaction was read (audit_doubt_row() knows none), so the daemon
 * looks for its success row by content (audit_doubt_find(), for
 * daemon/pending.c): there, it committed; and not for another daemon,
 * another file, or a row before the last one read.  (Without it the
 * daemon recorded tier2.fail for a file that committed.)
 */
static void
test_doubt_found_by_content(void **state)
{
	struct event_hook hook = { .fn = hook_audit, .actor = &F.actor };
	struct audit_doubt by;
	int found, pid = PQbackendPID(F.db.conn);

	(void)state;
	assert_int_equal(audit_ensure(&F.db, &F.cfg, &F.e), 0);
	assert_int_equal(audit_init(&X.audit, &F.db, &F.cfg, &F.e), 0);
	F.env.hook = &hook;
	put("20240101_a.sql", "CREATE TABLE a (id int);\n");
	X.cut_ahead = 1;
	X.silent = 1;
	X.ahead_wait = "SELECT count(*) = 1 FROM migrated_versions";
	assert_int_equal(up(), -1);
	assert_string_equal(F.e.sqlstate, SQLSTATE_TX_UNKNOWN);
	assert_string_equal(X.fail_target, "20240101_a");
	assert_int_equal(X.doubt, 0);	/* no row of it read */
	reconnect_when_gone(pid);
	by = (struct audit_doubt){ X.doubt_after, "20240101_a",
	    X.fail_checksum, (long long)X.audit.pid, X.audit.host };
	assert_int_equal(audit_doubt_find(&F.db, X.audit.table, &by, &found,
	    &F.e), 0);
	assert_int_equal(found, 1);
	by.daemon_pid++;		/* another daemon's */
	assert_int_equal(audit_doubt_find(&F.db, X.audit.table, &by, &found,
	    &F.e), 0);
	assert_int_equal(found, 0);
	by.daemon_pid--;
	by.target = "20240102_b";	/* another file */
	assert_int_equal(audit_doubt_find(&F.db, X.audit.table, &by, &found,
	    &F.e), 0);
	assert_int_equal(found, 0);
	by.target = "20240101_a";	/* only rows after the last one read */
	by.after = atoll(val("SELECT max(id) FROM migrated_audit"));
	assert_int_equal(audit_doubt_find(&F.db, X.audit.table, &by, &found,
	    &F.e), 0);
	assert_int_equal(found, 0);
	audit_release(&X.audit);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		CX(test_stop_after_decision_commit_fails),
		CX(test_stop_after_decision_commit_ok),
		CX(test_connection_cut_commit_held),
		CX(test_connection_cut_before_progress),
		CX(test_unknown_notx_runs_as_written),
		CX(test_lock_timeout_at_held_commit_retried),
		CX(test_lock_timeout_at_held_commit_gives_up),
		CX(test_settings_reset_before_retry),
		CX(test_settings_reset_before_rerun),
		CX(test_settings_reset_after_held_commit_fails),
		CX(test_lock_timeout_on_records_named),
		CX(test_settle_unknown_fails_closed),
		CX(test_settle_result_lost_fails_closed),
		CX(test_stopped_unit_started_then_failed),
		CX(test_stop_after_held_commit_retried),
		CX(test_orphan_after_unlock_rolls_back),
		CX(test_orphan_committing_fences_next_holder),
		CX(test_held_commit_fails_ahead),
		CX(test_lock_session_ended_guard_fails),
		CX(test_doubt_found_by_content),
	};

	pgtest_require("test_chain");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
