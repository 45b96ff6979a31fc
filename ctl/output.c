/* output.c - text and JSON output for migratectl. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

#include "audit.h"	/* log: the audit rows as compact text */
#include "proto_status.h"	/* status, check, version: the fields */

static const char *c_red = "", *c_green = "", *c_yellow = "", *c_bold = "",
    *c_dim = "", *c_off = "";
static int progress_tty;
static int progress_open;	/* an overwritable progress line is shown */
/* progress lines not written yet: a batch from the daemon goes out in one
 * write (text_flush), not one per line (stderr has no buffer) */
static char progress_buf[16384];
static size_t progress_len;

static void
text_flush(void)
{
	if (progress_len)
		fwrite(progress_buf, 1, progress_len, stderr);
	progress_len = 0;
}

static void __attribute__((format(printf, 1, 2)))
progress_printf(const char *fmt, ...)
{
	size_t room = sizeof(progress_buf) - progress_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(progress_buf + progress_len, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < room) {
		progress_len += (size_t)n;
		return;
	}
	text_flush();	/* no room: what is there first, then this line */
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void
progress_close(void)
{
	text_flush();
	if (progress_open)
		fputs("\r\033[K", stderr);
	progress_open = 0;
}

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
json_put(json_t *msg)
{
	char *s = proto_encode(msg, NULL);

	if (s) {
		fputs(s, stdout);
		free(s);
	}
}

static void
json_print(json_t *msg)
{
	json_put(msg);
	fflush(stdout);
}

/* Progress objects wait in stdout's buffer for json_flush. */
static void
json_progress(const char *cmd, json_t *msg)
{
	(void)cmd;
	json_put(msg);
}

static void
json_flush(void)
{
	fflush(stdout);
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
    json_error, json_flush };

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
	if (!strcmp(s, "applied") || !strcmp(s, "ok") || !strcmp(s, "safe") ||
	    !strcmp(s, "done"))
		return c_green;
	if (!strcmp(s, "pending") || !strcmp(s, "drift") ||
	    !strcmp(s, "retry"))
		return c_yellow;
	if (!strcmp(s, "dirty") || !strcmp(s, "missing") ||
	    !strcmp(s, "refused") || !strcmp(s, "failed") ||
	    !strcmp(s, "fail"))
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

/* An array of objects as an aligned table of their scalar fields but
 * skip (NULL: none). */
static void
render_table(json_t *arr, int indent, const char *skip)
{
	const char *cols[TABLE_COLS];
	int w[TABLE_COLS], ncol = 0;
	json_t *first = json_array_get(arr, 0), *row, *v;
	const char *k;
	char buf[64];
	size_t i;

	json_object_foreach(first, k, v)
		if (is_scalar(v) && ncol < TABLE_COLS &&
		    (skip == NULL || strcmp(k, skip)))
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
		printf("%-*s%s", c + 1 < ncol ? w[c] : 0, cols[c],
		    c + 1 < ncol ? "  " : "");
	printf("%s\n", c_off);
	json_array_foreach(arr, i, row) {
		printf("%*s", indent, "");
		for (int c = 0; c < ncol; c++) {
			const char *s = scalar(json_object_get(row, cols[c]),
			    buf, sizeof(buf));
			const char *t = tone(s);

			/* the last column is not padded: no trailing blanks */
			printf("%s%-*.*s%s%s", t, c + 1 < ncol ? w[c] : 0,
			    CELL_MAX, s, *t ? c_off : "", c + 1 < ncol ? "  " :
			    "");
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
		render_table(v, indent + 2, NULL);
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

static long long
num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/*
 * The daemon's status objects are read by field, from the tables both
 * sides share (core/proto_status.h): f(obj, table, index).
 */
static json_t *
f(json_t *o, const struct proto_field *t, int i)
{
	return proto_field_get(o, t, i);
}

static const char *
fstr(json_t *o, const struct proto_field *t, int i)
{
	const char *s = json_string_value(f(o, t, i));

	return s ? s : "";
}

static long long
fnum(json_t *o, const struct proto_field *t, int i)
{
	return (long long)json_integer_value(f(o, t, i));
}

static int
ftrue(json_t *o, const struct proto_field *t, int i)
{
	return json_is_true(f(o, t, i));
}

/*
 * A key the table does not know (a newer daemon): shown as it comes
 * rather than dropped.  The unit test keeps the daemon's own keys known.
 */
static void
render_unknown(json_t *o, const struct proto_field *t)
{
	const char *k;
	char key[80];
	json_t *v;

	json_object_foreach(o, k, v)
		if (proto_field_find(t, k) == NULL) {
			snprintf(key, sizeof(key), "%s:", k);
			render_field(key, v, 0, 13);
		}
}

/* schema: in sync (last run: 6 applied, 0 refused, 0 drift, 70 ms) */
static void
render_schema(json_t *t1)
{
	const struct proto_field *t = proto_t1_fields;
	const struct proto_field *pf = t[T1_PROBLEMS].sub;
	json_t *p = f(t1, t, T1_PROBLEMS), *v;
	size_t i;

	if (!ftrue(t1, t, T1_AVAILABLE)) {
		printf("schema:       tier 1 not built\n");
		return;
	}
	printf("schema:       %s%s%s (last run: %lld applied, %lld refused, "
	    "%lld drift, %lld ms%s)\n", json_array_size(p) ? c_yellow :
	    c_green, json_array_size(p) ? "not in sync" : "in sync", c_off,
	    fnum(t1, t, T1_APPLIED), fnum(t1, t, T1_REFUSED),
	    fnum(t1, t, T1_DRIFT), fnum(t1, t, T1_DURATION),
	    ftrue(t1, t, T1_WAITED) ? ", waited for another host" : "");
	json_array_foreach(p, i, v)
		printf("  %s%-7s%s %s %s: %s\n", tone(fstr(v, pf, PR_CLASS)),
		    fstr(v, pf, PR_CLASS), c_off, fstr(v, pf, PR_KIND),
		    fstr(v, pf, PR_TARGET), fstr(v, pf, PR_REASON));
}

static void
render_dirty(json_t *t2)
{
	const struct proto_field *df = proto_t2_fields[T2_DIRTY].sub;
	json_t *d;
	size_t i;

	json_array_foreach(f(t2, proto_t2_fields, T2_DIRTY), i, d)
		printf("  %sdirty%s %s (%s, %lld of %lld statements done)%s%s\n",
		    c_red, c_off, fstr(d, df, DI_NAME),
		    fstr(d, df, DI_DIRECTION), fnum(d, df, DI_STMT_DONE),
		    fnum(d, df, DI_NSTMTS), *fstr(d, df, DI_ERROR) ? ": " : "",
		    fstr(d, df, DI_ERROR));
}

/* enhancements: current V; 1 pending: X */
static void
render_enh(json_t *t2)
{
	const struct proto_field *t = proto_t2_fields;
	json_t *p = f(t2, t, T2_PENDING), *v;
	const char *cur = fstr(t2, t, T2_CURRENT);
	size_t i;

	if (!ftrue(t2, t, T2_AVAILABLE)) {
		printf("enhancements: tier 2 not built\n");
		return;
	}
	printf("enhancements: current %s; %s%zu pending%s", *cur ? cur : "none",
	    json_array_size(p) ? c_yellow : "", json_array_size(p),
	    json_array_size(p) ? ": " : "");
	json_array_foreach(p, i, v)
		printf("%s%s", i ? ", " : "", json_string_value(v));
	printf("%s\n", json_array_size(p) ? c_off : "");
	if (fnum(t2, t, T2_DRIFT) || fnum(t2, t, T2_MISSING) ||
	    fnum(t2, t, T2_OOO))
		printf("  %s%lld edited after apply, %lld missing, %lld out of "
		    "order%s\n", c_red, fnum(t2, t, T2_DRIFT),
		    fnum(t2, t, T2_MISSING), fnum(t2, t, T2_OOO), c_off);
	render_dirty(t2);
	json_array_foreach(f(t2, t, T2_WARNINGS), i, v)
		printf("  %swarning%s %s (rollback-syntax)\n", c_yellow, c_off,
		    json_string_value(v));
}

static void
render_db(json_t *d)
{
	const struct proto_field *t = proto_status_fields[ST_DATABASE].sub;
	json_t *db = f(d, proto_status_fields, ST_DATABASE);
	int avail = ftrue(db, t, DB_AVAILABLE);

	const char *role = fstr(db, t, DB_ROLE);

	printf("database:     %s%s%s %s\n", avail ? c_green : c_red,
	    avail ? "available" : "unavailable", c_off,
	    fstr(db, t, avail ? DB_WHERE : DB_ERROR));
	if (*role)
		printf("server:       %s port %s, %s\n", fstr(db, t, DB_HOST),
		    fstr(db, t, DB_PORT), role);
}

static void
render_status(json_t *d)
{
	const struct proto_field *t = proto_status_fields;
	const struct proto_field *bt = t[ST_BUSY].sub;
	json_t *busy = f(d, t, ST_BUSY), *fleet = json_object_get(d, "fleet");
	long long up = fnum(d, t, ST_UPTIME);

	printf("%smigrated %s%s (pid %lld, up %lldh%02lldm%02llds)%s\n",
	    c_bold, fstr(d, t, ST_VERSION), c_off, fnum(d, t, ST_PID),
	    up / 3600, up / 60 % 60, up % 60,
	    ftrue(d, t, ST_READY) ? "" : ", not ready");
	printf("status:       %s\n", fstr(d, t, ST_STATUS));
	if (fleet == NULL)	/* a fleet: one database a member */
		render_db(d);
	if (json_is_object(busy))
		printf("busy:         %s%s%s since %s (uid %lld)\n", c_yellow,
		    fstr(busy, bt, BUSY_OP), c_off, fstr(busy, bt, BUSY_SINCE),
		    fnum(busy, bt, BUSY_UID));
	if (json_is_string(f(d, t, ST_LAST_ERROR)))
		printf("last error:   %s%s%s\n", c_red,
		    fstr(d, t, ST_LAST_ERROR), c_off);
	if (json_is_string(f(d, t, ST_RELOAD_ERROR)))
		printf("reload:       %sfailed, old configuration kept: %s%s\n",
		    c_red, fstr(d, t, ST_RELOAD_ERROR), c_off);
	if (json_is_object(f(d, t, ST_SCHEMA)))
		render_schema(f(d, t, ST_SCHEMA));
	if (json_is_object(f(d, t, ST_ENH)))
		render_enh(f(d, t, ST_ENH));
	if (fleet == NULL)
		printf("apply:        %s\n", fstr(d, t, ST_APPLY));
	render_unknown(d, t);
}

static void
render_check(json_t *d)
{
	const struct proto_field *t = proto_check_fields;
	json_t *v;
	size_t i;

	if (ftrue(d, t, CK_CLEAN)) {
		printf("%sok%s: schema in sync, nothing pending\n", c_green,
		    c_off);
	} else {
		printf("%snot clean%s:\n", c_yellow, c_off);
		json_array_foreach(f(d, t, CK_PROBLEMS), i, v)
			printf("  - %s\n", json_string_value(v));
	}
	render_unknown(d, t);
}

/* One "label: value" line per field of the table, in its order. */
static void
render_fields(json_t *d, const struct proto_field *t)
{
	char key[80];
	int width = 0;

	for (int i = 0; t[i].name; i++)
		if ((int)strlen(t[i].label) > width)
			width = (int)strlen(t[i].label);
	for (int i = 0; t[i].name; i++) {
		snprintf(key, sizeof(key), "%s:", t[i].label);
		render_field(key, f(d, t, i), 0, width);
	}
	render_unknown(d, t);
}

static int
render_log(json_t *d)
{
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
}

/*
 * Tier-2 results (list, validate, up, down, goto, force, redo, adopt,
 * baseline, create).
 */
static int
render_tier2(const char *cmd, json_t *d)
{
	json_t *steps = json_object_get(d, "steps");
	json_t *files = json_object_get(d, "files");
	json_t *lint = json_object_get(d, "lint");
	json_t *rows = json_object_get(d, "migrations");
	const char *cur = str(d, "current");

	if (!json_is_string(json_object_get(d, "op")))
		return 0;
	if (json_array_size(files) > 0) {
		render_field("created:", files, 0, 8);
		return 1;
	}
	if (!strcmp(cmd, "list") || !strcmp(cmd, "validate")) {
		if (json_array_size(rows) > 0)
			render_table(rows, 0, NULL);
		else
			printf("no enhancements in the folder\n");
	} else if (json_array_size(steps) > 0) {
		/* a dry run ran nothing: no duration to show */
		render_table(steps, 0, !strncmp(str(json_array_get(steps, 0),
		    "action"), "would ", 6) ? "duration_ms" : NULL);
	} else {
		printf("nothing to do\n");
	}
	if (json_array_size(lint) > 0) {
		printf("%slint%s\n", c_yellow, c_off);
		render_table(lint, 2, NULL);
	}
	printf("current version: %s\n", *cur ? cur : "none");
	if (*str(d, "notice"))
		fprintf(stderr, "migratectl: %swarning%s: %s\n", c_yellow,
		    c_off, str(d, "notice"));
	return 1;
}

static void
text_result(const char *cmd, json_t *msg, json_t *data)
{
	const char *s;

	(void)msg;
	progress_close();
	if (!strcmp(cmd, "status"))
		render_status(data);
	else if (!strcmp(cmd, "check"))
		render_check(data);
	else if (!strcmp(cmd, "version"))
		render_fields(data, proto_version_fields);
	else if ((s = str(data, "text"))[0] && !strcmp(cmd, "plan"))
		fputs(s, stdout);
	else if ((s = str(data, "markdown"))[0])
		fputs(s, stdout);
	else if (!strcmp(cmd, "log") && render_log(data))
		;
	else if (render_tier2(cmd, data))
		;
	else if (json_is_object(data) && json_object_size(data))
		render_object(data, 0);
	else
		printf("%sok%s\n", c_green, c_off);
	fflush(stdout);
}

/*
 * An adaptive batch's pace after its rows: " · batch 37: 2000 rows in
 * 41 ms, target 20 ms -> size 1500, pause 30 ms (batch over the target)";
 * nothing for a fixed pace.
 */
static void
pace_text(char *buf, size_t len, json_t *d)
{
	json_t *c = json_object_get(d, "pace");

	buf[0] = '\0';
	if (c == NULL || !strcmp(str(c, "decision"), "fixed"))
		return;
	snprintf(buf, len, " \u00b7 batch %lld: %lld rows in %lld ms, target "
	    "%lld ms \u2192 size %lld, pause %lld ms (%s)", num(c, "batch"),
	    num(c, "rows"), num(c, "ms"), num(c, "target_ms"), num(c, "size"),
	    num(c, "pause_ms"), str(c, "reason"));
}

/*
 * One line per statement or batch; on a terminal those lines overwrite
 * each other and only start, done, retry and fail lines stay.
 */
static void
text_progress(const char *cmd, json_t *msg)
{
	json_t *d = json_object_get(msg, "data");
	const char *phase = str(d, "phase"), *name = str(d, "name");
	long long total = num(d, "rows_total"), done = num(d, "rows_done");
	long long ms = num(d, "elapsed_ms");
	const char *clr = progress_tty ? "\r\033[K" : "";
	const char *end = progress_tty ? "" : "\n";
	char pace[256];

	(void)cmd;
	pace_text(pace, sizeof(pace), d);
	if (!*name)
		name = str(d, "version");
	progress_open = progress_tty && (!strcmp(phase, "batch") ||
	    !strcmp(phase, "statement"));
	if (!strcmp(phase, "batch") && total >= 0)
		progress_printf("%s  %s: %lld/%lld rows (%lld ms)%s%s", clr,
		    name, done, total, ms, pace, end);
	else if (!strcmp(phase, "batch"))
		progress_printf("%s  %s: %lld rows (%lld ms)%s%s", clr, name,
		    done, ms, pace, end);
	else if (!strcmp(phase, "statement"))
		progress_printf("%s  %s: statement %lld/%lld (%lld ms)%s", clr,
		    name, num(d, "stmt"), num(d, "nstmts"), ms, end);
	else
		progress_printf("%s%s%s%s %s %s%s%s\n", clr, *tone(phase) ?
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
	progress_close();
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
    text_error, text_flush };
