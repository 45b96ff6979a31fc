/*
 * migfolder.c - the folders inside the migrations folder: a folder per
 * migration of Prisma Migrate (NAME/migration.sql) and Diesel
 * (NAME/up.sql, NAME/down.sql) read as its tool reads it; other folders
 * holding migrations refused, naming what to do, rather than read as
 * fewer migrations than there are, or none (a database then said up to
 * date).  See migfile.h and migset_int.h.
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
#include "migfile.h"

#define SUB_DEPTH	8	/* Flyway reads a location's folders: as deep */
#define SUB_NAMED	3	/* folders named in a message, at most */

/* Is dname/file a regular file (a link followed only inside)? */
static int
dir_has(int dfd, const char *dname, const char *file, char *path,
    size_t len)
{
	struct stat st;

	return (size_t)snprintf(path, len, "%s/%s", dname, file) < len &&
	    mig_entry_stat(dfd, path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * One line of Diesel's metadata.toml: 1 run_in_transaction = true, 0
 * = false, -1 another line, -2 the key with another value (no TOML bool:
 * Diesel cannot read the file).  The key may be quoted, as TOML allows.
 */
static int
diesel_line(const char *line)
{
	char key[32], val[8], end[2];
	int n;

	n = sscanf(line, " \"%31[a-z_]\" = %7[A-Za-z\"] %1s", key, val, end);
	if (n < 2)
		n = sscanf(line, " %31[a-z_] = %7[A-Za-z\"] %1s", key, val, end);
	if (n < 2 || strcmp(key, "run_in_transaction") != 0)
		return -1;
	if (n == 3 && end[0] != '#')
		return -2;
	return !strcmp(val, "true") ? 1 : !strcmp(val, "false") ? 0 : -2;
}

/*
 * Diesel's metadata.toml (migrations_internals' TomlMetadata): a file
 * that reads has run_in_transaction false unless it says true (serde's
 * default for a bool); one Diesel cannot read (no such file, a value
 * that is no bool, the key twice) leaves it true.  Keys under a [table]
 * are not the top level's.  What is no TOML at all is not told from it.
 */
static int
diesel_notx(int dfd, const char *path)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n;
	int fd, v, seen = 0, notx = 1;

	if ((fd = mig_entry_open(dfd, path, O_RDONLY | O_NONBLOCK)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line && line[strspn(line,
	    " \t")] != '['; line = strtok_r(NULL, "\n", &save)) {
		if ((v = diesel_line(line)) == -1)
			continue;
		if (v == -2 || seen++)
			return 0;	/* Diesel cannot read it */
		notx = !v;
	}
	return notx;
}

int
mig_dir_files(int dfd, const char *dname, char names[MIG_DIR_FILES][512],
    enum mig_kind kinds[MIG_DIR_FILES], int *notx)
{
	char path[512];
	struct stat st;
	int n = 0, prisma;

	if (notx)
		*notx = 0;
	if (fstatat(dfd, dname, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	if ((prisma = dir_has(dfd, dname, "migration.sql", path,
	    sizeof(path))) != 0) {
		kinds[n] = KIND_PRISMA;
	} else if (dir_has(dfd, dname, "up.sql", path, sizeof(path))) {
		kinds[n] = KIND_DIESEL_UP;
		if (notx && dir_has(dfd, dname, "metadata.toml", names[n],
		    sizeof(names[n])))
			*notx = diesel_notx(dfd, names[n]);
	} else {
		return 0;
	}
	memcpy(names[n++], path, sizeof(path));
	/* Prisma's guide has 'prisma migrate diff' write down.sql there */
	if (dir_has(dfd, dname, "down.sql", names[n], sizeof(names[n])))
		kinds[n++] = prisma ? KIND_PRISMA_DOWN : KIND_DIESEL_DOWN;
	return n;
}

int
mig_is_folder(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, 0) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode) ? 2 : 1;
}

int
mig_dir_stray(const char *name, int link, int prisma, struct merr *e)
{
	const char *file = prisma ? "migration.sql" : "up.sql";
	const char *tool = prisma ? "Prisma Migrate" : "Diesel";

	if (link) {
		merr_setpos(e, MERR_INPUT, name, 0, 0, "'%s' is a symbolic "
		    "link to a folder among %s's migrations: migrated does "
		    "not follow links to folders", name, tool);
		merr_hint(e, "make it the folder itself, or move it out of "
		    "the migrations folder");
		return -1;
	}
	merr_setpos(e, MERR_INPUT, name, 0, 0, "'%s' is a folder without %s "
	    "%s among %s's migrations: %s refuses the folder so", name,
	    prisma ? "a" : "an", file, tool, prisma ? "prisma migrate "
	    "deploy (P3015)" : "diesel migration run");
	merr_hint(e, "put its %s back, or move it out of the migrations "
	    "folder", file);
	return -1;
}

int
mig_dir_version(struct mig_file *f, struct merr *e)
{
	const char *slash = strchr(f->fname, '/'), *us;
	int diesel = f->kind == KIND_DIESEL_UP || f->kind == KIND_DIESEL_DOWN;
	size_t dlen = (size_t)(slash - f->fname), n = 0, i;

	us = memchr(f->fname, '_', dlen);
	for (i = 0; i < (us ? (size_t)(us - f->fname) : dlen); i++) {
		char c = f->fname[i];

		if (diesel && c == '-')
			continue;	/* 2019-02-26-002946 */
		if (c < '0' || c > '9' || n + 1 >= sizeof(f->version))
			break;
		f->version[n++] = c;
	}
	f->version[n] = '\0';
	if (n == 0 || i < (us ? (size_t)(us - f->fname) : dlen))
		return merr_setpos(e, MERR_INPUT, f->fname, 0, 0, "'%.*s' "
		    "holds %s's %s but its name does not start with a "
		    "version: digits%s, then '_' and a name", (int)dlen,
		    f->fname, diesel ? "Diesel" : "Prisma Migrate", slash + 1,
		    diesel ? " (and '-')" : "");
	f->name = us ? strndup(us + 1, dlen - (size_t)(us + 1 - f->fname)) :
	    strdup("");
	return f->name ? 0 : merr_set(e, MERR_NOMEM, "out of memory");
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
