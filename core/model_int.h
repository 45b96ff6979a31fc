/*
 * model_int.h - shared by the model loader's files (model.c,
 * model_index.c, model_objects.c, model_check.c); not for other modules.  Strings the helpers return are
 * malloc'd and the caller's; errors go into the merr with the node's
 * file:line:col and the field.
 */
#ifndef MIGRATE_MODEL_INT_H
#define MIGRATE_MODEL_INT_H

#include "model.h"
#include "ydoc.h"

/* Loader state for one file. */
struct mload {
	struct schema	*s;
	struct ydoc	*y;
	const char	*file;		/* owned by s->files */
	struct sch_table *t;
	struct sch_column *c;
	yaml_node_t	*nodes[16];	/* top-level values by key index */
	int		 autocheck;
	const char	*schema;	/* the file's 'schema' (default public) */
	struct sch_memo	*memo;		/* expressions already checked */
};

int		 mload_nomem(struct merr *);
struct sch_pos	 mload_pos(struct mload *, const yaml_node_t *);
/* A name of 1 to 63 bytes. */
int		 mload_name(struct mload *, yaml_node_t *, const char *field,
		    char **out, struct merr *);
/* An expression libpg_query parses. */
int		 mload_expr(struct mload *, yaml_node_t *, const char *field,
		    char **out, struct merr *);

/* 'storage': a mapping of storage parameters -> "name=value"s */
int		 mload_storage(struct mload *, yaml_node_t *, char ***out,
		    struct merr *);

/* "a.b" -> schema a, name b; "b" -> dflt, b (malloc'd); -1: no memory */
int		 mload_qualname(const char *q, const char *dflt, char **sch,
		    char **name);

/* model_objects.c: the top-level 'extensions', 'sequences', 'domains' */
int		 mload_extensions(struct mload *, yaml_node_t *, struct merr *);
int		 mload_sequences(struct mload *, yaml_node_t *, struct merr *);
/* A serial column's `sequence:` mapping (v) into m->c->seq: only what it
   says (said); model_resolve() fills in the rest for the column's type. */
int		 mload_column_sequence(struct mload *, yaml_node_t *,
		    struct merr *);
/* PostgreSQL's defaults for what q does not say (q->said, q->type); NULL,
   or the key whose value is out of range ("min", "start"), which
   mload_seq_error() words into buf. */
const char	*mload_seq_fill(struct sch_sequence *);
int		 mload_seq_error(struct sch_sequence *, const char *bad,
		    char *buf, size_t n);
int		 mload_domains(struct mload *, yaml_node_t *, struct merr *);

/* model_sql.c: the statements of one SQL file (text) into s */
int		 mload_sql(struct schema *, const char *file, const char *text,
		    struct merr *);

/* model_index.c: one entry of 'indexes' into a new index of m->t. */
int		 mload_index(struct mload *, yaml_node_t *, struct merr *);

#endif
