/*
 * pull.c - `migrated --pull DIR`: read the catalogs, shape, render the
 * files in memory (see pull.h); core/pull_dir.c puts them on disk.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "model.h"
#include "pull.h"

static int
pull_nomem(struct merr *e)
{
	return merr_set(e, MERR_NOMEM, "out of memory");
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

/* ---- the files ---- */

/* A file name from a table or schema name: safe characters only. */
static char *
file_name(const char *sch, const char *name, char ***used, const char *ext)
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

		if ((n == 1 ? asprintf(&out, "%s%s", base, ext) :
		    asprintf(&out, "%s-%d%s", base, n, ext)) == -1) {
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

/* Add one file; name and text become the list's (freed on error). */
static int
add_file(struct pull_result *res, char *name, char *text, struct merr *e)
{
	if (name == NULL || text == NULL ||
	    pull_files_add(&res->files, name, text) == -1) {
		free(name);
		free(text);
		return pull_nomem(e);
	}
	return 0;
}

typedef int (*schema_file_fn)(const struct schema *, const char *,
    char **, struct merr *);

/* The objects of one kind in schema sch: have any? */
static int
schema_has(const struct schema *s, const char *sch, int kind)
{
	for (size_t j = 0; kind == 0 && j < s->nenums; j++)
		if (!strcmp(s->enums[j].schema, sch) &&
		    !strchr(s->enums[j].name, '.'))
			return 1;
	for (size_t j = 0; kind == 1 && j < s->ndomains; j++)
		if (!strcmp(s->domains[j].schema, sch))
			return 1;
	for (size_t j = 0; kind == 2 && j < s->nseqs; j++)
		if (!strcmp(s->seqs[j].schema, sch))
			return 1;
	return 0;
}

/* One file per schema for its enum types, domains and sequences. */
static int
render_schema(const struct schema *s, const char *sch,
    struct pull_result *res, char ***used, struct merr *e)
{
	static const char *const base[] = { "_enums", "_domains",
	    "_sequences" };
	static const schema_file_fn fn[] = { pull_yaml_enums,
	    pull_yaml_domains, pull_yaml_sequences };
	char *text;

	for (int k = 0; k < 3; k++) {
		if (!schema_has(s, sch, k))
			continue;
		text = NULL;
		if (fn[k](s, sch, &text, e) == -1 ||
		    add_file(res, file_name(sch, base[k], used, ".yaml"),
		    text, e) == -1)
			return -1;
	}
	return 0;
}

/* A schema's functions and views, or a table's policies and triggers
   (in base's file, "users.yaml" -> "users.sql"). */
static int
render_sql(const struct pull_sqlobjs *objs, const char *sch,
    const char *table, const char *base, struct pull_result *res,
    char ***used, struct merr *e)
{
	static const char *const kinds[] = { "fp", "vm" };
	static const char *const names[] = { "_functions", "_views" };
	char *text, *name;
	size_t n;

	for (int k = 0; k < (table ? 1 : 2); k++) {
		if (pull_sql_text(objs, sch, table, table ? "yt" : kinds[k],
		    &text, e) == -1)
			return -1;
		if (text == NULL)
			continue;
		if (table == NULL)
			name = file_name(sch, names[k], used, ".sql");
		else if ((n = strlen(base)) > 5 &&
		    (name = malloc(n)) != NULL)
			snprintf(name, n, "%.*s.sql", (int)(n - 5), base);
		else
			name = NULL;
		if (add_file(res, name, text, e) == -1)
			return -1;
	}
	return 0;
}

/* Every file of the pulled (prepared) schema, the notes last. */
static int
render_all(const struct schema *s, const struct pull_sqlobjs *objs,
    struct pull_result *res, struct merr *e)
{
	char **used = NULL, *text = NULL;
	int rc = 0;

	if (s->nexts && (pull_yaml_extensions(s, &text, e) == -1 ||
	    add_file(res, file_name("public", "_extensions", &used,
	    ".yaml"), text, e) == -1))
		rc = -1;
	for (size_t i = 0; rc == 0 && s->schemas && s->schemas[i]; i++)
		if ((rc = render_schema(s, s->schemas[i], res, &used,
		    e)) == 0)
			rc = render_sql(objs, s->schemas[i], NULL, NULL, res,
			    &used, e);
	for (size_t i = 0; rc == 0 && i < s->ntables; i++) {
		const struct sch_table *t = &s->tables[i];

		text = NULL;
		if (pull_yaml_table(s, t, &text, e) == -1 ||
		    add_file(res, file_name(t->schema, t->name, &used,
		    ".yaml"), text, e) == -1 ||
		    render_sql(objs, t->schema, t->name,
		    res->files.v[res->files.n - 1].name, res, &used, e) == -1)
			rc = -1;
		else
			res->tables++;
	}
	for (size_t i = 0; rc == 0 && i < s->nenums; i++)
		res->enums += !strchr(s->enums[i].name, '.');
	text = NULL;
	if (rc == 0 && (pull_notes_text(&res->notes, &text, e) == -1 ||
	    add_file(res, strdup(PULL_NOTES_FILE), text, e) == -1))
		rc = -1;
	schema_strv_free(used);
	return rc;
}

/* A schema noted as not created has SQL objects written after all: the
   models create it for them (its note goes). */
static void
schema_notes_done(struct pull_notes *ns, const struct pull_sqlobjs *objs)
{
	for (size_t i = ns->n; i-- > 0;) {
		struct pull_note *x = &ns->v[i];
		size_t len = strlen(x->name), j;

		if (strcmp(x->kind, "schema") || len == 0)
			continue;
		for (j = 0; j < objs->n; j++)
			if (strlen(objs->v[j].sch) == len - 1 &&
			    !strncmp(objs->v[j].sch, x->name, len - 1))
				break;
		if (j == objs->n)
			continue;
		free(x->kind);
		free(x->name);
		free(x->detail);
		memmove(x, x + 1, (ns->n - i - 1) * sizeof(*x));
		ns->n--;
	}
}

static int
read_live(struct db *db, const struct pull_opts *o, struct schema **s,
    struct pull_facts *facts, struct pull_sqlobjs *objs, struct merr *e)
{
	int rc;

	/* one snapshot for the catalog read and the scan */
	if (db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    e) == -1)
		return -1;
	rc = catalog_load(db, o->schemas, s, e);
	if (rc == 0)
		rc = pull_scan(db, o->schemas, facts, e);
	if (rc == 0)
		rc = pull_sql_read(db, (*s)->schemas, objs, e);
	if (db_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", rc ? NULL : e) == -1)
		rc = -1;
	return rc;
}

/*
 * The files load back, as models: a pull the loader refuses is our bug.
 * Checked here, before anything is written, so that migratectl, which
 * writes them, need not parse SQL.
 */
static int
pull_verify(const struct pull_files *f, struct merr *e)
{
	struct model_text *v;
	struct schema *back;
	struct merr le;
	int rc;

	if ((v = calloc(f->n ? f->n : 1, sizeof(*v))) == NULL)
		return pull_nomem(e);
	for (size_t i = 0; i < f->n; i++) {
		v[i].name = f->v[i].name;
		v[i].text = f->v[i].text;
	}
	merr_clear(&le);
	rc = model_load_texts(v, f->n, &back, &le);
	free(v);
	if (rc == 0) {
		schema_free(back);
		return 0;
	}
	if (le.code == MERR_NOMEM)
		return pull_nomem(e);
	return merr_set(e, MERR_INTERNAL, "the pulled models do not load: "
	    "%s:%d:%d: %s", le.file, le.line, le.col, le.msg);
}

int
pull_read(struct db *db, const struct pull_opts *o, struct pull_result *res,
    struct merr *e)
{
	struct pull_facts facts = { NULL, 0, 0 };
	struct pull_sqlobjs objs = { NULL, 0, 0 };
	struct schema *s = NULL;
	int rc;

	rc = read_live(db, o, &s, &facts, &objs, e);
	if (rc == 0)
		rc = pull_prep(s, &facts, o, &res->notes, e);
	if (rc == 0 && (rc = pull_sql_prune(&objs, s, o, &res->notes,
	    e)) == 0)
		schema_notes_done(&res->notes, &objs);
	if (rc == 0)
		rc = render_all(s, &objs, res, e);
	if (rc == 0)
		rc = pull_verify(&res->files, e);
	schema_free(s);
	pull_facts_release(&facts);
	pull_sqlobjs_release(&objs);
	return rc;
}

int
pull_run(struct db *db, const char *dir, const struct pull_opts *o,
    struct pull_result *res, struct merr *e)
{
	/* a folder that would be refused: before the database work */
	if (pull_dir_check(dir, o->force, e) == -1 ||
	    pull_read(db, o, res, e) == -1)
		return -1;
	return pull_write(dir, &res->files, o->force, e);
}
