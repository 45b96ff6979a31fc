/* test_migset.c - folder layouts, splitting by the parser, directives,
 * transaction modes, positioned parse errors, create. */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "migset.h"
#include "migset_int.h"	/* mig_read_file */
#include "plan.h"	/* plan_owner_kind */

static char dir[128];

static void
put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	static int n;

	(void)state;
	snprintf(dir, sizeof(dir), "migset-%d-%d", (int)getpid(), ++n);
	return mkdir(dir, 0755);
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_native(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("20240110_150000_add_prefs.sql", "CREATE TABLE b (id int);\n");
	put("20240110_150000_add_prefs_rollback.sql", "DROP TABLE b;\n");
	put("20240110_150000_add_prefs.md", "# doc\n");
	put("20240103_smart.sql", "CREATE TABLE a (id int);\n");
	put("README.md", "not a migration\n");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_NATIVE);
	assert_int_equal(s.n, 2);
	/* the bare date sorts as 20240103_000000, before 20240110_150000 */
	assert_string_equal(s.v[0].version, "20240103");
	assert_string_equal(s.v[0].name, "smart");
	assert_null(s.v[0].down.path);
	assert_string_equal(s.v[1].id, "20240110_150000_add_prefs");
	assert_non_null(s.v[1].down.path);
	assert_non_null(s.v[1].doc_path);
	assert_int_equal(strlen(s.v[1].checksum), 64);
	assert_non_null(migset_find(&s, "20240110150000"));
	assert_non_null(migset_find(&s, "20240110_150000"));
	assert_null(migset_find(&s, "20240111"));
	migset_release(&s);
}

/*
 * Where the patterns put a name's version and name (migset.c matches
 * without submatches and takes the parts itself): "_HHMMSS" belongs to
 * the version only when a '_' and a name still follow.
 */
static void
test_name_parts(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("20240101_123456.sql", "SELECT 1;\n");
	put("20240102_123456_x.sql", "SELECT 1;\n");
	put("20240102_123456_x_rollback.sql", "SELECT 1;\n");
	put("20240102_123456_x.md", "notes\n");
	put("20240103_12345_y_z.sql", "SELECT 1;\n");
	put("20240104_123456_.sql", "SELECT 1;\n");
	put("20240105_1234567_w.sql", "SELECT 1;\n");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.v[0].version, "20240101");
	assert_string_equal(s.v[0].name, "123456");
	assert_string_equal(s.v[1].version, "20240102_123456");
	assert_string_equal(s.v[1].name, "x");
	assert_non_null(s.v[1].down.path);
	assert_non_null(s.v[1].doc_path);
	assert_string_equal(s.v[2].version, "20240103");
	assert_string_equal(s.v[2].name, "12345_y_z");
	assert_string_equal(s.v[3].version, "20240104");
	assert_string_equal(s.v[3].name, "123456_");
	assert_string_equal(s.v[4].version, "20240105");
	assert_string_equal(s.v[4].name, "1234567_w");
	migset_release(&s);

	teardown(state);
	setup(state);
	put("7_a.down.up.sql", "SELECT 1;\n");
	put("7_b.down.sql", "SELECT 2;\n");
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0].version, "7");
	assert_string_equal(s.v[0].name, "a.down");
	assert_non_null(s.v[0].down.path);
	migset_release(&s);
}

static void
test_checksum_is_sha256(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("20240103_a.sql", "SELECT 1;\n");
	assert_int_equal(migset_load(&s, dir, &e), 0);
	/* printf 'SELECT 1;\n' | sha256sum */
	assert_string_equal(s.v[0].checksum,
	    "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd");
	migset_release(&s);
}

static void
test_golang(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("000002_second.up.sql", "CREATE TABLE b (id int);");
	put("000002_second.down.sql", "DROP TABLE b;");
	put("000001_first.up.sql", "CREATE TABLE a (id int);");
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_GOLANG);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].version, "000001");
	assert_null(s.v[0].down.path);
	assert_non_null(s.v[1].down.path);
	assert_int_equal(migset_prepare_all(&s, &e), 0);
	assert_false(s.v[1].down.parsed);	/* parsed when it runs */
	assert_int_equal(migset_prepare_down(&s.v[1], &e), 0);
	assert_int_equal(s.v[1].down.nstmts, 1);
	migset_release(&s);
}

/*
 * golang-migrate pairs up and down by version only (real folders have
 * 67_add_email_mfa_column.up.sql beside 67_email_mfa_column.down.sql),
 * and a rollback that does not parse blocks nothing until it runs.
 */
static void
test_golang_pairs_by_version(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("67_add_email_mfa_column.up.sql", "ALTER TABLE u ADD mfa text;");
	put("67_email_mfa_column.down.sql", "ALTER TABLE u DROP mfa;");
	put("68_x.up.sql", "CREATE TABLE x (id int);");
	put("68_x.down.sql", "DROP TABLEE x;");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.n, 2);
	assert_non_null(strstr(s.v[0].down.path, "67_email_mfa_column.down"));
	assert_int_equal(migset_prepare_all(&s, &e), 0);
	assert_int_equal(migset_prepare_down(&s.v[1], &e), -1);
	assert_non_null(strstr(e.file, "68_x.down.sql"));
	assert_int_equal(e.line, 1);
	migset_release(&s);
	/* found by fuzz_migset: a second rollback leaked the first */
	put("68_y.down.sql", "DROP TABLE x;");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "migration '68_x' has two rollbacks: "
	    "'68_x.down.sql' and '68_y.down.sql'");
	assert_non_null(strstr(e.file, "68_y.down.sql"));
}

static void
test_single(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("20240103_one.sql", "-- header\n-- +++++ UP\nCREATE TABLE a "
	    "(id int);\nCREATE INDEX a_i ON a (id);\n-- +++++ DOWN\n"
	    "DROP TABLE a;\n");
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_SINGLE);
	assert_int_equal(migset_prepare_all(&s, &e), 0);
	assert_int_equal(migset_prepare_down(&s.v[0], &e), 0);
	assert_int_equal(s.v[0].up.nstmts, 2);
	assert_int_equal(s.v[0].down.nstmts, 1);
	assert_string_equal(s.v[0].down.stmts[0].sql, "DROP TABLE a");
	/* positions are the file's */
	assert_int_equal(s.v[0].up.stmts[1].line, 4);
	assert_int_equal(s.v[0].down.stmts[0].line, 6);
	migset_release(&s);
}

static void
test_mixed(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("000001_first.up.sql", "SELECT 1;");
	put("20240103_native.sql", "SELECT 1;");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "migrations folder mixes layouts: "
	    "'000001_first.up.sql' is golang-migrate, '20240103_native.sql' "
	    "is native");
}

static void
test_bad_name(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("notes.sql", "SELECT 1;");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "'notes.sql' is not a migration file name");
	assert_non_null(strstr(e.file, "notes.sql"));
}

/* Only regular files inside the folder: nothing else is read or quoted. */
static void
test_not_regular_files(void **state)
{
	char path[512], target[512], abs[PATH_MAX];
	struct migset s;
	struct merr e;

	(void)state;
	/* a symlink to a secret elsewhere, named like a migration */
	snprintf(target, sizeof(target), "%s.secret", dir);
	{
		FILE *f = fopen(target, "w");

		fputs("root:$6$secret:19000:0:99999:7:::\n", f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/20240101_000000_shadow.sql", dir);
	assert_non_null(realpath(target, abs));
	assert_int_equal(symlink(abs, path), 0);
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "'20240101_000000_shadow.sql' is a "
	    "symbolic link out of the migrations folder, not followed");
	assert_null(strstr(e.msg, "root"));
	assert_null(strstr(e.detail, "root"));
	unlink(path);
	unlink(target);
	/* a directory named like a migration is not "applied" empty */
	snprintf(path, sizeof(path), "%s/20240102_000000_dir.sql", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "'20240102_000000_dir.sql' is a directory, "
	    "not a regular file");
	rmdir(path);
	/* a rollback file that is a symlink, too */
	put("20240103_000000_ok.sql", "SELECT 1;");
	snprintf(path, sizeof(path), "%s/20240103_000000_ok_rollback.sql", dir);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_non_null(strstr(e.msg, "is a symbolic link out of"));
	unlink(path);
	/* relative, climbing out: refused too; to nothing: said so */
	assert_int_equal(symlink("../x.sql", path), 0);
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_non_null(strstr(e.msg, "is a symbolic link out of"));
	unlink(path);
	assert_int_equal(symlink("gone.sql", path), 0);
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "'20240103_000000_ok_rollback.sql' is a "
	    "symbolic link to nothing");
}

/*
 * A FIFO in a file's place (put there after the folder was read) is
 * refused, not opened for a read that would wait for a writer forever.
 */
static void
test_read_fifo(void **state)
{
	char path[512], *text = NULL;
	struct merr e;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/20240101_000000_a.sql", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	merr_clear(&e);
	assert_int_equal(mig_read_file(path, &text, &len, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_null(text);
}

/*
 * A Kubernetes ConfigMap mounted as the folder: each file a link through
 * ..data to a hidden folder, ..data switched by rename(2) on an update.
 * The links are followed (they stay inside the folder), the hidden
 * entries are not migrations, and a refresh sees the switch although no
 * visible entry changed.
 */
static void
test_configmap_links(void **state)
{
	char p[512], q[512];
	struct migset s;
	struct merr e;
	int changed;

	(void)state;
	memset(&s, 0, sizeof(s));
	snprintf(p, sizeof(p), "%s/..2026_11_30.1", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	put("..2026_11_30.1/20240101_000000_a.sql", "SELECT 1;\n");
	snprintf(p, sizeof(p), "%s/..data", dir);
	assert_int_equal(symlink("..2026_11_30.1", p), 0);
	snprintf(p, sizeof(p), "%s/20240101_000000_a.sql", dir);
	assert_int_equal(symlink("..data/20240101_000000_a.sql", p), 0);
	merr_clear(&e);
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0].up.text, "SELECT 1;\n");
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 0);
	/* the update: a new hidden folder, ..data switched, same size */
	snprintf(p, sizeof(p), "%s/..2026_11_30.2", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	put("..2026_11_30.2/20240101_000000_a.sql", "SELECT 2;\n");
	snprintf(p, sizeof(p), "%s/..data_tmp", dir);
	assert_int_equal(symlink("..2026_11_30.2", p), 0);
	snprintf(q, sizeof(q), "%s/..data", dir);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 1);
	assert_string_equal(s.v[0].up.text, "SELECT 2;\n");
	migset_release(&s);
}

static void
test_orphan_rollback_and_duplicate(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("20240103_a_rollback.sql", "SELECT 1;");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "rollback '20240103_a_rollback.sql' has no "
	    "forward migration");
	put("20240103_a.sql", "SELECT 1;");
	put("20240103_b.sql", "SELECT 1;");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_non_null(strstr(e.msg, "duplicate version 20240103"));
}

static void
test_split_dollar_do(void **state)
{
	struct mig_script sc;
	struct merr e;
	const char *sql =
	    "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
	    "BEGIN\n  PERFORM 1; RETURN 2; -- ; in a comment\nEND;\n$$;\n"
	    "DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$;\n"
	    "/* ; */ SELECT ';' AS semi;\n";

	(void)state;
	assert_int_equal(migset_parse_text(&sc, "f.sql", sql, &e), 0);
	assert_int_equal(sc.nstmts, 3);
	assert_int_equal(sc.tx, MIG_TX_ONE);
	assert_int_equal(strncmp(sc.stmts[1].sql, "DO $body$", 9), 0);
	assert_int_equal(sc.stmts[1].line, 6);
	assert_int_equal(sc.stmts[2].line, 7);
	migset_script_release(&sc);
}

/* A growing text of n lines "INSERT INTO t VALUES (i);" after head. */
static char *
inserts(const char *head, int n, const char *tail)
{
	size_t cap = strlen(head) + strlen(tail) + (size_t)n * 40 + 1, len;
	char *s = malloc(cap);

	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "%s", head);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
		    "INSERT INTO t VALUES (%d);\n", i);
	snprintf(s + len, cap - len, "%s", tail);
	return s;
}

/*
 * Item 6: a big file is split a window (1 MiB) at a time.  Statements
 * that cross a window's end (a BEGIN ATOMIC body, a dollar quote longer
 * than two windows) come out whole, positions run on across windows, and
 * an error far down the file is where a whole-file parse puts it.
 */
static void
test_big_file_windows(void **state)
{
	struct mig_script sc;
	struct merr e;
	char *body, *fn, *text;
	size_t blen = 3 * 1024 * 1024;

	(void)state;
	/* 34000 lines (0.96 MiB), then a function whose BEGIN ATOMIC body
	   (20000 statements of its own) crosses the first window's end */
	fn = malloc(20000 * 11 + 100);
	assert_non_null(fn);
	strcpy(fn, "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN "
	    "ATOMIC\n");
	for (int i = 0, at = (int)strlen(fn); i < 20000; i++, at += 11)
		memcpy(fn + at, " SELECT 1;\n", 12);
	strcat(fn, "END;\nSELECT 3;\n");
	text = inserts("", 34000, fn);
	assert_true(strstr(text, "END;") - text > 1024 * 1024);
	assert_true(strstr(text, "CREATE") - text < 1024 * 1024);
	merr_clear(&e);
	assert_int_equal(migset_parse_text(&sc, "a.sql", text, &e), 0);
	assert_int_equal(sc.nstmts, 34002);
	assert_int_equal(strlen(sc.stmts[34000].sql), strlen(fn) - 12);
	assert_int_equal(sc.stmts[34001].line, 34000 + 1 + 20000 + 2);
	assert_string_equal(sc.stmts[29999].sql,
	    "INSERT INTO t VALUES (29999)");
	assert_int_equal(sc.stmts[29999].line, 30000);
	assert_null(sc.stmts[29999].tree);	/* no rule reads an INSERT */
	migset_script_release(&sc);
	free(text);
	free(fn);

	/* a dollar-quoted body of 3 MiB: longer than two windows */
	body = malloc(blen + 1);
	assert_non_null(body);
	for (size_t i = 0; i < blen; i++)
		body[i] = i % 64 == 63 ? '\n' : ';';
	body[blen] = '\0';
	assert_true(asprintf(&fn, "CREATE FUNCTION g() RETURNS text LANGUAGE "
	    "sql AS $q$ SELECT '%s' $q$;\nSELECT 4;\n", body) > 0);
	text = inserts("", 10, fn);
	assert_int_equal(migset_parse_text(&sc, "b.sql", text, &e), 0);
	assert_int_equal(sc.nstmts, 12);
	assert_int_equal(strlen(sc.stmts[10].sql), strlen(fn) - 12);
	assert_int_equal(sc.stmts[11].line, 11 + 1 + (int)(blen / 64));
	migset_script_release(&sc);
	free(text);
	free(fn);
	free(body);

	/* a syntax error 2 MB down: where a whole-file parse says */
	text = inserts("", 80000, "INSERT INTO t VALUES (1) (2);\n");
	assert_int_equal(migset_parse_text(&sc, "c.sql", text, &e), -1);
	assert_string_equal(e.msg, "syntax error at or near \"(\"");
	assert_int_equal(e.line, 80001);
	assert_int_equal(e.col, 26);
	/* a failed parse leaves the text as it was: it can be parsed again */
	assert_string_equal(sc.text, text);
	migset_script_release(&sc);
	free(text);
}

/* Found by fuzz_migparse: a comment ends at a CR, as PostgreSQL says. */
static void
test_comment_ends_at_cr(void **state)
{
	struct mig_script sc;
	struct merr e;

	(void)state;
	merr_clear(&e);
	assert_int_equal(migset_parse_text(&sc, "cr.sql",
	    "-- note\rSELECT 1;\r\n-- migrated:nolint all\r\nSELECT 2;\n",
	    &e), 0);
	assert_int_equal(sc.nstmts, 2);
	assert_string_equal(sc.stmts[0].sql, "SELECT 1");
	assert_string_equal(sc.stmts[1].sql, "SELECT 2");
	assert_string_equal(sc.stmts[1].nolint, "all");
	migset_script_release(&sc);
}

/* Item 6: parsing stops when asked (SIGTERM), between statements. */
static void
test_parse_stops(void **state)
{
	volatile sig_atomic_t stop = 1;
	struct migration m;
	struct merr e;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.up.text = inserts("", 100, "");
	m.up.path = strdup("s.sql");
	m.up.stop = &stop;
	merr_clear(&e);
	assert_int_equal(migset_prepare(&m, &e), -1);
	assert_int_equal(e.code, MERR_STATE);
	assert_string_equal(e.msg, "stopped while parsing 's.sql' at line 1");
	assert_int_equal(m.up.nstmts, 0);
	stop = 0;
	assert_int_equal(migset_prepare(&m, &e), 0);
	assert_int_equal(m.up.nstmts, 100);
	migset_script_release(&m.up);
}

static void
test_parse_error_position(void **state)
{
	struct mig_script sc;
	struct merr e;

	(void)state;
	merr_clear(&e);
	assert_int_equal(migset_parse_text(&sc, "bad.sql",
	    "SELECT 1;\n-- é comment\nSELECT 'é', 2 FRM t;\n", &e), -1);
	assert_string_equal(e.file, "bad.sql");
	assert_int_equal(e.line, 3);
	assert_int_equal(e.col, 19);	/* characters, not bytes */
	assert_string_equal(e.msg, "syntax error at or near \"t\"");
	migset_script_release(&sc);
}

/*
 * A kept tree must be UTF-8 for the JSON reader that reads it later:
 * refused at parse, positioned, whether the parse reads the tree (an
 * index) or only checks it (a table); valid UTF-8 passes both ways.
 */
static void
test_parse_utf8(void **state)
{
	static const char *const bad[] = {
	    "SELECT 1;\nCREATE TABLE a (x text DEFAULT 'a\xff');\n",
	    "SELECT 1;\nCREATE INDEX i ON t ((x || 'a\xed\xa0\x80'));\n",
	    "SELECT 1;\nCOMMENT ON TABLE t IS 'a\xc0\xaf';\n",
	    NULL };
	struct mig_script sc;
	struct merr e;

	(void)state;
	for (int i = 0; bad[i]; i++) {
		merr_clear(&e);
		assert_int_equal(migset_parse_text(&sc, "u.sql", bad[i], &e),
		    -1);
		assert_int_equal(e.code, MERR_INPUT);
		assert_int_equal(e.line, 2);
		assert_int_equal(e.col, 1);
		assert_non_null(strstr(e.msg, "statement is not valid UTF-8 "
		    "(unable to decode byte 0x"));
		migset_script_release(&sc);
	}
	assert_int_equal(migset_parse_text(&sc, "v.sql", "CREATE TABLE a "
	    "(x text DEFAULT '\xc3\xa9\xf0\x9f\x98\x80');\nCREATE INDEX i "
	    "ON a ((x || '\xe2\x82\xac'));\n", &e), 0);
	assert_int_equal(sc.nstmts, 2);
	migset_script_release(&sc);
}

static void
test_txmodes(void **state)
{
	struct mig_script sc;
	struct merr e;

	(void)state;
	assert_int_equal(migset_parse_text(&sc, "a.sql", "CREATE INDEX "
	    "CONCURRENTLY IF NOT EXISTS i ON t (a);\nCOMMENT ON TABLE t IS "
	    "'x';", &e), 0);
	assert_int_equal(sc.tx, MIG_TX_NONE);
	assert_int_equal(sc.stmts[0].kind, MIG_STMT_NOTX);
	assert_int_equal(sc.stmts[1].kind, MIG_STMT_PLAIN);
	migset_script_release(&sc);
	assert_int_equal(migset_parse_text(&sc, "b.sql", "BEGIN;\nUPDATE t "
	    "SET a = 1 WHERE b;\nCOMMIT;\nVACUUM t;", &e), 0);
	assert_int_equal(sc.tx, MIG_TX_EXPLICIT);
	assert_int_equal(sc.stmts[0].kind, MIG_STMT_TXCTL);
	migset_script_release(&sc);
	assert_int_equal(migset_parse_text(&sc, "c.sql", "REINDEX INDEX "
	    "CONCURRENTLY i;", &e), 0);
	assert_int_equal(sc.tx, MIG_TX_NONE);
	migset_script_release(&sc);
	assert_int_equal(migset_parse_text(&sc, "d.sql", "ANALYZE t; "
	    "DROP INDEX CONCURRENTLY IF EXISTS i;", &e), 0);
	assert_int_equal(sc.stmts[0].kind, MIG_STMT_PLAIN);
	assert_int_equal(sc.stmts[1].kind, MIG_STMT_NOTX);
	migset_script_release(&sc);
	/* the option-list spelling, lower case; and the word elsewhere
	 * (a name, a string) makes no statement concurrent */
	assert_int_equal(migset_parse_text(&sc, "e.sql", "reindex "
	    "(concurrently) index i;", &e), 0);
	assert_int_equal(sc.stmts[0].kind, MIG_STMT_NOTX);
	migset_script_release(&sc);
	assert_int_equal(migset_parse_text(&sc, "f.sql", "CREATE INDEX "
	    "concurrently_i ON t (a);\nDROP INDEX \"CONCURRENTLY\";\n"
	    "CREATE INDEX j ON t (a) WHERE b <> 'concurrently';\nCREATE "
	    "INDEX k ON t (a);", &e), 0);
	assert_int_equal(sc.tx, MIG_TX_ONE);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(sc.stmts[i].kind, MIG_STMT_PLAIN);
	migset_script_release(&sc);
}

/* An explicit transaction must close in the file: a parse-time error. */
static void
test_tx_unbalanced(void **state)
{
	static const struct {
		const char *sql, *msg;
		int line, col;
	} bad[] = {
		{ "SELECT 1;\n  BEGIN;\nUPDATE t SET a = 1 WHERE b;\n",
		    "BEGIN without COMMIT or ROLLBACK", 2, 3 },
		{ "UPDATE t SET a = 1 WHERE b;\nCOMMIT;\n",
		    "COMMIT without BEGIN", 2, 1 },
		{ "BEGIN;\nSELECT 1;\nSTART TRANSACTION;\nCOMMIT;\n",
		    "START TRANSACTION inside the transaction begun at 1:1",
		    3, 1 },
		{ "BEGIN;\nCOMMIT;\nBEGIN;\nSELECT 1;\nROLLBACK;\n"
		    "ROLLBACK;\n", "ROLLBACK without BEGIN", 6, 1 },
	};
	struct mig_script sc;
	struct merr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		merr_clear(&e);
		assert_int_equal(migset_parse_text(&sc, "tx.sql", bad[i].sql,
		    &e), -1);
		assert_string_equal(e.file, "tx.sql");
		assert_string_equal(e.msg, bad[i].msg);
		assert_int_equal(e.line, bad[i].line);
		assert_int_equal(e.col, bad[i].col);
		migset_script_release(&sc);
	}
	assert_int_equal(migset_parse_text(&sc, "ok.sql", "BEGIN;\nSELECT 1;"
	    "\nCOMMIT;\nSTART TRANSACTION;\nSELECT 2;\nROLLBACK;\n", &e),
	    0);
	assert_int_equal(sc.tx, MIG_TX_EXPLICIT);
	migset_script_release(&sc);
}

/* Pacing options: kept as given, -1 for the rest; a bad one at its column. */
static void
test_batch_pace(void **state)
{
	struct mig_script sc;
	struct merr e;
	const struct pace_spec *p;

	(void)state;
	assert_int_equal(migset_parse_text(&sc, "a.sql",
	    "-- migrated:batch size=500 target=50ms max_size=900\n"
	    "UPDATE t SET c = 1;\n", &e), 0);
	assert_non_null(p = sc.stmts[0].pace);
	assert_int_equal(p->adaptive, 0);
	assert_int_equal(p->target_ms, 50);
	assert_int_equal(p->max_size, 900);
	assert_int_equal(p->min_size, -1);
	assert_int_equal(p->max_pause_ms, -1);
	assert_int_equal(sc.stmts[0].batch_pause_ms, -1);
	migset_script_release(&sc);

	assert_int_equal(migset_parse_text(&sc, "a.sql",
	    "-- migrated:batch adaptive size=500 pause=10ms\n"
	    "UPDATE t SET c = 1;\n", &e), 0);
	assert_non_null(p = sc.stmts[0].pace);
	assert_int_equal(p->adaptive, 1);
	assert_int_equal(sc.stmts[0].batch_pause_ms, 10);
	migset_script_release(&sc);

	merr_clear(&e);
	assert_int_equal(migset_parse_text(&sc, "b.sql", "SELECT 1;\n"
	    "  -- migrated:batch size=10 max_pause=2d\nUPDATE t SET c = 1;\n",
	    &e), -1);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 39);
	assert_non_null(strstr(e.msg, "bad batch max_pause="));
	migset_script_release(&sc);
}

static void
test_directives(void **state)
{
	struct mig_script sc;
	struct merr e;

	(void)state;
	assert_int_equal(migset_parse_text(&sc, "a.sql",
	    "-- migrated:lock_timeout=5s\n-- migrated:statement_timeout=2m\n"
	    "-- migrated:lock_retries=3\nALTER TABLE t ADD COLUMN c int;\n"
	    "-- migrated:batch size=500 pause=20ms\n"
	    "-- migrated:nolint unbounded-dml\n"
	    "UPDATE t SET c = 1;\n", &e), 0);
	assert_int_equal(sc.lock_timeout_ms, 5000);
	assert_int_equal(sc.statement_timeout_ms, 120000);
	assert_int_equal(sc.lock_retries, 3);
	assert_int_equal(sc.stmts[1].kind, MIG_STMT_BATCH);
	assert_int_equal(sc.stmts[1].batch_size, 500);
	assert_int_equal(sc.stmts[1].batch_pause_ms, 20);
	assert_null(sc.stmts[1].pace);		/* a fixed pace */
	assert_string_equal(sc.stmts[1].nolint, "unbounded-dml");
	assert_int_equal(sc.stmts[1].line, 7);
	assert_int_equal(sc.tx, MIG_TX_NONE);
	migset_script_release(&sc);

	merr_clear(&e);
	assert_int_equal(migset_parse_text(&sc, "b.sql", "SELECT 1;\n"
	    "  -- migrated:lock_timeout=5s\nSELECT 2;\n", &e), -1);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 3);
	assert_non_null(strstr(e.msg, "belongs in the file header"));
	migset_script_release(&sc);

	merr_clear(&e);
	assert_int_equal(migset_parse_text(&sc, "c.sql", "-- migrated:batch "
	    "size=10\nDELETE FROM t;\n", &e), -1);
	assert_string_equal(e.msg, "'migrated:batch' must precede an UPDATE");
	migset_script_release(&sc);

	merr_clear(&e);
	assert_int_equal(migset_parse_text(&sc, "d.sql", "-- migrated:frobnicate"
	    "\nSELECT 1;\n", &e), -1);
	assert_string_equal(e.msg, "unknown directive 'migrated:frobnicate'");
	assert_int_equal(e.line, 1);
	migset_script_release(&sc);
}

static void
test_create(void **state)
{
	struct merr e;
	char *p[3], *q[3];
	struct migset s;
	time_t t = 1704294000;	/* 2024-01-03 15:00:00 UTC */
	int i;

	(void)state;
	merr_clear(&e);
	assert_int_equal(migset_create(dir, "../evil", t, p, &e), -1);
	assert_non_null(strstr(e.msg, "bad migration name '../evil'"));
	assert_int_equal(migset_create(dir, "a/b", t, p, &e), -1);
	assert_int_equal(migset_create(dir, "", t, p, &e), -1);
	assert_int_equal(migset_create(dir, "Add Prefs", t, p, &e), -1);
	assert_int_equal(migset_create(dir, "add_prefs", t, p, &e), 0);
	assert_non_null(strstr(p[0], "20240103_150000_add_prefs.sql"));
	assert_non_null(strstr(p[1], "20240103_150000_add_prefs_rollback.sql"));
	assert_non_null(strstr(p[2], "20240103_150000_add_prefs.md"));
	/* the new files load as a native migration with a rollback */
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.n, 1);
	assert_non_null(s.v[0].down.path);
	assert_int_equal(migset_prepare_all(&s, &e), 0);
	migset_release(&s);
	/* never overwrite: same second, same name */
	put("20240103_150000_add_prefs.md", "my notes\n");
	merr_clear(&e);
	assert_int_equal(migset_create(dir, "add_prefs", t, q, &e), -1);
	assert_string_equal(e.msg, "refusing to overwrite an existing file");
	{
		char buf[64] = "";
		FILE *f = fopen(p[2], "r");

		assert_non_null(f);
		assert_non_null(fgets(buf, sizeof(buf), f));
		fclose(f);
		assert_string_equal(buf, "my notes\n");
	}
	for (i = 0; i < 3; i++)
		free(p[i]);
}

static void
test_refresh(void **state)
{
	struct migset s;
	struct merr e;
	int changed;

	(void)state;
	memset(&s, 0, sizeof(s));
	put("20240103_a.sql", "SELECT 1;\n");
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(migset_prepare_all(&s, &e), 0);
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(s.v[0].up.parsed, 1);	/* kept, not re-read */
	/* an edit (other size) and a new file are both seen */
	put("20240103_a.sql", "SELECT 1, 2;\n");
	put("20240104_b.sql", "SELECT 3;\n");
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].up.parsed, 0);
	/* a broken folder keeps the old set */
	put("junk.sql", "SELECT 1;");
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), -1);
	assert_int_equal(s.n, 2);
	migset_release(&s);
}

static struct stat
stat_of(const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(stat(p, &st), 0);
	return st;
}

/* Put the mtime of name back to what st says (touch -d, cp -p, tar). */
static void
mtime_back(const char *name, const struct stat *st)
{
	struct timespec t[2] = { st->st_atim, st->st_mtim };
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
}

static long long
ns(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/*
 * An edit in place of the same size whose mtime was put back is seen:
 * by its ctime once the clock moved on, and within the clock tick of the
 * load (the same mtime and ctime: "racily clean") by the file being
 * read again.
 */
static void
test_refresh_same_size(void **state)
{
	const char *f = "20240103_a.sql";
	struct migset s;
	struct stat st, now;
	struct merr e;
	char sum[MIG_SHA256_HEX];
	int changed, tries;

	(void)state;
	memset(&s, 0, sizeof(s));
	/*
	 * Within the tick: a kernel with coarse timestamps (before 6.13)
	 * gives the edit the stamp of the load; a newer one gives a changed
	 * file a fine ctime once it was stat'ed.  Both are met: the edit at
	 * once, then the same with the stamp the old kernel would keep.
	 */
	for (tries = 0; tries < 2; tries++) {
		put(f, "SELECT 1;\n");
		migset_release(&s);
		assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
		st = stat_of(f);
		put(f, "SELECT 2;\n");
		mtime_back(f, &st);
		now = stat_of(f);
		if (tries == 1)
			s.stamps[0].ctime_ns = ns(now.st_ctim);
		memcpy(sum, s.v[0].checksum, sizeof(sum));
		assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
		assert_int_equal(changed, 1);
		assert_string_not_equal(s.v[0].checksum, sum);
		assert_string_equal(s.v[0].up.text, "SELECT 2;\n");
	}
	/* long after the load (not racy): the ctime tells */
	put(f, "SELECT 1;\n");
	migset_release(&s);
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	s.scanned_ns += 10 * MIG_RACY_NS;	/* as if loaded later */
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 0);
	st = stat_of(f);
	do {	/* until the file system's clock moved on */
		put("clock.txt", "x");
		now = stat_of("clock.txt");
	} while (ns(now.st_ctim) == ns(st.st_ctim));
	put(f, "SELECT 2;\n");
	mtime_back(f, &st);
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 1);
	assert_string_equal(s.v[0].up.text, "SELECT 2;\n");
	/* a racy file read again and found the same: the set is kept */
	assert_int_equal(migset_prepare_all(&s, &e), 0);
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(s.v[0].up.parsed, 1);
	/* a racy rollback found the same: kept with what its parse found
	   (a broken one's warning: 55_rollback_warnings) */
	put("20240103_a_rollback.sql", "DROP TABLEE a;\n");
	migset_release(&s);
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(migset_prepare_down(&s.v[0], &e), -1);
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 0);
	assert_non_null(s.v[0].down.broken);
	/* and edited with the stamp an older kernel would keep: read again */
	st = stat_of("20240103_a_rollback.sql");
	put("20240103_a_rollback.sql", "DROP TABLE  a;\n");
	mtime_back("20240103_a_rollback.sql", &st);
	now = stat_of("20240103_a_rollback.sql");
	assert_string_equal(s.stamps[1].name, "20240103_a_rollback.sql");
	s.stamps[1].ctime_ns = ns(now.st_ctim);
	assert_int_equal(migset_refresh(&s, dir, &changed, &e), 0);
	assert_int_equal(changed, 1);
	assert_null(s.v[0].down.broken);
	assert_string_equal(s.v[0].down.text, "DROP TABLE  a;\n");
	migset_release(&s);
}

/* "kind target[ detail]" of every object, one a line. */
static char *
objects(const char *sql, const char *defschema)
{
	struct mig_script sc;
	struct mig_objects o;
	struct merr e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	merr_clear(&e);
	assert_int_equal(migset_parse_text(&sc, "o.sql", sql, &e), 0);
	assert_int_equal(migset_objects(&sc, defschema, &o, &e), 0);
	assert_non_null(f = open_memstream(&buf, &len));
	for (size_t i = 0; i < o.n; i++)
		fprintf(f, "%s %s%s%s\n", o.v[i].kind, o.v[i].target,
		    o.v[i].detail ? " " : "", o.v[i].detail ? o.v[i].detail :
		    "");
	fclose(f);
	migset_objects_release(&o);
	migset_script_release(&sc);
	return buf;
}

static void
test_objects(void **state)
{
	char *got;

	(void)state;
	got = objects(
	    "CREATE TABLE s.t (a int CONSTRAINT t_pk PRIMARY KEY, "
	    "b int DEFAULT 1, CONSTRAINT t_b_key UNIQUE (b), CHECK (b > 0));\n"
	    "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_b_idx ON s.t (b);\n"
	    "CREATE INDEX u_idx ON u USING gin (prefs jsonb_path_ops);\n"
	    "CREATE INDEX ON u (x);\n"
	    "ALTER TABLE u ADD COLUMN IF NOT EXISTS \"Prefs\" jsonb, "
	    "ADD CONSTRAINT u_fk FOREIGN KEY (a) REFERENCES s.t (a) NOT VALID, "
	    "ALTER COLUMN y SET DEFAULT 2, ALTER COLUMN z DROP DEFAULT;\n"
	    "CREATE TYPE mood AS ENUM ('a');\n"
	    "ALTER TYPE s.level ADD VALUE IF NOT EXISTS 'high' AFTER 'low';\n"
	    "COMMENT ON COLUMN u.prefs IS 'p';\n"
	    "COMMENT ON TABLE s.t IS 't';\n"
	    "COMMENT ON COLUMN u.gone IS NULL;\n"
	    "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA s;\n"
	    "CREATE SEQUENCE IF NOT EXISTS s.seq;\n"
	    "CREATE DOMAIN posint AS int CHECK (VALUE > 0);\n"
	    "ALTER TABLE s.user_ RENAME TO person;\n"
	    "ALTER TABLE u RENAME COLUMN a TO b;\n"
	    "ALTER VIEW v RENAME COLUMN a TO b;\n"
	    "ALTER INDEX s.i RENAME TO j;\n"
	    "ALTER FOREIGN TABLE ft RENAME TO ft2;\n"
	    "DO $$ BEGIN CREATE INDEX hidden_idx ON u (x); END $$;\n"
	    "UPDATE u SET x = 1 WHERE x IS NULL;\n", "app");
	assert_string_equal(got,
	    "table s.t\n"
	    "column s.t.a\n"
	    "constraint s.t.t_pk\n"
	    "index s.t_pk\n"
	    "column s.t.b\n"
	    "default s.t.b\n"
	    "constraint s.t.t_b_key\n"
	    "index s.t_b_key\n"
	    "index s.t_b_idx\n"
	    "index app.u_idx\n"
	    "column app.u.Prefs\n"
	    "constraint app.u.u_fk\n"
	    "default app.u.y\n"
	    "type app.mood\n"
	    "enum value s.level high\n"
	    "comment app.u.prefs\n"
	    "comment s.t\n"
	    "extension pg_trgm\n"
	    "sequence s.seq\n"
	    "domain app.posint\n"
	    "table s.person\n"
	    "column app.u.b\n"
	    "index s.j\n");
	free(got);
	got = objects("SELECT 1;\n", "public");
	assert_string_equal(got, "");
	free(got);
}

/*
 * migset_may_own() against migset_objects(): each statement alone, and
 * every object it makes is of a kind its unparsed text may own; the
 * statement says nothing of the kinds it makes none of.
 */
static void
test_may_own(void **state)
{
	static const char *const stmts[] = {
	    "CREATE TABLE s.t (a int CONSTRAINT t_pk PRIMARY KEY, b int "
	    "DEFAULT 1, CONSTRAINT t_b_key UNIQUE (b), CHECK (b > 0));",
	    "create index concurrently if not exists t_b_idx on s.t (b);",
	    "ALTER TABLE u ADD COLUMN \"Prefs\" jsonb, ADD CONSTRAINT u_fk "
	    "FOREIGN KEY (a) REFERENCES s.t (a) NOT VALID, ALTER COLUMN y "
	    "SET DEFAULT 2;",
	    "alter table u add constraint u_x_key unique (x);",
	    "CREATE TYPE mood AS ENUM ('a');",
	    "ALTER TYPE s.level ADD VALUE IF NOT EXISTS 'high';",
	    "COMMENT ON COLUMN u.prefs IS 'p';",
	    "CREATE VIEW v AS SELECT 1;",
	    "CREATE MATERIALIZED VIEW mv AS SELECT 1;",
	    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
	    "CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1';",
	    "CREATE TRIGGER tr BEFORE INSERT ON u FOR EACH ROW EXECUTE "
	    "FUNCTION f();",
	    "CREATE POLICY po ON u USING (true);",
	    "create extension if not exists pg_trgm;",
	    "CREATE SEQUENCE s.seq;",
	    "CREATE DOMAIN posint AS int CHECK (VALUE > 0);",
	    "ALTER TABLE s.user_ RENAME TO person;",
	    "alter table t rename column a to b;",
	    "ALTER TABLE t RENAME CONSTRAINT c TO d;",
	    "ALTER INDEX s.i RENAME TO j;",
	    "ALTER SEQUENCE sq RENAME TO sq2;",
	    "ALTER VIEW v RENAME TO w;",
	    "ALTER MATERIALIZED VIEW mv RENAME TO mw;",
	    "ALTER TYPE e RENAME VALUE 'a' TO 'b';",
	};
	static const char *const kinds[] = { "table", "column", "default",
	    "constraint", "index", "type", "enum value", "comment", "function",
	    "procedure", "view", "materialized view", "trigger", "policy",
	    "extension", "sequence", "domain" };
	struct mig_script sc, raw;
	struct mig_objects o;
	struct merr e;
	size_t i, k, made;

	(void)state;
	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		merr_clear(&e);
		assert_int_equal(migset_parse_text(&sc, "o.sql", stmts[i], &e),
		    0);
		assert_int_equal(migset_objects(&sc, "app", &o, &e), 0);
		memset(&raw, 0, sizeof(raw));
		raw.text = (char *)(uintptr_t)stmts[i];
		assert_true(o.n > 0);
		for (k = 0; k < o.n; k++) {
			if (!migset_may_own(&raw, o.v[k].kind))
				fail_msg("%s: may not own its %s %s", stmts[i],
				    o.v[k].kind, o.v[k].target);
			assert_true(migset_kind_owned(o.v[k].kind));
		}
		for (k = made = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			made += migset_may_own(&raw, kinds[k]);
			/* parsed, its text cut: the same answers */
			assert_int_equal(migset_may_own(&sc, kinds[k]),
			    migset_may_own(&raw, kinds[k]));
		}
		/* a statement's keywords name few kinds */
		assert_true(made < sizeof(kinds) / sizeof(kinds[0]) - 4);
		migset_objects_release(&o);
		migset_script_release(&sc);
	}
	/* parsed: a later statement's words count too */
	merr_clear(&e);
	assert_int_equal(migset_parse_text(&sc, "o.sql", "SELECT 1;\n"
	    "CREATE VIEW v AS SELECT 2;\n", &e), 0);
	assert_int_equal(migset_may_own(&sc, "view"), 1);
	assert_int_equal(migset_may_own(&sc, "index"), 0);
	migset_script_release(&sc);
	memset(&raw, 0, sizeof(raw));
	raw.text = "UPDATE u SET x = 1 WHERE x IS NULL;\n"
	    "INSERT INTO log VALUES ('a comment on a view');\n";
	assert_int_equal(migset_may_own(&raw, "index"), 0);
	assert_int_equal(migset_may_own(&raw, "table"), 0);
	assert_int_equal(migset_may_own(&raw, "trigger"), 0);
	/* words anywhere count, in any case: "VIEW" in a string */
	assert_int_equal(migset_may_own(&raw, "view"), 1);
	assert_int_equal(migset_may_own(&raw, "comment"), 1);
	/* no statement makes this kind */
	assert_int_equal(migset_kind_owned("no such kind"), 0);
	assert_int_equal(migset_may_own(&raw, "no such kind"), 0);
}

/*
 * A copy parsed for what it makes leaves the cached script as it was:
 * unparsed, its text whole; a goose StatementBegin block (offsets into
 * the text) is copied with it.
 */
static void
test_script_copy(void **state)
{
	static const char *const text = "-- +goose Up\n"
	    "CREATE TABLE g (id int PRIMARY KEY);\n"
	    "-- +goose StatementBegin\n"
	    "CREATE FUNCTION gf() RETURNS int LANGUAGE plpgsql AS $$\n"
	    "BEGIN RETURN 1; END $$;\n"
	    "-- +goose StatementEnd\n"
	    "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
	    "-- +goose Down\nDROP TABLE g;\n";
	struct mig_script copy;
	struct mig_objects o;
	struct migset s;
	struct merr e;
	char *before;

	(void)state;
	merr_clear(&e);
	put("00001_g.sql", text);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.n, 1);
	assert_false(s.v[0].up.parsed);
	assert_non_null(before = strdup(s.v[0].up.text));
	assert_int_equal(migset_may_own(&s.v[0].up, "function"), 1);
	assert_int_equal(migset_may_own(&s.v[0].up, "trigger"), 0);
	assert_int_equal(migset_script_copy(&copy, &s.v[0].up, &e), 0);
	assert_int_equal(migset_parse(&copy, &e), 0);
	assert_int_equal(copy.nstmts, 3);
	assert_int_equal(migset_objects(&copy, "public", &o, &e), 0);
	assert_int_equal(o.n, 4);	/* table, column, function, extension */
	assert_string_equal(o.v[2].kind, "function");
	assert_string_equal(o.v[2].target, "public.gf");
	assert_string_equal(o.v[3].kind, "extension");
	migset_objects_release(&o);
	migset_script_release(&copy);
	/* the cached script: untouched */
	assert_false(s.v[0].up.parsed);
	assert_string_equal(s.v[0].up.text, before);
	assert_null(s.v[0].up.stmts);
	/* a parsed script is not copied */
	assert_int_equal(migset_prepare(&s.v[0], &e), 0);
	assert_int_equal(migset_script_copy(&copy, &s.v[0].up, &e), -1);
	free(before);
	migset_release(&s);
}

/*
 * The kinds the plan reports drift of (plan_drift() and drift() in
 * core/plan*.c; con_kind_name(), sqlobj_kind_name()): each one an
 * enhancement can be credited with has an owner kind some statement
 * makes, so that migset_may_own() knows its keywords; the others none.
 */
static void
test_owner_kinds(void **state)
{
	static const char *const owned[] = { "index", "table", "column",
	    "default", "enum value", "comment", "sequence", "domain",
	    "extension", "view", "materialized view", "function",
	    "procedure", "trigger", "policy", "identity", "primary key",
	    "unique constraint", "foreign key", "check",
	    "exclusion constraint", "constraint" };
	static const char *const unowned[] = { "domain check",
	    "row level security", "rule", "aggregate", "no such kind" };
	const char *k;

	(void)state;
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if ((k = plan_owner_kind(owned[i])) == NULL ||
		    !migset_kind_owned(k))
			fail_msg("drift kind %s: no statement makes its "
			    "owner %s", owned[i], k ? k : "(none)");
	for (size_t i = 0; i < sizeof(unowned) / sizeof(unowned[0]); i++)
		assert_null(plan_owner_kind(unowned[i]));
	assert_string_equal(plan_owner_kind("identity"), "column");
	assert_string_equal(plan_owner_kind("check"), "constraint");
}

/* The sample enhancements (the repository's migrations/, found from the
 * harness's OLDPWD or the current folder): each owns its index. */
static void
test_objects_sample(void **state)
{
	struct migset s;
	struct mig_objects o;
	struct merr e;
	const char *root = getenv("OLDPWD");
	char path[1024];
	int found = 0;

	(void)state;
	merr_clear(&e);
	snprintf(path, sizeof(path), "%s/migrations/%s", root ? root : ".",
	    "20240103_add_activity_log_smart_fields.sql");
	if (access(path, F_OK) != 0)
		snprintf(path, sizeof(path), "migrations");
	else
		snprintf(path, sizeof(path), "%s/migrations", root);
	assert_int_equal(migset_load(&s, path, &e), 0);
	assert_int_equal(s.n, 2);
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(migset_prepare(&s.v[i], &e), 0);
		assert_int_equal(migset_objects(&s.v[i].up, "public", &o, &e),
		    0);
		for (size_t k = 0; k < o.n; k++)
			if (!strcmp(o.v[k].kind, "index") &&
			    (!strcmp(o.v[k].target,
			    "public.activity_logs_anomalies_idx") ||
			    !strcmp(o.v[k].target,
			    "public.users_preferences_gin_idx")))
				found++;
		migset_objects_release(&o);
	}
	assert_int_equal(found, 2);
	migset_release(&s);
}

/*
 * Which files leave the session as they found it (mig_script.
 * session_inert: no reset after them): DDL that runs no code of the
 * database's own, and nothing else.  Each file holds one case.
 */
static void
test_session_inert(void **state)
{
	static const struct { const char *sql; int inert; } c[] = {
		{ "CREATE TABLE t (id bigint PRIMARY KEY, at timestamptz "
		    "DEFAULT now() CHECK (id > 0), s text DEFAULT "
		    "'\"partbound\":{');\n"
		    "CREATE INDEX t_at ON t (at);\n"
		    "COMMENT ON TABLE t IS 'x';\n", 1 },
		{ "CREATE VIEW v AS SELECT lower(v) FROM t;\n"
		    "CREATE SCHEMA s;\nDROP TABLE t;\n", 1 },
		{ "-- only a comment\n", 1 },
		{ "CREATE INDEX t_l ON t (lower(v));\n", 0 },
		{ "CREATE INDEX t_p ON t (v) WHERE v IS NOT NULL;\n", 0 },
		{ "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);\n", 0 },
		{ "CREATE SCHEMA s2 CREATE TABLE s2.x (id int);\n", 0 },
		{ "ALTER TABLE t ADD COLUMN c integer;\n", 0 },
		{ "ALTER TABLE t VALIDATE CONSTRAINT ck;\n", 0 },
		{ "ALTER TABLE w ADD CONSTRAINT c2 CHECK (w.ok);\n", 0 },
		{ "CREATE TABLE u (id int);\nSET search_path = x;\n", 0 },
		{ "SELECT pg_catalog.set_config('search_path', '', false);\n", 0 },
		{ "DO $$BEGIN PERFORM 1; END$$;\n", 0 },
		{ "INSERT INTO t (id) VALUES (1);\n", 0 },
		{ "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
		    0 },
	};
	char name[64];
	struct migset s;
	struct merr e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(name, sizeof(name), "20240101_%06zu_case.sql", i);
		put(name, c[i].sql);
	}
	put("20240101_000000_case_rollback.sql", "SET search_path = x;\n"
	    "DROP TABLE t;\n");
	merr_clear(&e);
	if (migset_load(&s, dir, &e) == -1)
		fail_msg("%s", e.msg);
	assert_int_equal(s.n, sizeof(c) / sizeof(c[0]));
	if (migset_prepare_all(&s, &e) == -1)
		fail_msg("%s:%d: %s", e.file, e.line, e.msg);
	for (i = 0; i < s.n; i++) {
		if (s.v[i].up.session_inert != c[i].inert)
			fail_msg("case %zu (%s): inert %d", i, c[i].sql,
			    s.v[i].up.session_inert);
	}
	/* a rollback is judged by its own statements */
	assert_non_null(s.v[0].down.path);
	assert_int_equal(migset_prepare_down(&s.v[0], &e), 0);
	assert_int_equal(s.v[0].down.session_inert, 0);
	migset_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_native, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_inert, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_name_parts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_checksum_is_sha256, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_golang, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_name, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_orphan_rollback_and_duplicate, setup, teardown),
		cmocka_unit_test(test_split_dollar_do),
		cmocka_unit_test(test_parse_error_position),
		cmocka_unit_test(test_parse_utf8),
		cmocka_unit_test(test_big_file_windows),
		cmocka_unit_test(test_parse_stops),
		cmocka_unit_test(test_comment_ends_at_cr),
		cmocka_unit_test(test_txmodes),
		cmocka_unit_test(test_tx_unbalanced),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_batch_pace),
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_same_size, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_fifo, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_configmap_links, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_regular_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_golang_pairs_by_version,
		    setup, teardown),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_may_own),
		cmocka_unit_test_setup_teardown(test_script_copy, setup,
		    teardown),
		cmocka_unit_test(test_owner_kinds),
		cmocka_unit_test(test_objects_sample),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
