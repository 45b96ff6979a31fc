/* test_proto.c - the control protocol codec: requests, replies, buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"

static const struct proto_arg up_args[] = {
	PROTO_ARG("steps", PA_INT, steps, 0),
	PROTO_ARG("to", PA_STR, to, 0),
	PROTO_ARG("yes", PA_BOOL, yes, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg goto_args[] = {
	PROTO_ARG("version", PA_STR, version, 1),
	{ NULL, PA_INT, 0, 0 }
};

/* Parse line and check its fields against args; returns the rc. */
static int
parse(const char *line, const struct proto_arg *args,
    struct proto_request *r, struct merr *e)
{
	json_t *obj = NULL;
	int rc;

	proto_request_init(r);
	merr_clear(e);
	rc = proto_request_parse(line, strlen(line), r, &obj, e);
	if (rc == 0)
		rc = proto_request_args(obj, args, r, e);
	json_decref(obj);
	return rc;
}

static void
test_request_ok(void **state)
{
	struct proto_request r;
	struct merr e;

	(void)state;
	assert_int_equal(parse("{\"proto\":1,\"cmd\":\"up\",\"steps\":2,"
	    "\"to\":\"20240103\",\"yes\":true}", up_args, &r, &e), 0);
	assert_string_equal(r.cmd, "up");
	assert_int_equal(r.proto, 1);
	assert_int_equal(r.steps, 2);
	assert_string_equal(r.to, "20240103");
	assert_int_equal(r.yes, 1);
	assert_int_equal(r.limit, -1);
	proto_request_release(&r);
	/* absent fields stay unset */
	assert_int_equal(parse("{\"cmd\":\"up\"}", up_args, &r, &e), 0);
	assert_int_equal(r.steps, -1);
	assert_null(r.to);
	assert_int_equal(r.proto, 0);
	proto_request_release(&r);
}

static void
test_request_errors(void **state)
{
	struct proto_request r;
	struct merr e;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"up\"", up_args, &r, &e), -1);
	assert_non_null(strstr(e.msg, "malformed request"));
	assert_true(e.col > 0);
	proto_request_release(&r);

	assert_int_equal(parse("[1,2]", up_args, &r, &e), -1);
	assert_string_equal(e.msg, "malformed request: not a JSON object");
	proto_request_release(&r);

	assert_int_equal(parse("{\"steps\":1}", up_args, &r, &e), -1);
	assert_string_equal(e.msg, "missing field 'cmd'");
	assert_string_equal(e.field, "cmd");
	proto_request_release(&r);

	assert_int_equal(parse("{\"cmd\":7}", up_args, &r, &e), -1);
	assert_string_equal(e.field, "cmd");
	proto_request_release(&r);

	assert_int_equal(parse("{\"cmd\":\"up\",\"steps\":\"two\"}", up_args,
	    &r, &e), -1);
	assert_string_equal(e.msg,
	    "field 'steps' must be a non-negative integer");
	assert_string_equal(e.field, "steps");
	proto_request_release(&r);

	assert_int_equal(parse("{\"cmd\":\"up\",\"steps\":-1}", up_args,
	    &r, &e), -1);
	assert_string_equal(e.field, "steps");
	proto_request_release(&r);

	assert_int_equal(parse("{\"cmd\":\"up\",\"yes\":1}", up_args, &r, &e),
	    -1);
	assert_string_equal(e.msg, "field 'yes' must be true or false");
	proto_request_release(&r);

	assert_int_equal(parse("{\"cmd\":\"up\",\"bogus\":1}", up_args, &r,
	    &e), -1);
	assert_string_equal(e.msg, "unknown field 'bogus'");
	assert_string_equal(e.detail, "command 'up' does not take it");
	assert_string_equal(e.field, "bogus");
	proto_request_release(&r);

	assert_int_equal(parse("{\"cmd\":\"goto\"}", goto_args, &r, &e), -1);
	assert_string_equal(e.msg, "missing field 'version'");
	proto_request_release(&r);

	assert_int_equal(parse("{\"cmd\":\"up\",\"cmd\":\"down\"}", up_args,
	    &r, &e), -1);
	assert_non_null(strstr(e.msg, "duplicate"));
	proto_request_release(&r);

	assert_int_equal(parse("{\"cmd\":\"goto\",\"version\":\"\"}",
	    goto_args, &r, &e), -1);
	assert_string_equal(e.field, "version");
	proto_request_release(&r);
}

static void
test_request_roundtrip(void **state)
{
	struct proto_request r, back;
	struct merr e;
	json_t *o;
	char *line;
	size_t len;

	(void)state;
	proto_request_init(&r);
	snprintf(r.cmd, sizeof(r.cmd), "up");
	r.steps = 3;
	r.to = strdup("20240110_150000");
	o = proto_request_to_json(&r);
	line = proto_encode(o, &len);
	assert_non_null(line);
	assert_int_equal(line[len - 1], '\n');
	assert_null(strchr(line, '\n') == line + len - 1 ? NULL : line);
	assert_int_equal(parse(line, up_args, &back, &e), 0);
	assert_int_equal(back.proto, PROTO_VERSION);
	assert_int_equal(back.steps, 3);
	assert_string_equal(back.to, "20240110_150000");
	assert_int_equal(back.yes, 0);
	free(line);
	json_decref(o);
	proto_request_release(&r);
	proto_request_release(&back);
}

static void
test_replies(void **state)
{
	struct proto_reply rep;
	struct merr e, in;
	json_t *m;
	char *line;
	size_t len;

	(void)state;
	m = proto_result("status", json_pack("{s:b}", "ready", 1));
	line = proto_encode(m, &len);
	assert_int_equal(proto_reply_parse(line, len - 1, &rep, &e), 0);
	assert_true(rep.is_result);
	assert_int_equal(rep.code, PROTO_OK);
	assert_true(json_is_true(json_object_get(rep.data, "ready")));
	assert_true(json_is_true(json_object_get(rep.msg, "end")));
	proto_reply_release(&rep);
	free(line);
	json_decref(m);

	merr_clear(&in);
	merr_set(&in, MERR_BUSY, "busy: up in progress since %s",
	    "2026-01-01T00:00:00Z");
	merr_detail(&in, "started by uid 0");
	merr_hint(&in, "wait");
	snprintf(in.field, sizeof(in.field), "cmd");
	snprintf(in.sqlstate, sizeof(in.sqlstate), "55P03");
	m = proto_error("up", proto_code_from_merr(&in), &in);
	line = proto_encode(m, &len);
	assert_int_equal(proto_reply_parse(line, len, &rep, &e), 0);
	assert_int_equal(rep.code, PROTO_BUSY);
	assert_string_equal(rep.err.msg, in.msg);
	assert_string_equal(rep.err.detail, "started by uid 0");
	assert_string_equal(rep.err.hint, "wait");
	assert_string_equal(rep.err.field, "cmd");
	assert_string_equal(rep.err.sqlstate, "55P03");
	proto_reply_release(&rep);
	free(line);
	json_decref(m);

	m = proto_progress("up", json_pack("{s:s}", "phase", "statement"));
	line = proto_encode(m, &len);
	assert_int_equal(proto_reply_parse(line, len, &rep, &e), 0);
	assert_false(rep.is_result);
	assert_string_equal(json_string_value(json_object_get(rep.data,
	    "phase")), "statement");
	proto_reply_release(&rep);
	free(line);
	json_decref(m);

	assert_int_equal(proto_reply_parse("{\"type\":\"x\"}", 12, &rep, &e),
	    -1);
	assert_int_equal(proto_reply_parse("nope", 4, &rep, &e), -1);
}

static void
test_codes(void **state)
{
	(void)state;
	for (int c = 0; c < PROTO_NCODES; c++) {
		assert_non_null(proto_code_name((enum proto_code)c));
		assert_int_equal(proto_code_from_name(proto_code_name(
		    (enum proto_code)c)), c);
	}
	assert_string_equal(proto_code_name(PROTO_DENIED),
	    "permission-denied");
	assert_int_equal(proto_code_from_name("no-such"), PROTO_INTERNAL);
	assert_string_equal(proto_code_name((enum proto_code)999),
	    "internal");
}

static void
test_buf_lines(void **state)
{
	struct proto_buf b;
	char *line;
	size_t len;

	(void)state;
	proto_buf_init(&b, 16);
	assert_int_equal(proto_buf_append(&b, "{\"a\":1}\n{\"b", 11), 0);
	assert_int_equal(proto_buf_next(&b, &line, &len), 1);
	assert_string_equal(line, "{\"a\":1}");
	assert_int_equal(len, 7);
	assert_int_equal(proto_buf_next(&b, &line, &len), 0);
	assert_int_equal(proto_buf_append(&b, "\":2}\r\n", 6), 0);
	assert_int_equal(proto_buf_next(&b, &line, &len), 1);
	assert_string_equal(line, "{\"b\":2}");
	assert_int_equal(proto_buf_next(&b, &line, &len), 0);
	proto_buf_release(&b);
}

static void
test_buf_oversized(void **state)
{
	struct proto_buf b;
	char big[40], *line;
	size_t len;

	(void)state;
	memset(big, 'x', sizeof(big));
	proto_buf_init(&b, 16);
	/* a line longer than max without its newline yet: reported once */
	assert_int_equal(proto_buf_append(&b, big, sizeof(big)), 0);
	assert_int_equal(proto_buf_next(&b, &line, &len), -1);
	assert_int_equal(proto_buf_next(&b, &line, &len), 0);
	/* the rest of it is dropped up to the newline, then lines resume */
	assert_int_equal(proto_buf_append(&b, big, sizeof(big)), 0);
	assert_int_equal(proto_buf_append(&b, "xx\nok\n", 6), 0);
	assert_int_equal(proto_buf_next(&b, &line, &len), 1);
	assert_string_equal(line, "ok");
	/* a complete line that is too long */
	assert_int_equal(proto_buf_append(&b, big, 20), 0);
	assert_int_equal(proto_buf_append(&b, "\nfine\n", 6), 0);
	assert_int_equal(proto_buf_next(&b, &line, &len), -1);
	assert_int_equal(proto_buf_next(&b, &line, &len), 1);
	assert_string_equal(line, "fine");
	proto_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_ok),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_buf_lines),
		cmocka_unit_test(test_buf_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
