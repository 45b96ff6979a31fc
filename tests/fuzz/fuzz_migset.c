/*
 * fuzz_migset.c - a migrations folder (core/migset.c, then every file
 * through migparse.c and lint.c).  The input describes the folder, one
 * entry per "== " line, the lines up to the next entry being its content:
 *
 *   == 20240101_a.sql            a file
 *   CREATE TABLE a (id int);
 *   == 20240101_b_dir.sql/       a folder
 *   == 20240102_c.sql -> x.sql   a symbolic link to x.sql (in the folder)
 *
 * Names lose any '/' ('_' instead), "." and ".." are skipped; at most 16
 * entries.  The folder is loaded, every forward and rollback file parsed
 * and linted, and the folder refreshed, as the daemon does.
 */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "lint.h"
#include "migset.h"

#define FUZZ_MAX_ENTRIES	16

static void
folder_empty(const char *dir)
{
	char path[512];
	struct dirent *d;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		abort();
	while ((d = readdir(dp)) != NULL) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (unlink(path) == -1)
			(void)rmdir(path);
	}
	closedir(dp);
}

static const char *folder_dir;

static void
folder_remove(void)
{
	folder_empty(folder_dir);
	(void)rmdir(folder_dir);
}

/* A name for the folder: no separators, not "." or "..", not empty. */
static int
entry_name(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '/')
			*p = '_';
	return *s && strcmp(s, ".") && strcmp(s, "..") && strlen(s) < 200;
}

/* One "== " line (name ends at the newline) and the content after it. */
static void
entry_make(const char *dir, char *head, const char *body, size_t blen)
{
	char path[512], *arrow, *target = NULL;
	size_t hl = strlen(head);
	int folder = hl > 0 && head[hl - 1] == '/';
	FILE *f;

	if (folder)
		head[hl - 1] = '\0';
	if ((arrow = strstr(head, " -> ")) != NULL) {
		*arrow = '\0';
		target = arrow + 4;
		if (!entry_name(target))
			return;
	}
	if (!entry_name(head))
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, head);
	/* an entry that cannot be made (a name used twice) is left out */
	if (target) {
		if (symlink(target, path) == -1)
			return;
	} else if (folder)
		(void)mkdir(path, 0755);
	else if ((f = fopen(path, "w")) != NULL) {
		if (blen && fwrite(body, 1, blen, f) != blen)
			abort();	/* a full temp folder: no input's fault */
		fclose(f);
	}
}

static void
folder_fill(const char *dir, char *text)
{
	char *p = text, *nl, *next, *body;
	size_t blen;
	int n = 0;

	if (strncmp(p, "== ", 3) != 0 && (p = strstr(p, "\n== ")) != NULL)
		p++;
	while (p && n++ < FUZZ_MAX_ENTRIES) {
		nl = strchr(p + 3, '\n');
		body = nl ? nl + 1 : p + strlen(p);
		next = nl ? strstr(nl, "\n== ") : NULL;
		blen = next == NULL ? strlen(body) :
		    next > body ? (size_t)(next - body) : 0;
		if (nl)
			*nl = '\0';	/* ends the name; next + 1 is intact */
		entry_make(dir, p + 3, body, blen);
		p = next ? next + 1 : NULL;
	}
}

static void
folder_check(const char *dir)
{
	struct lint_list l;
	struct migset set;
	struct merr e;
	int changed;

	memset(&set, 0, sizeof(set));
	merr_clear(&e);
	lint_list_init(&l);
	if (migset_load(&set, dir, &e) == 0) {
		for (size_t i = 0; i < set.n; i++) {
			if (migset_prepare(&set.v[i], &e) == 0)
				(void)lint_script(&set.v[i].up, &l, &e);
			(void)migset_prepare_down(&set.v[i], &e);
		}
		(void)migset_refresh(&set, dir, &changed, &e);
	}
	lint_list_release(&l);
	migset_release(&set);
}

static void
fuzz_migset(const uint8_t *data, size_t size)
{
	static char dir[64];
	char *text = fuzz_text(data, size);

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/migrated-fuzz-dir.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		folder_dir = dir;
		atexit(folder_remove);
	}
	folder_empty(dir);
	folder_fill(dir, text);
	folder_check(dir);
	free(text);
}

FUZZ_TARGET(fuzz_migset)
