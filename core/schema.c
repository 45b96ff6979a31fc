/* schema.c - the in-memory schema, canonical types and expressions. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "schema.h"

#define NAMEDATALEN	(SCH_NAME_MAX + 1)

/* ---- string lists ---- */

size_t
schema_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int
schema_strv_equal(char *const *a, char *const *b)
{
	size_t i;

	if (schema_strv_len(a) != schema_strv_len(b))
		return 0;
	for (i = 0; a && a[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

int
schema_strv_push(char ***vp, const char *s)
{
	size_t n = schema_strv_len(*vp);
	char **v = realloc(*vp, (n + 2) * sizeof(*v));

	if (v == NULL)
		return -1;
	*vp = v;
	if ((v[n] = strdup(s)) == NULL) {
		v[n] = NULL;
		return -1;
	}
	v[n + 1] = NULL;
	return 0;
}

char **
schema_strv_dup(char *const *v)
{
	char **d = calloc(1, sizeof(*d));

	for (size_t i = 0; d && v && v[i]; i++)
		if (schema_strv_push(&d, v[i]) == -1) {
			schema_strv_free(d);
			return NULL;
		}
	return d;
}

void
schema_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* ---- lifecycle ---- */

struct schema *
schema_new(void)
{
	return calloc(1, sizeof(struct schema));
}

static void schema_sequence_release(struct sch_sequence *);

static void
schema_column_release(struct sch_column *c)
{
	if (c->seq) {
		schema_sequence_release(c->seq);
		free(c->seq);
	}
	free(c->name);
	free(c->type);
	free(c->def);
	free(c->comment);
	free(c->was);
	free(c->serial_seq);
	free(c->generated);
	free(c->collation);
}

static void
schema_constraint_release(struct sch_constraint *c)
{
	free(c->name);
	schema_strv_free(c->cols);
	free(c->ref_schema);
	free(c->ref_table);
	schema_strv_free(c->ref_cols);
	schema_strv_free(c->include);
	free(c->expr);
}

static void
schema_index_release(struct sch_index *x)
{
	free(x->name);
	free(x->method);
	schema_strv_free(x->keys);
	schema_strv_free(x->opts);
	schema_strv_free(x->include);
	schema_strv_free(x->storage);
	free(x->comment);
	free(x->where);
}

static void
schema_table_release(struct sch_table *t)
{
	size_t i;

	free(t->schema);
	free(t->name);
	free(t->comment);
	schema_strv_free(t->storage);
	for (i = 0; i < t->ncols; i++)
		schema_column_release(&t->cols[i]);
	free(t->cols);
	for (i = 0; i < t->ncons; i++)
		schema_constraint_release(&t->cons[i]);
	free(t->cons);
	for (i = 0; i < t->nidx; i++)
		schema_index_release(&t->idx[i]);
	free(t->idx);
}

static void
schema_domain_release(struct sch_domain *d)
{
	free(d->schema);
	free(d->name);
	free(d->type);
	free(d->def);
	free(d->collation);
	for (size_t i = 0; i < d->nchecks; i++) {
		free(d->checks[i].name);
		free(d->checks[i].expr);
	}
	free(d->checks);
}

/* Close the gap left by element i of an array of n. */
static void
schema_close_gap(void *base, size_t *n, size_t i, size_t size)
{
	char *b = base;

	memmove(b + i * size, b + (i + 1) * size, (*n - i - 1) * size);
	(*n)--;
}

void
schema_remove_table(struct schema *s, size_t i)
{
	schema_table_release(&s->tables[i]);
	schema_close_gap(s->tables, &s->ntables, i, sizeof(*s->tables));
	/* the hash index holds positions: build it again when asked */
	free(s->tindex);
	s->tindex = NULL;
	s->tindex_cap = s->tindex_n = 0;
}

void
schema_remove_column(struct sch_table *t, size_t i)
{
	schema_column_release(&t->cols[i]);
	schema_close_gap(t->cols, &t->ncols, i, sizeof(*t->cols));
}

void
schema_remove_constraint(struct sch_table *t, size_t i)
{
	schema_constraint_release(&t->cons[i]);
	schema_close_gap(t->cons, &t->ncons, i, sizeof(*t->cons));
}

void
schema_remove_index(struct sch_table *t, size_t i)
{
	schema_index_release(&t->idx[i]);
	schema_close_gap(t->idx, &t->nidx, i, sizeof(*t->idx));
}

static void
schema_sequence_release(struct sch_sequence *q)
{
	free(q->schema);
	free(q->name);
	free(q->type);
	free(q->owned_by);
}

void
schema_remove_sequence(struct schema *s, size_t i)
{
	schema_sequence_release(&s->seqs[i]);
	schema_close_gap(s->seqs, &s->nseqs, i, sizeof(*s->seqs));
}

void
schema_remove_domain(struct schema *s, size_t i)
{
	schema_domain_release(&s->domains[i]);
	schema_close_gap(s->domains, &s->ndomains, i, sizeof(*s->domains));
}

void
schema_free(struct schema *s)
{
	size_t i;

	if (s == NULL)
		return;
	schema_strv_free(s->schemas);
	for (i = 0; i < s->ntables; i++)
		schema_table_release(&s->tables[i]);
	free(s->tables);
	for (i = 0; i < s->nenums; i++) {
		free(s->enums[i].schema);
		free(s->enums[i].name);
		schema_strv_free(s->enums[i].labels);
	}
	free(s->enums);
	for (i = 0; i < s->nexts; i++) {
		free(s->exts[i].name);
		free(s->exts[i].schema);
		free(s->exts[i].version);
	}
	free(s->exts);
	for (i = 0; i < s->nseqs; i++)
		schema_sequence_release(&s->seqs[i]);
	free(s->seqs);
	for (i = 0; i < s->ndomains; i++)
		schema_domain_release(&s->domains[i]);
	free(s->domains);
	schema_objects_free(s);
	schema_strv_free(s->files);
	free(s->tindex);
	free(s);
}

/* Grow an array by one zeroed element; returns it or NULL. */
static void *
schema_grow(void *basep, size_t *n, size_t size)
{
	void **bp = basep;
	char *p = realloc(*bp, (*n + 1) * size);

	if (p == NULL)
		return NULL;
	*bp = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

struct sch_table *
schema_add_table(struct schema *s, const char *sch, const char *name)
{
	struct sch_table *t = schema_grow(&s->tables, &s->ntables,
	    sizeof(*t));

	if (t == NULL)
		return NULL;
	t->schema = strdup(sch);
	t->name = strdup(name);
	t->rows = -1;
	if (t->schema == NULL || t->name == NULL)
		return NULL;
	return t;
}

struct sch_enum *
schema_add_enum(struct schema *s, const char *sch, const char *name)
{
	struct sch_enum *en = schema_grow(&s->enums, &s->nenums,
	    sizeof(*en));

	if (en == NULL)
		return NULL;
	en->schema = strdup(sch);
	en->name = strdup(name);
	en->labels = calloc(1, sizeof(char *));
	if (!en->schema || !en->name || !en->labels)
		return NULL;
	return en;
}

struct sch_extension *
schema_add_extension(struct schema *s, const char *name)
{
	struct sch_extension *x = schema_grow(&s->exts, &s->nexts,
	    sizeof(*x));

	if (x == NULL || (x->name = strdup(name)) == NULL)
		return NULL;
	return x;
}

struct sch_sequence *
schema_add_sequence(struct schema *s, const char *sch, const char *name)
{
	struct sch_sequence *q = schema_grow(&s->seqs, &s->nseqs,
	    sizeof(*q));

	if (q == NULL || (q->schema = strdup(sch)) == NULL ||
	    (q->name = strdup(name)) == NULL)
		return NULL;
	return q;
}

struct sch_domain *
schema_add_domain(struct schema *s, const char *sch, const char *name)
{
	struct sch_domain *d = schema_grow(&s->domains, &s->ndomains,
	    sizeof(*d));

	if (d == NULL || (d->schema = strdup(sch)) == NULL ||
	    (d->name = strdup(name)) == NULL)
		return NULL;
	return d;
}

struct sch_dcheck *
schema_add_dcheck(struct sch_domain *d, const char *name, const char *expr)
{
	struct sch_dcheck *c = schema_grow(&d->checks, &d->nchecks,
	    sizeof(*c));

	if (c == NULL || (name && (c->name = strdup(name)) == NULL) ||
	    (expr && (c->expr = strdup(expr)) == NULL))
		return NULL;
	return c;
}

struct sch_column *
schema_add_column(struct sch_table *t, const char *name)
{
	struct sch_column *c = schema_grow(&t->cols, &t->ncols, sizeof(*c));

	if (c == NULL || (c->name = strdup(name)) == NULL)
		return NULL;
	return c;
}

struct sch_constraint *
schema_add_constraint(struct sch_table *t, enum sch_con_kind k,
    const char *name)
{
	struct sch_constraint *c = schema_grow(&t->cons, &t->ncons,
	    sizeof(*c));

	if (c == NULL)
		return NULL;
	c->kind = k;
	c->valid = 1;
	c->on_delete = c->on_update = 'a';
	if (name && (c->name = strdup(name)) == NULL)
		return NULL;
	return c;
}

struct sch_index *
schema_add_index(struct sch_table *t, const char *name)
{
	struct sch_index *x = schema_grow(&t->idx, &t->nidx, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->valid = 1;
	if (name && (x->name = strdup(name)) == NULL)
		return NULL;
	return x;
}

int
schema_add_schema(struct schema *s, const char *name)
{
	if (schema_has_schema(s, name))
		return 0;
	return schema_strv_push(&s->schemas, name);
}

const char *
schema_add_file(struct schema *s, const char *name)
{
	if (schema_strv_push(&s->files, name) == -1)
		return NULL;
	return s->files[schema_strv_len(s->files) - 1];
}

/* ---- lookups ---- */

static size_t
table_hash(const char *sch, const char *name)
{
	size_t h = 14695981039346656037UL;

	while (*sch)
		h = (h ^ (unsigned char)*sch++) * 1099511628211UL;
	h = (h ^ '.') * 1099511628211UL;
	while (*name)
		h = (h ^ (unsigned char)*name++) * 1099511628211UL;
	return h;
}

/* Bring the index up to date with tables added since; 0 or -1. */
static int
table_index(struct schema *s)
{
	size_t i, j;

	if (s->tindex_cap < 2 * s->ntables + 16) {
		size_t cap = 64, *t;

		while (cap < 4 * s->ntables + 16)
			cap *= 2;
		if ((t = calloc(cap, sizeof(*t))) == NULL)
			return -1;
		free(s->tindex);
		s->tindex = t;
		s->tindex_cap = cap;
		s->tindex_n = 0;
	}
	for (i = s->tindex_n; i < s->ntables; i++) {
		j = table_hash(s->tables[i].schema, s->tables[i].name) &
		    (s->tindex_cap - 1);
		while (s->tindex[j])
			j = (j + 1) & (s->tindex_cap - 1);
		s->tindex[j] = i + 1;
	}
	s->tindex_n = s->ntables;
	return 0;
}

struct sch_table *
schema_find_table(const struct schema *cs, const char *sch, const char *name)
{
	/* the index is a cache: updating it does not change the schema */
	struct schema *s = (struct schema *)(uintptr_t)cs;
	size_t j;

	if (s->ntables > 8 && (s->tindex_n == s->ntables ||
	    table_index(s) == 0)) {
		j = table_hash(sch, name) & (s->tindex_cap - 1);
		for (; s->tindex[j]; j = (j + 1) & (s->tindex_cap - 1)) {
			struct sch_table *t = &s->tables[s->tindex[j] - 1];

			if (!strcmp(t->name, name) && !strcmp(t->schema, sch))
				return t;
		}
		return NULL;
	}
	for (size_t i = 0; i < s->ntables; i++)
		if (!strcmp(s->tables[i].name, name) &&
		    !strcmp(s->tables[i].schema, sch))
			return &s->tables[i];
	return NULL;
}

struct sch_enum *
schema_find_enum(const struct schema *s, const char *sch, const char *name)
{
	for (size_t i = 0; i < s->nenums; i++)
		if (!strcmp(s->enums[i].schema, sch) &&
		    !strcmp(s->enums[i].name, name))
			return &s->enums[i];
	return NULL;
}

struct sch_extension *
schema_find_extension(const struct schema *s, const char *name)
{
	for (size_t i = 0; i < s->nexts; i++)
		if (!strcmp(s->exts[i].name, name))
			return &s->exts[i];
	return NULL;
}

struct sch_sequence *
schema_find_sequence(const struct schema *s, const char *sch,
    const char *name)
{
	for (size_t i = 0; i < s->nseqs; i++)
		if (!strcmp(s->seqs[i].schema, sch) &&
		    !strcmp(s->seqs[i].name, name))
			return &s->seqs[i];
	return NULL;
}

struct sch_domain *
schema_find_domain(const struct schema *s, const char *sch,
    const char *name)
{
	for (size_t i = 0; i < s->ndomains; i++)
		if (!strcmp(s->domains[i].schema, sch) &&
		    !strcmp(s->domains[i].name, name))
			return &s->domains[i];
	return NULL;
}

struct sch_column *
schema_find_column(const struct sch_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return &t->cols[i];
	return NULL;
}

struct sch_constraint *
schema_find_constraint(const struct sch_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].name && !strcmp(t->cons[i].name, name))
			return &t->cons[i];
	return NULL;
}

struct sch_constraint *
schema_find_pk(const struct sch_table *t)
{
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == SCH_PK)
			return &t->cons[i];
	return NULL;
}

struct sch_index *
schema_find_index(const struct sch_table *t, const char *name)
{
	for (size_t i = 0; i < t->nidx; i++)
		if (t->idx[i].name && !strcmp(t->idx[i].name, name))
			return &t->idx[i];
	return NULL;
}

int
schema_has_schema(const struct schema *s, const char *name)
{
	for (size_t i = 0; s->schemas && s->schemas[i]; i++)
		if (!strcmp(s->schemas[i], name))
			return 1;
	return 0;
}

int
schema_is_empty(const struct schema *s)
{
	return (s->schemas == NULL || s->schemas[0] == NULL) &&
	    s->nexts == 0 && s->nseqs == 0 && s->ndomains == 0 &&
	    s->ntables == 0 && s->nenums == 0 && s->nobjs == 0;
}

/* ---- names ---- */

char *
schema_default_name(const char *table, char *const *cols,
    const char *suffix)
{
	char buf[1024];
	size_t off;

	off = (size_t)snprintf(buf, sizeof(buf), "%s", table);
	for (size_t i = 0; cols && cols[i] && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "_%s",
		    cols[i]);
	if (off >= sizeof(buf))
		off = sizeof(buf) - 1;
	/* keep the suffix whole, cut the front part to fit 63 bytes */
	if (off + 1 + strlen(suffix) > NAMEDATALEN - 1)
		off = NAMEDATALEN - 2 - strlen(suffix);
	buf[off] = '\0';
	/* a cut identifier must not end in the middle of a UTF-8 sequence */
	while (off > 0 && ((unsigned char)buf[off - 1] & 0xc0) == 0x80)
		buf[--off] = '\0';
	if (off > 0 && ((unsigned char)buf[off - 1] & 0xc0) == 0xc0)
		buf[--off] = '\0';
	snprintf(buf + off, sizeof(buf) - off, "_%s", suffix);
	return strdup(buf);
}

/* ---- types: parsed by libpg_query, spelled as format_type() does ---- */

struct type_alias {
	const char	*in;		/* internal or alias name */
	const char	*out;		/* format_type() spelling */
	int		 mods;		/* typmods allowed: 0, 1 or 2 */
};

static const struct type_alias type_aliases[] = {
	{ "int4", "integer", 0 },	{ "integer", "integer", 0 },
	{ "int", "integer", 0 },	{ "int2", "smallint", 0 },
	{ "smallint", "smallint", 0 },	{ "int8", "bigint", 0 },
	{ "bigint", "bigint", 0 },	{ "float4", "real", 0 },
	{ "real", "real", 0 },		{ "float8", "double precision", 0 },
	{ "bool", "boolean", 0 },	{ "boolean", "boolean", 0 },
	{ "numeric", "numeric", 2 },	{ "decimal", "numeric", 2 },
	{ "varchar", "character varying", 1 },
	{ "bpchar", "character", 1 },	{ "char", "character", 1 },
	{ "timestamp", "timestamp without time zone", 1 },
	{ "timestamptz", "timestamp with time zone", 1 },
	{ "time", "time without time zone", 1 },
	{ "timetz", "time with time zone", 1 },
	{ "interval", "interval", 0 },	{ "text", "text", 0 },
	{ "uuid", "uuid", 0 },		{ "jsonb", "jsonb", 0 },
	{ "json", "json", 0 },		{ "bytea", "bytea", 0 },
	{ "date", "date", 0 },		{ "inet", "inet", 0 },
	{ "cidr", "cidr", 0 },		{ "macaddr", "macaddr", 0 },
	{ "money", "money", 0 },	{ "tsvector", "tsvector", 0 },
	{ "tsquery", "tsquery", 0 },	{ "xml", "xml", 0 },
	{ "oid", "oid", 0 },		{ "bit", "bit", 1 },
	{ "varbit", "bit varying", 1 },	{ "point", "point", 0 },
	{ "int4range", "int4range", 0 }, { "int8range", "int8range", 0 },
	{ "tstzrange", "tstzrange", 0 }, { "daterange", "daterange", 0 },
	{ "numrange", "numrange", 0 },
	{ NULL, NULL, 0 },
};

static int
type_mods(json_t *tn, long mods[2])
{
	json_t *v;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(tn, "typmods"), i, v) {
		json_t *c = json_object_get(v, "A_Const");
		json_t *iv = json_object_get(json_object_get(c, "ival"),
		    "ival");

		if (c == NULL || n == 2)
			return -1;
		mods[n++] = iv ? (long)json_integer_value(iv) : 0;
	}
	return n;
}

static int
type_spell(const struct type_alias *a, const long mods[2], int nmods,
    int array, char **out)
{
	const char *tz = NULL;
	char base[64], buf[128];

	if (nmods > a->mods)
		return -1;
	if (!strncmp(a->out, "timestamp ", 10) || !strncmp(a->out, "time ", 5))
		tz = strchr(a->out, ' ') + 1;
	if (tz) {
		snprintf(base, sizeof(base), "%.*s", (int)(tz - a->out - 1),
		    a->out);
		if (nmods)
			snprintf(buf, sizeof(buf), "%s(%ld) %s", base, mods[0],
			    tz);
		else
			snprintf(buf, sizeof(buf), "%s", a->out);
	} else if (nmods == 2)
		snprintf(buf, sizeof(buf), "%s(%ld,%ld)", a->out, mods[0],
		    mods[1]);
	else if (nmods == 1 && !strcmp(a->out, "numeric"))
		snprintf(buf, sizeof(buf), "numeric(%ld,0)", mods[0]);
	else if (nmods == 1)
		snprintf(buf, sizeof(buf), "%s(%ld)", a->out, mods[0]);
	else if (!strcmp(a->out, "character"))
		snprintf(buf, sizeof(buf), "character(1)");
	else
		snprintf(buf, sizeof(buf), "%s", a->out);
	if (array)
		strcat(buf, "[]");
	return (*out = strdup(buf)) ? 0 : -1;
}

/* stmts[0].stmt.SelectStmt.targetList[0].ResTarget.val of a parse tree */
static json_t *
schema_first_target(json_t *root)
{
	json_t *s = json_array_get(json_object_get(root, "stmts"), 0);

	s = json_object_get(json_object_get(s, "stmt"), "SelectStmt");
	s = json_array_get(json_object_get(s, "targetList"), 0);
	return json_object_get(json_object_get(s, "ResTarget"), "val");
}

int
schema_type_canon(const char *type, char **out, int *is_array,
    struct merr *e)
{
	PgQueryParseResult r;
	json_t *root = NULL, *tn, *names;
	char *sql = NULL;
	const char *last;
	long mods[2] = { 0, 0 };
	int nmods, rc = -1;
	size_t nn;

	*out = NULL;
	*is_array = 0;
	if (strchr(type, ';') || asprintf(&sql, "SELECT NULL::%s", type) == -1)
		return merr_set(e, MERR_INPUT, "invalid type '%s'", type);
	r = pg_query_parse(sql);
	if (r.error == NULL)
		root = json_loads(r.parse_tree, 0, NULL);
	tn = json_object_get(json_object_get(schema_first_target(root),
	    "TypeCast"), "typeName");
	names = json_object_get(tn, "names");
	nn = json_array_size(names);
	if (tn == NULL || json_array_size(json_object_get(root, "stmts")) != 1 ||
	    nn == 0 || nn > 2) {
		merr_set(e, MERR_INPUT, "invalid type '%s'", type);
		goto out;
	}
	last = json_string_value(json_object_get(json_object_get(
	    json_array_get(names, nn - 1), "String"), "sval"));
	if (nn == 2 && strcmp(json_string_value(json_object_get(
	    json_object_get(json_array_get(names, 0), "String"), "sval")),
	    "pg_catalog") != 0) {
		merr_set(e, MERR_INPUT, "unknown type '%s'", type);
		goto out;
	}
	*is_array = json_array_size(json_object_get(tn, "arrayBounds")) > 0;
	if ((nmods = type_mods(tn, mods)) < 0) {
		merr_set(e, MERR_INPUT, "invalid type modifier in '%s'", type);
		goto out;
	}
	for (const struct type_alias *a = type_aliases; a->in; a++)
		if (last && !strcmp(a->in, last)) {
			if (type_spell(a, mods, nmods, *is_array, out) == -1)
				merr_set(e, MERR_INPUT, "invalid type "
				    "modifier in '%s'", type);
			else
				rc = 0;
			goto out;
		}
	merr_set(e, MERR_INPUT, "unknown type '%s'", type);
out:
	json_decref(root);
	pg_query_free_parse_result(r);
	free(sql);
	return rc;
}

/* A name as format_type() prints it: bare when plainly lower case. */
static int
type_name_put(char *buf, size_t len, size_t *off, const char *name)
{
	const char *p = name;
	int bare = *p == '_' || (*p >= 'a' && *p <= 'z');
	int n;

	for (; bare && *p; p++)
		bare = *p == '_' || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '$';
	if (bare)
		n = snprintf(buf + *off, len - *off, "%s", name);
	else {
		n = snprintf(buf + *off, len - *off, "\"");
		for (p = name; *p && n > 0; p++)
			n += snprintf(buf + *off + (size_t)n, len - *off -
			    (size_t)n, *p == '"' ? "\"\"" : "%c", *p);
		n += snprintf(buf + *off + (size_t)n, len - *off - (size_t)n,
		    "\"");
	}
	*off += (size_t)n;
	return *off < len ? 0 : -1;
}

/*
 * Modifiers that are not all integers (PostGIS: geometry(Polygon,4326)):
 * the text between the parentheses as written, blanks removed, as
 * format_type() prints what the type's typmodout made of them.  Only
 * letters, digits, '_' and ',' (the text goes into DDL as it is).
 */
static int
raw_mods(const char *type, char *buf, size_t len, size_t *off)
{
	const char *open = strchr(type, '('), *close;

	if (open == NULL || (close = strchr(open, ')')) == NULL ||
	    strchr(close + 1, '(') || strchr(close + 1, ')'))
		return -1;
	for (const char *p = open; p <= close; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == ',' ||
		    *p == '(' || *p == ')') || *off + 1 >= len)
			return -1;
		buf[(*off)++] = *p;
	}
	buf[*off] = '\0';
	return 0;
}

int
schema_type_other(const char *type, char **out, struct merr *e)
{
	PgQueryParseResult r;
	json_t *root = NULL, *tn, *names, *v;
	char *sql = NULL, buf[256];
	long mods[2] = { 0, 0 };
	int nmods, rc = -1;
	size_t nn, i, off = 0, first;

	*out = NULL;
	if (strchr(type, ';') || asprintf(&sql, "SELECT NULL::%s", type) == -1)
		return merr_set(e, MERR_INPUT, "invalid type '%s'", type);
	r = pg_query_parse(sql);
	if (r.error == NULL)
		root = json_loads(r.parse_tree, 0, NULL);
	tn = json_object_get(json_object_get(schema_first_target(root),
	    "TypeCast"), "typeName");
	names = json_object_get(tn, "names");
	nn = json_array_size(names);
	if (tn == NULL || json_array_size(json_object_get(root, "stmts")) != 1 ||
	    nn == 0 || nn > 2) {
		merr_set(e, MERR_INPUT, "invalid type '%s'", type);
		goto out;
	}
	nmods = type_mods(tn, mods);
	first = nn == 2 && !strcmp(json_string_value(json_object_get(
	    json_object_get(json_array_get(names, 0), "String"), "sval")),
	    "public") ? 1 : 0;
	for (i = first; i < nn; i++) {
		v = json_object_get(json_object_get(json_array_get(names, i),
		    "String"), "sval");
		if (!json_is_string(v) || (i > first && off < sizeof(buf) &&
		    (buf[off++] = '.', 0)) || type_name_put(buf, sizeof(buf),
		    &off, json_string_value(v)) == -1)
			break;
	}
	for (int k = 0; i == nn && k < nmods && off < sizeof(buf); k++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%ld%s",
		    k ? "," : "(", mods[k], k + 1 == nmods ? ")" : "");
	if (i == nn && nmods < 0 && raw_mods(type, buf, sizeof(buf), &off) ==
	    -1)
		i = 0;	/* invalid */
	if (i == nn && off < sizeof(buf) && json_array_size(
	    json_object_get(tn, "arrayBounds")) > 0)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "[]");
	if (i != nn || off >= sizeof(buf)) {
		merr_set(e, MERR_INPUT, "invalid type '%s'", type);
		goto out;
	}
	if ((*out = strdup(buf)) == NULL)
		merr_set(e, MERR_NOMEM, "out of memory");
	else
		rc = 0;
out:
	json_decref(root);
	pg_query_free_parse_result(r);
	free(sql);
	return rc;
}

/* ---- expressions: compared as cleaned libpg_query parse trees ---- */

static json_t *expr_clean(json_t *, const char *src);

/* Drop a leading "pg_catalog" from a names/funcname list. */
static void
expr_clean_names(json_t *names)
{
	const char *s = json_string_value(json_object_get(json_object_get(
	    json_array_get(names, 0), "String"), "sval"));

	if (s && !strcmp(s, "pg_catalog") && json_array_size(names) > 1)
		json_array_remove(names, 0);
}

/* A constant as its text: 1, '1' and 1::integer all become "1". */
static json_t *
expr_const(json_t *c, const char *src)
{
	json_t *v;
	char buf[64];
	const char *s = NULL;

	if ((v = json_object_get(c, "sval")))
		s = json_string_value(json_object_get(v, "sval"));
	else if ((v = json_object_get(c, "fval")))
		s = json_string_value(json_object_get(v, "fval"));
	else if ((v = json_object_get(c, "boolval")))
		s = json_is_true(json_object_get(v, "boolval")) ? "true" :
		    "false";
	else if (json_object_get(c, "ival")) {
		/* read the literal itself: the JSON drops negative values */
		json_int_t loc = json_integer_value(json_object_get(c,
		    "location"));
		snprintf(buf, sizeof(buf), "%ld", strtol(src + loc, NULL, 10));
		s = buf;
	} else if (json_object_get(c, "isnull"))
		s = "NULL";
	return json_pack("{s:s}", "const", s ? s : "");
}

/*
 * x BETWEEN a AND b is stored as (x >= a) AND (x <= b), NOT BETWEEN as
 * (x < a) OR (x > b): build that, then clean it.
 */
static json_t *
expr_between(json_t *ax, json_t *items, int negated, const char *src)
{
	json_t *lexpr = json_object_get(ax, "lexpr"), *tree, *clean;

	tree = json_pack("{s:{s:s, s:[{s:{s:s, s:[{s:{s:s}}], s:O, s:O}},"
	    " {s:{s:s, s:[{s:{s:s}}], s:O, s:O}}]}}",
	    "BoolExpr", "boolop", negated ? "OR_EXPR" : "AND_EXPR", "args",
	    "A_Expr", "kind", "AEXPR_OP", "name", "String", "sval",
	    negated ? "<" : ">=", "lexpr", lexpr, "rexpr",
	    json_array_get(items, 0),
	    "A_Expr", "kind", "AEXPR_OP", "name", "String", "sval",
	    negated ? ">" : "<=", "lexpr", lexpr, "rexpr",
	    json_array_get(items, 1));
	if (tree == NULL)
		return json_null();
	/* the two comparisons share lexpr: clean a private copy */
	clean = json_deep_copy(tree);
	json_decref(tree);
	tree = expr_clean(clean, src);
	json_decref(clean);
	return tree;
}

static json_t *
expr_clean_object(json_t *o, const char *src)
{
	json_t *v, *arg;
	const char *k;
	void *tmp;

	if ((v = json_object_get(o, "A_Const")) && json_object_size(o) == 1)
		return expr_const(v, src);
	if ((v = json_object_get(o, "TypeCast")) && json_object_size(o) == 1) {
		arg = json_object_get(v, "arg");
		if (json_object_get(arg, "A_Const") ||
		    json_object_get(arg, "ColumnRef") ||
		    json_object_get(arg, "A_ArrayExpr") ||
		    json_object_get(arg, "TypeCast"))
			return expr_clean(arg, src);
	}
	if ((v = json_object_get(o, "A_Expr")) && json_object_size(o) == 1) {
		const char *k0 = json_string_value(json_object_get(v, "kind"));
		char kind[32];
		json_t *items = json_object_get(json_object_get(
		    json_object_get(v, "rexpr"), "List"), "items");

		/* copy: setting "kind" frees the old string */
		snprintf(kind, sizeof(kind), "%s", k0 ? k0 : "");
		if (!strcmp(kind, "AEXPR_LIKE") || !strcmp(kind, "AEXPR_ILIKE"))
			json_object_set_new(v, "kind", json_string("AEXPR_OP"));
		if ((!strcmp(kind, "AEXPR_BETWEEN") ||
		    !strcmp(kind, "AEXPR_NOT_BETWEEN")) &&
		    json_array_size(items) == 2)
			return expr_between(v, items, kind[6] == 'N', src);
		if (!strcmp(kind, "AEXPR_IN") && items) {
			const char *op = json_string_value(json_object_get(
			    json_object_get(json_array_get(json_object_get(v,
			    "name"), 0), "String"), "sval"));

			/* NOT IN is printed as <> ALL (ARRAY[...]) */
			json_object_set_new(v, "kind", json_string(op &&
			    !strcmp(op, "<>") ? "AEXPR_OP_ALL" :
			    "AEXPR_OP_ANY"));
			json_object_set_new(v, "rexpr", json_pack(
			    "{s:{s:O}}", "A_ArrayExpr", "elements", items));
		}
	}
	json_object_foreach_safe(o, tmp, k, v) {
		if (!strcmp(k, "location") || !strcmp(k, "funcformat")) {
			json_object_del(o, k);
			continue;
		}
		if (!strcmp(k, "names") || !strcmp(k, "funcname"))
			expr_clean_names(v);
		json_object_set_new(o, k, expr_clean(v, src));
	}
	return json_incref(o);
}

/* Returns a new reference to the cleaned tree (may be a new node). */
static json_t *
expr_clean(json_t *j, const char *src)
{
	size_t i;
	json_t *v;

	if (json_is_object(j))
		return expr_clean_object(j, src);
	if (json_is_array(j))
		json_array_foreach(j, i, v)
			json_array_set_new(j, i, expr_clean(v, src));
	return json_incref(j);
}

/* The cleaned tree of "SELECT expr" as compact text, or NULL. */
static char *
expr_canon(const char *expr)
{
	PgQueryParseResult r;
	json_t *root = NULL, *clean;
	char *sql = NULL, *out = NULL;

	if (asprintf(&sql, "SELECT (%s)", expr) == -1)
		return NULL;
	r = pg_query_parse(sql);
	if (r.error == NULL && (root = json_loads(r.parse_tree, 0, NULL))) {
		json_t *stmts = json_object_get(root, "stmts");

		if (json_array_size(stmts) == 1) {
			clean = expr_clean(json_array_get(stmts, 0), sql);
			out = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS);
			json_decref(clean);
		}
	}
	json_decref(root);
	pg_query_free_parse_result(r);
	free(sql);
	return out;
}

char *
schema_stmt_canon(const char *sql, void (*fix)(struct json_t *,
    const void *), const void *arg)
{
	PgQueryParseResult r;
	json_t *root = NULL, *stmt, *clean;
	char *out = NULL;

	r = pg_query_parse(sql);
	if (r.error == NULL && (root = json_loads(r.parse_tree, 0, NULL)) &&
	    json_array_size(json_object_get(root, "stmts")) == 1) {
		stmt = json_object_get(json_array_get(json_object_get(root,
		    "stmts"), 0), "stmt");
		if (fix && stmt)
			fix(stmt, arg);
		clean = expr_clean(stmt, sql);
		out = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(clean);
	}
	json_decref(root);
	pg_query_free_parse_result(r);
	return out;
}

static int expr_equal_text(const char *, const char *);

int
schema_expr_is_constant(const char *expr)
{
	static const char *const nodes[] = { "\"FuncCall\"",
	    "\"ColumnRef\"", "\"SubLink\"", "\"ParamRef\"",
	    "\"SQLValueFunction\"", NULL };
	char *c = expr_canon(expr);
	int ok = c != NULL;

	for (int i = 0; ok && nodes[i]; i++)
		if (strstr(c, nodes[i]))
			ok = 0;
	free(c);
	return ok;
}

int
schema_expr_equal(const char *a, const char *b)
{
	return schema_expr_equal_memo(NULL, a, b);
}

/* One SELECT with one target and nothing else: a single expression. */
static int
expr_is_single(const char *tree)
{
	json_t *root = json_loads(tree, 0, NULL), *sel;
	const char *k;
	json_t *v;
	int ok;

	sel = json_object_get(json_object_get(json_array_get(json_object_get(
	    root, "stmts"), 0), "stmt"), "SelectStmt");
	ok = json_array_size(json_object_get(root, "stmts")) == 1 &&
	    json_array_size(json_object_get(sel, "targetList")) == 1;
	json_object_foreach(sel, k, v)
		if (strcmp(k, "targetList") && strcmp(k, "limitOption") &&
		    strcmp(k, "op"))
			ok = 0;
	json_decref(root);
	return ok;
}

int
schema_expr_check(const char *expr, struct merr *e)
{
	PgQueryParseResult r;
	char *sql = NULL;
	int rc = 0;

	if (asprintf(&sql, "SELECT (%s)", expr) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	r = pg_query_parse(sql);
	if (r.error)
		rc = merr_set(e, MERR_INPUT, "invalid SQL expression: %s",
		    r.error->message);
	else if (!expr_is_single(r.parse_tree))
		rc = merr_set(e, MERR_INPUT, "invalid SQL expression: not a "
		    "single expression");
	pg_query_free_parse_result(r);
	free(sql);
	return rc;
}

/* ---- memo: open addressing, string -> canonical form ---- */

struct sch_memo {
	char	**key;
	char	**val;		/* canonical text; "" when it did not parse */
	size_t	 cap, n;
};

struct sch_memo *
schema_memo_new(void)
{
	struct sch_memo *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->cap = 256;
	m->key = calloc(m->cap, sizeof(char *));
	m->val = calloc(m->cap, sizeof(char *));
	if (m->key == NULL || m->val == NULL) {
		schema_memo_free(m);
		return NULL;
	}
	return m;
}

void
schema_memo_free(struct sch_memo *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; m->key && i < m->cap; i++) {
		free(m->key[i]);
		free(m->val[i]);
	}
	free(m->key);
	free(m->val);
	free(m);
}

static size_t
memo_hash(const char *s)
{
	size_t h = 14695981039346656037UL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211UL;
	return h;
}

static size_t
memo_slot(const struct sch_memo *m, const char *k)
{
	size_t i = memo_hash(k) & (m->cap - 1);

	while (m->key[i] && strcmp(m->key[i], k))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int
memo_grow(struct sch_memo *m)
{
	struct sch_memo bigger = { NULL, NULL, m->cap * 2, m->n };

	bigger.key = calloc(bigger.cap, sizeof(char *));
	bigger.val = calloc(bigger.cap, sizeof(char *));
	if (bigger.key == NULL || bigger.val == NULL) {
		free(bigger.key);
		free(bigger.val);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->key[i]) {
			size_t j = memo_slot(&bigger, m->key[i]);

			bigger.key[j] = m->key[i];
			bigger.val[j] = m->val[i];
		}
	free(m->key);
	free(m->val);
	*m = bigger;
	return 0;
}

/* The canonical form of expr (borrowed from the memo, or *tofree). */
static const char *
memo_canon(struct sch_memo *m, const char *expr, char **tofree)
{
	size_t i;
	char *c;

	*tofree = NULL;
	if (m == NULL)
		return *tofree = expr_canon(expr);
	i = memo_slot(m, expr);
	if (m->key[i])
		return m->val[i][0] ? m->val[i] : NULL;
	c = expr_canon(expr);
	if (2 * (m->n + 1) > m->cap && memo_grow(m) == 0)
		i = memo_slot(m, expr);
	if (2 * (m->n + 1) > m->cap ||
	    (m->key[i] = strdup(expr)) == NULL)
		return *tofree = c;	/* no room: answer without keeping */
	m->val[i] = c ? c : strdup("");
	if (m->val[i] == NULL) {
		free(m->key[i]);
		m->key[i] = NULL;
		return NULL;
	}
	m->n++;
	return c;
}

/*
 * Spellings that are equal without parsing: "(x)" for x, and a quoted
 * literal followed by the cast PostgreSQL adds ('{}' and '{}'::jsonb).
 */
static int
expr_equal_text(const char *w, const char *h)
{
	size_t lw = strlen(w), lh = strlen(h);

	if (lh == lw + 2 && h[0] == '(' && h[lh - 1] == ')' &&
	    !strncmp(h + 1, w, lw))
		return 1;
	if (lw >= 2 && w[0] == '\'' && w[lw - 1] == '\'' &&
	    strchr(w + 1, '\'') == w + lw - 1 && lh > lw + 2 &&
	    !strncmp(h, w, lw) && h[lw] == ':' && h[lw + 1] == ':' &&
	    strspn(h + lw + 2, "abcdefghijklmnopqrstuvwxyz0123456789_ .[]()\"")
	    == lh - lw - 2)
		return 1;
	return 0;
}

int
schema_expr_equal_memo(struct sch_memo *m, const char *a, const char *b)
{
	const char *ca, *cb;
	char *fa, *fb;
	int eq;

	if (a == NULL || b == NULL)
		return a == b;
	if (!strcmp(a, b) || expr_equal_text(a, b) || expr_equal_text(b, a))
		return 1;
	ca = memo_canon(m, a, &fa);
	cb = memo_canon(m, b, &fb);
	eq = ca && cb && !strcmp(ca, cb);
	free(fa);
	free(fb);
	return eq;
}

int
schema_expr_check_memo(struct sch_memo *m, const char *expr, struct merr *e)
{
	size_t i;

	if (m != NULL) {
		i = memo_slot(m, expr);
		if (m->key[i] && m->val[i][0])
			return 0;
	}
	if (schema_expr_check(expr, e) == -1)
		return -1;
	if (m != NULL) {
		char *f;

		(void)memo_canon(m, expr, &f);
		free(f);
	}
	return 0;
}

/* ---- the functions an expression calls ---- */

static int
funcs_walk(json_t *j, char ***out)
{
	const char *k;
	json_t *v, *names, *n;
	size_t i;
	char buf[2 * NAMEDATALEN + 2];

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (funcs_walk(v, out) == -1)
				return -1;
		return 0;
	}
	if (!json_is_object(j))
		return 0;
	if ((names = json_object_get(json_object_get(j, "FuncCall"),
	    "funcname")) != NULL) {
		buf[0] = '\0';
		json_array_foreach(names, i, n) {
			const char *s = json_string_value(json_object_get(
			    json_object_get(n, "String"), "sval"));

			if (s == NULL || strlen(s) > SCH_NAME_MAX)
				break;
			if (i)
				strcat(buf, ".");
			strcat(buf, s);
		}
		if (i == json_array_size(names) && i > 0 && i < 3) {
			for (i = 0; *out && (*out)[i]; i++)
				if (!strcmp((*out)[i], buf))
					break;
			if ((*out == NULL || (*out)[i] == NULL) &&
			    schema_strv_push(out, buf) == -1)
				return -1;
		}
	}
	json_object_foreach(j, k, v)
		if (funcs_walk(v, out) == -1)
			return -1;
	return 0;
}

/* ---- the relations an expression names: 'x'::regclass, nextval('x') ---- */

static const char *
last_sval(json_t *names)
{
	json_t *n = json_array_get(names, json_array_size(names) - 1);

	return json_string_value(json_object_get(json_object_get(n, "String"),
	    "sval"));
}

static const char *
const_sval(json_t *node)
{
	return json_string_value(json_object_get(json_object_get(
	    json_object_get(node, "A_Const"), "sval"), "sval"));
}

static int
rels_walk(json_t *j, char ***out)
{
	const char *k, *f, *rel = NULL;
	json_t *v, *cast, *call;
	size_t i;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (rels_walk(v, out) == -1)
				return -1;
		return 0;
	}
	if (!json_is_object(j))
		return 0;
	if ((cast = json_object_get(j, "TypeCast")) != NULL &&
	    (f = last_sval(json_object_get(json_object_get(cast, "typeName"),
	    "names"))) != NULL && !strcmp(f, "regclass"))
		rel = const_sval(json_object_get(cast, "arg"));
	if ((call = json_object_get(j, "FuncCall")) != NULL &&
	    (f = last_sval(json_object_get(call, "funcname"))) != NULL &&
	    (!strcmp(f, "nextval") || !strcmp(f, "currval") ||
	    !strcmp(f, "setval")))
		rel = const_sval(json_array_get(json_object_get(call, "args"), 0));
	if (rel) {
		for (i = 0; *out && (*out)[i]; i++)
			if (!strcmp((*out)[i], rel))
				break;
		if ((*out == NULL || (*out)[i] == NULL) &&
		    schema_strv_push(out, rel) == -1)
			return -1;
	}
	json_object_foreach(j, k, v)
		if (rels_walk(v, out) == -1)
			return -1;
	return 0;
}

int
schema_sql_funcs(const char *sql, char ***out)
{
	PgQueryParseResult r;
	json_t *root = NULL;
	int rc = 0;

	r = pg_query_parse(sql);
	if (r.error == NULL && (root = json_loads(r.parse_tree, 0, NULL)))
		rc = funcs_walk(root, out);
	json_decref(root);
	pg_query_free_parse_result(r);
	return rc;
}

/* expr parsed as "SELECT (expr)", its tree given to walk; 0 if it does
   not parse (the server will say why) */
static int
expr_collect(const char *expr, int (*walk)(json_t *, char ***), char ***out)
{
	PgQueryParseResult r;
	json_t *root = NULL;
	char *sql = NULL;
	int rc = 0;

	if (expr == NULL)
		return 0;
	if (asprintf(&sql, "SELECT (%s)", expr) == -1)
		return -1;
	r = pg_query_parse(sql);
	if (r.error == NULL && (root = json_loads(r.parse_tree, 0, NULL)))
		rc = walk(root, out);
	json_decref(root);
	pg_query_free_parse_result(r);
	free(sql);
	return rc;
}

int
schema_expr_funcs(const char *expr, char ***out)
{
	return expr_collect(expr, funcs_walk, out);
}

int
schema_expr_relations(const char *expr, char ***out)
{
	return expr_collect(expr, rels_walk, out);
}

/*
 * PostgreSQL's name for a serial column's sequence (makeObjectName() in
 * indexcmds.c): table_column_seq, the longer of the two names cut one
 * byte at a time until it fits in 63 bytes, never inside a UTF-8
 * character.
 */
char *
schema_serial_seq_name(const char *table, const char *col)
{
	size_t l1 = strlen(table), l2 = strlen(col);
	size_t avail = SCH_NAME_MAX - (1 + strlen("seq") + 1);
	char *out;

	while (l1 + l2 > avail) {
		if (l1 > l2)
			l1--;
		else
			l2--;
	}
	while (l1 > 0 && ((unsigned char)table[l1] & 0xC0) == 0x80)
		l1--;
	while (l2 > 0 && ((unsigned char)col[l2] & 0xC0) == 0x80)
		l2--;
	if (asprintf(&out, "%.*s_%.*s_seq", (int)l1, table, (int)l2, col) ==
	    -1)
		return NULL;
	return out;
}
