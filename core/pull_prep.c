/*
 * pull_prep.c - the live schema shaped for writing as models (pull.h):
 * what the format cannot say is removed and noted, types get the short
 * names people write, defaults lose the casts PostgreSQL adds, and index
 * key options are split into the model's keys.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "idxdef.h"
#include "pull_int.h"
#include "tracking.h"

void
prep_note(struct prep *p, const char *kind, const char *sch, const char *obj,
    const char *what, const char *fmt, ...)
{
	char *name = NULL, *detail = NULL;
	va_list ap;
	int rc;

	rc = what ? asprintf(&name, "%s.%s.%s", sch, obj, what) :
	    asprintf(&name, "%s.%s", sch, obj);
	if (rc == -1)
		name = NULL;
	va_start(ap, fmt);
	if (fmt && vasprintf(&detail, fmt, ap) == -1)
		detail = NULL;
	va_end(ap);
	if (name == NULL || (fmt && detail == NULL) ||
	    pull_note_add(p->notes, kind, name, detail) == -1)
		p->nomem = 1;
	free(name);
	free(detail);
}

/* ---- removing, with what depends on it ---- */

static int
strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

/* Does an expression name column col (as a word, quoted or not)? */
static int
expr_mentions(const char *expr, const char *col)
{
	size_t n = strlen(col);

	for (const char *q = expr; expr && (q = strstr(q, col)); q++) {
		char before = q == expr ? ' ' : q[-1], after = q[n];

		if (!(isalnum((unsigned char)before) || before == '_') &&
		    !(isalnum((unsigned char)after) || after == '_'))
			return 1;
	}
	return 0;
}

static void
drop_index(struct prep *p, struct sch_table *t, size_t i, const char *why)
{
	prep_note(p, "index", t->schema, t->idx[i].name, NULL,
	    "not written: %s", why);
	schema_remove_index(t, i);
}

static void
drop_constraint(struct prep *p, struct sch_table *t, size_t i,
    const char *why)
{
	static const char *const kinds[] = { "primary key", "unique key",
	    "foreign key", "check" };
	const struct sch_constraint *c = &t->cons[i];
	int k = c->kind == SCH_PK ? 0 : c->kind == SCH_UNIQUE ? 1 :
	    c->kind == SCH_FK ? 2 : 3;

	prep_note(p, kinds[k], t->schema, t->name, c->name, "not written: %s",
	    why);
	schema_remove_constraint(t, i);
}

/* Foreign keys of every table that reference rsch.rtab (col, or any). */
static void
drop_refs(struct prep *p, const char *rsch, const char *rtab,
    const char *col, const char *why)
{
	for (size_t i = 0; i < p->s->ntables; i++) {
		struct sch_table *t = &p->s->tables[i];

		for (size_t j = t->ncons; j-- > 0;) {
			const struct sch_constraint *c = &t->cons[j];

			if (c->kind == SCH_FK && !strcmp(c->ref_schema, rsch) &&
			    !strcmp(c->ref_table, rtab) &&
			    (col == NULL || strv_has(c->ref_cols, col)))
				drop_constraint(p, t, j, why);
		}
	}
}

/* Remove column ci of t and every key and index that uses it. */
void
prep_drop_column(struct prep *p, struct sch_table *t, size_t ci,
    const char *why)
{
	char *col = strdup(t->cols[ci].name), msg[200];

	if (col == NULL) {
		p->nomem = 1;
		return;
	}
	prep_note(p, "column", t->schema, t->name, col, "not written: %s", why);
	schema_remove_column(t, ci);
	snprintf(msg, sizeof(msg), "uses column '%.60s', not written", col);
	for (size_t j = t->ncons; j-- > 0;) {
		const struct sch_constraint *c = &t->cons[j];

		if (strv_has(c->cols, col) || strv_has(c->include, col) ||
		    (c->kind == SCH_CHECK && expr_mentions(c->expr, col)))
			drop_constraint(p, t, j, msg);
	}
	for (size_t j = t->nidx; j-- > 0;) {
		const struct sch_index *x = &t->idx[j];
		int uses = strv_has(x->include, col) ||
		    expr_mentions(x->where, col);

		for (size_t k = 0; !uses && x->keys[k]; k++)
			uses = expr_mentions(x->keys[k], col);
		if (uses)
			drop_index(p, t, j, msg);
	}
	snprintf(msg, sizeof(msg), "references column '%.60s' of %.60s, "
	    "not written", col, t->name);
	drop_refs(p, t->schema, t->name, col, msg);
	free(col);
}

static void
drop_table(struct prep *p, size_t ti, const char *kind, const char *why)
{
	struct sch_table *t = &p->s->tables[ti];
	char *sch = strdup(t->schema), *name = strdup(t->name), msg[200];

	if (sch == NULL || name == NULL) {
		p->nomem = 1;
	} else {
		prep_note(p, kind, sch, name, NULL, "not written: %s", why);
		schema_remove_table(p->s, ti);
		snprintf(msg, sizeof(msg), "references %.60s.%.60s, not "
		    "written", sch, name);
		drop_refs(p, sch, name, NULL, msg);
	}
	free(sch);
	free(name);
}

static long
table_at(const struct schema *s, const char *sch, const char *name)
{
	const struct sch_table *t = schema_find_table(s, sch, name);

	return t ? t - s->tables : -1;
}

/* ---- facts from pull_scan() ---- */

static long
column_at(const struct sch_table *t, const char *name)
{
	for (size_t i = 0; name && i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return (long)i;
	return -1;
}

/* "default c", "index i", "constraint k": an object that uses another
   object the models cannot create (a function, a collation, ...). */
static void
fact_uses(struct prep *p, struct sch_table *t, const struct pull_fact *f)
{
	const char *sp = f->what ? strchr(f->what, ' ') : NULL, *name;
	struct sch_column *c;
	long i;

	if (sp == NULL)
		return;
	name = sp + 1;
	if (!strncmp(f->what, "default ", 8) &&
	    (i = column_at(t, name)) >= 0 && (c = &t->cols[i])->generated) {
		char why[400];

		/* a plain column would be refused against the database */
		snprintf(why, sizeof(why), "GENERATED ALWAYS AS (%.150s) "
		    "STORED uses %.200s", c->generated, f->detail);
		prep_drop_column(p, t, (size_t)i, why);
		return;
	}
	if (!strncmp(f->what, "default ", 8) &&
	    (i = column_at(t, name)) >= 0 && (c = &t->cols[i])->def) {
		prep_note(p, "default", t->schema, t->name, name, "not "
		    "written: %s uses %s", c->def, f->detail);
		free(c->def);
		c->def = NULL;
		return;
	}
	for (size_t j = 0; !strncmp(f->what, "index ", 6) && j < t->nidx; j++)
		if (!strcmp(t->idx[j].name, name)) {
			char why[300];

			snprintf(why, sizeof(why), "uses %s", f->detail);
			drop_index(p, t, j, why);
			return;
		}
	for (size_t j = 0; !strncmp(f->what, "constraint ", 11) &&
	    j < t->ncons; j++)
		if (!strcmp(t->cons[j].name, name)) {
			char why[300];

			snprintf(why, sizeof(why), "uses %s", f->detail);
			drop_constraint(p, t, j, why);
			return;
		}
}

/* A column fact: a collation the models cannot create, an extension's
   type. */
static void
fact_column(struct prep *p, struct sch_table *t, const struct pull_fact *f)
{
	long i = column_at(t, f->what);
	char why[300];

	if (i < 0)
		return;
	if (!strcmp(f->kind, PULL_F_EXTTYPE)) {
		t->cols[i].ext_type = 1;
		return;
	}
	/* written without it, the plan would change the column's */
	snprintf(why, sizeof(why), "its collation %.200s is not one the "
	    "models can create (a collation of pg_catalog is)", f->detail);
	prep_drop_column(p, t, (size_t)i, why);
}

static long
domain_at(const struct schema *s, const char *sch, const char *name)
{
	const struct sch_domain *d = schema_find_domain(s, sch, name);

	return d ? d - s->domains : -1;
}

static int
is_partition_fact(const struct pull_fact *f)
{
	return !strcmp(f->kind, PULL_F_PARTITIONED) ||
	    !strcmp(f->kind, PULL_F_PARTITION);
}

static void
apply_fact(struct prep *p, const struct pull_fact *f)
{
	long ti = f->table ? table_at(p->s, f->sch, f->table) : -1;
	struct sch_table *t = ti >= 0 ? &p->s->tables[ti] : NULL;
	long di;

	if (is_partition_fact(f)) {
		/* the plan refuses to compare them: never a plain table */
		if (ti >= 0)
			drop_table(p, (size_t)ti, f->kind, f->detail ?
			    f->detail : "a partitioned table");
		else
			prep_note(p, f->kind, f->sch, f->table, NULL, "not "
			    "written: %s", f->detail ? f->detail : "");
	} else if (!strcmp(f->kind, PULL_F_USES)) {
		if (t)
			fact_uses(p, t, f);
	} else if (!strcmp(f->kind, PULL_F_COLLATION) ||
	    (!strcmp(f->kind, PULL_F_EXTTYPE) && f->what)) {
		if (t)
			fact_column(p, t, f);
	} else if (!strcmp(f->kind, PULL_F_EXTTYPE)) {
		if ((di = domain_at(p->s, f->sch, f->table)) >= 0)
			p->s->domains[di].base_ext = 1;
	} else if (!strcmp(f->kind, PULL_F_DOMAIN)) {
		if ((di = domain_at(p->s, f->sch, f->table)) >= 0)
			prep_domain_drop(p, (size_t)di, f->detail ?
			    f->detail : "it cannot be said");
	} else if (strcmp(f->kind, PULL_F_EXTENSION))
		prep_note(p, f->kind, f->sch, f->table ? f->table : "",
		    f->what, "%s", f->detail ? f->detail : "not written");
}

/* ---- types ---- */

static const char *const alias_map[][2] = {
	{ "character varying", "varchar" }, { "character", "char" },
	{ "timestamp without time zone", "timestamp" },
	{ "timestamp with time zone", "timestamptz" },
	{ "time without time zone", "time" },
	{ "time with time zone", "timetz" }, { "bit varying", "varbit" },
};

/* canon's alias ("character varying(20)[]" -> "varchar(20)[]"), or NULL */
static char *
type_alias_of(const char *canon)
{
	const char *lp = strchr(canon, '('), *rp = lp ? strchr(lp, ')') : NULL;
	char base[128], *out;
	size_t n = strlen(canon);
	int arr = n > 2 && !strcmp(canon + n - 2, "[]");

	if (lp && rp)
		snprintf(base, sizeof(base), "%.*s%.*s", (int)(lp - canon),
		    canon, (int)(n - (size_t)(rp + 1 - canon) - (arr ? 2 : 0)),
		    rp + 1);
	else
		snprintf(base, sizeof(base), "%.*s", (int)(n - (arr ? 2 : 0)),
		    canon);
	for (size_t i = 0; i < sizeof(alias_map) / sizeof(*alias_map); i++)
		if (!strcmp(base, alias_map[i][0])) {
			if (asprintf(&out, "%s%.*s%s", alias_map[i][1],
			    lp && rp ? (int)(rp + 1 - lp) : 0, lp ? lp : "",
			    arr ? "[]" : "") == -1)
				return NULL;
			return out;
		}
	return NULL;
}

/* 1 when the model loader reads spelling as the type canon. */
static int
type_reads_as(const char *spelling, const char *canon)
{
	struct merr te;
	char *c;
	int arr, eq;

	merr_clear(&te);
	if (schema_type_canon(spelling, &c, &arr, &te) == -1)
		return 0;
	eq = !strcmp(c, canon);
	free(c);
	return eq;
}

/* The spelling to write for built-in type canon, or NULL: cannot say. */
const char *
prep_type_spelling(struct prep *p, const char *canon)
{
	char *alias;
	const char *out = NULL;

	for (size_t i = 0; p->traw && p->traw[i]; i++)
		if (!strcmp(p->traw[i], canon))
			return *p->tout[i] ? p->tout[i] : NULL;
	alias = type_alias_of(canon);
	if (alias && type_reads_as(alias, canon))
		out = alias;
	else if (type_reads_as(canon, canon))
		out = canon;
	if (schema_strv_push(&p->traw, canon) == -1 ||
	    schema_strv_push(&p->tout, out ? out : "") == -1)
		p->nomem = 1;
	free(alias);
	return p->nomem ? NULL : p->tout[schema_strv_len(p->tout) - 1][0] ?
	    p->tout[schema_strv_len(p->tout) - 1] : NULL;
}

/* ---- defaults ---- */

/* The character after a string literal at s ('..' with '' inside). */
static const char *
literal_end(const char *s)
{
	if (*s != '\'')
		return NULL;
	for (s++; *s; s++)
		if (*s == '\'') {
			if (s[1] != '\'')
				return s + 1;
			s++;
		}
	return NULL;
}

/* A copy of a type name without its "(...)" modifiers and quotes. */
static char *
type_bare(const char *t)
{
	char *out = malloc(strlen(t) + 1), *o = out;
	int depth = 0;

	if (out == NULL)
		return NULL;
	for (; *t; t++) {
		if (*t == '(')
			depth++;
		else if (*t == ')')
			depth--;
		else if (depth == 0 && *t != '"')
			*o++ = *t;
	}
	*o = '\0';
	return out;
}

/* Is cast (as pg_get_expr() prints it) the type of column c? */
static int
cast_is_column_type(const char *cast, const struct sch_column *c)
{
	char *a = NULL, *b = NULL, *canon = NULL;
	const char *dot;
	int arr, eq = 0;
	struct merr te;

	merr_clear(&te);
	if (strstr(cast, "::"))
		return 0;
	if (c->is_enum) {
		/* "order_status", "billing.state", "\"Role\"[]" */
		a = type_bare(cast);
		dot = a ? strrchr(a, '.') : NULL;
		b = type_bare(strchr(c->type, '.') + 1);
		eq = a && b && !strcmp(dot ? dot + 1 : a, b);
	} else if (schema_type_canon(cast, &canon, &arr, &te) == 0) {
		a = type_bare(canon);
		b = type_bare(c->type);
		eq = a && b && !strcmp(a, b);
	}
	free(a);
	free(b);
	free(canon);
	return eq;
}

static int
is_number_type(const char *t)
{
	return !strcmp(t, "smallint") || !strcmp(t, "integer") ||
	    !strcmp(t, "bigint") || !strcmp(t, "real") ||
	    !strcmp(t, "double precision") || !strncmp(t, "numeric", 7);
}

/* '-1' -> -1 (a number literal PostgreSQL prints quoted). */
static int
is_number_literal(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && s[i] == '-')
		i++;
	for (; i < n && isdigit((unsigned char)s[i]); i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && isdigit((unsigned char)s[i]); i++)
			;
	return digits > 0 && i == n;
}

/*
 * 'x'::type or NULL::type on a column of that type is 'x' or NULL: the
 * cast is the one PostgreSQL adds, and the model's literal gets it back.
 */
void
prep_default_plain(struct prep *p, struct sch_column *c)
{
	const char *end = NULL;
	char *out;

	if (c->def == NULL)
		return;
	if (!strncmp(c->def, "NULL::", 6))
		end = c->def + 4;
	else
		end = literal_end(c->def);
	if (end == NULL || strncmp(end, "::", 2) ||
	    !cast_is_column_type(end + 2, c))
		return;
	if (c->def[0] == '\'' && is_number_type(c->type) &&
	    is_number_literal(c->def + 1, (size_t)(end - c->def) - 2))
		out = strndup(c->def + 1, (size_t)(end - c->def) - 2);
	else
		out = strndup(c->def, (size_t)(end - c->def));
	if (out == NULL) {
		p->nomem = 1;
		return;
	}
	free(c->def);
	c->def = out;
}

/* "(a > 0)" -> "a > 0" when the outer parentheses enclose it all. */
void
prep_strip_parens(char *s)
{
	size_t n = s ? strlen(s) : 0;
	int depth = 0;

	if (n < 2 || s[0] != '(' || s[n - 1] != ')')
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'' || s[i] == '"') {
			char q = s[i];

			for (i++; i < n && s[i] != q; i++)
				;
			continue;
		}
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0 && i != n - 1)
			return;
	}
	memmove(s, s + 1, n - 2);
	s[n - 2] = '\0';
}

/* ---- columns and index keys ---- */

/* "sch.name" (an enum's or domain's type, "[]" allowed): one dot only. */
int
prep_one_dot(const char *type)
{
	const char *dot = strchr(type, '.');

	return dot && strchr(dot + 1, '.') == NULL;
}

/* The model loader reads an extension's type as the catalog spells it? */
int
prep_ext_type_ok(const char *type)
{
	struct merr te;
	char *canon;
	int eq;

	merr_clear(&te);
	if (schema_type_other(type, &canon, &te) == -1)
		return 0;
	eq = !strcmp(canon, type);
	free(canon);
	return eq;
}

/* Why column c's type cannot be said, or NULL when it can. */
static const char *
column_type_why(struct prep *p, const struct sch_column *c, char *why,
    size_t len)
{
	const char *dot;
	char *sch;

	if (c->is_enum || c->is_domain) {
		if (!prep_one_dot(c->type))
			snprintf(why, len, "its type %s has a name with a dot",
			    c->type);
		else if (c->is_enum)
			return NULL;
		else if ((dot = strchr(c->type, '.')) == NULL ||
		    (sch = strndup(c->type, (size_t)(dot - c->type))) == NULL)
			return NULL;
		else {
			int found = schema_find_domain(p->s, sch, dot + 1) !=
			    NULL;

			free(sch);
			if (found)
				return NULL;
			snprintf(why, len, "its type, the domain %s, is not "
			    "written", c->type);
		}
		return why;
	}
	if (c->ext_type) {
		if (prep_ext_type_ok(c->type))
			return NULL;
		snprintf(why, len, "its type %s (an extension's) is not "
		    "read back as written", c->type);
		return why;
	}
	if (prep_type_spelling(p, c->type))
		return NULL;
	snprintf(why, len, "type %s is not one the models can create (a "
	    "composite, range or base type of the database's own)", c->type);
	return why;
}

/* Pass 1: a column whose type cannot be said goes, with what uses it. */
static void
prep_column_type(struct prep *p, struct sch_table *t, size_t *i)
{
	char buf[300];
	const char *why = column_type_why(p, &t->cols[*i], buf, sizeof(buf));

	if (why == NULL)
		return;
	prep_drop_column(p, t, *i, why);
	(*i)--;
}

/* Pass 2: serial, defaults and the type's spelling. */
static void
prep_column_def(struct prep *p, struct sch_table *t, struct sch_column *c)
{
	const char *sp;
	char *dup;

	prep_strip_parens(c->generated);
	if (c->serial)
		prep_serial(p, t, c);
	if (c->def && strstr(c->def, "nextval(") &&
	    !prep_nextval_written(p, c->def)) {
		prep_note(p, "default", t->schema, t->name, c->name, "not "
		    "written: %s needs a sequence that is not written",
		    c->def);
		free(c->def);
		c->def = NULL;
	}
	prep_default_plain(p, c);
	if (c->is_enum || c->is_domain || c->ext_type ||
	    (sp = prep_type_spelling(p, c->type)) == NULL ||
	    !strcmp(sp, c->type))
		return;
	if ((dup = strdup(sp)) == NULL) {
		p->nomem = 1;
		return;
	}
	free(c->type);
	c->type = dup;
}

/* A quoted or bare identifier, with '.' parts, at *pp; unquoted. */
char *
prep_ident_at(const char **pp)
{
	char buf[300];
	size_t n = 0;
	const char *s = *pp;

	while (n < sizeof(buf) - 1) {
		if (*s == '"') {
			for (s++; *s && n < sizeof(buf) - 1; s++) {
				if (*s == '"' && s[1] != '"')
					break;
				if (*s == '"')
					s++;
				buf[n++] = *s;
			}
			if (*s++ != '"')
				return NULL;
		} else {
			while (*s && (isalnum((unsigned char)*s) ||
			    *s == '_' || *s == '$') && n < sizeof(buf) - 1)
				buf[n++] = *s++;
		}
		if (*s != '.')
			break;
		buf[n++] = *s++;
	}
	*pp = s;
	buf[n] = '\0';
	return n ? strdup(buf) : NULL;
}

static int
word_at(const char **pp, const char *w)
{
	size_t n = strlen(w);

	while (**pp == ' ')
		(*pp)++;
	if (strncmp(*pp, w, n) || ((*pp)[n] && (*pp)[n] != ' '))
		return 0;
	*pp += n;
	while (**pp == ' ')
		(*pp)++;
	return 1;
}

/*
 * `COLLATE "C" text_pattern_ops DESC NULLS LAST` -> "C\1text_pattern_ops
 * \1desc\1last" (what emit_key() in pull_yaml.c reads), or NULL when it
 * cannot be said (operator class parameters, a collation of a schema).
 */
static char *
key_options(const char *o)
{
	char *coll = NULL, *opc = NULL, *out = NULL, *dot;
	const char *order = "", *nulls = "";

	if (word_at(&o, "COLLATE") && (coll = prep_ident_at(&o)) == NULL)
		goto out;
	if (coll && (dot = strrchr(coll, '.'))) {
		if (strncmp(coll, "pg_catalog.", 11) &&
		    strncmp(coll, "public.", 7))
			goto out;
		memmove(coll, dot + 1, strlen(dot));
	}
	while (*o == ' ')
		o++;
	if (*o && strncmp(o, "DESC", 4) && strncmp(o, "NULLS", 5) &&
	    (opc = prep_ident_at(&o)) == NULL)
		goto out;
	if (word_at(&o, "DESC"))
		order = "desc";
	if (word_at(&o, "NULLS"))
		nulls = word_at(&o, "FIRST") ? "first" : word_at(&o, "LAST") ?
		    "last" : NULL;
	if (nulls == NULL || *o != '\0')
		goto out;
	if (asprintf(&out, "%s\1%s\1%s\1%s", coll ? coll : "",
	    opc ? opc : "", order, nulls) == -1)
		out = NULL;
out:
	free(coll);
	free(opc);
	return out;
}

static void
prep_index(struct prep *p, struct sch_table *t, size_t *j)
{
	struct sch_index *x = &t->idx[*j];
	char *o;

	if (!x->valid)
		prep_note(p, "invalid index", t->schema, x->name, NULL,
		    "written as it is defined: the plan will rebuild it");
	prep_strip_parens(x->where);
	for (size_t k = 0; x->opts && x->keys[k]; k++) {
		if (*x->opts[k] == '\0')
			continue;
		if ((o = key_options(x->opts[k])) == NULL) {
			char why[300];

			snprintf(why, sizeof(why), "key options '%.200s' "
			    "cannot be said", x->opts[k]);
			drop_index(p, t, *j, why);
			(*j)--;
			return;
		}
		free(x->opts[k]);
		x->opts[k] = o;
	}
}

static void
prep_constraint(struct prep *p, struct sch_table *t, size_t *j)
{
	struct sch_constraint *c = &t->cons[*j];

	if (c->kind == SCH_EXCLUDE) {	/* noted by the scan (pull_scan.c) */
		schema_remove_constraint(t, *j);
		(*j)--;
		return;
	}
	if (c->kind == SCH_FK && (schema_find_table(p->s, c->ref_schema,
	    c->ref_table) == NULL || c->ref_cols == NULL)) {
		drop_constraint(p, t, *j, "the table it references is not "
		    "written");
		(*j)--;
		return;
	}
	if (!c->valid)
		prep_note(p, "not valid constraint", t->schema, t->name,
		    c->name, "written as valid: the plan will VALIDATE it");
	if (c->kind == SCH_CHECK)
		prep_strip_parens(c->expr);
}

/* A name the model format reads differently (it splits at the dot). */
int
prep_dotted(const char *s)
{
	return strchr(s, '.') != NULL;
}

/*
 * migrated's own tables (the configuration's tracking_table and
 * audit_table in schema) are not models: skipped, with the audit table's
 * guard trigger and function.  A table of that name that migrated did
 * not make (its comment says so) is the application's, and a clash.
 */
static void
prep_own(struct prep *p, size_t i, int audit)
{
	const struct sch_table *t = &p->s->tables[i];
	const char *mark = audit ? AUDIT_COMMENT_PREFIX :
	    TRACKING_COMMENT_PREFIX;
	const char *what = audit ? "audit" : "tracking";

	if (t->comment && !strncmp(t->comment, mark, strlen(mark)))
		p->own_audit |= audit;
	else
		prep_note(p, "table", t->schema, t->name, NULL, "not written: "
		    "the configuration names it as migrated's own %s table, "
		    "but migrated did not make it: set %s_table (or schema) "
		    "to another name", what, what);
	schema_remove_table(p->s, i);
}

static void
prep_tables(struct prep *p)
{
	const struct pull_opts *o = p->o;

	for (size_t i = p->s->ntables; o && o->own_schema && i-- > 0;) {
		const struct sch_table *t = &p->s->tables[i];

		if (strcmp(t->schema, o->own_schema))
			continue;
		for (int k = 0; k < 2 && o->own_tables[k]; k++)
			if (!strcmp(t->name, o->own_tables[k])) {
				prep_own(p, i, k == 1);
				break;
			}
	}
	for (size_t i = p->s->ntables; i-- > 0;)
		if (prep_dotted(p->s->tables[i].name) ||
		    prep_dotted(p->s->tables[i].schema))
			drop_table(p, i, "table", "its name or its schema's "
			    "has a dot, which the model format reads as "
			    "schema.table");
}

/* What no fact removed (a scan that missed one): never a plain table. */
static void
prep_partitions(struct prep *p)
{
	for (size_t i = p->s->ntables; i-- > 0;)
		if (p->s->tables[i].partition)
			drop_table(p, i, p->s->tables[i].partition == 'p' ?
			    PULL_F_PARTITIONED : PULL_F_PARTITION, "the model "
			    "format cannot say it yet");
}

/* The audit table's guard, when the table is migrated's. */
static int
own_guard(const struct prep *p, const struct pull_fact *f)
{
	char fn[80];

	if (!p->own_audit || f->sch == NULL ||
	    strcmp(f->sch, p->o->own_schema))
		return 0;
	snprintf(fn, sizeof(fn), "%s()", AUDIT_GUARD);
	if (!strcmp(f->kind, "trigger"))
		return f->table && f->what && !strcmp(f->what, AUDIT_GUARD) &&
		    !strcmp(f->table, p->o->own_tables[1]);
	return !strcmp(f->kind, "function") && f->table &&
	    !strcmp(f->table, fn);
}

static void
prep_schemas(struct prep *p)
{
	for (size_t i = 0; p->s->schemas && p->s->schemas[i]; i++) {
		const char *sch = p->s->schemas[i];
		/* migrated's own schema is not the application's */
		int used = !strcmp(sch, "public") || (p->o &&
		    p->o->own_schema && !strcmp(sch, p->o->own_schema));

		for (size_t j = 0; !used && j < p->s->ntables; j++)
			used = !strcmp(p->s->tables[j].schema, sch);
		for (size_t j = 0; !used && j < p->s->nenums; j++)
			used = !strcmp(p->s->enums[j].schema, sch);
		for (size_t j = 0; !used && j < p->s->ndomains; j++)
			used = !strcmp(p->s->domains[j].schema, sch);
		for (size_t j = 0; !used && j < p->s->nseqs; j++)
			used = !strcmp(p->s->seqs[j].schema, sch);
		for (size_t j = 0; !used && j < p->s->nexts; j++)
			used = p->s->exts[j].schema &&
			    !strcmp(p->s->exts[j].schema, sch);
		if (!used)
			prep_note(p, "schema", sch, "", NULL, "has no table, "
			    "type or sequence the models can say: it is not "
			    "created");
	}
	for (size_t j = 0; j < p->s->nenums; j++)
		if (prep_dotted(p->s->enums[j].name) ||
		    prep_dotted(p->s->enums[j].schema))
			prep_note(p, "enum", p->s->enums[j].schema,
			    p->s->enums[j].name, NULL, "not written: its name "
			    "has a dot");
}

int
pull_prep(struct schema *s, const struct pull_facts *facts,
    const struct pull_opts *o, struct pull_notes *notes, struct merr *e)
{
	struct prep p = { .s = s, .notes = notes, .o = o };

	prep_tables(&p);
	/* tables that go whole first: no note on a column of theirs */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; facts && i < facts->n; i++)
			if (is_partition_fact(&facts->v[i]) == !pass &&
			    !own_guard(&p, &facts->v[i]))
				apply_fact(&p, &facts->v[i]);
	prep_partitions(&p);
	prep_extensions(&p, facts);
	prep_domains(&p);
	for (size_t i = 0; i < s->ntables; i++)
		for (size_t j = 0; j < s->tables[i].ncols; j++)
			prep_column_type(&p, &s->tables[i], &j);
	prep_sequences_prune(&p);
	for (size_t i = 0; i < s->ntables; i++) {
		struct sch_table *t = &s->tables[i];

		for (size_t j = 0; j < t->ncols; j++)
			prep_column_def(&p, t, &t->cols[j]);
		for (size_t j = 0; j < t->nidx; j++)
			prep_index(&p, t, &j);
	}
	prep_sequences_done(&p);
	/* after every column and table removal: keys to what is left */
	for (size_t i = 0; i < s->ntables; i++)
		for (size_t j = 0; j < s->tables[i].ncons; j++)
			prep_constraint(&p, &s->tables[i], &j);
	prep_schemas(&p);
	schema_strv_free(p.traw);
	schema_strv_free(p.tout);
	schema_strv_free(p.serial_seqs);
	schema_strv_free(p.nextvals);
	if (p.nomem)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return 0;
}
