/*
 * catalog.c - the live schema from PostgreSQL's catalogs.
 *
 * Eight bulk queries (CATALOG_QUERIES) in two round trips, each for every
 * table of the schemas asked for at once; lists come back as JSON arrays
 * (jansson) so names with any characters survive.  Rows are matched to
 * tables by oid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "idxdef.h"
#include "quote.h"

/* In scope: the schemas asked for, or with $1 NULL every user schema. */
#define NSP_IN(col)	"COALESCE(" col " = ANY($1::text[]), " col \
			" !~ '^pg_' AND " col " <> 'information_schema')"
#define NSP_FILTER	NSP_IN("n.nspname")

#define NOT_EXT_MEMBER(cls, oid) \
    " NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '" cls \
    "'::regclass AND x.objid = " oid " AND x.deptype = 'e')"

/*
 * Schemas and the extensions of the database (kind 'x': name, version,
 * schema) in q_schemas; the SQL objects (core/schema.h, struct
 * sch_object) in q_objects, rows of the same shape (load_schemas() reads
 * both): views 'v' and materialized views 'm' (definition, columns,
 * options), functions 'f' and procedures 'p' (body, identity arguments,
 * arguments, result), triggers 't' (definition, table, enabled) and
 * policies 'y' (USING, table, command and permissive, WITH CHECK,
 * roles); rules 'r' (definition, table) and aggregates 'a' (identity
 * arguments), which the models cannot say: read to be drift.  The last
 * column: a view's or routine's comment.  An extension's own objects are the extension's; so are the
 * triggers PostgreSQL makes (foreign keys) or clones onto partitions.
 */
static const char q_schemas[] =
    "SELECT 's', n.nspname::text, NULL::text, NULL::text, NULL::text,"
    "  NULL::text, NULL::text, NULL::text, NULL::oid, NULL::text"
    " FROM pg_namespace n"
    " WHERE " NSP_FILTER
    " UNION ALL SELECT 'x', e.extname, e.extversion, n.nspname, NULL, NULL,"
    "  NULL, NULL, NULL, NULL"
    " FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    " ORDER BY 1, 2, 3";

/*
 * What is in scope besides the schemas themselves, three answers: any
 * relation (table, view, sequence, index, ...); any SQL object (a view,
 * a routine, or a trigger, policy or rule on a relation); any enum or
 * domain.  Every row of q_tables, q_columns, q_constraints and q_indexes
 * is a relation or hangs off one (a column, a constraint, an index), every
 * row of q_objects is a SQL object, every row of q_enums an enum label or
 * a domain: a query whose answer is no could only come back empty, and is
 * not sent (planning them on a fresh backend is most of the read's cost:
 * a database a fleet has just created sends none of them).  Each question
 * is a superset of what its queries read (extension members, internal
 * triggers, the _RETURN rules of views included).
 */
/*
 * The schemas in scope are found once (s.a, their oids), and each
 * question asks for a row in one of them: a join to pg_namespace in
 * every one would be seven joins more to plan on a fresh backend.
 */
#define IN_SCOPE(col)	" " col " = ANY (s.a)"
static const char q_anything[] =
    "SELECT EXISTS (SELECT 1 FROM pg_class c WHERE"
    IN_SCOPE("c.relnamespace") "),"
    " EXISTS (SELECT 1 FROM pg_class c WHERE c.relkind IN ('v', 'm') AND"
    IN_SCOPE("c.relnamespace") ")"
    " OR EXISTS (SELECT 1 FROM pg_proc p WHERE"
    IN_SCOPE("p.pronamespace") ")"
    " OR EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c"
    "  ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND"
    IN_SCOPE("c.relnamespace") ")"
    " OR EXISTS (SELECT 1 FROM pg_policy y JOIN pg_class c"
    "  ON c.oid = y.polrelid WHERE" IN_SCOPE("c.relnamespace") ")"
    " OR EXISTS (SELECT 1 FROM pg_rewrite w JOIN pg_class c"
    "  ON c.oid = w.ev_class WHERE w.rulename <> '_RETURN' AND"
    IN_SCOPE("c.relnamespace") "),"
    " EXISTS (SELECT 1 FROM pg_type t WHERE t.typtype IN ('e', 'd') AND"
    IN_SCOPE("t.typnamespace") ")"
    " FROM (SELECT array_agg(n.oid) AS a FROM pg_namespace n"
    "  WHERE " NSP_FILTER ") s";

static const char q_objects[] =
    "SELECT c.relkind::text, n.nspname::text, c.relname::text,"
    "  pg_get_viewdef(c.oid), " CATALOG_VIEW_COLS("c") ","
    "  array_to_json(c.reloptions)::text, NULL, NULL, c.oid,"
    "  obj_description(c.oid, 'pg_class')"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('v', 'm') AND " NSP_FILTER " AND"
    NOT_EXT_MEMBER("pg_class", "c.oid")
    " UNION ALL SELECT p.prokind::text, n.nspname, p.proname,"
    "  " CATALOG_FUNC_BODY("p", "quote_ident(n.nspname)") ","
    "  pg_get_function_identity_arguments(p.oid),"
    "  pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),"
    "  NULL, p.oid, obj_description(p.oid, 'pg_proc')"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE p.prokind IN ('f', 'p') AND " NSP_FILTER " AND"
    NOT_EXT_MEMBER("pg_proc", "p.oid")
    " UNION ALL SELECT 't', n.nspname, t.tgname, pg_get_triggerdef(t.oid),"
    "  c.relname, t.tgenabled::text, NULL, NULL, t.oid, NULL"
    " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND " NSP_FILTER
    " UNION ALL SELECT 'y', n.nspname, p.polname,"
    "  pg_get_expr(p.polqual, p.polrelid), c.relname, p.polcmd::text ||"
    "  CASE WHEN p.polpermissive THEN 't' ELSE 'f' END,"
    "  pg_get_expr(p.polwithcheck, p.polrelid),"
    "  (SELECT json_agg(CASE WHEN r = 0 THEN 'public' ELSE"
    "   pg_get_userbyid(r)::text END ORDER BY 1) FROM unnest(p.polroles) r)"
    "   ::text, p.oid, NULL"
    " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " NSP_FILTER
    " UNION ALL SELECT 'r', n.nspname, w.rulename, pg_get_ruledef(w.oid),"
    "  c.relname, NULL, NULL, NULL, w.oid, NULL"
    " FROM pg_rewrite w JOIN pg_class c ON c.oid = w.ev_class"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE w.rulename <> '_RETURN' AND " NSP_FILTER " AND"
    NOT_EXT_MEMBER("pg_class", "c.oid")
    " UNION ALL SELECT 'a', n.nspname, p.proname, NULL,"
    "  pg_get_function_identity_arguments(p.oid), NULL, NULL, NULL, p.oid,"
    "  NULL"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE p.prokind = 'a' AND " NSP_FILTER " AND"
    NOT_EXT_MEMBER("pg_proc", "p.oid")
    " ORDER BY 1, 2, 3";

/*
 * q_schemas for an empty list of schemas: its rows are then the
 * extensions alone, read without planning and running the scans of
 * pg_proc, pg_class, pg_trigger, pg_policy and pg_rewrite that would find
 * nothing (3-10 ms of the server's time at every start with no model).
 */
static const char q_extensions[] =
    "SELECT 'x', e.extname::text, e.extversion, n.nspname::text,"
    "  NULL::text, NULL::text, NULL::text, NULL::text, NULL::oid, NULL::text"
    " FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    " WHERE cardinality($1::text[]) = 0"
    " ORDER BY 1, 2, 3";

/*
 * Enum labels (kind 'e') and domains (kind 'd': base type, NOT NULL,
 * default, a collation other than the base type's, checks as JSON
 * [[name, expr], ...]), enums first so a domain over an enum finds it.
 * Types an extension made are its own, not the models'.
 */
static const char q_enums[] =
    "SELECT 'e', n.nspname, t.typname, e.enumlabel, t.oid, t.typarray,"
    "  e.enumsortorder, NULL, NULL, NULL, NULL, NULL, NULL"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    " JOIN pg_enum e ON e.enumtypid = t.oid"
    " WHERE t.typtype = 'e' AND " NSP_FILTER " AND"
    NOT_EXT_MEMBER("pg_type", "t.oid")
    " UNION ALL"
    " SELECT 'd', n.nspname, t.typname, NULL, t.oid, t.typarray, 0,"
    "  format_type(t.typbasetype, t.typtypmod), t.typnotnull,"
    "  pg_get_expr(t.typdefaultbin, 0),"
    "  CASE WHEN t.typcollation <> b.typcollation THEN"
    "   (SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname"
    "    ELSE cn.nspname || '.' || co.collname END FROM pg_collation co"
    "    JOIN pg_namespace cn ON cn.oid = co.collnamespace"
    "    WHERE co.oid = t.typcollation) END,"
    "  (SELECT json_agg(json_build_array(k.conname,"
    "    pg_get_expr(k.conbin, 0)) ORDER BY k.conname) FROM pg_constraint k"
    "   WHERE k.contypid = t.oid AND k.contype = 'c'), t.typbasetype"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    " JOIN pg_type b ON b.oid = t.typbasetype"
    " WHERE t.typtype = 'd' AND " NSP_FILTER " AND"
    NOT_EXT_MEMBER("pg_type", "t.oid")
    " ORDER BY 1 DESC, 2, 3, 7";

/*
 * Tables (relkind r, p: partitioned; partitions flagged) and sequences
 * (S, with their parameters and the column that owns one: deptype 'a' a
 * serial column's, 'i' an identity's).  Comments come from one join each,
 * not a function call per row.  An extension's own tables are its own.
 */
static const char q_tables[] =
    "SELECT c.oid, n.nspname, c.relname, d.description, c.relkind,"
    "  c.relispartition, format_type(sq.seqtypid, NULL), sq.seqstart,"
    "  sq.seqincrement, sq.seqmin, sq.seqmax, sq.seqcache, sq.seqcycle,"
    "  dep.refobjid, dep.refobjsubid, dep.deptype, c.relrowsecurity,"
    "  c.relforcerowsecurity, c.relpersistence,"
    "  array_to_json(c.reloptions)::text"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_description d ON d.objoid = c.oid AND"
    "      d.classoid = 'pg_class'::regclass AND d.objsubid = 0"
    " LEFT JOIN pg_sequence sq ON sq.seqrelid = c.oid"
    " LEFT JOIN pg_depend dep ON c.relkind = 'S' AND"
    "      dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND"
    "      dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')"
    " WHERE c.relkind IN ('r', 'p', 'S') AND " NSP_FILTER " AND"
    NOT_EXT_MEMBER("pg_class", "c.oid")
    " ORDER BY 1";

/*
 * Unordered: sorting 10,000 wide rows costs the server a fifth of the
 * query; load_columns() puts each table's columns in attnum order.  Enum
 * types (and arrays of them) are named from q_enums' oids, not by joining
 * pg_type twice here (another fifth).
 */
static const char q_columns[] =
    "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),"
    "  a.atttypid, a.attnotnull,"
    /* a default has no Vars (a generated column has): relid 0 spares
       pg_get_expr opening every table for its deparse context */
    "  pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0"
    "              ELSE ad.adrelid END), d.description, a.attnum,"
    "  a.attidentity, a.attgenerated,"
    /* a collation other than the type's (rare: a subquery then only) */
    "  CASE WHEN a.attcollation NOT IN (0, 100) AND a.attcollation <>"
    "   (SELECT t.typcollation FROM pg_type t WHERE t.oid = a.atttypid) THEN"
    "   (SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname"
    "    ELSE cn.nspname || '.' || co.collname END FROM pg_collation co"
    "    JOIN pg_namespace cn ON cn.oid = co.collnamespace"
    "    WHERE co.oid = a.attcollation) END"
    " FROM pg_attribute a"
    " JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND"
    "      ad.adnum = a.attnum"
    " LEFT JOIN pg_description d ON d.objoid = a.attrelid AND"
    "      d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum"
    " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND"
    "   a.attnum > 0 AND NOT a.attisdropped AND " NSP_FILTER;

/*
 * Column numbers come back as JSON arrays and are named from the columns
 * already loaded; only a foreign key to a table outside the schemas asked
 * for, or to a partition (whose columns are not loaded), gets its
 * referenced names from a subquery.  A unique or primary
 * key's own index gives its INCLUDE columns and NULLS NOT DISTINCT (a
 * foreign key's conindid is the referenced table's index: not joined).
 */
static const char q_constraints[] =
    "SELECT co.conrelid, co.conname, co.contype,"
    "  CASE WHEN co.contype <> 'x' THEN array_to_json(co.conkey) END,"
    "  rn.nspname, rc.relname,"
    "  array_to_json(co.confkey), co.confdeltype, co.confupdtype,"
    "  co.convalidated,"
    "  CASE WHEN co.contype = 'c' THEN pg_get_expr(co.conbin, co.conrelid)"
    "  WHEN co.contype = 'x' THEN pg_get_constraintdef(co.oid)"
    "  END, co.confrelid,"
    "  CASE WHEN co.contype = 'f' AND (NOT " NSP_IN("rn.nspname") " OR"
    "   rc.relispartition) THEN"
    "   (SELECT json_agg(a.attname ORDER BY k.o) FROM unnest(co.confkey)"
    "    WITH ORDINALITY k(n, o) JOIN pg_attribute a ON"
    "    a.attrelid = co.confrelid AND a.attnum = k.n) END,"
    "  co.condeferrable, co.condeferred, co.confmatchtype,"
    "  ci.indnullsnotdistinct, CASE WHEN ci.indnatts > ci.indnkeyatts THEN"
    "   array_to_json((ci.indkey::int2[])[ci.indnkeyatts:ci.indnatts - 1])"
    "  END"
    " FROM pg_constraint co"
    " JOIN pg_class c ON c.oid = co.conrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_index ci ON ci.indexrelid = co.conindid AND"
    "      co.contype IN ('p', 'u')"
    " LEFT JOIN pg_class rc ON rc.oid = co.confrelid"
    " LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace"
    /* exclusion constraints: read so that they are drift, not silence */
    " WHERE co.contype IN ('p', 'u', 'f', 'c', 'x') AND " NSP_FILTER
    " ORDER BY co.conrelid, co.conname";

/*
 * Indexes that do not back a primary key / unique / exclusion constraint;
 * key columns as numbers, expression keys printed only where there are;
 * INCLUDE columns as numbers.  The whole definition, from which
 * idxdef_split() takes each key's collation, operator class and order
 * (what pg_get_indexdef() prints is what PostgreSQL counts as not the
 * default for the key), is printed only for an index that may have one
 * (pg_get_indexdef() costs 15-25 us an index, most of the query): an
 * order bit in indoption, an operator class that is no type's default, a
 * collation other than none and the database default (oid 100), or a
 * table with a column of another collation (a key may then have COLLATE
 * "default").  Not caught: a default operator class of another type
 * chosen where the key's type has its own, a COLLATE "default" on an
 * expression that has a COLLATE clause of its own.
 */
static const char q_indexes[] =
    "SELECT i.indrelid, ic.relname, i.indisunique, am.amname,"
    "  i.indisvalid, pg_get_expr(i.indpred, i.indrelid),"
    "  array_to_json((i.indkey::int2[])[0:i.indnkeyatts - 1]),"
    "  CASE WHEN 0 = ANY (i.indkey::int2[]) THEN"
    "   (SELECT json_agg(pg_get_indexdef(i.indexrelid, k, true) ORDER BY k)"
    "    FROM generate_series(1, i.indnkeyatts) k) END,"
    "  CASE WHEN 0 <> ANY (i.indoption::int2[]) OR i.indclass::oid[] &&"
    "   (SELECT array_agg(o.oid) FROM pg_opclass o WHERE NOT o.opcdefault)"
    "   OR NOT i.indcollation::oid[] <@ '{0,100}'::oid[] OR i.indrelid IN"
    "   (SELECT a.attrelid FROM pg_attribute a WHERE a.attrelid >= 16384"
    "    AND a.attcollation NOT IN (0, 100))"
    "  THEN pg_get_indexdef(i.indexrelid, 0, true) END,"
    "  CASE WHEN i.indnatts > i.indnkeyatts THEN array_to_json("
    "   (i.indkey::int2[])[i.indnkeyatts:i.indnatts - 1]) END,"
    "  i.indnullsnotdistinct, array_to_json(ic.reloptions)::text,"
    "  d.description"
    " FROM pg_index i"
    " JOIN pg_class ic ON ic.oid = i.indexrelid"
    " LEFT JOIN pg_description d ON d.objoid = i.indexrelid AND"
    "      d.classoid = 'pg_class'::regclass AND d.objsubid = 0"
    " JOIN pg_class c ON c.oid = i.indrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_am am ON am.oid = ic.relam"
    " WHERE c.relkind IN ('r', 'p') AND " NSP_FILTER " AND"
    "   i.indexrelid NOT IN (SELECT co.conindid FROM pg_constraint co"
    "    WHERE co.contype IN ('p', 'u', 'x'))"
    " ORDER BY i.indrelid, ic.relname";

/* Tables in oid order, for binary search by oid. */
struct catalog_ctx {
	struct schema	*s;
	unsigned long	*oids;		/* oids[i] is s->tables[i] */
	/* [2i], [2i+1]: s->enums[i], its array */
	unsigned long	*enum_oids;
	unsigned long	*dom_oids;	/* [i]: s->domains[i] */
	/* [2i], [2i+1]: s->seqs[i]'s owner: table oid, column (or 0) */
	unsigned long	*seq_owner;
	/* q_anything's answers: relations, SQL objects, enums or domains */
	int		 rels, objs, types;
};

static int
catalog_nomem(struct merr *e)
{
	return merr_set(e, MERR_NOMEM, "out of memory");
}

static struct sch_table *
catalog_table_oid(struct catalog_ctx *cx, unsigned long oid)
{
	size_t lo = 0, hi = cx->s->ntables;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cx->oids[mid] == oid)
			return &cx->s->tables[mid];
		if (cx->oids[mid] < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct sch_table *
catalog_table(struct catalog_ctx *cx, const char *oidstr)
{
	return catalog_table_oid(cx, strtoul(oidstr, NULL, 10));
}

static const char *
val(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int
dupnull(char **dst, const char *s)
{
	*dst = NULL;
	return (s && (*dst = strdup(s)) == NULL) ? -1 : 0;
}

/* A JSON array of names into a NULL-terminated list. */
static int
catalog_names(const char *text, char ***out)
{
	json_t *j, *v;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (text == NULL)
		return 0;
	if ((j = json_loads(text, 0, NULL)) == NULL)
		return -1;
	if ((*out = calloc(1, sizeof(char *))) == NULL)
		rc = -1;
	json_array_foreach(j, i, v)
		if (rc == 0 && (!json_is_string(v) ||
		    schema_strv_push(out, json_string_value(v)) == -1))
			rc = -1;
	json_decref(j);
	return rc;
}


/* A view, function, trigger or policy row (see q_schemas). */
static int
load_object(struct catalog_ctx *cx, PGresult *r, int i)
{
	char kind = val(r, i, 0)[0] == 'y' ? SCH_POLICY : val(r, i, 0)[0];
	int rel = kind == SCH_TRIGGER || kind == SCH_POLICY ||
	    kind == SCH_RULE;
	struct sch_object *o;
	const char *f = val(r, i, 5);

	if ((o = schema_add_object(cx->s, kind, val(r, i, 1), val(r, i, 2),
	    rel ? val(r, i, 4) : NULL)) == NULL)
		return -1;
	o->oid = strtoul(val(r, i, 8), NULL, 10);
	if (dupnull(&o->comment, val(r, i, 9)) == -1)
		return -1;
	if (kind == SCH_AGGREGATE)
		return dupnull(&o->ident, val(r, i, 4));
	if (kind == SCH_RULE)
		return dupnull(&o->def, val(r, i, 3));
	if (kind == SCH_TRIGGER) {
		o->enabled = f[0];
		return dupnull(&o->def, val(r, i, 3));
	}
	if (kind == SCH_POLICY) {
		o->cmd = f[0];
		o->permissive = f[1] == 't';
		return dupnull(&o->qual, val(r, i, 3)) == -1 ||
		    dupnull(&o->check, val(r, i, 6)) == -1 ||
		    catalog_names(val(r, i, 7), &o->roles) == -1 ? -1 : 0;
	}
	if (dupnull(&o->def, val(r, i, 3)) == -1)
		return -1;
	if (kind == SCH_VIEW || kind == SCH_MATVIEW)
		return dupnull(&o->cols, val(r, i, 4)) == -1 ||
		    dupnull(&o->opts, val(r, i, 5)) == -1 ? -1 : 0;
	return dupnull(&o->ident, val(r, i, 4)) == -1 ||
	    dupnull(&o->args, val(r, i, 5)) == -1 ||
	    dupnull(&o->result, val(r, i, 6)) == -1 ? -1 : 0;
}

static int
load_schemas(struct catalog_ctx *cx, PGresult *r, struct merr *e)
{
	struct sch_extension *x;
	int rc = 0;

	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		if (val(r, i, 0)[0] == 's') {
			rc = schema_add_schema(cx->s, val(r, i, 1));
			continue;
		}
		if (val(r, i, 0)[0] != 'x') {
			rc = load_object(cx, r, i);
			continue;
		}
		if ((x = schema_add_extension(cx->s, val(r, i, 1))) == NULL ||
		    dupnull(&x->version, val(r, i, 2)) == -1 ||
		    dupnull(&x->schema, val(r, i, 3)) == -1)
			rc = -1;
	}
	return rc == -1 ? catalog_nomem(e) : 0;
}

/* The enum of type oid (*array: the oid is its array type), or NULL. */
static const struct sch_enum *
catalog_enum(struct catalog_ctx *cx, unsigned long oid, int *array)
{
	for (size_t i = 0; cx->enum_oids && i < 2 * cx->s->nenums; i++)
		if (cx->enum_oids[i] == oid) {
			*array = i % 2;
			return &cx->s->enums[i / 2];
		}
	return NULL;
}

/* A domain row: base type, NOT NULL, default, collation, checks. */
static int
load_domain(struct catalog_ctx *cx, PGresult *r, int i)
{
	struct sch_domain *d;
	const struct sch_enum *en;
	unsigned long base = strtoul(val(r, i, 12), NULL, 10);
	json_t *j = NULL, *v;
	size_t k, n = cx->s->ndomains;
	int arr, rc = 0;

	if ((d = schema_add_domain(cx->s, val(r, i, 1), val(r, i, 2))) == NULL)
		return -1;
	cx->dom_oids[n] = strtoul(val(r, i, 4), NULL, 10);
	if ((en = catalog_enum(cx, base, &arr)) != NULL) {
		d->base_enum = 1;
		if (asprintf(&d->type, "%s.%s%s", en->schema, en->name,
		    arr ? "[]" : "") == -1)
			d->type = NULL;
	} else
		d->type = strdup(val(r, i, 7));
	d->notnull = val(r, i, 8)[0] == 't';
	if (d->type == NULL || dupnull(&d->def, val(r, i, 9)) == -1 ||
	    dupnull(&d->collation, val(r, i, 10)) == -1 ||
	    (val(r, i, 11) && (j = json_loads(val(r, i, 11), 0, NULL)) == NULL))
		return -1;
	json_array_foreach(j, k, v)
		if (rc == 0 && schema_add_dcheck(d, json_string_value(
		    json_array_get(v, 0)), json_string_value(json_array_get(v,
		    1))) == NULL)
			rc = -1;
	json_decref(j);
	return rc;
}

static int
load_enums(struct catalog_ctx *cx, PGresult *r, struct merr *e)
{
	struct sch_enum *en = NULL;
	size_t k;
	int rc = 0;

	if ((cx->enum_oids = calloc(2 * (size_t)PQntuples(r) + 2,
	    sizeof(*cx->enum_oids))) == NULL ||
	    (cx->dom_oids = calloc((size_t)PQntuples(r) + 1,
	    sizeof(*cx->dom_oids))) == NULL)
		return catalog_nomem(e);
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		if (val(r, i, 0)[0] == 'd') {
			rc = load_domain(cx, r, i);
			continue;
		}
		if (en == NULL || strcmp(en->schema, val(r, i, 1)) ||
		    strcmp(en->name, val(r, i, 2))) {
			if ((en = schema_add_enum(cx->s, val(r, i, 1),
			    val(r, i, 2))) == NULL) {
				rc = -1;
				break;
			}
			k = 2 * (cx->s->nenums - 1);
			cx->enum_oids[k] = strtoul(val(r, i, 4), NULL, 10);
			cx->enum_oids[k + 1] = strtoul(val(r, i, 5), NULL, 10);
		}
		if (schema_strv_push(&en->labels, val(r, i, 3)) == -1)
			rc = -1;
	}
	return rc == -1 ? catalog_nomem(e) : 0;
}

/* A column's type: "schema.name" for an enum ("[]" for an array of
   it) or a domain, else as format_type() printed it. */
static int
column_type(struct catalog_ctx *cx, struct sch_column *c, const char *fmt,
    const char *typid)
{
	unsigned long oid = strtoul(typid, NULL, 10);
	int arr;

	/* built-in types (below FirstNormalObjectId) are never enums */
	if (oid < 16384)
		return dupnull(&c->type, fmt);
	for (size_t i = 0; i < 2 * cx->s->nenums; i++) {
		const struct sch_enum *en = &cx->s->enums[i / 2];

		if (cx->enum_oids[i] != oid)
			continue;
		c->is_enum = 1;
		arr = i % 2;
		if (asprintf(&c->type, "%s.%s%s", en->schema, en->name,
		    arr ? "[]" : "") == -1) {
			c->type = NULL;
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < cx->s->ndomains; i++)
		if (cx->dom_oids[i] == oid) {
			const struct sch_domain *d = &cx->s->domains[i];

			c->is_domain = 1;
			if (asprintf(&c->type, "%s.%s", d->schema, d->name) ==
			    -1) {
				c->type = NULL;
				return -1;
			}
			return 0;
		}
	return dupnull(&c->type, fmt);
}

/* A sequence row: its parameters and (for now) the oid of its owner. */
static int
load_sequence(struct catalog_ctx *cx, PGresult *r, int i)
{
	struct sch_sequence *q;
	size_t n = cx->s->nseqs;

	/* an identity column's sequence is the column's (attidentity) */
	if (val(r, i, 15) && val(r, i, 15)[0] == 'i')
		return 0;
	if ((q = schema_add_sequence(cx->s, val(r, i, 1), val(r, i, 2))) ==
	    NULL || dupnull(&q->type, val(r, i, 6)) == -1)
		return -1;
	q->start = strtoll(val(r, i, 7), NULL, 10);
	q->increment = strtoll(val(r, i, 8), NULL, 10);
	q->min = strtoll(val(r, i, 9), NULL, 10);
	q->max = strtoll(val(r, i, 10), NULL, 10);
	q->cache = strtoll(val(r, i, 11), NULL, 10);
	q->cycle = val(r, i, 12)[0] == 't';
	q->unlogged = val(r, i, 18)[0] == 'u';
	if (val(r, i, 13)) {
		cx->seq_owner[2 * n] = strtoul(val(r, i, 13), NULL, 10);
		cx->seq_owner[2 * n + 1] = strtoul(val(r, i, 14), NULL, 10);
	}
	return 0;
}

static int
load_tables(struct catalog_ctx *cx, PGresult *r, struct merr *e)
{
	struct sch_table *t;
	int rc = 0, n;

	n = PQntuples(r);
	if ((cx->oids = calloc((size_t)n + 1, sizeof(*cx->oids))) == NULL ||
	    (cx->seq_owner = calloc(2 * (size_t)n + 2,
	    sizeof(*cx->seq_owner))) == NULL)
		rc = -1;
	for (int i = 0; rc == 0 && i < n; i++) {
		if (val(r, i, 4)[0] == 'S') {
			rc = load_sequence(cx, r, i);
			continue;
		}
		if ((t = schema_add_table(cx->s, val(r, i, 1),
		    val(r, i, 2))) == NULL ||
		    dupnull(&t->comment, val(r, i, 3)) == -1)
			rc = -1;
		else if (val(r, i, 5)[0] == 't')
			t->partition = 'c';
		else if (val(r, i, 4)[0] == 'p')
			t->partition = 'p';
		if (t) {
			t->rls = val(r, i, 16)[0] == 't' ? 1 +
			    (val(r, i, 17)[0] == 't') : 0;
			t->unlogged = val(r, i, 18)[0] == 'u';
			if (catalog_names(val(r, i, 19), &t->storage) == -1)
				rc = -1;
		}
		cx->oids[cx->s->ntables - 1] = strtoul(val(r, i, 0), NULL, 10);
	}
	return rc == -1 ? catalog_nomem(e) : 0;
}

/*
 * Sequences owned by a column: the column is serial when its default
 * draws from the sequence (nextval), as serial makes it.
 */
static int
catalog_owners(struct catalog_ctx *cx)
{
	for (size_t i = 0; i < cx->s->nseqs; i++) {
		struct sch_sequence *q = &cx->s->seqs[i];
		struct sch_table *t = catalog_table_oid(cx,
		    cx->seq_owner[2 * i]);
		struct sch_column *c = NULL;

		for (size_t k = 0; t && k < t->ncols; k++)
			if ((unsigned long)t->cols[k].num ==
			    cx->seq_owner[2 * i + 1])
				c = &t->cols[k];
		if (c == NULL)
			continue;
		if (asprintf(&q->owned_by, "%s.%s.%s", t->schema, t->name,
		    c->name) == -1) {
			q->owned_by = NULL;
			return -1;
		}
		if (c->def && strstr(c->def, "nextval(") && !c->serial) {
			c->serial = 1;
			if (asprintf(&c->serial_seq, "%s.%s", q->schema,
			    q->name) == -1) {
				c->serial_seq = NULL;
				return -1;
			}
		}
	}
	return 0;
}

/* Insertion sort by attnum: the rows mostly come in that order already. */
static void
columns_sort(struct sch_table *t)
{
	for (size_t i = 1; i < t->ncols; i++) {
		struct sch_column c = t->cols[i];
		size_t j = i;

		for (; j > 0 && t->cols[j - 1].num > c.num; j--)
			t->cols[j] = t->cols[j - 1];
		t->cols[j] = c;
	}
}

static int
load_columns(struct catalog_ctx *cx, PGresult *r, struct merr *e)
{
	struct sch_table *t;
	struct sch_column *c;
	int rc = 0;

	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		if ((t = catalog_table(cx, val(r, i, 0))) == NULL)
			continue;
		if ((c = schema_add_column(t, val(r, i, 1))) == NULL ||
		    column_type(cx, c, val(r, i, 2), val(r, i, 3)) == -1 ||
		    dupnull(&c->def, val(r, i, 5)) == -1 ||
		    dupnull(&c->comment, val(r, i, 6)) == -1) {
			rc = -1;
			break;
		}
		c->num = atoi(val(r, i, 7));
		c->notnull = val(r, i, 4)[0] == 't';
		c->identity = val(r, i, 8)[0];
		if (val(r, i, 9)[0] == 's') {	/* generated, stored */
			c->generated = c->def;
			c->def = NULL;
		}
		if (dupnull(&c->collation, val(r, i, 10)) == -1)
			rc = -1;
	}
	if (rc == -1)
		return catalog_nomem(e);
	for (size_t i = 0; i < cx->s->ntables; i++)
		columns_sort(&cx->s->tables[i]);
	return catalog_owners(cx) == -1 ? catalog_nomem(e) : 0;
}

/*
 * A JSON array of attribute numbers of table t into names; a 0 (an index
 * expression) takes the text at the same position of exprs (JSON).
 */
static int
catalog_nums(const struct sch_table *t, const char *nums, const char *exprs,
    char ***out)
{
	json_t *j, *x = NULL, *v;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (nums == NULL || t == NULL)
		return 0;
	if ((j = json_loads(nums, 0, NULL)) == NULL ||
	    (exprs && (x = json_loads(exprs, 0, NULL)) == NULL) ||
	    (*out = calloc(1, sizeof(char *))) == NULL)
		rc = -1;
	json_array_foreach(j, i, v) {
		int num = (int)json_integer_value(v);
		const char *name = NULL;

		if (rc == -1)
			break;
		if (num == 0)
			name = json_string_value(json_array_get(x, i));
		for (size_t k = 0; num && k < t->ncols; k++)
			if (t->cols[k].num == num)
				name = t->cols[k].name;
		if (name == NULL || schema_strv_push(out, name) == -1)
			rc = -1;
	}
	json_decref(j);
	json_decref(x);
	return rc;
}

static int
load_constraints(struct catalog_ctx *cx, PGresult *r, struct merr *e)
{
	struct sch_table *t;
	struct sch_constraint *c;
	int rc = 0;

	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		const char *ref = val(r, i, 12);

		/* a partition's columns are not loaded: it goes with its
		   partitioned table, compared by no one */
		if ((t = catalog_table(cx, val(r, i, 0))) == NULL ||
		    t->partition == 'c')
			continue;
		if ((c = schema_add_constraint(t, val(r, i, 2)[0],
		    val(r, i, 1))) == NULL ||
		    catalog_nums(t, val(r, i, 3), NULL, &c->cols) == -1 ||
		    dupnull(&c->ref_schema, val(r, i, 4)) == -1 ||
		    dupnull(&c->ref_table, val(r, i, 5)) == -1 ||
		    (ref ? catalog_names(ref, &c->ref_cols) :
		    catalog_nums(catalog_table(cx, val(r, i, 11)),
		    val(r, i, 6), NULL, &c->ref_cols)) == -1 ||
		    dupnull(&c->expr, val(r, i, 10)) == -1 ||
		    catalog_nums(t, val(r, i, 17), NULL, &c->include) == -1) {
			rc = -1;
			break;
		}
		c->on_delete = val(r, i, 7)[0] == ' ' ? 'a' : val(r, i, 7)[0];
		c->on_update = val(r, i, 8)[0] == ' ' ? 'a' : val(r, i, 8)[0];
		c->valid = val(r, i, 9)[0] == 't';
		c->deferrable = val(r, i, 13)[0] == 't';
		c->deferred = val(r, i, 14)[0] == 't';
		if (c->kind == SCH_FK && val(r, i, 15)[0] != 's')
			c->match = val(r, i, 15)[0];
		c->nulls_not_distinct = val(r, i, 16) &&
		    val(r, i, 16)[0] == 't';
	}
	return rc == -1 ? catalog_nomem(e) : 0;
}

static int
load_indexes(struct catalog_ctx *cx, PGresult *r, struct merr *e)
{
	struct sch_table *t;
	struct sch_index *x;
	int rc = 0;

	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		if ((t = catalog_table(cx, val(r, i, 0))) == NULL ||
		    t->partition == 'c')
			continue;
		if ((x = schema_add_index(t, val(r, i, 1))) == NULL ||
		    dupnull(&x->method, val(r, i, 3)) == -1 ||
		    dupnull(&x->where, val(r, i, 5)) == -1 ||
		    catalog_nums(t, val(r, i, 6), val(r, i, 7),
		    &x->keys) == -1 ||
		    catalog_nums(t, val(r, i, 9), NULL, &x->include) == -1 ||
		    catalog_names(val(r, i, 11), &x->storage) == -1 ||
		    dupnull(&x->comment, val(r, i, 12)) == -1 ||
		    idxdef_split(val(r, i, 8), x->method, x->keys,
		    &x->opts) == -1) {
			rc = -1;
			break;
		}
		x->nulls_not_distinct = val(r, i, 10)[0] == 't';
		x->unique = val(r, i, 2)[0] == 't';
		x->valid = val(r, i, 4)[0] == 't';
	}
	return rc == -1 ? catalog_nomem(e) : 0;
}

/* {a,b} as a text[] literal: every element double-quoted and escaped. */
static char *
catalog_array(char *const *v)
{
	size_t len = 3;
	char *s, *p;

	for (size_t i = 0; v && v[i]; i++)
		len += 2 * strlen(v[i]) + 3;
	if ((p = s = malloc(len)) == NULL)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *q = v[i]; *q; q++) {
			if (*q == '"' || *q == '\\')
				*p++ = '\\';
			*p++ = *q;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return s;
}

typedef int (*catalog_loader)(struct catalog_ctx *, PGresult *,
    struct merr *);

/* What a second-round query reads: sent only when q_anything found it. */
enum catalog_kind { CK_FIRST, CK_RELS, CK_OBJS, CK_TYPES };

/* A query, the function that reads its rows, what it reads. */
struct catalog_query {
	const char		*sql;
	catalog_loader		 load;
	enum catalog_kind	 kind;
};

static int
load_anything(struct catalog_ctx *cx, PGresult *r, struct merr *e)
{
	if (PQntuples(r) != 1 || PQnfields(r) != 3)
		return merr_set(e, MERR_INTERNAL, "cannot read the catalogs: "
		    "unexpected answer");
	cx->rels = val(r, 0, 0)[0] == 't';
	cx->objs = val(r, 0, 1)[0] == 't';
	cx->types = val(r, 0, 2)[0] == 't';
	return 0;
}

/*
 * Two rounds, each one round trip: the schemas and extensions, and what
 * else is in scope (q_anything); then the queries of the kinds found.
 * With no schema in scope (an empty list) only the extensions are read
 * (catalog_none): everything else is read from the schemas listed.
 */
static const struct catalog_query catalog_round1[] = {
	{ q_schemas, load_schemas, CK_FIRST },
	{ q_anything, load_anything, CK_FIRST },
};
/* in this order: enums before columns, which name their types */
static const struct catalog_query catalog_round2[] = {
	{ q_objects, load_schemas, CK_OBJS },
	{ q_enums, load_enums, CK_TYPES },
	{ q_tables, load_tables, CK_RELS },
	{ q_columns, load_columns, CK_RELS },
	{ q_constraints, load_constraints, CK_RELS },
	{ q_indexes, load_indexes, CK_RELS },
};
/* with no schema in scope, only the extensions (q_extensions) */
static const struct catalog_query catalog_none[] = {
	{ q_extensions, load_schemas, CK_FIRST },
};
#define NQ(a)	(sizeof(a) / sizeof((a)[0]))
_Static_assert(NQ(catalog_round1) + NQ(catalog_round2) == CATALOG_QUERIES,
    "CATALOG_QUERIES counts both rounds");

/* The second round's queries for what the first found, into q; how many. */
static size_t
catalog_needed(const struct catalog_ctx *cx, struct catalog_query *q)
{
	size_t n = 0;

	for (size_t i = 0; i < NQ(catalog_round2); i++) {
		enum catalog_kind k = catalog_round2[i].kind;

		if ((k == CK_RELS && cx->rels) || (k == CK_OBJS && cx->objs) ||
		    (k == CK_TYPES && cx->types))
			q[n++] = catalog_round2[i];
	}
	return n;
}

/* The n queries go out at once, in pipeline mode. */
static int
catalog_send(struct db *db, const char *arr, const struct catalog_query *q,
    size_t n, struct merr *e)
{
	const char *params[1] = { arr };
	int ok;

	ok = db->conn && PQenterPipelineMode(db->conn);
	for (size_t i = 0; ok && i < n; i++)
		ok = PQsendQueryParams(db->conn, q[i].sql, 1, NULL,
		    params, NULL, NULL, 0);
	ok = ok && PQpipelineSync(db->conn);
	if (!ok) {
		db_result_error(db, NULL, "cannot read the catalogs", e);
		if (db->conn)
			PQexitPipelineMode(db->conn);
		return -1;
	}
	return 0;
}

/* Their n results, in order, into cx. */
static int
catalog_recv(struct db *db, struct catalog_ctx *cx,
    const struct catalog_query *q, size_t n, struct merr *e)
{
	PGresult *r;
	int rc = 0;

	/* every result must be read, also after a failure */
	for (size_t i = 0; i < n; i++) {
		if ((r = PQgetResult(db->conn)) == NULL) {
			if (rc == 0)
				rc = db_result_error(db, NULL, NULL, e);
			break;
		}
		if (rc == 0 && PQresultStatus(r) != PGRES_TUPLES_OK)
			rc = db_result_error(db, r, NULL, e);
		else if (rc == 0)
			rc = q[i].load(cx, r, e);
		PQclear(r);
		while ((r = PQgetResult(db->conn)) != NULL)
			PQclear(r);	/* end of this query's results */
	}
	while ((r = PQgetResult(db->conn)) != NULL &&
	    PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		PQclear(r);
	PQclear(r);
	PQexitPipelineMode(db->conn);
	return rc;
}

static int
catalog_round(struct db *db, const char *arr, struct catalog_ctx *cx,
    const struct catalog_query *q, size_t n, struct merr *e)
{
	if (catalog_send(db, arr, q, n, e) == -1)
		return -1;
	return catalog_recv(db, cx, q, n, e);
}

int
catalog_load(struct db *db, char *const *schemas, struct schema **out,
    struct merr *e)
{
	struct catalog_query q[NQ(catalog_round2)];
	struct catalog_ctx cx;
	const int none = schemas && schemas[0] == NULL;
	size_t n;
	char *arr = NULL;
	int rc = -1;

	*out = NULL;
	memset(&cx, 0, sizeof(cx));
	if ((schemas && (arr = catalog_array(schemas)) == NULL) ||
	    (cx.s = schema_new()) == NULL) {
		free(arr);
		return catalog_nomem(e);
	}
	if (none ? catalog_round(db, arr, &cx, catalog_none,
	    NQ(catalog_none), e) == -1 : catalog_round(db, arr, &cx,
	    catalog_round1, NQ(catalog_round1), e) == -1)
		goto out;
	if (!none && (n = catalog_needed(&cx, q)) > 0 &&
	    catalog_round(db, arr, &cx, q, n, e) == -1)
		goto out;
	rc = 0;
	*out = cx.s;
	cx.s = NULL;
out:
	free(arr);
	free(cx.oids);
	free(cx.enum_oids);
	free(cx.dom_oids);
	free(cx.seq_owner);
	schema_free(cx.s);
	return rc;
}

int
catalog_probe_rows(struct db *db, struct schema *actual, char *const *which,
    struct merr *e)
{
	char *sql = NULL, *q, *next;
	struct sch_table *t;
	PGresult *r;
	size_t n = 0;

	for (size_t i = 0; which && which[i] && which[i + 1]; i += 2, n++) {
		if ((q = quote_qualified(which[i], which[i + 1])) == NULL ||
		    asprintf(&next, "%s%sSELECT %zu WHERE EXISTS "
		    "(SELECT 1 FROM %s)", sql ? sql : "", sql ? " UNION ALL " :
		    "", i, q) == -1) {
			free(q);
			free(sql);
			return catalog_nomem(e);
		}
		free(q);
		free(sql);
		sql = next;
	}
	if (n == 0)
		return 0;
	for (size_t i = 0; which[i] && which[i + 1]; i += 2)
		if ((t = schema_find_table(actual, which[i], which[i + 1])))
			t->rows = 0;
	if (db_query(db, sql, 0, NULL, &r, e) == -1) {
		free(sql);
		return -1;
	}
	free(sql);
	for (int i = 0; i < PQntuples(r); i++) {
		size_t k = strtoul(PQgetvalue(r, i, 0), NULL, 10);

		if ((t = schema_find_table(actual, which[k], which[k + 1])))
			t->rows = 1;
	}
	PQclear(r);
	return 0;
}
