/* migset.c - a migrations folder: layouts, versions, checksums. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "migset.h"
#include "migset_int.h"

/* What one file name says about itself. */
enum mig_kind {
	KIND_NATIVE_UP = 0, KIND_NATIVE_DOWN, KIND_GOLANG_UP,
	KIND_GOLANG_DOWN, KIND_SINGLE, KIND_DOC, KIND_N
};

struct mig_file {
	char		*fname;
	enum mig_kind	 kind;
	char		 version[MIG_VERSION_MAX];
	char		*name;
};

static const char *const kind_layout[KIND_N] = {
	"native", "native", "golang-migrate", "golang-migrate", "single-file",
	"native",
};

const char *
migset_layout_name(enum mig_layout l)
{
	switch (l) {
	case MIG_LAYOUT_NATIVE: return "native";
	case MIG_LAYOUT_GOLANG: return "golang-migrate";
	case MIG_LAYOUT_SINGLE: return "single-file";
	default: return "empty";
	}
}

const char *
migset_txmode_name(enum mig_txmode t)
{
	switch (t) {
	case MIG_TX_NONE: return "none";
	case MIG_TX_EXPLICIT: return "explicit";
	default: return "transaction";
	}
}

int
migset_order(const char *v, uint64_t *order)
{
	char digits[MIG_VERSION_MAX];
	size_t i, n = 0;
	uint64_t x = 0;

	for (i = 0; v[i]; i++) {
		if (v[i] == '_' && i == 8 && n == 8)
			continue;
		if (v[i] < '0' || v[i] > '9' || n + 1 >= sizeof(digits))
			return -1;
		digits[n++] = v[i];
	}
	if (n == 0 || n > 19)
		return -1;
	digits[n] = '\0';
	for (i = 0; i < n; i++)
		x = x * 10 + (uint64_t)(digits[i] - '0');
	/* a bare date YYYYMMDD sorts as YYYYMMDD_000000 */
	if (n == 8 && digits[0] >= '1' && digits[0] <= '2' &&
	    (digits[4] == '0' || digits[4] == '1'))
		x *= 1000000;
	*order = x;
	return 0;
}

int
mig_read_file(const char *path, char **text, size_t *len, struct merr *e)
{
	FILE *f;
	struct stat st;
	char *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return merr_setpos(e, MERR_IO, path, 0, 0, "cannot open: %s",
		    strerror(errno));
	if (fstat(fileno(f), &st) == -1 || st.st_size > 64L * 1024 * 1024) {
		fclose(f);
		return merr_setpos(e, MERR_INPUT, path, 0, 0,
		    "cannot read: file too large or unreadable");
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		return merr_setpos(e, MERR_INPUT, path, 0, 0,
		    "cannot read: file contains a NUL byte");
	}
	*text = buf;
	if (len)
		*len = n;
	return 0;
}

void
mig_sha256_hex(const char *data, size_t len, char out[MIG_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* Name patterns, compiled once per load. */
struct mig_patterns {
	regex_t	golang, rollback, forward, doc;
};

static int
patterns_init(struct mig_patterns *p)
{
	if (regcomp(&p->golang, "^([0-9]+)_(.+)\\.(up|down)\\.sql$",
	    REG_EXTENDED) != 0)
		return -1;
	regcomp(&p->rollback, "^([0-9]+(_[0-9]{6})?)_(.+)_rollback\\.sql$",
	    REG_EXTENDED);
	regcomp(&p->forward, "^([0-9]+(_[0-9]{6})?)_(.+)\\.sql$",
	    REG_EXTENDED);
	regcomp(&p->doc, "^([0-9]+(_[0-9]{6})?)_(.+)\\.md$", REG_EXTENDED);
	return 0;
}

static void
patterns_free(struct mig_patterns *p)
{
	regfree(&p->golang);
	regfree(&p->rollback);
	regfree(&p->forward);
	regfree(&p->doc);
}

static int
file_match(const regex_t *re, const char *s, int vgroup, int ngroup,
    struct mig_file *f)
{
	regmatch_t m[5];
	int vl, nl;

	if (regexec(re, s, 5, m, 0) != 0)
		return 0;
	vl = (int)(m[vgroup].rm_eo - m[vgroup].rm_so);
	nl = (int)(m[ngroup].rm_eo - m[ngroup].rm_so);
	if (vl >= MIG_VERSION_MAX)
		return 0;
	snprintf(f->version, sizeof(f->version), "%.*s", vl,
	    s + m[vgroup].rm_so);
	f->name = strndup(s + m[ngroup].rm_so, (size_t)nl);
	return 1;
}

/* Does the file hold a "-- +++++ UP" line? */
static int
has_up_marker(const char *path)
{
	char *text;
	int r;
	struct merr ignore;

	if (mig_read_file(path, &text, NULL, &ignore) == -1)
		return 0;
	r = mig_find_marker(text, "UP") != NULL;
	free(text);
	return r;
}

static int
file_classify(const struct mig_patterns *p, const char *dir,
    const char *fname, struct mig_file *f, struct merr *e)
{
	size_t len = strlen(fname);
	char path[4096];
	regmatch_t m[4];

	memset(f, 0, sizeof(*f));
	if (len > 3 && strcmp(fname + len - 3, ".md") == 0) {
		if (!file_match(&p->doc, fname, 1, 3, f))
			return 1;	/* README.md and such: not ours */
		f->kind = KIND_DOC;
	} else if (len < 5 || strcmp(fname + len - 4, ".sql") != 0) {
		return 1;		/* not a migration: ignored */
	} else if (regexec(&p->golang, fname, 4, m, 0) == 0) {
		file_match(&p->golang, fname, 1, 2, f);
		f->kind = fname[m[3].rm_so] == 'u' ? KIND_GOLANG_UP :
		    KIND_GOLANG_DOWN;
	} else if (file_match(&p->rollback, fname, 1, 3, f)) {
		f->kind = KIND_NATIVE_DOWN;
	} else if (file_match(&p->forward, fname, 1, 3, f)) {
		snprintf(path, sizeof(path), "%s/%s", dir, fname);
		f->kind = has_up_marker(path) ? KIND_SINGLE : KIND_NATIVE_UP;
	} else {
		merr_setpos(e, MERR_INPUT, fname, 0, 0,
		    "'%s' is not a migration file name", fname);
		merr_hint(e, "name migrations YYYYMMDD[_HHMMSS]_name.sql "
		    "(+ _rollback.sql), NNNN_name.up.sql/.down.sql, or one "
		    "file with -- +++++ UP / -- +++++ DOWN sections");
		return -1;
	}
	if (f->name == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if ((f->fname = strdup(fname)) == NULL) {
		free(f->name);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	return 0;
}

static void
files_free(struct mig_file *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].fname);
		free(v[i].name);
	}
	free(v);
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mig_file *)a)->fname,
	    ((const struct mig_file *)b)->fname);
}

/* Read the folder's names into a sorted array of classified files. */
static int
files_scan(const char *dir, struct mig_file **out, size_t *nout,
    struct merr *e)
{
	struct mig_patterns p;
	struct mig_file *v = NULL, f, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r;

	if ((d = opendir(dir)) == NULL)
		return merr_setpos(e, MERR_IO, dir, 0, 0,
		    "cannot open migrations folder: %s", strerror(errno));
	if (patterns_init(&p) == -1) {
		closedir(d);
		return merr_set(e, MERR_INTERNAL, "bad file name pattern");
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((r = file_classify(&p, dir, de->d_name, &f, e)) == 1)
			continue;
		if (r == -1)
			goto fail;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(f.fname);
				free(f.name);
				merr_set(e, MERR_NOMEM, "out of memory");
				goto fail;
			}
			v = nv;
		}
		v[n++] = f;
	}
	closedir(d);
	patterns_free(&p);
	if (n)
		qsort(v, n, sizeof(*v), file_cmp);
	*out = v;
	*nout = n;
	return 0;
fail:
	closedir(d);
	patterns_free(&p);
	files_free(v, n);
	return -1;
}

/* One layout per folder: name a file of each kind when they mix. */
static int
files_layout(const char *dir, const struct mig_file *v, size_t n,
    enum mig_layout *layout, struct merr *e)
{
	const struct mig_file *first = NULL;
	size_t i;

	*layout = MIG_LAYOUT_EMPTY;
	for (i = 0; i < n; i++) {
		if (v[i].kind == KIND_DOC)
			continue;
		if (first && strcmp(kind_layout[first->kind],
		    kind_layout[v[i].kind]) != 0) {
			merr_setpos(e, MERR_INPUT, dir, 0, 0,
			    "migrations folder mixes layouts: '%s' is %s, "
			    "'%s' is %s", first->fname,
			    kind_layout[first->kind], v[i].fname,
			    kind_layout[v[i].kind]);
			merr_hint(e, "keep one layout per folder");
			return -1;
		}
		if (first == NULL)
			first = &v[i];
	}
	if (first == NULL)
		return 0;
	if (first->kind == KIND_NATIVE_UP || first->kind == KIND_NATIVE_DOWN)
		*layout = MIG_LAYOUT_NATIVE;
	else if (first->kind == KIND_SINGLE)
		*layout = MIG_LAYOUT_SINGLE;
	else
		*layout = MIG_LAYOUT_GOLANG;
	return 0;
}

static struct migration *
set_lookup(struct migset *s, uint64_t order)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].order == order)
			return &s->v[i];
	return NULL;
}

static char *
path_join(const char *dir, const char *fname)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, fname) == -1)
		return NULL;
	return p;
}

/* Forward scripts (and single files) make migrations. */
static int
set_add_forward(struct migset *s, const struct mig_file *f, struct merr *e)
{
	struct migration *m, *o;
	uint64_t order;
	char *text;
	size_t len;

	if (migset_order(f->version, &order) == -1)
		return merr_setpos(e, MERR_INPUT, f->fname, 0, 0,
		    "'%s' has a version too long to order", f->fname);
	if ((o = set_lookup(s, order)) != NULL) {
		merr_setpos(e, MERR_INPUT, f->fname, 0, 0,
		    "duplicate version %s: '%s' and '%s'", f->version,
		    o->up.path ? strrchr(o->up.path, '/') + 1 : o->id,
		    f->fname);
		return -1;
	}
	m = &s->v[s->n++];
	memset(m, 0, sizeof(*m));
	m->order = order;
	m->up.lock_timeout_ms = m->up.statement_timeout_ms = -1;
	m->up.lock_retries = -1;
	m->down = m->up;
	snprintf(m->version, sizeof(m->version), "%s", f->version);
	if ((m->name = strdup(f->name)) == NULL ||
	    asprintf(&m->id, "%s_%s", f->version, f->name) == -1 ||
	    (m->up.path = path_join(s->dir, f->fname)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (mig_read_file(m->up.path, &text, &len, e) == -1)
		return -1;
	mig_sha256_hex(text, len, m->checksum);
	m->up.text = text;
	if (f->kind == KIND_SINGLE)
		return mig_single_split(m, e);
	return 0;
}

/* Rollbacks and docs attach to their forward script. */
static int
set_attach(struct migset *s, const struct mig_file *f, struct merr *e)
{
	struct migration *m;
	uint64_t order;

	if (migset_order(f->version, &order) == -1 ||
	    (m = set_lookup(s, order)) == NULL ||
	    strcmp(m->name, f->name) != 0) {
		if (f->kind == KIND_DOC)
			return 0;	/* a stray note: harmless */
		return merr_setpos(e, MERR_INPUT, f->fname, 0, 0,
		    "rollback '%s' has no forward migration", f->fname);
	}
	if (f->kind == KIND_DOC) {
		free(m->doc_path);
		m->doc_path = path_join(s->dir, f->fname);
		return m->doc_path ? 0 : merr_set(e, MERR_NOMEM,
		    "out of memory");
	}
	if ((m->down.path = path_join(s->dir, f->fname)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return mig_read_file(m->down.path, &m->down.text, NULL, e);
}

static int
mig_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

int
migset_load(struct migset *s, const char *dir, struct merr *e)
{
	struct mig_file *files = NULL;
	size_t nfiles = 0, i;
	int pass;

	memset(s, 0, sizeof(*s));
	if ((s->dir = strdup(dir)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (files_scan(dir, &files, &nfiles, e) == -1 ||
	    files_layout(dir, files, nfiles, &s->layout, e) == -1)
		goto fail;
	if (nfiles && (s->v = calloc(nfiles, sizeof(*s->v))) == NULL) {
		merr_set(e, MERR_NOMEM, "out of memory");
		goto fail;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nfiles; i++) {
			const struct mig_file *f = &files[i];
			int fwd = f->kind == KIND_NATIVE_UP ||
			    f->kind == KIND_GOLANG_UP || f->kind == KIND_SINGLE;

			if (pass == 0 && fwd && set_add_forward(s, f, e) == -1)
				goto fail;
			if (pass == 1 && !fwd && set_attach(s, f, e) == -1)
				goto fail;
		}
		if (pass == 0 && s->n)
			qsort(s->v, s->n, sizeof(*s->v), mig_cmp);
	}
	files_free(files, nfiles);
	return 0;
fail:
	if (e->file[0] && e->file[0] != '/' && strcmp(e->file, dir) != 0 &&
	    strchr(e->file, '/') == NULL) {
		char *full;

		if (asprintf(&full, "%s/%s", dir, e->file) != -1) {
			snprintf(e->file, sizeof(e->file), "%.*s",
			    (int)sizeof(e->file) - 1, full);
			free(full);
		}
	}
	files_free(files, nfiles);
	migset_release(s);
	return -1;
}

void
migset_script_release(struct mig_script *sc)
{
	size_t i;

	for (i = 0; i < sc->nstmts; i++) {
		free(sc->stmts[i].sql);
		free(sc->stmts[i].tree);
		free(sc->stmts[i].nolint);
	}
	free(sc->stmts);
	free(sc->path);
	free(sc->text);
	memset(sc, 0, sizeof(*sc));
}

void
migset_release(struct migset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct migration *m = &s->v[i];

		free(m->name);
		free(m->id);
		free(m->doc_path);
		migset_script_release(&m->up);
		migset_script_release(&m->down);
	}
	free(s->v);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

struct migration *
migset_find(const struct migset *s, const char *version)
{
	uint64_t order;
	size_t i;

	if (migset_order(version, &order) == -1)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (s->v[i].order == order)
			return &s->v[i];
	return NULL;
}

int
migset_prepare(struct migration *m, struct merr *e)
{
	if (!m->up.parsed && mig_parse_script(&m->up, e) == -1)
		return -1;
	if (m->down.path && !m->down.parsed &&
	    mig_parse_script(&m->down, e) == -1)
		return -1;
	return 0;
}

int
migset_prepare_all(struct migset *s, struct merr *e)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (migset_prepare(&s->v[i], e) == -1)
			return -1;
	return 0;
}

int
migset_parse_text(struct mig_script *sc, const char *path, const char *text,
    struct merr *e)
{
	memset(sc, 0, sizeof(*sc));
	sc->lock_timeout_ms = sc->statement_timeout_ms = sc->lock_retries = -1;
	if ((sc->path = strdup(path)) == NULL ||
	    (sc->text = strdup(text)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return mig_parse_script(sc, e);
}
