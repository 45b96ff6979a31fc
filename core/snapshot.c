/*
 * snapshot.c - a struct schema as JSON text (see snapshot.h): the writer
 * builds a jansson tree and prints it spread over lines only where a list
 * holds objects (one column, key or index per line); the reader checks
 * every key and builds the schema with the schema_add_*() functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "snapshot.h"

static const struct {
	enum sch_con_kind	 kind;
	const char		*name;
} snap_kinds[] = {
	{ SCH_PK, "primary key" }, { SCH_UNIQUE, "unique" },
	{ SCH_FK, "foreign key" }, { SCH_CHECK, "check" },
	{ SCH_EXCLUDE, "exclusion" },
};

static const struct {
	char		 letter;
	const char	*name;
} snap_actions[] = {
	{ 'a', "no action" }, { 'r', "restrict" }, { 'c', "cascade" },
	{ 'n', "set null" }, { 'd', "set default" },
};

static const char *const snap_identities[] = { "always", "by default" };

/* ---- writing ---- */

/* Sets *bad when v is NULL (out of memory, or text not UTF-8). */
static void
put(json_t *o, const char *key, json_t *v, int *bad)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		*bad = 1;
}

static void
put_str(json_t *o, const char *key, const char *s, int *bad)
{
	if (s)
		put(o, key, json_string(s), bad);
}

static void
put_true(json_t *o, const char *key, int set, int *bad)
{
	if (set)
		put(o, key, json_true(), bad);
}

static void
put_strv(json_t *o, const char *key, char *const *v, int *bad)
{
	json_t *a;

	if (v == NULL || v[0] == NULL)
		return;
	put(o, key, a = json_array(), bad);
	for (size_t i = 0; a && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) == -1)
			*bad = 1;
}

static const char *
snap_action_name(char a)
{
	for (size_t i = 0; i < sizeof(snap_actions) / sizeof(*snap_actions);
	    i++)
		if (snap_actions[i].letter == a)
			return snap_actions[i].name;
	return "?";
}

static json_t *
snap_column(const struct sch_column *c, int *bad)
{
	json_t *o = json_object();

	put_str(o, "name", c->name, bad);
	put_str(o, "type", c->type, bad);
	put_true(o, "enum", c->is_enum, bad);
	put_true(o, "domain", c->is_domain, bad);
	put_true(o, "ext_type", c->ext_type, bad);
	put_true(o, "not_null", c->notnull, bad);
	if (c->identity)
		put_str(o, "identity", snap_identities[c->identity != 'a'],
		    bad);
	put_str(o, "default", c->def, bad);
	put_true(o, "serial", c->serial, bad);
	put_str(o, "serial_seq", c->serial_seq, bad);
	put_str(o, "generated", c->generated, bad);
	put_str(o, "collation", c->collation, bad);
	put_str(o, "comment", c->comment, bad);
	put_str(o, "was", c->was, bad);
	if (c->num)
		put(o, "num", json_integer(c->num), bad);
	return o;
}

static json_t *
snap_constraint(const struct sch_constraint *c, int *bad)
{
	json_t *o = json_object();
	const char *kind = "?";

	for (size_t i = 0; i < sizeof(snap_kinds) / sizeof(*snap_kinds); i++)
		if (snap_kinds[i].kind == c->kind)
			kind = snap_kinds[i].name;
	put_str(o, "kind", kind, bad);
	put_str(o, "name", c->name, bad);
	put_strv(o, "columns", c->cols, bad);
	put_str(o, "ref_schema", c->ref_schema, bad);
	put_str(o, "ref_table", c->ref_table, bad);
	put_strv(o, "ref_columns", c->ref_cols, bad);
	if (c->on_delete != 'a')
		put_str(o, "on_delete", snap_action_name(c->on_delete), bad);
	if (c->on_update != 'a')
		put_str(o, "on_update", snap_action_name(c->on_update), bad);
	put_str(o, "expr", c->expr, bad);
	if (!c->valid)
		put(o, "valid", json_false(), bad);
	put_true(o, "deferrable", c->deferrable, bad);
	put_true(o, "initially_deferred", c->deferred, bad);
	if (c->match)
		put_str(o, "match", c->match == 'f' ? "full" : "partial", bad);
	put_strv(o, "include", c->include, bad);
	put_true(o, "nulls_not_distinct", c->nulls_not_distinct, bad);
	return o;
}

static json_t *
snap_index(const struct sch_index *x, int *bad)
{
	json_t *o = json_object();

	put_str(o, "name", x->name, bad);
	put_true(o, "unique", x->unique, bad);
	put_str(o, "method", x->method, bad);
	put_strv(o, "keys", x->keys, bad);
	put_strv(o, "options", x->opts, bad);
	put_strv(o, "include", x->include, bad);
	put_strv(o, "storage", x->storage, bad);
	put_str(o, "comment", x->comment, bad);
	put_true(o, "nulls_not_distinct", x->nulls_not_distinct, bad);
	put_str(o, "where", x->where, bad);
	if (!x->valid)
		put(o, "valid", json_false(), bad);
	return o;
}

/* Append the object each of n items makes; the list only when n > 0. */
#define PUT_LIST(o, key, v, n, fn, bad) do {				\
	json_t *a_ = (n) ? json_array() : NULL;				\
									\
	if (n)								\
		put((o), (key), a_, (bad));				\
	for (size_t i_ = 0; a_ && i_ < (n); i_++)			\
		if (json_array_append_new(a_, fn(&(v)[i_], (bad))) == -1) \
			*(bad) = 1;					\
} while (0)

static json_t *
snap_table(const struct sch_table *t, int *bad)
{
	json_t *o = json_object();

	put_str(o, "schema", t->schema, bad);
	put_str(o, "name", t->name, bad);
	put_str(o, "comment", t->comment, bad);
	if (t->rows != -1)
		put(o, "rows", json_integer(t->rows != 0), bad);
	if (t->partition)
		put_str(o, "partition", t->partition == 'p' ? "partitioned" :
		    "partition", bad);
	if (t->rls)
		put_str(o, "row_level_security", t->rls == 2 ? "forced" :
		    "enabled", bad);
	if (t->unlogged)
		put(o, "unlogged", json_true(), bad);
	put_strv(o, "storage", t->storage, bad);
	PUT_LIST(o, "columns", t->cols, t->ncols, snap_column, bad);
	PUT_LIST(o, "constraints", t->cons, t->ncons, snap_constraint, bad);
	PUT_LIST(o, "indexes", t->idx, t->nidx, snap_index, bad);
	return o;
}

static json_t *
snap_enum(const struct sch_enum *en, int *bad)
{
	json_t *o = json_object();

	put_str(o, "schema", en->schema, bad);
	put_str(o, "name", en->name, bad);
	put(o, "labels", json_array(), bad);
	for (size_t i = 0; en->labels && en->labels[i]; i++)
		if (json_array_append_new(json_object_get(o, "labels"),
		    json_string(en->labels[i])) == -1)
			*bad = 1;
	return o;
}

static json_t *
snap_extension(const struct sch_extension *x, int *bad)
{
	json_t *o = json_object();

	put_str(o, "name", x->name, bad);
	put_str(o, "schema", x->schema, bad);
	put_str(o, "version", x->version, bad);
	return o;
}

static json_t *
snap_sequence(const struct sch_sequence *q, int *bad)
{
	json_t *o = json_object();

	put_str(o, "schema", q->schema, bad);
	put_str(o, "name", q->name, bad);
	put_str(o, "type", q->type, bad);
	put(o, "start", json_integer(q->start), bad);
	put(o, "increment", json_integer(q->increment), bad);
	put(o, "min", json_integer(q->min), bad);
	put(o, "max", json_integer(q->max), bad);
	put(o, "cache", json_integer(q->cache), bad);
	put_true(o, "cycle", q->cycle, bad);
	put_true(o, "unlogged", q->unlogged, bad);
	put_str(o, "owned_by", q->owned_by, bad);
	return o;
}

static json_t *
snap_dcheck(const struct sch_dcheck *c, int *bad)
{
	json_t *o = json_object();

	put_str(o, "name", c->name, bad);
	put_str(o, "expr", c->expr, bad);
	return o;
}

static json_t *
snap_domain(const struct sch_domain *d, int *bad)
{
	json_t *o = json_object();

	put_str(o, "schema", d->schema, bad);
	put_str(o, "name", d->name, bad);
	put_str(o, "type", d->type, bad);
	put_true(o, "base_enum", d->base_enum, bad);
	put_true(o, "not_null", d->notnull, bad);
	put_str(o, "default", d->def, bad);
	put_str(o, "collation", d->collation, bad);
	PUT_LIST(o, "checks", d->checks, d->nchecks, snap_dcheck, bad);
	return o;
}

static const char *const snap_okinds[] = { "view", "materialized view",
    "function", "procedure", "trigger", "policy", "rule", "aggregate" };
static const char snap_oletters[] = { SCH_VIEW, SCH_MATVIEW, SCH_FUNCTION,
    SCH_PROCEDURE, SCH_TRIGGER, SCH_POLICY, SCH_RULE, SCH_AGGREGATE, 0 };
static const char *const snap_cmds[] = { "all", "select", "insert",
    "update", "delete" };
static const char snap_cmdletters[] = "*rawd";

static json_t *
snap_object(const struct sch_object *ob, int *bad)
{
	json_t *o = json_object();
	char en[2] = { ob->enabled, 0 };

	put_str(o, "kind", snap_okinds[strchr(snap_oletters, ob->kind) -
	    snap_oletters], bad);
	put_str(o, "schema", ob->schema, bad);
	put_str(o, "name", ob->name, bad);
	put_str(o, "table", ob->table, bad);
	put_str(o, "sql", ob->sql, bad);
	put_strv(o, "deps", ob->deps, bad);
	put_str(o, "identity_arguments", ob->ident, bad);
	put_str(o, "arguments", ob->args, bad);
	put_str(o, "result", ob->result, bad);
	put_str(o, "definition", ob->def, bad);
	put_str(o, "columns", ob->cols, bad);
	put_str(o, "options", ob->opts, bad);
	if (ob->kind == SCH_TRIGGER && ob->enabled != 'O')
		put_str(o, "enabled", en, bad);
	if (ob->kind == SCH_POLICY && ob->cmd != '*')
		put_str(o, "command", snap_cmds[strchr(snap_cmdletters,
		    ob->cmd) - snap_cmdletters], bad);
	put_true(o, "restrictive", ob->kind == SCH_POLICY && !ob->permissive,
	    bad);
	put_strv(o, "roles", ob->roles, bad);
	put_str(o, "using", ob->qual, bad);
	put_str(o, "with_check", ob->check, bad);
	put_str(o, "comment", ob->comment, bad);
	return o;
}

static json_t *
snap_schema(const struct schema *s, int *bad)
{
	json_t *o = json_object();

	put(o, "snapshot", json_integer(SNAPSHOT_VERSION), bad);
	put_strv(o, "schemas", s->schemas, bad);
	PUT_LIST(o, "extensions", s->exts, s->nexts, snap_extension, bad);
	PUT_LIST(o, "sequences", s->seqs, s->nseqs, snap_sequence, bad);
	PUT_LIST(o, "domains", s->domains, s->ndomains, snap_domain, bad);
	PUT_LIST(o, "enums", s->enums, s->nenums, snap_enum, bad);
	PUT_LIST(o, "tables", s->tables, s->ntables, snap_table, bad);
	PUT_LIST(o, "objects", s->objs, s->nobjs, snap_object, bad);
	return o;
}

/* Does v hold an object inside a list (then it is spread over lines)? */
static int
snap_spread(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_array(v))
		json_array_foreach(v, i, x)
			if (json_is_object(x))
				return 1;
	if (json_is_object(v))
		json_object_foreach(v, k, x)
			if (json_is_array(x) && snap_spread(x))
				return 1;
	return 0;
}

static int
snap_print(FILE *f, json_t *v, int ind)
{
	const char *k;
	json_t *x;
	size_t i, n = json_is_array(v) ? json_array_size(v) :
	    json_object_size(v);
	char *s;
	int rc = 0;

	if (!snap_spread(v)) {
		if ((s = json_dumps(v, JSON_ENCODE_ANY |
		    JSON_PRESERVE_ORDER)) == NULL)
			return -1;
		fputs(s, f);
		free(s);
		return 0;
	}
	fputs(json_is_array(v) ? "[\n" : "{\n", f);
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			fprintf(f, "%*s", ind + 2, "");
			rc |= snap_print(f, x, ind + 2);
			fputs(i + 1 < n ? ",\n" : "\n", f);
		}
	} else {
		i = 0;
		json_object_foreach(v, k, x) {
			fprintf(f, "%*s\"%s\": ", ind + 2, "", k);
			rc |= snap_print(f, x, ind + 2);
			fputs(++i < n ? ",\n" : "\n", f);
		}
	}
	fprintf(f, "%*s%s", ind, "", json_is_array(v) ? "]" : "}");
	return rc;
}

int
snapshot_format(const struct schema *s, char **out, struct merr *e)
{
	int bad = 0, rc;
	json_t *j = snap_schema(s, &bad);
	size_t len;
	FILE *f;

	*out = NULL;
	if (bad || (f = open_memstream(out, &len)) == NULL) {
		json_decref(j);
		return merr_set(e, MERR_NOMEM, "cannot write the snapshot: "
		    "out of memory or text that is not UTF-8");
	}
	rc = snap_print(f, j, 0);
	fputc('\n', f);
	json_decref(j);
	if (fclose(f) != 0 || rc != 0) {
		free(*out);
		*out = NULL;
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	return 0;
}

/* ---- reading ---- */

struct rd {
	const char	*name;		/* the file, for messages */
	struct merr	*e;
	char		 path[96];	/* "tables[2].columns[0]" */
};

static int
rd_fail(struct rd *r, const char *key, const char *what)
{
	char *f = r->e->field;
	size_t len = sizeof(r->e->field);

	snprintf(f, len, "%s%s%s", r->path, r->path[0] && key ? "." : "",
	    key ? key : "");
	return merr_set(r->e, MERR_INPUT, "invalid snapshot '%s': %s%s%s",
	    r->name, f, f[0] ? ": " : "", what);
}

static int
rd_nomem(struct rd *r)
{
	return merr_set(r->e, MERR_NOMEM, "out of memory");
}

/* o must be an object whose keys are all in known (NULL-terminated). */
static int
rd_keys(struct rd *r, json_t *o, const char *const *known)
{
	const char *k;
	json_t *v;
	char what[160];
	size_t i;

	if (!json_is_object(o))
		return rd_fail(r, NULL, "must be an object");
	json_object_foreach(o, k, v) {
		for (i = 0; known[i] && strcmp(known[i], k); i++)
			;
		if (known[i] == NULL) {
			snprintf(what, sizeof(what), "unknown key '%.100s'", k);
			return rd_fail(r, NULL, what);
		}
	}
	return 0;
}

/* A string key into *out (a copy; NULL when absent and not required). */
static int
rd_str(struct rd *r, json_t *o, const char *key, int required, char **out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL && !required)
		return 0;
	if (v == NULL)
		return rd_fail(r, key, "missing");
	if (!json_is_string(v))
		return rd_fail(r, key, "must be a string");
	free(*out);
	if ((*out = strdup(json_string_value(v))) == NULL)
		return rd_nomem(r);
	return 0;
}

static int
rd_bool(struct rd *r, json_t *o, const char *key, int *out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return rd_fail(r, key, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

static int
rd_strv(struct rd *r, json_t *o, const char *key, char ***out)
{
	json_t *v = json_object_get(o, key), *x;
	size_t i;

	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return rd_fail(r, key, "must be a list of strings");
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return rd_fail(r, key, "must be a list of strings");
		if (schema_strv_push(out, json_string_value(x)) == -1)
			return rd_nomem(r);
	}
	return 0;
}

/* Look s up in a table of names; -1 when unknown. */
static int
rd_word(struct rd *r, json_t *o, const char *key, const char *const *names,
    size_t n, int *out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	for (size_t i = 0; json_is_string(v) && i < n; i++)
		if (!strcmp(json_string_value(v), names[i])) {
			*out = (int)i;
			return 0;
		}
	return rd_fail(r, key, "unknown value");
}

static int
rd_column(struct rd *r, struct sch_table *t, json_t *o)
{
	static const char *const keys[] = { "name", "type", "enum",
	    "domain", "ext_type", "not_null", "identity", "default", "serial",
	    "serial_seq", "generated", "collation", "comment", "was", "num",
	    NULL };
	struct sch_column *c;
	json_t *num = json_object_get(o, "num");
	char *name = NULL;
	int id = -1;

	if (rd_keys(r, o, keys) == -1 || rd_str(r, o, "name", 1, &name) == -1)
		return -1;
	c = schema_add_column(t, name);
	free(name);
	if (c == NULL)
		return rd_nomem(r);
	if (num && !json_is_integer(num))
		return rd_fail(r, "num", "must be an integer");
	c->num = num ? (int)json_integer_value(num) : 0;
	if (rd_word(r, o, "identity", snap_identities, 2, &id) == -1)
		return -1;
	c->identity = id == -1 ? 0 : id == 0 ? 'a' : 'd';
	return rd_str(r, o, "type", 1, &c->type) == -1 ||
	    rd_bool(r, o, "enum", &c->is_enum) == -1 ||
	    rd_bool(r, o, "domain", &c->is_domain) == -1 ||
	    rd_bool(r, o, "ext_type", &c->ext_type) == -1 ||
	    rd_bool(r, o, "not_null", &c->notnull) == -1 ||
	    rd_str(r, o, "default", 0, &c->def) == -1 ||
	    rd_bool(r, o, "serial", &c->serial) == -1 ||
	    rd_str(r, o, "serial_seq", 0, &c->serial_seq) == -1 ||
	    rd_str(r, o, "generated", 0, &c->generated) == -1 ||
	    rd_str(r, o, "collation", 0, &c->collation) == -1 ||
	    rd_str(r, o, "comment", 0, &c->comment) == -1 ||
	    rd_str(r, o, "was", 0, &c->was) == -1 ? -1 : 0;
}

static int
rd_action(struct rd *r, json_t *o, const char *key, char *out)
{
	const char *names[sizeof(snap_actions) / sizeof(*snap_actions)];
	size_t n = sizeof(names) / sizeof(*names);
	int i = -1;

	for (size_t k = 0; k < n; k++)
		names[k] = snap_actions[k].name;
	if (rd_word(r, o, key, names, n, &i) == -1)
		return -1;
	if (i != -1)
		*out = snap_actions[i].letter;
	return 0;
}

static int
rd_constraint(struct rd *r, struct sch_table *t, json_t *o)
{
	static const char *const keys[] = { "kind", "name", "columns",
	    "ref_schema", "ref_table", "ref_columns", "on_delete",
	    "on_update", "expr", "valid", "deferrable", "initially_deferred",
	    "match", "include", "nulls_not_distinct", NULL };
	static const char *const matches[] = { "simple", "full", "partial" };
	const char *names[sizeof(snap_kinds) / sizeof(*snap_kinds)];
	size_t n = sizeof(names) / sizeof(*names);
	struct sch_constraint *c;
	char *name = NULL;
	int k = -1, m = 0;

	for (size_t i = 0; i < n; i++)
		names[i] = snap_kinds[i].name;
	if (rd_keys(r, o, keys) == -1 || rd_str(r, o, "name", 1, &name) == -1)
		return -1;
	if (rd_word(r, o, "kind", names, n, &k) == -1 || k == -1) {
		free(name);
		return k == -1 && json_object_get(o, "kind") == NULL ?
		    rd_fail(r, "kind", "missing") : -1;
	}
	c = schema_add_constraint(t, snap_kinds[k].kind, name);
	free(name);
	if (c == NULL)
		return rd_nomem(r);
	return rd_strv(r, o, "columns", &c->cols) == -1 ||
	    rd_str(r, o, "ref_schema", 0, &c->ref_schema) == -1 ||
	    rd_str(r, o, "ref_table", 0, &c->ref_table) == -1 ||
	    rd_strv(r, o, "ref_columns", &c->ref_cols) == -1 ||
	    rd_action(r, o, "on_delete", &c->on_delete) == -1 ||
	    rd_action(r, o, "on_update", &c->on_update) == -1 ||
	    rd_str(r, o, "expr", 0, &c->expr) == -1 ||
	    rd_bool(r, o, "valid", &c->valid) == -1 ||
	    rd_bool(r, o, "deferrable", &c->deferrable) == -1 ||
	    rd_bool(r, o, "initially_deferred", &c->deferred) == -1 ||
	    rd_strv(r, o, "include", &c->include) == -1 ||
	    rd_bool(r, o, "nulls_not_distinct", &c->nulls_not_distinct) == -1 ||
	    rd_word(r, o, "match", matches, 3, &m) == -1 ? -1 :
	    (c->match = "\0fp"[m], 0);
}

static int
rd_index(struct rd *r, struct sch_table *t, json_t *o)
{
	static const char *const keys[] = { "name", "unique", "method",
	    "keys", "options", "include", "nulls_not_distinct", "where",
	    "valid", "storage", "comment", NULL };
	struct sch_index *x;
	char *name = NULL;

	if (rd_keys(r, o, keys) == -1 || rd_str(r, o, "name", 1, &name) == -1)
		return -1;
	x = schema_add_index(t, name);
	free(name);
	if (x == NULL)
		return rd_nomem(r);
	if (rd_bool(r, o, "unique", &x->unique) == -1 ||
	    rd_str(r, o, "method", 0, &x->method) == -1 ||
	    rd_strv(r, o, "keys", &x->keys) == -1 ||
	    rd_strv(r, o, "options", &x->opts) == -1 ||
	    rd_strv(r, o, "include", &x->include) == -1 ||
	    rd_strv(r, o, "storage", &x->storage) == -1 ||
	    rd_str(r, o, "comment", 0, &x->comment) == -1 ||
	    rd_bool(r, o, "nulls_not_distinct", &x->nulls_not_distinct) == -1 ||
	    rd_str(r, o, "where", 0, &x->where) == -1 ||
	    rd_bool(r, o, "valid", &x->valid) == -1)
		return -1;
	if (x->opts && schema_strv_len(x->opts) != schema_strv_len(x->keys))
		return rd_fail(r, "options", "must have one entry per key");
	return 0;
}

typedef int (*rd_item_fn)(struct rd *, struct sch_table *, json_t *);

/* Each object of the list o[key], with the path set to "key[i]". */
static int
rd_list(struct rd *r, struct sch_table *t, json_t *o, const char *key,
    rd_item_fn fn)
{
	json_t *v = json_object_get(o, key), *x;
	size_t i, len = strlen(r->path);

	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return rd_fail(r, key, "must be a list");
	json_array_foreach(v, i, x) {
		snprintf(r->path + len, sizeof(r->path) - len, "%s%s[%zu]",
		    len ? "." : "", key, i);
		if (fn(r, t, x) == -1)
			return -1;
		r->path[len] = '\0';
	}
	return 0;
}

static int
rd_enum(struct rd *r, struct schema *s, json_t *o)
{
	static const char *const keys[] = { "schema", "name", "labels",
	    NULL };
	char *sch = NULL, *name = NULL;
	struct sch_enum *en = NULL;

	if (rd_keys(r, o, keys) == 0 && rd_str(r, o, "schema", 1, &sch) == 0 &&
	    rd_str(r, o, "name", 1, &name) == 0 &&
	    (en = schema_add_enum(s, sch, name)) == NULL)
		rd_nomem(r);
	free(sch);
	free(name);
	if (en == NULL)
		return -1;
	return rd_strv(r, o, "labels", &en->labels);
}

static int
rd_table(struct rd *r, struct schema *s, json_t *o)
{
	static const char *const keys[] = { "schema", "name", "comment",
	    "rows", "partition", "row_level_security", "unlogged", "storage",
	    "columns",
	    "constraints", "indexes", NULL };
	static const char *const parts[] = { "partitioned", "partition" };
	static const char *const rls[] = { "enabled", "forced" };
	int part = -1, rl = -1;
	char *sch = NULL, *name = NULL;
	struct sch_table *t = NULL;
	json_t *rows = json_object_get(o, "rows");

	if (rd_keys(r, o, keys) == 0 && rd_str(r, o, "schema", 1, &sch) == 0 &&
	    rd_str(r, o, "name", 1, &name) == 0 &&
	    (t = schema_add_table(s, sch, name)) == NULL)
		rd_nomem(r);
	free(sch);
	free(name);
	if (t == NULL)
		return -1;
	if (rows && (!json_is_integer(rows) || json_integer_value(rows) < 0 ||
	    json_integer_value(rows) > 1))
		return rd_fail(r, "rows", "must be 0 or 1");
	t->rows = rows ? (int)json_integer_value(rows) : -1;
	if (rd_word(r, o, "partition", parts, 2, &part) == -1)
		return -1;
	t->partition = part == -1 ? 0 : part == 0 ? 'p' : 'c';
	if (rd_word(r, o, "row_level_security", rls, 2, &rl) == -1)
		return -1;
	t->rls = rl + 1;
	t->unlogged = json_is_true(json_object_get(o, "unlogged"));
	return rd_str(r, o, "comment", 0, &t->comment) == -1 ||
	    rd_strv(r, o, "storage", &t->storage) == -1 ||
	    rd_list(r, t, o, "columns", rd_column) == -1 ||
	    rd_list(r, t, o, "constraints", rd_constraint) == -1 ||
	    rd_list(r, t, o, "indexes", rd_index) == -1 ? -1 : 0;
}

static int
rd_extension(struct rd *r, struct schema *s, json_t *o)
{
	static const char *const keys[] = { "name", "schema", "version",
	    NULL };
	struct sch_extension *x = NULL;
	char *name = NULL;

	if (rd_keys(r, o, keys) == 0 && rd_str(r, o, "name", 1, &name) == 0 &&
	    (x = schema_add_extension(s, name)) == NULL)
		rd_nomem(r);
	free(name);
	if (x == NULL)
		return -1;
	return rd_str(r, o, "schema", 0, &x->schema) == -1 ||
	    rd_str(r, o, "version", 0, &x->version) == -1 ? -1 : 0;
}

static int
rd_int(struct rd *r, json_t *o, const char *key, long long *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return rd_fail(r, key, "must be an integer");
	*out = json_integer_value(v);
	return 0;
}

static int
rd_sequence(struct rd *r, struct schema *s, json_t *o)
{
	static const char *const keys[] = { "schema", "name", "type", "start",
	    "increment", "min", "max", "cache", "cycle", "unlogged", "owned_by",
	    NULL };
	char *sch = NULL, *name = NULL;
	struct sch_sequence *q = NULL;

	if (rd_keys(r, o, keys) == 0 && rd_str(r, o, "schema", 1, &sch) == 0 &&
	    rd_str(r, o, "name", 1, &name) == 0 &&
	    (q = schema_add_sequence(s, sch, name)) == NULL)
		rd_nomem(r);
	free(sch);
	free(name);
	if (q == NULL)
		return -1;
	return rd_str(r, o, "type", 1, &q->type) == -1 ||
	    rd_int(r, o, "start", &q->start) == -1 ||
	    rd_int(r, o, "increment", &q->increment) == -1 ||
	    rd_int(r, o, "min", &q->min) == -1 ||
	    rd_int(r, o, "max", &q->max) == -1 ||
	    rd_int(r, o, "cache", &q->cache) == -1 ||
	    rd_bool(r, o, "cycle", &q->cycle) == -1 ||
	    rd_bool(r, o, "unlogged", &q->unlogged) == -1 ||
	    rd_str(r, o, "owned_by", 0, &q->owned_by) == -1 ? -1 : 0;
}

static int
rd_domain(struct rd *r, struct schema *s, json_t *o)
{
	static const char *const keys[] = { "schema", "name", "type",
	    "base_enum", "not_null", "default", "collation", "checks", NULL };
	static const char *const ckeys[] = { "name", "expr", NULL };
	char *sch = NULL, *name = NULL, *expr = NULL;
	struct sch_domain *d = NULL;
	json_t *x;
	size_t i;

	if (rd_keys(r, o, keys) == 0 && rd_str(r, o, "schema", 1, &sch) == 0 &&
	    rd_str(r, o, "name", 1, &name) == 0 &&
	    (d = schema_add_domain(s, sch, name)) == NULL)
		rd_nomem(r);
	free(sch);
	free(name);
	if (d == NULL || rd_str(r, o, "type", 1, &d->type) == -1 ||
	    rd_bool(r, o, "base_enum", &d->base_enum) == -1 ||
	    rd_bool(r, o, "not_null", &d->notnull) == -1 ||
	    rd_str(r, o, "default", 0, &d->def) == -1 ||
	    rd_str(r, o, "collation", 0, &d->collation) == -1)
		return -1;
	json_array_foreach(json_object_get(o, "checks"), i, x) {
		name = expr = NULL;
		if (rd_keys(r, x, ckeys) == -1 ||
		    rd_str(r, x, "name", 1, &name) == -1 ||
		    rd_str(r, x, "expr", 1, &expr) == -1 ||
		    schema_add_dcheck(d, name, expr) == NULL) {
			free(name);
			free(expr);
			return r->e->msg[0] ? -1 : rd_nomem(r);
		}
		free(name);
		free(expr);
	}
	return 0;
}

static int
rd_object(struct rd *r, struct schema *s, json_t *o)
{
	static const char *const keys[] = { "kind", "schema", "name", "table",
	    "sql", "deps", "identity_arguments", "arguments", "result",
	    "definition", "columns", "options", "enabled", "command",
	    "restrictive", "roles", "using", "with_check", "comment", NULL };
	char *sch = NULL, *name = NULL, *table = NULL, *en = NULL;
	struct sch_object *ob = NULL;
	int kind = -1, cmd = -1, restrictive = 0;

	if (rd_keys(r, o, keys) == 0 && rd_word(r, o, "kind", snap_okinds, 8,
	    &kind) == 0 && kind == -1)
		rd_fail(r, "kind", "is required");
	if (kind >= 0 && rd_str(r, o, "schema", 1, &sch) == 0 &&
	    rd_str(r, o, "name", 1, &name) == 0 &&
	    rd_str(r, o, "table", 0, &table) == 0 &&
	    (ob = schema_add_object(s, snap_oletters[kind], sch, name,
	    table)) == NULL)
		rd_nomem(r);
	free(sch);
	free(name);
	free(table);
	if (ob == NULL || rd_str(r, o, "sql", 0, &ob->sql) == -1 ||
	    rd_strv(r, o, "deps", &ob->deps) == -1 ||
	    rd_str(r, o, "identity_arguments", 0, &ob->ident) == -1 ||
	    rd_str(r, o, "arguments", 0, &ob->args) == -1 ||
	    rd_str(r, o, "result", 0, &ob->result) == -1 ||
	    rd_str(r, o, "definition", 0, &ob->def) == -1 ||
	    rd_str(r, o, "columns", 0, &ob->cols) == -1 ||
	    rd_str(r, o, "options", 0, &ob->opts) == -1 ||
	    rd_str(r, o, "enabled", 0, &en) == -1 ||
	    rd_word(r, o, "command", snap_cmds, 5, &cmd) == -1 ||
	    rd_bool(r, o, "restrictive", &restrictive) == -1 ||
	    rd_strv(r, o, "roles", &ob->roles) == -1 ||
	    rd_str(r, o, "using", 0, &ob->qual) == -1 ||
	    rd_str(r, o, "with_check", 0, &ob->check) == -1 ||
	    rd_str(r, o, "comment", 0, &ob->comment) == -1) {
		free(en);
		return -1;
	}
	if (en)
		ob->enabled = en[0];
	free(en);
	ob->cmd = snap_cmdletters[cmd >= 0 ? cmd : 0];
	ob->permissive = !restrictive;
	return 0;
}

typedef int (*rd_top_fn)(struct rd *, struct schema *, json_t *);

static int
rd_top(struct rd *r, struct schema *s, json_t *root, const char *key,
    rd_top_fn fn)
{
	json_t *v = json_object_get(root, key), *x;
	size_t i;

	if (v && !json_is_array(v))
		return rd_fail(r, key, "must be a list");
	json_array_foreach(v, i, x) {
		snprintf(r->path, sizeof(r->path), "%s[%zu]", key, i);
		if (fn(r, s, x) == -1)
			return -1;
	}
	r->path[0] = '\0';
	return 0;
}

static int
rd_schema(struct rd *r, struct schema *s, json_t *root)
{
	static const char *const keys[] = { "snapshot", "schemas",
	    "extensions", "sequences", "domains", "enums", "tables",
	    "objects", NULL };
	json_t *ver = json_object_get(root, "snapshot"), *v, *x;
	size_t i;

	if (rd_keys(r, root, keys) == -1)
		return -1;
	if (!json_is_integer(ver) || json_integer_value(ver) !=
	    SNAPSHOT_VERSION)
		return rd_fail(r, "snapshot", "must be 1 (the format version)");
	if (rd_strv(r, root, "schemas", &s->schemas) == -1 ||
	    rd_top(r, s, root, "extensions", rd_extension) == -1 ||
	    rd_top(r, s, root, "sequences", rd_sequence) == -1 ||
	    rd_top(r, s, root, "domains", rd_domain) == -1)
		return -1;
	if ((v = json_object_get(root, "enums")) && !json_is_array(v))
		return rd_fail(r, "enums", "must be a list");
	json_array_foreach(v, i, x) {
		snprintf(r->path, sizeof(r->path), "enums[%zu]", i);
		if (rd_enum(r, s, x) == -1)
			return -1;
	}
	if ((v = json_object_get(root, "tables")) && !json_is_array(v))
		return rd_fail(r, "tables", "must be a list");
	json_array_foreach(v, i, x) {
		snprintf(r->path, sizeof(r->path), "tables[%zu]", i);
		if (rd_table(r, s, x) == -1)
			return -1;
	}
	return rd_top(r, s, root, "objects", rd_object);
}

int
snapshot_parse(const char *name, const char *text, struct schema **out,
    struct merr *e)
{
	struct rd r = { name, e, "" };
	json_error_t je;
	json_t *root;
	struct schema *s;

	*out = NULL;
	if ((root = json_loads(text, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return merr_setpos(e, MERR_INPUT, name, je.line, je.column,
		    "invalid snapshot: %s", je.text);
	if ((s = schema_new()) == NULL) {
		json_decref(root);
		return rd_nomem(&r);
	}
	if (rd_schema(&r, s, root) == -1) {
		schema_free(s);
		s = NULL;
	}
	json_decref(root);
	*out = s;
	return s ? 0 : -1;
}
