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

/* An index being read: where options need a method that orders. */
struct iload {
	struct mload	*m;
	struct sch_index *x;
	yaml_node_t	*ordered;	/* first key with 'order' or 'nulls' */
	yaml_node_t	*nnd;		/* 'nulls_not_distinct' */
	yaml_node_t	*inc;		/* 'include' */
	int		 any_opts;	/* a key has options */
};

/* One key written as a mapping. */
struct ikey {
	struct iload	*il;
	char		*col, *expr, *opclass, *coll;
	int		 desc;
	char		 nulls;
	yaml_node_t	*colnode, *ordnode;
};

enum { IK_COLUMN, IK_EXPR, IK_ORDER, IK_NULLS, IK_OPCLASS, IK_COLLATION };
static const char *const ikey_keys[] = { "column", "expression", "order",
    "nulls", "opclass", "collation", NULL };

/* An operator class: a name, maybe schema-qualified. */
static int
ikey_opclass(struct ydoc *y, yaml_node_t *v, const char *field, char **out,
    struct merr *e)
{
	const char *s = ydoc_scalar(v), *dot = s ? strchr(s, '.') : NULL;

	if (s == NULL || *s == '\0' || dot == s || (dot && (dot[1] == '\0' ||
	    strchr(dot + 1, '.') || (size_t)(dot - s) > SCH_NAME_MAX)) ||
	    strlen(dot ? dot + 1 : s) > SCH_NAME_MAX)
		return ydoc_error(y, v, field, e, "'%s' must be an operator "
		    "class name (schema.name or name, 1 to 63 bytes each)",
		    field);
	return (*out = strdup(s)) ? 0 : mload_nomem(e);
}

/* "asc"/"desc" or "first"/"last" into *out (0/1); else an error. */
static int
ikey_word(struct ydoc *y, yaml_node_t *v, const char *field,
    const char *a, const char *b, int *out, struct merr *e)
{
	const char *s = ydoc_scalar(v);

	if (s && (!strcmp(s, a) || !strcmp(s, b))) {
		*out = !strcmp(s, b);
		return 0;
	}
	return ydoc_error(y, v, field, e, "'%s' must be %s or %s", field, a,
	    b);
}

static int
ikey_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct ikey *ik = arg;
	const char *field = ydoc_scalar(k);
	int b;

	switch (key) {
	case IK_COLUMN:
		ik->colnode = v;
		return mload_name(ik->il->m, v, field, &ik->col, e);
	case IK_EXPR:
		return mload_expr(ik->il->m, v, field, &ik->expr, e);
	case IK_ORDER:
	case IK_NULLS:
		ik->ordnode = ik->ordnode ? ik->ordnode : k;
		if (key == IK_ORDER)
			return ikey_word(y, v, field, "asc", "desc", &ik->desc,
			    e);
		if (ikey_word(y, v, field, "first", "last", &b, e) == -1)
			return -1;
		ik->nulls = b ? 'l' : 'f';
		return 0;
	case IK_OPCLASS:
		return ikey_opclass(y, v, field, &ik->opclass, e);
	case IK_COLLATION:
		return mload_name(ik->il->m, v, field, &ik->coll, e);
	}
	return -1;
}

static void
ikey_release(struct ikey *ik)
{
	free(ik->col);
	free(ik->expr);
	free(ik->opclass);
	free(ik->coll);
}

/* A key's column or expression and its options onto the index. */
static int
ikey_push(struct iload *il, const char *key, const char *opts,
    struct merr *e)
{
	struct sch_index *x = il->x;

	if (schema_strv_push(&x->keys, key) == -1 ||
	    schema_strv_push(&x->opts, opts) == -1)
		return mload_nomem(e);
	il->any_opts |= *opts != '\0';
	return 0;
}

static int
index_key_map(struct iload *il, yaml_node_t *n, struct merr *e)
{
	struct ikey ik = { .il = il };
	struct mload *m = il->m;
	char *opts = NULL;
	int rc = -1;

	if (ydoc_mapping(m->y, n, "index key", ikey_keys, ikey_pair, &ik,
	    e) == -1)
		goto out;
	if (!ik.col == !ik.expr) {
		ydoc_error(m->y, n, "columns", e, "an index key needs %s",
		    ik.col ? "'column' or 'expression', not both" :
		    "'column' or 'expression'");
		goto out;
	}
	if (ik.col && schema_find_column(m->t, ik.col) == NULL) {
		ydoc_error(m->y, ik.colnode, "column", e, "index key: table "
		    "'%s' has no column '%s'", m->t->name, ik.col);
		goto out;
	}
	if (ik.ordnode && il->ordered == NULL)
		il->ordered = ik.ordnode;
	if ((opts = idxdef_format(ik.coll, ik.opclass, ik.desc,
	    ik.nulls)) == NULL) {
		mload_nomem(e);
		goto out;
	}
	rc = ikey_push(il, ik.col ? ik.col : ik.expr, opts, e);
out:
	free(opts);
	ikey_release(&ik);
	return rc;
}

/* 'columns': one key or a list; a key is a string or a mapping. */
static int
index_columns(struct iload *il, yaml_node_t *v, const char *field,
    struct merr *e)
{
	struct mload *m = il->m;
	yaml_node_item_t *it;
	yaml_node_t *n;

	if (v->type == YAML_SCALAR_NODE)
		return ikey_push(il, ydoc_scalar(v), "", e);
	if (v->type != YAML_SEQUENCE_NODE)
		return ydoc_error(m->y, v, field, e, "'%s' must be a list of "
		    "keys", field);
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++) {
		n = ydoc_node(m->y, *it);
		if (n->type == YAML_MAPPING_NODE ? index_key_map(il, n, e) :
		    n->type == YAML_SCALAR_NODE ? ikey_push(il,
		    ydoc_scalar(n), "", e) : ydoc_error(m->y, n, field, e,
		    "an index key must be a column name, an expression or "
		    "a mapping"))
			return -1;
	}
	return 0;
}

enum { I_NAME, I_COLUMNS, I_UNIQUE, I_METHOD, I_WHERE, I_INCLUDE, I_NND,
    I_STORAGE, I_COMMENT };
static const char *const index_keys[] = { "name", "columns", "unique",
    "method", "where", "include", "nulls_not_distinct", "storage",
    "comment", NULL };

static int
index_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	static const char *const methods[] = { "btree", "gin", "gist", "brin",
	    "hash", "spgist", NULL };
	struct iload *il = arg;
	struct sch_index *x = il->x;
	struct mload *m = il->m;
	const char *field = ydoc_scalar(k), *s;

	switch (key) {
	case I_NAME:
		return mload_name(m, v, field, &x->name, e);
	case I_COLUMNS:
		return index_columns(il, v, field, e);
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
	case I_INCLUDE:
		il->inc = v;
		return ydoc_strlist(y, v, field, &x->include, e);
	case I_NND:
		il->nnd = v;
		return ydoc_bool(y, v, field, &x->nulls_not_distinct, e);
	case I_STORAGE:
		return mload_storage(m, v, &x->storage, e);
	case I_COMMENT:
		return ydoc_string(y, v, field, &x->comment, e);
	}
	return -1;
}

/* What needs the whole entry: the method, unique, the table's columns. */
static int
index_check(struct iload *il, struct merr *e)
{
	struct sch_index *x = il->x;
	struct mload *m = il->m;

	if (il->ordered && strcmp(x->method, "btree"))
		return ydoc_error(m->y, il->ordered, ydoc_scalar(il->ordered),
		    e, "'order' and 'nulls' need method btree (this index "
		    "uses %s)", x->method);
	if (x->nulls_not_distinct && !x->unique)
		return ydoc_error(m->y, il->nnd, "nulls_not_distinct", e,
		    "'nulls_not_distinct' needs 'unique: true'");
	for (size_t i = 0; x->include && x->include[i]; i++)
		if (schema_find_column(m->t, x->include[i]) == NULL)
			return ydoc_error(m->y, il->inc, "include", e,
			    "'include': table '%s' has no column '%s'",
			    m->t->name, x->include[i]);
	if (!il->any_opts) {
		schema_strv_free(x->opts);
		x->opts = NULL;
	}
	return 0;
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
	struct iload il = { .m = m };
	struct sch_index *x;
	char **names = NULL;
	int rc = 0;

	if ((x = il.x = schema_add_index(m->t, NULL)) == NULL)
		return mload_nomem(e);
	x->pos = mload_pos(m, v);
	if (v->type == YAML_MAPPING_NODE) {
		if (ydoc_mapping(m->y, v, "index", index_keys, index_pair, &il,
		    e) == -1)
			return -1;
	} else if (index_columns(&il, v, "indexes", e) == -1)
		return -1;
	if (x->keys == NULL || x->keys[0] == NULL)
		return ydoc_error(m->y, v, "columns", e, "an index needs "
		    "'columns'");
	if (x->method == NULL && (x->method = strdup("btree")) == NULL)
		return mload_nomem(e);
	if (mload_index_keys(m, v, x, e) == -1 || index_check(&il, e) == -1)
		return -1;
	/* the default name: columns by name, expressions as "expr", then
	   the INCLUDE columns (as PostgreSQL names it) */
	for (size_t i = 0; x->keys[i]; i++)
		rc |= schema_strv_push(&names, schema_find_column(m->t,
		    x->keys[i]) ? x->keys[i] : "expr");
	for (size_t i = 0; x->include && x->include[i]; i++)
		rc |= schema_strv_push(&names, x->include[i]);
	if (rc == 0 && x->name == NULL)
		x->name = schema_default_name(m->t->name, names, "idx");
	schema_strv_free(names);
	return (rc || x->name == NULL) ? mload_nomem(e) : 0;
}
