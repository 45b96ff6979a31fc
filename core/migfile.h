/*
 * migfile.h - the files of a migrations folder as migset.c scans them,
 * before they become migrations: what each name and its markers say, and
 * the other tools' rules over the whole list (migtools.c), the stamps
 * that tell a loaded folder from the one on disk (migfresh.c).  Internal
 * to those three.
 */
#ifndef MIGRATE_MIGFILE_H
#define MIGRATE_MIGFILE_H

#include <stddef.h>

#include "migset.h"

/* What one file name says about itself. */
enum mig_kind {
	KIND_NATIVE_UP = 0, KIND_NATIVE_DOWN, KIND_GOLANG_UP,
	KIND_GOLANG_DOWN, KIND_SINGLE, KIND_DOC, KIND_GOOSE, KIND_DBMATE,
	KIND_FLYWAY_V, KIND_FLYWAY_U, KIND_FLYWAY_R, KIND_POP_UP,
	KIND_POP_DOWN, KIND_SQLMIGRATE, KIND_TERN, KIND_GOOSE_GO, KIND_NPGM,
	KIND_NPGM_JS, KIND_PGRATOR_DO, KIND_PGRATOR_UNDO, KIND_PGRATOR_JS,
	KIND_PRISMA, KIND_PRISMA_DOWN, KIND_DIESEL_UP, KIND_DIESEL_DOWN,
	KIND_N
};

struct mig_file {
	char		*fname;
	enum mig_kind	 kind;
	char		 version[MIG_VERSION_MAX];
	char		*name;
	char		*text;		/* read once (not a native .md) */
	size_t		 len;
	int		 rank;		/* pop: mig_popname's */
	int		 autocommit;	/* pop: .autocommit */
	int		 weak;		/* node-pg-migrate's by markers with
					   words after them only */
	int		 notx;		/* Diesel: its metadata.toml says
					   run_in_transaction = false */
	struct mig_stamp stamp;		/* before the text was read (no name) */
};

void	mig_file_free(struct mig_file *);
/* Do s[0..len) end with sfx? */
int	mig_has_suffix(const char *s, size_t len, const char *sfx);
/*
 * migfresh.c: the stamps of a folder's entries, as they are read
 * (files_scan()) or as they are now (mig_stamps_scan(): every non-dot
 * entry, sorted by name).  mig_stamps_add(): name's stamp (known: the
 * fstat() before its read, else asked; none for an entry gone), -1 out
 * of memory; mig_meta_stamp() and mig_journal_stamp() add Diesel's
 * NAME/metadata.toml and Drizzle's meta/_journal.json when there is one;
 * mig_stamps_done(): sorted into *out, sv emptied.
 */
struct mig_stamp_vec {
	struct mig_stamp	*v;
	size_t			 n, cap;
};
struct dirent;
int	mig_stamps_add(struct mig_stamp_vec *, int dfd, const char *name,
	    const struct mig_stamp *known);
int	mig_meta_stamp(struct mig_stamp_vec *, int dfd, const char *dname);
int	mig_journal_stamp(struct mig_stamp_vec *, int dfd,
	    const struct dirent *);
void	mig_stamps_done(struct mig_stamp_vec *, struct mig_stamp **out,
	    size_t *nout);
int	mig_stamps_scan(const char *dir, struct mig_stamp **out, size_t *nout,
	    struct merr *);
void	mig_stamps_free(struct mig_stamp *, size_t n);
long long mig_realtime_ns(void);		/* CLOCK_REALTIME (migfresh.c) */
int	mig_file_cmp(const void *, const void *);	/* by file name */
/* tern: N_name.sql (its migrationPattern); 1 when fname is none */
int	mig_tern_name(const char *fname, struct mig_file *);

/*
 * migtools.c: each tool's rules over the scanned list, as the tool reads
 * its folder (see each function): pop's chosen file per version,
 * migrations in code only in their tool's folder, node-pg-migrate's and
 * tern's plain files, the files drizzle-kit left behind.
 */
int	mig_files_pop(struct mig_file *, size_t *n, struct merr *);
void	mig_files_code(struct mig_file *, size_t *n);
void	mig_files_npgm(struct mig_file *, size_t n);
int	mig_files_tern(struct mig_file *, size_t n, struct merr *);
int	mig_files_drizzle(const char *dir, struct mig_file *, size_t *n,
	    int *drizzle, struct merr *);

/*
 * migfolder.c: a folder per migration (Prisma Migrate's, Diesel's).
 * The files of folder dname of dfd that make a migration, as
 * "dname/migration.sql" ... with their kinds, into names and kinds (the
 * forward file and its rollback); 0 when dname is no such folder (or a
 * link: not followed).  *notx (NULL: not asked, the file not read):
 * Diesel's metadata.toml makes run_in_transaction false.
 */
#define MIG_DIR_FILES	2
int	mig_dir_files(int dfd, const char *dname,
	    char names[MIG_DIR_FILES][512], enum mig_kind kinds[MIG_DIR_FILES],
	    int *notx);
/* f's version and name from its folder's name (fname "dname/x.sql"),
 * as the tool reads them; an error names the folder. */
int	mig_dir_version(struct mig_file *f, struct merr *);
/* Is entry name of dfd a folder?  0 no, 1 yes, 2 a link to one. */
int	mig_is_folder(int dfd, const char *name);
/* Among the folders of a tool's migrations, one that is none: the tool
 * refuses it (-1, e set). */
int	mig_dir_stray(const char *name, int link, int prisma, struct merr *);

#endif
