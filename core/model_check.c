/*
 * model_check.c - the whole-model checks, once every model file is loaded:
 * types (built-in or an enum some model defines), foreign keys (to a
 * table some model defines; referenced columns default to its primary
 * key), columns named by keys, and names unique where PostgreSQL needs
 * them.  Errors carry the file:line:col where the item was written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_int.h"

static int
mcheck_nomem(struct merr *e)
{
	return merr_set(e, MERR_NOMEM, "out of memory");
}

/* "a.b" -> schema a, name b; "b" -> dflt, b.  Returns malloc'd parts. */
static int
mcheck_qualname(const char *q, const char *dflt, char **sch, char **name)
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
resolve_err(const struct sch_pos *p, const char *field, struct merr *e,
    const char *msg)
{
	merr_setpos(e, MERR_INPUT, p->file, p->line, p->col, "%s", msg);
	snprintf(e->field, sizeof(e->field), "%s", field);
	return -1;
}

/* Canonical spellings already computed: raw[i] -> canon[i]. */
struct tcache {
	char	**raw;
	char	**canon;
};

/* serial, bigserial, smallserial (and serial4, 8, 2): the integer type. */
static const char *
serial_type(const char *t)
{
	static const char *const names[][2] = { { "serial", "integer" },
	    { "serial4", "integer" }, { "bigserial", "bigint" },
	    { "serial8", "bigint" }, { "smallserial", "smallint" },
	    { "serial2", "smallint" } };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcasecmp(t, names[i][0]))
			return names[i][1];
	return NULL;
}

/* Types of well-known extensions, for the hint. */
static const char *
type_extension(const char *t)
{
	static const char *const names[][2] = { { "citext", "citext" },
	    { "hstore", "hstore" }, { "ltree", "ltree" }, { "lquery", "ltree" },
	    { "ltxtquery", "ltree" }, { "vector", "vector" },
	    { "halfvec", "vector" }, { "geometry", "postgis" },
	    { "geography", "postgis" }, { "cube", "cube" },
	    { "isbn", "isn" }, { "ean13", "isn" }, { "seg", "seg" } };
	size_t n;

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		n = strlen(names[i][0]);
		if (!strncasecmp(t, names[i][0], n) && (t[n] == '\0' ||
		    t[n] == '(' || t[n] == '['))
			return names[i][1];
	}
	return NULL;
}

/* A resolved type: canonical text and what it names. */
struct rtype {
	char	*canon;
	/* 0 built in, 'e' enum, 'd' domain, 'x' another (an extension's) */
	char	 kind;
};

/* An enum or domain some model defines ("[]": an array of it). */
static int
resolve_usertype(struct schema *s, const char *dflt, const char *type,
    struct rtype *rt)
{
	char *base, *sch, *name;
	const char *us = NULL, *un = NULL;
	size_t len;
	int arr = 0;

	if ((base = strdup(type)) == NULL)
		return -1;
	len = strlen(base);
	for (; len > 2 && !strcmp(base + len - 2, "[]"); arr = 1)
		base[len -= 2] = '\0';
	if (mcheck_qualname(base, dflt, &sch, &name) == -1) {
		free(base);
		return -1;
	}
	for (int pass = 0; pass < 2 && us == NULL; pass++) {
		const char *ps = pass ? "public" : sch;
		struct sch_enum *en = schema_find_enum(s, ps, name);
		struct sch_domain *d = schema_find_domain(s, ps, name);

		if (pass && strchr(base, '.'))
			break;
		if (en) {
			us = en->schema, un = en->name, rt->kind = 'e';
		} else if (d) {
			us = d->schema, un = d->name, rt->kind = 'd';
		}
	}
	free(base);
	free(sch);
	free(name);
	if (us && asprintf(&rt->canon, "%s.%s%s", us, un, arr ? "[]" : "") ==
	    -1)
		return -1;
	return 0;
}

/*
 * type (as written) -> canonical: built in, an enum or domain of the
 * models, or (when the models list extensions) any other type name, which
 * the plan checks against the database.  what/pos/field for the error.
 */
static int
resolve_typename(struct schema *s, const char *dflt, const char *type,
    struct tcache *tc, struct rtype *rt, const char *what,
    const struct sch_pos *pos, struct merr *e)
{
	char msg[600];
	const char *ext;
	int arr;
	struct merr te;

	memset(rt, 0, sizeof(*rt));
	for (size_t i = 0; tc->raw && tc->raw[i]; i++)
		if (!strcmp(tc->raw[i], type))
			return (rt->canon = strdup(tc->canon[i])) ? 0 :
			    mcheck_nomem(e);
	merr_clear(&te);
	if (schema_type_canon(type, &rt->canon, &arr, &te) == 0) {
		if (schema_strv_push(&tc->raw, type) == -1 ||
		    schema_strv_push(&tc->canon, rt->canon) == -1)
			return mcheck_nomem(e);
		return 0;
	}
	if (resolve_usertype(s, dflt, type, rt) == -1)
		return mcheck_nomem(e);
	if (rt->canon)
		return 0;
	merr_clear(&te);
	if (s->nexts > 0 && schema_type_other(type, &rt->canon, &te) == 0) {
		rt->kind = 'x';
		return 0;
	}
	if (s->nexts > 0 && strchr(type, '(')) {
		snprintf(msg, sizeof(msg), "invalid type '%s' for %s", type,
		    what);
		resolve_err(pos, "type", e, msg);
		merr_hint(e, "an extension's type takes modifiers of letters, "
		    "digits and '_' separated by ',', written as PostgreSQL "
		    "prints them (geometry(Polygon,4326))");
		return -1;
	}
	snprintf(msg, sizeof(msg), "unknown type '%s' for %s", type, what);
	resolve_err(pos, "type", e, msg);
	if (serial_type(type))
		merr_hint(e, "serial is a column's type only (not an array, a "
		    "domain's or a sequence's)");
	else if ((ext = type_extension(type)) != NULL)
		merr_hint(e, "'%s' comes from an extension: add 'extensions: "
		    "[%s]' to a model", type, ext);
	else
		merr_hint(e, "use a PostgreSQL built-in type, an enum under "
		    "'enums' or a domain under 'domains'; a type from an "
		    "extension needs the extension under 'extensions'");
	return -1;
}

/*
 * A serial column's sequence: what PostgreSQL makes (<table>_<column>_seq
 * of the column's type, owned by it) with the options the model says.
 */
static int
resolve_serial_seq(struct sch_table *t, struct sch_column *c,
    struct merr *e)
{
	struct sch_sequence *q = c->seq;
	const char *bad;
	char msg[300];

	if (q == NULL && (q = c->seq = calloc(1, sizeof(*q))) == NULL)
		return mcheck_nomem(e);
	if (q->pos.file == NULL)
		q->pos = c->pos;
	free(q->type);
	free(q->schema);
	free(q->name);
	free(q->owned_by);
	q->name = q->owned_by = NULL;
	if ((q->type = strdup(c->type)) == NULL ||
	    (q->schema = strdup(t->schema)) == NULL ||
	    (q->name = schema_serial_seq_name(t->name, c->name)) == NULL ||
	    asprintf(&q->owned_by, "%s.%s.%s", t->schema, t->name,
	    c->name) == -1) {
		q->name = q->owned_by = NULL;
		return mcheck_nomem(e);
	}
	if ((bad = mload_seq_fill(q)) == NULL)
		return 0;
	mload_seq_error(q, bad, msg, sizeof(msg));
	return resolve_err(&q->pos, bad, e, msg);
}

static int
resolve_type(struct schema *s, struct sch_table *t, struct sch_column *c,
    struct tcache *tc, struct merr *e)
{
	const char *st = serial_type(c->type);
	struct rtype rt;
	char what[128];

	if (st) {
		free(c->type);
		if ((c->type = strdup(st)) == NULL)
			return mcheck_nomem(e);
		c->serial = 1;
		c->notnull = 1;
		return resolve_serial_seq(t, c, e);
	}
	snprintf(what, sizeof(what), "column '%.100s'", c->name);
	if (resolve_typename(s, t->schema, c->type, tc, &rt, what, &c->pos,
	    e) == -1)
		return -1;
	free(c->type);
	c->type = rt.canon;
	c->is_enum = rt.kind == 'e';
	c->is_domain = rt.kind == 'd';
	c->ext_type = rt.kind == 'x';
	return 0;
}

/* A column's generated expression, serial type, collation: compatible. */
static int
resolve_column(struct sch_column *c, struct merr *e)
{
	char msg[300];
	const char *bad = NULL;

	if (c->seq && !c->serial) {
		snprintf(msg, sizeof(msg), "column '%s' is not serial: only a "
		    "serial column has a sequence of its own to say",
		    c->name);
		return resolve_err(&c->seq->pos, "sequence", e, msg);
	}
	if (c->serial && (c->def || c->identity || c->generated))
		bad = c->def ? "default" : c->identity ? "identity" :
		    "generated";
	else if (c->generated && (c->def || c->identity))
		bad = c->def ? "default" : "identity";
	if (bad == NULL)
		return 0;
	snprintf(msg, sizeof(msg), "column '%s' is %s: it cannot have "
	    "'%s'", c->name, c->serial ? "serial (its sequence gives the "
	    "values)" : "generated", bad);
	return resolve_err(&c->pos, bad, e, msg);
}

/*
 * An identity column: an integer type, no default of its own, NOT NULL
 * (PostgreSQL makes it so, whatever the model's not_null says).
 */
static int
resolve_identity(struct sch_column *c, struct merr *e)
{
	char msg[300];

	if (c->identity == 0)
		return 0;
	if (strcmp(c->type, "smallint") && strcmp(c->type, "integer") &&
	    strcmp(c->type, "bigint")) {
		snprintf(msg, sizeof(msg), "identity column '%s' must be "
		    "smallint, integer or bigint, not %s", c->name, c->type);
		return resolve_err(&c->pos, "identity", e, msg);
	}
	if (c->def) {
		snprintf(msg, sizeof(msg), "identity column '%s' cannot have "
		    "a default: its sequence gives the values", c->name);
		return resolve_err(&c->pos, "identity", e, msg);
	}
	c->notnull = 1;
	return 0;
}

static int
resolve_cols(struct sch_table *t, char *const *cols, const struct sch_pos *p,
    const char *field, struct merr *e)
{
	char msg[300];

	for (size_t i = 0; cols && cols[i]; i++)
		if (schema_find_column(t, cols[i]) == NULL) {
			snprintf(msg, sizeof(msg), "table '%s' has no column "
			    "'%s'", t->name, cols[i]);
			return resolve_err(p, field, e, msg);
		}
	return 0;
}

static int
resolve_fk(struct schema *s, struct sch_table *t, struct sch_constraint *c,
    struct merr *e)
{
	struct sch_table *rt;
	struct sch_constraint *pk;
	char msg[400];

	if (resolve_cols(t, c->cols, &c->pos, "columns", e) == -1)
		return -1;
	if ((rt = schema_find_table(s, c->ref_schema, c->ref_table)) == NULL) {
		snprintf(msg, sizeof(msg), "foreign key on '%s' references "
		    "table '%s.%s' that no model defines", t->name,
		    c->ref_schema, c->ref_table);
		return resolve_err(&c->pos, "references", e, msg);
	}
	if (c->ref_cols == NULL) {
		if ((pk = schema_find_pk(rt)) == NULL) {
			snprintf(msg, sizeof(msg), "foreign key on '%s': "
			    "table '%s' has no primary key; give 'ref_columns'",
			    t->name, rt->name);
			return resolve_err(&c->pos, "references", e, msg);
		}
		if ((c->ref_cols = schema_strv_dup(pk->cols)) == NULL)
			return mcheck_nomem(e);
	}
	if (resolve_cols(rt, c->ref_cols, &c->pos, "ref_columns", e) == -1)
		return -1;
	if (schema_strv_len(c->cols) != schema_strv_len(c->ref_cols)) {
		snprintf(msg, sizeof(msg), "foreign key on '%s' has %zu "
		    "columns but references %zu", t->name,
		    schema_strv_len(c->cols), schema_strv_len(c->ref_cols));
		return resolve_err(&c->pos, "ref_columns", e, msg);
	}
	if (c->name == NULL &&
	    (c->name = schema_default_name(t->name, c->cols, "fkey")) == NULL)
		return mcheck_nomem(e);
	return 0;
}

/* Names in one namespace: relations of a schema, constraints of a table. */
static int
resolve_unique_name(char ***seen, const char *name, const struct sch_pos *p,
    const char *what, struct merr *e)
{
	char msg[300];

	for (size_t i = 0; *seen && (*seen)[i]; i++)
		if (!strcmp((*seen)[i], name)) {
			snprintf(msg, sizeof(msg), "duplicate %s name '%s'",
			    what, name);
			return resolve_err(p, "name", e, msg);
		}
	return schema_strv_push(seen, name) == -1 ? mcheck_nomem(e) : 0;
}

/* Relation names of every schema (tables, indexes, keys share them). */
struct relname {
	const char		*schema, *name;
	const struct sch_pos	*pos;
	size_t			 seq;
};

struct rels {
	struct relname	*v;
	size_t		 n, cap;
};

static int
rels_add(struct rels *r, const char *sch, const char *name,
    const struct sch_pos *pos)
{
	struct relname *v;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		if ((v = realloc(r->v, r->cap * sizeof(*v))) == NULL)
			return -1;
		r->v = v;
	}
	r->v[r->n].schema = sch;
	r->v[r->n].name = name;
	r->v[r->n].pos = pos;
	r->v[r->n].seq = r->n;
	r->n++;
	return 0;
}

static int
rels_cmp(const void *a, const void *b)
{
	const struct relname *x = a, *y = b;
	int c;

	if ((c = strcmp(x->schema, y->schema)) != 0 ||
	    (c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorted, a duplicate is next to its first use: report the later one. */
static int
rels_check(struct rels *r, struct merr *e)
{
	char msg[300];

	if (r->n < 2)
		return 0;
	qsort(r->v, r->n, sizeof(*r->v), rels_cmp);
	for (size_t i = 1; i < r->n; i++)
		if (!strcmp(r->v[i].schema, r->v[i - 1].schema) &&
		    !strcmp(r->v[i].name, r->v[i - 1].name)) {
			snprintf(msg, sizeof(msg), "duplicate relation (table, "
			    "index or key) name '%s'", r->v[i].name);
			return resolve_err(r->v[i].pos, "name", e, msg);
		}
	return 0;
}

static int
resolve_table(struct schema *s, struct sch_table *t, struct rels *rels,
    struct tcache *tc, struct merr *e)
{
	char **cons = NULL;
	size_t i;
	int rc = 0;

	if (rels_add(rels, t->schema, t->name, &t->pos) == -1)
		return mcheck_nomem(e);
	for (i = 0; rc == 0 && i < t->ncols; i++)
		if ((rc = resolve_type(s, t, &t->cols[i], tc, e)) == 0 &&
		    (rc = resolve_identity(&t->cols[i], e)) == 0)
			rc = resolve_column(&t->cols[i], e);
	for (i = 0; rc == 0 && i < t->ncons; i++) {
		struct sch_constraint *c = &t->cons[i];

		if (c->kind == SCH_FK)
			rc = resolve_fk(s, t, c, e);
		else if (c->kind != SCH_CHECK)
			rc = resolve_cols(t, c->cols, &c->pos, "columns", e);
		if (rc == 0 && c->kind == SCH_PK)
			for (size_t j = 0; c->cols[j]; j++)
				schema_find_column(t, c->cols[j])->notnull = 1;
		if (rc == 0)
			rc = resolve_unique_name(&cons, c->name, &c->pos,
			    "constraint", e);
		if (rc == 0 && (c->kind == SCH_PK || c->kind == SCH_UNIQUE) &&
		    rels_add(rels, t->schema, c->name, &c->pos) == -1)
			rc = mcheck_nomem(e);
	}
	for (i = 0; rc == 0 && i < t->nidx; i++)
		if (rels_add(rels, t->schema, t->idx[i].name,
		    &t->idx[i].pos) == -1)
			rc = mcheck_nomem(e);
	schema_strv_free(cons);
	return rc;
}

/*
 * PostgreSQL cuts a longer identifier to SCH_NAME_MAX bytes, so the
 * object it creates is not the one the models name, and every later run
 * would try to create it again.
 */
static int
name_check(const char *name, const struct sch_pos *p, const char *what,
    struct merr *e)
{
	char msg[400];
	size_t n = name ? strlen(name) : 1;

	if (n > 0 && n <= SCH_NAME_MAX)
		return 0;
	snprintf(msg, sizeof(msg), "%s name '%.200s' is %zu bytes: "
	    "PostgreSQL names are 1 to %d bytes", what, name, n,
	    SCH_NAME_MAX);
	return resolve_err(p, "name", e, msg);
}

/* Every identifier the models give, with the position it was given at. */
static int
resolve_names(const struct schema *s, struct merr *e)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < s->nenums; i++) {
		const struct sch_enum *en = &s->enums[i];

		rc = name_check(en->schema, &en->pos, "schema", e) ||
		    name_check(en->name, &en->pos, "enum", e);
		for (size_t j = 0; rc == 0 && en->labels && en->labels[j]; j++)
			rc = name_check(en->labels[j], &en->pos, "enum value",
			    e);
	}
	for (size_t i = 0; rc == 0 && i < s->ndomains; i++)
		rc = name_check(s->domains[i].schema, &s->domains[i].pos,
		    "schema", e) || name_check(s->domains[i].name,
		    &s->domains[i].pos, "domain", e);
	for (size_t i = 0; rc == 0 && i < s->nseqs; i++)
		rc = name_check(s->seqs[i].schema, &s->seqs[i].pos, "schema",
		    e) || name_check(s->seqs[i].name, &s->seqs[i].pos,
		    "sequence", e);
	for (size_t i = 0; rc == 0 && i < s->nobjs; i++)
		rc = name_check(s->objs[i].schema, &s->objs[i].pos, "schema",
		    e) || name_check(s->objs[i].name, &s->objs[i].pos, "name",
		    e);
	for (size_t i = 0; rc == 0 && i < s->ntables; i++) {
		const struct sch_table *t = &s->tables[i];

		rc = name_check(t->schema, &t->pos, "schema", e) ||
		    name_check(t->name, &t->pos, "table", e);
		for (size_t j = 0; rc == 0 && j < t->ncols; j++)
			rc = name_check(t->cols[j].name, &t->cols[j].pos,
			    "column", e);
		for (size_t j = 0; rc == 0 && j < t->ncons; j++)
			rc = name_check(t->cons[j].name, &t->cons[j].pos,
			    "constraint", e);
		for (size_t j = 0; rc == 0 && j < t->nidx; j++)
			rc = name_check(t->idx[j].name, &t->idx[j].pos,
			    "index", e);
	}
	return rc ? -1 : 0;
}

/* A domain's base type: built in, an enum, another extension's type. */
static int
resolve_domain(struct schema *s, struct sch_domain *d, struct tcache *tc,
    struct merr *e)
{
	struct rtype rt;
	char what[128];

	snprintf(what, sizeof(what), "domain '%.100s'", d->name);
	if (resolve_typename(s, d->schema, d->type, tc, &rt, what, &d->pos,
	    e) == -1)
		return -1;
	free(d->type);
	d->type = rt.canon;
	d->base_enum = rt.kind == 'e';
	d->base_ext = rt.kind == 'x';
	if (rt.kind == 'd')
		return resolve_err(&d->pos, "type", e, "a domain over another "
		    "domain is not supported: give the base type");
	return 0;
}

/*
 * A SQL object: a view's name is a relation name; a trigger or policy is
 * on a table some model defines (a trigger may be on a model view), once.
 */
static int
resolve_object(struct schema *s, size_t i, struct rels *rels,
    struct merr *e)
{
	struct sch_object *o = &s->objs[i];
	char msg[400];

	if (o->kind == SCH_VIEW || o->kind == SCH_MATVIEW)
		return rels_add(rels, o->schema, o->name, &o->pos) == -1 ?
		    mcheck_nomem(e) : 0;
	if (o->kind != SCH_TRIGGER && o->kind != SCH_POLICY)
		return 0;
	if (!schema_find_table(s, o->schema, o->table) && (o->kind ==
	    SCH_POLICY || !schema_find_object(s, SCH_VIEW, o->schema,
	    o->table, NULL))) {
		snprintf(msg, sizeof(msg), "%s '%s' is on table '%s.%s' that "
		    "no model defines", o->kind == SCH_TRIGGER ? "trigger" :
		    "policy", o->name, o->schema, o->table);
		return resolve_err(&o->pos, o->name, e, msg);
	}
	for (size_t k = 0; k < i; k++)
		if (s->objs[k].kind == o->kind && !strcmp(s->objs[k].schema,
		    o->schema) && !strcmp(s->objs[k].table, o->table) &&
		    !strcmp(s->objs[k].name, o->name)) {
			snprintf(msg, sizeof(msg), "duplicate %s '%s' on "
			    "'%s.%s'", o->kind == SCH_TRIGGER ? "trigger" :
			    "policy", o->name, o->schema, o->table);
			return resolve_err(&o->pos, o->name, e, msg);
		}
	return 0;
}

/* A sequence's owned_by: a column of a model table (same schema). */
static int
resolve_owner(const struct schema *s, const struct sch_sequence *q,
    struct merr *e)
{
	const char *tn = q->owned_by + strlen(q->schema) + 1;
	const char *dot = strchr(tn, '.');
	char tname[SCH_NAME_MAX * 2 + 2], msg[400];
	const struct sch_table *t;

	snprintf(tname, sizeof(tname), "%.*s", (int)(dot - tn), tn);
	if ((t = schema_find_table(s, q->schema, tname)) == NULL)
		snprintf(msg, sizeof(msg), "sequence '%s' is owned by a column "
		    "of table '%s.%s' that no model defines", q->name,
		    q->schema, tname);
	else if (schema_find_column(t, dot + 1) == NULL)
		snprintf(msg, sizeof(msg), "sequence '%s' is owned by column "
		    "'%s' that table '%s' does not have", q->name, dot + 1,
		    tname);
	else
		return 0;
	return resolve_err(&q->owned_pos, "owned_by", e, msg);
}

int
model_resolve(struct schema *s, struct merr *e)
{
	struct tcache tc = { NULL, NULL };
	struct rels rels = { NULL, 0, 0 };
	int rc = resolve_names(s, e);

	for (size_t i = 0; rc == 0 && i < s->ndomains; i++)
		rc = resolve_domain(s, &s->domains[i], &tc, e);
	for (size_t i = 0; rc == 0 && i < s->nseqs; i++)
		rc = rels_add(&rels, s->seqs[i].schema, s->seqs[i].name,
		    &s->seqs[i].pos) == -1 ? mcheck_nomem(e) : 0;

	for (size_t i = 0; rc == 0 && i < s->ntables; i++)
		rc = resolve_table(s, &s->tables[i], &rels, &tc, e);
	for (size_t i = 0; rc == 0 && i < s->nseqs; i++)
		if (s->seqs[i].owned_by)
			rc = resolve_owner(s, &s->seqs[i], e);
	for (size_t i = 0; rc == 0 && i < s->nobjs; i++)
		rc = resolve_object(s, i, &rels, e);
	if (rc == 0)
		rc = rels_check(&rels, e);
	free(rels.v);
	schema_strv_free(tc.raw);
	schema_strv_free(tc.canon);
	return rc;
}

