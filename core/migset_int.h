/*
 * migset_int.h - shared between migset.c (folder), migparse.c (statements)
 * and migcreate.c (new files).  Not for other modules.
 */
#ifndef MIGRATE_MIGSET_INT_H
#define MIGRATE_MIGSET_INT_H

#include <stddef.h>

#include "migset.h"

int	mig_read_file(const char *path, char **text, size_t *len,
	    struct merr *);
/*
 * migtools.c: Drizzle's journal, meta/_journal.json in dir: *j (the
 * caller's, json_decref) and its "entries", *path (the caller's, free);
 * 0 with *j NULL when there is none; -1 when it is no JSON or lists no
 * entries (an error at its line and column).
 */
int	mig_drizzle_journal(const char *dir, json_t **j, json_t **entries,
	    char **path, struct merr *);
void	mig_sha256_hex(const char *data, size_t len,
	    char out[MIG_SHA256_HEX]);
/*
 * miglayout.c: the marker layouts and the other tools' file names.
 * The start of the "-- +++++ UP" / "DOWN" line in text, or NULL.
 */
const char *mig_find_marker(const char *text, const char *which);
/* Does text hold goose's "-- +goose Up" / dbmate's "-- migrate:up"? */
int	mig_goose_detect(const char *text);
int	mig_dbmate_detect(const char *text);
/* Does text hold a sql-migrate command line ("-- +migrate Up")? */
int	mig_sqlmigrate_detect(const char *text);
/* Do a file's Atlas directives say "-- atlas:txmode none"? */
int	mig_atlas_notx(const char *text);
/* tern's "---- create above / drop below ----" or disable-tx line? */
int	mig_tern_detect(const char *text);
/* node-pg-migrate's "-- Down Migration" line? 2: yes, 1: maybe, 0: no */
int	mig_npgm_detect(const char *text);
/*
 * Split a file of a marker layout (m->up.text, the whole file) into its
 * up and down scripts (m->down.path set when it has a down section), as
 * the tool reads its markers, with the transaction rule they give.
 * Errors carry file:line:col.
 */
int	mig_single_split(struct migration *, struct merr *);
int	mig_goose_split(struct migration *, struct merr *);
int	mig_dbmate_split(struct migration *, struct merr *);
int	mig_sqlmigrate_split(struct migration *, struct merr *);
int	mig_tern_split(struct migration *, struct merr *);
int	mig_npgm_split(struct migration *, struct merr *);
/*
 * A Flyway file name: 1 when it is none (no V, U or R prefix followed by
 * a digit or "__"), 0 with *prefix 'V', 'U' or 'R', version (as Flyway
 * records it: '_' written '.'; "R__desc" for a repeatable) and *desc
 * (malloc'd), -1 when it looks like one but Flyway would refuse it.
 */
int	mig_flyway_name(const char *fname, char *prefix,
	    char version[MIG_VERSION_MAX], char **desc, struct merr *);
/*
 * The folders inside the migrations folder (migfolder.c) that are no
 * tool's folder per migration (migfile.h: mig_dir_files()) are not read.
 * mig_subfolders_refused(): -1 when dir, holding nfiles
 * migrations of its own, has folders of migrations a tool would read: any
 * when it has none (migrations names their parent), Flyway files when it
 * is a Flyway folder (flyway: Flyway reads a location's folders).  Each
 * costs a look only at entries that may be folders.
 */
int	mig_subfolders_refused(const char *dir, size_t nfiles, int flyway,
	    struct merr *);
/*
 * A pop file name (gobuffalo/pop, ory/x popx: the Ory services):
 * NNN_name[.dialect][.autocommit].(up|down).sql.  -1 when it does not fit
 * that pattern, else the parts, and 1 when the name says what only pop
 * reads (a dialect pop knows, .autocommit), 0 when it says neither (a
 * golang-migrate name too).  rank: 1 PostgreSQL's file (postgres,
 * postgresql, pg, pgx), 0 every database's, -1 another database's (or a
 * dialect pop does not know, which it skips): pop runs a version's
 * highest-ranked file.
 */
struct mig_popname {
	size_t	vlen;			/* the version: [0, vlen) */
	size_t	name_from, name_to;	/* the name: [from, to) */
	int	rank;
	int	autocommit;		/* no transaction */
	int	down;
};
int	mig_pop_name(const char *fname, struct mig_popname *);
/* FILE.conf beside a Flyway script: executeInTransaction=true|false. */
int	mig_flyway_conf(struct mig_script *, struct merr *);
/* Split, parse and classify sc->text; fills stmts, tx, directives. */
int	mig_parse_script(struct mig_script *, struct merr *);
/*
 * 0 when running a statement of this type (pg_query node name, "" for
 * none) and parse tree (pg_query_parse JSON) may leave the session
 * changed (migparse.c says which cannot).
 */
int	mig_stmt_inert(const char *type, const char *json);
/* Line and column (1-based, columns in characters) of a byte offset. */
void	mig_offset_pos(const char *text, size_t off, int *line, int *col);
/*
 * The same for offsets that mostly grow (statement after statement): it
 * goes on from the last position asked, so a whole file costs one pass.
 */
struct mig_cursor {
	size_t	off;
	int	line, col;
};
void	mig_cursor_pos(const char *text, struct mig_cursor *,
	    size_t off, int *line, int *col);

#endif
