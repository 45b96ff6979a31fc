/* model.c - YAML model files -> the desired schema (format: models/README.md). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"
#include "relopts.h"

enum { K_SCHEMA, K_TABLE, K_COMMENT, K_UNLOGGED, K_STORAGE, K_COLUMNS, K_PK, K_UNIQUE, K_FKS,
    K_CHECKS, K_INDEXES, K_RLS, K_ENUMS, K_EXTENSIONS, K_SEQUENCES,
    K_DOMAINS };
static const char *const top_keys[] = { "schema", "table", "comment",
    "unlogged", "storage", "columns", "primary_key", "unique", "foreign_keys", "checks", "indexes",
    "row_level_security", "enums", "extensions", "sequences", "domains",
    NULL };

int
mload_nomem(struct merr *e)
{
	return merr_set(e, MERR_NOMEM, "out of memory");
}

struct sch_pos
mload_pos(struct mload *m, const yaml_node_t *n)
{
	struct sch_pos p = { m->file, ydoc_line(n), ydoc_col(n) };

	return p;
}

int
mload_qualname(const char *q, const char *dflt, char **sch, char **name)
{
	const char *dot = strchr(q, '.');

	if (dot) {
		*sch = strndup(q, (size_t)(dot - q));
		*name = strdup(dot + 1);
	} else {
		*sch = strdup(dflt);
		*name = strdup(q);
	}
	return (*sch && *name) ? 0 : -1;
}

static int
storage_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	char ***out = arg, *kv;
	const char *name = ydoc_scalar(k), *val = ydoc_scalar(v);
	int rc;

	(void)key;
	if (!relopts_name_ok(name))
		return ydoc_error(y, k, "storage", e, "storage parameter '%s': "
		    "a name of lower-case letters, digits and '_' "
		    "(fillfactor, autovacuum_enabled, ...)", name);
	if (val == NULL || *val == '\0' || strpbrk(val, "\n'\\"))
		return ydoc_error(y, v, name, e, "storage parameter '%s' "
		    "needs a value (a number, a word: 70, off)", name);
	if (relopts_get(*out, name))
		return ydoc_error(y, k, name, e, "storage parameter '%s' is "
		    "given twice", name);
	if (asprintf(&kv, "%s=%s", name, val) == -1)
		return mload_nomem(e);
	rc = schema_strv_push(out, kv);
	free(kv);
	return rc == -1 ? mload_nomem(e) : 0;
}

int
mload_storage(struct mload *m, yaml_node_t *v, char ***out, struct merr *e)
{
	return ydoc_mapping(m->y, v, "storage", NULL, storage_pair, out, e);
}

int
mload_name(struct mload *m, yaml_node_t *n, const char *field, char **out,
    struct merr *e)
{
	if (ydoc_string(m->y, n, field, out, e) == -1)
		return -1;
	if (**out == '\0' || strlen(*out) > SCH_NAME_MAX) {
		free(*out);
		*out = NULL;
		return ydoc_error(m->y, n, field, e,
		    "'%s' must be a name of 1 to 63 bytes", field);
	}
	return 0;
}

int
mload_expr(struct mload *m, yaml_node_t *n, const char *field, char **out,
    struct merr *e)
{
	struct merr pe;

	if (ydoc_string(m->y, n, field, out, e) == -1)
		return -1;
	merr_clear(&pe);
	if (schema_expr_check_memo(m->memo, *out, &pe) == -1) {
		free(*out);
		*out = NULL;
		return ydoc_error(m->y, n, field, e, "'%s': %s", field,
		    pe.msg);
	}
	return 0;
}

static int
mload_action(struct mload *m, yaml_node_t *n, const char *field, char *out,
    struct merr *e)
{
	static const char *const names[] = { "no action", "restrict",
	    "cascade", "set null", "set default", NULL };
	static const char letters[] = "arcnd";
	const char *s = ydoc_scalar(n);

	for (int i = 0; s && names[i]; i++)
		if (!strcasecmp(s, names[i])) {
			*out = letters[i];
			return 0;
		}
	return ydoc_error(m->y, n, field, e, "'%s' must be one of no action, "
	    "restrict, cascade, set null, set default", field);
}

/* ---- foreign keys ---- */

enum { F_NAME, F_COLUMNS, F_REFS, F_REFCOLS, F_COLUMN, F_TABLE, F_ONDEL,
    F_ONUPD, F_DEFERRABLE, F_DEFERRED, F_MATCH };
static const char *const fk_keys[] = { "name", "columns", "references",
    "ref_columns", "column", "table", "on_delete", "on_update",
    "deferrable", "initially_deferred", "match", NULL };

/* deferrable, initially_deferred (unique and foreign keys). */
static int
key_timing(struct mload *m, yaml_node_t *v, const char *field, int deferred,
    struct sch_constraint *c, struct merr *e)
{
	return ydoc_bool(m->y, v, field, deferred ? &c->deferred :
	    &c->deferrable, e);
}

/* After the mapping: INITIALLY DEFERRED is said with DEFERRABLE. */
static int
key_timing_check(struct mload *m, yaml_node_t *v,
    const struct sch_constraint *c, struct merr *e)
{
	if (c->deferred && !c->deferrable)
		return ydoc_error(m->y, v, "initially_deferred", e,
		    "'initially_deferred: true' needs 'deferrable: true'");
	return 0;
}

static int
fk_match(struct mload *m, yaml_node_t *v, const char *field,
    struct sch_constraint *c, struct merr *e)
{
	const char *s = ydoc_scalar(v);

	if (s && (!strcmp(s, "simple") || !strcmp(s, "full"))) {
		c->match = s[0] == 'f' ? 'f' : 0;
		return 0;
	}
	return ydoc_error(m->y, v, field, e, "'%s' must be simple or full",
	    field);
}

static int
fk_ref(struct mload *m, struct sch_constraint *c, yaml_node_t *v,
    const char *field, struct merr *e)
{
	char *q;
	int rc;

	if (ydoc_string(m->y, v, field, &q, e) == -1)
		return -1;
	free(c->ref_schema);
	free(c->ref_table);
	rc = mload_qualname(q, m->t->schema, &c->ref_schema, &c->ref_table);
	free(q);
	c->pos = mload_pos(m, v);
	return rc == -1 ? mload_nomem(e) : 0;
}

static int
fk_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v, void *arg,
    struct merr *e)
{
	struct mload *m = ((void **)arg)[0];
	struct sch_constraint *c = ((void **)arg)[1];
	const char *field = ydoc_scalar(k);

	(void)y;
	switch (key) {
	case F_NAME:
		free(c->name);
		return mload_name(m, v, field, &c->name, e);
	case F_COLUMNS:
		if (m->c)
			break;
		return ydoc_strlist(m->y, v, field, &c->cols, e);
	case F_REFS:
	case F_TABLE:
		return fk_ref(m, c, v, field, e);
	case F_REFCOLS:
	case F_COLUMN:
		schema_strv_free(c->ref_cols);
		c->ref_cols = NULL;
		return ydoc_strlist(m->y, v, field, &c->ref_cols, e);
	case F_ONDEL:
		return mload_action(m, v, field, &c->on_delete, e);
	case F_ONUPD:
		return mload_action(m, v, field, &c->on_update, e);
	case F_DEFERRABLE:
	case F_DEFERRED:
		return key_timing(m, v, field, key == F_DEFERRED, c, e);
	case F_MATCH:
		return fk_match(m, v, field, c, e);
	}
	return ydoc_error(m->y, k, field, e, "unknown key '%s' in %s", field,
	    m->c ? "column references" : "foreign key");
}

/* A foreign key: table level (m->c NULL) or a column's "references". */
static int
mload_fk(struct mload *m, yaml_node_t *v, struct merr *e)
{
	struct sch_constraint *c;
	void *arg[2];

	if ((c = schema_add_constraint(m->t, SCH_FK, NULL)) == NULL)
		return mload_nomem(e);
	c->pos = mload_pos(m, v);
	if (m->c && schema_strv_push(&c->cols, m->c->name) == -1)
		return mload_nomem(e);
	if (m->c && v->type == YAML_SCALAR_NODE)
		return fk_ref(m, c, v, "references", e);
	arg[0] = m;
	arg[1] = c;
	if (ydoc_mapping(m->y, v, m->c ? "references" : "foreign key",
	    fk_keys, fk_pair, arg, e) == -1)
		return -1;
	if (c->ref_table == NULL || c->cols == NULL)
		return ydoc_error(m->y, v, "references", e, "a foreign key "
		    "needs %s", c->cols ? "'references'" : "'columns'");
	if (key_timing_check(m, v, c, e) == -1)
		return -1;
	c->pos = mload_pos(m, v);
	return 0;
}

/* ---- columns ---- */

enum { C_TYPE, C_NOTNULL, C_PK, C_UNIQUE, C_DEFAULT, C_COMMENT, C_REFS,
    C_CHECK, C_WAS, C_IDENTITY, C_GENERATED, C_COLLATION, C_SEQUENCE };
static const char *const col_keys[] = { "type", "not_null", "primary_key",
    "unique", "default", "comment", "references", "check", "was",
    "identity", "generated", "collation", "sequence", NULL };

/* identity: always | by_default (model_resolve() makes it NOT NULL). */
static int
col_identity(struct mload *m, yaml_node_t *v, const char *field,
    struct merr *e)
{
	const char *s = ydoc_scalar(v);

	if (s && !strcmp(s, "always"))
		m->c->identity = 'a';
	else if (s && !strcmp(s, "by_default"))
		m->c->identity = 'd';
	else
		return ydoc_error(m->y, v, field, e, "'%s' must be always or "
		    "by_default", field);
	return 0;
}

static int
col_flag_constraint(struct mload *m, enum sch_con_kind kind,
    struct merr *e)
{
	struct sch_constraint *c;
	char *cols[2] = { m->c->name, NULL };

	if (kind == SCH_PK && (c = schema_find_pk(m->t)) != NULL)
		return schema_strv_push(&c->cols, m->c->name) ? mload_nomem(e)
		    : 0;
	if ((c = schema_add_constraint(m->t, kind, NULL)) == NULL ||
	    (c->name = schema_default_name(m->t->name, kind == SCH_PK ?
	    NULL : cols, kind == SCH_PK ? "pkey" : "key")) == NULL ||
	    schema_strv_push(&c->cols, m->c->name) == -1)
		return mload_nomem(e);
	c->pos = m->c->pos;
	return 0;
}

static int
col_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct mload *m = arg;
	struct sch_column *c = m->c;
	struct sch_constraint *ck;
	const char *field = ydoc_scalar(k);
	char *cols[2] = { c->name, NULL };
	int b;

	switch (key) {
	case C_TYPE:
		c->pos = mload_pos(m, v);
		return ydoc_string(y, v, field, &c->type, e);
	case C_NOTNULL:
		return ydoc_bool(y, v, field, &c->notnull, e);
	case C_PK:
	case C_UNIQUE:
		if (ydoc_bool(y, v, field, &b, e) == -1)
			return -1;
		if (b && key == C_PK)
			c->notnull = 1;
		return b ? col_flag_constraint(m, key == C_PK ? SCH_PK :
		    SCH_UNIQUE, e) : 0;
	case C_DEFAULT:
		return mload_expr(m, v, field, &c->def, e);
	case C_COMMENT:
		return ydoc_string(y, v, field, &c->comment, e);
	case C_REFS:
		return mload_fk(m, v, e);
	case C_CHECK:
		if ((ck = schema_add_constraint(m->t, SCH_CHECK, NULL)) == NULL
		    || (ck->name = schema_default_name(m->t->name, cols,
		    "check")) == NULL)
			return mload_nomem(e);
		ck->pos = mload_pos(m, v);
		return mload_expr(m, v, field, &ck->expr, e);
	case C_WAS:
		return mload_name(m, v, field, &c->was, e);
	case C_IDENTITY:
		return col_identity(m, v, field, e);
	case C_GENERATED:
		return mload_expr(m, v, field, &c->generated, e);
	case C_COLLATION:
		return mload_name(m, v, field, &c->collation, e);
	case C_SEQUENCE:
		return mload_column_sequence(m, v, e);
	}
	return -1;
}

static int
columns_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct mload *m = arg;
	const char *name = ydoc_scalar(k);

	(void)key;
	if (strlen(name) > SCH_NAME_MAX || *name == '\0')
		return ydoc_error(y, k, name, e, "column name '%s' must be 1 "
		    "to 63 bytes", name);
	if ((m->c = schema_add_column(m->t, name)) == NULL)
		return mload_nomem(e);
	m->c->pos = mload_pos(m, k);
	if (v->type == YAML_SCALAR_NODE) {
		m->c->pos = mload_pos(m, v);
		m->c = NULL;
		return ydoc_string(y, v, name, &m->t->cols[m->t->ncols -
		    1].type, e);
	}
	if (ydoc_mapping(y, v, "column", col_keys, col_pair, m, e) == -1)
		return -1;
	if (m->c->type == NULL)
		return ydoc_error(y, k, name, e, "column '%s' has no 'type'",
		    name);
	m->c = NULL;
	return 0;
}

/* Any key: the generic walker resolves the index later. */
static int
any_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	(void)y; (void)k; (void)e;
	((yaml_node_t **)arg)[key] = v;
	return 0;
}

/* ---- table-level constraints and indexes ---- */

enum { U_NAME, U_COLUMNS, U_DEFERRABLE, U_DEFERRED, U_INCLUDE, U_NND };
static const char *const uniq_keys[] = { "name", "columns", "deferrable",
    "initially_deferred", "include", "nulls_not_distinct", NULL };

/* INCLUDE columns of a unique key: columns of the table. */
static int
uniq_include(struct mload *m, yaml_node_t *v, struct sch_constraint *c,
    struct merr *e)
{
	if (ydoc_strlist(m->y, v, "include", &c->include, e) == -1)
		return -1;
	for (size_t i = 0; c->include[i]; i++)
		if (schema_find_column(m->t, c->include[i]) == NULL)
			return ydoc_error(m->y, v, "include", e, "'include': "
			    "table '%s' has no column '%s'", m->t->name,
			    c->include[i]);
	return 0;
}

static int
uniq_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct sch_constraint *c = ((void **)arg)[1];
	struct mload *m = ((void **)arg)[0];

	if (key == U_NAME)
		return mload_name(m, v, ydoc_scalar(k), &c->name, e);
	if (key == U_DEFERRABLE || key == U_DEFERRED)
		return key_timing(m, v, ydoc_scalar(k), key == U_DEFERRED, c,
		    e);
	if (key == U_INCLUDE)
		return uniq_include(m, v, c, e);
	if (key == U_NND)
		return ydoc_bool(y, v, ydoc_scalar(k), &c->nulls_not_distinct,
		    e);
	return ydoc_strlist(m->y, v, "columns", &c->cols, e);
}

/* PostgreSQL's default name counts the INCLUDE columns too. */
static int
uniq_default_name(struct mload *m, struct sch_constraint *c, struct merr *e)
{
	char **all;
	int rc = 0;

	if (c->name)
		return 0;
	if ((all = schema_strv_dup(c->cols)) == NULL)
		return mload_nomem(e);
	for (size_t i = 0; rc == 0 && c->include && c->include[i]; i++)
		rc = schema_strv_push(&all, c->include[i]);
	if (rc == 0)
		c->name = schema_default_name(m->t->name, all, "key");
	schema_strv_free(all);
	return c->name ? 0 : mload_nomem(e);
}

static int
mload_unique(struct mload *m, yaml_node_t *v, struct merr *e)
{
	struct sch_constraint *c;
	void *arg[2];

	if ((c = schema_add_constraint(m->t, SCH_UNIQUE, NULL)) == NULL)
		return mload_nomem(e);
	c->pos = mload_pos(m, v);
	arg[0] = m;
	arg[1] = c;
	if (v->type == YAML_MAPPING_NODE) {
		if (ydoc_mapping(m->y, v, "unique", uniq_keys, uniq_pair, arg,
		    e) == -1 || key_timing_check(m, v, c, e) == -1)
			return -1;
	} else if (ydoc_strlist(m->y, v, "unique", &c->cols, e) == -1)
		return -1;
	if (c->cols == NULL)
		return ydoc_error(m->y, v, "unique", e, "a unique constraint "
		    "needs 'columns'");
	return uniq_default_name(m, c, e);
}

/* primary_key: [cols] or { name, columns, include, deferrable, ... } */
static const char *const pk_keys[] = { "name", "columns", "deferrable",
    "initially_deferred", "include", NULL };

static int
mload_pk(struct mload *m, yaml_node_t *v, struct merr *e)
{
	struct sch_constraint *c;
	void *arg[2];

	if (schema_find_pk(m->t))
		return ydoc_error(m->y, v, "primary_key", e, "table '%s' has "
		    "a primary key on a column already", m->t->name);
	if ((c = schema_add_constraint(m->t, SCH_PK, NULL)) == NULL)
		return mload_nomem(e);
	c->pos = mload_pos(m, v);
	arg[0] = m;
	arg[1] = c;
	if (v->type == YAML_MAPPING_NODE) {
		if (ydoc_mapping(m->y, v, "primary_key", pk_keys, uniq_pair,
		    arg, e) == -1 || key_timing_check(m, v, c, e) == -1)
			return -1;
		if (c->cols == NULL)
			return ydoc_error(m->y, v, "primary_key", e, "a primary "
			    "key needs 'columns'");
	} else if (ydoc_strlist(m->y, v, "primary_key", &c->cols, e) == -1)
		return -1;
	if (c->name == NULL && (c->name = schema_default_name(m->t->name,
	    NULL, "pkey")) == NULL)
		return mload_nomem(e);
	return 0;
}

enum { CK_NAME, CK_EXPR };
static const char *const check_keys[] = { "name", "expr", NULL };

static int
check_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct sch_constraint *c = ((void **)arg)[1];
	struct mload *m = ((void **)arg)[0];

	(void)y;
	if (key == CK_NAME)
		return mload_name(m, v, ydoc_scalar(k), &c->name, e);
	return mload_expr(m, v, "expr", &c->expr, e);
}

static int
mload_check(struct mload *m, yaml_node_t *v, struct merr *e)
{
	struct sch_constraint *c;
	void *arg[2];
	char sfx[16];

	if ((c = schema_add_constraint(m->t, SCH_CHECK, NULL)) == NULL)
		return mload_nomem(e);
	c->pos = mload_pos(m, v);
	arg[0] = m;
	arg[1] = c;
	if (v->type == YAML_MAPPING_NODE) {
		if (ydoc_mapping(m->y, v, "check", check_keys, check_pair, arg,
		    e) == -1)
			return -1;
	} else if (mload_expr(m, v, "checks", &c->expr, e) == -1)
		return -1;
	if (c->expr == NULL)
		return ydoc_error(m->y, v, "checks", e, "a check needs 'expr'");
	snprintf(sfx, sizeof(sfx), m->autocheck ? "check%d" : "check",
	    m->autocheck);
	if (c->name == NULL && (m->autocheck++, (c->name =
	    schema_default_name(m->t->name, NULL, sfx)) == NULL))
		return mload_nomem(e);
	return 0;
}

/* Run fn on each item of a sequence node. */
static int
mload_each(struct mload *m, yaml_node_t *v, const char *field,
    int (*fn)(struct mload *, yaml_node_t *, struct merr *), struct merr *e)
{
	yaml_node_item_t *it;

	if (v->type != YAML_SEQUENCE_NODE)
		return ydoc_error(m->y, v, field, e, "'%s' must be a list",
		    field);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	    it++)
		if (fn(m, ydoc_node(m->y, *it), e) == -1)
			return -1;
	return 0;
}

/* ---- enums ---- */

static int
enums_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct mload *m = arg;
	struct sch_enum *en;
	char *sch, *name;
	int rc = 0;

	(void)key;
	if (mload_qualname(ydoc_scalar(k), m->schema, &sch, &name) == -1)
		return mload_nomem(e);
	if (schema_find_enum(m->s, sch, name)) {
		rc = ydoc_error(y, k, ydoc_scalar(k), e, "duplicate enum "
		    "type '%s.%s'", sch, name);
	} else if ((en = schema_add_enum(m->s, sch, name)) == NULL ||
	    schema_add_schema(m->s, sch) == -1)
		rc = mload_nomem(e);
	else {
		schema_strv_free(en->labels);
		en->labels = NULL;
		en->pos = mload_pos(m, k);
		rc = ydoc_strlist(y, v, ydoc_scalar(k), &en->labels, e);
		for (size_t i = 0; rc == 0 && en->labels[i]; i++)
			for (size_t j = 0; j < i; j++)
				if (!strcmp(en->labels[i], en->labels[j]))
					rc = ydoc_error(y, v, ydoc_scalar(k),
					    e, "duplicate enum value '%s'",
					    en->labels[i]);
	}
	free(sch);
	free(name);
	return rc;
}

/* row_level_security: true, false or forced */
static int
mload_rls(struct mload *m, yaml_node_t *v, struct merr *e)
{
	const char *s = ydoc_scalar(v);

	if (s && !strcmp(s, "forced")) {
		m->t->rls = 2;
		return 0;
	}
	if (ydoc_bool(m->y, v, "row_level_security", &m->t->rls, e) == -1)
		return ydoc_error(m->y, v, "row_level_security", e, "'row_level_"
		    "security' must be true, false or forced");
	return 0;
}

/* ---- one file ---- */

static int
mload_table(struct mload *m, const char *dflt_schema, struct merr *e)
{
	yaml_node_t **n = m->nodes;
	char *q = NULL, *sch = NULL, *name = NULL;
	int rc = -1;

	if (ydoc_string(m->y, n[K_TABLE], "table", &q, e) == -1)
		return -1;
	if (mload_qualname(q, dflt_schema, &sch, &name) == -1) {
		mload_nomem(e);
		goto out;
	}
	if (schema_find_table(m->s, sch, name)) {
		ydoc_error(m->y, n[K_TABLE], "table", e, "duplicate table "
		    "'%s.%s'", sch, name);
		goto out;
	}
	if ((m->t = schema_add_table(m->s, sch, name)) == NULL ||
	    schema_add_schema(m->s, sch) == -1) {
		mload_nomem(e);
		goto out;
	}
	m->t->pos = mload_pos(m, n[K_TABLE]);
	rc = 0;
out:
	free(q);
	free(sch);
	free(name);
	return rc;
}

static int mload_doc_body(struct mload *, yaml_node_t *, struct merr *);

static int
mload_doc(struct mload *m, yaml_node_t *root, struct merr *e)
{
	yaml_node_t **n = m->nodes;
	char *sch = NULL;
	int rc;

	if (ydoc_mapping(m->y, root, "model", top_keys, any_pair, n, e) == -1)
		return -1;
	if (n[K_SCHEMA] && mload_name(m, n[K_SCHEMA], "schema", &sch, e) == -1)
		return -1;
	m->schema = sch ? sch : "public";
	rc = n[K_TABLE] ? mload_table(m, m->schema, e) : 0;
	if (rc == 0)
		rc = mload_doc_body(m, root, e);
	free(sch);
	return rc;
}

static int
mload_doc_body(struct mload *m, yaml_node_t *root, struct merr *e)
{
	yaml_node_t **n = m->nodes;

	if (!n[K_TABLE] && !n[K_ENUMS] && !n[K_EXTENSIONS] &&
	    !n[K_SEQUENCES] && !n[K_DOMAINS])
		return ydoc_error(m->y, root, "table", e, "a model needs "
		    "'table' (or only 'enums', 'extensions', 'sequences', "
		    "'domains')");
	for (int k = K_COMMENT; k <= K_INDEXES; k++)
		if (n[k] && !m->t)
			return ydoc_error(m->y, n[k], top_keys[k], e, "'%s' "
			    "needs a 'table'", top_keys[k]);
	if ((n[K_ENUMS] && ydoc_mapping(m->y, n[K_ENUMS], "enums",
	    NULL, enums_pair, m, e) == -1) ||
	    (n[K_EXTENSIONS] && mload_extensions(m, n[K_EXTENSIONS], e) == -1) ||
	    (n[K_SEQUENCES] && mload_sequences(m, n[K_SEQUENCES], e) == -1) ||
	    (n[K_DOMAINS] && mload_domains(m, n[K_DOMAINS], e) == -1))
		return -1;
	if (!m->t)
		return 0;
	if (!n[K_COLUMNS])
		return ydoc_error(m->y, root, "columns", e, "table '%s' has no "
		    "'columns'", m->t->name);
	if ((n[K_COMMENT] && ydoc_string(m->y, n[K_COMMENT], "comment",
	    &m->t->comment, e) == -1) ||
	    (n[K_UNLOGGED] && ydoc_bool(m->y, n[K_UNLOGGED], "unlogged",
	    &m->t->unlogged, e) == -1) ||
	    (n[K_STORAGE] && mload_storage(m, n[K_STORAGE], &m->t->storage,
	    e) == -1) ||
	    ydoc_mapping(m->y, n[K_COLUMNS], "columns", NULL, columns_pair, m,
	    e) == -1 ||
	    (n[K_PK] && mload_pk(m, n[K_PK], e) == -1) ||
	    (n[K_UNIQUE] && mload_each(m, n[K_UNIQUE], "unique",
	    mload_unique, e) == -1) ||
	    (n[K_FKS] && mload_each(m, n[K_FKS], "foreign_keys", mload_fk,
	    e) == -1) ||
	    (n[K_CHECKS] && mload_each(m, n[K_CHECKS], "checks", mload_check,
	    e) == -1) ||
	    (n[K_INDEXES] && mload_each(m, n[K_INDEXES], "indexes",
	    mload_index, e) == -1) ||
	    (n[K_RLS] && mload_rls(m, n[K_RLS], e) == -1))
		return -1;
	return 0;
}

static int
mload_ydoc(struct schema *s, struct ydoc *y, struct sch_memo *memo,
    struct merr *e)
{
	struct mload m;
	int rc = 0;

	memset(&m, 0, sizeof(m));
	m.s = s;
	m.y = y;
	m.memo = memo;
	if ((m.file = schema_add_file(s, y->path)) == NULL)
		return mload_nomem(e);
	if (ydoc_root(y) != NULL)
		rc = mload_doc(&m, ydoc_root(y), e);
	if (rc == -1 && e->code == MERR_CONFIG)
		e->code = MERR_INPUT;
	return rc;
}

/* ---- entry points ---- */

static int
model_is_yaml(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && ((n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	    (n > 4 && !strcmp(name + n - 4, ".yml")));
}

static int
model_is_sql(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 4 && !strcmp(name + n - 4, ".sql");
}

/* A model SQL file: read whole, then its statements. */
static int
model_load_sql(struct schema *s, const char *path, struct merr *e)
{
	FILE *f;
	char *text = NULL, *t;
	size_t cap = 0, n = 0, got = 1;
	int rc = 0;

	if ((f = ydoc_fopen(path, e)) == NULL)
		return -1;
	while (rc == 0 && got > 0) {
		if (cap - n < 4096) {
			if ((t = realloc(text, cap = 2 * cap + 4096)) == NULL) {
				rc = mload_nomem(e);
				break;
			}
			text = t;
		}
		n += got = fread(text + n, 1, cap - n - 1, f);
	}
	if (rc == 0 && ferror(f))
		rc = merr_setpos(e, MERR_IO, path, 0, 0, "cannot read: %m");
	fclose(f);
	if (rc == 0) {
		text[n] = '\0';
		rc = strlen(text) != n ? merr_setpos(e, MERR_INPUT, path, 0, 0,
		    "not a text file") : mload_sql(s, path, text, e);
	}
	free(text);
	return rc;
}

/* A model YAML file of the folder: a regular file (ydoc_fopen()). */
static int
model_load_yaml(struct ydoc *y, const char *path, struct merr *e)
{
	FILE *f;
	int rc;

	memset(y, 0, sizeof(*y));
	if ((f = ydoc_fopen(path, e)) == NULL)
		return -1;
	rc = ydoc_load_fp(y, path, f, e);
	fclose(f);
	return rc;
}

int
model_dir_empty(const char *dir)
{
	struct dirent *de;
	int empty = 1;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while (empty && (de = readdir(d)) != NULL)
		if (model_is_yaml(de->d_name) || model_is_sql(de->d_name))
			empty = 0;
	closedir(d);
	return empty;
}

/*
 * Every loader's end: references resolved; a failure is the input's
 * (MERR_INPUT) and frees s, else s is *out.
 */
static int
mload_done(struct schema *s, int rc, struct schema **out, struct merr *e)
{
	if (rc == 0)
		rc = model_resolve(s, e);
	if (rc == -1) {
		if (e->code == MERR_CONFIG)
			e->code = MERR_INPUT;
		schema_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static int
model_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
model_load_dir(const char *dir, struct schema **out, struct merr *e)
{
	struct schema *s;
	struct dirent *de;
	struct ydoc y;
	struct sch_memo *memo;
	char **files = NULL, *path;
	DIR *d;
	int rc = 0;

	*out = NULL;
	if ((d = opendir(dir)) == NULL)
		return merr_setpos(e, MERR_IO, dir, 0, 0, "cannot open models "
		    "folder: %m");
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (model_is_yaml(de->d_name) || model_is_sql(de->d_name))
			rc = schema_strv_push(&files, de->d_name);
	closedir(d);
	if (rc == -1 || (s = schema_new()) == NULL) {
		schema_strv_free(files);
		return mload_nomem(e);
	}
	if ((memo = schema_memo_new()) == NULL) {
		schema_strv_free(files);
		schema_free(s);
		return mload_nomem(e);
	}
	if (files)
		qsort(files, schema_strv_len(files), sizeof(*files),
		    model_strcmp);
	for (size_t i = 0; rc == 0 && files && files[i]; i++) {
		if (asprintf(&path, "%s/%s", dir, files[i]) == -1) {
			rc = mload_nomem(e);
			break;
		}
		if (model_is_sql(files[i])) {
			rc = model_load_sql(s, path, e);
			free(path);
			continue;
		}
		rc = model_load_yaml(&y, path, e);
		free(path);
		if (rc == 0)
			rc = mload_ydoc(s, &y, memo, e);
		ydoc_release(&y);
	}
	schema_strv_free(files);
	schema_memo_free(memo);
	return mload_done(s, rc, out, e);
}

/* One model file given as text: SQL or YAML by its name. */
static int
mload_text(struct schema *s, struct sch_memo *memo,
    const struct model_text *t, struct merr *e)
{
	struct ydoc y;
	int rc;

	if (model_is_sql(t->name))
		return mload_sql(s, t->name, t->text, e);
	rc = ydoc_load_string(&y, t->name, t->text, strlen(t->text), e);
	if (rc == 0)
		rc = mload_ydoc(s, &y, memo, e);
	ydoc_release(&y);
	return rc;
}

static int
model_text_cmp(const void *a, const void *b)
{
	return strcmp(((const struct model_text *)a)->name,
	    ((const struct model_text *)b)->name);
}

int
model_load_texts(const struct model_text *files, size_t n,
    struct schema **out, struct merr *e)
{
	struct model_text *v;
	struct sch_memo *memo = NULL;
	struct schema *s = NULL;
	int rc = 0;

	*out = NULL;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL ||
	    (s = schema_new()) == NULL || (memo = schema_memo_new()) == NULL) {
		free(v);
		schema_free(s);
		return mload_nomem(e);
	}
	if (n)
		memcpy(v, files, n * sizeof(*v));
	qsort(v, n, sizeof(*v), model_text_cmp);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (model_is_yaml(v[i].name) || model_is_sql(v[i].name))
			rc = mload_text(s, memo, &v[i], e);
	free(v);
	schema_memo_free(memo);
	return mload_done(s, rc, out, e);
}

int
model_load_string(const char *name, const char *text, struct schema **out,
    struct merr *e)
{
	struct schema *s;
	struct ydoc y;
	int rc;

	*out = NULL;
	if ((s = schema_new()) == NULL)
		return mload_nomem(e);
	rc = ydoc_load_string(&y, name, text, strlen(text), e);
	if (rc == 0)
		rc = mload_ydoc(s, &y, NULL, e);
	ydoc_release(&y);
	return mload_done(s, rc, out, e);
}
