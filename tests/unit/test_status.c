/*
 * test_status.c - the daemon's typed state (core/status.c), its JSON and
 * field tables (core/proto_status.c) and the command specs
 * (core/cmdspec.c).  No database.
 *
 * The field tables are what migratectl's text output prints from: every
 * key the daemon sends must be in them, or the text client meets a field
 * it does not know.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmdspec.h"
#include "proto_status.h"
#include "status.h"

static char kind[] = "add column", target[] = "public.t.c",
    reason[] = "type change", hint[] = "do it by hand";

/* A plan with one safe, one refused and one drift change. */
static void
plan_fake(struct plan *p, struct plan_change *v)
{
	memset(p, 0, sizeof(*p));
	memset(v, 0, 3 * sizeof(*v));
	v[0].cls = PLAN_SAFE;
	v[1].cls = PLAN_REFUSED;
	v[2].cls = PLAN_DRIFT;
	for (int i = 0; i < 3; i++) {
		v[i].kind = kind;
		v[i].target = target;
		v[i].reason = reason;
		v[i].hint = hint;
	}
	p->v = v;
	p->n = 3;
	p->nsafe = p->nrefused = p->ndrift = 1;
}

/* A tier-2 summary with one pending and one dirty enhancement. */
static void
t2_fake(struct t2_summary *t2)
{
	struct migrate_row rows[2];
	struct migrate_result r;
	struct merr e;

	migrate_result_init(&r);
	memset(rows, 0, sizeof(rows));
	snprintf(rows[0].version, sizeof(rows[0].version), "20240101_000000");
	rows[0].name = kind;
	rows[0].state = MIG_PENDING;
	snprintf(rows[1].version, sizeof(rows[1].version), "20240102_000000");
	rows[1].state = MIG_DIRTY;
	rows[1].direction = hint;
	rows[1].error = reason;
	r.rows = rows;
	r.nrows = 2;
	r.ndirty = 1;
	snprintf(r.current, sizeof(r.current), "20231231_000000");
	t2_summary_init(t2);
	assert_int_equal(t2_summary_from(t2, &r, &e), 0);
}

static void
t1_fake(struct t1_summary *t1, struct plan *p)
{
	struct tier1_report rep = { .applied = 2, .refused = 1, .drift = 1,
	    .statements = 5, .locked = 1, .duration_ms = 70 };
	struct t1_summary fresh;
	struct merr e;

	t1_summary_init(t1);
	t1_summary_init(&fresh);
	assert_int_equal(t1_summary_run(t1, &rep, p, &e), 0);
	assert_int_equal(t1_summary_plan(&fresh, p, &e), 0);
	t1_summary_merge(t1, &fresh);
}

static const struct daemon_stats fake_stats = {
	.started = 1, .t1_ran_at = 2, .t1_duration_ms = 3, .t2_at = 4,
	.t2_op = "up", .t2_ok = 1, .pending_since = 5, .audit_ok = 1,
	.audit_rows = 6, .audit_head = "ab"
};

static void
status_fake(struct daemon_status *s, const struct t1_summary *t1,
    const struct t2_summary *t2)
{
	memset(s, 0, sizeof(*s));
	s->version = "0.1.0";
	s->proto = 1;
	s->pid = 42;
	s->ready = 1;
	s->db_up = 1;
	s->db_where = "dbname=x";
	s->db_down_since = 1;
	s->busy_op = "up";
	s->busy_since = 1;
	s->t1 = t1;
	s->t2 = t2;
	s->last_error = "bad file";
	s->apply = "on-command";
	s->config = "/etc/migrated/migrated.yaml";
	s->stats = &fake_stats;
}

/* Every key the daemon sends is in the tables the text client reads. */
static void
test_fields_known(void **state)
{
	struct plan_change v[3];
	struct plan p;
	struct t1_summary t1;
	struct t2_summary t2;
	struct daemon_status s;
	struct check_verdict cv;
	struct version_info vi = { "0.1.0", 1, "16.4", 160004, "/run/pg",
	    "5432", "x", "migrated" };
	struct merr e;
	json_t *o;

	(void)state;
	plan_fake(&p, v);
	t2_fake(&t2);
	t1_fake(&t1, &p);
	status_fake(&s, &t1, &t2);
	check_verdict_make(&cv, &p, &t2);

	o = proto_status_json(&s);
	assert_int_equal(proto_fields_check(o, proto_status_fields, &e), 0);
	json_decref(o);
	o = proto_check_json(&cv, &t2);
	assert_int_equal(proto_fields_check(o, proto_check_fields, &e), 0);
	json_decref(o);
	o = proto_reload_json(&t1, &t2);
	assert_int_equal(proto_fields_check(o, proto_reload_fields, &e), 0);
	json_decref(o);
	o = proto_version_json(&vi);
	assert_int_equal(proto_fields_check(o, proto_version_fields, &e), 0);
	json_decref(o);
	t1_summary_release(&t1);
	t2_summary_release(&t2);
}

/* A key the tables do not know is found, nested ones by their path. */
static void
test_fields_unknown(void **state)
{
	struct t2_summary t2;
	struct daemon_status s;
	struct merr e;
	json_t *o;

	(void)state;
	t2_fake(&t2);
	status_fake(&s, NULL, &t2);
	o = proto_status_json(&s);
	json_object_set_new(json_object_get(o, "enhancements"), "renamed",
	    json_true());
	merr_clear(&e);
	assert_int_equal(proto_fields_check(o, proto_status_fields, &e), -1);
	assert_string_equal(e.field, "enhancements.renamed");
	json_object_set_new(json_array_get(json_object_get(json_object_get(o,
	    "enhancements"), "dirty"), 0), "extra", json_true());
	json_object_del(json_object_get(o, "enhancements"), "renamed");
	assert_int_equal(proto_fields_check(o, proto_status_fields, &e), -1);
	assert_string_equal(e.field, "enhancements.dirty.extra");
	json_decref(o);
	t2_summary_release(&t2);
}

/* Every field has a label, every nested one a sub-table. */
static void
check_table(const struct proto_field *t)
{
	for (; t->name; t++) {
		assert_non_null(t->label);
		if (t->type == PF_OBJ || t->type == PF_ROWS) {
			assert_non_null(t->sub);
			check_table(t->sub);
		}
	}
}

static void
test_tables(void **state)
{
	(void)state;
	check_table(proto_status_fields);
	check_table(proto_check_fields);
	check_table(proto_reload_fields);
	check_table(proto_version_fields);
	assert_string_equal(proto_status_fields[ST_ENH].name, "enhancements");
	assert_string_equal(proto_t2_fields[T2_PENDING].name, "pending");
	assert_string_equal(proto_version_fields[VE_SERVER].name,
	    "server_version");
}

/* status, STATUS= and check are made from the same summaries. */
static void
test_lines(void **state)
{
	struct plan_change v[3];
	struct plan p;
	struct t1_summary t1;
	struct t2_summary t2;
	struct daemon_status s;
	struct check_verdict cv;
	char line[1024];

	(void)state;
	plan_fake(&p, v);
	t2_fake(&t2);
	t1_fake(&t1, &p);
	t1_summary_line(&t1, line, sizeof(line));
	assert_string_equal(line, "schema: 1 change to apply, 1 change "
	    "refused, 1 drift");
	t2.ndirty = 0;		/* the pending line */
	t2_summary_line(&t2, line, sizeof(line));
	assert_string_equal(line, "1 enhancement pending: "
	    "20240101_000000_add column");
	t2.ndirty = 1;
	status_fake(&s, &t1, &t2);
	s.busy_op = NULL;
	daemon_status_line(&s, line, sizeof(line));
	assert_string_equal(line, "schema: 1 change to apply, 1 change "
	    "refused, 1 drift; enhancement 20240102_000000 is dirty; error: "
	    "bad file");
	check_verdict_make(&cv, &p, &t2);
	assert_false(cv.clean);
	assert_int_equal(cv.nproblems, 5);
	assert_string_equal(cv.problems[0], "1 schema change(s) not applied "
	    "yet");
	assert_string_equal(cv.problems[4], "a dirty enhancement");
	t1_summary_release(&t1);
	t2_summary_release(&t2);
}

/* Which commands need confirmation is said once, here. */
static void
test_cmdspec(void **state)
{
	const struct cmd_spec *s;

	(void)state;
	assert_int_equal(cmdspec_find("down")->confirm, CONFIRM_ALWAYS);
	assert_int_equal(cmdspec_find("force")->confirm, CONFIRM_ALWAYS);
	assert_int_equal(cmdspec_find("redo")->confirm, CONFIRM_ALWAYS);
	assert_int_equal(cmdspec_find("goto")->confirm, CONFIRM_BACKWARD);
	assert_false(cmdspec_confirms(cmdspec_find("up")));
	assert_int_equal(cmdspec_find("version")->access, CMD_READ);
	assert_int_equal(cmdspec_find("up")->access, CMD_ADMIN);
	assert_null(cmdspec_find("startup"));
	assert_null(cmdspec_find("frobnicate"));
	for (size_t i = 0; (s = cmdspec_at(i)) != NULL; i++) {
		assert_int_not_equal(s->access, CMD_INTERNAL);
		assert_ptr_equal(cmdspec_find(s->name), s);
		assert_non_null(s->args);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_known),
		cmocka_unit_test(test_fields_unknown),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_cmdspec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
