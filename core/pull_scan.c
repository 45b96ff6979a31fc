/*
 * pull_scan.c - what a database has that the catalog reader (catalog.c)
 * does not model or the model format cannot say yet: one query, one row
 * per fact (pull.h).  Objects that belong to an extension are left to
 * the extension's own row.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pull.h"

/*
 * sc: the schemas in scope ($1: a JSON array of names, or NULL for every
 * user schema), as catalog.c chooses them.  EXT(cls, oid): the object is
 * not a member of an extension.
 */
#define EXT(cls, oid)	" NOT EXISTS (SELECT 1 FROM pg_depend x WHERE" \
	" x.classid = '" cls "'::regclass AND x.objid = " oid \
	" AND x.deptype = 'e')"

/* A key's index (its storage parameters cannot be said; a table's and
   another index's can). */
#define KEY_INDEX	" c.relkind = 'i' AND c.oid IN (SELECT conindid" \
	" FROM pg_constraint WHERE contype IN ('p', 'u'))"

static const char q_scan[] =
    "WITH sc AS (SELECT oid, nspname FROM pg_namespace WHERE CASE WHEN"
    "  $1::json IS NULL THEN nspname !~ '^pg_' AND"
    "  nspname <> 'information_schema' ELSE nspname IN"
    "  (SELECT json_array_elements_text($1::json)) END)"
    /* extensions, in the order they were made (one may need another) */
    " SELECT '" PULL_F_EXTENSION "' AS k, n.nspname AS s, e.extname AS t,"
    "  NULL AS w, (row_number() OVER (ORDER BY e.oid))::text AS d"
    " FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    " WHERE e.extname <> 'plpgsql'"
    /* relations other than tables */
    " UNION ALL SELECT CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE"
    "  'composite type' END, n.nspname, c.relname, NULL,"
    "  'not written: the model format cannot say it yet'"
    " FROM pg_class c JOIN sc n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('f', 'c') AND" EXT("pg_class", "c.oid")
    /* an extension's composite type is its pg_type row's member */
    " AND" EXT("pg_type", "c.reltype")
    /* views are written (core/pull_sql.c), their indexes are not */
    " UNION ALL SELECT 'index', n.nspname, c.relname, i.relname,"
    "  'not written: an index on a materialized view: ' ||"
    "  pg_get_indexdef(i.oid)"
    " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
    " JOIN pg_class c ON c.oid = x.indrelid"
    " JOIN sc n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'm' AND" EXT("pg_class", "c.oid")
    /* partitioned tables, partitions, inheritance */
    " UNION ALL SELECT '" PULL_F_PARTITIONED "', n.nspname, c.relname,"
    "  NULL, 'PARTITION BY ' || pg_get_partkeydef(c.oid) || ' with ' ||"
    "  (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid) ||"
    "  ' partitions: the model format cannot say it yet'"
    " FROM pg_class c JOIN sc n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'p' AND NOT c.relispartition"
    " UNION ALL SELECT CASE WHEN c.relispartition THEN '" PULL_F_PARTITION
    "' ELSE"
    "  'inheritance' END, n.nspname, c.relname, NULL,"
    "  CASE WHEN c.relkind IN ('i', 'I') THEN 'the index of a"
    " partition, attached to ' || p.oid::regclass"
    "  WHEN c.relispartition THEN 'partition of ' ||"
    "  p.oid::regclass || ' ' || pg_get_expr(c.relpartbound, c.oid)"
    "  ELSE 'written as a plain table: INHERITS (' || p.oid::regclass ||"
    "  ') is not said' END"
    " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " JOIN pg_class p ON p.oid = i.inhparent"
    " JOIN sc n ON n.oid = c.relnamespace"
    /* functions, procedures, triggers, policies and row level security
       are written (core/pull_sql.c): aggregates and window functions,
       FORCE without ENABLE and rules are not */
    " UNION ALL SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE"
    "  'window function' END, n.nspname, p.proname || '('"
    "  || pg_get_function_identity_arguments(p.oid) || ')', NULL,"
    "  'not written: the model format cannot say it yet'"
    " FROM pg_proc p JOIN sc n ON n.oid = p.pronamespace"
    " WHERE p.prokind IN ('a', 'w') AND" EXT("pg_proc", "p.oid")
    " UNION ALL SELECT 'row level security', n.nspname, c.relname, NULL,"
    "  'FORCE ROW LEVEL SECURITY without ENABLE is not said'"
    " FROM pg_class c JOIN sc n ON n.oid = c.relnamespace"
    " WHERE c.relforcerowsecurity AND NOT c.relrowsecurity"
    " UNION ALL SELECT 'rule', n.nspname, c.relname, r.rulename,"
    "  'not written: ' || pg_get_ruledef(r.oid)"
    " FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class"
    " JOIN sc n ON n.oid = c.relnamespace"
    " WHERE r.rulename <> '_RETURN' AND" EXT("pg_class", "c.oid")
    /* types other than enums and domains; collations, text search,
       operators */
    " UNION ALL SELECT CASE t.typtype WHEN 'r' THEN 'range type' ELSE"
    "  'base type' END, n.nspname, t.typname,"
    "  NULL, 'not written: the model format cannot say it yet'"
    " FROM pg_type t JOIN sc n ON n.oid = t.typnamespace"
    " WHERE t.typtype IN ('r', 'b') AND t.typelem = 0 AND"
    EXT("pg_type", "t.oid")
    /* domains the format cannot say: over a type it cannot say (another
       domain, a composite, range or base type not from an extension), or
       with a default, check or collation that uses what the models cannot
       create */
    " UNION ALL SELECT '" PULL_F_DOMAIN "', n.nspname, t.typname, NULL,"
    "  'not written: its base type ' || format_type(t.typbasetype, NULL)"
    "  || ' is ' || CASE bt.typtype WHEN 'd' THEN 'a domain' WHEN 'c'"
    "  THEN 'a composite type' WHEN 'r' THEN 'a range type' ELSE"
    "  'a user type' END || ', which the model format cannot say'"
    " FROM pg_type t JOIN sc n ON n.oid = t.typnamespace"
    " JOIN pg_type b ON b.oid = t.typbasetype"
    " JOIN pg_type bt ON bt.oid = CASE WHEN b.typcategory = 'A' THEN"
    "  b.typelem ELSE b.oid END"
    " WHERE t.typtype = 'd' AND bt.oid >= 16384 AND bt.typtype <> 'e' AND"
    EXT("pg_type", "t.oid") " AND" EXT("pg_type", "bt.oid")
    " UNION ALL SELECT '" PULL_F_DOMAIN "', n.nspname, t.typname, NULL,"
    "  'not written: its ' || CASE d.classid WHEN 'pg_type'::regclass"
    "  THEN 'default or collation' ELSE 'check ' || co.conname END ||"
    "  ' uses ' || pg_describe_object(d.refclassid, d.refobjid, 0)"
    " FROM pg_type t JOIN sc n ON n.oid = t.typnamespace"
    " LEFT JOIN pg_constraint co ON co.contypid = t.oid"
    " JOIN pg_depend d ON (d.classid = 'pg_type'::regclass AND"
    "  d.objid = t.oid) OR (d.classid = 'pg_constraint'::regclass AND"
    "  d.objid = co.oid)"
    " WHERE t.typtype = 'd' AND" EXT("pg_type", "t.oid") " AND"
    "  d.deptype = 'n' AND d.refobjid >= 16384 AND d.refclassid IN"
    "  ('pg_proc'::regclass, 'pg_collation'::regclass,"
    "  'pg_ts_config'::regclass, 'pg_ts_dict'::regclass,"
    "  'pg_operator'::regclass) AND NOT EXISTS (SELECT 1 FROM pg_depend x"
    "  WHERE x.classid = d.refclassid AND x.objid = d.refobjid AND"
    "  x.deptype = 'e')"
    /* columns and domains of an extension's type */
    " UNION ALL SELECT '" PULL_F_EXTTYPE "', n.nspname, c.relname,"
    "  a.attname, e.extname"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN sc n ON n.oid = c.relnamespace"
    " JOIN pg_type t ON t.oid = a.atttypid"
    " JOIN pg_depend x ON x.classid = 'pg_type'::regclass AND"
    "  x.objid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid"
    "  END AND x.deptype = 'e'"
    " JOIN pg_extension e ON e.oid = x.refobjid"
    " WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND"
    "  NOT a.attisdropped"
    " UNION ALL SELECT '" PULL_F_EXTTYPE "', n.nspname, t.typname, NULL,"
    "  e.extname"
    " FROM pg_type t JOIN sc n ON n.oid = t.typnamespace"
    " JOIN pg_type b ON b.oid = t.typbasetype"
    " JOIN pg_depend x ON x.classid = 'pg_type'::regclass AND"
    "  x.objid = CASE WHEN b.typcategory = 'A' THEN b.typelem ELSE b.oid"
    "  END AND x.deptype = 'e'"
    " JOIN pg_extension e ON e.oid = x.refobjid"
    " WHERE t.typtype = 'd' AND" EXT("pg_type", "t.oid")
    " UNION ALL SELECT 'enum', n.nspname, t.typname, NULL,"
    "  'not written: it has no values (the model format needs one)'"
    " FROM pg_type t JOIN sc n ON n.oid = t.typnamespace"
    " WHERE t.typtype = 'e' AND NOT EXISTS (SELECT 1 FROM pg_enum e"
    "  WHERE e.enumtypid = t.oid)"
    " UNION ALL SELECT 'collation', n.nspname, c.collname, NULL,"
    "  'not written: the model format cannot say it yet'"
    " FROM pg_collation c JOIN sc n ON n.oid = c.collnamespace"
    " WHERE" EXT("pg_collation", "c.oid")
    " UNION ALL SELECT 'text search configuration', n.nspname, c.cfgname,"
    "  NULL, 'not written: the model format cannot say it yet'"
    " FROM pg_ts_config c JOIN sc n ON n.oid = c.cfgnamespace"
    " WHERE" EXT("pg_ts_config", "c.oid")
    " UNION ALL SELECT 'text search dictionary', n.nspname, c.dictname,"
    "  NULL, 'not written: the model format cannot say it yet'"
    " FROM pg_ts_dict c JOIN sc n ON n.oid = c.dictnamespace"
    " WHERE" EXT("pg_ts_dict", "c.oid")
    " UNION ALL SELECT 'operator', n.nspname, o.oprname, NULL,"
    "  'not written: the model format cannot say it yet'"
    " FROM pg_operator o JOIN sc n ON n.oid = o.oprnamespace"
    " WHERE" EXT("pg_operator", "o.oid")
    /* exclusion constraints (catalog.c does not read them) */
    " UNION ALL SELECT 'exclusion constraint', n.nspname, c.relname,"
    "  co.conname, 'not written: ' || pg_get_constraintdef(co.oid)"
    " FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid"
    " JOIN sc n ON n.oid = c.relnamespace WHERE co.contype = 'x'"
    /* columns: a collation the models cannot create; storage */
    " UNION ALL SELECT '" PULL_F_COLLATION "', n.nspname, c.relname,"
    "  a.attname, a.attcollation::regcollation::text"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN sc n ON n.oid = c.relnamespace"
    " JOIN pg_type t ON t.oid = a.atttypid"
    " JOIN pg_collation co ON co.oid = a.attcollation"
    " WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND"
    "  NOT a.attisdropped AND a.attcollation <> t.typcollation AND"
    "  co.collnamespace <> 'pg_catalog'::regnamespace"
    " UNION ALL SELECT 'column storage', n.nspname, c.relname, a.attname,"
    "  'not said: ' || concat_ws(', ', CASE WHEN a.attstattarget >= 0"
    "  THEN 'STATISTICS ' || a.attstattarget END, CASE WHEN"
    "  a.attstorage <> t.typstorage THEN 'STORAGE ' || a.attstorage::text END,"
    "  CASE WHEN a.attcompression <> '' THEN 'COMPRESSION ' ||"
    "  a.attcompression::text END, CASE WHEN ao.opts IS NOT NULL"
    "  THEN 'SET (' || array_to_string(ao.opts, ', ') || ')' END)"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN sc n ON n.oid = c.relnamespace"
    " JOIN pg_type t ON t.oid = a.atttypid"
    /* the options ALTER COLUMN ... SET gave: PostgreSQL 15.20 keeps a
       pg_attver=N of its own in every column's (pg_dump leaves it out) */
    " CROSS JOIN LATERAL (SELECT array_agg(o ORDER BY i) AS opts"
    "  FROM unnest(a.attoptions) WITH ORDINALITY u(o, i)"
    "  WHERE split_part(o, '=', 1) <> 'pg_attver') ao"
    " WHERE a.attnum > 0 AND NOT a.attisdropped AND"
    "  ((c.relkind IN ('r', 'p') AND (a.attstattarget >= 0 OR"
    "  a.attstorage <> t.typstorage OR a.attcompression <> '' OR"
    "  ao.opts IS NOT NULL)) OR"
    /* an index column's ALTER INDEX ... ALTER COLUMN n SET STATISTICS */
    "  (c.relkind = 'i' AND a.attstattarget >= 0))"
    /* table and index storage */
    " UNION ALL SELECT CASE WHEN c.relkind = 'i' THEN 'index storage'"
    "  ELSE 'table storage' END, n.nspname, c.relname, NULL,"
    "  'not said: ' || concat_ws(', ', CASE WHEN c.reloptions"
    "  IS NOT NULL AND " KEY_INDEX " THEN"
    "  'WITH (' || array_to_string(c.reloptions, ', ') || ')' END,"
    "  CASE WHEN c.reltablespace <> 0 THEN 'TABLESPACE ' ||"
    "  (SELECT spcname FROM pg_tablespace WHERE oid = c.reltablespace)"
    "  END, CASE WHEN c.relkind <> 'i' AND c.relreplident <> 'd' THEN"
    "  'REPLICA IDENTITY ' || c.relreplident::text END, CASE WHEN EXISTS"
    "  (SELECT 1 FROM pg_index i WHERE i.indexrelid = c.oid AND"
    "  i.indisclustered) THEN 'CLUSTER ON' END)"
    " FROM pg_class c JOIN sc n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'i') AND ((c.reloptions IS NOT NULL AND"
    KEY_INDEX ") OR"
    "  c.reltablespace <> 0 OR"
    "  (c.relkind = 'r' AND c.relreplident <> 'd') OR EXISTS"
    "  (SELECT 1 FROM pg_index i WHERE i.indexrelid = c.oid AND"
    "  i.indisclustered)) AND" EXT("pg_class", "c.oid")
    /* comments on what has no comment key */
    " UNION ALL SELECT 'comment', n.nspname, COALESCE(c.relname,"
    "  co.conname, t.typname, ns.nspname), NULL,"
    "  'not written: a comment on ' || pg_describe_object(d.classoid,"
    "  d.objoid, 0)"
    " FROM pg_description d"
    " LEFT JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND"
    "  c.oid = d.objoid AND c.relkind = 'i' AND c.oid IN (SELECT conindid"
    "  FROM pg_constraint WHERE contype IN ('p', 'u', 'x'))"
    " LEFT JOIN pg_constraint co ON"
    "  d.classoid = 'pg_constraint'::regclass AND co.oid = d.objoid"
    " LEFT JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND"
    "  t.oid = d.objoid AND t.typtype IN ('e', 'd')"
    " LEFT JOIN pg_namespace ns ON"
    "  d.classoid = 'pg_namespace'::regclass AND ns.oid = d.objoid"
    " JOIN sc n ON n.oid = COALESCE(c.relnamespace, co.connamespace,"
    "  t.typnamespace, ns.oid)"
    " WHERE d.objsubid = 0 AND (ns.nspname IS NULL OR"
    "  ns.nspname <> 'public')"
    /* comments on the SQL objects core/pull_sql.c writes no COMMENT ON
       for: a view's columns, triggers, policies */
    " UNION ALL SELECT 'comment', n.nspname, c.relname, NULL,"
    "  'not written: a comment on ' || pg_describe_object(d.classoid,"
    "  d.objoid, d.objsubid)"
    " FROM pg_description d JOIN pg_class c ON"
    "  d.classoid = 'pg_class'::regclass AND c.oid = d.objoid"
    " JOIN sc n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('v', 'm') AND d.objsubid <> 0 AND"
    EXT("pg_class", "c.oid")
    " UNION ALL SELECT 'comment', n.nspname, c.relname, NULL,"
    "  'not written: a comment on ' || pg_describe_object(d.classoid,"
    "  d.objoid, 0)"
    " FROM pg_description d LEFT JOIN pg_trigger t ON"
    "  d.classoid = 'pg_trigger'::regclass AND t.oid = d.objoid"
    " LEFT JOIN pg_policy y ON"
    "  d.classoid = 'pg_policy'::regclass AND y.oid = d.objoid"
    " JOIN pg_class c ON c.oid = COALESCE(t.tgrelid, y.polrelid)"
    " JOIN sc n ON n.oid = c.relnamespace"
    /* defaults, checks and indexes that use what the models cannot
       create: a collation, text search object, an aggregate, ... (a
       function or procedure of a schema in scope is written) */
    " UNION ALL SELECT '" PULL_F_USES "', n.nspname, c.relname,"
    "  CASE d.classid WHEN 'pg_attrdef'::regclass THEN 'default ' ||"
    "  a.attname WHEN 'pg_constraint'::regclass THEN 'constraint ' ||"
    "  co.conname ELSE 'index ' || ic.relname END,"
    "  pg_describe_object(d.refclassid, d.refobjid, 0)"
    " FROM pg_depend d"
    " LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND"
    "  ad.oid = d.objid"
    " LEFT JOIN pg_attribute a ON a.attrelid = ad.adrelid AND"
    "  a.attnum = ad.adnum"
    " LEFT JOIN pg_constraint co ON"
    "  d.classid = 'pg_constraint'::regclass AND co.oid = d.objid"
    " LEFT JOIN pg_index i ON d.classid = 'pg_class'::regclass AND"
    "  i.indexrelid = d.objid"
    " LEFT JOIN pg_class ic ON ic.oid = i.indexrelid"
    " JOIN pg_class c ON c.oid = COALESCE(ad.adrelid, co.conrelid,"
    "  i.indrelid)"
    " JOIN sc n ON n.oid = c.relnamespace"
    " WHERE d.classid IN ('pg_attrdef'::regclass,"
    "  'pg_constraint'::regclass, 'pg_class'::regclass) AND"
    "  d.deptype = 'n' AND d.refobjid >= 16384 AND d.refclassid IN"
    "  ('pg_proc'::regclass, 'pg_collation'::regclass,"
    "  'pg_ts_config'::regclass, 'pg_ts_dict'::regclass,"
    "  'pg_operator'::regclass, 'pg_opclass'::regclass,"
    "  'pg_type'::regclass) AND NOT EXISTS (SELECT 1 FROM pg_depend x"
    "  WHERE x.classid = d.refclassid AND x.objid = d.refobjid AND"
    "  x.deptype = 'e') AND NOT EXISTS (SELECT 1 FROM pg_proc p WHERE"
    "  d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid AND"
    "  p.prokind IN ('f', 'p') AND p.pronamespace IN (SELECT oid FROM sc))"
    "  AND NOT EXISTS (SELECT 1 FROM pg_type t WHERE"
    "  d.refclassid = 'pg_type'::regclass AND t.oid = d.refobjid AND"
    "  (t.typtype IN ('e', 'd') OR t.typrelid <> 0 OR EXISTS (SELECT 1"
    "  FROM pg_type et WHERE et.oid = t.typelem AND et.typtype IN"
    "  ('e', 'd'))))"
    " ORDER BY 1, 2, 3, 4";

static int
scan_nomem(struct merr *e)
{
	return merr_set(e, MERR_NOMEM, "out of memory");
}

static int
strdup_or_null(char **dst, PGresult *r, int row, int col)
{
	*dst = NULL;
	if (PQgetisnull(r, row, col))
		return 0;
	return (*dst = strdup(PQgetvalue(r, row, col))) ? 0 : -1;
}

int
pull_facts_add(struct pull_facts *f, const char *kind, const char *sch,
    const char *table, const char *what, const char *detail)
{
	struct pull_fact *v, *x;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 32;

		if ((v = realloc(f->v, cap * sizeof(*v))) == NULL)
			return -1;
		f->v = v;
		f->cap = cap;
	}
	x = &f->v[f->n];
	memset(x, 0, sizeof(*x));
	if ((x->kind = strdup(kind)) == NULL ||
	    (sch && (x->sch = strdup(sch)) == NULL) ||
	    (table && (x->table = strdup(table)) == NULL) ||
	    (what && (x->what = strdup(what)) == NULL) ||
	    (detail && (x->detail = strdup(detail)) == NULL)) {
		f->n++;
		return -1;
	}
	f->n++;
	return 0;
}

void
pull_facts_release(struct pull_facts *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].kind);
		free(f->v[i].sch);
		free(f->v[i].table);
		free(f->v[i].what);
		free(f->v[i].detail);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int
scan_param(char *const *schemas, char **out)
{
	json_t *a;

	*out = NULL;
	if (schemas == NULL)
		return 0;
	if ((a = json_array()) == NULL)
		return -1;
	for (size_t i = 0; schemas[i]; i++)
		if (json_array_append_new(a, json_string(schemas[i])) == -1) {
			json_decref(a);
			return -1;
		}
	*out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return *out ? 0 : -1;
}

int
pull_scan(struct db *db, char *const *schemas, struct pull_facts *f,
    struct merr *e)
{
	const char *params[1];
	char *arr;
	PGresult *r;
	int rc = 0;

	if (scan_param(schemas, &arr) == -1)
		return scan_nomem(e);
	params[0] = arr;
	rc = db_query(db, q_scan, 1, params, &r, e);
	free(arr);
	if (rc == -1)
		return -1;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		struct pull_fact x;

		memset(&x, 0, sizeof(x));
		if (strdup_or_null(&x.kind, r, i, 0) || strdup_or_null(&x.sch,
		    r, i, 1) || strdup_or_null(&x.table, r, i, 2) ||
		    strdup_or_null(&x.what, r, i, 3) ||
		    strdup_or_null(&x.detail, r, i, 4) ||
		    pull_facts_add(f, x.kind, x.sch, x.table, x.what,
		    x.detail) == -1)
			rc = -1;
		free(x.kind);
		free(x.sch);
		free(x.table);
		free(x.what);
		free(x.detail);
	}
	PQclear(r);
	return rc == -1 ? scan_nomem(e) : 0;
}
