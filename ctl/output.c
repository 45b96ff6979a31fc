/* output.c - text and JSON output for migratectl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

#if defined(__has_include)
#if __has_include("audit.h")
#define HAVE_AUDIT 1
#include "audit.h"
#endif
#endif

static const char *c_red = "", *c_green = "", *c_yellow = "", *c_bold = "",
    *c_dim = "", *c_off = "";
static int progress_tty;

void
output_init(int json)
{
	const char *nc = getenv("NO_COLOR");

	progress_tty = isatty(STDERR_FILENO);
	if (json || (nc && *nc) || !isatty(STDOUT_FILENO))
		return;
	c_red = "\033[31m";
	c_green = "\033[32m";
	c_yellow = "\033[33m";
	c_bold = "\033[1m";
	c_dim = "\033[2m";
	c_off = "\033[0m";
}

/* ---- JSON: the daemon's objects, one per line ---- */

static void
json_print(json_t *msg)
{
	char *s = proto_encode(msg, NULL);

	if (s) {
		fputs(s, stdout);
		fflush(stdout);
		free(s);
	}
}

static void
json_progress(const char *cmd, json_t *msg)
{
	(void)cmd;
	json_print(msg);
}

static void
json_result(const char *cmd, json_t *msg, json_t *data)
{
	(void)cmd;
	(void)data;
	json_print(msg);
}

static void
json_error(const char *cmd, json_t *msg, enum proto_code code,
    const struct merr *e)
{
	json_t *o;

	if (msg) {
		json_print(msg);
		return;
	}
	/* a local error (daemon unreachable, bad reply): same shape */
	if ((o = proto_error(cmd, code, e)) != NULL) {
		json_print(o);
		json_decref(o);
	}
}

const struct output output_json = { json_progress, json_result,
    json_error };

/* ---- text ---- */

static const char *
scalar(json_t *v, char *buf, size_t len)
{
	if (v == NULL)		/* a row without this column */
		return "";
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "yes";
	case JSON_FALSE:
		return "no";
	default:
		return "";
	}
}

static const char *
tone(const char *s)
{
	if (!strcmp(s, "applied") || !strcmp(s, "ok") || !strcmp(s, "safe"))
		return c_green;
	if (!strcmp(s, "pending") || !strcmp(s, "drift"))
		return c_yellow;
	if (!strcmp(s, "dirty") || !strcmp(s, "missing") ||
	    !strcmp(s, "refused") || !strcmp(s, "failed"))
		return c_red;
	return "";
}

static int
is_scalar(json_t *v)
{
	return !json_is_object(v) && !json_is_array(v) && !json_is_null(v);
}

#define TABLE_COLS	8
#define CELL_MAX	60

/* An array of objects as an aligned table of their scalar fields. */
static void
render_table(json_t *arr, int indent)
{
	const char *cols[TABLE_COLS];
	int w[TABLE_COLS], ncol = 0;
	json_t *first = json_array_get(arr, 0), *row, *v;
	const char *k;
	char buf[64];
	size_t i;

	json_object_foreach(first, k, v)
		if (is_scalar(v) && ncol < TABLE_COLS)
			cols[ncol++] = k;
	for (int c = 0; c < ncol; c++)
		w[c] = (int)strlen(cols[c]);
	json_array_foreach(arr, i, row)
		for (int c = 0; c < ncol; c++) {
			int n = (int)strlen(scalar(json_object_get(row,
			    cols[c]), buf, sizeof(buf)));
			if (n > w[c])
				w[c] = n > CELL_MAX ? CELL_MAX : n;
		}
	printf("%*s%s", indent, "", c_dim);
	for (int c = 0; c < ncol; c++)
		printf("%-*s%s", w[c], cols[c], c + 1 < ncol ? "  " : "");
	printf("%s\n", c_off);
	json_array_foreach(arr, i, row) {
		printf("%*s", indent, "");
		for (int c = 0; c < ncol; c++) {
			const char *s = scalar(json_object_get(row, cols[c]),
			    buf, sizeof(buf));
			const char *t = tone(s);

			printf("%s%-*.*s%s%s", t, w[c], CELL_MAX, s,
			    *t ? c_off : "", c + 1 < ncol ? "  " : "");
		}
		printf("\n");
	}
}

static void	render_object(json_t *o, int indent);

static void
render_field(const char *k, json_t *v, int indent, int width)
{
	char buf[64];
	size_t i;
	json_t *x;

	if (json_is_null(v))
		return;
	if (is_scalar(v)) {
		const char *s = scalar(v, buf, sizeof(buf));

		printf("%*s%-*s %s%s%s\n", indent, "", width + 1, k, tone(s), s,
		    *tone(s) ? c_off : "");
	} else if (json_is_array(v) && json_array_size(v) == 0) {
		printf("%*s%-*s -\n", indent, "", width + 1, k);
	} else if (json_is_array(v) && is_scalar(json_array_get(v, 0))) {
		printf("%*s%-*s ", indent, "", width + 1, k);
		json_array_foreach(v, i, x)
			printf("%s%s", i ? ", " : "", scalar(x, buf,
			    sizeof(buf)));
		printf("\n");
	} else if (json_is_array(v)) {
		printf("%*s%s\n", indent, "", k);
		render_table(v, indent + 2);
	} else {
		printf("%*s%s\n", indent, "", k);
		render_object(v, indent + 2);
	}
}

/* key: value lines, aligned; nested objects and tables indented. */
static void
render_object(json_t *o, int indent)
{
	const char *k;
	json_t *v;
	char key[80];
	int width = 0;

	json_object_foreach((json_t *)o, k, v)
		if ((int)strlen(k) > width)
			width = (int)strlen(k);
	json_object_foreach((json_t *)o, k, v) {
		snprintf(key, sizeof(key), "%s:", k);
		render_field(key, v, indent, width);
	}
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void
render_status(json_t *d)
{
	json_t *db = json_object_get(d, "database");
	json_t *busy = json_object_get(d, "busy");
	long long up = json_integer_value(json_object_get(d, "uptime_s"));
	int avail = json_is_true(json_object_get(db, "available"));

	printf("%smigrated %s%s (pid %lld, up %lldh%02lldm%02llds)%s\n",
	    c_bold, str(d, "version"), c_off,
	    (long long)json_integer_value(json_object_get(d, "pid")),
	    up / 3600, up / 60 % 60, up % 60,
	    json_is_true(json_object_get(d, "ready")) ? "" : ", not ready");
	printf("status:       %s\n", str(d, "status"));
	printf("database:     %s%s%s %s%s\n", avail ? c_green : c_red,
	    avail ? "available" : "unavailable", c_off,
	    avail ? str(db, "where") : str(db, "error"),
	    avail ? "" : "");
	if (json_is_object(busy))
		printf("busy:         %s%s%s since %s (uid %lld)\n", c_yellow,
		    str(busy, "op"), c_off, str(busy, "since"),
		    (long long)json_integer_value(json_object_get(busy,
		    "uid")));
	if (json_is_string(json_object_get(d, "last_error")))
		printf("last error:   %s%s%s\n", c_red, str(d, "last_error"),
		    c_off);
	printf("apply:        %s\n", str(d, "apply"));
	if (json_is_object(json_object_get(d, "schema"))) {
		printf("schema:\n");
		render_object(json_object_get(d, "schema"), 2);
	}
	if (json_is_object(json_object_get(d, "enhancements"))) {
		printf("enhancements:\n");
		render_object(json_object_get(d, "enhancements"), 2);
	}
}

static void
render_check(json_t *d)
{
	json_t *p = json_object_get(d, "problems"), *v;
	size_t i;

	if (json_is_true(json_object_get(d, "clean"))) {
		printf("%sok%s: schema in sync, nothing pending\n", c_green,
		    c_off);
		return;
	}
	printf("%snot clean%s:\n", c_yellow, c_off);
	json_array_foreach(p, i, v)
		printf("  - %s\n", json_string_value(v));
}

static int
render_log(json_t *d)
{
#ifdef HAVE_AUDIT
	struct audit_rows rows;
	struct merr e;
	char *text;

	memset(&rows, 0, sizeof(rows));
	if (json_object_get(d, "rows") == NULL ||
	    audit_rows_from_json(json_object_get(d, "rows"), &rows, &e) == -1)
		return 0;
	if ((text = audit_render_text(&rows)) != NULL)
		fputs(text, stdout);
	free(text);
	audit_rows_release(&rows);
	return 1;
#else
	(void)d;
	return 0;
#endif
}

static void
text_result(const char *cmd, json_t *msg, json_t *data)
{
	const char *s;

	(void)msg;
	if (progress_tty)
		fflush(stderr);
	if (!strcmp(cmd, "status"))
		render_status(data);
	else if (!strcmp(cmd, "check"))
		render_check(data);
	else if ((s = str(data, "text"))[0] && !strcmp(cmd, "plan"))
		fputs(s, stdout);
	else if ((s = str(data, "markdown"))[0])
		fputs(s, stdout);
	else if (!strcmp(cmd, "log") && render_log(data))
		;
	else if (json_is_object(data) && json_object_size(data))
		render_object(data, 0);
	else
		printf("%sok%s\n", c_green, c_off);
	fflush(stdout);
}

static void
text_progress(const char *cmd, json_t *msg)
{
	json_t *d = json_object_get(msg, "data");
	const char *phase = str(d, "phase"), *name = str(d, "name");
	long long total = json_integer_value(json_object_get(d, "rows_total"));
	long long done = json_integer_value(json_object_get(d, "rows_done"));
	long long ms = json_integer_value(json_object_get(d, "elapsed_ms"));

	(void)cmd;
	if (!*name)
		name = str(d, "version");
	if (!strcmp(phase, "batch"))
		fprintf(stderr, "  %s: %lld%s%lld rows (%lld ms)\n", name, done,
		    total >= 0 ? "/" : "", total >= 0 ? total : 0, ms);
	else if (!strcmp(phase, "statement"))
		fprintf(stderr, "  %s: statement %lld/%lld (%lld ms)\n", name,
		    (long long)json_integer_value(json_object_get(d, "stmt")),
		    (long long)json_integer_value(json_object_get(d,
		    "nstmts")), ms);
	else
		fprintf(stderr, "%s%s%s %s %s%s%s\n", *tone(phase) ?
		    tone(phase) : c_bold, phase, c_off, str(d, "direction"),
		    name, *str(d, "message") ? ": " : "", str(d, "message"));
}

static void
text_error(const char *cmd, json_t *msg, enum proto_code code,
    const struct merr *e)
{
	char buf[1024];

	(void)msg;
	(void)cmd;
	(void)code;
	merr_format(e, buf, sizeof(buf));
	if (e->field[0] && !strstr(buf, e->field))
		fprintf(stderr, "migratectl: %serror%s: %s (field '%s')\n",
		    c_red, c_off, buf, e->field);
	else
		fprintf(stderr, "migratectl: %serror%s: %s\n", c_red, c_off,
		    buf);
	if (e->detail[0])
		fprintf(stderr, "migratectl: detail: %s\n", e->detail);
	if (e->hint[0])
		fprintf(stderr, "migratectl: hint: %s\n", e->hint);
}

const struct output output_text = { text_progress, text_result,
    text_error };
