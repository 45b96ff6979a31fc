/*
 * migfresh.c - is a loaded migrations folder still the folder on disk?
 * Its entries' stamps (name, inode, size, mtime, ctime) against a scan,
 * entries changed within a clock tick of it read again (git's racily
 * clean entries), and migset_refresh(), which loads it again only when
 * something changed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migfile.h"
#include "migset_int.h"

static int
stamp_same(const struct mig_stamp *a, const struct mig_stamp *b)
{
	return a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
	    a->size == b->size && a->ino == b->ino;
}

int
mig_stamp_is(const struct mig_stamp *s, const struct stat *st)
{
	struct mig_stamp now;

	mig_stamp_of(&now, st);
	return stamp_same(&now, s);
}

static int
stamps_equal(const struct mig_stamp *a, size_t na, const struct mig_stamp *b,
    size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) != 0 ||
		    !stamp_same(&a[i], &b[i]))
			return 0;
	return 1;
}

/* Changed too close to the last scan to tell a later change (or after). */
static int
stamp_racy(const struct migset *s, const struct mig_stamp *st)
{
	return st->mtime_ns >= s->scanned_ns - MIG_RACY_NS ||
	    st->ctime_ns >= s->scanned_ns - MIG_RACY_NS;
}

/* The checksum a script of s was loaded with whose file is name. */
static const char *
loaded_sum(const struct migset *s, const char *name, const char **path)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct migration *m = &s->v[i];

		if (strcmp(mig_script_file(&m->up), name) == 0) {
			*path = m->up.path;
			return m->checksum;
		}
		if (m->down.path && strcmp(mig_script_file(&m->down),
		    name) == 0 && m->down_checksum[0]) {
			*path = m->down.path;
			return m->down_checksum;
		}
	}
	return NULL;
}

/*
 * Is an entry whose stamp did not change, but was racy at the last scan
 * (MIG_RACY_NS: changed too close to it to tell), as it was loaded?  A
 * script (forward or rollback) is read again and its checksum compared;
 * another racy file whose text is loaded (a Flyway .conf) counts as
 * changed; what is not read (a note, a README) does not matter.  0 when
 * changed or unreadable (the caller loads the folder again, and what was
 * parsed, a rollback found broken included, is parsed again).
 */
static int
racy_same(const struct migset *s, const struct mig_stamp *st)
{
	char sum[MIG_SHA256_HEX], *text;
	size_t len = strlen(st->name);
	const char *path, *want;
	struct merr ignore;

	if (!stamp_racy(s, st))
		return 1;
	if (!mig_has_suffix(st->name, len, ".sql") &&
	    !mig_has_suffix(st->name, len, ".conf") &&
	    !mig_has_suffix(st->name, len, ".toml") &&	/* Diesel's */
	    !mig_has_suffix(st->name, len, ".json"))	/* Drizzle's */
		return 1;
	if ((want = loaded_sum(s, st->name, &path)) == NULL)
		return 0;
	merr_clear(&ignore);
	if (mig_read_file(path, &text, &len, &ignore) == -1)
		return 0;
	mig_sha256_hex(text, len, sum);
	free(text);
	return strcmp(sum, want) == 0;
}

int
migset_racy(const struct migset *s)
{
	size_t i;

	for (i = 0; i < s->nstamps; i++)
		if (stamp_racy(s, &s->stamps[i]))
			return 1;
	return 0;
}

long long
mig_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The folder as s has it: same stamps, racy entries read again. */
static int
set_current(struct migset *s, const char *dir, struct merr *e)
{
	long long now = mig_realtime_ns();
	struct mig_stamp *v = NULL;
	size_t i, n = 0;
	int same;

	if (s->dir == NULL || strcmp(s->dir, dir) != 0)
		return 0;
	if (mig_stamps_scan(dir, &v, &n, e) == -1)
		return -1;
	same = stamps_equal(v, n, s->stamps, s->nstamps);
	for (i = 0; same && i < n; i++)
		same = racy_same(s, &v[i]);
	mig_stamps_free(v, n);
	if (same)
		s->scanned_ns = now;	/* what was racy was read again */
	return same;
}

int
migset_refresh(struct migset *s, const char *dir, int *changed,
    struct merr *e)
{
	struct migset fresh;
	int same;

	if (changed)
		*changed = 1;
	if ((same = set_current(s, dir, e)) == -1)
		return -1;
	if (same) {
		if (changed)
			*changed = 0;
		return 0;
	}
	if (migset_load(&fresh, dir, e) == -1)
		return -1;
	migset_release(s);
	*s = fresh;
	return 0;
}

void
mig_stamps_free(struct mig_stamp *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static int
stamp_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mig_stamp *)a)->name,
	    ((const struct mig_stamp *)b)->name);
}

void
mig_stamp_of(struct mig_stamp *s, const struct stat *st)
{
	s->mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000LL +
	    st->st_mtim.tv_nsec;
	s->ctime_ns = (long long)st->st_ctim.tv_sec * 1000000000LL +
	    st->st_ctim.tv_nsec;
	s->size = (long long)st->st_size;
	s->ino = (unsigned long long)st->st_ino;
}


/*
 * name's stamp added to sv: known when the entry was just read (by the
 * fstat() before its read: one stat a file), else asked (a link inside
 * the folder: its target's, a swap shows); an entry gone since readdir()
 * has none.  -1: out of memory.
 */
int
mig_stamps_add(struct mig_stamp_vec *sv, int dfd, const char *name,
    const struct mig_stamp *known)
{
	struct mig_stamp *nv, asked;
	struct stat st;

	if (known == NULL) {
		if (mig_entry_stat(dfd, name, &st) == -1 &&
		    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			return 0;
		mig_stamp_of(&asked, &st);
		known = &asked;
	}
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 64;

		if ((nv = realloc(sv->v, cap * sizeof(*nv))) == NULL)
			return -1;
		sv->v = nv;
		sv->cap = cap;
	}
	sv->v[sv->n] = *known;
	if ((sv->v[sv->n].name = strdup(name)) == NULL)
		return -1;
	sv->n++;
	return 0;
}

void
mig_stamps_done(struct mig_stamp_vec *sv, struct mig_stamp **out, size_t *nout)
{
	if (sv->n)
		qsort(sv->v, sv->n, sizeof(*sv->v), stamp_cmp);
	*out = sv->v;
	*nout = sv->n;
	memset(sv, 0, sizeof(*sv));
}

int
mig_meta_stamp(struct mig_stamp_vec *sv, int dfd, const char *dname)
{
	char meta[512];

	if ((size_t)snprintf(meta, sizeof(meta), "%s/metadata.toml",
	    dname) >= sizeof(meta))
		return 0;
	return mig_stamps_add(sv, dfd, meta, NULL);	/* none: not added */
}

int
mig_journal_stamp(struct mig_stamp_vec *sv, int dfd, const struct dirent *de)
{
	if (strcmp(de->d_name, "meta") != 0 || (de->d_type != DT_DIR &&
	    de->d_type != DT_UNKNOWN))
		return 0;
	return mig_stamps_add(sv, dfd, "meta/_journal.json", NULL);
}

/*
 * The files of a folder per migration (Prisma's, Diesel's), stamped as
 * entries of their own ("NAME/migration.sql"): an edit inside does not
 * change the folder's stamp.  -1: out of memory.
 */
static int
dir_stamps(struct mig_stamp_vec *sv, int dfd, const struct dirent *de)
{
	char names[MIG_DIR_FILES][512];
	enum mig_kind kinds[MIG_DIR_FILES];
	int k, nf;

	if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
		return 0;
	if (mig_journal_stamp(sv, dfd, de) == -1)
		return -1;
	nf = mig_dir_files(dfd, de->d_name, names, kinds, NULL);
	for (k = 0; k < nf; k++)
		if (mig_stamps_add(sv, dfd, names[k], NULL) == -1)
			return -1;
	return nf ? mig_meta_stamp(sv, dfd, de->d_name) : 0;
}

/* Stat every non-dot entry of dir; sorted by name. */
int
mig_stamps_scan(const char *dir, struct mig_stamp **out, size_t *nout,
    struct merr *e)
{
	struct mig_stamp_vec sv = { NULL, 0, 0 };
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return merr_setpos(e, MERR_IO, dir, 0, 0,
		    "cannot open migrations folder: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' &&
		    (mig_stamps_add(&sv, dirfd(d), de->d_name, NULL) == -1 ||
		    dir_stamps(&sv, dirfd(d), de) == -1)) {
			closedir(d);
			mig_stamps_free(sv.v, sv.n);
			return merr_set(e, MERR_NOMEM, "out of memory");
		}
	}
	closedir(d);
	mig_stamps_done(&sv, out, nout);
	return 0;
}
