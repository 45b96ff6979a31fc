/*
 * test_model_sql.c - model SQL files (core/model_sql.c): what each
 * statement becomes, the SQL the planner makes of it (core/sqlobj.h), and
 * the errors, each with its file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "model.h"
#include "schema.h"
#include "sqlobj.h"

static const char TABLE_YAML[] = "table: t\nrow_level_security: forced\n"
    "columns:\n  id: { type: int, primary_key: true }\n  owner: text\n";

/* A models folder with t.yaml and objects.sql; loads it. */
static int
load(const char *sql, struct schema **out, struct merr *e)
{
	char dir[] = "/tmp/test_model_sql.XXXXXX", path[300];
	FILE *f;
	int rc;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(TABLE_YAML, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/objects.sql", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(sql, f);
	fclose(f);
	merr_clear(e);
	rc = model_load_dir(dir, out, e);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.yaml", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}

/* load() of the same files given as text (a pull's), out of order and
   beside a file that is no model. */
static int
load_texts(const char *sql, struct schema **out, struct merr *e)
{
	const struct model_text v[] = {
		{ "t.yaml", TABLE_YAML },
		{ "PULL_NOTES.md", "# not a model: {{ [\n" },
		{ "objects.sql", sql },
	};

	merr_clear(e);
	return model_load_texts(v, sizeof(v) / sizeof(*v), out, e);
}

static void
test_objects(void **state)
{
	static const char sql[] =
	    "-- the views\n"
	    "CREATE VIEW v AS SELECT id FROM t;\n"
	    "create or replace recursive view app.\"R v\" (n) as\n"
	    "  select 1 union all select n + 1 from \"R v\" where n < 3;\n"
	    "CREATE MATERIALIZED VIEW mv (a) WITH (fillfactor = 70) AS "
	    "SELECT id FROM t WITH NO DATA;\n"
	    "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql "
	    "AS $$ SELECT x; $$;\n"
	    "CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1';\n"
	    "SET search_path TO app, public;\n"
	    "CREATE TRIGGER tr BEFORE UPDATE ON public.t FOR EACH ROW "
	    "EXECUTE FUNCTION tf();\n"
	    "SET search_path TO DEFAULT;\n"
	    "CREATE POLICY own ON t AS RESTRICTIVE FOR UPDATE TO bob, PUBLIC "
	    "USING (owner = current_user AND (id > 0)) "
	    "WITH CHECK (owner <> 'x)');\n";
	struct schema *s;
	struct merr e;
	char *q;

	(void)state;
	assert_int_equal(load(sql, &s, &e), 0);
	assert_int_equal(s->nobjs, 7);
	assert_int_equal(s->tables[0].rls, 2);

	assert_int_equal(s->objs[0].kind, SCH_VIEW);
	assert_string_equal(s->objs[0].schema, "public");
	assert_string_equal(s->objs[0].deps[0], "public.t");
	assert_int_equal(s->objs[0].pos.line, 2);
	q = sqlobj_create_sql(&s->objs[0], 1);
	assert_string_equal(q, "CREATE OR REPLACE VIEW \"public\".\"v\" AS "
	    "SELECT id FROM t");
	free(q);
	q = sqlobj_temp_sql(&s->objs[0], "c0", 0);
	assert_string_equal(q, "CREATE TEMP VIEW pg_temp.c0 AS SELECT id "
	    "FROM t");
	free(q);

	assert_string_equal(s->objs[1].schema, "app");
	assert_string_equal(s->objs[1].name, "R v");
	q = sqlobj_create_sql(&s->objs[1], 0);
	assert_string_equal(q, "CREATE recursive view \"app\".\"R v\" (n) as\n"
	    "  select 1 union all select n + 1 from \"R v\" where n < 3");
	free(q);

	assert_int_equal(s->objs[2].kind, SCH_MATVIEW);
	q = sqlobj_temp_sql(&s->objs[2], "c2", 0);
	assert_string_equal(q, "CREATE TEMP VIEW pg_temp.c2 (a) AS  SELECT id "
	    "FROM t ");
	free(q);

	assert_int_equal(s->objs[3].kind, SCH_FUNCTION);
	q = sqlobj_temp_sql(&s->objs[3], "c3", 0);
	assert_string_equal(q, "CREATE FUNCTION pg_temp.c3(x int) RETURNS int "
	    "LANGUAGE sql AS $$ SELECT x; $$");
	free(q);
	assert_int_equal(s->objs[4].kind, SCH_PROCEDURE);
	assert_string_equal(s->objs[4].schema, "app");

	/* SET search_path: the trigger's function is app's */
	assert_int_equal(s->objs[5].kind, SCH_TRIGGER);
	assert_string_equal(s->objs[5].table, "t");
	assert_string_equal(s->objs[5].deps[0], "app.tf");
	assert_string_equal(s->objs[5].path, "\"app\", \"public\"");
	q = sqlobj_create_sql(&s->objs[5], 1);
	assert_string_equal(q, "CREATE OR REPLACE TRIGGER tr BEFORE UPDATE ON "
	    "public.t FOR EACH ROW EXECUTE FUNCTION tf()");
	free(q);

	assert_int_equal(s->objs[6].kind, SCH_POLICY);
	assert_null(s->objs[6].path);
	assert_int_equal(s->objs[6].cmd, 'w');
	assert_int_equal(s->objs[6].permissive, 0);
	assert_string_equal(s->objs[6].roles[0], "bob");
	assert_string_equal(s->objs[6].roles[1], "public");
	assert_string_equal(s->objs[6].qual,
	    "owner = current_user AND (id > 0)");
	assert_string_equal(s->objs[6].check, "owner <> 'x)'");
	schema_free(s);
}

/* A trigger as the model says it and as pg_get_triggerdef() prints it. */
static void
test_trigger_equal(void **state)
{
	struct schema *s;
	struct sch_object h;
	struct merr e;

	(void)state;
	assert_int_equal(load("CREATE TRIGGER tr BEFORE INSERT OR UPDATE OF "
	    "owner ON t FOR EACH ROW WHEN (NEW.id > 0) EXECUTE FUNCTION "
	    "tf('x', 1);\n", &s, &e), 0);
	memset(&h, 0, sizeof(h));
	h.enabled = 'O';
	h.def = "CREATE TRIGGER tr BEFORE INSERT OR UPDATE OF owner ON public.t "
	    "FOR EACH ROW WHEN ((new.id > 0)) EXECUTE FUNCTION tf('x', '1')";
	assert_int_equal(sqlobj_trigger_equal(&s->objs[0], &h), 1);
	h.def = "CREATE TRIGGER tr AFTER INSERT OR UPDATE OF owner ON public.t "
	    "FOR EACH ROW WHEN ((new.id > 0)) EXECUTE FUNCTION tf('x', '1')";
	assert_int_equal(sqlobj_trigger_equal(&s->objs[0], &h), 0);
	h.def = "CREATE TRIGGER tr BEFORE INSERT OR UPDATE OF owner ON public.t "
	    "FOR EACH ROW WHEN ((new.id > 1)) EXECUTE FUNCTION tf('x', '1')";
	assert_int_equal(sqlobj_trigger_equal(&s->objs[0], &h), 0);
	h.def = "CREATE TRIGGER tr BEFORE INSERT OR UPDATE OF owner ON public.t "
	    "FOR EACH ROW WHEN ((new.id > 0)) EXECUTE FUNCTION tf('x', '1')";
	h.enabled = 'D';
	assert_int_equal(sqlobj_trigger_equal(&s->objs[0], &h), 0);
	schema_free(s);
}

/* View queries as pg_get_viewdef() prints them. */
static void
test_viewdef_equal(void **state)
{
	static const char *const a = " SELECT q.id\n   FROM ( SELECT t.id\n"
	    "           FROM t\n        UNION ALL\n         SELECT NULL::integer"
	    "\n           FROM u) q;";
	static const char *const b = " SELECT q.id\n   FROM ( SELECT t.id\n"
	    "           FROM t\n        UNION ALL\n         SELECT NULL::integer"
	    " AS int4\n           FROM u) q;";

	(void)state;
	assert_int_equal(sqlobj_viewdef_equal(a, b), 1);
	/* the first arm's names are the view's columns */
	assert_int_equal(sqlobj_viewdef_equal("SELECT t.id FROM t;",
	    "SELECT t.id AS key FROM t;"), 0);
	assert_int_equal(sqlobj_viewdef_equal(a, " SELECT q.id FROM ( SELECT "
	    "t.id FROM t UNION ALL SELECT 0 FROM u) q;"), 0);
	assert_int_equal(sqlobj_viewdef_equal(NULL, a), 0);
}

static int
has(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

/* What a model object names, to tell whether it can be tried early. */
static void
test_mentions(void **state)
{
	struct schema *s;
	struct merr e;
	char **m = NULL;

	(void)state;
	assert_int_equal(load("CREATE VIEW v AS SELECT f(a)::mood FROM t;\n"
	    "CREATE FUNCTION g(x thing) RETURNS int LANGUAGE sql AS "
	    "$$ UPDATE w SET a = 1 RETURNING 1 $$;\n"
	    "CREATE FUNCTION p() RETURNS int LANGUAGE plpgsql AS "
	    "$$ DECLARE x Kind; BEGIN RETURN 1; END $$;\n", &s, &e), 0);
	assert_int_equal(sqlobj_mentions(&s->objs[0], &m), 0);
	assert_true(has(m, "t") && has(m, "f") && has(m, "mood"));
	assert_false(has(m, "v"));
	schema_strv_free(m);
	m = NULL;
	assert_int_equal(sqlobj_mentions(&s->objs[1], &m), 0);
	assert_true(has(m, "thing") && has(m, "w") && has(m, "int4"));
	schema_strv_free(m);
	m = NULL;
	assert_int_equal(sqlobj_mentions(&s->objs[2], &m), 0);
	assert_true(has(m, "kind"));
	schema_strv_free(m);
	schema_free(s);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *sql;
		int line, col;
		const char *msg;
	} cases[] = {
		{ "CREATE VIEW v AS SELECT 1;\nALTER TABLE t ADD x int;\n", 2, 1,
		  "ALTER TABLE is not a model object: a model SQL file holds "
		  "CREATE VIEW, CREATE MATERIALIZED VIEW, CREATE FUNCTION, "
		  "CREATE PROCEDURE, CREATE TRIGGER and CREATE POLICY "
		  "statements, and COMMENT ON one of the views, functions and "
		  "procedures; anything else belongs in a tier-2 migration" },
		{ "CREATE VIEW v AS SELECT 1;\n\nCOMMENT ON VIEW w IS 'x';\n",
		  3, 1, "COMMENT ON w: no model object of that kind and name is "
		  "written before it" },
		{ "CREATE VIEW v AS SELECT 1;\nCOMMENT ON VIEW v IS 'x';\n"
		  "COMMENT ON VIEW v IS 'y';\n", 3, 1,
		  "duplicate COMMENT ON 'v'" },
		{ "CREATE VIEW v AS SELECT 1;\nCOMMENT ON TABLE v IS 'x';\n", 2,
		  1, "COMMENT ON that kind of object is not a model object: a "
		  "model SQL file holds CREATE VIEW, CREATE MATERIALIZED VIEW, "
		  "CREATE FUNCTION, CREATE PROCEDURE, CREATE TRIGGER and CREATE "
		  "POLICY statements, and COMMENT ON one of the views, functions "
		  "and procedures; anything else belongs in a tier-2 migration" },
		{ "\n\n  CREATE VIEW v AS SELEC 1;\n", 3, 20,
		  "syntax error at or near \"SELEC\"" },
		{ "CREATE TEMP VIEW v AS SELECT 1;\n", 1, 1,
		  "view: a model view cannot be temporary or unlogged" },
		{ "CREATE TABLE x AS SELECT 1;\n", 1, 1,
		  "CREATE TABLE AS is not a model object: tables are YAML "
		  "models, data belongs in a tier-2 migration" },
		{ "CREATE TRIGGER tr BEFORE UPDATE ON nope FOR EACH ROW "
		  "EXECUTE FUNCTION f();\n", 1, 1,
		  "trigger 'tr' is on table 'public.nope' that no model "
		  "defines" },
		{ "CREATE POLICY p ON t USING (true);\n"
		  "-- again\nCREATE POLICY p ON t USING (false);\n", 3, 1,
		  "duplicate policy 'p' on 'public.t'" },
		{ "CREATE POLICY p ON t TO CURRENT_USER USING (true);\n", 1, 1,
		  "policy 'p': name its roles (CURRENT_USER and SESSION_USER "
		  "depend on who applies the models)" },
		{ "CREATE VIEW t AS SELECT 1;\n", 1, 1,
		  "duplicate relation (table, index or key) name 't'" },
		{ "SET search_path TO '';\n", 1, 1,
		  "SET search_path: name the schemas, e.g. SET search_path TO "
		  "app, public" },
		{ "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1", 1, 36,
		  "unterminated dollar-quoted string at or near \"$$ SELECT 1\"" },
	};
	struct schema *s;
	struct merr e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		for (int mem = 0; mem < 2; mem++) {
			assert_int_equal(mem ? load_texts(cases[i].sql, &s,
			    &e) : load(cases[i].sql, &s, &e), -1);
			assert_null(s);
			assert_int_equal(e.code, MERR_INPUT);
			assert_string_equal(e.msg, cases[i].msg);
			assert_int_equal(e.line, cases[i].line);
			assert_int_equal(e.col, cases[i].col);
			assert_non_null(strstr(e.file, "objects.sql"));
		}
	}
}

/*
 * Files given as text load as the same files in a folder do (a pull is
 * checked so before it is written: core/pull.c); a YAML model's error
 * names it, with line and column.
 */
static void
test_load_texts(void **state)
{
	static const char sql[] = "CREATE VIEW v AS SELECT id FROM t;\n"
	    "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql "
	    "AS $$ SELECT x; $$;\n";
	const struct model_text bad[] = {
		{ "t.yaml", "table: t\ncolumns:\n  id: { type: int, "
		    "primary_key: true }\n  owner: { type: text, nul: true }\n" },
	};
	const struct model_text two[] = {
		{ "b.yaml", "\ntabel: b\n" },
		{ "a.yaml", "tabel: a\n" },
	};
	struct schema *a, *b;
	struct merr e;
	char *qa, *qb;

	(void)state;
	assert_int_equal(load(sql, &a, &e), 0);
	assert_int_equal(load_texts(sql, &b, &e), 0);
	assert_int_equal(b->ntables, 1);
	assert_string_equal(b->tables[0].name, "t");
	assert_int_equal(b->tables[0].rls, a->tables[0].rls);
	assert_int_equal(b->nobjs, 2);
	assert_int_equal(b->nobjs, a->nobjs);
	for (size_t i = 0; i < b->nobjs; i++) {
		qa = sqlobj_create_sql(&a->objs[i], 1);
		qb = sqlobj_create_sql(&b->objs[i], 1);
		assert_string_equal(qb, qa);
		assert_int_equal(b->objs[i].pos.line, a->objs[i].pos.line);
		free(qa);
		free(qb);
	}
	schema_free(a);
	schema_free(b);

	merr_clear(&e);
	assert_int_equal(model_load_texts(bad, 1, &b, &e), -1);
	assert_null(b);
	assert_int_equal(e.code, MERR_INPUT);
	assert_string_equal(e.file, "t.yaml");
	assert_int_equal(e.line, 4);
	assert_true(e.col > 0);

	/* in the order of their names, as a folder's: a.yaml's error */
	merr_clear(&e);
	assert_int_equal(model_load_texts(two, 2, &b, &e), -1);
	assert_string_equal(e.file, "a.yaml");
	assert_int_equal(e.line, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_trigger_equal),
		cmocka_unit_test(test_viewdef_equal),
		cmocka_unit_test(test_mentions),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
