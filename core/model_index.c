/*
 * model_index.c - one entry of a model's 'indexes' (models/README.md):
 * keys as column names, expressions or mappings with their options,
 * INCLUDE columns, NULLS NOT DISTINCT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idxdef.h"
#include "model_int.h"

/* A bare lower-case identifier (a column name, not an expression)? */
static int
mload_is_name(const char *s)
{
	if (!(*s == '_' || (*s >= 'a' && *s <= 'z')))
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

enum { I_NAME, I_COLUMNS, I_UNIQUE, I_METHOD, I_WHERE };
static const char *const index_keys[] = { "name", "columns", "unique",
    "method", "where", NULL };

static int
index_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	static const char *const methods[] = { "btree", "gin", "gist", "brin",
	    "hash", "spgist", NULL };
	struct sch_index *x = ((void **)arg)[1];
	struct mload *m = ((void **)arg)[0];
	const char *field = ydoc_scalar(k), *s;

	switch (key) {
	case I_NAME:
		return mload_name(m, v, field, &x->name, e);
	case I_COLUMNS:
		return ydoc_strlist(y, v, field, &x->keys, e);
	case I_UNIQUE:
		return ydoc_bool(y, v, field, &x->unique, e);
	case I_METHOD:
		s = ydoc_scalar(v);
		for (int i = 0; s && methods[i]; i++)
			if (!strcmp(s, methods[i]))
				return (x->method = strdup(s)) ? 0 :
				    mload_nomem(e);
		return ydoc_error(y, v, field, e, "'method' must be one of "
		    "btree, gin, gist, brin, hash, spgist");
	case I_WHERE:
		return mload_expr(m, v, field, &x->where, e);
	}
	return -1;
}

/* Every key of index x is a column of the table or a valid expression. */
static int
mload_index_keys(struct mload *m, yaml_node_t *v, const struct sch_index *x,
    struct merr *e)
{
	for (size_t i = 0; x->keys[i]; i++) {
		struct merr pe;

		if (schema_find_column(m->t, x->keys[i]) != NULL)
			continue;
		merr_clear(&pe);
		if (mload_is_name(x->keys[i]))
			return ydoc_error(m->y, v, "columns", e, "index key "
			    "'%s': table '%s' has no column '%s'", x->keys[i],
			    m->t->name, x->keys[i]);
		if (schema_expr_check_memo(m->memo, x->keys[i], &pe) == -1)
			return ydoc_error(m->y, v, "columns", e, "index key "
			    "'%s': %s", x->keys[i], pe.msg);
	}
	return 0;
}

int
mload_index(struct mload *m, yaml_node_t *v, struct merr *e)
{
	struct sch_index *x;
	void *arg[2];
	char **names = NULL;
	int rc = 0;

	if ((x = schema_add_index(m->t, NULL)) == NULL)
		return mload_nomem(e);
	x->pos = mload_pos(m, v);
	arg[0] = m;
	arg[1] = x;
	if (v->type == YAML_MAPPING_NODE) {
		if (ydoc_mapping(m->y, v, "index", index_keys, index_pair, arg,
		    e) == -1)
			return -1;
	} else if (ydoc_strlist(m->y, v, "indexes", &x->keys, e) == -1)
		return -1;
	if (x->keys == NULL || x->keys[0] == NULL)
		return ydoc_error(m->y, v, "columns", e, "an index needs "
		    "'columns'");
	if (x->method == NULL && (x->method = strdup("btree")) == NULL)
		return mload_nomem(e);
	if (mload_index_keys(m, v, x, e) == -1)
		return -1;
	/* the default name: columns by name, expressions as "expr" */
	for (size_t i = 0; x->keys[i]; i++)
		rc |= schema_strv_push(&names, schema_find_column(m->t,
		    x->keys[i]) ? x->keys[i] : "expr");
	if (rc == 0 && x->name == NULL)
		x->name = schema_default_name(m->t->name, names, "idx");
	schema_strv_free(names);
	return (rc || x->name == NULL) ? mload_nomem(e) : 0;
}

