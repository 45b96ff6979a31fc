/*
 * model.h - the YAML models folder -> the desired schema.
 *
 * Every *.yaml / *.yml file in the folder (sorted by name) describes one
 * table and/or enum types; the format is documented in models/README.md.
 * Errors (MERR_INPUT) carry file, line, column and the key: unknown keys,
 * unknown types, a foreign key to a table no model defines, duplicate
 * names, an expression libpg_query cannot parse.  On error nothing is
 * returned.
 */
#ifndef MIGRATE_MODEL_H
#define MIGRATE_MODEL_H

#include "err.h"
#include "schema.h"

/* Load a folder; *out is the caller's (schema_free()). */
int	model_load_dir(const char *dir, struct schema **out, struct merr *);

/*
 * The same for files given as text (a pull's, checked before anything is
 * written: core/pull.c): name is the file's name in the folder (its kind,
 * and errors' file), text its whole content (a NUL ends it; neither is
 * kept after the call); they load in the order of their names, and the
 * names that are no model file are left out, as in a folder.  *out is
 * the caller's (schema_free()).
 */
struct model_text {
	const char	*name;
	const char	*text;
};
int	model_load_texts(const struct model_text *, size_t n,
	    struct schema **out, struct merr *);

/*
 * 1 when dir can be read and holds no model file (nothing for
 * model_load_dir() to load), else 0 (model_load_dir() says why not).
 */
int	model_dir_empty(const char *dir);

/*
 * Load one document given as text (tests, golden files); name is used
 * in errors.  The schema is validated as a whole (references resolved).
 */
int	model_load_string(const char *name, const char *text,
	    struct schema **out, struct merr *);

/*
 * The whole-model checks (core/model_check.c), run by both loaders once
 * every file is in: resolves types and references in place.
 */
int	model_resolve(struct schema *, struct merr *);

#endif
