/*
 * pull.h - a models folder from a live database (`migrated --pull DIR`).
 *
 * pull_run() reads the catalogs (core/catalog.h, the same reader tier 1
 * uses) and a list of what the model format cannot say yet
 * (core/pull_scan.c), shapes the live schema into what a person would
 * write (core/pull_prep.c: aliases, defaults without redundant casts,
 * default names left out, serial for a column that owns a sequence of
 * PostgreSQL's defaults) and writes one YAML file per table, one per
 * schema for its enum types, its domains and its sequences, and one for
 * the extensions (core/pull_yaml.c, libyaml's emitter).
 *
 * Nothing is dropped silently: every object that cannot be said (a view,
 * a function, a trigger, a partitioned table, ...) is a note, and the
 * notes are written to PULL_NOTES.md in the folder as well as returned.
 *
 * The files are loaded back with the model loader, in memory, before
 * anything is written (pull_read(): a folder that would not load is an
 * internal error, never written).  The folder is written whole or not at
 * all: the files go to a temporary folder beside DIR, which is then
 * renamed to DIR.  DIR must not exist or be empty; with
 * force it may hold model files only (*.yaml, *.yml, *.sql, PULL_NOTES.md),
 * which are replaced.
 *
 * Ownership: a struct pull_result owns its notes (pull_result_release()).
 */
#ifndef MIGRATE_PULL_H
#define MIGRATE_PULL_H

#include <stddef.h>

#include <jansson.h>

#include "db.h"
#include "err.h"
#include "proto_status.h"
#include "schema.h"

#define PULL_NOTES_FILE	"PULL_NOTES.md"

struct pull_note {
	char	*kind;	/* "view", "serial column", ... */
	char	*name;	/* schema.object[.column] */
	char	*detail;	/* what was (not) written, why; or NULL */
};

struct pull_notes {
	struct pull_note *v;
	size_t		 n, cap;
};

struct pull_opts {
	char *const	*schemas;	/* NULL: every user schema */
	const char	*own_schema;	/* own tables: not pulled */
	const char	*own_tables[3];	/* NULL-terminated */
	int		 force;		/* replace DIR's models */
};

/* One model file: its name in the folder and its text. */
struct pull_file {
	char	*name;
	char	*text;
};

struct pull_files {
	struct pull_file *v;
	size_t		 n, cap;
};

struct pull_result {
	size_t		 tables;	/* table files */
	size_t		 enums;		/* enum types */
	struct pull_files files;	/* every file, PULL_NOTES.md last */
	struct pull_notes notes;
};

void	pull_result_init(struct pull_result *);
void	pull_result_release(struct pull_result *);

/* pull_read() + pull_write(), DIR checked first. */
int	pull_run(struct db *, const char *dir, const struct pull_opts *,
	    struct pull_result *, struct merr *);

/*
 * The files from the database, in memory (the daemon's half), checked to
 * load back as models.
 */
int	pull_read(struct db *, const struct pull_opts *,
	    struct pull_result *, struct merr *);
/*
 * The files into dir (migratectl's half, core/pull_dir.c): refused when
 * dir holds anything but (with force) model files; written into a new
 * folder beside it, then renamed into place.
 */
int	pull_write(const char *dir, const struct pull_files *, int force,
	    struct merr *);
int	pull_dir_check(const char *dir, int force, struct merr *);

/* Add a file; name and text become the list's.  0 or -1 (memory). */
int	pull_files_add(struct pull_files *, char *name, char *text);

/*
 * On the wire (core/pull_json.c): {"tables", "enums", "files": [{"name",
 * "text"}], "notes": [{"kind", "name", "detail"}]}, keys from
 * proto_pull_fields.  with_text 0 leaves the files' text out (what
 * `migratectl --json pull` prints).  from_json checks every file name
 * (no '/', no leading '.') before migratectl writes it.
 */
enum { PF_TABLES, PF_ENUMS, PF_FILES, PF_NOTES, PF_NFIELDS };
enum { PF_FILE_NAME, PF_FILE_TEXT, PF_FILE_NFIELDS };
enum { PF_NOTE_KIND, PF_NOTE_NAME, PF_NOTE_DETAIL, PF_NOTE_NFIELDS };
extern const struct proto_field proto_pull_fields[];
json_t	*pull_result_to_json(const struct pull_result *, int with_text);
int	 pull_result_from_json(json_t *, struct pull_result *,
	    struct merr *);

/* ---- the parts, for tests (no database needed) ---- */

/*
 * What pull_scan() found that the catalog reader does not model: one row
 * per fact.  kind is one of the PULL_F_* strings below or a kind of
 * object for a plain note; sch/table name the table (or the object),
 * what the column, index or constraint, detail more.
 */
struct pull_fact {
	char	*kind, *sch, *table, *what, *detail;
};

struct pull_facts {
	struct pull_fact *v;
	size_t		 n, cap;
};

/*
 * Facts that change what is written (the rest are notes as they are):
 *   collation: a column (what) whose collation (detail) is not
 *     pg_catalog's, so the models cannot create it;
 *   extension type: a column (what) or domain (table, what NULL) whose
 *     type is an extension's (detail: the extension);
 *   extension: one per extension, detail its rank in creation order;
 *   domain: a domain (table) that cannot be said, detail why;
 *   partitioned table, partition: the table (detail: how);
 *   uses: "default c", "index i" or "constraint k" in what, the object
 *     used (a function, a collation, ...) in detail.
 */
#define PULL_F_COLLATION	"column collation"
#define PULL_F_EXTTYPE		"extension type"
#define PULL_F_EXTENSION	"extension"
#define PULL_F_DOMAIN		"domain"
#define PULL_F_PARTITIONED	"partitioned table"
#define PULL_F_PARTITION	"partition"
#define PULL_F_USES		"uses"

int	pull_scan(struct db *, char *const *schemas, struct pull_facts *,
	    struct merr *);
void	pull_facts_release(struct pull_facts *);
int	pull_facts_add(struct pull_facts *, const char *kind,
	    const char *sch, const char *table, const char *what,
	    const char *detail);

int	pull_note_add(struct pull_notes *, const char *kind,
	    const char *name, const char *detail);

/*
 * Shape a catalog schema (in place) for writing: remove what the model
 * cannot say and note it, and put types and defaults in the spelling a
 * person writes.  s is the catalog's; facts from pull_scan().
 */
int	pull_prep(struct schema *s, const struct pull_facts *,
	    const struct pull_opts *, struct pull_notes *, struct merr *);

/*
 * One model file's text for table t of s (already prepared), for the
 * enum types, domains or sequences of schema sch, or for the extensions.
 * *out is malloc'd.
 */
int	pull_yaml_table(const struct schema *s, const struct sch_table *t,
	    char **out, struct merr *);
int	pull_yaml_enums(const struct schema *s, const char *sch, char **out,
	    struct merr *);
int	pull_yaml_domains(const struct schema *s, const char *sch,
	    char **out, struct merr *);
int	pull_yaml_sequences(const struct schema *s, const char *sch,
	    char **out, struct merr *);
int	pull_yaml_extensions(const struct schema *s, char **out,
	    struct merr *);

/*
 * The SQL objects (core/pull_sql.c): views, materialized views, functions,
 * procedures, triggers and policies, one statement text each, read per
 * schema with the search_path their file sets (path: "app, public", NULL
 * for public).  pull_sql_prune() drops (and notes) what cannot be
 * written: a trigger or policy of a table that is not, a disabled
 * trigger, a view reading or a function taking or returning the row of
 * a relation that is not written; migrated's own audit guard silently.  pull_sql_text() is the
 * file for schema sch's objects of the kinds given (table NULL) or for
 * table's triggers and policies; *out NULL when there are none.
 */
struct pull_sqlobj {
	char	 kind;		/* enum sch_obj_kind */
	char	 enabled;	/* trigger: tgenabled */
	char	*sch, *table, *name, *text, *path;
	char	*needs;		/* "r:sch.rel" lines: relations it needs */
};

struct pull_sqlobjs {
	struct pull_sqlobj *v;
	size_t		 n, cap;
};

int	pull_sql_read(struct db *, char *const *schemas,
	    struct pull_sqlobjs *, struct merr *);
int	pull_sql_prune(struct pull_sqlobjs *, const struct schema *,
	    const struct pull_opts *, struct pull_notes *, struct merr *);
int	pull_sql_text(const struct pull_sqlobjs *, const char *sch,
	    const char *table, const char *kinds, char **out, struct merr *);
void	pull_sqlobjs_release(struct pull_sqlobjs *);

/* The PULL_NOTES.md text for notes (malloc'd). */
int	pull_notes_text(const struct pull_notes *, char **out,
	    struct merr *);

#endif
