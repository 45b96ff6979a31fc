/*
 * migtools.c - the other tools' rules over a scanned migrations folder
 * (migfile.h): which of the files each tool runs, and as what, when one
 * file says the folder is that tool's (pop, node-pg-migrate, tern, goose's
 * and node-pg-migrate's and postgrator's code, Drizzle's journal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "migfile.h"
#include "migset_int.h"

/* Up before down, then by version, then the best rank first. */
static int
pop_cmp(const void *a, const void *b)
{
	const struct mig_file *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->version, y->version)) != 0)
		return c;
	return y->rank - x->rank;
}

/* Sorted by pop_cmp(): drop the rollbacks of versions with no up file. */
static size_t
pop_orphans(struct mig_file *v, size_t n)
{
	size_t i, k, ups = 0, u = 0;
	int c = 1;

	while (ups < n && v[ups].kind == KIND_POP_UP)
		ups++;
	for (i = k = 0; i < n; i++) {
		if (v[i].kind == KIND_POP_DOWN) {
			while (u < ups && (c = strcmp(v[u].version,
			    v[i].version)) < 0)
				u++;
			if (u == ups || c != 0) {
				mig_file_free(&v[i]);
				continue;
			}
		}
		v[k++] = v[i];
	}
	return k;
}

/* A plain up/down name in a pop folder: every database's file. */
static int
pop_plain(struct mig_file *f, struct merr *e)
{
	struct mig_popname pn;

	if (mig_pop_name(f->fname, &pn) == -1) {
		merr_setpos(e, MERR_INPUT, f->fname, 0, 0, "'%s' is not a pop "
		    "migration name", f->fname);
		merr_hint(e, "the folder is pop's (a file name says a "
		    "database): name its files NNN_name[.postgres]"
		    "[.autocommit].up.sql and .down.sql, the name without "
		    "dots");
		return -1;
	}
	free(f->name);
	if ((f->name = strndup(f->fname + pn.name_from, pn.name_to -
	    pn.name_from)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	f->kind = pn.down ? KIND_POP_DOWN : KIND_POP_UP;
	f->rank = pn.rank;
	f->autocommit = pn.autocommit;
	return 0;
}

/*
 * pop: once a name says a database or .autocommit, every up/down name is
 * pop's, and each version keeps the file pop runs on PostgreSQL (popx's
 * sortAndFilter): the highest rank; other databases' files are dropped,
 * and so is a rollback whose version has no up file left (popx never
 * runs it).  Two files of one rank stay, for set_duplicates() to name.
 */
int
mig_files_pop(struct mig_file *v, size_t *n, struct merr *e)
{
	size_t i, k;
	int any = 0;

	for (i = 0; i < *n; i++)
		any |= v[i].kind == KIND_POP_UP || v[i].kind == KIND_POP_DOWN;
	if (!any)
		return 0;
	for (i = 0; i < *n; i++)
		if ((v[i].kind == KIND_GOLANG_UP ||
		    v[i].kind == KIND_GOLANG_DOWN) && pop_plain(&v[i], e) == -1)
			return -1;
	qsort(v, *n, sizeof(*v), pop_cmp);
	for (i = k = 0; i < *n; i++) {
		/* sorted: a lower rank than the one kept for its version */
		if (v[i].rank < 0 || (k > 0 && v[k - 1].kind == v[i].kind &&
		    !strcmp(v[k - 1].version, v[i].version) &&
		    v[k - 1].rank > v[i].rank)) {
			mig_file_free(&v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	*n = pop_orphans(v, k);
	qsort(v, *n, sizeof(*v), mig_file_cmp);
	return 0;
}

/*
 * Migrations in code count only in their tool's folder: goose's Go in a
 * goose folder, JavaScript in a node-pg-migrate one.  Elsewhere such a
 * file is no migration, as before (dropped here).
 */
void
mig_files_code(struct mig_file *v, size_t *n)
{
	size_t i, k;
	int goose = 0, npgm = 0, pgrator = 0;

	for (i = 0; i < *n; i++) {
		goose |= v[i].kind == KIND_GOOSE;
		npgm |= v[i].kind == KIND_NPGM;
		pgrator |= v[i].kind == KIND_PGRATOR_DO;
	}
	for (i = k = 0; i < *n; i++) {
		if ((v[i].kind == KIND_GOOSE_GO && !goose) ||
		    (v[i].kind == KIND_NPGM_JS && !npgm) ||
		    (v[i].kind == KIND_PGRATOR_JS && !pgrator)) {
			mig_file_free(&v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	*n = k;
}

/*
 * node-pg-migrate: once one file has its rollback marker, every
 * NNNN_name.sql of the folder is node-pg-migrate's (the tool reads each
 * so; one without markers is all up).  Markers with words after them in
 * a folder of native rollbacks (_rollback.sql, which the tool has not)
 * are comments: such a file stays native.
 */
void
mig_files_npgm(struct mig_file *v, size_t n)
{
	size_t i;
	int any = 0, native = 0;

	for (i = 0; i < n; i++)
		native |= v[i].kind == KIND_NATIVE_DOWN;
	for (i = 0; i < n; i++) {
		if (v[i].kind == KIND_NPGM && v[i].weak && native)
			v[i].kind = KIND_NATIVE_UP;
		any |= v[i].kind == KIND_NPGM;
	}
	for (i = 0; any && i < n; i++)
		if (v[i].kind == KIND_NATIVE_UP)
			v[i].kind = KIND_NPGM;
}

/*
 * tern: a file without its separator reads as a native one; once one file
 * of the folder is tern's, every N_name.sql is (tern reads each so).
 */
int
mig_files_tern(struct mig_file *v, size_t n, struct merr *e)
{
	size_t i;
	int any = 0;

	for (i = 0; i < n; i++)
		any |= v[i].kind == KIND_TERN;
	for (i = 0; any && i < n; i++) {
		if (v[i].kind != KIND_NATIVE_UP || mig_tern_name(v[i].fname,
		    &v[i]) != 0)
			continue;
		if (v[i].name == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		v[i].kind = KIND_TERN;
	}
	return 0;
}

int
mig_drizzle_journal(const char *dir, json_t **j, json_t **entries,
    char **path, struct merr *e)
{
	json_error_t je;

	*j = *entries = NULL;
	if (asprintf(path, "%s/meta/_journal.json", dir) == -1) {
		*path = NULL;
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	if (access(*path, F_OK) != 0)
		return 0;
	*j = json_load_file(*path, 0, &je);
	if (json_is_array(*entries = json_object_get(*j, "entries")))
		return 0;
	merr_setpos(e, MERR_INPUT, *path, *j ? 0 : je.line, *j ? 0 :
	    je.column, "a Drizzle journal %s%s", *j ? "without an "
	    "\"entries\" list" : "that is no JSON: ", *j ? "" : je.text);
	merr_hint(e, "drizzle-kit writes it: restore it from version "
	    "control, or move the meta folder out if the folder is no "
	    "longer Drizzle's");
	json_decref(*j);
	*j = *entries = NULL;
	return -1;
}

/*
 * Is f (NNNN_name.sql) left behind by drizzle-kit: its version is a
 * journal entry's, whose tag names another file?
 */
static int
journal_left(json_t *entries, const struct mig_file *f)
{
	size_t i, len = strlen(f->fname) - 4, vl = strlen(f->version);
	json_t *ent;
	const char *tag;
	int same = 0, other = 0;

	json_array_foreach(entries, i, ent) {
		if ((tag = json_string_value(json_object_get(ent, "tag"))) ==
		    NULL)
			continue;
		if (strlen(tag) == len && strncmp(tag, f->fname, len) == 0)
			same = 1;
		else if (strncmp(tag, f->version, vl) == 0 && tag[vl] == '_')
			other = 1;
	}
	return other && !same;
}

/*
 * Drizzle: drizzle-kit runs the entries of its journal (meta/_journal.json
 * in the folder) and no other file.  One it left behind under an entry's
 * version (Dokploy's 0130_abandoned_dagger.sql beside the journal's
 * 0130_perpetual_screwball) is dropped here, as the tool passes it over;
 * another (written since, for migrated) is read.
 */
int
mig_files_drizzle(const char *dir, struct mig_file *v, size_t *n, int *drizzle,
    struct merr *e)
{
	json_t *j, *entries;
	char *path;
	size_t i, k;
	int rc;

	if ((rc = mig_drizzle_journal(dir, &j, &entries, &path, e)) == -1 ||
	    j == NULL) {
		free(path);
		return rc;	/* no journal: no Drizzle folder */
	}
	for (i = k = 0; i < *n; i++) {
		if (v[i].kind == KIND_NATIVE_UP &&
		    journal_left(entries, &v[i])) {
			mig_file_free(&v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	*n = k;
	*drizzle = 1;
	json_decref(j);
	free(path);
	return 0;
}
