/* migset.c - a migrations folder: layouts, versions, checksums. */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "lint.h"

#include "migset.h"
#include "migset_int.h"
#include "migfile.h"

static const enum mig_layout kind_layout[KIND_N] = {
	[KIND_NATIVE_UP] = MIG_LAYOUT_NATIVE,
	[KIND_NATIVE_DOWN] = MIG_LAYOUT_NATIVE,
	[KIND_GOLANG_UP] = MIG_LAYOUT_GOLANG,
	[KIND_GOLANG_DOWN] = MIG_LAYOUT_GOLANG,
	[KIND_SINGLE] = MIG_LAYOUT_SINGLE,
	[KIND_DOC] = MIG_LAYOUT_NATIVE,
	[KIND_GOOSE] = MIG_LAYOUT_GOOSE,
	[KIND_DBMATE] = MIG_LAYOUT_DBMATE,
	[KIND_FLYWAY_V] = MIG_LAYOUT_FLYWAY,
	[KIND_FLYWAY_U] = MIG_LAYOUT_FLYWAY,
	[KIND_FLYWAY_R] = MIG_LAYOUT_FLYWAY,
	[KIND_POP_UP] = MIG_LAYOUT_POP,
	[KIND_POP_DOWN] = MIG_LAYOUT_POP,
	[KIND_SQLMIGRATE] = MIG_LAYOUT_SQLMIGRATE,
	[KIND_TERN] = MIG_LAYOUT_TERN,
	[KIND_GOOSE_GO] = MIG_LAYOUT_GOOSE,
	[KIND_NPGM] = MIG_LAYOUT_NPGM,
	[KIND_NPGM_JS] = MIG_LAYOUT_NPGM,
	[KIND_PGRATOR_DO] = MIG_LAYOUT_POSTGRATOR,
	[KIND_PGRATOR_UNDO] = MIG_LAYOUT_POSTGRATOR,
	[KIND_PGRATOR_JS] = MIG_LAYOUT_POSTGRATOR,
	[KIND_PRISMA] = MIG_LAYOUT_PRISMA,
	[KIND_PRISMA_DOWN] = MIG_LAYOUT_PRISMA,
	[KIND_DIESEL_UP] = MIG_LAYOUT_DIESEL,
	[KIND_DIESEL_DOWN] = MIG_LAYOUT_DIESEL,
};

static int
kind_forward(enum mig_kind k)
{
	return k == KIND_NATIVE_UP || k == KIND_GOLANG_UP ||
	    k == KIND_SINGLE || k == KIND_GOOSE || k == KIND_DBMATE ||
	    k == KIND_FLYWAY_V || k == KIND_FLYWAY_R || k == KIND_POP_UP ||
	    k == KIND_SQLMIGRATE || k == KIND_TERN || k == KIND_GOOSE_GO ||
	    k == KIND_NPGM || k == KIND_NPGM_JS || k == KIND_PGRATOR_DO ||
	    k == KIND_PGRATOR_JS || k == KIND_PRISMA || k == KIND_DIESEL_UP;
}

const char *
migset_layout_name(enum mig_layout l)
{
	switch (l) {
	case MIG_LAYOUT_NATIVE: return "native";
	case MIG_LAYOUT_GOLANG: return "golang-migrate";
	case MIG_LAYOUT_SINGLE: return "single-file";
	case MIG_LAYOUT_GOOSE: return "goose";
	case MIG_LAYOUT_DBMATE: return "dbmate";
	case MIG_LAYOUT_FLYWAY: return "flyway";
	case MIG_LAYOUT_POP: return "pop";
	case MIG_LAYOUT_SQLMIGRATE: return "sql-migrate";
	case MIG_LAYOUT_TERN: return "tern";
	case MIG_LAYOUT_NPGM: return "node-pg-migrate";
	case MIG_LAYOUT_POSTGRATOR: return "postgrator";
	case MIG_LAYOUT_PRISMA: return "prisma";
	case MIG_LAYOUT_DIESEL: return "diesel";
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


/*
 * Open path, a file of a folder, a link followed only inside it.  Not
 * blocking: a FIFO put in a file's place since the folder was read must
 * not hold the worker (it is refused as no regular file after fstat).
 */
static int
open_in_folder(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int dfd, fd, err;

	if (slash == NULL)
		return mig_entry_open(AT_FDCWD, path, O_RDONLY | O_NONBLOCK);
	if ((dir = strndup(path, slash == path ? 1 :
	    (size_t)(slash - path))) == NULL)
		return -1;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd == -1)
		return -1;
	fd = mig_entry_open(dfd, slash + 1, O_RDONLY | O_NONBLOCK);
	err = errno;
	close(dfd);
	errno = err;
	return fd;
}

/*
 * What fd, opened for path (errors name it), holds; fd closed.  *stamp
 * (when not NULL, its name untouched): the file's before it was read.
 */
static int
read_open(int fd, const char *path, char **text, size_t *len,
    struct mig_stamp *stamp, struct merr *e)
{
	struct stat st;
	size_t n = 0;
	ssize_t got = 1;
	char *buf;

	/* a symlink out of the folder is refused, not followed */
	if (fd == -1)
		return merr_setpos(e, MERR_IO, path, 0, 0, "cannot open: %s",
		    errno == EXDEV || errno == ELOOP ? mig_entry_why(errno) :
		    strerror(errno));
	if (fstat(fd, &st) == -1) {
		close(fd);
		return merr_setpos(e, MERR_IO, path, 0, 0, "cannot read: %s",
		    strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return merr_setpos(e, MERR_INPUT, path, 0, 0, "cannot read: "
		    "not a regular file");
	}
	if (st.st_size > 64L * 1024 * 1024 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		if (st.st_size <= 64L * 1024 * 1024)
			return merr_set(e, MERR_NOMEM, "out of memory");
		return merr_setpos(e, MERR_INPUT, path, 0, 0,
		    "cannot read: file too large or unreadable");
	}
	/* the size at fstat(): a file growing meanwhile shows next time */
	while (n < (size_t)st.st_size && (got = read(fd, buf + n,
	    (size_t)st.st_size - n)) != 0) {
		if (got > 0)
			n += (size_t)got;
		else if (errno != EINTR)
			break;
	}
	close(fd);
	if (got < 0) {
		free(buf);
		return merr_setpos(e, MERR_IO, path, 0, 0, "cannot read: %s",
		    strerror(errno));
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		return merr_setpos(e, MERR_INPUT, path, 0, 0,
		    "cannot read: file contains a NUL byte");
	}
	*text = buf;
	if (len)
		*len = n;
	if (stamp)
		mig_stamp_of(stamp, &st);
	return 0;
}

int
mig_read_file(const char *path, char **text, size_t *len, struct merr *e)
{
	return read_open(open_in_folder(path), path, text, len, NULL, e);
}

void
mig_sha256_hex(const char *data, size_t len, char out[MIG_SHA256_HEX])
{
	hash_hex(data, len, out);
}

static char *
path_join(const char *dir, const char *fname)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, fname) == -1)
		return NULL;
	return p;
}

/*
 * Name patterns, compiled once per load without submatches: glibc finds
 * those by backtracking, ten times the cost of the match itself (3.5 ms
 * for 1,000 names, a tenth of a cold start's folder check).  A name that
 * matches has its parts where the pattern puts them (name_parts()).
 */
struct mig_pattern {
	regex_t		 re;
	const char	*sfx;		/* what follows the name */
	int		 hhmmss;	/* ([0-9]+(_[0-9]{6})?) */
};

struct mig_patterns {
	struct mig_pattern golang, rollback, forward, doc;
};

static int
pattern_init(struct mig_pattern *p, const char *re, const char *sfx,
    int hhmmss)
{
	p->sfx = sfx;
	p->hhmmss = hhmmss;
	return regcomp(&p->re, re, REG_EXTENDED | REG_NOSUB) == 0 ? 0 : -1;
}

static int
patterns_init(struct mig_patterns *p)
{
	if (pattern_init(&p->golang, "^[0-9]+_.+\\.(up|down)\\.sql$", NULL,
	    0) == -1)
		return -1;
	pattern_init(&p->rollback, "^[0-9]+(_[0-9]{6})?_.+_rollback\\.sql$",
	    "_rollback.sql", 1);
	pattern_init(&p->forward, "^[0-9]+(_[0-9]{6})?_.+\\.sql$", ".sql", 1);
	pattern_init(&p->doc, "^[0-9]+(_[0-9]{6})?_.+\\.md$", ".md", 1);
	return 0;
}

static void
patterns_free(struct mig_patterns *p)
{
	regfree(&p->golang.re);
	regfree(&p->rollback.re);
	regfree(&p->forward.re);
	regfree(&p->doc.re);
}

/*
 * Where the version and the name of s are, s matching p: the version is
 * the leading digits, with "_HHMMSS" when the pattern allows it and a '_'
 * and a name still follow (POSIX: the first group is the longest that
 * lets the rest match); the name runs from after the '_' to the suffix
 * (golang-migrate's: ".up.sql" or ".down.sql").
 */
static void
name_parts(const struct mig_pattern *p, const char *s, size_t *vl,
    size_t *from, size_t *to)
{
	size_t len = strlen(s), d = strspn(s, "0123456789");
	size_t sfx = p->sfx ? strlen(p->sfx) : (len >= 7 &&
	    strcmp(s + len - 7, ".up.sql") == 0 ? 7 : 9);

	*vl = d;
	if (p->hhmmss && s[d] == '_' && strspn(s + d + 1, "0123456789") >= 6 &&
	    s[d + 7] == '_' && len > d + 8 + sfx)
		*vl = d + 7;
	*from = *vl + 1;
	*to = len - sfx;
}

static int
file_match(const struct mig_pattern *p, const char *s, struct mig_file *f)
{
	size_t vl, from, to;

	if (regexec(&p->re, s, 0, NULL, 0) != 0)
		return 0;
	name_parts(p, s, &vl, &from, &to);
	if (vl >= MIG_VERSION_MAX)
		return 0;
	snprintf(f->version, sizeof(f->version), "%.*s", (int)vl, s);
	f->name = strndup(s + from, to - from);
	return 1;
}

int
mig_has_suffix(const char *s, size_t len, const char *sfx)
{
	size_t n = strlen(sfx);

	return len >= n && memcmp(s + len - n, sfx, n) == 0;
}

/*
 * The folder being scanned: its path (errors name files under it) and a
 * descriptor open on it, so that each file is opened by its name, not
 * by a path walked again from the root (two system calls fewer a file).
 */
struct scan_dir {
	const char	*path;
	int		 fd;
};

/* Read a file (f->fname borrowed) into f->text. */
static int
file_text(const struct scan_dir *dir, struct mig_file *f, struct merr *e)
{
	char *path = path_join(dir->path, f->fname);
	int rc;

	if (path == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	rc = read_open(mig_entry_open(dir->fd, f->fname, O_RDONLY |
	    O_NONBLOCK), path, &f->text, &f->len, &f->stamp, e);
	free(path);
	return rc;
}

/*
 * Only regular files inside the folder are migrations: a symbolic link is
 * followed only while it stays inside the folder (migentry.c; one out of
 * it may point anywhere, and its target is never read), a directory or a
 * device is no file.  The error names the entry and never quotes a
 * content, nor a link's target.
 */
static int
file_regular(const struct scan_dir *dir, const char *fname, struct merr *e)
{
	struct stat st;
	int rc, err, link = 0;

	rc = fstatat(dir->fd, fname, &st, AT_SYMLINK_NOFOLLOW);
	if (rc == 0 && S_ISLNK(st.st_mode)) {
		link = 1;
		rc = mig_entry_stat(dir->fd, fname, &st);
	}
	err = errno;
	if (rc == -1 && !link)
		return merr_setpos(e, MERR_IO, fname, 0, 0, "cannot stat "
		    "'%s': %s", fname, strerror(err));
	if (rc == 0 && S_ISREG(st.st_mode))
		return 0;
	if (rc == -1)
		merr_setpos(e, MERR_INPUT, fname, 0, 0, "'%s' is %s", fname,
		    mig_entry_why(err));
	else
		merr_setpos(e, MERR_INPUT, fname, 0, 0, "'%s' is %s, not a "
		    "regular file", fname, S_ISDIR(st.st_mode) ?
		    "a directory" : "a special file");
	merr_hint(e, "only regular files inside the migrations folder (or "
	    "symbolic links to them that stay inside it) are migrations: "
	    "copy the file in, or move the entry out");
	return -1;
}

/* goose: NNN_name.sql, NNN > 0 (goose's NumericComponent). */
static int
goose_name(const char *fname, struct mig_file *f, struct merr *e)
{
	size_t n = strspn(fname, "0123456789"), len = strlen(fname);

	if (fname[n] != '_' || n >= MIG_VERSION_MAX ||
	    strspn(fname, "0") == n) {
		merr_setpos(e, MERR_INPUT, fname, 0, 0, "'%s' is not a goose "
		    "name: %s", fname, fname[n] != '_' ? "no '_' after the "
		    "version" : "versions start at 1");
		merr_hint(e, "name goose files NNNNN_name.sql or "
		    "YYYYMMDDHHMMSS_name.sql");
		return -1;
	}
	snprintf(f->version, sizeof(f->version), "%.*s", (int)n, fname);
	f->name = strndup(fname + n + 1, len - n - 5);
	return 0;
}

/* dbmate: any NNN*.sql; the name is what follows the number. */
static void
dbmate_name(const char *fname, struct mig_file *f)
{
	size_t n = strspn(fname, "0123456789"), len = strlen(fname);
	size_t from = n + (fname[n] == '_' || fname[n] == '-');

	snprintf(f->version, sizeof(f->version), "%.*s", (int)n, fname);
	f->name = strndup(fname + from, len - 4 > from ? len - 4 - from : 0);
}

/*
 * sql-migrate: the version is its id, the file name without .sql (two
 * files may share a number); the name is empty, being in the version.
 */
static int
sqlmigrate_name(const char *fname, struct mig_file *f)
{
	size_t len = strlen(fname) - 4;

	if (len >= MIG_VERSION_MAX)
		return 1;
	snprintf(f->version, sizeof(f->version), "%.*s", (int)len, fname);
	f->name = strdup("");
	return 0;
}

/* tern: N_name.sql (its migrationPattern, \A(\d+)_.+\.sql\z). */
int
mig_tern_name(const char *fname, struct mig_file *f)
{
	size_t n = strspn(fname, "0123456789"), len = strlen(fname) - 4;

	if (fname[n] != '_' || n + 1 >= len || n >= MIG_VERSION_MAX)
		return 1;
	free(f->name);
	snprintf(f->version, sizeof(f->version), "%.*s", (int)n, fname);
	f->name = strndup(fname + n + 1, len - n - 1);
	return 0;
}

/*
 * postgrator: VERSION.do[.name].EXT and VERSION.undo[.name].EXT, as its
 * basename.split(".") reads them (postgrator.js): the version the number,
 * the name the third piece only (a name with dots keeps its first part);
 * xl the extension's length.  1 when fname is none; *undo says which.
 */
static int
postgrator_name(const char *fname, size_t xl, struct mig_file *f,
    int *undo)
{
	size_t n = strspn(fname, "0123456789"), len = strlen(fname) - xl, a;

	if (n == 0 || n >= MIG_VERSION_MAX || fname[n] != '.')
		return 1;
	if (strncmp(fname + n + 1, "do.", 3) == 0)
		a = n + 3;
	else if (strncmp(fname + n + 1, "undo.", 5) == 0)
		a = n + 5;
	else
		return 1;
	*undo = a == n + 5;
	snprintf(f->version, sizeof(f->version), "%.*s", (int)n, fname);
	free(f->name);
	if (a >= len) {
		f->name = strdup("");
	} else {
		size_t w = strcspn(fname + a + 1, ".");

		f->name = strndup(fname + a + 1, w < len - a - 1 ? w :
		    len - a - 1);
	}
	return 0;
}

/* A digit-led .sql file: its markers say which layout it is in. */
static int
classify_numbered(const struct mig_patterns *p,
    const struct scan_dir *dir, const char *fname, struct mig_file *f,
    struct merr *e)
{
	size_t len = strlen(fname);
	int r;

	if (strspn(fname, "0123456789") >= MIG_VERSION_MAX)
		return 1;
	if (file_text(dir, f, e) == -1)
		return -1;
	if (mig_find_marker(f->text, "UP") &&
	    file_match(&p->forward, fname, f)) {
		f->kind = KIND_SINGLE;
	} else if (mig_goose_detect(f->text)) {
		f->kind = KIND_GOOSE;
		return goose_name(fname, f, e);
	} else if (mig_dbmate_detect(f->text)) {
		f->kind = KIND_DBMATE;
		dbmate_name(fname, f);
	} else if (mig_sqlmigrate_detect(f->text)) {
		f->kind = KIND_SQLMIGRATE;
		return sqlmigrate_name(fname, f);
	} else if (mig_tern_detect(f->text) && mig_tern_name(fname, f) == 0) {
		f->kind = KIND_TERN;
	} else if (!mig_has_suffix(fname, len, "_rollback.sql") &&
	    (r = mig_npgm_detect(f->text)) != 0 &&
	    file_match(&p->forward, fname, f)) {
		f->kind = KIND_NPGM;
		f->weak = r == 1;
	} else if (mig_has_suffix(fname, len, "_rollback.sql") &&
	    file_match(&p->rollback, fname, f)) {
		f->kind = KIND_NATIVE_DOWN;
	} else if (file_match(&p->forward, fname, f)) {
		f->kind = KIND_NATIVE_UP;
	} else {
		return 1;
	}
	return 0;
}

/* NNN_name.up.sql / .down.sql: golang-migrate's, or pop's by its name. */
static int
classify_updown(const struct mig_patterns *p, const struct scan_dir *dir,
    const char *fname, struct mig_file *f, struct merr *e)
{
	struct mig_popname pn;

	if (mig_pop_name(fname, &pn) == 1 && pn.vlen < MIG_VERSION_MAX) {
		snprintf(f->version, sizeof(f->version), "%.*s",
		    (int)pn.vlen, fname);
		f->name = strndup(fname + pn.name_from,
		    pn.name_to - pn.name_from);
		f->kind = pn.down ? KIND_POP_DOWN : KIND_POP_UP;
		f->rank = pn.rank;
		f->autocommit = pn.autocommit;
	} else {
		file_match(&p->golang, fname, f);
		f->kind = pn.down ? KIND_GOLANG_DOWN : KIND_GOLANG_UP;
	}
	/* another database's file is never read */
	if ((f->kind == KIND_GOLANG_UP || (f->kind == KIND_POP_UP &&
	    f->rank >= 0)) && file_text(dir, f, e) == -1)
		return -1;
	return 0;
}

static int
classify_flyway(const struct scan_dir *dir, const char *fname,
    struct mig_file *f, struct merr *e)
{
	char prefix;
	int r;

	if ((r = mig_flyway_name(fname, &prefix, f->version, &f->name, e)) != 0)
		return r;
	f->kind = prefix == 'V' ? KIND_FLYWAY_V : prefix == 'U' ?
	    KIND_FLYWAY_U : KIND_FLYWAY_R;
	return file_text(dir, f, e);
}

static int
classify_error(const char *fname, struct merr *e)
{
	merr_setpos(e, MERR_INPUT, fname, 0, 0,
	    "'%s' is not a migration file name", fname);
	merr_hint(e, "name migrations YYYYMMDD[_HHMMSS]_name.sql "
	    "(+ _rollback.sql), NNNN_name.up.sql/.down.sql, NNNN_name.sql "
	    "with -- +++++ UP/DOWN, -- +goose Up/Down, -- migrate:up/down or "
	    "-- +migrate Up/Down sections, V1__name.sql, U1__name.sql, "
	    "R__name.sql (Flyway), NNNN_name.postgres.up.sql (pop), or "
	    "NNN.do.name.sql / NNN.undo.name.sql (postgrator)");
	return -1;
}

/* Migrations in code: goose's Go, node-pg-migrate's JavaScript. */
static const struct {
	const char	*ext;
	enum mig_kind	 kind;
	const char	*lang;
} code_exts[] = {
	{ ".go", KIND_GOOSE_GO, "Go" },
	{ ".js", KIND_NPGM_JS, "JavaScript" },
	{ ".cjs", KIND_NPGM_JS, "JavaScript" },
	{ ".mjs", KIND_NPGM_JS, "JavaScript" },
	{ ".ts", KIND_NPGM_JS, "TypeScript" },
};

/* The code_exts entry of fname, or -1. */
static int
code_ext(const char *fname, size_t len)
{
	for (size_t i = 0; i < sizeof(code_exts) / sizeof(code_exts[0]); i++)
		if (mig_has_suffix(fname, len, code_exts[i].ext))
			return (int)i;
	return -1;
}

/*
 * A migration in code, NNN_name.go (goose), NNN_name.js (.cjs, .mjs,
 * .ts: node-pg-migrate) or NNN.do.name.js (postgrator) beside the SQL
 * files, not a test: 1 when fname is none.  Its code is not read: it is
 * no SQL, and its checksum is of no bytes (a reformatting is no change).
 */
static int
classify_code(const struct scan_dir *dir, const char *fname, int reg,
    int x, struct mig_file *f, struct merr *e)
{
	size_t n = strspn(fname, "0123456789"), len = strlen(fname);
	size_t xl = strlen(code_exts[x].ext);
	struct stat st;
	int undo = 0, pgrator;

	pgrator = code_exts[x].kind == KIND_NPGM_JS &&
	    strcmp(code_exts[x].ext, ".ts") != 0 &&
	    postgrator_name(fname, xl, f, &undo) == 0;
	if (pgrator ? undo : (n == 0 || fname[n] != '_' ||
	    n >= MIG_VERSION_MAX || len <= n + 1 + xl ||
	    mig_has_suffix(fname, len, "_test.go") ||
	    (code_exts[x].kind == KIND_NPGM_JS &&
	    (mig_has_suffix(fname, len - xl, ".test") ||
	    mig_has_suffix(fname, len - xl, ".spec") ||
	    mig_has_suffix(fname, len, ".d.ts")))))
		return 1;	/* not one (a rollback in code: never run) */
	/* a regular file (a link to one inside the folder: a ConfigMap's);
	   anything else is left alone, as before code was looked at */
	if (!reg && (mig_entry_stat(dir->fd, fname, &st) == -1 ||
	    !S_ISREG(st.st_mode)))
		return 1;
	if (pgrator) {
		f->kind = KIND_PGRATOR_JS;
		return f->name ? 0 : merr_set(e, MERR_NOMEM, "out of memory");
	}
	snprintf(f->version, sizeof(f->version), "%.*s", (int)n, fname);
	f->kind = code_exts[x].kind;
	if ((f->name = strndup(fname + n + 1, len - n - 1 - xl)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return 0;
}

/* reg: readdir() said a regular file (no need to ask lstat()); 1: not
 * ours (ignored), 2: a .sql file of no migration's name */
static int
file_classify(const struct mig_patterns *p, const struct scan_dir *dir,
    const char *fname, int reg, struct mig_file *f, struct merr *e)
{
	size_t len = strlen(fname);
	int r, x;

	memset(f, 0, sizeof(*f));
	f->fname = (char *)(uintptr_t)fname;	/* borrowed until the end */
	if ((mig_has_suffix(fname, len, ".md") || mig_has_suffix(fname, len, ".sql")) &&
	    !reg && file_regular(dir, fname, e) == -1)
		return -1;
	if (mig_has_suffix(fname, len, ".md")) {
		if (!file_match(&p->doc, fname, f))
			return 1;	/* README.md and such: not ours */
		f->kind = KIND_DOC;
	} else if ((x = code_ext(fname, len)) >= 0) {
		if ((r = classify_code(dir, fname, reg, x, f, e)) != 0) {
			free(f->name);
			free(f->text);
			return r;	/* 1: other Go code, ignored */
		}
	} else if (!mig_has_suffix(fname, len, ".sql")) {
		return 1;		/* not a migration: ignored */
	} else if ((mig_has_suffix(fname, len, ".up.sql") ||
	    mig_has_suffix(fname, len, ".down.sql")) &&
	    regexec(&p->golang.re, fname, 0, NULL, 0) == 0) {
		if (classify_updown(p, dir, fname, f, e) == -1)
			goto fail;
	} else if (postgrator_name(fname, 4, f, &x) == 0) {
		f->kind = x ? KIND_PGRATOR_UNDO : KIND_PGRATOR_DO;
		if (f->name == NULL) {
			merr_set(e, MERR_NOMEM, "out of memory");
			goto fail;
		}
		if (!x && file_text(dir, f, e) == -1)
			goto fail;
	} else if ((r = classify_flyway(dir, fname, f, e)) != 1) {
		if (r == -1)
			goto fail;
	} else if (!isdigit((unsigned char)fname[0]) ||
	    (r = classify_numbered(p, dir, fname, f, e)) == 1) {
		free(f->text);
		free(f->name);
		return 2;	/* no migration's name: files_scan() decides */
	} else if (r == -1) {
		goto fail;
	}
	f->fname = NULL;
	if (f->name == NULL || (f->fname = strdup(fname)) == NULL) {
		merr_set(e, MERR_NOMEM, "out of memory");
		goto fail;
	}
	return 0;
fail:
	free(f->name);
	free(f->text);
	return -1;
}

int
mig_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mig_file *)a)->fname,
	    ((const struct mig_file *)b)->fname);
}

void
mig_file_free(struct mig_file *f)
{
	free(f->fname);
	free(f->name);
	free(f->text);
}

static void
files_free(struct mig_file *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mig_file_free(&v[i]);
	free(v);
}

/* f appended to *v (n of cap, grown by doubling); -1: out of memory. */
static int
files_add(struct mig_file **v, size_t *n, size_t *cap,
    const struct mig_file *f)
{
	struct mig_file *nv;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;

		if ((nv = realloc(*v, c * sizeof(*nv))) == NULL)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = *f;
	return 0;
}

/*
 * Entry de a tool's folder per migration (Prisma's, Diesel's): its files
 * classified, read, stamped and added to *v; 1 when it is one, 0 when
 * not, -1 on error.
 */
static int
dir_scan(const struct scan_dir *sd, const struct dirent *de,
    struct mig_file **v, size_t *n, size_t *cap, struct mig_stamp_vec *sv,
    struct merr *e)
{
	char names[MIG_DIR_FILES][512];
	enum mig_kind kinds[MIG_DIR_FILES];
	struct mig_file f;
	int k, nf, notx;

	if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
		return 0;
	if ((nf = mig_dir_files(sd->fd, de->d_name, names, kinds, &notx)) == 0)
		return 0;
	for (k = 0; k < nf; k++) {
		memset(&f, 0, sizeof(f));
		f.kind = kinds[k];
		f.notx = notx;
		if ((f.fname = strdup(names[k])) == NULL) {
			merr_set(e, MERR_NOMEM, "out of memory");
			return -1;
		}
		if (mig_dir_version(&f, e) == -1 || file_text(sd, &f, e) == -1) {
			mig_file_free(&f);
			return -1;
		}
		if (mig_stamps_add(sv, sd->fd, f.fname, &f.stamp) == -1 ||
		    files_add(v, n, cap, &f) == -1) {
			mig_file_free(&f);
			merr_set(e, MERR_NOMEM, "out of memory");
			return -1;
		}
	}
	if (mig_stamps_add(sv, sd->fd, de->d_name, NULL) == -1 ||
	    mig_meta_stamp(sv, sd->fd, de->d_name) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return 1;
}

/*
 * Read the folder's names into a sorted array of classified files, and
 * every non-dot entry's stamp (as mig_stamps_scan() makes them) into sv, in
 * one pass: a file read is stamped by the fstat() before its read.
 */
static int
files_scan(const char *dir, struct mig_file **out, size_t *nout,
    struct mig_stamp_vec *sv, struct merr *e)
{
	struct mig_patterns p;
	struct mig_file *v = NULL, f;
	size_t n = 0, cap = 0;
	struct scan_dir sd;
	struct dirent *de;
	char bad[256] = "", other[256] = "";
	DIR *d;
	int r, dirs = 0, flyway = 0, perdir = 0, link = 0;

	if ((d = opendir(dir)) == NULL)
		return merr_setpos(e, MERR_IO, dir, 0, 0,
		    "cannot open migrations folder: %s", strerror(errno));
	sd.path = dir;
	sd.fd = dirfd(d);
	if (patterns_init(&p) == -1) {
		closedir(d);
		return merr_set(e, MERR_INTERNAL, "bad file name pattern");
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((r = dir_scan(&sd, de, &v, &n, &cap, sv, e)) == -1)
			goto fail;
		if (r == 1) {	/* a folder per migration, read: 1 Prisma's */
			perdir = 1 + (v[n - 1].kind == KIND_DIESEL_UP ||
			    v[n - 1].kind == KIND_DIESEL_DOWN);
			continue;
		}
		if (de->d_type != DT_REG && other[0] == '\0' &&
		    (link = mig_is_folder(sd.fd, de->d_name)) != 0)
			snprintf(other, sizeof(other), "%s", de->d_name);
		/* may be a folder: looked into once the names are read */
		dirs += de->d_type == DT_DIR || de->d_type == DT_LNK ||
		    de->d_type == DT_UNKNOWN;
		if ((r = file_classify(&p, &sd, de->d_name,
		    de->d_type == DT_REG, &f, e)) == -1)
			goto fail;
		if (r == 2 && bad[0] == '\0')
			snprintf(bad, sizeof(bad), "%s", de->d_name);
		flyway |= r == 0 && (f.kind == KIND_FLYWAY_V ||
		    f.kind == KIND_FLYWAY_U || f.kind == KIND_FLYWAY_R);
		if (mig_stamps_add(sv, sd.fd, de->d_name, r == 0 && f.text ?
		    &f.stamp : NULL) == -1 || mig_journal_stamp(sv, sd.fd,
		    de) == -1 || (r == 0 &&
		    files_add(&v, &n, &cap, &f) == -1)) {
			if (r == 0)
				mig_file_free(&f);
			merr_set(e, MERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	closedir(d);
	d = NULL;
	/* Prisma and Diesel read their folders only: other files are not
	   theirs (crates.io keeps data_oauth_github.sql beside them), other
	   folders they refuse */
	if ((bad[0] && !perdir && classify_error(bad, e) == -1) ||
	    (other[0] && perdir && mig_dir_stray(other, link == 2,
	    perdir == 1, e) == -1))
		goto fail;
	if (dirs && mig_subfolders_refused(dir, n, flyway, e) == -1)
		goto fail;
	patterns_free(&p);
	if (n)
		qsort(v, n, sizeof(*v), mig_file_cmp);
	*out = v;
	*nout = n;
	return 0;
fail:
	if (d)
		closedir(d);
	patterns_free(&p);
	files_free(v, n);
	return -1;
}

int
migset_maybe_any(const char *dir)
{
	struct dirent *de;
	size_t len;
	DIR *d;
	int any = 0;

	if ((d = opendir(dir)) == NULL)
		return 1;
	while (!any && (de = readdir(d)) != NULL) {
		char names[MIG_DIR_FILES][512];
		enum mig_kind kinds[MIG_DIR_FILES];

		len = strlen(de->d_name);
		any = de->d_name[0] != '.' &&
		    (mig_has_suffix(de->d_name, len, ".sql") ||
		    ((de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) &&
		    mig_dir_files(dirfd(d), de->d_name, names, kinds,
		    NULL) > 0));
	}
	closedir(d);
	return any;
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
		if (first && kind_layout[first->kind] !=
		    kind_layout[v[i].kind]) {
			merr_setpos(e, MERR_INPUT, dir, 0, 0,
			    "migrations folder mixes layouts: '%s' is %s, "
			    "'%s' is %s", first->fname,
			    migset_layout_name(kind_layout[first->kind]),
			    v[i].fname,
			    migset_layout_name(kind_layout[v[i].kind]));
			merr_hint(e, "keep one layout per folder");
			return -1;
		}
		if (first == NULL)
			first = &v[i];
	}
	if (first)
		*layout = kind_layout[first->kind];
	return 0;
}


/* After the sort: binary search by key. */
static struct migration *
set_lookup(const struct migset *s, const char *key)
{
	size_t lo = 0, hi = s->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(s->v[mid].key, key)) == 0)
			return &s->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The file stem: no .sql (.go, .js ...), and golang-migrate's .up too;
 * a folder per migration's name. */
static char *
file_stem(const struct mig_file *f)
{
	const char *slash = strchr(f->fname, '/');
	size_t n = (size_t)((slash ? slash : strrchr(f->fname, '.')) -
	    f->fname);

	if (f->kind == KIND_GOLANG_UP || f->kind == KIND_POP_UP)
		n -= 3;
	return strndup(f->fname, n);
}

/* pop runs a file in one transaction, an .autocommit one without. */
static void
pop_txrule(struct mig_script *sc, const struct mig_file *f)
{
	sc->txrule = f->autocommit ? MIG_TXRULE_NONE : MIG_TXRULE_TX;
	sc->txmarker = ".autocommit";	/* in the name, before .up.sql */
}

/*
 * What plain files of other tools say about their transaction: Atlas's
 * file directive "-- atlas:txmode none" (atlas: an atlas.sum beside
 * them), SQLx's first line "-- no-transaction" (sqlx-core
 * migrate/source: starts_with).
 */
static void
other_notx(struct mig_script *sc, int atlas)
{
	if (atlas && mig_atlas_notx(sc->text)) {
		sc->txrule = MIG_TXRULE_NONE;
		sc->txmarker = "-- atlas:txmode none";
	} else if (strncmp(sc->text, "-- no-transaction", 17) == 0 &&
	    /* the whole first line: '\n' or the end of the file */
	    strchr("\n", sc->text[17 + strspn(sc->text + 17, " \t\r")])) {
		sc->txrule = MIG_TXRULE_NONE;
		sc->txmarker = "-- no-transaction";
	}
}

/*
 * Diesel runs each file of a migration in a transaction unless its
 * metadata.toml says run_in_transaction = false; Prisma's migration.sql
 * is the statements' to say (migrated's own rule, as for a plain file).
 */
static void
diesel_txrule(struct mig_script *sc, const struct mig_file *f)
{
	sc->txrule = f->notx ? MIG_TXRULE_NONE : MIG_TXRULE_TX;
	sc->txmarker = "run_in_transaction = false";	/* metadata.toml */
}

/* The tool's markers and configuration: sections, transaction rules. */
static int
forward_split(struct migration *m, const struct mig_file *f, int atlas,
    struct merr *e)
{
	switch (f->kind) {
	case KIND_POP_UP:
		pop_txrule(&m->up, f);
		return 0;
	case KIND_SINGLE:
		return mig_single_split(m, e);
	case KIND_GOOSE:
		return mig_goose_split(m, e);
	case KIND_DBMATE:
		return mig_dbmate_split(m, e);
	case KIND_SQLMIGRATE:
		return mig_sqlmigrate_split(m, e);
	case KIND_TERN:
		return mig_tern_split(m, e);
	case KIND_NPGM:
		return mig_npgm_split(m, e);
	case KIND_GOOSE_GO:	/* no SQL: nothing to parse */
	case KIND_NPGM_JS:
	case KIND_PGRATOR_JS:
		m->code = code_exts[code_ext(f->fname,
		    strlen(f->fname))].lang;
		m->up.text = strdup("");
		return m->up.text ? 0 : merr_set(e, MERR_NOMEM,
		    "out of memory");
	case KIND_FLYWAY_R:
		m->repeatable = 1;
		/* FALLTHROUGH */
	case KIND_FLYWAY_V:
		return mig_flyway_conf(&m->up, e);
	case KIND_NATIVE_UP:
	case KIND_GOLANG_UP:	/* Atlas's and SQLx's files are such */
		other_notx(&m->up, atlas);
		return 0;
	case KIND_DIESEL_UP:
		diesel_txrule(&m->up, f);
		return 0;
	default:
		return 0;
	}
}

/* Forward scripts (and single files) make migrations. */
static int
set_add_forward(struct migset *s, struct mig_file *f, struct merr *e)
{
	struct migration *m;
	char key[MIG_KEY_MAX];

	if (migset_key(s->layout, f->version, key) == -1)
		return merr_setpos(e, MERR_INPUT, f->fname, 0, 0,
		    "'%s' has a version too long to order", f->fname);
	m = &s->v[s->n++];
	memset(m, 0, sizeof(*m));
	memcpy(m->key, key, sizeof(key));
	m->up.lock_timeout_ms = m->up.statement_timeout_ms = -1;
	m->up.lock_retries = -1;
	m->down = m->up;
	snprintf(m->version, sizeof(m->version), "%s", f->version);
	if ((m->name = strdup(f->name)) == NULL ||
	    (m->id = file_stem(f)) == NULL ||
	    (m->up.path = path_join(s->dir, f->fname)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	m->up.file_at = strlen(m->up.path) - strlen(f->fname);
	/* a Go migration is not read: its checksum is of no bytes */
	mig_sha256_hex(f->text ? f->text : "", f->len, m->checksum);
	m->up.text = f->text;	/* taken */
	f->text = NULL;
	return forward_split(m, f, s->atlas, e);
}

/* Rollbacks and docs attach to their forward script. */
static int
set_attach(struct migset *s, struct mig_file *f, struct merr *e)
{
	struct migration *m;
	char key[MIG_KEY_MAX];

	/* golang-migrate, pop and Flyway pair by version: names may differ */
	if (migset_key(s->layout, f->version, key) == -1 ||
	    (m = set_lookup(s, key)) == NULL ||
	    (f->kind != KIND_GOLANG_DOWN && f->kind != KIND_FLYWAY_U &&
	    f->kind != KIND_POP_DOWN && f->kind != KIND_PGRATOR_UNDO &&
	    strcmp(m->name, f->name) != 0)) {
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
	if (m->down.path)	/* golang: 1_a.down.sql and 1_b.down.sql */
		return merr_setpos(e, MERR_INPUT, f->fname, 0, 0, "migration "
		    "'%s' has two rollbacks: '%s' and '%s'", m->id,
		    mig_script_file(&m->down), f->fname);
	if ((m->down.path = path_join(s->dir, f->fname)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	m->down.file_at = strlen(m->down.path) - strlen(f->fname);
	if (f->kind == KIND_FLYWAY_U && mig_flyway_conf(&m->down, e) == -1)
		return -1;
	if (f->kind == KIND_POP_DOWN)
		pop_txrule(&m->down, f);
	if (f->kind == KIND_DIESEL_DOWN)
		diesel_txrule(&m->down, f);
	if (f->text) {
		m->down.text = f->text;	/* taken */
		f->text = NULL;
	} else if (mig_read_file(m->down.path, &m->down.text, NULL, e) == -1) {
		return -1;
	}
	mig_sha256_hex(m->down.text, strlen(m->down.text), m->down_checksum);
	if (f->kind == KIND_GOLANG_DOWN)
		other_notx(&m->down, s->atlas);
	return 0;
}

static int
mig_cmp(const void *a, const void *b)
{
	return strcmp(((const struct migration *)a)->key,
	    ((const struct migration *)b)->key);
}

static int
set_duplicates(struct migset *s, struct merr *e)
{
	size_t i;

	for (i = 1; i < s->n; i++) {
		if (strcmp(s->v[i].key, s->v[i - 1].key) != 0)
			continue;
		return merr_setpos(e, MERR_INPUT, mig_script_file(&s->v[i].up),
		    0, 0, "duplicate version %s: '%s' and '%s'",
		    s->v[i].version, mig_script_file(&s->v[i - 1].up),
		    mig_script_file(&s->v[i].up));
	}
	return 0;
}

static int
version_cmp(const void *a, const void *b)
{
	return strcmp((*(struct migration *const *)a)->version,
	    (*(struct migration *const *)b)->version);
}

const char *
migset_digest(struct migset *s)
{
	struct migration **by;
	struct hash h;
	size_t i;

	if (s->digest[0])
		return s->digest;
	if ((by = calloc(s->n ? s->n : 1, sizeof(*by))) == NULL)
		return NULL;
	for (i = 0; i < s->n; i++)
		by[i] = &s->v[i];
	if (s->n > 1)
		qsort(by, s->n, sizeof(*by), version_cmp);
	hash_init(&h);
	for (i = 0; i < s->n; i++) {
		if (i)
			hash_update(&h, "/", 1);
		hash_update(&h, by[i]->version, strlen(by[i]->version));
		hash_update(&h, "/", 1);
		hash_update(&h, by[i]->checksum, strlen(by[i]->checksum));
	}
	hash_final_hex(&h, s->digest);
	free(by);
	return s->digest;
}

int
migset_load(struct migset *s, const char *dir, struct merr *e)
{
	struct mig_stamp_vec sv = { NULL, 0, 0 };
	struct mig_file *files = NULL;
	size_t nfiles = 0, i;
	int pass, rc;

	memset(s, 0, sizeof(*s));
	if ((s->dir = strdup(dir)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	/* each stamp before its read: a file changed while loading shows
	   next time */
	s->scanned_ns = mig_realtime_ns();
	rc = files_scan(dir, &files, &nfiles, &sv, e);
	mig_stamps_done(&sv, &s->stamps, &s->nstamps);
	for (i = 0; i < s->nstamps && !s->atlas; i++)
		s->atlas = strcmp(s->stamps[i].name, "atlas.sum") == 0;
	if (rc == 0) {
		mig_files_code(files, &nfiles);
		mig_files_npgm(files, nfiles);
	}
	if (rc == -1 || mig_files_pop(files, &nfiles, e) == -1 ||
	    mig_files_tern(files, nfiles, e) == -1 ||
	    mig_files_drizzle(dir, files, &nfiles, &s->drizzle, e) == -1 ||
	    files_layout(dir, files, nfiles, &s->layout, e) == -1)
		goto fail;
	if (nfiles && (s->v = calloc(nfiles, sizeof(*s->v))) == NULL) {
		merr_set(e, MERR_NOMEM, "out of memory");
		goto fail;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nfiles; i++) {
			struct mig_file *f = &files[i];
			int fwd = kind_forward(f->kind);

			if (pass == 0 && fwd && set_add_forward(s, f, e) == -1)
				goto fail;
			if (pass == 1 && !fwd && set_attach(s, f, e) == -1)
				goto fail;
		}
		if (pass == 0 && s->n)
			qsort(s->v, s->n, sizeof(*s->v), mig_cmp);
		if (pass == 0 && set_duplicates(s, e) == -1)
			goto fail;
	}
	files_free(files, nfiles);
	return 0;
fail:
	/* a name in the folder ("x.sql", "NAME/migration.sql") gets its path */
	if (e->file[0] && e->file[0] != '/' && strcmp(e->file, dir) != 0 &&
	    (strncmp(e->file, dir, strlen(dir)) != 0 ||
	    e->file[strlen(dir)] != '/')) {
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
		free(sc->stmts[i].tree);
		free(sc->stmts[i].nolint);
		free(sc->stmts[i].pace);
	}
	free(sc->stmts);
	free(sc->blocks);
	free(sc->path);
	free(sc->text);
	free(sc->broken);
	if (sc->lint)
		lint_list_release(sc->lint);
	free(sc->lint);
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
	mig_stamps_free(s->stamps, s->nstamps);
	memset(s, 0, sizeof(*s));
}

struct migration *
migset_find(const struct migset *s, const char *version)
{
	char key[MIG_KEY_MAX];

	if (migset_key(s->layout, version, key) == -1)
		return NULL;
	return set_lookup(s, key);
}

void
migset_rollback_hint(const struct migset *s, const struct migration *m,
    char *buf, size_t len)
{
	const char *file = m->up.path ? mig_script_file(&m->up) : m->id;

	switch (s->layout) {
	case MIG_LAYOUT_GOLANG:
	case MIG_LAYOUT_POP:
		snprintf(buf, len, "write %s.down.sql", m->id);
		break;
	case MIG_LAYOUT_PRISMA:	/* as Prisma's guide has it written */
		snprintf(buf, len, "write %s/down.sql ('prisma migrate diff "
		    "... --script' writes one)", m->id);
		break;
	case MIG_LAYOUT_DIESEL:
		snprintf(buf, len, "write %s/down.sql", m->id);
		break;
	case MIG_LAYOUT_SINGLE:
		snprintf(buf, len, "add a '-- +++++ DOWN' section to %s", file);
		break;
	case MIG_LAYOUT_GOOSE:
		snprintf(buf, len, "add a '-- +goose Down' section to %s",
		    file);
		break;
	case MIG_LAYOUT_DBMATE:
		snprintf(buf, len, "add a '-- migrate:down' section to %s",
		    file);
		break;
	case MIG_LAYOUT_SQLMIGRATE:
		snprintf(buf, len, "add a '-- +migrate Down' section to %s",
		    file);
		break;
	case MIG_LAYOUT_TERN:
		snprintf(buf, len, "add the line '---- create above / drop "
		    "below ----' to %s, the rollback below it", file);
		break;
	case MIG_LAYOUT_NPGM:
		snprintf(buf, len, "add a '-- Down Migration' section to %s",
		    file);
		break;
	case MIG_LAYOUT_POSTGRATOR:
		snprintf(buf, len, "write %s.undo%s%s.sql", m->version,
		    *m->name ? "." : "", m->name);
		break;
	case MIG_LAYOUT_FLYWAY:
		if (m->repeatable)
			snprintf(buf, len, "a repeatable migration has no "
			    "rollback: change %s instead", file);
		else
			snprintf(buf, len, "write U%s.sql", m->id + 1);
		break;
	default:
		snprintf(buf, len, "write %s_rollback.sql", m->id);
		break;
	}
}

int
migset_prepare(struct migration *m, struct merr *e)
{
	return migset_parse(&m->up, e);
}

int
migset_prepare_down(struct migration *m, struct merr *e)
{
	struct mig_script *sc = &m->down;

	if (sc->broken) {
		*e = *sc->broken;
		return -1;
	}
	if (sc->path == NULL || sc->parsed || mig_parse_script(sc, e) == 0)
		return 0;
	/* out of memory or stopped (MERR_STATE): not the file's fault */
	if (e->code != MERR_NOMEM && e->code != MERR_STATE &&
	    (sc->broken = malloc(sizeof(*e))))
		*sc->broken = *e;
	return -1;
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
migset_script_copy(struct mig_script *dst, const struct mig_script *src,
    struct merr *e)
{
	size_t nb = src->nblocks * 2 * sizeof(*src->blocks);

	if (src->parsed || src->text == NULL)
		return merr_set(e, MERR_INTERNAL, "'%s' cannot be copied",
		    src->path ? src->path : "script");
	*dst = *src;
	dst->stmts = NULL;
	dst->nstmts = 0;
	dst->broken = NULL;
	dst->lint = NULL;
	dst->blocks = NULL;
	dst->path = src->path ? strdup(src->path) : NULL;
	dst->text = strdup(src->text);
	if (nb > 0 && (dst->blocks = malloc(nb)) != NULL)
		memcpy(dst->blocks, src->blocks, nb);
	if ((src->path && dst->path == NULL) || dst->text == NULL ||
	    (nb > 0 && dst->blocks == NULL)) {
		migset_script_release(dst);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	return 0;
}

int
migset_parse(struct mig_script *sc, struct merr *e)
{
	return sc->parsed ? 0 : mig_parse_script(sc, e);
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
