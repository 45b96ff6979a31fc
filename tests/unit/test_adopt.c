/*
 * test_adopt.c - the version mapping of adopt.c, without a database: how
 * another tool's versions compare with the folder's (golang-migrate's
 * numbers, goose's and dbmate's timestamps, Flyway's dotted versions), and
 * which folder versions a history makes applied.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "adopt.h"
#include "migset.h"

static int
vcmp(const char *a, const char *b)
{
	int cmp = 99;

	if (adopt_vcmp(a, b, &cmp) == -1)
		return -99;
	return cmp;
}

/* A tool's table: its name and exactly its columns, in any order. */
static void
test_table_tool(void **state)
{
	const char *golang[] = { "dirty", "version" };
	const char *dbmate[] = { "version" };
	const char *more[] = { "version", "dirty", "note" };
	const char *popx[] = { "version_self", "version" };
	const char *gorp[] = { "applied_at", "id" };
	const char *npgm[] = { "id", "name", "run_on" };
	const char *drizzle[] = { "created_at", "hash", "id" };
	const char *pgrator[] = { "version", "name", "md5", "run_at" };
	const char *sqlx[] = { "version", "description", "installed_on",
	    "success", "checksum", "execution_time" };
	const char *atlas[] = { "version", "description", "type", "applied",
	    "total", "executed_at", "execution_time", "error", "error_stmt",
	    "hash", "partial_hashes", "operator_version" };
	const char *goose[] = { "tstamp", "is_applied", "version_id", "id" };
	const char *flyway[] = { "installed_rank", "version", "description",
	    "type", "script", "checksum", "installed_by", "installed_on",
	    "execution_time", "success" };

	(void)state;
	assert_int_equal(adopt_table_tool("schema_migrations", golang, 2),
	    ADOPT_GOLANG);
	assert_int_equal(adopt_table_tool("schema_migrations", dbmate, 1),
	    ADOPT_DBMATE);
	assert_int_equal(adopt_table_tool("goose_db_version", goose, 4),
	    ADOPT_GOOSE);
	assert_int_equal(adopt_table_tool("flyway_schema_history", flyway,
	    10), ADOPT_FLYWAY);
	/* popx's, and the older pop's (a version only) */
	assert_int_equal(adopt_table_tool("schema_migration", popx, 2),
	    ADOPT_POP);
	assert_int_equal(adopt_table_tool("schema_migration", dbmate, 1),
	    ADOPT_POP);
	assert_int_equal(adopt_table_tool("schema_migration", golang, 2),
	    ADOPT_NONE);
	/* sql-migrate's, as gorp makes it */
	assert_int_equal(adopt_table_tool("gorp_migrations", gorp, 2),
	    ADOPT_SQLMIGRATE);
	/* Atlas's, all twelve columns */
	assert_int_equal(adopt_table_tool("atlas_schema_revisions", atlas,
	    12), ADOPT_ATLAS);
	assert_int_equal(adopt_table_tool("atlas_schema_revisions", atlas,
	    11), ADOPT_NONE);
	/* SQLx's */
	assert_int_equal(adopt_table_tool("_sqlx_migrations", sqlx, 6),
	    ADOPT_SQLX);
	/* node-pg-migrate's */
	assert_int_equal(adopt_table_tool("pgmigrations", npgm, 3),
	    ADOPT_NPGM);
	assert_int_equal(adopt_table_tool("pgmigrations", npgm, 2),
	    ADOPT_NONE);
	/* Drizzle's (the Supabase CLI's is known by its schema) */
	assert_int_equal(adopt_table_tool("__drizzle_migrations", drizzle, 3),
	    ADOPT_DRIZZLE);
	assert_int_equal(adopt_table_tool("schema_migrations", npgm, 3),
	    ADOPT_NONE);
	/* postgrator's, and its 2.x's (no run_at) */
	assert_int_equal(adopt_table_tool("schemaversion", pgrator, 4),
	    ADOPT_POSTGRATOR);
	assert_int_equal(adopt_table_tool("schemaversion", pgrator, 3),
	    ADOPT_POSTGRATOR);
	/* tern's */
	assert_int_equal(adopt_table_tool("schema_version", dbmate, 1),
	    ADOPT_TERN);
	assert_int_equal(adopt_table_tool("schema_version", flyway, 10),
	    ADOPT_NONE);
	/* one column more, one less, or another name: no tool's */
	assert_int_equal(adopt_table_tool("schema_migrations", more, 3),
	    ADOPT_NONE);
	assert_int_equal(adopt_table_tool("goose_db_version", goose, 3),
	    ADOPT_NONE);
	assert_int_equal(adopt_table_tool("flyway_schema_history", flyway,
	    9), ADOPT_NONE);
	assert_int_equal(adopt_table_tool("versions", golang, 2), ADOPT_NONE);
	assert_int_equal(adopt_table_tool("goose_db_version", golang, 2),
	    ADOPT_NONE);
}

/*
 * Flyway's checksum.  The expected values were computed by Java itself
 * (java.io.BufferedReader.readLine and java.util.zip.CRC32, as Flyway's
 * ChecksumCalculator uses them, the BOM dropped as BomFilter does).
 */
static void
test_flyway_checksum(void **state)
{
	static const char answer[] =
	    "create or replace function ANSWER() returns int\n"
	    "language sql immutable as $$ select 42 $$;\n";

	(void)state;
#define CK(s) adopt_flyway_checksum(s, sizeof(s) - 1)
	assert_int_equal(CK("select 1;\n"), -690524359);
	/* line endings and a BOM do not count */
	assert_int_equal(CK("select 1;\r\n"), -690524359);
	assert_int_equal(CK("\xEF\xBB\xBFselect 1;\n"), -690524359);
	assert_int_equal(CK("select 1;"), -690524359);
	assert_int_equal(CK("select 1;\n\nselect 2;"), -593479011);
	assert_int_equal(CK("select 1;\rselect 2;\r\n\r\n"), -593479011);
	assert_int_equal(CK(""), 0);
	/* the bytes of each line, UTF-8 as they are */
	assert_int_equal(CK("select 'caf\xC3\xA9';\n"), 502883024);
	/* tests/golden/folder/flyway/migrations/R__Answer_function.sql */
	assert_int_equal(CK(answer), -691993729);
#undef CK
}

static void
test_vcmp(void **state)
{
	(void)state;
	/* golang-migrate's bigint against the file's zero-padded number */
	assert_int_equal(vcmp("0008", "8"), 0);
	assert_int_equal(vcmp("0008", "9"), -1);
	assert_int_equal(vcmp("10", "9"), 1);
	/* goose/dbmate timestamps against native YYYYMMDD_HHMMSS */
	assert_int_equal(vcmp("20240101_120000", "20240101120000"), 0);
	assert_int_equal(vcmp("20230102150405", "20230103110000"), -1);
	assert_int_equal(vcmp("20230102150405", "5"), 1);
	/* pop's 20 digits, past 64 bits */
	assert_int_equal(vcmp("20251105000000000004", "20251105000000000004"),
	    0);
	assert_int_equal(vcmp("20251105000000000004", "020251105000000000004"),
	    0);
	assert_int_equal(vcmp("20251105000000000003", "20251105000000000004"),
	    -1);
	assert_int_equal(vcmp("20251105000000000004", "20251105000000"), 1);
	assert_int_equal(vcmp("99999999999999999999", "100000000000000000000"),
	    -1);
	/* Flyway: dots or underscores, trailing zero parts, part by part */
	assert_int_equal(vcmp("1.1", "1_1"), 0);
	assert_int_equal(vcmp("1.0", "1"), 0);
	assert_int_equal(vcmp("1.0.0", "1"), 0);
	assert_int_equal(vcmp("1.1", "1"), 1);
	assert_int_equal(vcmp("1.1", "2"), -1);
	assert_int_equal(vcmp("1.10", "1.9"), 1);
	assert_int_equal(vcmp("2.0.1", "2"), 1);
	/* not versions */
	assert_int_equal(vcmp("abc", "1"), -99);
	assert_int_equal(vcmp("1..2", "1"), -99);
	assert_int_equal(vcmp("", "1"), -99);
	assert_int_equal(vcmp("1.x", "1"), -99);
	assert_int_equal(vcmp("1.", "1"), -99);
}

static void
test_tools(void **state)
{
	(void)state;
	assert_int_equal(adopt_tool_from_name("golang-migrate"), ADOPT_GOLANG);
	assert_int_equal(adopt_tool_from_name("migrate"), ADOPT_GOLANG);
	assert_int_equal(adopt_tool_from_name("Flyway"), ADOPT_FLYWAY);
	assert_int_equal(adopt_tool_from_name("goose"), ADOPT_GOOSE);
	assert_int_equal(adopt_tool_from_name("dbmate"), ADOPT_DBMATE);
	assert_int_equal(adopt_tool_from_name("node-pg-migrate"), ADOPT_NPGM);
	assert_int_equal(adopt_tool_from_name("Supabase"), ADOPT_SUPABASE);
	assert_int_equal(adopt_tool_from_name("drizzle"), ADOPT_DRIZZLE);
	assert_int_equal(adopt_tool_from_name("postgrator"), ADOPT_POSTGRATOR);
	assert_int_equal(adopt_tool_from_name("pop"), ADOPT_POP);
	assert_int_equal(adopt_tool_from_name("sql-migrate"), ADOPT_SQLMIGRATE);
	assert_int_equal(adopt_tool_from_name("tern"), ADOPT_TERN);
	assert_int_equal(adopt_tool_from_name("Atlas"), ADOPT_ATLAS);
	assert_int_equal(adopt_tool_from_name("sqlx"), ADOPT_SQLX);
	assert_int_equal(adopt_tool_from_name("liquibase"), ADOPT_NONE);
	assert_int_equal(adopt_tool_from_name(NULL), ADOPT_NONE);
	assert_string_equal(adopt_tool_name(ADOPT_GOLANG), "golang-migrate");
}

/* A folder of these versions (only what adopt_map reads). */
static void
folder(struct migset *s, struct migration *v, const char *const *vers,
    size_t n)
{
	memset(s, 0, sizeof(*s));
	memset(v, 0, n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		snprintf(v[i].version, sizeof(v[i].version), "%s", vers[i]);
	s->v = v;
	s->n = n;
}

/* "v v v | u u": the applied folder versions, then the unknown ones. */
static void
check_map(const struct migset *s, struct adopt_hist *h, const char *want)
{
	struct adopt_map m;
	struct merr e;
	char got[256] = "";

	assert_int_equal(adopt_map(s, h, &m, &e), 0);
	for (size_t i = 0; i < m.napplied; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
		    i ? " " : "", m.applied[i]->version);
	strcat(got, " |");
	for (size_t i = 0; i < m.nunknown; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %s",
		    m.unknown[i]);
	assert_string_equal(got, want);
	adopt_map_release(&m);
}

static void
test_map(void **state)
{
	static const char *const golang[] = { "0001", "0002", "0003", "0004" };
	static const char *const flyway[] = { "1", "1.1", "2", "3" };
	char *set3[] = { (char *)"2", (char *)"4", (char *)"7" };
	char *set2[] = { (char *)"2.0" };
	struct migration v[4];
	struct migset s;
	struct adopt_hist h;

	(void)state;
	folder(&s, v, golang, 4);
	/* golang-migrate: everything up to its version */
	memset(&h, 0, sizeof(h));
	h.upto = (char *)"3";
	h.upto_is_file = 1;
	check_map(&s, &h, "0001 0002 0003 |");
	h.upto = (char *)"9";	/* a version the folder does not have */
	check_map(&s, &h, "0001 0002 0003 0004 | 9");
	/* goose / dbmate: a set */
	memset(&h, 0, sizeof(h));
	h.versions = set3;
	h.n = 3;
	check_map(&s, &h, "0002 0004 | 7");
	/* Flyway: a baseline (not a file) and dotted versions */
	folder(&s, v, flyway, 4);
	memset(&h, 0, sizeof(h));
	h.upto = (char *)"1.1";
	h.versions = set2;
	h.n = 1;
	check_map(&s, &h, "1 1.1 2 |");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcmp),
		cmocka_unit_test(test_tools),
		cmocka_unit_test(test_table_tool),
		cmocka_unit_test(test_flyway_checksum),
		cmocka_unit_test(test_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
