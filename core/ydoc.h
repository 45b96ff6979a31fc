/*
 * ydoc.h - a loaded YAML document with positions, for config and models.
 *
 * Wraps libyaml's document API: ydoc_load() parses a whole file, and the
 * accessors return nodes whose marks give 1-based line and column for
 * error messages.  Nodes belong to the document; ydoc_release() frees all.
 */
#ifndef MIGRATE_YDOC_H
#define MIGRATE_YDOC_H

#include <yaml.h>

#include <stdio.h>

#include "err.h"

struct ydoc {
	yaml_document_t	doc;
	char		path[256];
	int		loaded;
};

/* Parse path; an empty file gives a NULL root. */
int	ydoc_load(struct ydoc *, const char *path, struct merr *);
/* Parse what f reads (not closed here); path names it in errors. */
int	ydoc_load_fp(struct ydoc *, const char *path, FILE *f, struct merr *);
/*
 * path opened to read, or NULL with e set, refusing what is not a regular
 * file: for the files a folder holds (models), where a FIFO would hold
 * the start until something writes to it.  ydoc_load() reads anything
 * (migrated -c <(...)).
 */
FILE	*ydoc_fopen(const char *path, struct merr *);
/* Parse a string (tests, inline documents); name is used in errors. */
int	ydoc_load_string(struct ydoc *, const char *name, const char *text,
	    size_t len, struct merr *);
void	ydoc_release(struct ydoc *);

yaml_node_t	*ydoc_root(struct ydoc *);
yaml_node_t	*ydoc_node(struct ydoc *, yaml_node_item_t);
int		 ydoc_line(const yaml_node_t *);
int		 ydoc_col(const yaml_node_t *);

/* Scalar text or NULL when the node is not a scalar. */
const char	*ydoc_scalar(const yaml_node_t *);

/* Error at node: fills file, line, column and field. */
int	ydoc_error(struct ydoc *, const yaml_node_t *, const char *field,
	    struct merr *, const char *, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * Typed scalar readers; each sets a positioned error naming field when the
 * node has the wrong shape.
 */
int	ydoc_string(struct ydoc *, yaml_node_t *, const char *field,
	    char **out, struct merr *);	/* *out: caller frees */
int	ydoc_bool(struct ydoc *, yaml_node_t *, const char *field, int *out,
	    struct merr *);
int	ydoc_long(struct ydoc *, yaml_node_t *, const char *field, long min,
	    long max, long *out, struct merr *);
/* "250ms", "2s", "5m", "1h", or a bare number of milliseconds. */
int	ydoc_duration_ms(struct ydoc *, yaml_node_t *, const char *field,
	    long *out, struct merr *);
/* A sequence of scalars (or one scalar) into a NULL-terminated array. */
int	ydoc_strlist(struct ydoc *, yaml_node_t *, const char *field,
	    char ***out, struct merr *);
void	ydoc_strlist_free(char **);

/*
 * Walk a mapping: for each pair, look the key up in keys[] (NULL-terminated)
 * and call fn with its index; an unknown key is an error that lists the
 * known ones.  Duplicate keys are errors too.  With keys NULL any key is
 * accepted (user-chosen names, e.g. column names) and fn gets key -1.
 */
typedef int (*ydoc_pair_fn)(struct ydoc *, int key, yaml_node_t *keynode,
	    yaml_node_t *value, void *arg, struct merr *);
int	ydoc_mapping(struct ydoc *, yaml_node_t *, const char *what,
	    const char *const keys[], ydoc_pair_fn, void *arg, struct merr *);

#endif
