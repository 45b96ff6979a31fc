/*
 * audit_render.c - audit rows as JSON (both ways), compact text and the
 * MIGRATIONS_LOG.md markdown.  Pure functions over struct audit_rows: the
 * daemon sends JSON, migratectl turns it back into rows and renders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

static json_t *
audit_jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
audit_jnum(long long n)
{
	return n >= 0 ? json_integer(n) : json_null();
}

static json_t *
audit_row_json(const struct audit_row *w)
{
	return json_pack("{sI so so so so so so si sb so so ss so so so so"
	    " sI so so so}",
	    "id", (json_int_t)w->id,
	    "at", audit_jstr(w->at),
	    "action", audit_jstr(w->action),
	    "target", audit_jstr(w->target),
	    "detail", audit_jstr(w->detail),
	    "checksum", audit_jstr(w->checksum),
	    "duration_ms", audit_jnum(w->duration_ms),
	    "statements", w->statements,
	    "ok", w->ok,
	    "sqlstate", audit_jstr(w->sqlstate),
	    "error", audit_jstr(w->error),
	    "actor", w->is_daemon ? "daemon" : "peer",
	    "uid", audit_jnum(w->uid),
	    "user", audit_jstr(w->user),
	    "pid", audit_jnum(w->pid),
	    "host", audit_jstr(w->host),
	    "daemon_pid", (json_int_t)w->daemon_pid,
	    "daemon_version", audit_jstr(w->daemon_version),
	    "prev_hash", audit_jstr(w->prev_hash),
	    "hash", audit_jstr(w->hash));
}

json_t *
audit_rows_json(const struct audit_rows *rows)
{
	json_t *a = json_array(), *o;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < rows->n; i++) {
		/* "o" steals the references audit_jstr made */
		if ((o = audit_row_json(&rows->v[i])) == NULL ||
		    json_array_append_new(a, o) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Field k of object o: a string or null; 0 ok, -1 wrong type or nomem. */
static int
audit_jget_str(const json_t *o, const char *k, int required, char **out)
{
	const json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return required ? -1 : 0;
	if (!json_is_string(v))
		return -1;
	return (*out = strdup(json_string_value(v))) ? 0 : -1;
}

static int
audit_jget_num(const json_t *o, const char *k, int required, long long *out)
{
	const json_t *v = json_object_get(o, k);

	*out = -1;
	if (v == NULL || json_is_null(v))
		return required ? -1 : 0;
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* Fill w from o; returns the name of the bad field, or NULL. */
static const char *
audit_row_from_json(const json_t *o, struct audit_row *w)
{
	const json_t *ok = json_object_get(o, "ok");
	const json_t *actor = json_object_get(o, "actor");
	long long n;

#define STR(k, f, req) if (audit_jget_str(o, k, req, &w->f) == -1) return k
#define NUM(k, f, req) if (audit_jget_num(o, k, req, &w->f) == -1) return k
	if (!json_is_object(o))
		return "";
	NUM("id", id, 1);
	STR("at", at, 1);
	STR("action", action, 1);
	STR("target", target, 0);
	STR("detail", detail, 0);
	STR("checksum", checksum, 0);
	NUM("duration_ms", duration_ms, 0);
	if (audit_jget_num(o, "statements", 0, &n) == -1)
		return "statements";
	w->statements = n > 0 ? (int)n : 0;
	if (!json_is_boolean(ok))
		return "ok";
	w->ok = json_is_true(ok);
	STR("sqlstate", sqlstate, 0);
	STR("error", error, 0);
	if (!json_is_string(actor))
		return "actor";
	w->is_daemon = strcmp(json_string_value(actor), "daemon") == 0;
	NUM("uid", uid, 0);
	STR("user", user, 0);
	NUM("pid", pid, 0);
	STR("host", host, 0);
	NUM("daemon_pid", daemon_pid, 0);
	STR("daemon_version", daemon_version, 0);
	STR("prev_hash", prev_hash, 0);
	STR("hash", hash, 0);
#undef STR
#undef NUM
	return NULL;
}

int
audit_rows_from_json(const json_t *a, struct audit_rows *rows,
    struct merr *e)
{
	const char *bad;
	size_t i, n;

	memset(rows, 0, sizeof(*rows));
	if (!json_is_array(a)) {
		merr_set(e, MERR_INPUT, "audit rows: expected an array");
		snprintf(e->field, sizeof(e->field), "rows");
		return -1;
	}
	if ((n = json_array_size(a)) == 0)
		return 0;
	if ((rows->v = calloc(n, sizeof(*rows->v))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		rows->n++;
		if ((bad = audit_row_from_json(json_array_get(a, i),
		    &rows->v[i])) != NULL) {
			merr_set(e, MERR_INPUT, "audit rows: bad or missing "
			    "field '%s' in row %zu", bad, i);
			snprintf(e->field, sizeof(e->field), "rows[%zu]%s%s",
			    i, bad[0] ? "." : "", bad);
			audit_rows_release(rows);
			return -1;
		}
	}
	return 0;
}

static void
audit_fmt_duration(long long ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%lldms", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%lld.%llds", ms / 1000, ms % 1000 / 100);
	else
		snprintf(buf, len, "%lldm%02llds", ms / 60000,
		    ms % 60000 / 1000);
}

/* "2026-01-31T12:00:00.123456Z" -> "2026-01-31 12:00:00" */
static void
audit_fmt_time(const char *at, char *buf, size_t len)
{
	snprintf(buf, len, "%.19s", at ? at : "?");
	if (strlen(buf) > 10 && buf[10] == 'T')
		buf[10] = ' ';
}

static void
audit_fmt_who(const struct audit_row *w, char *buf, size_t len)
{
	if (w->is_daemon)
		snprintf(buf, len, "daemon@%s", w->host ? w->host : "?");
	else if (w->user)
		snprintf(buf, len, "%s(%lld)@%s pid %lld", w->user, w->uid,
		    w->host ? w->host : "?", w->pid);
	else
		snprintf(buf, len, "uid %lld@%s pid %lld", w->uid,
		    w->host ? w->host : "?", w->pid);
}

/* First line of s, at most max bytes (whole UTF-8 characters). */
static void
audit_fmt_line(const char *s, size_t max, char *buf, size_t len)
{
	size_t n;

	if (s == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	n = strcspn(s, "\n");
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(buf, len, "%.*s%s", (int)n, s, s[n] && s[n] != '\n' ?
	    "..." : "");
}

char *
audit_render_text(const struct audit_rows *rows)
{
	size_t i, wa = 6, wt = 6, size = 0;
	char t[24], d[24], who[600], tg[80], *out = NULL;
	FILE *f;

	for (i = 0; i < rows->n; i++) {
		const struct audit_row *w = &rows->v[i];

		audit_fmt_line(w->target ? w->target : w->detail, 40, tg,
		    sizeof(tg));
		if (strlen(w->action) > wa)
			wa = strlen(w->action);
		if (strlen(tg) > wt)
			wt = strlen(tg);
	}
	if ((f = open_memstream(&out, &size)) == NULL)
		return NULL;
	for (i = 0; i < rows->n; i++) {
		const struct audit_row *w = &rows->v[i];

		audit_fmt_time(w->at, t, sizeof(t));
		audit_fmt_duration(w->duration_ms, d, sizeof(d));
		audit_fmt_who(w, who, sizeof(who));
		audit_fmt_line(w->target ? w->target : w->detail, 40, tg,
		    sizeof(tg));
		fprintf(f, "%6lld  %s  %-*s  %-*s  %-4s  %7s  %s", w->id, t,
		    (int)wa, w->action, (int)wt, tg, w->ok ? "ok" : "FAIL",
		    d, who);
		if (!w->ok && (w->sqlstate || w->error)) {
			audit_fmt_line(w->error, 200, who, sizeof(who));
			fprintf(f, "  %s%s%s", w->sqlstate ? w->sqlstate : "",
			    w->sqlstate ? " " : "", w->error ? who : "");
		}
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * The markdown log.  A version's state follows its tier-2 events in id
 * order: a successful apply makes it applied, a successful rollback rolled
 * back, force forced; a failure marks it failed unless it is applied.
 */
struct audit_vstate {
	char			*version;	/* owned */
	const char		*name;		/* borrowed, or NULL */
	const char		*state;
	const struct audit_row	*applied;	/* last successful apply */
	int			 in_folder;
};

struct audit_md {
	struct audit_vstate	*v;
	size_t			 n, cap;
};

/* "20240103_120000_add_x" -> length of "20240103_120000" */
static size_t
audit_version_len(const char *t)
{
	size_t n = strspn(t, "0123456789"), m;

	if (n > 0 && t[n] == '_') {
		m = strspn(t + n + 1, "0123456789");
		if (m > 0 && (t[n + 1 + m] == '_' || t[n + 1 + m] == '\0'))
			n += 1 + m;
	}
	return n;
}

static int
audit_md_add(struct audit_md *md, const char *version, size_t len,
    const char *name)
{
	struct audit_vstate *s;

	if (md->n == md->cap) {
		size_t cap = md->cap ? md->cap * 2 : 16;

		if ((s = reallocarray(md->v, cap, sizeof(*s))) == NULL)
			return -1;
		md->v = s;
		md->cap = cap;
	}
	s = &md->v[md->n];
	memset(s, 0, sizeof(*s));
	if ((s->version = strndup(version, len)) == NULL)
		return -1;
	s->name = name;
	s->state = "pending";
	s->in_folder = 1;
	md->n++;
	return 0;
}

/* The version a target names: exact name, exact version, longest prefix. */
static struct audit_vstate *
audit_md_find(struct audit_md *md, const char *target)
{
	struct audit_vstate *best = NULL;
	size_t i, len, bestlen = 0;

	for (i = 0; i < md->n; i++) {
		const struct audit_vstate *s = &md->v[i];

		if (s->name && strcmp(s->name, target) == 0)
			return &md->v[i];
		len = strlen(s->version);
		if (strncmp(target, s->version, len) == 0 &&
		    (target[len] == '\0' || target[len] == '_') &&
		    len > bestlen) {
			best = &md->v[i];
			bestlen = len;
		}
	}
	return best;
}

static int
audit_md_apply(struct audit_md *md, const struct audit_row *w)
{
	const char *a = w->action;
	struct audit_vstate *s;
	size_t len;

	if (strncmp(a, "tier2.", 6) != 0 || w->target == NULL)
		return 0;
	/* whole-history events: their target is a tool, a table, a bound */
	if (!strcmp(a, "tier2.adopt") || !strcmp(a, "tier2.baseline") ||
	    !strcmp(a, "tier2.upgrade"))
		return 0;
	if ((s = audit_md_find(md, w->target)) == NULL) {
		if ((len = audit_version_len(w->target)) == 0)
			len = strlen(w->target);
		if (audit_md_add(md, w->target, len, w->target) == -1)
			return -1;
		s = &md->v[md->n - 1];
		s->in_folder = 0;
	}
	if (w->ok && strcmp(a, "tier2.apply") == 0) {
		s->state = "applied";
		s->applied = w;
	} else if (w->ok && strcmp(a, "tier2.rollback") == 0) {
		s->state = "rolled back";
		s->applied = NULL;
	} else if (w->ok && strcmp(a, "tier2.force") == 0) {
		s->state = "forced";
		s->applied = NULL;
	} else if (!w->ok && s->applied == NULL) {
		s->state = "failed";
	}
	return 0;
}

/* A table cell: pipes escaped, newlines as spaces, at most max bytes. */
static void
audit_md_cell(FILE *f, const char *s, size_t max)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s[i] && i < max; i++) {
		if (s[i] == '|')
			fputs("\\|", f);
		else if (s[i] == '\n' || s[i] == '\r')
			fputc(' ', f);
		else
			fputc(s[i], f);
	}
	if (s[i])
		fputs("...", f);
}

static void
audit_md_who(FILE *f, const struct audit_row *w)
{
	char who[600];

	if (w->is_daemon)
		snprintf(who, sizeof(who), "migrated on %s", w->host ?
		    w->host : "?");
	else
		snprintf(who, sizeof(who), "%s (uid %lld) on %s", w->user ?
		    w->user : "?", w->uid, w->host ? w->host : "?");
	audit_md_cell(f, who, 200);
}

static int
audit_row_cmp(const void *a, const void *b)
{
	const struct audit_row *x = *(const struct audit_row *const *)a;
	const struct audit_row *y = *(const struct audit_row *const *)b;

	return (x->id > y->id) - (x->id < y->id);
}

static void
audit_md_versions(FILE *f, const struct audit_md *md)
{
	char t[24], d[24];
	size_t i;

	fputs("## Versions\n\n| Version | Description | State |"
	    " Applied at (UTC) | By | Duration | Checksum |\n"
	    "|---|---|---|---|---|---|---|\n", f);
	for (i = 0; i < md->n; i++) {
		const struct audit_vstate *s = &md->v[i];
		const struct audit_row *w = s->applied;
		const char *desc = s->name ? s->name : "";

		if (s->name && strncmp(desc, s->version,
		    strlen(s->version)) == 0) {
			desc += strlen(s->version);
			desc += *desc == '_';
		}
		fputs("| ", f);
		audit_md_cell(f, s->version, 80);
		fputs(" | ", f);
		audit_md_cell(f, desc, 120);
		fprintf(f, " | %s%s | ", s->state, s->in_folder ? "" :
		    ", not in folder");
		if (w) {
			audit_fmt_time(w->at, t, sizeof(t));
			audit_fmt_duration(w->duration_ms, d, sizeof(d));
			fprintf(f, "%s | ", t);
			audit_md_who(f, w);
			fprintf(f, " | %s | ", d);
			if (w->checksum)
				fprintf(f, "`%.12s`", w->checksum);
			fputs(" |\n", f);
		} else
			fputs(" |  |  |  |\n", f);
	}
	if (md->n == 0)
		fputs("| (none) | | | | | | |\n", f);
}

static void
audit_md_history(FILE *f, const struct audit_row *const *sorted, size_t n)
{
	char t[24], d[24];
	size_t i;
	int any = 0;

	fputs("\n## History\n\n| # | Time (UTC) | Action | Version | Result |"
	    " By | Duration | Statements |\n"
	    "|---|---|---|---|---|---|---|---|\n", f);
	for (i = 0; i < n; i++) {
		const struct audit_row *w = sorted[i];

		if (strncmp(w->action, "tier2.", 6) != 0)
			continue;
		any = 1;
		audit_fmt_time(w->at, t, sizeof(t));
		audit_fmt_duration(w->duration_ms, d, sizeof(d));
		fprintf(f, "| %lld | %s | %s | ", w->id, t, w->action + 6);
		audit_md_cell(f, w->target, 80);
		fputs(" | ", f);
		if (w->ok)
			fputs("ok", f);
		else {
			fputs("failed: ", f);
			audit_md_cell(f, w->sqlstate, 5);
			fputs(" ", f);
			audit_md_cell(f, w->error, 160);
		}
		fputs(" | ", f);
		audit_md_who(f, w);
		fprintf(f, " | %s | %d |\n", d, w->statements);
	}
	if (!any)
		fputs("| | | (no enhancement applied yet) | | | | | |\n", f);
}

char *
audit_render_markdown(const struct audit_rows *rows,
    const struct audit_version *versions, size_t nversions,
    const char *dbname)
{
	const struct audit_row **sorted = NULL;
	struct audit_md md = { NULL, 0, 0 };
	char *out = NULL;
	size_t i, size = 0;
	FILE *f = NULL;
	int ok = 0;

	if (rows->n && (sorted = calloc(rows->n, sizeof(*sorted))) == NULL)
		return NULL;
	for (i = 0; i < rows->n; i++)
		sorted[i] = &rows->v[i];
	if (rows->n)
		qsort(sorted, rows->n, sizeof(*sorted), audit_row_cmp);
	for (i = 0; i < nversions; i++)
		if (audit_md_add(&md, versions[i].version,
		    strlen(versions[i].version), versions[i].name) == -1)
			goto out;
	for (i = 0; i < rows->n; i++)
		if (audit_md_apply(&md, sorted[i]) == -1)
			goto out;
	if ((f = open_memstream(&out, &size)) == NULL)
		goto out;
	fputs("# Migrations log\n\n", f);
	fputs("Generated by `migratectl log --markdown` (`make "
	    "migrations-log`) from the audit trail", f);
	if (dbname) {
		fputs(" of database `", f);
		audit_md_cell(f, dbname, 120);
		fputs("`", f);
	}
	fputs(". Do not edit by hand: regenerate it.\n\n", f);
	audit_md_versions(f, &md);
	audit_md_history(f, sorted, rows->n);
	ok = 1;
out:
	if (f && fclose(f) != 0)
		ok = 0;
	for (i = 0; i < md.n; i++)
		free(md.v[i].version);
	free(md.v);
	free(sorted);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

void
audit_rows_release(struct audit_rows *rows)
{
	size_t i;

	for (i = 0; i < rows->n; i++) {
		struct audit_row *w = &rows->v[i];

		free(w->at);
		free(w->action);
		free(w->target);
		free(w->detail);
		free(w->checksum);
		free(w->sqlstate);
		free(w->error);
		free(w->user);
		free(w->host);
		free(w->daemon_version);
		free(w->prev_hash);
		free(w->hash);
	}
	free(rows->v);
	memset(rows, 0, sizeof(*rows));
}
