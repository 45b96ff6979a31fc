/*
 * pull_yaml.c - one pulled table (or a schema's enum types) as a model
 * file, written with libyaml's emitter (models/README.md is the format).
 *
 * The style is the README's: a column that is only its type is
 * `name: type`, others a one-line mapping; a one-column key with
 * PostgreSQL's default name goes on its column (`primary_key`, `unique`,
 * `references`, `check`); names are written only where they are not the
 * default the model loader derives (schema_default_name()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "pull.h"
#include "relopts.h"

/* The emitter, its output buffer and the first error. */
struct yout {
	yaml_emitter_t	 em;
	char		*buf;
	size_t		 len, cap;
	int		 failed;
};

static int
yout_write(void *data, unsigned char *p, size_t n)
{
	struct yout *y = data;
	char *nb;

	if (y->len + n + 1 > y->cap) {
		size_t cap = y->cap ? y->cap : 1024;

		while (cap < y->len + n + 1)
			cap *= 2;
		if ((nb = realloc(y->buf, cap)) == NULL)
			return 0;
		y->buf = nb;
		y->cap = cap;
	}
	memcpy(y->buf + y->len, p, n);
	y->len += n;
	y->buf[y->len] = '\0';
	return 1;
}

static void
yemit(struct yout *y, yaml_event_t *ev, int ok)
{
	if (y->failed)
		return;
	if (!ok || !yaml_emitter_emit(&y->em, ev))
		y->failed = 1;
}

/*
 * A scalar in the style libyaml chooses, except SQL with a string literal
 * ('new', nextval('s'::regclass)): "'new'" as the README writes it, not
 * libyaml's single-quoted form with the quotes doubled.
 */
static void
ystr(struct yout *y, const char *s)
{
	yaml_event_t ev;
	int dq = strchr(s, '\'') && strchr(s, '"') == NULL &&
	    strchr(s, '\\') == NULL;

	yemit(y, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)s, (int)strlen(s), 1, 1,
	    dq ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE));
}

static void
ymap(struct yout *y, int flow)
{
	yaml_event_t ev;

	yemit(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
}

static void
ymap_end(struct yout *y)
{
	yaml_event_t ev;

	yemit(y, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void
yseq(struct yout *y, int flow)
{
	yaml_event_t ev;

	yemit(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	    flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
}

static void
yseq_end(struct yout *y)
{
	yaml_event_t ev;

	yemit(y, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void
ykv(struct yout *y, const char *k, const char *v)
{
	ystr(y, k);
	ystr(y, v);
}

static void
ylist(struct yout *y, char *const *v)
{
	yseq(y, 1);
	for (size_t i = 0; v && v[i]; i++)
		ystr(y, v[i]);
	yseq_end(y);
}

static void
ykv_list(struct yout *y, const char *k, char *const *v)
{
	ystr(y, k);
	ylist(y, v);
}

static int
yout_begin(struct yout *y)
{
	yaml_event_t ev;

	memset(y, 0, sizeof(*y));
	if (!yaml_emitter_initialize(&y->em))
		return -1;
	yaml_emitter_set_output(&y->em, yout_write, y);
	yaml_emitter_set_unicode(&y->em, 1);
	yaml_emitter_set_indent(&y->em, 2);
	yaml_emitter_set_width(&y->em, -1);	/* no folded lines */
	yemit(y, &ev, yaml_stream_start_event_initialize(&ev,
	    YAML_UTF8_ENCODING));
	yemit(y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL,
	    NULL, 1));
	return 0;
}

static int
yout_end(struct yout *y, char **out, struct merr *e)
{
	yaml_event_t ev;

	yemit(y, &ev, yaml_document_end_event_initialize(&ev, 1));
	yemit(y, &ev, yaml_stream_end_event_initialize(&ev));
	if (!y->failed && !yaml_emitter_flush(&y->em))
		y->failed = 1;
	yaml_emitter_delete(&y->em);
	if (y->failed) {
		free(y->buf);
		return merr_set(e, MERR_INTERNAL, "cannot write YAML: %s",
		    y->em.problem ? y->em.problem : "out of memory");
	}
	*out = y->buf;
	return 0;
}

/* ---- names: the model's defaults ---- */

static int
is_default_name(const char *name, const char *table, char *const *cols,
    const char *suffix)
{
	char *d = schema_default_name(table, cols, suffix);
	int eq = d && !strcmp(d, name);

	free(d);
	return eq;
}

/* A key's columns plus its INCLUDE columns (unique keys and indexes). */
static char **
with_include(char *const *cols, char *const *include)
{
	char **all = schema_strv_dup(cols);

	for (size_t i = 0; all && include && include[i]; i++)
		if (schema_strv_push(&all, include[i]) == -1) {
			schema_strv_free(all);
			return NULL;
		}
	return all;
}

/* "schema.table" when not in sch, else the bare table. */
static char *
ref_name(const char *sch, const char *rsch, const char *rtab)
{
	char *s;

	if (!strcmp(sch, rsch))
		return strdup(rtab);
	return asprintf(&s, "%s.%s", rsch, rtab) == -1 ? NULL : s;
}

/* ---- what goes on a column ---- */

/* The table's constraints that fold into column keys. */
struct colkeys {
	/* by column */
	const struct sch_constraint **pk, **uq, **fk, **ck;
	const struct sch_constraint *tpk;	/* table-level primary key */
};

static const struct sch_constraint *
pk_of(const struct sch_table *t)
{
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == SCH_PK)
			return &t->cons[i];
	return NULL;
}

/* A referenced table's primary key columns equal cols? */
static int
refs_pk(const struct schema *s, const struct sch_constraint *c)
{
	const struct sch_table *rt = schema_find_table(s, c->ref_schema,
	    c->ref_table);
	const struct sch_constraint *pk = rt ? pk_of(rt) : NULL;

	return pk && schema_strv_equal(pk->cols, c->ref_cols);
}

static int
col_index(const struct sch_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return (int)i;
	return -1;
}

/* Which constraints can be said on their column (default name, plain). */
static void
colkeys_find(const struct sch_table *t, struct colkeys *k)
{
	for (size_t i = 0; i < t->ncons; i++) {
		const struct sch_constraint *c = &t->cons[i];
		int one = schema_strv_len(c->cols) == 1, ci;
		const char *sfx = c->kind == SCH_PK ? "pkey" :
		    c->kind == SCH_UNIQUE ? "key" : c->kind == SCH_FK ?
		    "fkey" : "check";

		if (c->kind == SCH_CHECK) {
			/* t_col_check for a column of t: its 'check' */
			for (size_t j = 0; j < t->ncols; j++) {
				char *cols[2] = { t->cols[j].name, NULL };

				if (k->ck[j] == NULL && is_default_name(
				    c->name, t->name, cols, "check")) {
					k->ck[j] = c;
					break;
				}
			}
			continue;
		}
		if (c->kind == SCH_PK && is_default_name(c->name, t->name,
		    NULL, "pkey") && !c->include && !c->deferrable && !one)
			k->tpk = c;
		if (!one || (ci = col_index(t, c->cols[0])) < 0 ||
		    c->include || c->deferrable || c->nulls_not_distinct ||
		    !is_default_name(c->name, t->name, c->kind == SCH_PK ?
		    NULL : c->cols, sfx))
			continue;
		if (c->kind == SCH_PK)
			k->pk[ci] = c;
		else if (c->kind == SCH_UNIQUE && !k->uq[ci])
			k->uq[ci] = c;
		else if (c->kind == SCH_FK && !k->fk[ci])
			k->fk[ci] = c;
	}
}

static int
colkeys_has(const struct colkeys *k, const struct sch_table *t,
    const struct sch_constraint *c)
{
	for (size_t j = 0; j < t->ncols; j++)
		if (k->pk[j] == c || k->uq[j] == c || k->fk[j] == c ||
		    k->ck[j] == c)
			return 1;
	return 0;
}

static const char *
action_name(char a)
{
	switch (a) {
	case 'r': return "restrict";
	case 'c': return "cascade";
	case 'n': return "set null";
	case 'd': return "set default";
	}
	return "no action";
}

/* The options of a foreign key other than its columns. */
static void
fk_options(struct yout *y, const struct sch_constraint *c)
{
	if (c->on_delete && c->on_delete != 'a')
		ykv(y, "on_delete", action_name(c->on_delete));
	if (c->on_update && c->on_update != 'a')
		ykv(y, "on_update", action_name(c->on_update));
	if (c->match == 'f')
		ykv(y, "match", "full");
	if (c->deferrable)
		ykv(y, "deferrable", "true");
	if (c->deferred)
		ykv(y, "initially_deferred", "true");
}

static int
fk_plain(const struct sch_constraint *c)
{
	return (c->on_delete == 0 || c->on_delete == 'a') &&
	    (c->on_update == 0 || c->on_update == 'a') && c->match == 0 &&
	    !c->deferrable;
}

/* A column's 'references': the table, or a mapping with options. */
static int
col_references(struct yout *y, const struct schema *s,
    const struct sch_table *t, const struct sch_constraint *c)
{
	char *rn = ref_name(t->schema, c->ref_schema, c->ref_table);

	if (rn == NULL)
		return -1;
	ystr(y, "references");
	if (fk_plain(c) && refs_pk(s, c))
		ystr(y, rn);
	else {
		ymap(y, 1);
		ykv(y, "table", rn);
		if (!refs_pk(s, c))
			ykv_list(y, "column", c->ref_cols);
		fk_options(y, c);
		ymap_end(y);
	}
	free(rn);
	return 0;
}

/*
 * An enum or domain of schema sch (the file's) by its bare name, unless
 * that name would be read as a built-in type; others as "schema.name".
 */
static const char *
user_type(const char *sch, const char *type, int user, char *buf,
    size_t len)
{
	size_t n = strlen(sch);
	struct merr te;
	char *canon;
	int arr;

	if (!user || strncmp(type, sch, n) || type[n] != '.')
		return type;
	snprintf(buf, len, "%s", type + n + 1);
	merr_clear(&te);
	if (schema_type_canon(buf, &canon, &arr, &te) == 0) {
		free(canon);
		return type;
	}
	return buf;
}

static void emit_seq_opts(struct yout *, const struct sch_sequence *, int);

/* A column's type as written: serial for a serial column. */
static const char *
col_type(const struct sch_table *t, const struct sch_column *c, char *buf,
    size_t len)
{
	if (c->serial)
		return !strcmp(c->type, "bigint") ? "bigserial" :
		    !strcmp(c->type, "smallint") ? "smallserial" : "serial";
	return user_type(t->schema, c->type, c->is_enum || c->is_domain, buf,
	    len);
}

/* Is column name part of the table's primary key (NOT NULL implied)? */
static int
in_pk(const struct sch_table *t, const char *name)
{
	const struct sch_constraint *pk = pk_of(t);

	for (size_t i = 0; pk && pk->cols && pk->cols[i]; i++)
		if (!strcmp(pk->cols[i], name))
			return 1;
	return 0;
}

static int
emit_column(struct yout *y, const struct schema *s, const struct sch_table *t,
    size_t i, const struct colkeys *k)
{
	const struct sch_column *c = &t->cols[i];
	const struct sch_constraint *pk = k->pk[i];
	char tbuf[300];
	const char *type = col_type(t, c, tbuf, sizeof(tbuf));
	/* NOT NULL is implied by a primary key, an identity and serial */
	int notnull = c->notnull && !in_pk(t, c->name) && !c->identity &&
	    !c->serial;

	ystr(y, c->name);
	if (!notnull && !c->def && !c->comment && !c->identity && !pk &&
	    !k->uq[i] && !k->fk[i] && !k->ck[i] && !c->generated &&
	    !c->collation && !c->seq) {
		ystr(y, type);
		return 0;
	}
	ymap(y, 1);
	ykv(y, "type", type);
	if (pk)
		ykv(y, "primary_key", "true");
	if (notnull)
		ykv(y, "not_null", "true");
	if (c->identity)
		ykv(y, "identity", c->identity == 'a' ? "always" :
		    "by_default");
	if (c->generated)
		ykv(y, "generated", c->generated);
	if (c->collation)
		ykv(y, "collation", c->collation);
	if (k->uq[i])
		ykv(y, "unique", "true");
	if (c->def)
		ykv(y, "default", c->def);
	if (k->ck[i])
		ykv(y, "check", k->ck[i]->expr);
	if (k->fk[i] && col_references(y, s, t, k->fk[i]) == -1)
		return -1;
	if (c->seq) {
		ystr(y, "sequence");
		emit_seq_opts(y, c->seq, 0);
	}
	if (c->comment)
		ykv(y, "comment", c->comment);
	ymap_end(y);
	return 0;
}

/* ---- table-level keys ---- */

static void
emit_pk(struct yout *y, const struct sch_table *t, const struct colkeys *k)
{
	const struct sch_constraint *c = pk_of(t);

	if (c == NULL || colkeys_has(k, t, c))
		return;
	ystr(y, "primary_key");
	if (c == k->tpk) {
		ylist(y, c->cols);
		return;
	}
	ymap(y, 1);
	if (!is_default_name(c->name, t->name, NULL, "pkey"))
		ykv(y, "name", c->name);
	ykv_list(y, "columns", c->cols);
	if (c->include)
		ykv_list(y, "include", c->include);
	if (c->deferrable)
		ykv(y, "deferrable", "true");
	if (c->deferred)
		ykv(y, "initially_deferred", "true");
	ymap_end(y);
}

static int
emit_uniques(struct yout *y, const struct sch_table *t,
    const struct colkeys *k)
{
	int any = 0;

	for (size_t i = 0; i < t->ncons; i++) {
		const struct sch_constraint *c = &t->cons[i];
		char **all;
		int dflt, plain;

		if (c->kind != SCH_UNIQUE || colkeys_has(k, t, c))
			continue;
		if ((all = with_include(c->cols, c->include)) == NULL)
			return -1;
		dflt = is_default_name(c->name, t->name, all, "key");
		schema_strv_free(all);
		if (!any++) {
			ystr(y, "unique");
			yseq(y, 0);
		}
		plain = dflt && !c->include && !c->deferrable &&
		    !c->nulls_not_distinct;
		if (plain) {
			ylist(y, c->cols);
			continue;
		}
		ymap(y, 1);
		if (!dflt)
			ykv(y, "name", c->name);
		ykv_list(y, "columns", c->cols);
		if (c->include)
			ykv_list(y, "include", c->include);
		if (c->nulls_not_distinct)
			ykv(y, "nulls_not_distinct", "true");
		if (c->deferrable)
			ykv(y, "deferrable", "true");
		if (c->deferred)
			ykv(y, "initially_deferred", "true");
		ymap_end(y);
	}
	if (any)
		yseq_end(y);
	return 0;
}

static int
emit_fks(struct yout *y, const struct schema *s, const struct sch_table *t,
    const struct colkeys *k)
{
	int any = 0;
	char *rn;

	for (size_t i = 0; i < t->ncons; i++) {
		const struct sch_constraint *c = &t->cons[i];

		if (c->kind != SCH_FK || colkeys_has(k, t, c))
			continue;
		if ((rn = ref_name(t->schema, c->ref_schema,
		    c->ref_table)) == NULL)
			return -1;
		if (!any++) {
			ystr(y, "foreign_keys");
			yseq(y, 0);
		}
		ymap(y, 1);
		if (!is_default_name(c->name, t->name, c->cols, "fkey"))
			ykv(y, "name", c->name);
		ykv_list(y, "columns", c->cols);
		ykv(y, "references", rn);
		if (!refs_pk(s, c))
			ykv_list(y, "ref_columns", c->ref_cols);
		fk_options(y, c);
		ymap_end(y);
		free(rn);
	}
	if (any)
		yseq_end(y);
	return 0;
}

/* Unnamed checks get t_check, t_check1, ... in the order written. */
static void
emit_checks(struct yout *y, const struct sch_table *t,
    const struct colkeys *k)
{
	char sfx[24];
	int any = 0, autocheck = 0;

	for (size_t i = 0; i < t->ncons; i++) {
		const struct sch_constraint *c = &t->cons[i];

		if (c->kind != SCH_CHECK || colkeys_has(k, t, c))
			continue;
		if (!any++) {
			ystr(y, "checks");
			yseq(y, 0);
		}
		snprintf(sfx, sizeof(sfx), autocheck ? "check%d" : "check",
		    autocheck);
		if (is_default_name(c->name, t->name, NULL, sfx)) {
			autocheck++;
			ystr(y, c->expr);
			continue;
		}
		ymap(y, 1);
		ykv(y, "name", c->name);
		ykv(y, "expr", c->expr);
		ymap_end(y);
	}
	if (any)
		yseq_end(y);
}

/*
 * An index key's options (pull_prep() split them into "collation\1
 * opclass\1order\1nulls" with empty parts for defaults) as mapping keys.
 */
static int
emit_key(struct yout *y, const struct sch_table *t, const char *key,
    const char *opts)
{
	char *parts[4] = { NULL, NULL, NULL, NULL }, *dup, *p;
	static const char *const names[] = { "collation", "opclass", "order",
	    "nulls" };
	int n = 0;

	if (opts == NULL || *opts == '\0') {
		ystr(y, key);
		return 0;
	}
	if ((dup = strdup(opts)) == NULL)
		return -1;
	for (p = dup; n < 4; n++) {
		parts[n] = p;
		if ((p = strchr(p, '\1')) == NULL)
			break;
		*p++ = '\0';
	}
	ymap(y, 1);
	ykv(y, col_index(t, key) >= 0 ? "column" : "expression", key);
	for (int i = 0; i < 4; i++)
		if (parts[i] && *parts[i])
			ykv(y, names[i], parts[i]);
	ymap_end(y);
	free(dup);
	return 0;
}

static int
index_plain(const struct sch_index *x, int dflt)
{
	return dflt && !x->unique && !strcmp(x->method, "btree") &&
	    !x->include && !x->where && !x->opts && !x->storage &&
	    !x->comment;
}

/* storage: {name: value, ...} (WITH (...)), nothing for none */
static void
emit_storage(struct yout *y, char *const *v)
{
	char *name, *val;

	if (v == NULL || v[0] == NULL)
		return;
	ystr(y, "storage");
	ymap(y, 1);
	for (size_t i = 0; v[i]; i++)
		if (relopts_split(v[i], &name, &val) == 0) {
			ykv(y, name, val);
			free(name);
			free(val);
		} else
			y->failed = 1;
	ymap_end(y);
}

static int
emit_index(struct yout *y, const struct sch_table *t,
    const struct sch_index *x)
{
	char **names = NULL;
	int rc = 0, dflt;

	for (size_t i = 0; rc == 0 && x->keys[i]; i++)
		rc = schema_strv_push(&names, col_index(t, x->keys[i]) >= 0 ?
		    x->keys[i] : "expr");
	for (size_t i = 0; rc == 0 && x->include && x->include[i]; i++)
		rc = schema_strv_push(&names, x->include[i]);
	dflt = rc == 0 && is_default_name(x->name, t->name, names, "idx");
	schema_strv_free(names);
	if (rc == -1)
		return -1;
	if (index_plain(x, dflt)) {
		ylist(y, x->keys);
		return 0;
	}
	ymap(y, x->where == NULL);
	if (!dflt)
		ykv(y, "name", x->name);
	ystr(y, "columns");
	yseq(y, 1);
	for (size_t i = 0; rc == 0 && x->keys[i]; i++)
		rc = emit_key(y, t, x->keys[i], x->opts ? x->opts[i] : NULL);
	yseq_end(y);
	if (x->unique)
		ykv(y, "unique", "true");
	if (strcmp(x->method, "btree"))
		ykv(y, "method", x->method);
	if (x->include)
		ykv_list(y, "include", x->include);
	if (x->nulls_not_distinct)
		ykv(y, "nulls_not_distinct", "true");
	if (x->where)
		ykv(y, "where", x->where);
	emit_storage(y, x->storage);
	if (x->comment)
		ykv(y, "comment", x->comment);
	ymap_end(y);
	return rc;
}

static int
emit_table(struct yout *y, const struct schema *s, const struct sch_table *t,
    struct colkeys *k)
{
	char *q = NULL;
	int rc = 0;

	ymap(y, 0);
	if (strcmp(t->schema, "public") &&
	    asprintf(&q, "%s.%s", t->schema, t->name) == -1)
		return -1;
	ykv(y, "table", q ? q : t->name);
	free(q);
	if (t->comment)
		ykv(y, "comment", t->comment);
	if (t->unlogged)
		ykv(y, "unlogged", "true");
	emit_storage(y, t->storage);
	if (t->rls)
		ykv(y, "row_level_security", t->rls == 2 ? "forced" : "true");
	ystr(y, "columns");
	ymap(y, 0);
	for (size_t i = 0; rc == 0 && i < t->ncols; i++)
		rc = emit_column(y, s, t, i, k);
	ymap_end(y);
	emit_pk(y, t, k);
	if (rc == 0)
		rc = emit_uniques(y, t, k);
	if (rc == 0)
		rc = emit_fks(y, s, t, k);
	emit_checks(y, t, k);
	if (rc == 0 && t->nidx) {
		ystr(y, "indexes");
		yseq(y, 0);
		for (size_t i = 0; rc == 0 && i < t->nidx; i++)
			rc = emit_index(y, t, &t->idx[i]);
		yseq_end(y);
	}
	ymap_end(y);
	return rc;
}

int
pull_yaml_table(const struct schema *s, const struct sch_table *t,
    char **out, struct merr *e)
{
	struct colkeys k;
	struct yout y;
	size_t n = t->ncols ? t->ncols : 1;
	int rc;

	*out = NULL;
	memset(&k, 0, sizeof(k));
	k.pk = calloc(n, sizeof(*k.pk));
	k.uq = calloc(n, sizeof(*k.uq));
	k.fk = calloc(n, sizeof(*k.fk));
	k.ck = calloc(n, sizeof(*k.ck));
	rc = (k.pk && k.uq && k.fk && k.ck) ? 0 : -1;
	if (rc == 0) {
		colkeys_find(t, &k);
		rc = yout_begin(&y);
	}
	if (rc == 0 && emit_table(&y, s, t, &k) == -1)
		y.failed = 1;
	free(k.pk);
	free(k.uq);
	free(k.fk);
	free(k.ck);
	if (rc == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return yout_end(&y, out, e);
}

/* ---- the objects beside tables ---- */

/* "schema: sch" (unless public) and the key of a per-schema file. */
static int
schema_file_begin(struct yout *y, const char *sch, const char *key)
{
	if (yout_begin(y) == -1)
		return -1;
	ymap(y, 0);
	if (strcmp(sch, "public"))
		ykv(y, "schema", sch);
	ystr(y, key);
	ymap(y, 0);
	return 0;
}

static int
schema_file_end(struct yout *y, char **out, struct merr *e)
{
	ymap_end(y);
	ymap_end(y);
	return yout_end(y, out, e);
}

/*
 * A domain's checks: an expression alone where the loader would give it
 * the name it has (<domain>_check, _check1, ... counted over the names
 * before it that have "_check"), else { name, expr }.
 */
static void
emit_dchecks(struct yout *y, const struct sch_domain *d)
{
	size_t unnamed = 0;
	char sfx[24];

	ystr(y, "check");
	if (d->nchecks > 1)
		yseq(y, 1);
	for (size_t i = 0; i < d->nchecks; i++) {
		const struct sch_dcheck *c = &d->checks[i];
		char *dflt;

		snprintf(sfx, sizeof(sfx), unnamed ? "check%zu" : "check",
		    unnamed);
		dflt = schema_default_name(d->name, NULL, sfx);
		if (dflt && !strcmp(dflt, c->name))
			ystr(y, c->expr);
		else {
			ymap(y, 1);
			ykv(y, "name", c->name);
			ykv(y, "expr", c->expr);
			ymap_end(y);
		}
		free(dflt);
		unnamed += strstr(c->name, "_check") != NULL;
	}
	if (d->nchecks > 1)
		yseq_end(y);
}

static void
emit_domain(struct yout *y, const struct sch_domain *d)
{
	char tbuf[300];
	const char *type = user_type(d->schema, d->type, d->base_enum, tbuf,
	    sizeof(tbuf));

	ystr(y, d->name);
	if (!d->notnull && !d->def && !d->collation && !d->nchecks) {
		ystr(y, type);
		return;
	}
	ymap(y, 1);
	ykv(y, "type", type);
	if (d->notnull)
		ykv(y, "not_null", "true");
	if (d->def)
		ykv(y, "default", d->def);
	if (d->collation)
		ykv(y, "collation", d->collation);
	if (d->nchecks)
		emit_dchecks(y, d);
	ymap_end(y);
}

int
pull_yaml_enums(const struct schema *s, const char *sch, char **out,
    struct merr *e)
{
	struct yout y;

	*out = NULL;
	if (schema_file_begin(&y, sch, "enums") == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (size_t i = 0; i < s->nenums; i++)
		if (!strcmp(s->enums[i].schema, sch))
			ykv_list(&y, s->enums[i].name, s->enums[i].labels);
	return schema_file_end(&y, out, e);
}

int
pull_yaml_domains(const struct schema *s, const char *sch, char **out,
    struct merr *e)
{
	struct yout y;

	*out = NULL;
	if (schema_file_begin(&y, sch, "domains") == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (size_t i = 0; i < s->ndomains; i++)
		if (!strcmp(s->domains[i].schema, sch))
			emit_domain(&y, &s->domains[i]);
	return schema_file_end(&y, out, e);
}

static void
ykv_ll(struct yout *y, const char *k, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	ykv(y, k, buf);
}

/* A sequence's options: only what is not PostgreSQL's default (as the
   loader fills it in, model_objects.c); its type when not bigint and
   typed (a serial column's sequence has the column's). */
static void
emit_seq_opts(struct yout *y, const struct sch_sequence *q, int typed)
{
	long long lo = !strcmp(q->type, "smallint") ? -32768 :
	    !strcmp(q->type, "integer") ? INT32_MIN : INT64_MIN;
	long long hi = !strcmp(q->type, "smallint") ? 32767 :
	    !strcmp(q->type, "integer") ? INT32_MAX : INT64_MAX;
	long long min = q->increment > 0 ? 1 : lo;
	long long max = q->increment > 0 ? hi : -1;

	ymap(y, 1);
	if (typed && strcmp(q->type, "bigint"))
		ykv(y, "type", q->type);
	if (q->start != (q->increment > 0 ? q->min : q->max))
		ykv_ll(y, "start", q->start);
	if (q->increment != 1)
		ykv_ll(y, "increment", q->increment);
	if (q->min != min)
		ykv_ll(y, "min", q->min);
	if (q->max != max)
		ykv_ll(y, "max", q->max);
	if (q->cache != 1)
		ykv_ll(y, "cache", q->cache);
	if (q->cycle)
		ykv(y, "cycle", "true");
	/* pull_objects.c keeps owned_by only when it can be said */
	if (q->owned_by)
		ykv(y, "owned_by", q->owned_by + strlen(q->schema) + 1);
	ymap_end(y);
}

static void
emit_sequence(struct yout *y, const struct sch_sequence *q)
{
	ystr(y, q->name);
	emit_seq_opts(y, q, 1);
}

int
pull_yaml_sequences(const struct schema *s, const char *sch, char **out,
    struct merr *e)
{
	struct yout y;

	*out = NULL;
	if (schema_file_begin(&y, sch, "sequences") == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (size_t i = 0; i < s->nseqs; i++)
		if (!strcmp(s->seqs[i].schema, sch))
			emit_sequence(&y, &s->seqs[i]);
	return schema_file_end(&y, out, e);
}

int
pull_yaml_extensions(const struct schema *s, char **out, struct merr *e)
{
	struct yout y;

	*out = NULL;
	if (yout_begin(&y) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	ymap(&y, 0);
	ystr(&y, "extensions");
	yseq(&y, 0);
	for (size_t i = 0; i < s->nexts; i++) {
		const struct sch_extension *x = &s->exts[i];

		if (x->schema == NULL) {
			ystr(&y, x->name);
			continue;
		}
		ymap(&y, 1);
		ykv(&y, "name", x->name);
		ykv(&y, "schema", x->schema);
		ymap_end(&y);
	}
	yseq_end(&y);
	ymap_end(&y);
	return yout_end(&y, out, e);
}
