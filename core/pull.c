/*
 * pull.c - `migrated --pull DIR`: read, shape, write a temporary folder,
 * load it back, put it in place (see pull.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "model.h"
#include "pull.h"

static int
pull_nomem(struct merr *e)
{
	return merr_set(e, MERR_NOMEM, "out of memory");
}

void
pull_result_init(struct pull_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
pull_result_release(struct pull_result *r)
{
	for (size_t i = 0; i < r->notes.n; i++) {
		free(r->notes.v[i].kind);
		free(r->notes.v[i].name);
		free(r->notes.v[i].detail);
	}
	free(r->notes.v);
	memset(r, 0, sizeof(*r));
}

int
pull_note_add(struct pull_notes *ns, const char *kind, const char *name,
    const char *detail)
{
	struct pull_note *v, *x;

	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 32;

		if ((v = realloc(ns->v, cap * sizeof(*v))) == NULL)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	x = &ns->v[ns->n++];
	x->kind = strdup(kind);
	x->name = strdup(name);
	x->detail = detail ? strdup(detail) : NULL;
	return (x->kind && x->name && (!detail || x->detail)) ? 0 : -1;
}

/* ---- PULL_NOTES.md ---- */

/* A table cell: '|' and newlines would end it. */
static void
cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

int
pull_notes_text(const struct pull_notes *ns, char **out, struct merr *e)
{
	size_t len;
	FILE *f;

	if ((f = open_memstream(out, &len)) == NULL)
		return pull_nomem(e);
	fprintf(f, "# What `migrated --pull` did not write\n\n");
	if (ns->n == 0)
		fprintf(f, "Nothing: every object of the database is in "
		    "these models.\n");
	else
		fprintf(f, "%zu object%s of the database %s not in these "
		    "models, or not as the database has %s. The model format "
		    "cannot say %s yet; applying these models to an empty "
		    "database does not create %s, and `--plan` against the "
		    "database reports what differs.\n\n"
		    "| kind | object | detail |\n|---|---|---|\n", ns->n,
		    ns->n == 1 ? "" : "s", ns->n == 1 ? "is" : "are",
		    ns->n == 1 ? "it" : "them", ns->n == 1 ? "it" : "them",
		    ns->n == 1 ? "it" : "them");
	for (size_t i = 0; i < ns->n; i++) {
		fputs("| ", f);
		cell(f, ns->v[i].kind);
		fputs(" | ", f);
		cell(f, ns->v[i].name);
		fputs(" | ", f);
		cell(f, ns->v[i].detail);
		fputs(" |\n", f);
	}
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return pull_nomem(e);
	}
	return 0;
}

/* ---- the folder ---- */

/* A file name from a table or schema name: safe characters only. */
static char *
file_name(const char *sch, const char *name, char ***used)
{
	char *base, *out = NULL;
	int n = 1;

	if ((strcmp(sch, "public") ? asprintf(&base, "%s.%s", sch, name) :
	    asprintf(&base, "%s", name)) == -1)
		return NULL;
	for (char *p = base; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			*p = '_';
	for (;;) {
		int taken = 0;

		if ((n == 1 ? asprintf(&out, "%s.yaml", base) :
		    asprintf(&out, "%s-%d.yaml", base, n)) == -1) {
			out = NULL;
			break;
		}
		/* names that differ only in case clash on some systems */
		for (size_t i = 0; *used && (*used)[i] && !taken; i++)
			taken = !strcasecmp((*used)[i], out);
		if (!taken)
			break;
		free(out);
		out = NULL;
		n++;
	}
	free(base);
	if (out && schema_strv_push(used, out) == -1) {
		free(out);
		out = NULL;
	}
	return out;
}

static int
write_file(const char *dir, const char *name, const char *text,
    struct merr *e)
{
	char *path;
	FILE *f;
	int rc = 0;

	if (asprintf(&path, "%s/%s", dir, name) == -1)
		return pull_nomem(e);
	if ((f = fopen(path, "wx")) == NULL ||
	    fputs(text, f) == EOF || fflush(f) == EOF || fsync(fileno(f))) {
		rc = merr_setpos(e, MERR_IO, path, 0, 0, "cannot write: %m");
	}
	if (f && fclose(f) != 0 && rc == 0)
		rc = merr_setpos(e, MERR_IO, path, 0, 0, "cannot write: %m");
	free(path);
	return rc;
}

/* A file of a models folder (what --force may replace). */
static int
is_model_file(const char *name)
{
	size_t n = strlen(name);

	return !strcmp(name, PULL_NOTES_FILE) ||
	    (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	    (n > 4 && !strcmp(name + n - 4, ".yml"));
}

enum dir_state { DIR_MISSING, DIR_EMPTY, DIR_MODELS, DIR_OTHER };

static int
dir_state(const char *dir, enum dir_state *st, struct merr *e)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;

	*st = DIR_EMPTY;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT) {
			*st = DIR_MISSING;
			return 0;
		}
		return merr_setpos(e, MERR_IO, dir, 0, 0, "cannot open "
		    "folder: %m");
	}
	while ((de = readdir(d)) != NULL) {
		char path[4096];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (*st == DIR_EMPTY)
			*st = DIR_MODELS;
		if (!is_model_file(de->d_name) || lstat(path, &sb) == -1 ||
		    !S_ISREG(sb.st_mode))
			*st = DIR_OTHER;
	}
	closedir(d);
	return 0;
}

/* Remove the files of a flat folder we made (or emptied), then it. */
static void
remove_flat(const char *dir)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")
			    && is_model_file(de->d_name))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

static int
check_dir(const char *dir, int force, enum dir_state *st, struct merr *e)
{
	if (dir_state(dir, st, e) == -1)
		return -1;
	if (*st == DIR_OTHER || (*st == DIR_MODELS && !force)) {
		merr_setpos(e, MERR_USAGE, dir, 0, 0, "models folder is not "
		    "empty");
		merr_hint(e, *st == DIR_MODELS ? "--force replaces its model "
		    "files (*.yaml, *.yml, %s)" : "pull into a new or empty "
		    "folder: this one holds files that are not models",
		    PULL_NOTES_FILE);
		return -1;
	}
	return 0;
}

/* Every file of the pulled schema into dir (a new, empty folder). */
static int
write_all(const char *dir, const struct schema *s,
    struct pull_result *res, struct merr *e)
{
	char **used = NULL, *name = NULL, *text = NULL;
	int rc = 0;

	for (size_t i = 0; rc == 0 && s->schemas && s->schemas[i]; i++) {
		int any = 0;

		for (size_t j = 0; j < s->nenums; j++)
			any |= !strcmp(s->enums[j].schema, s->schemas[i]) &&
			    !strchr(s->enums[j].name, '.');
		if (!any)
			continue;
		if ((name = file_name(s->schemas[i], "_enums", &used)) == NULL)
			rc = pull_nomem(e);
		else if ((rc = pull_yaml_enums(s, s->schemas[i], &text,
		    e)) == 0 && (rc = write_file(dir, name, text, e)) == 0)
			res->files++;
		free(name);
		free(text);
		text = NULL;
	}
	for (size_t i = 0; rc == 0 && i < s->ntables; i++) {
		const struct sch_table *t = &s->tables[i];

		if ((name = file_name(t->schema, t->name, &used)) == NULL)
			rc = pull_nomem(e);
		else if ((rc = pull_yaml_table(s, t, &text, e)) == 0 &&
		    (rc = write_file(dir, name, text, e)) == 0) {
			res->files++;
			res->tables++;
		}
		free(name);
		free(text);
		text = NULL;
	}
	if (rc == 0 && pull_notes_text(&res->notes, &text, e) == 0) {
		rc = write_file(dir, PULL_NOTES_FILE, text, e);
		free(text);
	} else
		rc = -1;
	schema_strv_free(used);
	return rc;
}

/* The written folder must load: a pull the loader refuses is our bug. */
static int
verify(const char *tmp, struct merr *e)
{
	struct schema *back;
	struct merr le;

	merr_clear(&le);
	if (model_load_dir(tmp, &back, &le) == 0) {
		schema_free(back);
		return 0;
	}
	merr_set(e, MERR_INTERNAL, "the pulled models do not load: %s:%d:%d: "
	    "%s", le.file, le.line, le.col, le.msg);
	return -1;
}

/* tmp -> dir: a rename, or for --force an exchange with the old one. */
static int
install(const char *tmp, const char *dir, enum dir_state st, struct merr *e)
{
	if (st != DIR_MODELS) {
		if (rename(tmp, dir) == -1)
			return merr_setpos(e, MERR_IO, dir, 0, 0, "cannot "
			    "rename %s to it: %m", tmp);
		return 0;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == -1)
		return merr_setpos(e, MERR_IO, dir, 0, 0, "cannot exchange it "
		    "with %s: %m", tmp);
	remove_flat(tmp);		/* now the old model files */
	return 0;
}

static int
read_live(struct db *db, const struct pull_opts *o, struct schema **s,
    struct pull_facts *facts, struct merr *e)
{
	int rc;

	/* one snapshot for the catalog read and the scan */
	if (db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    e) == -1)
		return -1;
	rc = catalog_load(db, o->schemas, s, e);
	if (rc == 0)
		rc = pull_scan(db, o->schemas, facts, e);
	if (db_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", rc ? NULL : e) == -1)
		rc = -1;
	return rc;
}

int
pull_run(struct db *db, const char *dir, const struct pull_opts *o,
    struct pull_result *res, struct merr *e)
{
	struct pull_facts facts = { NULL, 0, 0 };
	struct schema *s = NULL;
	enum dir_state st;
	char *tmp = NULL;
	int rc;

	if (check_dir(dir, o->force, &st, e) == -1)
		return -1;
	rc = read_live(db, o, &s, &facts, e);
	if (rc == 0)
		rc = pull_prep(s, &facts, o, &res->notes, e);
	if (rc == 0 && asprintf(&tmp, "%s.pull-XXXXXX", dir) == -1) {
		tmp = NULL;
		rc = pull_nomem(e);
	}
	if (rc == 0 && mkdtemp(tmp) == NULL) {
		rc = merr_setpos(e, MERR_IO, tmp, 0, 0, "cannot create "
		    "folder: %m");
		free(tmp);
		tmp = NULL;
	}
	if (rc == 0)
		rc = write_all(tmp, s, res, e);
	if (rc == 0)
		rc = verify(tmp, e);
	if (rc == 0)
		rc = check_dir(dir, o->force, &st, e);	/* again, now */
	if (rc == 0)
		rc = install(tmp, dir, st, e);
	if (rc == -1 && tmp)
		remove_flat(tmp);
	for (size_t i = 0; s && i < s->nenums; i++)
		res->enums += !strchr(s->enums[i].name, '.');
	free(tmp);
	schema_free(s);
	pull_facts_release(&facts);
	return rc;
}
