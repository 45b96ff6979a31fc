/*
 * migfolder.c - the folders inside the migrations folder, which are not
 * read: the layouts that put migrations in them are refused, naming what
 * to do, rather than read as fewer migrations than there are, or none
 * (a database then said up to date).  See migset_int.h.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migset.h"
#include "migset_int.h"

#define SUB_DEPTH	8	/* Flyway reads a location's folders: as deep */
#define SUB_NAMED	3	/* folders named in a message, at most */

/*
 * The tools that keep a folder per migration: the file in it that makes
 * it one, what the error calls the layout, the rollback beside it.
 */
static const struct {
	const char	*file;
	const char	*with;		/* the error's "a folder with ..." */
	const char	*tool;
	const char	*down;
} tool_dirs[] = {
	{ "up.sql", "an up.sql", "Diesel", "down.sql" },
	{ "migration.sql", "a migration.sql", "Prisma Migrate", NULL },
};

/* The golang-migrate name of folder name's file ("-" left out, Diesel) */
static void
tool_dir_version(const char *name, char *version, size_t len)
{
	const char *us = strchr(name, '_');
	size_t i, n = 0;

	for (i = 0; name[i] && &name[i] != us && n + 1 < len; i++)
		if (name[i] != '-')
			version[n++] = name[i];
	version[n] = '\0';
}

int
mig_tool_dir(int dfd, const struct dirent *de, struct merr *e)
{
	char path[sizeof(de->d_name) + sizeof("/migration.sql")];
	char version[MIG_VERSION_MAX], down[MIG_VERSION_MAX + 300];
	const char *us = strchr(de->d_name, '_'), *name = us ? us : "_NAME";
	struct stat st;
	size_t k;

	if (de->d_type != DT_DIR && de->d_type != DT_LNK &&
	    de->d_type != DT_UNKNOWN)
		return 0;
	for (k = 0; k < sizeof(tool_dirs) / sizeof(tool_dirs[0]); k++)
		if (snprintf(path, sizeof(path), "%s/%s", de->d_name,
		    tool_dirs[k].file) < (int)sizeof(path) &&
		    fstatat(dfd, path, &st, 0) == 0 && S_ISREG(st.st_mode))
			break;
	if (k == sizeof(tool_dirs) / sizeof(tool_dirs[0]))
		return 0;
	tool_dir_version(de->d_name, version, sizeof(version));
	merr_setpos(e, MERR_INPUT, path, 0, 0, "'%s' is a folder with %s: "
	    "%s's layout (a folder per migration), which migrated does not "
	    "read", de->d_name, tool_dirs[k].with, tool_dirs[k].tool);
	down[0] = '\0';
	if (tool_dirs[k].down && snprintf(path, sizeof(path), "%s/%s",
	    de->d_name, tool_dirs[k].down) < (int)sizeof(path) &&
	    fstatat(dfd, path, &st, 0) == 0)
		snprintf(down, sizeof(down), ", its %s '%s%.200s.down.sql'",
		    tool_dirs[k].down, version, name);
	merr_hint(e, "make each folder's %s%s files of the migrations "
	    "folder, named as golang-migrate names them: '%s/%s' becomes "
	    "'%s%s.up.sql'%s; %s's history is then adopted",
	    tool_dirs[k].file, tool_dirs[k].down ? " and down.sql" : "",
	    de->d_name, tool_dirs[k].file, version, name, down,
	    tool_dirs[k].tool);
	return -1;
}

/* Would the folder's own classifier take name for a migration? */
static int
named_flyway(const char *name)
{
	char prefix, version[MIG_VERSION_MAX], *desc = NULL;
	struct merr ignore;
	int r;

	merr_clear(&ignore);
	r = mig_flyway_name(name, &prefix, version, &desc, &ignore);
	free(desc);
	return r == 0;
}

static int
named_migration(const char *name)
{
	size_t len = strlen(name);

	return len > 4 && strcmp(name + len - 4, ".sql") == 0 &&
	    (isdigit((unsigned char)name[0]) || named_flyway(name));
}

/*
 * How many files of folder name (in dfd) named() takes, down to depth
 * more levels of folders (not through links: no loop); 0 if none.
 */
static size_t
sub_count(int dfd, const char *name, int (*named)(const char *), int depth)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (named(de->d_name))
			n++;
		else if (depth > 0 && de->d_type != DT_REG)
			n += sub_count(dirfd(d), de->d_name, named, depth - 1);
	}
	closedir(d);
	return n;
}

/*
 * The folders of dir holding files named() takes, in name order: the
 * first's name in first, the first SUB_NAMED in names ("'a', 'b'"), how
 * many folders in all in *nfolders; the files in them returned.
 */
static size_t
sub_find(const char *dir, int (*named)(const char *), int depth,
    char *first, char *names, size_t len, size_t *nfolders)
{
	struct dirent **v = NULL;
	size_t n, files = 0;
	int dfd, k, i;

	first[0] = names[0] = '\0';
	*nfolders = 0;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	if ((k = scandir(dir, &v, NULL, alphasort)) == -1) {
		close(dfd);
		return 0;
	}
	for (i = 0; i < k; i++) {
		const char *name = v[i]->d_name;

		if (name[0] != '.' && v[i]->d_type != DT_REG &&
		    (n = sub_count(dfd, name, named, depth)) > 0) {
			if ((*nfolders)++ == 0)
				snprintf(first, 256, "%s", name);
			if (*nfolders <= SUB_NAMED)
				snprintf(names + strlen(names), len -
				    strlen(names), "%s'%s'", *nfolders > 1 ?
				    ", " : "", name);
			files += n;
		}
		free(v[i]);
	}
	free(v);
	close(dfd);
	return files;
}

int
mig_subfolders_refused(const char *dir, size_t nfiles, int flyway,
    struct merr *e)
{
	char first[256], names[SUB_NAMED * 260];
	size_t n, folders;

	if (nfiles == 0 && (n = sub_find(dir, named_migration, 0, first,
	    names, sizeof(names), &folders)) > 0) {
		merr_setpos(e, MERR_INPUT, dir, 0, 0, "no migration file in "
		    "the migrations folder, but %zu in its folder%s %s%s", n,
		    folders == 1 ? "" : "s", names,
		    folders > SUB_NAMED ? ", ..." : "");
		if (folders == 1)
			merr_hint(e, "point migrations at '%s/%s' (the files "
			    "of the folder itself are read, not those of its "
			    "folders), or keep files that are not migrations "
			    "out of it", dir, first);
		else
			merr_hint(e, "point migrations at the folder of this "
			    "database's migrations (the files of the folder "
			    "itself are read, not those of its folders)");
		return -1;
	}
	if (nfiles && flyway && (n = sub_find(dir, named_flyway, SUB_DEPTH,
	    first, names, sizeof(names), &folders)) > 0) {
		merr_setpos(e, MERR_INPUT, dir, 0, 0, "%zu Flyway migration "
		    "file%s in its folder%s %s%s, which Flyway reads (a "
		    "location's folders too) and migrated does not", n,
		    n == 1 ? "" : "s", folders == 1 ? "" : "s", names,
		    folders > SUB_NAMED ? ", ..." : "");
		merr_hint(e, "move them into the migrations folder itself "
		    "(their versions stay unique: Flyway refuses one twice "
		    "too)");
		return -1;
	}
	return 0;
}
