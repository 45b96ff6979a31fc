/* migcreate.c - `create NAME`: three new files from the template. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migset.h"
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

int
migset_create(const char *dir, const char *name, time_t now, char *paths[3],
    struct merr *e)
{
	const char *sfx[3] = { ".sql", "_rollback.sql", ".md" };
	const char *tpl[3] = { up_sql, down_sql, default_doc };
	char version[32], date[32], id[160], *doc_tpl = NULL, *tp, *text;
	struct migset set;
	struct tm tm;
	int i, made = 0;

	paths[0] = paths[1] = paths[2] = NULL;
	if (name_check(name, e) == -1)
		return -1;
	/* the folder must load and use the native layout (or be empty) */
	if (migset_load(&set, dir, e) == -1)
		return -1;
	i = set.layout != MIG_LAYOUT_NATIVE && set.layout != MIG_LAYOUT_EMPTY;
	migset_release(&set);
	if (i)
		return merr_setpos(e, MERR_USAGE, dir, 0, 0, "create writes "
		    "the native layout, but this folder uses another one");
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
	for (i = 0; i < 3; i++) {
		if (asprintf(&paths[i], "%s/%s%s", dir, id, sfx[i]) == -1) {
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
	for (i = 0; i < 3; i++) {
		if ((text = expand(tpl[i], version, name, id, date)) == NULL) {
			merr_set(e, MERR_NOMEM, "out of memory");
			goto fail;
		}
		if (write_new(paths[i], text, e) == -1) {
			free(text);
			goto fail;
		}
		free(text);
		made = i + 1;
	}
	free(doc_tpl);
	return 0;
fail:
	for (i = 0; i < 3; i++) {
		if (i < made)
			unlink(paths[i]);
		free(paths[i]);
		paths[i] = NULL;
	}
	free(doc_tpl);
	return -1;
}
