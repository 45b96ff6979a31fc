/*
 * model_objects.c - the models' objects that are not tables: extensions,
 * sequences and domains (models/README.md).  Types and expressions are
 * checked here as far as one file allows; model_resolve() does the rest.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

/* ---- extensions ---- */

enum { X_NAME, X_SCHEMA, X_VERSION };
static const char *const ext_keys[] = { "name", "schema", "version", NULL };

static int
ext_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v, void *arg,
    struct merr *e)
{
	struct mload *m = ((void **)arg)[0];
	struct sch_extension *x = ((void **)arg)[1];
	const char *field = ydoc_scalar(k);

	(void)y;
	if (key == X_NAME) {
		free(x->name);
		return mload_name(m, v, field, &x->name, e);
	}
	if (key == X_SCHEMA)
		return mload_name(m, v, field, &x->schema, e);
	return mload_name(m, v, field, &x->version, e);
}

static int
mload_extension(struct mload *m, yaml_node_t *v, struct merr *e)
{
	struct sch_extension *x;
	void *arg[2];
	char *name = NULL;

	if ((x = schema_add_extension(m->s, "")) == NULL)
		return mload_nomem(e);
	x->pos = mload_pos(m, v);
	if (v->type == YAML_SCALAR_NODE) {
		if (mload_name(m, v, "extensions", &name, e) == -1)
			return -1;
		free(x->name);
		x->name = name;
	} else {
		arg[0] = m;
		arg[1] = x;
		if (ydoc_mapping(m->y, v, "extension", ext_keys, ext_pair, arg,
		    e) == -1)
			return -1;
		if (*x->name == '\0')
			return ydoc_error(m->y, v, "name", e, "an extension "
			    "needs 'name'");
	}
	for (size_t i = 0; i + 1 < m->s->nexts; i++)
		if (!strcmp(m->s->exts[i].name, x->name))
			return ydoc_error(m->y, v, "extensions", e, "duplicate "
			    "extension '%s'", x->name);
	return x->schema && schema_add_schema(m->s, x->schema) == -1 ?
	    mload_nomem(e) : 0;
}

int
mload_extensions(struct mload *m, yaml_node_t *v, struct merr *e)
{
	yaml_node_item_t *it;

	if (v->type == YAML_SCALAR_NODE)
		return mload_extension(m, v, e);
	if (v->type != YAML_SEQUENCE_NODE)
		return ydoc_error(m->y, v, "extensions", e, "'extensions' must "
		    "be a list of names or { name, schema, version }");
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	    it++)
		if (mload_extension(m, ydoc_node(m->y, *it), e) == -1)
			return -1;
	return 0;
}

/* ---- sequences ---- */

enum { S_TYPE, S_START, S_INCREMENT, S_MIN, S_MAX, S_CACHE, S_CYCLE,
    S_OWNED_BY };
static const char *const seq_keys[] = { "type", "start", "increment", "min",
    "max", "cache", "cycle", "owned_by", NULL };

/* One sequence being read: which values were said. */
struct sload {
	struct mload		*m;
	struct sch_sequence	*q;
	int			 said[S_OWNED_BY + 1];
	yaml_node_t		*typenode;
};

static int
seq_type(struct sload *sl, yaml_node_t *v, const char *field, struct merr *e)
{
	static const char *const ok[] = { "smallint", "integer", "bigint" };
	char *canon;
	int arr;
	struct merr te;

	merr_clear(&te);
	if (ydoc_scalar(v) && schema_type_canon(ydoc_scalar(v), &canon, &arr,
	    &te) == 0) {
		for (int i = 0; !arr && i < 3; i++)
			if (!strcmp(canon, ok[i])) {
				free(sl->q->type);
				sl->q->type = canon;
				return 0;
			}
		free(canon);
	}
	return ydoc_error(sl->m->y, v, field, e, "'%s' must be smallint, "
	    "integer or bigint", field);
}

/* "table.column" (in the sequence's schema): "schema.table.column". */
static int
seq_owned_by(struct sload *sl, yaml_node_t *v, const char *field,
    struct merr *e)
{
	const char *t = ydoc_scalar(v), *dot = t ? strchr(t, '.') : NULL;

	if (dot == NULL || dot == t || dot[1] == '\0' || strchr(dot + 1, '.'))
		return ydoc_error(sl->m->y, v, field, e, "'%s' must be "
		    "table.column (a column of a table in the sequence's "
		    "schema)", field);
	free(sl->q->owned_by);
	if (asprintf(&sl->q->owned_by, "%s.%s", sl->q->schema, t) == -1) {
		sl->q->owned_by = NULL;
		return mload_nomem(e);
	}
	sl->q->owned_pos = mload_pos(sl->m, v);
	return 0;
}

static int
seq_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v, void *arg,
    struct merr *e)
{
	struct sload *sl = arg;
	const char *field = ydoc_scalar(k);
	long n;

	sl->said[key] = 1;
	sl->q->said |= 1u << key;
	if (key == S_TYPE) {
		sl->typenode = v;
		return seq_type(sl, v, field, e);
	}
	if (key == S_CYCLE)
		return ydoc_bool(y, v, field, &sl->q->cycle, e);
	if (key == S_OWNED_BY)
		return seq_owned_by(sl, v, field, e);
	if (ydoc_long(y, v, field, key == S_CACHE ? 1 : LONG_MIN, LONG_MAX, &n,
	    e) == -1)
		return -1;
	if (key == S_INCREMENT && n == 0)
		return ydoc_error(y, v, field, e, "'increment' must not be 0");
	*(key == S_START ? &sl->q->start : key == S_INCREMENT ?
	    &sl->q->increment : key == S_MIN ? &sl->q->min : key == S_MAX ?
	    &sl->q->max : &sl->q->cache) = n;
	return 0;
}

const char *
mload_seq_fill(struct sch_sequence *q)
{
	long long lo = !strcmp(q->type, "smallint") ? -32768 :
	    !strcmp(q->type, "integer") ? INT_MIN : LLONG_MIN;
	long long hi = !strcmp(q->type, "smallint") ? 32767 :
	    !strcmp(q->type, "integer") ? INT_MAX : LLONG_MAX;

	if (!(q->said & (1u << S_INCREMENT)))
		q->increment = 1;
	if (!(q->said & (1u << S_CACHE)))
		q->cache = 1;
	if (!(q->said & (1u << S_MIN)))
		q->min = q->increment > 0 ? 1 : lo;
	if (!(q->said & (1u << S_MAX)))
		q->max = q->increment > 0 ? hi : -1;
	if (!(q->said & (1u << S_START)))
		q->start = q->increment > 0 ? q->min : q->max;
	if (q->min < lo || q->max > hi || q->min >= q->max)
		return "min";
	if (q->start < q->min || q->start > q->max)
		return "start";
	return NULL;
}

int
mload_seq_error(struct sch_sequence *q, const char *bad, char *buf,
    size_t n)
{
	if (!strcmp(bad, "min"))
		return snprintf(buf, n, "sequence '%s': min %lld and max %lld "
		    "must be in %s's range, min below max", q->name, q->min,
		    q->max, q->type);
	return snprintf(buf, n, "sequence '%s': start %lld is not between "
	    "min %lld and max %lld", q->name, q->start, q->min, q->max);
}

/* PostgreSQL's defaults for what the model does not say. */
static int
seq_defaults(struct sload *sl, yaml_node_t *v, struct merr *e)
{
	const char *bad = mload_seq_fill(sl->q);
	char msg[300];

	if (bad == NULL)
		return 0;
	mload_seq_error(sl->q, bad, msg, sizeof(msg));
	return ydoc_error(sl->m->y, v, bad, e, "%s", msg);
}

int
mload_column_sequence(struct mload *m, yaml_node_t *v, struct merr *e)
{
	struct sload sl;

	memset(&sl, 0, sizeof(sl));
	sl.m = m;
	if (m->c->seq != NULL)
		return 0;
	if ((sl.q = m->c->seq = calloc(1, sizeof(*sl.q))) == NULL ||
	    (sl.q->type = strdup("bigint")) == NULL)
		return mload_nomem(e);
	sl.q->pos = mload_pos(m, v);
	if (ydoc_mapping(m->y, v, "sequence", seq_keys, seq_pair, &sl, e) ==
	    -1)
		return -1;
	if (sl.said[S_TYPE])
		return ydoc_error(m->y, sl.typenode, "type", e, "a serial "
		    "column's sequence has the column's type: say serial, "
		    "bigserial or smallserial as the column's 'type'");
	return 0;
}

static int
seqs_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct mload *m = arg;
	struct sload sl;
	char *sch, *name;
	int rc = 0;

	(void)key;
	memset(&sl, 0, sizeof(sl));
	sl.m = m;
	if (mload_qualname(ydoc_scalar(k), m->schema, &sch, &name) == -1)
		return mload_nomem(e);
	if (schema_find_sequence(m->s, sch, name))
		rc = ydoc_error(y, k, ydoc_scalar(k), e, "duplicate sequence "
		    "'%s.%s'", sch, name);
	else if ((sl.q = schema_add_sequence(m->s, sch, name)) == NULL ||
	    schema_add_schema(m->s, sch) == -1 ||
	    (sl.q->type = strdup("bigint")) == NULL)
		rc = mload_nomem(e);
	free(sch);
	free(name);
	if (rc == -1)
		return -1;
	sl.q->pos = mload_pos(m, k);
	/* "name:" alone or "name: {}": every value PostgreSQL's default */
	if (!(v->type == YAML_SCALAR_NODE && *ydoc_scalar(v) == '\0') &&
	    ydoc_mapping(y, v, "sequence", seq_keys, seq_pair, &sl, e) == -1)
		return -1;
	return seq_defaults(&sl, v, e);
}

int
mload_sequences(struct mload *m, yaml_node_t *v, struct merr *e)
{
	return ydoc_mapping(m->y, v, "sequences", NULL, seqs_pair, m, e);
}

/* ---- domains ---- */

enum { D_TYPE, D_NOTNULL, D_DEFAULT, D_CHECK, D_COLLATION };
static const char *const dom_keys[] = { "type", "not_null", "default",
    "check", "collation", NULL };
enum { DC_NAME, DC_EXPR };
static const char *const dcheck_keys[] = { "name", "expr", NULL };

struct dload {
	struct mload		*m;
	struct sch_domain	*d;
	struct sch_dcheck	*c;
};

static int
dcheck_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct dload *dl = arg;

	(void)y;
	if (key == DC_NAME)
		return mload_name(dl->m, v, ydoc_scalar(k), &dl->c->name, e);
	return mload_expr(dl->m, v, "expr", &dl->c->expr, e);
}

/* A check: "expr" or { name, expr }; unnamed: PostgreSQL's d_check, ... */
static int
dom_check(struct dload *dl, yaml_node_t *v, struct merr *e)
{
	char sfx[16];
	size_t unnamed = 0;

	if ((dl->c = schema_add_dcheck(dl->d, NULL, NULL)) == NULL)
		return mload_nomem(e);
	if (v->type == YAML_MAPPING_NODE) {
		if (ydoc_mapping(dl->m->y, v, "domain check", dcheck_keys,
		    dcheck_pair, dl, e) == -1)
			return -1;
	} else if (mload_expr(dl->m, v, "check", &dl->c->expr, e) == -1)
		return -1;
	if (dl->c->expr == NULL)
		return ydoc_error(dl->m->y, v, "check", e, "a check needs "
		    "'expr'");
	if (dl->c->name)
		return 0;
	for (size_t i = 0; i + 1 < dl->d->nchecks; i++) {
		const char *name = dl->d->checks[i].name;

		unnamed += name && strstr(name, "_check") != NULL;
	}
	snprintf(sfx, sizeof(sfx), unnamed ? "check%zu" : "check", unnamed);
	if ((dl->c->name = schema_default_name(dl->d->name, NULL, sfx)) == NULL)
		return mload_nomem(e);
	return 0;
}

static int
dom_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v, void *arg,
    struct merr *e)
{
	struct dload *dl = arg;
	const char *field = ydoc_scalar(k);
	yaml_node_item_t *it;

	switch (key) {
	case D_TYPE:
		dl->d->pos = mload_pos(dl->m, v);
		return ydoc_string(y, v, field, &dl->d->type, e);
	case D_NOTNULL:
		return ydoc_bool(y, v, field, &dl->d->notnull, e);
	case D_DEFAULT:
		return mload_expr(dl->m, v, field, &dl->d->def, e);
	case D_COLLATION:
		return mload_name(dl->m, v, field, &dl->d->collation, e);
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return dom_check(dl, v, e);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	    it++)
		if (dom_check(dl, ydoc_node(y, *it), e) == -1)
			return -1;
	return 0;
}

static int
doms_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct mload *m = arg;
	struct dload dl = { m, NULL, NULL };
	char *sch, *name;
	int rc = 0;

	(void)key;
	if (mload_qualname(ydoc_scalar(k), m->schema, &sch, &name) == -1)
		return mload_nomem(e);
	if (schema_find_domain(m->s, sch, name) ||
	    schema_find_enum(m->s, sch, name))
		rc = ydoc_error(y, k, ydoc_scalar(k), e, "duplicate type "
		    "'%s.%s'", sch, name);
	else if ((dl.d = schema_add_domain(m->s, sch, name)) == NULL ||
	    schema_add_schema(m->s, sch) == -1)
		rc = mload_nomem(e);
	free(sch);
	free(name);
	if (rc == -1)
		return -1;
	dl.d->pos = mload_pos(m, k);
	if (v->type == YAML_SCALAR_NODE) {
		dl.d->pos = mload_pos(m, v);
		return ydoc_string(y, v, ydoc_scalar(k), &dl.d->type, e);
	}
	if (ydoc_mapping(y, v, "domain", dom_keys, dom_pair, &dl, e) == -1)
		return -1;
	if (dl.d->type == NULL)
		return ydoc_error(y, k, ydoc_scalar(k), e, "domain '%s' has no "
		    "'type'", dl.d->name);
	return 0;
}

int
mload_domains(struct mload *m, yaml_node_t *v, struct merr *e)
{
	return ydoc_mapping(m->y, v, "domains", NULL, doms_pair, m, e);
}
