/* test_miglayout.c - the other tools' layouts: sort keys, goose and dbmate
 * markers, Flyway names and .conf files, pop's dialects, create and
 * rollback hints in the folder's own layout.  (tests/golden/folder/ holds
 * whole folders.) */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "migset.h"

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

static void
del(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

/* the folder's entries removed, folders included */
static void
empty_dir(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/*", dir);
	assert_int_equal(system(cmd), 0);
}

static int
setup(void **state)
{
	static int n;

	(void)state;
	snprintf(dir, sizeof(dir), "miglayout-%d-%d", (int)getpid(), ++n);
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

static int
cmp(enum mig_layout l, const char *a, const char *b)
{
	char ka[MIG_KEY_MAX], kb[MIG_KEY_MAX];
	int c;

	assert_int_equal(migset_key(l, a, ka), 0);
	assert_int_equal(migset_key(l, b, kb), 0);
	c = strcmp(ka, kb);
	return c < 0 ? -1 : c > 0;
}

/* Each tool's order, as the tool compares its versions. */
static void
test_keys(void **state)
{
	char k[MIG_KEY_MAX];

	(void)state;
	/* Flyway: part by part, numerically; trailing zeros do not count */
	assert_int_equal(cmp(MIG_LAYOUT_FLYWAY, "1.9", "1.10"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_FLYWAY, "1.0", "1"), 0);
	assert_int_equal(cmp(MIG_LAYOUT_FLYWAY, "1_1", "1.1"), 0);
	assert_int_equal(cmp(MIG_LAYOUT_FLYWAY, "001.1", "1.1"), 0);
	assert_int_equal(cmp(MIG_LAYOUT_FLYWAY, "1", "1.0.1"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_FLYWAY, "2.0.3", "10"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_FLYWAY, "2023.01.15",
	    "R__a"), -1);	/* repeatables after every version */
	assert_int_equal(cmp(MIG_LAYOUT_FLYWAY, "R__Answer",
	    "R__Greeting"), -1);
	assert_int_equal(migset_key(MIG_LAYOUT_FLYWAY, "1.", k), -1);
	assert_int_equal(migset_key(MIG_LAYOUT_FLYWAY, "1..2", k), -1);
	assert_int_equal(migset_key(MIG_LAYOUT_FLYWAY, "1.a", k), -1);
	/* goose and golang-migrate: numbers, padding or not */
	assert_int_equal(cmp(MIG_LAYOUT_GOOSE, "00009", "10"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_GOOSE, "00010", "10"), 0);
	assert_int_equal(cmp(MIG_LAYOUT_GOOSE, "20240103", "30000000"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_GOLANG, "99", "100"), -1);
	/* native: a bare date sorts as the date at 00:00:00 */
	assert_int_equal(cmp(MIG_LAYOUT_NATIVE, "20240103",
	    "20240102_235959"), 1);
	/* sql-migrate: the number, then the file name (sqlparse's byId) */
	assert_int_equal(cmp(MIG_LAYOUT_SQLMIGRATE, "9_a", "10_a"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_SQLMIGRATE, "8_add_aggregators",
	    "8_create_asset_stats_table"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_SQLMIGRATE, "08_x", "8_y"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_SQLMIGRATE, "8_a-b", "8_a"), -1);
	assert_int_equal(migset_key(MIG_LAYOUT_SQLMIGRATE, "x_1", k), -1);
	/* pop: strings, as popx compares them */
	assert_int_equal(cmp(MIG_LAYOUT_POP, "9", "10"), 1);
	/* dbmate: file names as strings */
	assert_int_equal(cmp(MIG_LAYOUT_DBMATE, "9", "10"), 1);
	assert_int_equal(cmp(MIG_LAYOUT_DBMATE, "20230102150405",
	    "20230102150406"), -1);
	/* node-pg-migrate: ms, a 17-digit UTC prefix converted to them */
	assert_int_equal(cmp(MIG_LAYOUT_NPGM, "20200513070724505",
	    "1589353644505"), 0);
	assert_int_equal(cmp(MIG_LAYOUT_NPGM, "20200513070724505",
	    "1700000000000"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_NPGM, "19700101000000001", "1"), 0);
	assert_int_equal(cmp(MIG_LAYOUT_NPGM, "9", "10"), -1);
	/* Prisma and Diesel: strings, as the tools sort folder names */
	assert_int_equal(cmp(MIG_LAYOUT_PRISMA, "09", "10"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_PRISMA, "19", "20230404095503"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_DIESEL, "202607301400000000",
	    "20261101000000"), -1);	/* crates.io's 2026-07-30-140000-0000 */
	/* Diesel's version as its folder spells it, dashes and all */
	assert_int_equal(cmp(MIG_LAYOUT_DIESEL, "2026-07-30-140000-0000",
	    "202607301400000000"), 0);
	assert_int_equal(cmp(MIG_LAYOUT_DIESEL, "2019-02-26-002946",
	    "20190226002946"), 0);
	assert_int_equal(migset_key(MIG_LAYOUT_DIESEL, "-2019", k), -1);
	assert_int_equal(migset_key(MIG_LAYOUT_DIESEL, "2019-", k), -1);
	assert_int_equal(migset_key(MIG_LAYOUT_DIESEL, "2019--02", k), -1);
	assert_int_equal(migset_key(MIG_LAYOUT_DIESEL, "2019-02_x", k), -1);
	assert_int_equal(migset_key(MIG_LAYOUT_PRISMA, "2019-02", k), -1);
	/* postgrator: numbers (JavaScript's Number()) */
	assert_int_equal(cmp(MIG_LAYOUT_POSTGRATOR, "9", "10"), -1);
	assert_int_equal(cmp(MIG_LAYOUT_POSTGRATOR, "001", "1"), 0);
	assert_int_equal(cmp(MIG_LAYOUT_NPGM, "20240101_120000",
	    "20240101_120001"), -1);
}

/* goose's annotations, read as goose reads them. */
static void
test_goose_annotations(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	/* any case, "--+goose" without a space */
	put("00001_a.sql", "--+goose up\nCREATE TABLE a (id int);\n"
	    "-- +goose DOWN\nDROP TABLE a;\n");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_GOOSE);
	assert_int_equal(migset_prepare(&s.v[0], &e), 0);
	assert_int_equal(migset_prepare_down(&s.v[0], &e), 0);
	assert_int_equal(s.v[0].up.tx, MIG_TX_ONE);
	assert_string_equal(s.v[0].down.stmts[0].sql, "DROP TABLE a");
	migset_release(&s);
	/* indented, unknown, ENVSUB ON, SQL before Up: refused, placed */
	put("00001_a.sql", "-- +goose Up\n  -- +goose StatementBegin\n");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "a goose annotation must not be indented");
	assert_int_equal(e.line, 2);
	put("00001_a.sql", "-- +goose Up\n-- +goose Sideways\n");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "unknown goose annotation");
	put("00001_a.sql", "-- +goose Up\n-- +goose ENVSUB ON\n");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_non_null(strstr(e.msg, "ENVSUB ON"));
	put("00001_a.sql", "CREATE TABLE a (id int);\n-- +goose Up\n");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "SQL before '-- +goose Up'");
	assert_int_equal(e.line, 1);
	/* goose versions start at 1 and need the '_' */
	put("00001_a.sql", "-- +goose Up\nSELECT 1;\n");
	put("0_zero.sql", "-- +goose Up\nSELECT 1;\n");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_non_null(strstr(e.msg, "versions start at 1"));
}

/* The statements of s->v[0]'s up script, parsed in windows of w bytes. */
static void
goose_parse(struct migset *s, size_t w, int rc, struct merr *e)
{
	merr_clear(e);
	assert_int_equal(migset_load(s, dir, e), 0);
	s->v[0].up.window = w;
	assert_int_equal(migset_prepare(&s->v[0], e), rc);
}

static const char goose_blocks[] =
    "-- +goose NO TRANSACTION\n"
    "-- +goose Up\n"
    "CREATE TABLE a (id int);\n"
    "SELECT 1\n"					/* 4: no ';' */
    "-- +goose StatementBegin\n"
    "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
    "BEGIN RETURN 1; END;\n"
    "$$;\n"
    "-- +goose StatementEnd\n"
    "INSERT INTO a VALUES (1);\n"			/* 10 */
    "-- +goose StatementBegin\n"
    "CREATE TABLE b (id int); CREATE INDEX b_id ON b (id)\n"
    "-- +goose StatementEnd\n"
    "-- +goose StatementBegin\n"
    "-- +goose StatementEnd\n"
    "DISCARD ALL;\n";				/* 16 */

/*
 * A StatementBegin block is one statement, whatever the window: the text
 * around blocks is split in windows as any file is, the same statements
 * at the same places come out, and a block's tree is kept only when a
 * statement in it is read later (lint, the objects a file creates).
 */
static void
test_goose_blocks(void **state)
{
	static const size_t windows[] = { 0, 1, 7, 40 };
	struct migset s, w;
	struct mig_script *sc;
	struct merr e;

	(void)state;
	put("00001_a.sql", goose_blocks);
	goose_parse(&s, 0, 0, &e);
	sc = &s.v[0].up;
	assert_int_equal(sc->nstmts, 6);
	assert_int_equal(sc->tx, MIG_TX_NONE);
	assert_string_equal(sc->stmts[1].sql, "SELECT 1\n");
	assert_int_equal(sc->stmts[2].line, 6);
	assert_string_equal(sc->stmts[2].sql, "CREATE FUNCTION f() RETURNS "
	    "int LANGUAGE plpgsql AS $$\nBEGIN RETURN 1; END;\n$$");
	assert_non_null(sc->stmts[2].tree);	/* migown reads it */
	assert_int_equal(sc->stmts[3].line, 10);
	assert_string_equal(sc->stmts[4].sql, "CREATE TABLE b (id int); "
	    "CREATE INDEX b_id ON b (id)\n");
	assert_non_null(sc->stmts[4].tree);	/* lint reads both */
	assert_int_equal(sc->stmts[5].line, 16);
	assert_int_equal(sc->stmts[5].kind, MIG_STMT_NOTX);
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		goose_parse(&w, windows[i], 0, &e);
		assert_int_equal(w.v[0].up.nstmts, sc->nstmts);
		for (size_t k = 0; k < sc->nstmts; k++) {
			assert_string_equal(w.v[0].up.stmts[k].sql,
			    sc->stmts[k].sql);
			assert_int_equal(w.v[0].up.stmts[k].line,
			    sc->stmts[k].line);
			assert_int_equal(w.v[0].up.stmts[k].col,
			    sc->stmts[k].col);
		}
		migset_release(&w);
	}
	migset_release(&s);
}

/*
 * The layouts' transaction rules hold in blocks: BEGIN or COMMIT
 * anywhere in a block of several statements is refused, DISCARD ALL
 * needs NO TRANSACTION.  A parse that fails gives the text back as it
 * was (statements' ends are NULs until then), so it fails the same way
 * again.
 */
static void
test_goose_block_rules(void **state)
{
	struct migset s;
	struct merr e;
	char *before;

	(void)state;
	put("00001_a.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n"
	    "-- +goose StatementBegin\nSELECT 1; COMMIT;\n"
	    "-- +goose StatementEnd\n");
	goose_parse(&s, 0, -1, &e);
	assert_string_equal(e.msg, "BEGIN or COMMIT inside a StatementBegin "
	    "block: put it on its own");
	assert_int_equal(e.line, 4);
	migset_release(&s);
	put("00001_a.sql", "-- +goose Up\nDISCARD ALL;\n");
	goose_parse(&s, 0, -1, &e);
	assert_non_null(strstr(e.msg, "cannot run inside a transaction"));
	assert_int_equal(e.line, 2);
	migset_release(&s);
	/* an error after blocks, in windows of 5 bytes */
	put("00001_a.sql", "-- +goose Up\nSELECT 0\n-- +goose StatementBegin\n"
	    "SELECT 1\n-- +goose StatementEnd\n-- +goose StatementBegin\n"
	    "SELECT 2;\n-- +goose StatementEnd\nSELECT 3;\nSELEC 4;\n");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_non_null(before = strdup(s.v[0].up.text));
	s.v[0].up.window = 5;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(migset_prepare(&s.v[0], &e), -1);
		assert_int_equal(e.line, 10);
		assert_string_equal(s.v[0].up.text, before);
		assert_int_equal(s.v[0].up.nstmts, 0);
	}
	free(before);
	migset_release(&s);
	/* white space of any kind before an annotation is an indent */
	put("00001_a.sql", "-- +goose Up\n\r-- +goose StatementBegin\n");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "a goose annotation must not be indented");
}

/* No Down section: no rollback; an empty one rolls back nothing. */
static void
test_goose_down_sections(void **state)
{
	struct migset s;
	struct merr e;
	char hint[256];

	(void)state;
	put("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n");
	put("00002_b.sql", "-- +goose Up\nCREATE TABLE b (id int);\n"
	    "-- +goose Down\n");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_null(s.v[0].down.path);
	migset_rollback_hint(&s, &s.v[0], hint, sizeof(hint));
	assert_string_equal(hint, "add a '-- +goose Down' section to "
	    "00001_a.sql");
	assert_non_null(s.v[1].down.path);
	assert_int_equal(migset_prepare_down(&s.v[1], &e), 0);
	assert_int_equal(s.v[1].down.nstmts, 0);
	migset_release(&s);
}

/* dbmate: options per section; the name follows any separator. */
static void
test_dbmate(void **state)
{
	struct migset s;
	struct merr e;

	(void)state;
	put("20230102150405_create.sql", "-- migrate:up\ncreate table t "
	    "(id int);\n-- migrate:down transaction:false\ndrop table t;\n");
	put("20230102150406-index.sql", "--migrate:up   transaction:false\n"
	    "create index concurrently t_i on t (id);\n-- migrate:down\n");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_DBMATE);
	assert_string_equal(s.v[1].name, "index");
	assert_int_equal(migset_prepare(&s.v[0], &e), 0);
	assert_int_equal(migset_prepare_down(&s.v[0], &e), 0);
	assert_int_equal(s.v[0].up.tx, MIG_TX_ONE);
	assert_int_equal(s.v[0].down.tx, MIG_TX_NONE);
	assert_int_equal(migset_prepare(&s.v[1], &e), 0);
	assert_int_equal(s.v[1].up.tx, MIG_TX_NONE);
	assert_non_null(migset_find(&s, "20230102150406"));
	migset_release(&s);
	/* "migrate:upgrade" is no marker; two up sections are refused */
	put("20230102150405_create.sql", "-- migrate:up\nselect 1;\n"
	    "-- migrate:down\n-- migrate:up\nselect 2;\n-- migrate:down\n");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_int_equal(e.line, 4);
	assert_non_null(strstr(e.msg, "a second '-- migrate:up'"));
}

/* Flyway: names, versions as recorded, U paired by version, .conf. */
static void
test_flyway(void **state)
{
	struct migset s;
	struct merr e;
	char hint[256];

	(void)state;
	put("V1__init.sql", "create table t (id int);\n");
	put("V1_1__more.sql", "alter table t add x int;\n");
	put("U1_1__fewer.sql", "alter table t drop x;\n");
	put("V1.10__ten.sql", "select 10;\n");
	put("V1.9__nine.sql", "select 9;\n");
	put("R__b_view.sql", "select 'b';\n");
	put("R__a_view.sql", "select 'a';\n");
	put("V1.9__nine.sql.conf", "# no transaction\n"
	    "executeInTransaction = false\n");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_FLYWAY);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.v[0].version, "1");
	assert_string_equal(s.v[1].version, "1.1");
	assert_string_equal(s.v[2].version, "1.9");
	assert_string_equal(s.v[3].version, "1.10");
	assert_string_equal(s.v[4].id, "R__a_view");
	assert_true(s.v[4].repeatable);
	assert_string_equal(s.v[5].id, "R__b_view");
	/* U pairs by version, whatever its description */
	assert_non_null(strstr(s.v[1].down.path, "U1_1__fewer.sql"));
	assert_ptr_equal(migset_find(&s, "1_1"), &s.v[1]);
	assert_ptr_equal(migset_find(&s, "1.1.0"), &s.v[1]);
	assert_int_equal(migset_prepare(&s.v[2], &e), 0);
	assert_int_equal(s.v[2].up.tx, MIG_TX_NONE);
	migset_rollback_hint(&s, &s.v[3], hint, sizeof(hint));
	assert_string_equal(hint, "write U1.10__ten.sql");
	migset_release(&s);
	/* what Flyway refuses */
	put("V1.9__nine.sql.conf", "encoding=UTF-8\n");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_non_null(strstr(e.msg, "unsupported script configuration "
	    "'encoding=UTF-8'"));
	assert_non_null(strstr(e.file, "V1.9__nine.sql.conf"));
	assert_int_equal(e.line, 1);
	assert_int_equal(e.col, 1);
	del("V1.9__nine.sql.conf");
	put("R1__x.sql", "select 1;\n");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_non_null(strstr(e.msg, "a repeatable migration has no "
	    "version"));
}

/* create: the next file in the folder's own layout. */
static void
test_create_layouts(void **state)
{
	time_t t = 1704294000;	/* 2024-01-03 15:00:00 UTC */
	struct migset s;
	struct merr e;
	char *p[3];

	(void)state;
	merr_clear(&e);
	put("0007_x.up.sql", "SELECT 1;");
	assert_int_equal(migset_create(dir, "add_y", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/0008_add_y.up.sql"));
	assert_non_null(strstr(p[1], "/0008_add_y.down.sql"));
	assert_null(p[2]);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_non_null(s.v[1].down.path);
	migset_release(&s);
	for (int i = 0; i < 2; i++) {
		unlink(p[i]);
		free(p[i]);
	}
	del("0007_x.up.sql");
	/* goose with timestamps: now; the file loads with its markers */
	put("20230102150405_x.sql", "-- +goose Up\nSELECT 1;\n");
	assert_int_equal(migset_create(dir, "add_y", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/20240103150000_add_y.sql"));
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_GOOSE);
	assert_non_null(s.v[1].down.path);
	migset_release(&s);
	unlink(p[0]);
	free(p[0]);
	del("20230102150405_x.sql");
	/* dbmate numbered 9: 10, no padding */
	put("9_x.sql", "-- migrate:up\n-- migrate:down\n");
	assert_int_equal(migset_create(dir, "add_y", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/10_add_y.sql"));
	unlink(p[0]);
	free(p[0]);
	del("9_x.sql");
	/* Flyway: the last part plus one, the folder's separator, U too */
	put("V1_9__x.sql", "select 1;");
	put("U1_9__x.sql", "select 1;");
	assert_int_equal(migset_create(dir, "add_y", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/V1_10__add_y.sql"));
	assert_non_null(strstr(p[1], "/U1_10__add_y.sql"));
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_string_equal(s.v[1].version, "1.10");
	migset_release(&s);
	for (int i = 0; i < 2; i++) {
		unlink(p[i]);
		free(p[i]);
	}
	del("V1_9__x.sql");
	del("U1_9__x.sql");
	/* node-pg-migrate in ms: now in ms, its markers, the same layout */
	put("1700000000000_x.sql", "-- Up Migration\n-- Down Migration\n");
	assert_int_equal(migset_create(dir, "add_y", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/1704294000000_add_y.sql"));
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_NPGM);
	assert_non_null(s.v[1].down.path);
	migset_release(&s);
	unlink(p[0]);
	free(p[0]);
	del("1700000000000_x.sql");
	/* postgrator: the do/undo pair, the folder's padding */
	put("009.do.x.sql", "SELECT 1;");
	assert_int_equal(migset_create(dir, "add_y", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/010.do.add_y.sql"));
	assert_non_null(strstr(p[1], "/010.undo.add_y.sql"));
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_POSTGRATOR);
	assert_string_equal(s.v[1].name, "add_y");
	assert_non_null(s.v[1].down.path);
	migset_release(&s);
	for (int i = 0; i < 2; i++)
		free(p[i]);
}

/*
 * A folder per migration: Prisma's NOW_name/migration.sql, Diesel's
 * YYYY-MM-DD-HHMMSS_name/ with up.sql and down.sql; after the newest,
 * as strings, when now is not later.
 */
static void
test_create_dirs(void **state)
{
	time_t t = 1704294000;	/* 2024-01-03 15:00:00 UTC */
	char sub[256], *p[3];
	struct migset s;
	struct merr e;

	(void)state;
	merr_clear(&e);
	snprintf(sub, sizeof(sub), "%s/19_add_tag", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put("19_add_tag/migration.sql", "SELECT 1;");
	assert_int_equal(migset_create(dir, "add_y", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/20240103150000_add_y/migration.sql"));
	assert_null(p[1]);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_PRISMA);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[1].id, "20240103150000_add_y");
	assert_string_equal(mig_script_file(&s.v[1].up),
	    "20240103150000_add_y/migration.sql");
	migset_release(&s);
	free(p[0]);
	/* created twice in one second: the next version, not the same */
	assert_int_equal(migset_create(dir, "add_z", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/20240103150001_add_z/migration.sql"));
	free(p[0]);
	/* after a newest of "9" (later than now, as strings): "91", not
	   "10", which would sort before it */
	snprintf(sub, sizeof(sub), "%s/9_x", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put("9_x/migration.sql", "SELECT 1;");
	assert_int_equal(migset_create(dir, "add_w", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/91_add_w/migration.sql"));
	free(p[0]);
	empty_dir();
	/* Diesel: its dashes, up.sql and down.sql; a later version kept */
	snprintf(sub, sizeof(sub), "%s/2026-07-30-140000-0000_x", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put("2026-07-30-140000-0000_x/up.sql", "SELECT 1;");
	assert_int_equal(migset_create(dir, "add_y", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/202607301400000001_add_y/up.sql"));
	assert_non_null(strstr(p[1], "/202607301400000001_add_y/down.sql"));
	free(p[0]);
	free(p[1]);
	empty_dir();
	snprintf(sub, sizeof(sub), "%s/2019-02-26-002946_x", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put("2019-02-26-002946_x/up.sql", "SELECT 1;");
	assert_int_equal(migset_create(dir, "add_y", t, p, &e), 0);
	assert_non_null(strstr(p[0], "/2024-01-03-150000_add_y/up.sql"));
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_DIESEL);
	assert_string_equal(s.v[1].version, "20240103150000");
	assert_non_null(s.v[1].down.path);
	migset_release(&s);
	free(p[0]);
	free(p[1]);
}

/*
 * pop (ory/x popx): a version's PostgreSQL file (postgres, or a synonym
 * pop knows) before its every-database file, other databases' and unknown
 * dialects' files skipped, .autocommit without a transaction, versions
 * compared as strings (popx's strings.Compare: 10 before 9).
 */
static void
test_pop(void **state)
{
	struct migset s;
	struct merr e;
	const char *order[] = { "1", "10", "2", "4", "9" };

	(void)state;
	put("1_a.up.sql", "ALTER TABLE t MODIFY x int;");
	put("1_a.postgres.up.sql", "ALTER TABLE t ALTER x TYPE int;");
	put("1_a.down.sql", "SELECT 1;");
	put("1_a.cockroach.down.sql", "SELECT 2;");
	put("2_b.pg.up.sql", "SELECT 2;");
	put("2_b.mysql.up.sql", "SELECT `x`;");
	put("3_c.mysql.up.sql", "SELECT `only mysql`;");
	put("3_c.sqlite3.up.sql", "SELECT 3;");
	put("3_c.down.sql", "SELECT 3;");	/* popx never runs it */
	put("4_d.autocommit.up.sql", "CREATE INDEX CONCURRENTLY i ON t (x);");
	put("5_e.oracle.up.sql", "SELECT 5;");
	put("9_g.up.sql", "SELECT 9;");
	put("10_f.up.sql", "SELECT 10;");
	merr_clear(&e);
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_POP);
	assert_string_equal(migset_layout_name(s.layout), "pop");
	assert_int_equal(s.n, 5);
	for (size_t i = 0; i < s.n; i++)
		assert_string_equal(s.v[i].version, order[i]);
	assert_non_null(strstr(s.v[0].up.path, "/1_a.postgres.up.sql"));
	assert_string_equal(s.v[0].name, "a");
	assert_string_equal(s.v[0].id, "1_a.postgres");
	assert_non_null(strstr(s.v[0].down.path, "/1_a.down.sql"));
	assert_non_null(strstr(s.v[2].up.path, "/2_b.pg.up.sql"));
	assert_int_equal(migset_prepare_all(&s, &e), 0);
	assert_int_equal(s.v[0].up.tx, MIG_TX_ONE);
	assert_int_equal(s.v[3].up.tx, MIG_TX_NONE);
	migset_release(&s);
	/* a name pop's pattern does not fit, once the folder is pop's */
	put("6_h.postgres.x.up.sql", "SELECT 6;");
	assert_int_equal(migset_load(&s, dir, &e), -1);
	assert_string_equal(e.msg, "'6_h.postgres.x.up.sql' is not a pop "
	    "migration name");
	del("6_h.postgres.x.up.sql");
	/* without a dialect anywhere it is golang-migrate's folder */
	del("1_a.postgres.up.sql");
	del("1_a.cockroach.down.sql");
	del("2_b.pg.up.sql");
	del("2_b.mysql.up.sql");
	del("3_c.mysql.up.sql");
	del("3_c.sqlite3.up.sql");
	del("3_c.down.sql");
	del("4_d.autocommit.up.sql");
	del("5_e.oracle.up.sql");
	assert_int_equal(migset_load(&s, dir, &e), 0);
	assert_int_equal(s.layout, MIG_LAYOUT_GOLANG);
	assert_int_equal(s.n, 3);
	migset_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test_setup_teardown(test_goose_annotations, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_goose_down_sections,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_goose_blocks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_goose_block_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dbmate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flyway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_layouts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_create_dirs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
