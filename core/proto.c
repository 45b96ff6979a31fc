/* proto.c - control protocol messages <-> JSON (jansson). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static const struct {
	const char	*name;
	const char	*text;
} proto_codes[PROTO_NCODES] = {
	[PROTO_OK] = { "ok", "ok" },
	[PROTO_FAILED] = { "failed", "operation failed" },
	[PROTO_MALFORMED] = { "malformed", "malformed request" },
	[PROTO_TOO_LARGE] = { "too-large", "request too large" },
	[PROTO_UNKNOWN_CMD] = { "unknown-command", "unknown command" },
	[PROTO_BAD_ARG] = { "bad-argument", "bad argument" },
	[PROTO_BAD_VERSION] = { "bad-version",
	    "unsupported protocol version" },
	[PROTO_DENIED] = { "permission-denied", "permission denied" },
	[PROTO_BUSY] = { "busy", "another operation is in progress" },
	[PROTO_UNAVAILABLE] = { "unavailable", "database unavailable" },
	[PROTO_NOT_AVAILABLE] = { "not-available",
	    "not available in this build" },
	[PROTO_CONFIRM] = { "confirm", "confirmation required" },
	[PROTO_SHUTDOWN] = { "shutting-down", "the daemon is stopping" },
	[PROTO_LIMIT] = { "too-many-connections", "too many connections" },
	[PROTO_INTERNAL] = { "internal", "internal error" },
	[PROTO_UNREACHABLE] = { "unreachable", "daemon unreachable" },
};

const char *
proto_code_name(enum proto_code c)
{
	if ((unsigned)c >= PROTO_NCODES)
		c = PROTO_INTERNAL;
	return proto_codes[c].name;
}

const char *
proto_code_text(enum proto_code c)
{
	if ((unsigned)c >= PROTO_NCODES)
		c = PROTO_INTERNAL;
	return proto_codes[c].text;
}

enum proto_code
proto_code_from_name(const char *s)
{
	for (int i = 0; s && i < PROTO_NCODES; i++)
		if (!strcmp(proto_codes[i].name, s))
			return (enum proto_code)i;
	return PROTO_INTERNAL;
}

enum proto_code
proto_code_from_merr(const struct merr *e)
{
	switch (e->code) {
	case MERR_OK:
		return PROTO_OK;
	case MERR_USAGE:
		return PROTO_BAD_ARG;
	case MERR_CONNECT:
		return PROTO_UNAVAILABLE;
	case MERR_PERM:
		return PROTO_DENIED;
	case MERR_BUSY:
		return PROTO_BUSY;
	case MERR_NOMEM:
	case MERR_INTERNAL:
		return PROTO_INTERNAL;
	default:
		return PROTO_FAILED;
	}
}

void
proto_request_init(struct proto_request *r)
{
	memset(r, 0, sizeof(*r));
	r->steps = -1;
	r->limit = -1;
}

void
proto_request_release(struct proto_request *r)
{
	free(r->to);
	free(r->version);
	free(r->since);
	free(r->sub);
	free(r->from);
	free(r->member);
	proto_request_init(r);
}

static int
field_error(struct merr *e, enum merr_code code, const char *field,
    const char *fmt, const char *arg)
{
	merr_set(e, code, fmt, arg);
	snprintf(e->field, sizeof(e->field), "%s", field);
	return -1;
}

int
proto_request_parse(const char *line, size_t len, struct proto_request *r,
    json_t **obj, struct merr *e)
{
	json_error_t je;
	json_t *o, *v;

	*obj = NULL;
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		merr_set(e, MERR_INPUT, "malformed request: %s", je.text);
		e->line = je.line > 0 ? je.line : 0;
		e->col = je.column > 0 ? je.column : 0;
		return -1;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return merr_set(e, MERR_INPUT,
		    "malformed request: not a JSON object");
	}
	v = json_object_get(o, "proto");
	if (v && !json_is_integer(v)) {
		json_decref(o);
		return field_error(e, MERR_INPUT, "proto",
		    "field '%s' must be an integer", "proto");
	}
	r->proto = v ? (long)json_integer_value(v) : 0;
	v = json_object_get(o, "cmd");
	if (v == NULL || !json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= sizeof(r->cmd)) {
		json_decref(o);
		return field_error(e, MERR_INPUT, "cmd", v ?
		    "field '%s' must be a command name" :
		    "missing field '%s'", "cmd");
	}
	snprintf(r->cmd, sizeof(r->cmd), "%s", json_string_value(v));
	*obj = o;
	return 0;
}

static const struct proto_arg *
arg_find(const struct proto_arg *args, const char *name)
{
	for (; args && args->name; args++)
		if (!strcmp(args->name, name))
			return args;
	return NULL;
}

static int
arg_set(const struct proto_arg *a, json_t *v, struct proto_request *r,
    struct merr *e)
{
	char *base = (char *)r;
	char *s;

	switch (a->type) {
	case PA_INT:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return field_error(e, MERR_USAGE, a->name, "field '%s' "
			    "must be a non-negative integer", a->name);
		*(long *)(base + a->off) = (long)json_integer_value(v);
		return 0;
	case PA_BOOL:
		if (!json_is_boolean(v))
			return field_error(e, MERR_USAGE, a->name,
			    "field '%s' must be true or false", a->name);
		*(int *)(base + a->off) = json_is_true(v);
		return 0;
	default:
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 255 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return field_error(e, MERR_USAGE, a->name, "field '%s' "
			    "must be a non-empty string of at most 255 bytes",
			    a->name);
		if ((s = strdup(json_string_value(v))) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		free(*(char **)(base + a->off));
		*(char **)(base + a->off) = s;
		return 0;
	}
}

int
proto_request_args(json_t *obj, const struct proto_arg *args,
    struct proto_request *r, struct merr *e)
{
	const struct proto_arg *a;
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (!strcmp(key, "cmd") || !strcmp(key, "proto"))
			continue;
		if ((a = arg_find(args, key)) == NULL) {
			field_error(e, MERR_USAGE, key, "unknown field '%s'",
			    key);
			merr_detail(e, "command '%s' does not take it", r->cmd);
			return -1;
		}
		if (arg_set(a, v, r, e) == -1)
			return -1;
	}
	for (a = args; a && a->name; a++)
		if (a->required && json_object_get(obj, a->name) == NULL)
			return field_error(e, MERR_USAGE, a->name,
			    "missing field '%s'", a->name);
	return 0;
}

static void
put_str(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

json_t *
proto_request_to_json(const struct proto_request *r)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "proto", json_integer(PROTO_VERSION));
	json_object_set_new(o, "cmd", json_string(r->cmd));
	if (r->steps >= 0)
		json_object_set_new(o, "steps", json_integer(r->steps));
	if (r->limit >= 0)
		json_object_set_new(o, "limit", json_integer(r->limit));
	if (r->all)
		json_object_set_new(o, "all", json_true());
	if (r->yes)
		json_object_set_new(o, "yes", json_true());
	if (r->dry_run)
		json_object_set_new(o, "dry_run", json_true());
	if (r->out_of_order)
		json_object_set_new(o, "out_of_order", json_true());
	if (r->markdown)
		json_object_set_new(o, "markdown", json_true());
	if (r->strict)
		json_object_set_new(o, "strict", json_true());
	if (r->wait_ready)
		json_object_set_new(o, "wait_ready", json_true());
	put_str(o, "to", r->to);
	put_str(o, "version", r->version);
	put_str(o, "since", r->since);
	put_str(o, "sub", r->sub);
	put_str(o, "from", r->from);
	put_str(o, "member", r->member);
	return o;
}

static json_t *
proto_message(const char *type, const char *cmd)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "proto", json_integer(PROTO_VERSION));
	if (cmd && *cmd)
		json_object_set_new(o, "cmd", json_string(cmd));
	return o;
}

json_t *
proto_result(const char *cmd, json_t *data)
{
	json_t *o = proto_message("result", cmd);

	if (o == NULL) {
		json_decref(data);
		return NULL;
	}
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "code", json_string("ok"));
	json_object_set_new(o, "data", data ? data : json_object());
	json_object_set_new(o, "end", json_true());
	return o;
}

json_t *
proto_merr_to_json(const struct merr *e)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "message", json_string(e->msg[0] ? e->msg :
	    "unknown error"));
	put_str(o, "detail", e->detail);
	put_str(o, "hint", e->hint);
	put_str(o, "file", e->file);
	if (e->line > 0)
		json_object_set_new(o, "line", json_integer(e->line));
	if (e->col > 0)
		json_object_set_new(o, "column", json_integer(e->col));
	put_str(o, "field", e->field);
	put_str(o, "sqlstate", e->sqlstate);
	return o;
}

json_t *
proto_error(const char *cmd, enum proto_code code, const struct merr *e)
{
	json_t *o = proto_message("result", cmd);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "code", json_string(proto_code_name(code)));
	json_object_set_new(o, "error", proto_merr_to_json(e));
	json_object_set_new(o, "end", json_true());
	return o;
}

json_t *
proto_progress(const char *cmd, json_t *data)
{
	json_t *o = proto_message("progress", cmd);

	if (o == NULL) {
		json_decref(data);
		return NULL;
	}
	json_object_set_new(o, "data", data ? data : json_object());
	return o;
}

char *
proto_encode(const json_t *msg, size_t *len)
{
	char *s, *line;
	size_t n;

	if ((s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL)
		return NULL;
	n = strlen(s);
	if ((line = realloc(s, n + 2)) == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return line;
}

static void
copy_field(const json_t *o, const char *k, char *dst, size_t len)
{
	const char *s = json_string_value(json_object_get(o, k));

	if (s)
		snprintf(dst, len, "%s", s);
}

void
proto_merr_from_json(const json_t *o, struct merr *e)
{
	merr_clear(e);
	e->code = MERR_INTERNAL;
	copy_field(o, "message", e->msg, sizeof(e->msg));
	copy_field(o, "detail", e->detail, sizeof(e->detail));
	copy_field(o, "hint", e->hint, sizeof(e->hint));
	copy_field(o, "file", e->file, sizeof(e->file));
	copy_field(o, "field", e->field, sizeof(e->field));
	copy_field(o, "sqlstate", e->sqlstate, sizeof(e->sqlstate));
	e->line = (int)json_integer_value(json_object_get(o, "line"));
	e->col = (int)json_integer_value(json_object_get(o, "column"));
}

int
proto_reply_parse(const char *line, size_t len, struct proto_reply *rep,
    struct merr *e)
{
	json_error_t je;
	const char *type;

	memset(rep, 0, sizeof(*rep));
	rep->msg = json_loadb(line, len, 0, &je);
	if (rep->msg == NULL || !json_is_object(rep->msg)) {
		proto_reply_release(rep);
		return merr_set(e, MERR_INPUT, "malformed reply from the "
		    "daemon");
	}
	type = json_string_value(json_object_get(rep->msg, "type"));
	if (type == NULL || (strcmp(type, "result") &&
	    strcmp(type, "progress"))) {
		proto_reply_release(rep);
		return merr_set(e, MERR_INPUT, "reply from the daemon has no "
		    "known type");
	}
	rep->is_result = !strcmp(type, "result");
	rep->data = json_object_get(rep->msg, "data");
	rep->code = PROTO_OK;
	if (rep->is_result && !json_is_true(json_object_get(rep->msg, "ok"))) {
		rep->code = proto_code_from_name(json_string_value(
		    json_object_get(rep->msg, "code")));
		if (rep->code == PROTO_OK)
			rep->code = PROTO_INTERNAL;
		proto_merr_from_json(json_object_get(rep->msg, "error"),
		    &rep->err);
	}
	return 0;
}

void
proto_reply_release(struct proto_reply *rep)
{
	json_decref(rep->msg);
	memset(rep, 0, sizeof(*rep));
}

void
proto_buf_init(struct proto_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
proto_buf_release(struct proto_buf *b)
{
	free(b->data);
	proto_buf_init(b, b->max);
}

int
proto_buf_append(struct proto_buf *b, const char *p, size_t n)
{
	const char *nl;
	char *d;

	if (b->start > 0) {
		memmove(b->data, b->data + b->start, b->len - b->start);
		b->len -= b->start;
		b->start = 0;
	}
	if (b->discarding) {
		if ((nl = memchr(p, '\n', n)) == NULL)
			return 0;
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
		b->discarding = 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((d = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
proto_buf_next(struct proto_buf *b, char **line, size_t *len)
{
	char *s = b->data + b->start, *nl;
	size_t avail = b->len - b->start;

	if (b->data == NULL || avail == 0)
		return 0;
	nl = memchr(s, '\n', avail);
	if (nl == NULL) {
		if (avail <= b->max)
			return 0;
		/* too long and no end in sight: drop up to the newline */
		b->len = b->start = 0;
		b->discarding = 1;
		return -1;
	}
	b->start += (size_t)(nl - s) + 1;
	if ((size_t)(nl - s) + 1 > b->max)
		return -1;
	*nl = '\0';
	if (nl > s && nl[-1] == '\r')
		*--nl = '\0';
	*line = s;
	*len = (size_t)(nl - s);	/* embedded NULs are left to the parser */
	return 1;
}
