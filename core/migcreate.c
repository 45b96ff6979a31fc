/* migcreate.c - `create NAME`: three new files from the template. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "migset.h"
#include "migrate.h"
#include "migset_int.h"

static const char default_doc[] =
    "# {{version}} {{name}}\n"
    "\n"
    "## Why\n"
    "\n"
    "What the application needs and why the models cannot express it.\n"
    "\n"
    "## What it changes\n"
    "\n"
    "- objects created or altered, rows touched\n"
    "\n"
    "## Locks and duration\n"
    "\n"
    "Which locks each statement takes and for how long; indexes on\n"
    "existing tables use CONCURRENTLY, constraints NOT VALID + VALIDATE,\n"
    "large UPDATEs a `-- migrated:batch size=N` backfill.\n"
    "\n"
    "## Rollback\n"
    "\n"
    "What `{{id}}_rollback.sql` undoes, and what it cannot (lost data).\n"
    "\n"
    "## Verification\n"
    "\n"
    "A query that shows the change worked.\n";

static const char up_sql[] =
    "-- {{id}}: forward migration (see {{id}}.md)\n"
    "-- migrated:lock_timeout=5s\n"
    "--\n"
    "-- Write it idempotently: tier 1 may already have created objects\n"
    "-- (IF NOT EXISTS, CREATE OR REPLACE, ...).\n"
    "\n";

static const char down_sql[] =
    "-- {{id}}: rollback of {{id}}.sql\n"
    "-- migrated:lock_timeout=5s\n"
    "\n";

/* Expand {{version}} {{name}} {{id}} {{date}}; malloc'd. */
static char *
expand(const char *tpl, const char *version, const char *name,
    const char *id, const char *date)
{
	const char *keys[] = { "{{version}}", "{{name}}", "{{id}}",
	    "{{date}}" };
	const char *vals[] = { version, name, id, date };
	size_t cap = strlen(tpl) * 2 + 512, n = 0, i;
	char *out = malloc(cap), *nout;
	const char *p = tpl;

	while (out && *p) {
		size_t add = 1;
		const char *src = p;

		for (i = 0; i < 4; i++) {
			if (strncmp(p, keys[i], strlen(keys[i])) == 0) {
				src = vals[i];
				add = strlen(vals[i]);
				p += strlen(keys[i]) - 1;
				break;
			}
		}
		if (n + add + 1 > cap) {
			cap = (n + add + 1) * 2;
			if ((nout = realloc(out, cap)) == NULL) {
				free(out);
				return NULL;
			}
			out = nout;
		}
		memcpy(out + n, src, add);
		n += add;
		p++;
	}
	if (out)
		out[n] = '\0';
	return out;
}

static int
name_check(const char *name, struct merr *e)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 80) {
		merr_set(e, MERR_USAGE, "bad migration name '%s': it must "
		    "have 1 to 80 characters", name);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_')
			continue;
		merr_set(e, MERR_USAGE, "bad migration name '%s': character "
		    "'%c' is not allowed", name, c);
		merr_hint(e, "use lowercase letters, digits and '_', such as "
		    "add_user_preferences");
		return -1;
	}
	return 0;
}

static int
write_new(const char *path, const char *text, struct merr *e)
{
	size_t len = strlen(text);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd == -1)
		return merr_setpos(e, MERR_IO, path, 0, 0, "cannot create: %s",
		    strerror(errno));
	if (write(fd, text, len) != (ssize_t)len) {
		merr_setpos(e, MERR_IO, path, 0, 0, "cannot write: %s",
		    strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

/*
 * Write n files into dir, all or none: an existing name refuses before
 * anything is written, a failure removes what was written.
 */
static int
write_files(const char *dir, int n, char *const fnames[],
    const char *const texts[], char *paths[3], struct merr *e)
{
	int i, made = 0;

	for (i = 0; i < n; i++) {
		if (asprintf(&paths[i], "%s/%s", dir, fnames[i]) == -1) {
			paths[i] = NULL;
			merr_set(e, MERR_NOMEM, "out of memory");
			goto fail;
		}
		if (access(paths[i], F_OK) == 0) {
			merr_setpos(e, MERR_IO, paths[i], 0, 0,
			    "refusing to overwrite an existing file");
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		if (write_new(paths[i], texts[i], e) == -1)
			goto fail;
		made = i + 1;
	}
	return 0;
fail:
	for (i = 0; i < 3; i++) {
		if (i < made)
			unlink(paths[i]);
		free(paths[i]);
		paths[i] = NULL;
	}
	return -1;
}

/* Native: VERSION_NAME.sql, _rollback.sql and .md from the template. */
static int
create_native(const char *dir, const char *name, time_t now,
    char *paths[3], struct merr *e)
{
	const char *sfx[3] = { ".sql", "_rollback.sql", ".md" };
	const char *tpl[3] = { up_sql, down_sql, default_doc };
	char version[32], date[32], id[160], *doc_tpl = NULL, *tp;
	char *fnames[3] = { NULL, NULL, NULL }, *texts[3] = { NULL, NULL,
	    NULL };
	struct tm tm;
	int i, rc = -1;

	gmtime_r(&now, &tm);
	strftime(version, sizeof(version), "%Y%m%d_%H%M%S", &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(id, sizeof(id), "%s_%s", version, name);
	if (asprintf(&tp, "%s/.template.md", dir) != -1) {
		struct merr ignore;

		if (access(tp, R_OK) == 0 &&
		    mig_read_file(tp, &doc_tpl, NULL, &ignore) == -1)
			doc_tpl = NULL;
		free(tp);
	}
	if (doc_tpl)
		tpl[2] = doc_tpl;
	for (i = 0; i < 3; i++)
		if (asprintf(&fnames[i], "%s%s", id, sfx[i]) == -1 ||
		    (texts[i] = expand(tpl[i], version, name, id, date)) ==
		    NULL) {
			merr_set(e, MERR_NOMEM, "out of memory");
			goto out;
		}
	rc = write_files(dir, 3, fnames, (const char *const *)texts, paths,
	    e);
out:
	for (i = 0; i < 3; i++) {
		free(fnames[i]);
		free(texts[i]);
	}
	free(doc_tpl);
	return rc;
}

/* The newest versioned migration (repeatables aside), or NULL. */
static const struct migration *
newest(const struct migset *set)
{
	for (size_t i = set->n; i-- > 0;)
		if (!set->v[i].repeatable)
			return &set->v[i];
	return NULL;
}

/*
 * Add one to the decimal number d[0..n), in place, keeping its width
 * (a carry out of the width widens it): out receives the result.
 */
static void
increment(const char *d, size_t n, char *out, size_t cap)
{
	char buf[MIG_VERSION_MAX + 2];
	size_t i;

	snprintf(buf + 1, sizeof(buf) - 1, "%.*s", (int)n, d);
	buf[0] = '0';
	for (i = n + 1; i-- > 0;) {
		if (buf[i] != '9') {
			buf[i]++;
			break;
		}
		buf[i] = '0';
	}
	snprintf(out, cap, "%s", buf[0] == '0' ? buf + 1 : buf);
}

/*
 * The next version in a numbered folder (golang-migrate, goose, dbmate,
 * single, pop, tern, sql-migrate, node-pg-migrate, postgrator: the
 * number its file name starts with): now as YYYYMMDDHHMMSS when the
 * newest version is such a timestamp (later than it; in a pop folder of
 * 20-digit versions YYYYMMDDHHMMSS000000; in a node-pg-migrate one now in
 * ms, 13 digits, or YYYYMMDDHHMMSS000, 17), else the newest plus one with
 * its padding.
 */
static void
next_number(const struct migset *set, time_t now, char *out, size_t cap)
{
	const struct migration *m = newest(set);
	const char *v = m ? m->version : "0";
	int sqlm = set->layout == MIG_LAYOUT_SQLMIGRATE;
	size_t n = sqlm ? strspn(v, "0123456789") : strlen(v);
	char ts[32];
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm);
	if (set->layout == MIG_LAYOUT_POP && n == 20 &&
	    strspn(v, "0123456789") == n) {
		memset(ts + 14, '0', 6);
		ts[n] = '\0';
	}
	if (set->layout == MIG_LAYOUT_NPGM && n == 13)
		snprintf(ts, sizeof(ts), "%lld000", (long long)now);
	else if (set->layout == MIG_LAYOUT_NPGM && n == 17)
		strcat(ts, "000");
	if (strlen(ts) == n && (v[0] == '1' || v[0] == '2') &&
	    strncmp(ts, v, n) > 0)
		snprintf(out, cap, "%s", ts);
	else if (!sqlm && strchr(v, '_'))	/* single, native versions */
		strftime(out, cap, "%Y%m%d_%H%M%S", &tm);
	else
		increment(v, n, out, cap);
}

/* One file in the tool's own markers, or golang-migrate's pair. */
static int
create_numbered(const struct migset *set, const char *name, time_t now,
    char *paths[3], struct merr *e)
{
	static const char goose[] = "-- +goose Up\n\n-- +goose Down\n";
	static const char dbmate[] = "-- migrate:up\n\n-- migrate:down\n";
	static const char single[] = "-- +++++ UP\n\n-- +++++ DOWN\n";
	static const char sqlm[] = "-- +migrate Up\n\n-- +migrate Down\n";
	static const char tern[] = "\n---- create above / drop below ----\n";
	static const char npgm[] = "-- Up Migration\n\n-- Down Migration\n";
	const char *texts[2] = { "", "" };
	char version[MIG_VERSION_MAX + 2], *fnames[2] = { NULL, NULL };
	int n = 1, rc = -1;

	next_number(set, now, version, sizeof(version));
	if (set->layout == MIG_LAYOUT_GOLANG ||
	    set->layout == MIG_LAYOUT_POP) {
		n = 2;
		if (asprintf(&fnames[0], "%s_%s.up.sql", version, name) ==
		    -1 || asprintf(&fnames[1], "%s_%s.down.sql", version,
		    name) == -1)
			goto nomem;
	} else if (set->layout == MIG_LAYOUT_POSTGRATOR) {
		n = 2;
		if (asprintf(&fnames[0], "%s.do.%s.sql", version, name) ==
		    -1 || asprintf(&fnames[1], "%s.undo.%s.sql", version,
		    name) == -1)
			goto nomem;
	} else {
		texts[0] = set->layout == MIG_LAYOUT_GOOSE ? goose :
		    set->layout == MIG_LAYOUT_DBMATE ? dbmate :
		    set->layout == MIG_LAYOUT_SQLMIGRATE ? sqlm :
		    set->layout == MIG_LAYOUT_TERN ? tern :
		    set->layout == MIG_LAYOUT_NPGM ? npgm : single;
		if (asprintf(&fnames[0], "%s_%s.sql", version, name) == -1)
			goto nomem;
	}
	rc = write_files(set->dir, n, fnames, texts, paths, e);
	goto out;
nomem:
	merr_set(e, MERR_NOMEM, "out of memory");
out:
	free(fnames[0]);
	free(fnames[1]);
	return rc;
}

/*
 * Flyway: the newest version as its file writes it (V1_1__x: "1_1"),
 * its last part plus one ("1_2"), or now when it is a timestamp.
 */
static void
next_flyway(const struct migset *set, time_t now, char *out, size_t cap)
{
	const struct migration *m = newest(set);
	const char *f = m ? strrchr(m->up.path, '/') + 2 : "0__";
	size_t n = (size_t)(strstr(f, "__") - f), last = n;
	char pre[MIG_VERSION_MAX], num[MIG_VERSION_MAX + 2];
	struct tm tm;

	while (last > 0 && f[last - 1] >= '0' && f[last - 1] <= '9')
		last--;
	if (last == 0 && n == 14 && (f[0] == '1' || f[0] == '2')) {
		gmtime_r(&now, &tm);
		strftime(out, cap, "%Y%m%d%H%M%S", &tm);
		if (strncmp(out, f, 14) > 0)
			return;
	}
	snprintf(pre, sizeof(pre), "%.*s", (int)last, f);
	increment(f + last, n - last, num, sizeof(num));
	if (snprintf(out, cap, "%s%s", pre, num) >= (int)cap)
		out[0] = '\0';	/* too long: never a real version */
}

static int
create_flyway(const struct migset *set, const char *name, time_t now,
    char *paths[3], struct merr *e)
{
	char version[MIG_VERSION_MAX + 2], *fnames[2] = { NULL, NULL };
	const char *texts[2] = { "", "" };
	int undo = 0, rc = -1;
	size_t i;

	for (i = 0; i < set->n; i++)
		undo |= set->v[i].down.path != NULL;
	next_flyway(set, now, version, sizeof(version));
	if (asprintf(&fnames[0], "V%s__%s.sql", version, name) == -1 ||
	    (undo && asprintf(&fnames[1], "U%s__%s.sql", version, name) ==
	    -1))
		merr_set(e, MERR_NOMEM, "out of memory");
	else
		rc = write_files(set->dir, 1 + undo, fnames, texts, paths, e);
	free(fnames[0]);
	free(fnames[1]);
	return rc;
}

/*
 * A folder per migration: Prisma's NOW_name/migration.sql (migrate dev
 * names it with UTC's %Y%m%d%H%M%S), Diesel's YYYY-MM-DD-HHMMSS_name/
 * with up.sql and down.sql (as 'diesel migration generate' writes them);
 * after the newest when now is not later.
 */
static int
create_dir(const struct migset *set, const char *name, time_t now,
    char *paths[3], struct merr *e)
{
	const struct migration *m = newest(set);
	int diesel = set->layout == MIG_LAYOUT_DIESEL, rc = -1;
	const char *texts[2] = { diesel ? "-- Your SQL goes here\n" : "",
	    "-- This file should undo anything in `up.sql`\n" };
	char v[MIG_VERSION_MAX + 2], d[MIG_VERSION_MAX + 8], *dname = NULL;
	char *path = NULL;
	char *fnames[2] = { NULL, NULL };
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(v, sizeof(v), "%Y%m%d%H%M%S", &tm);
	/* both tools order their versions as strings: a carry ("9" to
	   "10") would sort first, a digit more after it does not */
	if (m && strcmp(m->version, v) >= 0) {
		increment(m->version, strlen(m->version), v, sizeof(v));
		if (strlen(v) > strlen(m->version))
			snprintf(v, sizeof(v), "%s1", m->version);
	}
	if (diesel && strlen(v) == 14)	/* 2019-02-26-002946 */
		snprintf(d, sizeof(d), "%.4s-%.2s-%.2s-%s", v, v + 4, v + 6,
		    v + 8);
	else
		snprintf(d, sizeof(d), "%s", v);
	if (asprintf(&dname, "%s_%s", d, name) == -1 ||
	    asprintf(&path, "%s/%s", set->dir, dname) == -1 ||
	    asprintf(&fnames[0], "%s/%s", dname, diesel ? "up.sql" :
	    "migration.sql") == -1 || (diesel &&
	    asprintf(&fnames[1], "%s/down.sql", dname) == -1)) {
		merr_set(e, MERR_NOMEM, "out of memory");
		goto out;
	}
	if (mkdir(path, 0777) == -1) {
		merr_setpos(e, MERR_IO, path, 0, 0, "cannot make the "
		    "migration's folder: %s", errno == EEXIST ? "refusing to "
		    "use an existing one" : strerror(errno));
		goto out;
	}
	if ((rc = write_files(set->dir, diesel ? 2 : 1, fnames, texts, paths,
	    e)) == -1)
		rmdir(path);
out:
	free(dname);
	free(path);
	free(fnames[0]);
	free(fnames[1]);
	return rc;
}

int
migset_create(const char *dir, const char *name, time_t now, char *paths[3],
    struct merr *e)
{
	struct migset set;
	int rc;

	paths[0] = paths[1] = paths[2] = NULL;
	if (name_check(name, e) == -1)
		return -1;
	/* the folder must load: its layout says what to write */
	if (migset_load(&set, dir, e) == -1)
		return -1;
	switch (set.layout) {
	case MIG_LAYOUT_EMPTY:
	case MIG_LAYOUT_NATIVE:
		rc = create_native(dir, name, now, paths, e);
		break;
	case MIG_LAYOUT_FLYWAY:
		rc = create_flyway(&set, name, now, paths, e);
		break;
	case MIG_LAYOUT_PRISMA:
	case MIG_LAYOUT_DIESEL:
		rc = create_dir(&set, name, now, paths, e);
		break;
	default:
		rc = create_numbered(&set, name, now, paths, e);
		break;
	}
	migset_release(&set);
	return rc;
}

int
migrate_create(const char *dir, const char *name, time_t now,
    struct migrate_result *res, struct merr *e)
{
	res->op = "create";
	return migset_create(dir, name, now, res->paths, e);
}
