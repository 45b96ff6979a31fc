/*
 * pull_dir.c - a pulled models folder on disk (pull.h): whole or not at
 * all, never over files that are not models.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pull.h"

static int
pull_nomem(struct merr *e)
{
	return merr_set(e, MERR_NOMEM, "out of memory");
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
	    (n > 4 && !strcmp(name + n - 4, ".sql")) ||
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
		    "files (*.yaml, *.yml, *.sql, %s)" : "pull into a new or "
		    "empty folder: this one holds files that are not models",
		    PULL_NOTES_FILE);
		return -1;
	}
	return 0;
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

int
pull_dir_check(const char *dir, int force, struct merr *e)
{
	enum dir_state st;

	return check_dir(dir, force, &st, e);
}

int
pull_write(const char *dir, const struct pull_files *files, int force,
    struct merr *e)
{
	enum dir_state st;
	char *tmp = NULL;
	int rc = 0;

	if (check_dir(dir, force, &st, e) == -1)
		return -1;
	if (asprintf(&tmp, "%s.pull-XXXXXX", dir) == -1)
		return pull_nomem(e);
	if (mkdtemp(tmp) == NULL) {
		rc = merr_setpos(e, MERR_IO, tmp, 0, 0, "cannot create "
		    "folder: %m");
		free(tmp);
		return rc;
	}
	for (size_t i = 0; rc == 0 && i < files->n; i++)
		rc = write_file(tmp, files->v[i].name, files->v[i].text, e);
	if (rc == 0)
		rc = check_dir(dir, force, &st, e);	/* again, now */
	if (rc == 0)
		rc = install(tmp, dir, st, e);
	if (rc == -1)
		remove_flat(tmp);
	free(tmp);
	return rc;
}
