/*
 * pull_objects.c - the objects beside tables, shaped for writing
 * (pull.h): extensions in the order they were made, domains, sequences,
 * and serial columns (a column that owns a sequence of PostgreSQL's
 * serial name and the column's type, with nextval() of it as its
 * default; other parameters than serial's are said under `sequence:`).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pull_int.h"

/* ---- extensions ---- */

static long
ext_rank(const struct pull_facts *facts, const char *name)
{
	for (size_t i = 0; facts && i < facts->n; i++)
		if (!strcmp(facts->v[i].kind, PULL_F_EXTENSION) &&
		    facts->v[i].table && !strcmp(facts->v[i].table, name))
			return facts->v[i].detail ?
			    strtol(facts->v[i].detail, NULL, 10) : 0;
	return facts ? -1 : 0;
}

static void
ext_remove(struct schema *s, size_t i)
{
	free(s->exts[i].name);
	free(s->exts[i].schema);
	free(s->exts[i].version);
	memmove(&s->exts[i], &s->exts[i + 1],
	    (s->nexts - i - 1) * sizeof(*s->exts));
	s->nexts--;
}

/*
 * Every extension but plpgsql (every database has it), in the order the
 * database made them (one may need another: earthdistance needs cube);
 * the schema said only when it is not public or pg_catalog, the version
 * never (a person does not pin it; the plan compares what is said).
 */
void
prep_extensions(struct prep *p, const struct pull_facts *facts)
{
	struct schema *s = p->s;
	long *rank = calloc(s->nexts + 1, sizeof(*rank));

	if (rank == NULL) {
		p->nomem = 1;
		return;
	}
	for (size_t i = s->nexts; i-- > 0;)
		if (!strcmp(s->exts[i].name, "plpgsql") ||
		    ext_rank(facts, s->exts[i].name) < 0)
			ext_remove(s, i);
	for (size_t i = 0; i < s->nexts; i++) {
		struct sch_extension *x = &s->exts[i];

		rank[i] = ext_rank(facts, x->name);
		free(x->version);
		x->version = NULL;
		if (x->schema && (!strcmp(x->schema, "public") ||
		    !strcmp(x->schema, "pg_catalog"))) {
			free(x->schema);
			x->schema = NULL;
		}
	}
	/* insertion sort by rank: a handful of extensions */
	for (size_t i = 1; i < s->nexts; i++) {
		struct sch_extension x = s->exts[i];
		long r = rank[i];
		size_t j = i;

		for (; j > 0 && rank[j - 1] > r; j--) {
			s->exts[j] = s->exts[j - 1];
			rank[j] = rank[j - 1];
		}
		s->exts[j] = x;
		rank[j] = r;
	}
	free(rank);
}

/* ---- domains ---- */

void
prep_domain_drop(struct prep *p, size_t i, const char *why)
{
	const struct sch_domain *d = &p->s->domains[i];
	char *type, msg[300];

	if (asprintf(&type, "%s.%s", d->schema, d->name) == -1) {
		p->nomem = 1;
		return;
	}
	prep_note(p, "domain", d->schema, d->name, NULL, "%s", why);
	snprintf(msg, sizeof(msg), "its type, the domain %.200s, is not "
	    "written", type);
	for (size_t k = 0; k < p->s->ntables; k++) {
		struct sch_table *t = &p->s->tables[k];

		for (size_t j = t->ncols; j-- > 0;)
			if (t->cols[j].is_domain &&
			    !strcmp(t->cols[j].type, type))
				prep_drop_column(p, t, j, msg);
	}
	free(type);
	schema_remove_domain(p->s, i);
}

/* Why domain d cannot be said (its type as the catalog reads it). */
static const char *
domain_why(struct prep *p, const struct sch_domain *d, char *why,
    size_t len)
{
	if (prep_dotted(d->schema) || prep_dotted(d->name))
		return "not written: its name or its schema's has a dot";
	if (d->base_enum ? prep_one_dot(d->type) : d->base_ext ?
	    prep_ext_type_ok(d->type) : prep_type_spelling(p, d->type) !=
	    NULL)
		return NULL;
	snprintf(why, len, "not written: its base type %s is not one the "
	    "model format can say", d->type);
	return why;
}

/* Defaults without PostgreSQL's casts, checks without its parentheses,
   the base type's short name. */
void
prep_domains(struct prep *p)
{
	char buf[300];
	const char *why, *sp;

	for (size_t i = p->s->ndomains; i-- > 0;) {
		struct sch_domain *d = &p->s->domains[i];
		struct sch_column c;

		if ((why = domain_why(p, d, buf, sizeof(buf))) != NULL) {
			prep_domain_drop(p, i, why);
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.type = d->type;
		c.is_enum = d->base_enum;
		c.def = d->def;
		prep_default_plain(p, &c);
		d->def = c.def;
		for (size_t k = 0; k < d->nchecks; k++)
			prep_strip_parens(d->checks[k].expr);
		if (d->base_enum || d->base_ext ||
		    (sp = prep_type_spelling(p, d->type)) == NULL ||
		    !strcmp(sp, d->type))
			continue;
		free(d->type);
		if ((d->type = strdup(sp)) == NULL)
			p->nomem = 1;
	}
}

/* ---- sequences ---- */

/* Is column "sch.table.column" (a sequence's owner) written? */
static int
owner_written(const struct schema *s, const char *owner)
{
	for (size_t i = 0; i < s->ntables; i++) {
		const struct sch_table *t = &s->tables[i];
		size_t a = strlen(t->schema), b = strlen(t->name);

		if (strncmp(owner, t->schema, a) || owner[a] != '.' ||
		    strncmp(owner + a + 1, t->name, b) ||
		    owner[a + b + 1] != '.')
			continue;
		if (schema_find_column(t, owner + a + b + 2))
			return 1;
	}
	return 0;
}

static int nextval_target(const char *, char **, char **);

/* The sequence of every column default that calls nextval(), once per
   call (a serial's sequence that another column draws from too is not
   written as serial: the other table may be created first). */
static void
nextvals_list(struct prep *p)
{
	char *sch, *name, *key;

	for (size_t i = 0; i < p->s->ntables; i++)
		for (size_t j = 0; j < p->s->tables[i].ncols; j++) {
			const char *def = p->s->tables[i].cols[j].def;

			if (def == NULL || strstr(def, "nextval(") == NULL ||
			    nextval_target(def, &sch, &name) == -1)
				continue;
			if (asprintf(&key, "%s.%s", sch, name) == -1)
				key = NULL;
			if (key == NULL ||
			    schema_strv_push(&p->nextvals, key) == -1)
				p->nomem = 1;
			free(key);
			free(sch);
			free(name);
		}
}

/* A sequence whose name the format cannot say, or whose owner (a
   column) is not written, is not written either. */
void
prep_sequences_prune(struct prep *p)
{
	nextvals_list(p);
	for (size_t i = p->s->nseqs; i-- > 0;) {
		const struct sch_sequence *q = &p->s->seqs[i];

		if (prep_dotted(q->schema) || prep_dotted(q->name))
			prep_note(p, "sequence", q->schema, q->name, NULL,
			    "not written: its name or its schema's has a dot");
		else if (q->owned_by && !owner_written(p->s, q->owned_by))
			prep_note(p, "sequence", q->schema, q->name, NULL,
			    "not written: it belongs to column %s, which is "
			    "not written", q->owned_by);
		else
			continue;
		schema_remove_sequence(p->s, i);
	}
}

/*
 * The sequence nextval() of def draws from: "nextval('name'::regclass)",
 * the name qualified when its schema is not on the search path (public
 * then).  0 and malloc'd *sch, *name, or -1.
 */
static int
nextval_target(const char *def, char **sch, char **name)
{
	static const char pre[] = "nextval('", suf[] = "'::regclass)";
	size_t n = strlen(def), ps = sizeof(pre) - 1, ss = sizeof(suf) - 1;
	char *lit, *id = NULL, *dot;
	const char *q;
	int rc = -1;

	*sch = *name = NULL;
	if (n <= ps + ss || strncmp(def, pre, ps) || strcmp(def + n - ss, suf))
		return -1;
	if ((lit = strndup(def + ps, n - ps - ss)) == NULL ||
	    strchr(lit, '\''))
		goto out;
	q = lit;
	if ((id = prep_ident_at(&q)) == NULL || *q != '\0')
		goto out;
	if ((dot = strchr(id, '.')) != NULL) {
		if (strchr(dot + 1, '.'))
			goto out;
		*sch = strndup(id, (size_t)(dot - id));
		*name = strdup(dot + 1);
	} else {
		*sch = strdup("public");
		*name = strdup(id);
	}
	rc = *sch && *name ? 0 : -1;
out:
	if (rc == -1) {
		free(*sch);
		free(*name);
		*sch = *name = NULL;
	}
	free(lit);
	free(id);
	return rc;
}

int
prep_nextval_written(struct prep *p, const char *def)
{
	char *sch, *name;
	int found;

	if (nextval_target(def, &sch, &name) == -1)
		return 0;
	found = schema_find_sequence(p->s, sch, name) != NULL;
	free(sch);
	free(name);
	return found;
}

/* The parameters serial gives the sequence of a column of type coltype. */
static int
serial_params(const struct sch_sequence *q, const char *coltype)
{
	long long hi = !strcmp(coltype, "smallint") ? 32767 :
	    !strcmp(coltype, "integer") ? INT_MAX : LLONG_MAX;

	return !strcmp(q->type, coltype) && q->start == 1 &&
	    q->increment == 1 && q->min == 1 && q->max == hi &&
	    q->cache == 1 && !q->cycle;
}

/* Is sequence q (owned by c) what serial would make for c of t? */
static int
serial_like(const struct sch_table *t, const struct sch_column *c,
    const struct sch_sequence *q)
{
	char *sch, *name, *want;
	int ok;

	/* serial makes the sequence of an unlogged table unlogged */
	if (!c->notnull || c->identity || c->generated || c->def == NULL ||
	    q->unlogged != t->unlogged ||
	    strcmp(q->schema, t->schema) || strcmp(q->type, c->type) ||
	    nextval_target(c->def, &sch, &name) == -1)
		return 0;
	ok = !strcmp(sch, q->schema) && !strcmp(name, q->name);
	free(sch);
	free(name);
	if (!ok || (want = schema_serial_seq_name(t->name, c->name)) == NULL)
		return 0;
	ok = !strcmp(want, q->name);
	free(want);
	return ok;
}

/* Sequence q's options, not serial's, said with the column (sequence:). */
static int
serial_opts(struct sch_column *c, const struct sch_sequence *q)
{
	struct sch_sequence *o = calloc(1, sizeof(*o));

	if ((c->seq = o) == NULL)
		return -1;
	*o = *q;
	o->schema = o->name = o->owned_by = NULL;
	memset(&o->pos, 0, sizeof(o->pos));
	return (o->type = strdup(q->type)) == NULL ||
	    (o->schema = strdup(q->schema)) == NULL ||
	    (o->name = strdup(q->name)) == NULL ? -1 : 0;
}

static size_t
strv_count(char *const *v, const char *s)
{
	size_t n = 0;

	for (size_t i = 0; v && v[i]; i++)
		n += !strcmp(v[i], s);
	return n;
}

/*
 * A column the catalog calls serial (its default draws from a sequence it
 * owns) is written as serial when PostgreSQL's serial would make exactly
 * that sequence; otherwise as its type with the nextval() default, and
 * its sequence as a standalone one (prep_sequences_done() notes it).
 */
void
prep_serial(struct prep *p, struct sch_table *t, struct sch_column *c)
{
	const struct sch_sequence *q = NULL;
	const char *dot = c->serial_seq ? strchr(c->serial_seq, '.') : NULL;
	char *sch;

	if (dot && (sch = strndup(c->serial_seq,
	    (size_t)(dot - c->serial_seq))) != NULL) {
		q = schema_find_sequence(p->s, sch, dot + 1);
		free(sch);
	}
	if (q == NULL || !serial_like(t, c, q) ||
	    strv_count(p->nextvals, c->serial_seq) != 1) {
		c->serial = 0;
		return;
	}
	if (schema_strv_push(&p->serial_seqs, c->serial_seq) == -1 ||
	    (!serial_params(q, c->type) && serial_opts(c, q) == -1)) {
		p->nomem = 1;
		return;
	}
	free(c->def);
	c->def = NULL;
}

/* owned_by can say "table.column" when neither name has a dot. */
static int
owner_sayable(const struct sch_sequence *q)
{
	const char *tc = q->owned_by + strlen(q->schema) + 1;
	const char *dot = strchr(tc, '.');

	return dot && !strchr(dot + 1, '.');
}

/* A serial column's sequence goes with the column; a sequence another
   column owns is written on its own, with owned_by. */
void
prep_sequences_done(struct prep *p)
{
	char key[2 * SCH_NAME_MAX + 8];

	for (size_t i = p->s->nseqs; i-- > 0;) {
		struct sch_sequence *q = &p->s->seqs[i];

		snprintf(key, sizeof(key), "%s.%s", q->schema, q->name);
		if (strv_count(p->serial_seqs, key))
			schema_remove_sequence(p->s, i);
		else if (q->owned_by && !owner_sayable(q)) {
			prep_note(p, "sequence", q->schema, q->name, NULL,
			    "written without owned_by: OWNED BY %s is not "
			    "said (a table or column name with a dot)",
			    q->owned_by);
			free(q->owned_by);
			q->owned_by = NULL;
		}
	}
}
