/*
 * golden.c - build/tests/test_golden: the golden files of tests/golden/
 * (see README.md there), run with no database, as bgpd's regress tests
 * diff `bgpd -nv` output.  Prints TAP ("ok N - plan/in_sync").
 *
 *   test_golden [-u] [DIR]        every case under DIR (default: this
 *                                 folder); -u rewrites the expected files
 *   test_golden --catalog CONN    print the catalog snapshot of a database
 *                                 (the cluster suite makes catalog.json
 *                                 files with it, so they are honest)
 *
 * Kinds of case:
 *   model/NAME/models/ -> expected.out   the model loader: the schema as
 *                                        snapshot JSON, or the error
 *   plan/NAME/models/ + catalog.json -> expected.out
 *                                        the planner: plan text, or the
 *                                        error, exactly as `migrated
 *                                        --plan` prints it (2>&1, then
 *                                        "exit N")
 *   lint/NAME.sql -> lint/NAME.out       the lint's findings
 *   folder/NAME/migrations/ -> expected.out
 *                                        a migrations folder as migset
 *                                        reads it: layout, order, each
 *                                        script's transaction mode and
 *                                        statements, or the errors
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "db.h"
#include "lint.h"
#include "migset.h"
#include "model.h"
#include "plan.h"
#include "snapshot.h"

#ifndef GOLDEN_DIR
#define GOLDEN_DIR	"tests/golden"
#endif

/* migrated's defaults (core/config.c): never drift. */
#define OWN_SCHEMA	"public"
#define OWN_TRACKING	"migrated_versions"
#define OWN_AUDIT	"migrated_audit"

static int ntests, nfailed, update;

/* A whole file, malloc'd (caller frees), or NULL. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	if (f == NULL || (m = open_memstream(&s, &len)) == NULL) {
		if (f)
			fclose(f);
		return NULL;
	}
	while ((c = getc(f)) != EOF)
		putc(c, m);
	fclose(f);
	fclose(m);
	return s;
}

/* An error as log_merr() prints it for migrated (one line each part). */
static void
print_merr(FILE *out, const struct merr *e)
{
	char buf[1024];

	merr_format(e, buf, sizeof(buf));
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (e->field[0] && !strstr(buf, e->field))
		fprintf(out, "migrated: error: %s (key '%s')\n", buf, e->field);
	else
		fprintf(out, "migrated: error: %s\n", buf);
	if (e->detail[0])
		fprintf(out, "migrated: detail: %s\n", e->detail);
	if (e->hint[0])
		fprintf(out, "migrated: hint: %s\n", e->hint);
}

/* model/NAME: in the case's folder. */
static int
run_model(FILE *out)
{
	struct schema *s;
	struct merr e;
	char *text;

	merr_clear(&e);
	if (model_load_dir("models", &s, &e) == -1) {
		print_merr(out, &e);
		return 1;
	}
	if (snapshot_format(s, &text, &e) == -1) {
		schema_free(s);
		print_merr(out, &e);
		return 1;
	}
	fputs(text, out);
	free(text);
	schema_free(s);
	return 0;
}

static int
plan_schemas(struct schema *want, struct schema *have, FILE *out)
{
	struct plan_opts o = { .own_schema = OWN_SCHEMA, .own_tables = {
	    OWN_TRACKING, OWN_AUDIT, NULL } };
	struct plan *p;
	struct merr e;
	char *text;

	merr_clear(&e);
	if (plan_compute(want, have, &o, &p, &e) == -1) {
		print_merr(out, &e);
		return 1;
	}
	if (plan_format_text(p, &text, &e) == -1) {
		plan_free(p);
		print_merr(out, &e);
		return 1;
	}
	fputs(text, out);
	free(text);
	plan_free(p);
	return 0;
}

/* plan/NAME: the models against catalog.json, in the case's folder. */
static int
run_plan(FILE *out)
{
	struct schema *want = NULL, *have = NULL;
	char *json;
	struct merr e;
	int rc;

	merr_clear(&e);
	/* as tier 1: a model error wins over a database one */
	if (model_load_dir("models", &want, &e) == -1) {
		print_merr(out, &e);
		return 1;
	}
	if ((json = slurp("catalog.json")) == NULL) {
		merr_set(&e, MERR_IO, "cannot read 'catalog.json': %s",
		    strerror(errno));
		rc = 1;
	} else
		rc = snapshot_parse("catalog.json", json, &have, &e) == -1;
	if (rc)
		print_merr(out, &e);
	else
		rc = plan_schemas(want, have, out);
	free(json);
	schema_free(want);
	schema_free(have);
	return rc;
}

/* lint/NAME.sql: its findings, one per line. */
static int
run_lint(FILE *out, const char *file)
{
	struct mig_script sc;
	struct lint_list l;
	struct merr e;
	char *sql;
	int rc = 0;

	merr_clear(&e);
	lint_list_init(&l);
	if ((sql = slurp(file)) == NULL) {
		fprintf(out, "cannot read '%s'\n", file);
		return 1;
	}
	if (migset_parse_text(&sc, file, sql, &e) == -1 ||
	    lint_script(&sc, &l, &e) == -1) {
		print_merr(out, &e);
		rc = 1;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct lint_finding *f = &l.v[i];

		fprintf(out, "%s:%d:%d: statement %d: %s (%s)\n", f->file,
		    f->line, f->col, f->stmt, f->message,
		    lint_rule_name(f->rule));
		if (f->hint[0])
			fprintf(out, "  hint: %s\n", f->hint);
	}
	if (rc == 0 && l.n == 0)
		fprintf(out, "no findings\n");
	migset_script_release(&sc);	/* zeroed by the parser: safe */
	lint_list_release(&l);
	free(sql);
	return rc;
}

/* One script: its transaction mode and statements (first line each). */
static void
print_script(FILE *out, const char *dir, const struct mig_script *sc,
    int rc, struct merr *e)
{
	static const char *const kinds[] = { "", "[no tx] ", "[tx] ",
	    "[batch] " };

	fprintf(out, "  %s: ", dir);
	if (rc == -1) {
		print_merr(out, e);
		merr_clear(e);
		return;
	}
	fprintf(out, "%s, %zu statement%s\n", migset_txmode_name(sc->tx),
	    sc->nstmts, sc->nstmts == 1 ? "" : "s");
	for (size_t i = 0; i < sc->nstmts; i++) {
		const struct mig_stmt *st = &sc->stmts[i];
		int n = (int)strcspn(st->sql, "\n");

		fprintf(out, "    %d:%d %s%.*s%s\n", st->line, st->col,
		    kinds[st->kind], n > 60 ? 60 : n, st->sql,
		    n > 60 || st->sql[n] ? " ..." : "");
	}
}

/* folder/NAME: migrations/ loaded, every script parsed. */
static int
run_folder(FILE *out)
{
	struct migset s;
	struct merr e;
	int rc = 0, r;

	merr_clear(&e);
	if (migset_load(&s, "migrations", &e) == -1) {
		print_merr(out, &e);
		return 1;
	}
	fprintf(out, "layout %s\n", migset_layout_name(s.layout));
	for (size_t i = 0; i < s.n; i++) {
		struct migration *m = &s.v[i];

		fprintf(out, "%s %s", m->version, m->id);
		if (m->repeatable)
			fprintf(out, " (repeatable)");
		else if (m->code)
			fprintf(out, " (%s: not run)", m->code);
		fputc('\n', out);
		rc |= (r = migset_prepare(m, &e)) == -1;
		print_script(out, "up", &m->up, r, &e);
		if (m->down.path == NULL) {
			fprintf(out, "  down: none\n");
			continue;
		}
		rc |= (r = migset_prepare_down(m, &e)) == -1;
		print_script(out, "down", &m->down, r, &e);
	}
	migset_release(&s);
	return rc;
}

/* The first line where got and want differ, for the report. */
static void
report_diff(const char *got, const char *want)
{
	int line = 1;
	size_t n;

	while (*got && *got == *want) {
		line += *got == '\n';
		got++;
		want++;
	}
	while (line > 1 && got[-1] != '\n') {
		got--;
		want--;
	}
	printf("# first difference at line %d\n", line);
	n = strcspn(want, "\n");
	printf("# want: %.*s\n", (int)n, want);
	n = strcspn(got, "\n");
	printf("# got:  %.*s\n", (int)n, got);
}

/* Compare what a case printed with its expected file. */
static void
check(const char *label, const char *got, const char *expected)
{
	char *want = slurp(expected);
	FILE *f;

	ntests++;
	if (update && (f = fopen(expected, "w")) != NULL) {
		fputs(got, f);
		fclose(f);
		free(want);
		want = slurp(expected);
	}
	if (want && strcmp(want, got) == 0) {
		printf("ok %d - %s\n", ntests, label);
	} else {
		nfailed++;
		printf("not ok %d - %s\n", ntests, label);
		if (want == NULL)
			printf("# cannot read '%s'\n", expected);
		else
			report_diff(got, want);
		printf("# accept a deliberate change: %s -u, then review "
		    "git diff tests/golden\n", "build/tests/test_golden");
	}
	free(want);
}

enum kind { K_MODEL, K_PLAN, K_LINT, K_FOLDER };

/* Run one case in its folder (lint: the file in the lint folder). */
static void
run_case(const char *dir, const char *kind, const char *name, enum kind k)
{
	char label[512], *got = NULL, *cwd = getcwd(NULL, 0), out[512];
	size_t len = 0;
	FILE *f;
	int rc = 1;

	snprintf(label, sizeof(label), "%s/%s", kind, name);
	if (k == K_LINT)	/* NAME.sql -> NAME.out */
		snprintf(out, sizeof(out), "%.*s.out", (int)strlen(name) - 4,
		    name);
	if (cwd == NULL || chdir(dir) == -1 ||
	    (f = open_memstream(&got, &len)) == NULL) {
		ntests++;
		nfailed++;
		printf("not ok %d - %s: cannot enter %s\n", ntests, label, dir);
		free(cwd);
		return;
	}
	if (k == K_MODEL)
		rc = run_model(f);
	else if (k == K_PLAN)
		rc = run_plan(f);
	else if (k == K_FOLDER)
		rc = run_folder(f);
	else
		rc = run_lint(f, name);
	if (k != K_LINT)
		fprintf(f, "exit %d\n", rc);
	fclose(f);
	check(label, got, k == K_LINT ? out : "expected.out");
	free(got);
	if (chdir(cwd) == -1)
		perror(cwd);
	free(cwd);
}

static int
not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void
run_kind(const char *root, const char *kind, enum kind k)
{
	struct dirent **v;
	char dir[1024], sub[2048];
	size_t len;
	int n;

	snprintf(dir, sizeof(dir), "%s/%s", root, kind);
	if ((n = scandir(dir, &v, not_hidden, alphasort)) == -1) {
		ntests++;
		nfailed++;
		printf("not ok %d - %s: %s\n", ntests, dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		len = strlen(v[i]->d_name);
		snprintf(sub, sizeof(sub), "%s/%s", dir, v[i]->d_name);
		if (k == K_LINT && len > 4 &&
		    !strcmp(v[i]->d_name + len - 4, ".sql"))
			run_case(dir, kind, v[i]->d_name, k);
		else if (k != K_LINT && v[i]->d_type == DT_DIR)
			run_case(sub, kind, v[i]->d_name, k);
		free(v[i]);
	}
	free(v);
}

/* Every table of s as "schema", "table" pairs, for catalog_probe_rows. */
static char **
all_tables(const struct schema *s)
{
	char **v = calloc(2 * s->ntables + 1, sizeof(*v));

	for (size_t i = 0; v && i < s->ntables; i++) {
		v[2 * i] = s->tables[i].schema;
		v[2 * i + 1] = s->tables[i].name;
	}
	return v;
}

/* --catalog: what tier 1 would read (every table probed for rows). */
static int
dump_catalog(const char *conninfo)
{
	struct schema *s = NULL;
	struct merr e;
	struct db db;
	char **which = NULL, *text = NULL;
	int rc = 1;

	merr_clear(&e);
	if (db_connect(&db, conninfo, "test_golden", &e) == -1) {
		print_merr(stderr, &e);
		return 1;
	}
	if (catalog_load(&db, NULL, &s, &e) == 0 &&
	    (which = all_tables(s)) != NULL &&
	    catalog_probe_rows(&db, s, which, &e) == 0 &&
	    snapshot_format(s, &text, &e) == 0) {
		fputs(text, stdout);
		rc = 0;
	} else
		print_merr(stderr, &e);
	free(text);
	free(which);
	schema_free(s);
	db_close(&db);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *root = GOLDEN_DIR;

	if (argc == 3 && !strcmp(argv[1], "--catalog"))
		return dump_catalog(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "-u")) {
		update = 1;
		argc--;
		argv++;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: test_golden [-u] [DIR]\n"
		    "       test_golden --catalog CONNINFO\n");
		return 2;
	}
	if (argc == 2)
		root = argv[1];
	run_kind(root, "model", K_MODEL);
	run_kind(root, "plan", K_PLAN);
	run_kind(root, "lint", K_LINT);
	run_kind(root, "folder", K_FOLDER);
	printf("1..%d\n", ntests);
	return nfailed || ntests == 0 ? 1 : 0;
}
