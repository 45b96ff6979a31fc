/*
 * test_pull.c - core/pull_prep.c and core/pull_yaml.c without a database:
 * a catalog snapshot (of tests/integration/20_pull.sh's schema, as
 * catalog_load() read it) is shaped, written as model files, loaded back
 * with the model loader and planned against the same snapshot: no change.
 * Facts of pull_scan() remove what the format cannot say, with notes.
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
#include "plan.h"
#include "pull.h"
#include "snapshot.h"

static const char live_json[] =
    "{\"snapshot\":1,\"schemas\":[\"billing\",\"public\"],\"enums\":[{\"s"
    "chema\":\"billing\",\"name\":\"state\",\"labels\":[\"new\",\"paid\"]"
    "},{\"schema\":\"public\",\"name\":\"mood\",\"labels\":[\"sad\",\"ok\""
    ",\"happy\"]}],\"tables\":[{\"schema\":\"public\",\"name\":\"users\","
    "\"comment\":\"accounts\",\"columns\":[{\"name\":\"id\",\"type\":\"bi"
    "gint\",\"not_null\":true,\"identity\":\"by default\",\"num\":1},{\"n"
    "ame\":\"email\",\"type\":\"character varying(254)\",\"not_null\":tru"
    "e,\"comment\":\"login, unique\",\"num\":2},{\"name\":\"name\",\"type"
    "\":\"text\",\"num\":3},{\"name\":\"status\",\"type\":\"character var"
    "ying(20)\",\"not_null\":true,\"default\":\"'active'::character varyi"
    "ng\",\"num\":4},{\"name\":\"mood\",\"type\":\"public.mood\",\"enum\""
    ":true,\"default\":\"'ok'::mood\",\"num\":5},{\"name\":\"moods\",\"ty"
    "pe\":\"public.mood[]\",\"enum\":true,\"default\":\"'{}'::mood[]\",\""
    "num\":6},{\"name\":\"score\",\"type\":\"numeric(10,2)\",\"default\":"
    "\"0\",\"num\":7},{\"name\":\"balance\",\"type\":\"integer\",\"defaul"
    "t\":\"'-1'::integer\",\"num\":8},{\"name\":\"created_at\",\"type\":\""
    "timestamp with time zone\",\"not_null\":true,\"default\":\"now()\",\""
    "num\":9},{\"name\":\"seen_at\",\"type\":\"timestamp(3) without time "
    "zone\",\"num\":10},{\"name\":\"tags\",\"type\":\"text[]\",\"not_null"
    "\":true,\"default\":\"'{}'::text[]\",\"num\":11},{\"name\":\"prefs\""
    ",\"type\":\"jsonb\",\"not_null\":true,\"default\":\"'{\\\"a\\\": 1}'"
    "::jsonb\",\"num\":12},{\"name\":\"uid\",\"type\":\"uuid\",\"default\""
    ":\"gen_random_uuid()\",\"num\":13},{\"name\":\"flag\",\"type\":\"boo"
    "lean\",\"not_null\":true,\"default\":\"false\",\"num\":14},{\"name\""
    ":\"ratio\",\"type\":\"double precision\",\"num\":15},{\"name\":\"cod"
    "e\",\"type\":\"character(2)\",\"num\":16},{\"name\":\"note\",\"type\""
    ":\"character varying\",\"num\":17},{\"name\":\"Camel\",\"type\":\"te"
    "xt\",\"num\":18},{\"name\":\"during\",\"type\":\"interval\",\"defaul"
    "t\":\"'01:30:00'::interval\",\"num\":19}],\"constraints\":[{\"kind\""
    ":\"unique\",\"name\":\"users_email_key\",\"columns\":[\"email\"]},{\""
    "kind\":\"check\",\"name\":\"users_name_check\",\"columns\":[\"name\""
    "],\"expr\":\"(char_length(name) >= 3)\"},{\"kind\":\"primary key\",\""
    "name\":\"users_pkey\",\"columns\":[\"id\"]}],\"indexes\":[{\"name\":"
    "\"users_Camel_idx\",\"method\":\"btree\",\"keys\":[\"Camel\"]},{\"na"
    "me\":\"users_code_nnd\",\"unique\":true,\"method\":\"btree\",\"keys\""
    ":[\"code\"],\"nulls_not_distinct\":true},{\"name\":\"users_created_a"
    "t_name_idx\",\"method\":\"btree\",\"keys\":[\"created_at\",\"name\"]"
    ",\"options\":[\"DESC NULLS LAST\",\"COLLATE \\\"C\\\"\"]},{\"name\":"
    "\"users_lower_email\",\"method\":\"btree\",\"keys\":[\"lower(email::"
    "text)\"],\"options\":[\"text_pattern_ops\"]},{\"name\":\"users_name_"
    "live\",\"unique\":true,\"method\":\"btree\",\"keys\":[\"name\"],\"in"
    "clude\":[\"email\"],\"where\":\"((status)::text <> 'gone'::text)\"},"
    "{\"name\":\"users_tags_idx\",\"method\":\"gin\",\"keys\":[\"tags\"]}"
    "]},{\"schema\":\"billing\",\"name\":\"invoices\",\"columns\":[{\"nam"
    "e\":\"id\",\"type\":\"integer\",\"not_null\":true,\"identity\":\"alw"
    "ays\",\"num\":1},{\"name\":\"region\",\"type\":\"integer\",\"not_nul"
    "l\":true,\"num\":2},{\"name\":\"user_id\",\"type\":\"bigint\",\"not_"
    "null\":true,\"num\":3},{\"name\":\"state\",\"type\":\"billing.state\""
    ",\"enum\":true,\"not_null\":true,\"default\":\"'new'::billing.state\""
    ",\"num\":4},{\"name\":\"total\",\"type\":\"numeric(12,2)\",\"not_nul"
    "l\":true,\"num\":5},{\"name\":\"owner_email\",\"type\":\"character v"
    "arying(254)\",\"num\":6}],\"constraints\":[{\"kind\":\"check\",\"nam"
    "e\":\"invoices_check\",\"columns\":[\"region\",\"total\"],\"expr\":\""
    "((region > 0) AND (total >= (0)::numeric))\"},{\"kind\":\"foreign ke"
    "y\",\"name\":\"invoices_owner_fk\",\"columns\":[\"owner_email\"],\"r"
    "ef_schema\":\"public\",\"ref_table\":\"users\",\"ref_columns\":[\"em"
    "ail\"],\"deferrable\":true,\"initially_deferred\":true,\"match\":\"f"
    "ull\"},{\"kind\":\"primary key\",\"name\":\"invoices_pk\",\"columns\""
    ":[\"id\",\"region\"]},{\"kind\":\"check\",\"name\":\"invoices_positi"
    "ve\",\"columns\":[\"total\"],\"expr\":\"(total < (1000000)::numeric)"
    "\"},{\"kind\":\"check\",\"name\":\"invoices_total_check\",\"columns\""
    ":[\"total\"],\"expr\":\"(total >= (0)::numeric)\"},{\"kind\":\"forei"
    "gn key\",\"name\":\"invoices_user_id_fkey\",\"columns\":[\"user_id\""
    "],\"ref_schema\":\"public\",\"ref_table\":\"users\",\"ref_columns\":"
    "[\"id\"],\"on_delete\":\"cascade\"},{\"kind\":\"unique\",\"name\":\""
    "invoices_user_id_region_total_key\",\"columns\":[\"user_id\",\"regio"
    "n\"],\"include\":[\"total\"]}]},{\"schema\":\"billing\",\"name\":\"l"
    "ines\",\"columns\":[{\"name\":\"invoice_id\",\"type\":\"integer\",\""
    "not_null\":true,\"num\":1},{\"name\":\"region\",\"type\":\"integer\""
    ",\"not_null\":true,\"num\":2},{\"name\":\"n\",\"type\":\"integer\",\""
    "not_null\":true,\"num\":3}],\"constraints\":[{\"kind\":\"unique\",\""
    "name\":\"lines_invoice_id_n_key\",\"columns\":[\"invoice_id\",\"n\"]"
    ",\"deferrable\":true,\"nulls_not_distinct\":true},{\"kind\":\"foreig"
    "n key\",\"name\":\"lines_invoice_id_region_fkey\",\"columns\":[\"inv"
    "oice_id\",\"region\"],\"ref_schema\":\"billing\",\"ref_table\":\"inv"
    "oices\",\"ref_columns\":[\"id\",\"region\"],\"on_update\":\"cascade\""
    "},{\"kind\":\"primary key\",\"name\":\"lines_pkey\",\"columns\":[\"i"
    "nvoice_id\",\"region\",\"n\"]}]}]}";

static struct schema *
live(void)
{
	struct schema *s;
	struct merr e;

	merr_clear(&e);
	if (snapshot_parse("live.json", live_json, &s, &e) == -1)
		fail_msg("snapshot: %s (%s)", e.msg, e.field);
	return s;
}

static void
write_text(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* Every file pull would write for s (prepared) into a new folder. */
static char *
write_models(const struct schema *s)
{
	char *dir = strdup("/tmp/test_pull.XXXXXX"), *text, name[300];
	struct merr e;

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	merr_clear(&e);
	for (size_t i = 0; s->schemas && s->schemas[i]; i++) {
		assert_int_equal(pull_yaml_enums(s, s->schemas[i], &text, &e),
		    0);
		snprintf(name, sizeof(name), "%s._enums.yaml", s->schemas[i]);
		write_text(dir, name, text);
		free(text);
		assert_int_equal(pull_yaml_domains(s, s->schemas[i], &text,
		    &e), 0);
		snprintf(name, sizeof(name), "%s._domains.yaml", s->schemas[i]);
		write_text(dir, name, text);
		free(text);
		assert_int_equal(pull_yaml_sequences(s, s->schemas[i], &text,
		    &e), 0);
		snprintf(name, sizeof(name), "%s._sequences.yaml",
		    s->schemas[i]);
		write_text(dir, name, text);
		free(text);
	}
	if (s->nexts) {
		assert_int_equal(pull_yaml_extensions(s, &text, &e), 0);
		write_text(dir, "_extensions.yaml", text);
		free(text);
	}
	for (size_t i = 0; i < s->ntables; i++) {
		assert_int_equal(pull_yaml_table(s, &s->tables[i], &text, &e),
		    0);
		snprintf(name, sizeof(name), "%s.%s.yaml", s->tables[i].schema,
		    s->tables[i].name);
		write_text(dir, name, text);
		free(text);
	}
	return dir;
}

static void
remove_models(char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static const char *
file_text(const char *dir, const char *name)
{
	static char buf[8192];
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
contains(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("'%s' not in:\n%s", want, text);
}

/* pull -> load -> plan against the same database: nothing to do */
static void
test_round_trip(void **state)
{
	struct schema *s = live(), *back, *orig = live();
	struct pull_notes notes = { NULL, 0, 0 };
	struct plan_opts o = { 0 };
	struct plan *p;
	struct merr e;
	char *dir, *text;

	(void)state;
	merr_clear(&e);
	assert_int_equal(pull_prep(s, NULL, NULL, &notes, &e), 0);
	assert_int_equal(notes.n, 0);
	dir = write_models(s);
	if (model_load_dir(dir, &back, &e) == -1)
		fail_msg("%s:%d:%d: %s", e.file, e.line, e.col, e.msg);
	assert_int_equal(plan_compute(back, orig, &o, &p, &e), 0);
	if (p->n) {
		assert_int_equal(plan_format_text(p, &text, &e), 0);
		fail_msg("plan not empty:\n%s", text);
	}
	/* the style a person writes */
	text = strdup(file_text(dir, "public.users.yaml"));
	contains(text, "email: {type: varchar(254), not_null: true, "
	    "unique: true, comment: 'login, unique'}");
	contains(text, "status: {type: varchar(20), not_null: true, "
	    "default: \"'active'\"}");
	contains(text, "balance: {type: integer, default: -1}");
	contains(text, "seen_at: timestamp(3)");
	contains(text, "{columns: [{column: created_at, order: desc, nulls: "
	    "last}, {column: name, collation: C}]}");
	contains(text, "{expression: 'lower(email::text)', opclass: "
	    "text_pattern_ops}");
	contains(text, "where: \"(status)::text <> 'gone'::text\"");
	contains(text, "- [Camel]");
	free(text);
	contains(file_text(dir, "billing.invoices.yaml"), "primary_key: "
	    "{name: invoices_pk, columns: [id, region]}");
	contains(file_text(dir, "billing.invoices.yaml"),
	    "state: {type: state, not_null: true, default: \"'new'\"}");
	contains(file_text(dir, "billing.invoices.yaml"),
	    "- (region > 0) AND (total >= (0)::numeric)");
	contains(file_text(dir, "billing.lines.yaml"), "primary_key: "
	    "[invoice_id, region, n]");
	plan_free(p);
	remove_models(dir);
	schema_free(back);
	schema_free(orig);
	schema_free(s);
	for (size_t i = 0; i < notes.n; i++) {
		free(notes.v[i].kind);
		free(notes.v[i].name);
		free(notes.v[i].detail);
	}
	free(notes.v);
}

static int
noted(const struct pull_notes *ns, const char *kind, const char *name,
    const char *detail)
{
	for (size_t i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i].kind, kind) &&
		    !strcmp(ns->v[i].name, name) && (detail == NULL ||
		    (ns->v[i].detail && strstr(ns->v[i].detail, detail))))
			return 1;
	return 0;
}

/* What the format cannot say is removed, with what depends on it. */
static void
test_facts(void **state)
{
	struct schema *s = live(), *back;
	struct pull_facts f = { NULL, 0, 0 };
	struct pull_result r;
	struct pull_opts o = { .own_schema = "public", .own_tables = {
	    "schema_migrations", "migrated_audit", NULL } };
	struct sch_table *own;
	const struct sch_table *t;
	struct merr e;
	char *dir;

	(void)state;
	merr_clear(&e);
	pull_result_init(&r);
	/* a collation the models cannot create; a generated column that
	   calls a function they cannot create */
	assert_int_equal(pull_facts_add(&f, PULL_F_COLLATION, "public",
	    "users", "balance", "public.mycoll"), 0);
	assert_non_null(schema_find_column(&s->tables[0], "ratio")->generated =
	    strdup("(score * 2)"));
	assert_int_equal(pull_facts_add(&f, PULL_F_USES, "public", "users",
	    "default ratio", "function h()"), 0);
	assert_int_equal(pull_facts_add(&f, PULL_F_USES, "public", "users",
	    "index users_lower_email", "function f(text)"), 0);
	assert_int_equal(pull_facts_add(&f, PULL_F_USES, "public", "users",
	    "default uid", "function g()"), 0);
	assert_int_equal(pull_facts_add(&f, PULL_F_PARTITIONED, "billing",
	    "invoices", NULL, "PARTITION BY HASH (id)"), 0);
	assert_int_equal(pull_facts_add(&f, "view", "public", "v", NULL,
	    "not written"), 0);
	/* a type the format does not know: the column, and its index */
	free(s->tables[0].cols[15].type);	/* users.code */
	assert_non_null(s->tables[0].cols[15].type = strdup("box"));
	/* an application's table of the tracking table's name: a clash;
	   migrated's own audit table and its guard: not models */
	assert_non_null(schema_add_table(s, "public", "schema_migrations"));
	assert_non_null(own = schema_add_table(s, "public", "migrated_audit"));
	assert_non_null(own->comment = strdup("migrated audit trail, "
	    "version 1: append-only"));
	assert_int_equal(pull_facts_add(&f, "trigger", "public",
	    "migrated_audit", "migrated_append_only", "not written"), 0);
	assert_int_equal(pull_facts_add(&f, "function", "public",
	    "migrated_append_only()", NULL, "not written"), 0);
	assert_int_equal(pull_prep(s, &f, &o, &r.notes, &e), 0);

	t = schema_find_table(s, "public", "users");
	assert_null(schema_find_column(t, "balance"));
	assert_true(noted(&r.notes, "column", "public.users.balance",
	    "its collation public.mycoll is not one the models can create"));
	assert_null(schema_find_column(t, "ratio"));
	assert_true(noted(&r.notes, "column", "public.users.ratio",
	    "GENERATED ALWAYS AS ((score * 2)) STORED uses function h()"));
	assert_null(schema_find_index(t, "users_lower_email"));
	assert_true(noted(&r.notes, "index", "public.users_lower_email",
	    "uses function f(text)"));
	assert_null(schema_find_column(t, "uid")->def);
	assert_null(schema_find_column(t, "code"));
	assert_null(schema_find_index(t, "users_code_nnd"));
	assert_true(noted(&r.notes, "column", "public.users.code", "box"));
	assert_true(noted(&r.notes, "index", "public.users_code_nnd",
	    "uses column 'code'"));
	assert_null(schema_find_table(s, "billing", "invoices"));
	assert_true(noted(&r.notes, "partitioned table", "billing.invoices",
	    "PARTITION BY HASH"));
	/* billing.lines' key to it goes too */
	t = schema_find_table(s, "billing", "lines");
	assert_int_equal(t->ncons, 2);
	assert_true(noted(&r.notes, "foreign key", "billing.lines."
	    "lines_invoice_id_region_fkey", "references billing.invoices"));
	assert_true(noted(&r.notes, "view", "public.v", "not written"));
	assert_null(schema_find_table(s, "public", "schema_migrations"));
	assert_true(noted(&r.notes, "table", "public.schema_migrations",
	    "migrated's own tracking table, but migrated did not make it"));
	assert_null(schema_find_table(s, "public", "migrated_audit"));
	assert_false(noted(&r.notes, "table", "public.migrated_audit", NULL));
	assert_false(noted(&r.notes, "trigger", "public.migrated_audit."
	    "migrated_append_only", NULL));
	assert_false(noted(&r.notes, "function", "public."
	    "migrated_append_only()", NULL));
	/* what is left loads */
	dir = write_models(s);
	if (model_load_dir(dir, &back, &e) == -1)
		fail_msg("%s:%d:%d: %s", e.file, e.line, e.col, e.msg);
	schema_free(back);
	remove_models(dir);
	pull_facts_release(&f);
	pull_result_release(&r);
	schema_free(s);
}

/*
 * The objects beside tables, as catalog_load() reads them: a serial
 * column (its sequence of serial's name and the column's type) is
 * written as serial, its sequence's other options under `sequence:`, and
 * the sequence not on its own; one whose sequence has another type keeps
 * its nextval() default beside a standalone sequence that says its owner
 * (owned_by); domains, an extension's type, a generated column and a
 * collation are written; the result loads and plans empty.
 */
static const char objs_json[] =
    "{\"snapshot\":1,\"schemas\":[\"ext\",\"public\"],"
    "\"extensions\":[{\"name\":\"plpgsql\",\"schema\":\"pg_catalog\","
    "\"version\":\"1.0\"},{\"name\":\"earthdistance\",\"schema\":\"public\","
    "\"version\":\"1.1\"},{\"name\":\"cube\",\"schema\":\"public\","
    "\"version\":\"1.5\"},{\"name\":\"citext\",\"schema\":\"ext\","
    "\"version\":\"1.6\"}],"
    "\"sequences\":[{\"schema\":\"public\",\"name\":\"t_id_seq\","
    "\"type\":\"integer\",\"start\":1,\"increment\":1,\"min\":1,"
    "\"max\":2147483647,\"cache\":5,\"owned_by\":\"public.t.id\"},"
    "{\"schema\":\"public\",\"name\":\"t_n_seq\",\"type\":\"integer\","
    "\"start\":100,\"increment\":1,\"min\":1,\"max\":2147483647,"
    "\"cache\":1,\"owned_by\":\"public.t.n\"},"
    "{\"schema\":\"public\",\"name\":\"counter\",\"type\":\"bigint\","
    "\"start\":-1,\"increment\":-1,\"min\":-9223372036854775808,"
    "\"max\":-1,\"cache\":20,\"cycle\":true}],"
    "\"domains\":[{\"schema\":\"public\",\"name\":\"posint\","
    "\"type\":\"integer\",\"not_null\":true,\"default\":\"1\","
    "\"checks\":[{\"name\":\"posint_check\",\"expr\":\"(VALUE > 0)\"},"
    "{\"name\":\"posint_check1\",\"expr\":\"(VALUE < 100)\"},"
    "{\"name\":\"small\",\"expr\":\"(VALUE < 50)\"}]},"
    "{\"schema\":\"public\",\"name\":\"code\",\"type\":\"character "
    "varying(8)\",\"collation\":\"C\",\"default\":\"'x'::character "
    "varying\"}],"
    "\"tables\":[{\"schema\":\"public\",\"name\":\"t\",\"columns\":["
    "{\"name\":\"id\",\"type\":\"integer\",\"not_null\":true,\"default\":"
    "\"nextval('t_id_seq'::regclass)\",\"serial\":true,\"serial_seq\":"
    "\"public.t_id_seq\",\"num\":1},"
    "{\"name\":\"n\",\"type\":\"bigint\",\"not_null\":true,\"default\":"
    "\"nextval('t_n_seq'::regclass)\",\"serial\":true,\"serial_seq\":"
    "\"public.t_n_seq\",\"num\":2},"
    "{\"name\":\"c\",\"type\":\"bigint\",\"default\":"
    "\"nextval('counter'::regclass)\",\"num\":3},"
    "{\"name\":\"p\",\"type\":\"public.posint\",\"domain\":true,\"num\":4},"
    "{\"name\":\"k\",\"type\":\"public.code\",\"domain\":true,\"num\":5},"
    "{\"name\":\"mail\",\"type\":\"ext.citext\",\"num\":6},"
    "{\"name\":\"twice\",\"type\":\"bigint\",\"generated\":\"(n * 2)\","
    "\"num\":7},"
    "{\"name\":\"title\",\"type\":\"character varying(20)\",\"collation\":"
    "\"en_US.utf8\",\"num\":8}],"
    "\"constraints\":[{\"kind\":\"primary key\",\"name\":\"t_pkey\","
    "\"columns\":[\"id\"]}]}]}";

static void
test_objects(void **state)
{
	struct schema *s, *orig, *back;
	struct pull_facts f = { NULL, 0, 0 };
	struct pull_notes notes = { NULL, 0, 0 };
	struct plan_opts po = { 0 };
	struct plan *p;
	struct merr e;
	char *dir, *text;

	(void)state;
	merr_clear(&e);
	if (snapshot_parse("objs.json", objs_json, &s, &e) == -1 ||
	    snapshot_parse("objs.json", objs_json, &orig, &e) == -1)
		fail_msg("snapshot: %s (%s)", e.msg, e.field);
	/* pull_scan(): the order the extensions were made, and the column
	   of an extension's type */
	assert_int_equal(pull_facts_add(&f, PULL_F_EXTENSION, "public", "cube",
	    NULL, "1"), 0);
	assert_int_equal(pull_facts_add(&f, PULL_F_EXTENSION, "public",
	    "earthdistance", NULL, "2"), 0);
	assert_int_equal(pull_facts_add(&f, PULL_F_EXTENSION, "ext", "citext",
	    NULL, "3"), 0);
	assert_int_equal(pull_facts_add(&f, PULL_F_EXTTYPE, "public", "t",
	    "mail", "citext"), 0);
	assert_int_equal(pull_prep(s, &f, NULL, &notes, &e), 0);
	assert_int_equal(notes.n, 0);
	assert_null(schema_find_sequence(s, "public", "t_id_seq"));
	assert_non_null(schema_find_sequence(s, "public", "t_n_seq"));
	dir = write_models(s);
	if (model_load_dir(dir, &back, &e) == -1)
		fail_msg("%s:%d:%d: %s", e.file, e.line, e.col, e.msg);
	assert_int_equal(plan_compute(back, orig, &po, &p, &e), 0);
	if (p->n) {
		assert_int_equal(plan_format_text(p, &text, &e), 0);
		fail_msg("plan not empty:\n%s", text);
	}
	text = strdup(file_text(dir, "public.t.yaml"));
	contains(text, "id: {type: serial, primary_key: true, sequence: "
	    "{cache: 5}}");
	contains(text, "n: {type: bigint, not_null: true, default: "
	    "\"nextval('t_n_seq'::regclass)\"}");
	contains(text, "c: {type: bigint, default: "
	    "\"nextval('counter'::regclass)\"}");
	contains(text, "p: posint");
	contains(text, "k: code");
	contains(text, "mail: ext.citext");
	contains(text, "twice: {type: bigint, generated: n * 2}");
	contains(text, "title: {type: varchar(20), collation: en_US.utf8}");
	free(text);
	contains(file_text(dir, "public._domains.yaml"), "posint: {type: "
	    "integer, not_null: true, default: 1, check: [VALUE > 0, VALUE < "
	    "100, {name: small, expr: VALUE < 50}]}");
	contains(file_text(dir, "public._domains.yaml"), "code: {type: "
	    "varchar(8), default: \"'x'\", collation: C}");
	/* a descending sequence starts at its max by default */
	contains(file_text(dir, "public._sequences.yaml"), "counter: "
	    "{increment: -1, cache: 20, cycle: true}");
	contains(file_text(dir, "public._sequences.yaml"), "t_n_seq: {type: "
	    "integer, start: 100, owned_by: t.n}");
	contains(file_text(dir, "_extensions.yaml"), "extensions:\n- cube\n- "
	    "earthdistance\n- {name: citext, schema: ext}\n");
	plan_free(p);
	remove_models(dir);
	schema_free(back);
	schema_free(orig);
	schema_free(s);
	pull_facts_release(&f);
	for (size_t i = 0; i < notes.n; i++) {
		free(notes.v[i].kind);
		free(notes.v[i].name);
		free(notes.v[i].detail);
	}
	free(notes.v);
}

/* Key options pull cannot say drop the index, never the option alone. */
static void
test_key_options(void **state)
{
	struct schema *s = live();
	struct pull_notes notes = { NULL, 0, 0 };
	struct sch_table *t = &s->tables[0];
	struct sch_index *x = schema_find_index(t, "users_lower_email");
	struct merr e;
	char *text;

	(void)state;
	merr_clear(&e);
	free(x->opts[0]);
	assert_non_null(x->opts[0] = strdup("gist_trgm_ops (siglen='32')"));
	x = schema_find_index(t, "users_created_at_name_idx");
	free(x->opts[1]);
	assert_non_null(x->opts[1] = strdup("COLLATE \"pg_catalog\".\"C\" "
	    "\"Odd Ops\" NULLS FIRST"));
	assert_int_equal(pull_prep(s, NULL, NULL, &notes, &e), 0);
	assert_null(schema_find_index(t, "users_lower_email"));
	assert_true(noted(&notes, "index", "public.users_lower_email",
	    "key options 'gist_trgm_ops (siglen='32')' cannot be said"));
	assert_int_equal(pull_yaml_table(s, t, &text, &e), 0);
	contains(text, "{column: name, collation: C, opclass: Odd Ops, nulls: "
	    "first}");
	free(text);
	for (size_t i = 0; i < notes.n; i++) {
		free(notes.v[i].kind);
		free(notes.v[i].name);
		free(notes.v[i].detail);
	}
	free(notes.v);
	schema_free(s);
}

/* The wire form: every key in the field table, names checked on read. */
static void
test_json(void **state)
{
	struct pull_result r, back;
	struct merr e;
	json_t *o;
	char *name, *text;

	(void)state;
	merr_clear(&e);
	pull_result_init(&r);
	pull_result_init(&back);
	r.tables = 2;
	r.enums = 1;
	assert_non_null(name = strdup("users.yaml"));
	assert_non_null(text = strdup("table: users\n"));
	assert_int_equal(pull_files_add(&r.files, name, text), 0);
	assert_non_null(name = strdup("app._views.sql"));
	assert_non_null(text = strdup("CREATE VIEW v AS SELECT 1;\n"));
	assert_int_equal(pull_files_add(&r.files, name, text), 0);
	assert_int_equal(pull_note_add(&r.notes, "view", "public.v", NULL), 0);
	assert_non_null(o = pull_result_to_json(&r, 1));
	assert_int_equal(proto_fields_check(o, proto_pull_fields, &e), 0);
	assert_int_equal(pull_result_from_json(o, &back, &e), 0);
	assert_int_equal(back.tables, 2);
	assert_int_equal(back.enums, 1);
	assert_string_equal(back.files.v[0].name, "users.yaml");
	assert_string_equal(back.files.v[0].text, "table: users\n");
	assert_string_equal(back.files.v[1].name, "app._views.sql");
	assert_string_equal(back.notes.v[0].kind, "view");
	assert_null(back.notes.v[0].detail);
	pull_result_release(&back);
	json_decref(o);
	/* names migratectl must not write */
	for (int i = 0; i < 5; i++) {
		static const char *const bad[] = { "../x.yaml", ".bashrc",
		    "a/b.yaml", "run.sh", "../x.sql" };

		pull_result_init(&back);
		free(r.files.v[0].name);
		assert_non_null(r.files.v[0].name = strdup(bad[i]));
		assert_non_null(o = pull_result_to_json(&r, 1));
		assert_int_equal(pull_result_from_json(o, &back, &e), -1);
		assert_string_equal(e.field, "files");
		pull_result_release(&back);
		json_decref(o);
	}
	pull_result_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_key_options),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
