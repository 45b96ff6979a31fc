/*
 * migfresh.c - is a loaded migrations folder still the folder on disk?
 * Its entries' stamps (name, inode, size, mtime, ctime) against a scan,
 * entries changed within a clock tick of it read again (git's racily
 * clean entries), and migset_refresh(), which loads it again only when
 * something changed.
 */
#include <sys/stat.h>

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
	    !mig_has_suffix(st->name, len, ".toml"))	/* Diesel's */
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
