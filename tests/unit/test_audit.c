/*
 * test_audit.c - the audit table against the real PostgreSQL of the
 * harness (TESTDB): creation, rows in the caller's transaction, failures
 * after rollback, the append-only trigger, tampering found by the chain,
 * concurrent writers and filters (the renderers: test_audit_render.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit.h"
#include "audit_head.h"
#include "pgtest.h"
#include "runner.h"
#include "version.h"

/* A config naming schema.table; released by cfg_free(). */
static struct config *
cfg_new(const char *schema, const char *table)
{
	struct config *c = malloc(sizeof(*c));

	assert_non_null(c);
	config_init(c);
	c->schema = strdup(schema);
	c->audit_table = strdup(table);
	return c;
}

static void
cfg_free(struct config *c)
{
	config_release(c);
	free(c);
}

static void
conn(struct db *db)
{
	struct merr e;

	merr_clear(&e);
	if (db_connect(db, NULL, "test_audit", &e) == -1)
		fail_msg("connect: %s", e.msg);
}

static void
exec_ok(struct db *db, const char *sql)
{
	struct merr e;

	merr_clear(&e);
	if (db_exec(db, sql, &e) == -1)
		fail_msg("%s: %s", sql, e.msg);
}

/* The first column of the first row of sql, as a malloc'd string. */
static char *
scalar(struct db *db, const char *sql)
{
	struct merr e;
	PGresult *r;
	char *s;

	merr_clear(&e);
	if (db_query(db, sql, 0, NULL, &r, &e) == -1)
		fail_msg("%s: %s", sql, e.msg);
	s = strdup(PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

static long
count(struct db *db, const char *sql)
{
	char *s = scalar(db, sql);
	long n = atol(s);

	free(s);
	return n;
}

/* A ready table and writer in schema.table. */
struct fx {
	struct db	 db;
	struct config	*cfg;
	struct audit	 a;
};

static void
fx_open(struct fx *x, const char *schema, const char *table)
{
	struct merr e;

	conn(&x->db);
	x->cfg = cfg_new(schema, table);
	merr_clear(&e);
	if (audit_open(&x->a, &x->db, x->cfg, &e) == -1)
		fail_msg("open: %s", e.msg);
}

static void
fx_close(struct fx *x)
{
	audit_release(&x->a);
	cfg_free(x->cfg);
	db_close(&x->db);
}

static void
emit(struct fx *x, const struct actor *who, const char *action,
    const char *target, int ok)
{
	struct mig_event ev = { .action = action, .target = target,
	    .detail = "CREATE TABLE t (id int)", .checksum = NULL,
	    .duration_ms = 12, .statements = 1, .ok = ok,
	    .sqlstate = ok ? NULL : "42P07",
	    .error = ok ? NULL : "relation \"t\" already exists" };
	struct event_hook h = { .fn = audit_hook, .arg = &x->a, .actor = who };
	struct merr e;

	merr_clear(&e);
	if (event_emit(&h, &x->db, &ev, &e) == -1)
		fail_msg("emit %s: %s", action, e.msg);
}

static void
test_ensure(void **state)
{
	struct db db;
	struct config *c = cfg_new("ops", "trail");
	struct merr e;
	char *s;

	(void)state;
	conn(&db);
	merr_clear(&e);
	assert_int_equal(audit_ensure(&db, c, &e), 0);
	assert_int_equal(audit_ensure(&db, c, &e), 0);	/* idempotent */
	s = scalar(&db, "SELECT obj_description('ops.trail'::regclass)");
	assert_non_null(strstr(s, "migrated audit trail, version 1"));
	free(s);
	assert_int_equal(count(&db, "SELECT count(*) FROM pg_trigger WHERE "
	    "tgrelid = 'ops.trail'::regclass AND NOT tgisinternal"), 1);

	/* a table of that name that is not ours is refused */
	exec_ok(&db, "CREATE TABLE ops.not_audit (x int)");
	free(c->audit_table);
	c->audit_table = strdup("not_audit");
	assert_int_equal(audit_ensure(&db, c, &e), -1);
	assert_int_equal(e.code, MERR_STATE);
	assert_non_null(strstr(e.msg, "\"not_audit\" exists but is not a "
	    "migrated audit table"));
	assert_int_equal(PQtransactionStatus(db.conn), PQTRANS_IDLE);

	/* a newer table version is refused */
	exec_ok(&db, "COMMENT ON TABLE ops.trail IS "
	    "'migrated audit trail, version 99: from the future'");
	free(c->audit_table);
	c->audit_table = strdup("trail");
	merr_clear(&e);
	assert_int_equal(audit_ensure(&db, c, &e), -1);
	assert_non_null(strstr(e.msg, "has version 99"));
	cfg_free(c);
	db_close(&db);
}

/* Eight processes create the same table at once: all succeed. */
static void
test_ensure_concurrent(void **state)
{
	pid_t kids[8];
	struct db db;
	int i, st;

	(void)state;
	for (i = 0; i < 8; i++) {
		if ((kids[i] = fork()) == 0) {
			struct config *c = cfg_new("race", "trail");
			struct merr e;
			struct db d;
			int rc;

			merr_clear(&e);
			if (db_connect(&d, NULL, "race", &e) == -1)
				_exit(2);
			rc = audit_ensure(&d, c, &e);
			if (rc == -1)
				fprintf(stderr, "child: %s\n", e.msg);
			db_close(&d);
			config_release(c);
			free(c);
			_exit(rc == 0 ? 0 : 1);
		}
		assert_true(kids[i] > 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	conn(&db);
	assert_int_equal(count(&db, "SELECT count(*) FROM pg_trigger WHERE "
	    "tgrelid = 'race.trail'::regclass AND NOT tgisinternal"), 1);
	db_close(&db);
}

static void
test_hook_in_transaction(void **state)
{
	struct actor peer = { 0, 1234, 4321, "alice" };
	struct fx x;
	char *s, host[256];

	(void)state;
	fx_open(&x, "public", "a_tx");
	/* rolled back with the change: no row */
	exec_ok(&x.db, "BEGIN");
	exec_ok(&x.db, "CREATE TABLE t_rb (id int)");
	emit(&x, &peer, "tier2.apply", "20240101_rb", 1);
	exec_ok(&x.db, "ROLLBACK");
	assert_int_equal(count(&x.db, "SELECT count(*) FROM a_tx"), 0);

	/* committed with the change: its row */
	exec_ok(&x.db, "BEGIN");
	exec_ok(&x.db, "CREATE TABLE t_ok (id int)");
	emit(&x, &peer, "tier2.apply", "20240101_ok", 1);
	exec_ok(&x.db, "COMMIT");
	assert_int_equal(count(&x.db, "SELECT count(*) FROM a_tx"), 1);
	s = scalar(&x.db, "SELECT concat_ws('|', action, target, ok, actor,"
	    " uid, username, pid, duration_ms, statements, daemon_version,"
	    " format, prev_hash) FROM a_tx");
	assert_string_equal(s, "tier2.apply|20240101_ok|t|peer|1234|alice|"
	    "4321|12|1|" MIGRATED_VERSION "|1|" AUDIT_GENESIS);
	free(s);
	gethostname(host, sizeof(host));
	s = scalar(&x.db, "SELECT host FROM a_tx");
	assert_string_equal(s, host);
	free(s);
	s = scalar(&x.db, "SELECT daemon_pid FROM a_tx");
	assert_int_equal(atol(s), (long)getpid());
	free(s);

	/* the daemon itself, outside a transaction: autocommitted */
	emit(&x, NULL, "daemon.start", NULL, 1);
	assert_int_equal(PQtransactionStatus(x.db.conn), PQTRANS_IDLE);
	s = scalar(&x.db, "SELECT actor || ' ' || pid FROM a_tx WHERE "
	    "action = 'daemon.start'");
	assert_int_equal(strncmp(s, "daemon ", 7), 0);
	assert_int_equal(atol(s + 7), (long)getpid());
	free(s);
	fx_close(&x);
}

struct failing {
	const char *sql;
};

static int
run_failing(struct db *db, void *arg, struct merr *e)
{
	struct failing *f = arg;

	if (db_exec(db, "CREATE TABLE t_half (id int)", e) == -1)
		return -1;
	return db_exec(db, f->sql, e);
}

/* A failed change: rolled back by runner_tx, then recorded on its own. */
static void
test_failure_after_rollback(void **state)
{
	struct work w = { .lim = { 2000, 0, 0, 10 } };
	struct runner ex;
	struct failing f = { "SELECT 1 / 0" };
	struct actor peer = { 0, 1000, 77, "bob" };
	struct mig_event ev = { "tier2.fail", "20240102_div", NULL, "ab12",
	    3, 2, 0, NULL, NULL, 0, 0 };
	struct fx x;
	struct merr e, e2;
	char *s;

	(void)state;
	fx_open(&x, "public", "a_fail");
	merr_clear(&e);
	runner_init(&ex, &x.db, NULL, &w);
	assert_int_equal(runner_tx(&ex, run_failing, &f, &e), -1);
	assert_string_equal(e.sqlstate, "22012");
	ev.sqlstate = e.sqlstate;
	ev.error = e.msg;
	ev.detail = f.sql;
	merr_clear(&e2);
	assert_int_equal(audit_record(&x.a, &x.db, &peer, &ev, &e2), 0);
	assert_int_equal(count(&x.db, "SELECT count(*) FROM pg_class WHERE "
	    "relname = 't_half'"), 0);
	s = scalar(&x.db, "SELECT concat_ws('|', action, ok, sqlstate, error,"
	    " username) FROM a_fail");
	assert_string_equal(s, "tier2.fail|f|22012|division by zero|bob");
	free(s);

	/* in an aborted transaction the hook refuses, clearly */
	exec_ok(&x.db, "BEGIN");
	assert_int_equal(db_exec(&x.db, "SELECT 1 / 0", &e), -1);
	merr_clear(&e2);
	assert_int_equal(audit_record(&x.a, &x.db, &peer, &ev, &e2), -1);
	assert_int_equal(e2.code, MERR_STATE);
	assert_non_null(strstr(e2.msg, "cannot record 'tier2.fail'"));
	exec_ok(&x.db, "ROLLBACK");

	/* REPEATABLE READ could fork the chain: refused */
	exec_ok(&x.db, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	merr_clear(&e2);
	assert_int_equal(audit_record(&x.a, &x.db, &peer, &ev, &e2), -1);
	assert_non_null(strstr(e2.msg, "transaction isolation is repeatable"
	    " read"));
	exec_ok(&x.db, "ROLLBACK");
	assert_int_equal(count(&x.db, "SELECT count(*) FROM a_fail"), 1);
	fx_close(&x);
}

struct change {
	struct audit	*a;
};

static int
run_audited(struct db *db, void *arg, struct merr *e)
{
	struct change *c = arg;
	struct mig_event ev = { "tier1.apply", "public.t_orphan", NULL, NULL,
	    1, 1, 1, NULL, NULL, 0, 0 };

	if (db_exec(db, "CREATE TABLE t_orphan (id int)", e) == -1)
		return -1;
	return audit_record(c->a, db, NULL, &ev, e);
}

/* When the row cannot be written, the change does not commit either. */
static void
test_no_row_no_change(void **state)
{
	struct work w = { .lim = { 2000, 0, 0, 10 } };
	struct runner ex;
	struct config *cfg = cfg_new("public", "a_missing");
	struct change c;
	struct audit a;
	struct merr e;
	struct db db;

	(void)state;
	conn(&db);
	merr_clear(&e);
	assert_int_equal(audit_init(&a, &db, cfg, &e), 0);
	c.a = &a;
	runner_init(&ex, &db, NULL, &w);
	assert_int_equal(runner_tx(&ex, run_audited, &c, &e), -1);
	assert_non_null(strstr(e.msg, "cannot record 'tier1.apply' in audit "
	    "table \"public\".\"a_missing\""));
	assert_int_equal(count(&db, "SELECT count(*) FROM pg_class WHERE "
	    "relname = 't_orphan'"), 0);
	audit_release(&a);
	cfg_free(cfg);
	db_close(&db);
}

static void
expect_refused(struct db *db, const char *sql, const char *op)
{
	struct merr e;

	merr_clear(&e);
	assert_int_equal(db_exec(db, sql, &e), -1);
	assert_string_equal(e.sqlstate, "42501");
	assert_non_null(strstr(e.msg, "audit table \"public.a_ro\" is "
	    "append-only"));
	assert_non_null(strstr(e.detail, op));
}

static void
test_append_only(void **state)
{
	struct merr e;
	struct fx x;

	(void)state;
	fx_open(&x, "public", "a_ro");
	emit(&x, NULL, "daemon.start", NULL, 1);
	emit(&x, NULL, "tier1.apply", "public.users", 1);
	expect_refused(&x.db, "UPDATE a_ro SET ok = false", "UPDATE");
	expect_refused(&x.db, "UPDATE a_ro SET detail = 'x' WHERE false",
	    "UPDATE");
	expect_refused(&x.db, "DELETE FROM a_ro WHERE id = 1", "DELETE");
	expect_refused(&x.db, "TRUNCATE a_ro", "TRUNCATE");
	assert_int_equal(count(&x.db, "SELECT count(*) FROM a_ro"), 2);

	/* docs/audit.md: a writer role with INSERT and SELECT only */
	exec_ok(&x.db, "CREATE ROLE audit_test_writer; "
	    "GRANT INSERT, SELECT ON a_ro TO audit_test_writer; "
	    "GRANT USAGE ON SEQUENCE a_ro_id_seq TO audit_test_writer; "
	    "SET ROLE audit_test_writer");
	emit(&x, NULL, "daemon.stop", NULL, 1);
	merr_clear(&e);
	assert_int_equal(db_exec(&x.db, "ALTER TABLE a_ro DISABLE TRIGGER "
	    "migrated_append_only", &e), -1);
	assert_string_equal(e.sqlstate, "42501");
	exec_ok(&x.db, "RESET ROLE");
	assert_int_equal(count(&x.db, "SELECT count(*) FROM a_ro"), 3);
	fx_close(&x);
}

static void
verify(struct fx *x, struct audit_verify_result *r)
{
	struct merr e;

	merr_clear(&e);
	if (audit_verify(&x->db, x->cfg, r, &e) == -1)
		fail_msg("verify: %s", e.msg);
}

static void
write_rows(struct fx *x, int n)
{
	struct actor peer = { 0, 1000, 99, "carol" };
	char t[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), "2024010%d_v", i % 10);
		emit(x, i % 2 ? &peer : NULL, i % 3 ? "tier2.apply" :
		    "tier1.apply", t, i % 4 != 3);
	}
}

static void
test_verify_tamper(void **state)
{
	struct audit_verify_result r;
	struct fx x;
	char *s;

	(void)state;
	fx_open(&x, "public", "a_chain");
	verify(&x, &r);
	assert_int_equal(r.rows, 0);
	assert_int_equal(r.broken_id, 0);
	write_rows(&x, 6);
	verify(&x, &r);
	assert_int_equal(r.rows, 6);
	assert_int_equal(r.broken_id, 0);
	assert_int_equal(r.guarded, 1);
	s = scalar(&x.db, "SELECT hash FROM a_chain ORDER BY id DESC LIMIT 1");
	assert_string_equal(r.head, s);
	free(s);

	/* a superuser edits row 3 with the trigger disabled */
	exec_ok(&x.db, "ALTER TABLE a_chain DISABLE TRIGGER "
	    "migrated_append_only");
	verify(&x, &r);
	assert_int_equal(r.guarded, 0);
	exec_ok(&x.db, "UPDATE a_chain SET ok = NOT ok WHERE id = 3");
	exec_ok(&x.db, "ALTER TABLE a_chain ENABLE TRIGGER "
	    "migrated_append_only");
	verify(&x, &r);
	assert_int_equal(r.guarded, 1);
	assert_int_equal(r.broken_id, 3);
	assert_int_equal(r.rows, 2);
	assert_string_equal(r.reason, "row 3 does not match its hash: its "
	    "content was changed");
	fx_close(&x);

	/* deleting a row breaks the link of the next one */
	fx_open(&x, "public", "a_gap");
	write_rows(&x, 5);
	exec_ok(&x.db, "ALTER TABLE a_gap DISABLE TRIGGER USER; "
	    "DELETE FROM a_gap WHERE id = 2; "
	    "ALTER TABLE a_gap ENABLE TRIGGER USER");
	verify(&x, &r);
	assert_int_equal(r.broken_id, 3);
	assert_non_null(strstr(r.reason, "row 3 does not follow row 1"));

	/* rewriting a row's hash too moves the break to the next row */
	exec_ok(&x.db, "ALTER TABLE a_gap DISABLE TRIGGER USER; "
	    "DELETE FROM a_gap WHERE id = 1; "
	    "ALTER TABLE a_gap ENABLE TRIGGER USER");
	verify(&x, &r);
	assert_int_equal(r.broken_id, 3);
	assert_non_null(strstr(r.reason, "row 3 does not start the chain"));
	fx_close(&x);
}

/*
 * Item 12: the head recorded outside the database.  Written atomically
 * and read back; a deleted tail leaves the chain intact, and only the
 * recorded head shows it, naming the missing rows; a rewritten row with
 * the recorded id shows too; a head of another table says nothing.
 */
static void
test_head_outside(void **state)
{
	struct audit_verify_result r;
	struct audit_head h, back;
	char dir[] = "/tmp/test_audit_head.XXXXXX", path[128];
	struct merr e;
	struct fx x;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	merr_clear(&e);
	assert_int_equal(audit_head_read(dir, &back, &e), 0);	/* none yet */
	assert_int_equal(back.id, 0);
	fx_open(&x, "public", "a_head");
	write_rows(&x, 5);
	memset(&h, 0, sizeof(h));
	h.id = x.a.last_id;
	memcpy(h.hash, x.a.last_hash, sizeof(h.hash));
	snprintf(h.table, sizeof(h.table), "%s", x.a.table);
	snprintf(h.database, sizeof(h.database), "%s", PQdb(x.db.conn));
	assert_int_equal(h.id, 5);
	assert_int_equal(audit_head_write(dir, &h, &e), 0);
	assert_int_equal(audit_head_read(dir, &back, &e), 0);
	assert_int_equal(back.id, 5);
	assert_string_equal(back.hash, h.hash);
	assert_string_equal(back.table, "\"public\".\"a_head\"");
	verify(&x, &r);
	assert_int_equal(audit_head_check(&x.db, x.a.table, &back, &r, &e), 0);

	/* the newest two rows deleted: an intact chain, a missing tail */
	exec_ok(&x.db, "ALTER TABLE a_head DISABLE TRIGGER USER; "
	    "DELETE FROM a_head WHERE id > 3; "
	    "ALTER TABLE a_head ENABLE TRIGGER USER");
	verify(&x, &r);
	assert_int_equal(r.broken_id, 0);
	assert_int_equal(audit_head_check(&x.db, x.a.table, &back, &r, &e), 1);
	assert_int_equal(r.missing_from, 4);
	assert_int_equal(r.missing_to, 5);
	assert_string_equal(r.reason, "the newest rows were deleted: rows 4 "
	    "to 5 are missing (the table ends at row 3; row 5 was written "
	    "and recorded)");

	/* a head of another table or database is not this table's */
	snprintf(back.table, sizeof(back.table), "\"public\".\"other\"");
	verify(&x, &r);
	assert_int_equal(audit_head_check(&x.db, x.a.table, &back, &r, &e), 0);

	/* the recorded row rewritten: its hash differs */
	back.id = 2;
	snprintf(back.table, sizeof(back.table), "%s", x.a.table);
	verify(&x, &r);
	assert_int_equal(audit_head_check(&x.db, x.a.table, &back, &r, &e), 1);
	assert_string_equal(r.reason, "row 2 does not have its recorded hash: "
	    "the chain was rewritten from it or before it");
	fx_close(&x);

	/* a file that is not a head is an error naming it */
	snprintf(path, sizeof(path), "%s/" AUDIT_HEAD_FILE, dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("id 12\n", f);
	fclose(f);
	assert_int_equal(audit_head_read(dir, &back, &e), -1);
	assert_int_equal(e.code, MERR_STATE);
	assert_string_equal(e.file, path);
	unlink(path);
	rmdir(dir);
}

/* A whole migration as detail is cut at a character boundary. */
static void
test_long_detail(void **state)
{
	struct mig_event ev = { "tier2.apply", "20240106_big", NULL, NULL,
	    1, 1, 1, NULL, NULL, 0, 0 };
	struct audit_verify_result r;
	struct merr e;
	struct fx x;
	char *big, *s;
	size_t i;

	(void)state;
	fx_open(&x, "public", "a_big");
	big = malloc(40001);
	assert_non_null(big);
	for (i = 0; i < 40000; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);	/* U+00E9, two bytes */
	big[40000] = '\0';
	ev.detail = big;
	merr_clear(&e);
	assert_int_equal(audit_record(&x.a, &x.db, NULL, &ev, &e), 0);
	s = scalar(&x.db, "SELECT octet_length(detail) || ' ' ||"
	    " (detail LIKE '%... (23616 more bytes)') FROM a_big");
	assert_string_equal(s, "16407 true");
	free(s);
	verify(&x, &r);
	assert_int_equal(r.rows, 1);
	assert_int_equal(r.broken_id, 0);
	free(big);
	fx_close(&x);
}

/*
 * A row appended in a pipelined transaction (a tier-2 file's): the
 * server reads the head and hashes it, and the sink hands back its id
 * and hash with the COMMIT's results.
 */
static int
piped_record(struct audit *a, struct db *d, const struct actor *who,
    const struct mig_event *ev, struct merr *e)
{
	struct merr ignore;
	int rc;

	if (db_pipe_begin(d, e) == -1)
		return -1;
	rc = db_begin(d, 30000, 0, e);
	if (rc == 0)
		rc = audit_record(a, d, who, ev, e);
	if (rc == 0)
		rc = db_send_rec(d, "COMMIT", 0, NULL, NULL, NULL, e);
	if (rc == 0)
		rc = db_pipe_sync(d, e);
	merr_clear(&ignore);
	if (db_pipe_end(d, rc == 0 ? e : &ignore) == -1)
		rc = -1;
	if (rc == -1 && db_ok(d) &&
	    PQtransactionStatus(d->conn) != PQTRANS_IDLE)
		db_exec(d, "ROLLBACK", &ignore);
	return rc;
}

/* Multibyte text and NULL columns hash alike in C and in the server. */
static void
test_folded(void **state)
{
	struct actor peer = { 0, 1000, 4242, "zo\xc3\xab" };
	struct mig_event ev = { "tier2.apply", "20240107_caf\xc3\xa9",
	    "CREATE TABLE \"\xe6\x97\xa5\" (id int)", NULL, -1, 2, 1, NULL,
	    NULL, 0, 0 };
	struct audit_verify_result r;
	struct merr e;
	struct fx x;
	char *s, want[128];

	(void)state;
	fx_open(&x, "public", "a_fold");
	emit(&x, NULL, "daemon.start", "0.1.0", 1);	/* hashed in C */
	merr_clear(&e);
	if (piped_record(&x.a, &x.db, &peer, &ev, &e) == -1)
		fail_msg("piped: %s", e.msg);
	if (piped_record(&x.a, &x.db, NULL, &ev, &e) == -1)
		fail_msg("piped again (prepared): %s", e.msg);
	/* the sink: the folded row's id and hash, NULLs stored as NULL */
	s = scalar(&x.db, "SELECT id || ' ' || hash FROM a_fold WHERE id = 3"
	    " AND duration_ms IS NULL AND checksum IS NULL");
	snprintf(want, sizeof(want), "%lld %s", x.a.last_id, x.a.last_hash);
	assert_string_equal(s, want);
	free(s);
	emit(&x, &peer, "tier2.fail", "20240107_x", 0);	/* C after SQL */
	verify(&x, &r);
	assert_int_equal(r.rows, 4);
	assert_int_equal(r.broken_id, 0);
	fx_close(&x);
}

/*
 * N processes x M rows at once, some in explicit transactions, some
 * folded into a pipelined one (hashed by the server).
 */
#define WRITERS	6
#define PER	25

static int
writer(int k)
{
	struct actor peer = { 0, 2000 + k, 500 + k, "w" };
	struct mig_event ev = { "tier2.apply", "20240105_conc", "x", NULL,
	    1, 1, 1, NULL, NULL, 0, 0 };
	struct config *c = cfg_new("public", "a_conc");
	struct audit a;
	struct merr e;
	struct db d;
	int i, rc = 0;

	merr_clear(&e);
	if (db_connect(&d, NULL, "writer", &e) == -1 ||
	    audit_init(&a, &d, c, &e) == -1)
		_exit(2);
	for (i = 0; i < PER && rc == 0; i++) {
		if (i % 3 == 2) {	/* a tier-2 file's, folded */
			rc = piped_record(&a, &d, &peer, &ev, &e);
			continue;
		}
		if (i % 2 && db_exec(&d, "BEGIN", &e) == -1)
			rc = -1;
		if (rc == 0)
			rc = audit_record(&a, &d, &peer, &ev, &e);
		if (rc == 0 && i % 2)
			rc = db_exec(&d, "COMMIT", &e);
	}
	if (rc == -1)
		fprintf(stderr, "writer %d: %s\n", k, e.msg);
	audit_release(&a);
	db_close(&d);
	config_release(c);
	free(c);
	return rc == 0 ? 0 : 1;
}

static void
test_concurrent_writers(void **state)
{
	struct audit_verify_result r;
	pid_t kids[WRITERS];
	struct fx x;
	int i, st;

	(void)state;
	fx_open(&x, "public", "a_conc");
	for (i = 0; i < WRITERS; i++) {
		if ((kids[i] = fork()) == 0)
			_exit(writer(i));
		assert_true(kids[i] > 0);
	}
	for (i = 0; i < WRITERS; i++) {
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	verify(&x, &r);
	assert_int_equal(r.rows, WRITERS * PER);
	assert_int_equal(r.broken_id, 0);
	/* the writers really interleaved: not one block per process */
	assert_true(count(&x.db, "SELECT count(*) FROM (SELECT uid, lag(uid)"
	    " OVER (ORDER BY id) AS prev FROM a_conc) s WHERE uid <> prev")
	    > WRITERS - 1);
	fx_close(&x);
}

static size_t
query(struct fx *x, const struct audit_filter *f, struct audit_rows *rows)
{
	struct merr e;

	merr_clear(&e);
	if (audit_query(&x->db, x->cfg, f, rows, &e) == -1)
		fail_msg("query: %s", e.msg);
	return rows->n;
}

static void
test_query_filters(void **state)
{
	struct audit_filter f;
	struct audit_rows rows;
	struct fx x;
	struct merr e;

	(void)state;
	fx_open(&x, "public", "a_q");
	emit(&x, NULL, "daemon.start", NULL, 1);
	emit(&x, NULL, "tier2.apply", "20240102", 1);
	emit(&x, NULL, "tier2.apply", "20240102_120000_b", 1);
	emit(&x, NULL, "tier2.rollback", "20240102_b", 1);
	emit(&x, NULL, "tier1.apply", "public.users", 1);
	emit(&x, NULL, "tier20.odd", "20240102", 1);

	memset(&f, 0, sizeof(f));
	assert_int_equal(query(&x, &f, &rows), 6);
	assert_string_equal(rows.v[0].action, "tier20.odd");	/* newest */
	assert_string_equal(rows.v[5].action, "daemon.start");
	assert_true(rows.v[0].id > rows.v[5].id);
	assert_int_equal(rows.v[5].is_daemon, 1);
	assert_int_equal(rows.v[5].duration_ms, 12);
	assert_null(rows.v[5].target);
	audit_rows_release(&rows);

	f.limit = 2;
	assert_int_equal(query(&x, &f, &rows), 2);
	assert_string_equal(rows.v[1].action, "tier1.apply");
	audit_rows_release(&rows);

	memset(&f, 0, sizeof(f));
	f.version = "20240102";
	assert_int_equal(query(&x, &f, &rows), 4);
	audit_rows_release(&rows);
	f.version = "20240102_120000";
	assert_int_equal(query(&x, &f, &rows), 1);
	audit_rows_release(&rows);

	f.version = NULL;
	f.action = "tier2";
	assert_int_equal(query(&x, &f, &rows), 3);
	audit_rows_release(&rows);

	f.action = NULL;
	f.since = "1h";
	assert_int_equal(query(&x, &f, &rows), 6);
	audit_rows_release(&rows);
	f.since = "2999-01-01";
	assert_int_equal(query(&x, &f, &rows), 0);
	audit_rows_release(&rows);
	f.since = "2000-01-01 00:00:00+00";
	assert_int_equal(query(&x, &f, &rows), 6);
	audit_rows_release(&rows);

	f.since = "yesterday-ish";
	merr_clear(&e);
	assert_int_equal(audit_query(&x.db, x.cfg, &f, &rows, &e), -1);
	assert_int_equal(e.code, MERR_INPUT);
	assert_string_equal(e.field, "since");
	assert_string_equal(e.msg, "invalid time 'yesterday-ish'");
	assert_string_equal(e.sqlstate, "");
	assert_non_null(strstr(e.hint, "7d"));
	assert_int_equal(rows.n, 0);
	fx_close(&x);
}

/*
 * The id's sequence is learnt with what audit_ensure asks anyway, made
 * or found, in a schema whose name needs quoting, and rows appended with
 * it (a constant, not looked up on every row) verify as before.
 */
static void
test_sequence_named(void **state)
{
	struct audit_verify_result r;
	struct fx x, y;
	char *s;

	(void)state;
	fx_open(&x, "Ops \"Q\"", "Trail");
	s = scalar(&x.db, "SELECT pg_get_serial_sequence("
	    "'\"Ops \"\"Q\"\"\".\"Trail\"', 'id')");
	assert_string_equal(x.a.seq, s);
	assert_non_null(strstr(x.a.fold_sql, "nextval('"));
	assert_null(strstr(x.a.fold_sql, "pg_get_serial_sequence"));
	assert_null(strstr(x.a.head_sql, "pg_get_serial_sequence"));
	write_rows(&x, 4);
	fx_open(&y, "Ops \"Q\"", "Trail");	/* found, not made */
	assert_string_equal(y.a.seq, s);
	write_rows(&y, 3);
	verify(&y, &r);
	assert_int_equal(r.rows, 7);
	assert_int_equal(r.broken_id, 0);
	free(s);
	fx_close(&y);
	fx_close(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ensure),
		cmocka_unit_test(test_ensure_concurrent),
		cmocka_unit_test(test_hook_in_transaction),
		cmocka_unit_test(test_failure_after_rollback),
		cmocka_unit_test(test_no_row_no_change),
		cmocka_unit_test(test_append_only),
		cmocka_unit_test(test_verify_tamper),
		cmocka_unit_test(test_sequence_named),
		cmocka_unit_test(test_head_outside),
		cmocka_unit_test(test_long_detail),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_query_filters),
	};

	pgtest_require("test_audit");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
