/*
 * fleet.c - the members of a fleet (fleet.h): connection strings, discovery,
 * and the checks of the `fleet:` key by libpq and libpg_query that
 * config_load() adds (fleet_config.c parses the key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <pg_query.h>

#include "config.h"
#include "db.h"
#include "fleet.h"
#include "ydoc.h"

/* The dbname of a connection string (caller frees), NULL when none. */
static char *
conninfo_dbname(const char *conninfo, int *bad)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL, *name = NULL;

	*bad = 0;
	if ((opts = PQconninfoParse(conninfo, &msg)) == NULL) {
		PQfreemem(msg);		/* may quote the password */
		*bad = 1;
		return NULL;
	}
	for (o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "dbname") && o->val && *o->val)
			name = strdup(o->val);
	PQconninfoFree(opts);
	return name;
}

/* ---- the checks config_load() adds (fleet_checks) ---- */

/* A member that is a connection string must parse and name its dbname. */
static int
member_check(struct ydoc *y, yaml_node_t *c, const char *m, struct merr *e)
{
	char *name;
	int bad;

	if (!fleet_is_conninfo(m))
		return 0;
	if ((name = conninfo_dbname(m, &bad)) == NULL)
		return ydoc_error(y, c, "fleet.members", e, bad ?
		    "invalid connection string in 'fleet.members' "
		    "(not shown: it may hold a password)" :
		    "a connection string in 'fleet.members' must "
		    "name its dbname");
	free(name);
	return 0;
}

/* One SELECT, checked by PostgreSQL's own parser (libpg_query). */
static int
discover_check(struct ydoc *y, yaml_node_t *n, const char *sql,
    struct merr *e)
{
	PgQueryParseResult r;
	int rc = 0;

	r = pg_query_parse(sql);
	if (r.error)
		rc = ydoc_error(y, n, "fleet.discover", e, "'fleet.discover' "
		    "does not parse: %s at character %d", r.error->message,
		    r.error->cursorpos);
	else if (strncmp(r.parse_tree, "{\"version\":", 11) ||
	    strstr(r.parse_tree, "\"stmts\":[{\"stmt\":{\"SelectStmt\"") ==
	    NULL || strstr(r.parse_tree, "},{\"stmt\":") != NULL)
		rc = ydoc_error(y, n, "fleet.discover", e, "'fleet.discover' "
		    "must be one SELECT returning database names");
	pg_query_free_parse_result(r);
	return rc;
}

const struct fleet_checks fleet_checks = { member_check, discover_check };

/* ---- connection strings ---- */

/* key='value' as libpq reads it: \ and ' escaped with a backslash. */
static void
conninfo_put(FILE *f, const char *key, const char *val, int *first)
{
	fprintf(f, "%s%s='", *first ? "" : " ", key);
	for (; *val; val++) {
		if (*val == '\\' || *val == '\'')
			fputc('\\', f);
		fputc(*val, f);
	}
	fputc('\'', f);
	*first = 0;
}

/* base (a conninfo, URI, database name or NULL) with dbname replaced. */
static int
conninfo_with_dbname(const char *base, const char *dbname, char **out,
    struct merr *e)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL, *buf = NULL;
	size_t len;
	FILE *f;
	int first = 1;

	opts = PQconninfoParse(base && fleet_is_conninfo(base) ? base : "", &msg);
	if (opts == NULL) {
		PQfreemem(msg);
		merr_set(e, MERR_CONFIG, "invalid connection string in "
		    "'database'");
		snprintf(e->field, sizeof(e->field), "database");
		return -1;
	}
	if ((f = open_memstream(&buf, &len)) == NULL) {
		PQconninfoFree(opts);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	for (o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "dbname") && o->val && *o->val)
			conninfo_put(f, o->keyword, o->val, &first);
	conninfo_put(f, "dbname", dbname, &first);
	PQconninfoFree(opts);
	if (fclose(f) != 0 || buf == NULL) {
		free(buf);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	*out = buf;
	return 0;
}

int
fleet_member_resolve(const char *base, const char *member, char **name,
    char **conninfo, struct merr *e)
{
	int bad;

	*name = *conninfo = NULL;
	if (!fleet_is_conninfo(member)) {
		if ((*name = strdup(member)) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		if (conninfo_with_dbname(base, member, conninfo, e) == -1) {
			free(*name);
			*name = NULL;
			return -1;
		}
		return 0;
	}
	if ((*name = conninfo_dbname(member, &bad)) == NULL) {
		merr_set(e, MERR_CONFIG, "a fleet member's connection string %s",
		    bad ? "does not parse" : "names no dbname");
		snprintf(e->field, sizeof(e->field), "fleet.members");
		return -1;
	}
	if ((*conninfo = strdup(member)) == NULL) {
		free(*name);
		*name = NULL;
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	return 0;
}

/* ---- the list ---- */

void
fleet_list_init(struct fleet_list *l)
{
	l->v = NULL;
	l->n = 0;
}

void
fleet_list_release(struct fleet_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].conninfo);
	}
	free(l->v);
	fleet_list_init(l);
}

const struct fleet_member *
fleet_find(const struct fleet_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* Add member (as written) unless a member of that name is there. */
static int
list_add(struct fleet_list *l, const char *base, const char *member,
    struct merr *e)
{
	struct fleet_member m, *v;

	if (fleet_member_resolve(base, member, &m.name, &m.conninfo, e) == -1)
		return -1;
	if (fleet_find(l, m.name)) {
		free(m.name);
		free(m.conninfo);
		return 0;
	}
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(m.name);
		free(m.conninfo);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	l->v = v;
	l->v[l->n++] = m;
	return 0;
}

/* Run discover read-only on 'database'; add each name it returns. */
static int
list_discover(const struct config *cfg, struct fleet_list *l,
    struct merr *e)
{
	PGresult *res = NULL;
	struct db db;
	int rc;

	if (db_connect(&db, cfg->database, "migrated fleet", e) == -1)
		return -1;
	rc = db_exec(&db, "BEGIN READ ONLY", e);
	if (rc == 0 && (rc = db_query(&db, cfg->fleet.discover, 0, NULL, &res,
	    e)) == -1) {
		merr_hint(e, "check 'fleet.discover': it runs on 'database' "
		    "and returns database names in its first column");
		snprintf(e->field, sizeof(e->field), "fleet.discover");
	}
	for (int i = 0; rc == 0 && res && i < PQntuples(res); i++)
		if (PQnfields(res) > 0 && !PQgetisnull(res, i, 0) &&
		    *PQgetvalue(res, i, 0))
			rc = list_add(l, cfg->database, PQgetvalue(res, i, 0), e);
	PQclear(res);
	db_close(&db);
	return rc;
}

static int
member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fleet_member *)a)->name,
	    ((const struct fleet_member *)b)->name);
}

int
fleet_members(const struct config *cfg, struct fleet_list *l, struct merr *e)
{
	fleet_list_init(l);
	for (size_t i = 0; cfg->fleet.members && cfg->fleet.members[i]; i++)
		if (list_add(l, cfg->database, cfg->fleet.members[i], e) == -1)
			goto fail;
	if (cfg->fleet.discover && list_discover(cfg, l, e) == -1)
		goto fail;
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), member_cmp);
	return 0;
fail:
	fleet_list_release(l);
	return -1;
}
