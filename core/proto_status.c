/* proto_status.c - the daemon's typed state as JSON, and its schema. */
#include <stdio.h>
#include <string.h>

#include "proto_status.h"

static const struct proto_field db_fields[] = {
	[DB_AVAILABLE] = { "available", PF_BOOL, "available", NULL },
	[DB_WHERE] = { "where", PF_STR, "where", NULL },
	/* the server of a multi-host conninfo it is on, and what it is */
	[DB_HOST] = { "host", PF_STR, "host", NULL },
	[DB_PORT] = { "port", PF_STR, "port", NULL },
	[DB_ROLE] = { "role", PF_STR, "role", NULL },
	[DB_ERROR] = { "error", PF_STR, "error", NULL },
	[DB_DOWN_SINCE] = { "down_since", PF_STR, "down since", NULL },
	[DB_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

static const struct proto_field busy_fields[] = {
	[BUSY_OP] = { "op", PF_STR, "operation", NULL },
	[BUSY_SINCE] = { "since", PF_STR, "since", NULL },
	[BUSY_UID] = { "uid", PF_INT, "uid", NULL },
	[BUSY_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

static const struct proto_field problem_fields[] = {
	[PR_CLASS] = { "class", PF_STR, "class", NULL },
	[PR_KIND] = { "kind", PF_STR, "kind", NULL },
	[PR_TARGET] = { "target", PF_STR, "target", NULL },
	[PR_REASON] = { "reason", PF_STR, "reason", NULL },
	[PR_HINT] = { "hint", PF_STR, "hint", NULL },
	[PR_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

const struct proto_field proto_t1_fields[] = {
	[T1_AVAILABLE] = { "available", PF_BOOL, "available", NULL },
	[T1_APPLIED] = { "applied", PF_INT, "applied", NULL },
	[T1_REFUSED] = { "refused", PF_INT, "refused", NULL },
	[T1_DRIFT] = { "drift", PF_INT, "drift", NULL },
	[T1_STATEMENTS] = { "statements", PF_INT, "statements", NULL },
	[T1_DURATION] = { "duration_ms", PF_INT, "ms", NULL },
	[T1_WAITED] = { "waited", PF_BOOL, "waited for another host", NULL },
	[T1_PENDING_SAFE] = { "pending_safe", PF_INT, "to apply", NULL },
	[T1_PROBLEMS] = { "problems", PF_ROWS, "problems", problem_fields },
	[T1_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

static const struct proto_field dirty_fields[] = {
	[DI_NAME] = { "name", PF_STR, "name", NULL },
	[DI_DIRECTION] = { "direction", PF_STR, "direction", NULL },
	[DI_STMT_DONE] = { "stmt_done", PF_INT, "statements done", NULL },
	[DI_NSTMTS] = { "nstmts", PF_INT, "statements", NULL },
	[DI_ERROR] = { "error", PF_STR, "error", NULL },
	[DI_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

const struct proto_field proto_t2_fields[] = {
	[T2_AVAILABLE] = { "available", PF_BOOL, "available", NULL },
	[T2_CURRENT] = { "current", PF_STR, "current", NULL },
	[T2_APPLIED] = { "applied", PF_INT, "applied", NULL },
	[T2_DRIFT] = { "drift", PF_INT, "edited after apply", NULL },
	[T2_MISSING] = { "missing", PF_INT, "missing", NULL },
	[T2_OOO] = { "out_of_order", PF_INT, "out of order", NULL },
	[T2_DIRTY_COUNT] = { "dirty_count", PF_INT, "dirty", NULL },
	[T2_PENDING] = { "pending", PF_STRS, "pending", NULL },
	[T2_DIRTY] = { "dirty", PF_ROWS, "dirty", dirty_fields },
	[T2_WARNINGS] = { "warnings", PF_STRS, "warnings", NULL },
	[T2_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

/* Times are seconds since the epoch (0: never), as Prometheus wants them. */
static const struct proto_field stats_fields[] = {
	[SS_STARTED] = { "started", PF_INT, "started", NULL },
	[SS_T1_AT] = { "tier1_ran_at", PF_INT, "tier 1 ran at", NULL },
	[SS_T1_MS] = { "tier1_duration_ms", PF_INT, "tier 1 ms", NULL },
	[SS_T1_FAILURES] = { "tier1_failures", PF_INT, "tier 1 failures",
	    NULL },
	[SS_T2_AT] = { "tier2_at", PF_INT, "tier 2 ran at", NULL },
	[SS_T2_OP] = { "tier2_op", PF_STR, "tier 2 command", NULL },
	[SS_T2_MS] = { "tier2_duration_ms", PF_INT, "tier 2 ms", NULL },
	[SS_T2_OK] = { "tier2_ok", PF_BOOL, "tier 2 ok", NULL },
	[SS_T2_FAILURES] = { "tier2_failures", PF_INT, "tier 2 failures",
	    NULL },
	[SS_PENDING_SINCE] = { "pending_since", PF_INT, "pending since",
	    NULL },
	[SS_AUDIT_AT] = { "audit_verified_at", PF_INT, "audit verified at",
	    NULL },
	[SS_AUDIT_OK] = { "audit_ok", PF_BOOL, "audit chain intact", NULL },
	[SS_AUDIT_ROWS] = { "audit_rows", PF_INT, "audit rows", NULL },
	[SS_AUDIT_HEAD_ID] = { "audit_head_id", PF_INT, "audit head id",
	    NULL },
	[SS_AUDIT_HEAD] = { "audit_head", PF_STR, "audit head", NULL },
	[SS_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

const struct proto_field proto_status_fields[] = {
	[ST_VERSION] = { "version", PF_STR, "migrated", NULL },
	[ST_PROTO] = { "proto", PF_INT, "protocol", NULL },
	[ST_PID] = { "pid", PF_INT, "pid", NULL },
	[ST_UPTIME] = { "uptime_s", PF_INT, "up", NULL },
	[ST_READY] = { "ready", PF_BOOL, "ready", NULL },
	[ST_STOPPING] = { "stopping", PF_BOOL, "stopping", NULL },
	[ST_STATE] = { "state", PF_STR, "state", NULL },
	[ST_STATUS] = { "status", PF_STR, "status", NULL },
	[ST_DATABASE] = { "database", PF_OBJ, "database", db_fields },
	[ST_BUSY] = { "busy", PF_OBJ, "busy", busy_fields },
	[ST_SCHEMA] = { "schema", PF_OBJ, "schema", proto_t1_fields },
	[ST_ENH] = { "enhancements", PF_OBJ, "enhancements",
	    proto_t2_fields },
	[ST_LAST_ERROR] = { "last_error", PF_STR, "last error", NULL },
	[ST_APPLY] = { "apply", PF_STR, "apply", NULL },
	[ST_CONFIG] = { "config", PF_STR, "config", NULL },
	[ST_RELOADS] = { "reloads", PF_INT, "reloads", NULL },
	[ST_RELOAD_ERROR] = { "reload_error", PF_STR, "reload failed",
	    NULL },
	[ST_JOBS] = { "jobs", PF_INT, "jobs", NULL },
	[ST_STATS] = { "stats", PF_OBJ, "stats", stats_fields },
	[ST_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

static const struct proto_field check_schema_fields[] = {
	[CS_SAFE] = { "safe", PF_INT, "to apply", NULL },
	[CS_REFUSED] = { "refused", PF_INT, "refused", NULL },
	[CS_DRIFT] = { "drift", PF_INT, "drift", NULL },
	[CS_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

const struct proto_field proto_check_fields[] = {
	[CK_CLEAN] = { "clean", PF_BOOL, "clean", NULL },
	[CK_SCHEMA] = { "schema", PF_OBJ, "schema", check_schema_fields },
	[CK_ENH] = { "enhancements", PF_OBJ, "enhancements",
	    proto_t2_fields },
	[CK_PROBLEMS] = { "problems", PF_STRS, "problems", NULL },
	[CK_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

const struct proto_field proto_reload_fields[] = {
	[RL_SCHEMA] = { "schema", PF_OBJ, "schema", proto_t1_fields },
	[RL_ENH] = { "enhancements", PF_OBJ, "enhancements",
	    proto_t2_fields },
	[RL_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

static const struct proto_field version_db_fields[] = {
	[VD_HOST] = { "host", PF_STR, "host", NULL },
	[VD_PORT] = { "port", PF_STR, "port", NULL },
	[VD_DBNAME] = { "dbname", PF_STR, "dbname", NULL },
	[VD_USER] = { "user", PF_STR, "user", NULL },
	[VD_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

/* client and client_proto: added by migratectl, not by the daemon */
const struct proto_field proto_version_fields[] = {
	[VE_DAEMON] = { "version", PF_STR, "migrated", NULL },
	[VE_PROTO] = { "proto", PF_INT, "protocol", NULL },
	[VE_SERVER] = { "server_version", PF_STR, "server", NULL },
	[VE_SERVER_NUM] = { "server_version_num", PF_INT, "server number",
	    NULL },
	[VE_DATABASE] = { "database", PF_OBJ, "database", version_db_fields },
	[VE_CLIENT] = { "client_version", PF_STR, "migratectl", NULL },
	[VE_CLIENT_PROTO] = { "client_proto", PF_INT, "client protocol",
	    NULL },
	[VE_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

/* ---- building: every key comes from a table ---- */

static void
set(json_t *o, const struct proto_field *t, int i, json_t *v)
{
	json_object_set_new(o, t[i].name, v ? v : json_null());
}

static json_t *
str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *
int_json(long long n)
{
	return json_integer((json_int_t)n);
}

static json_t *
problem_json(const struct t1_problem *p)
{
	const struct proto_field *t = problem_fields;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set(o, t, PR_CLASS, str_or_null(p->cls));
	set(o, t, PR_KIND, str_or_null(p->kind));
	set(o, t, PR_TARGET, str_or_null(p->target));
	set(o, t, PR_REASON, str_or_null(p->reason));
	set(o, t, PR_HINT, str_or_null(p->hint));
	return o;
}

json_t *
proto_t1_json(const struct t1_summary *s)
{
	const struct proto_field *t = proto_t1_fields;
	json_t *o = json_object(), *a = json_array();

	if (o == NULL || a == NULL) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	set(o, t, T1_AVAILABLE, json_boolean(s->available));
	if (s->ran) {
		set(o, t, T1_APPLIED, int_json((long long)s->applied));
		set(o, t, T1_STATEMENTS, int_json((long long)s->statements));
		set(o, t, T1_DURATION, int_json(s->duration_ms));
		set(o, t, T1_WAITED, json_boolean(s->waited));
	}
	if (s->planned)
		set(o, t, T1_PENDING_SAFE, int_json((long long)s->pending_safe));
	set(o, t, T1_REFUSED, int_json((long long)s->refused));
	set(o, t, T1_DRIFT, int_json((long long)s->drift));
	for (size_t i = 0; i < s->nproblems; i++)
		json_array_append_new(a, problem_json(&s->problems[i]));
	set(o, t, T1_PROBLEMS, a);
	return o;
}

static json_t *
dirty_json(const struct t2_dirty *d)
{
	const struct proto_field *t = dirty_fields;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set(o, t, DI_NAME, str_or_null(d->name));
	set(o, t, DI_DIRECTION, str_or_null(d->direction));
	set(o, t, DI_STMT_DONE, int_json(d->stmt_done));
	set(o, t, DI_NSTMTS, int_json(d->nstmts));
	set(o, t, DI_ERROR, str_or_null(d->error));
	return o;
}

json_t *
proto_t2_json(const struct t2_summary *s)
{
	const struct proto_field *t = proto_t2_fields;
	json_t *o = json_object(), *p = json_array(), *d = json_array();
	json_t *w = json_array();

	if (o == NULL || p == NULL || d == NULL || w == NULL) {
		json_decref(o);
		json_decref(p);
		json_decref(d);
		json_decref(w);
		return NULL;
	}
	set(o, t, T2_AVAILABLE, json_boolean(s->available));
	set(o, t, T2_CURRENT, json_string(s->current));
	set(o, t, T2_APPLIED, int_json(s->applied));
	set(o, t, T2_DRIFT, int_json(s->drift));
	set(o, t, T2_MISSING, int_json(s->missing));
	set(o, t, T2_OOO, int_json(s->out_of_order));
	set(o, t, T2_DIRTY_COUNT, int_json(s->dirty_count));
	for (size_t i = 0; i < s->npending; i++)
		json_array_append_new(p, json_string(s->pending[i]));
	for (size_t i = 0; i < s->ndirty; i++)
		json_array_append_new(d, dirty_json(&s->dirty[i]));
	for (size_t i = 0; i < s->nwarnings; i++)
		json_array_append_new(w, json_string(s->warnings[i]));
	set(o, t, T2_PENDING, p);
	set(o, t, T2_DIRTY, d);
	set(o, t, T2_WARNINGS, w);
	return o;
}

static void
status_time(time_t when, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
status_db_json(const struct daemon_status *s)
{
	const struct proto_field *t = db_fields;
	json_t *o = json_object();
	char down[32];

	if (o == NULL)
		return NULL;
	status_time(s->db_down_since, down, sizeof(down));
	set(o, t, DB_AVAILABLE, json_boolean(s->db_up));
	set(o, t, DB_WHERE, str_or_null(s->db_where));
	set(o, t, DB_HOST, str_or_null(s->db_host));
	set(o, t, DB_PORT, str_or_null(s->db_port));
	set(o, t, DB_ROLE, str_or_null(s->db_role));
	set(o, t, DB_ERROR, str_or_null(s->db_up ? NULL : s->db_error));
	set(o, t, DB_DOWN_SINCE, str_or_null(s->db_up ? NULL : down));
	return o;
}

static json_t *
status_busy_json(const struct daemon_status *s)
{
	const struct proto_field *t = busy_fields;
	json_t *o;
	char since[32];

	if (s->busy_op == NULL || (o = json_object()) == NULL)
		return json_null();
	status_time(s->busy_since, since, sizeof(since));
	set(o, t, BUSY_OP, json_string(s->busy_op));
	set(o, t, BUSY_SINCE, json_string(since));
	set(o, t, BUSY_UID, int_json(s->busy_uid));
	return o;
}

static json_t *
status_stats_json(const struct daemon_stats *st)
{
	const struct proto_field *t = stats_fields;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set(o, t, SS_STARTED, int_json(st->started));
	set(o, t, SS_T1_AT, int_json(st->t1_ran_at));
	set(o, t, SS_T1_MS, int_json(st->t1_duration_ms));
	set(o, t, SS_T1_FAILURES, int_json(st->t1_failures));
	set(o, t, SS_T2_AT, int_json(st->t2_at));
	set(o, t, SS_T2_OP, str_or_null(st->t2_op));
	set(o, t, SS_T2_MS, int_json(st->t2_duration_ms));
	set(o, t, SS_T2_OK, json_boolean(st->t2_ok));
	set(o, t, SS_T2_FAILURES, int_json(st->t2_failures));
	set(o, t, SS_PENDING_SINCE, int_json(st->pending_since));
	set(o, t, SS_AUDIT_AT, int_json(st->audit_verified_at));
	set(o, t, SS_AUDIT_OK, json_boolean(st->audit_ok));
	set(o, t, SS_AUDIT_ROWS, int_json(st->audit_rows));
	set(o, t, SS_AUDIT_HEAD_ID, int_json(st->audit_head_id));
	set(o, t, SS_AUDIT_HEAD, str_or_null(st->audit_head));
	return o;
}

json_t *
proto_status_json(const struct daemon_status *s)
{
	const struct proto_field *t = proto_status_fields;
	json_t *o = json_object();
	char line[1024];

	if (o == NULL)
		return NULL;
	daemon_status_line(s, line, sizeof(line));
	set(o, t, ST_VERSION, json_string(s->version));
	set(o, t, ST_PROTO, int_json(s->proto));
	set(o, t, ST_PID, int_json(s->pid));
	set(o, t, ST_UPTIME, int_json(s->uptime_s));
	set(o, t, ST_READY, json_boolean(s->ready));
	set(o, t, ST_STOPPING, json_boolean(s->stopping));
	set(o, t, ST_STATE, json_string(daemon_state_name(s)));
	set(o, t, ST_STATUS, json_string(line));
	set(o, t, ST_DATABASE, status_db_json(s));
	set(o, t, ST_BUSY, status_busy_json(s));
	set(o, t, ST_SCHEMA, s->t1 ? proto_t1_json(s->t1) : NULL);
	set(o, t, ST_ENH, s->t2 ? proto_t2_json(s->t2) : NULL);
	set(o, t, ST_LAST_ERROR, str_or_null(s->last_error));
	set(o, t, ST_APPLY, json_string(s->apply ? s->apply : ""));
	set(o, t, ST_CONFIG, str_or_null(s->config));
	set(o, t, ST_RELOADS, int_json(s->reloads));
	set(o, t, ST_RELOAD_ERROR, str_or_null(s->reload_error));
	set(o, t, ST_JOBS, int_json(s->jobs));
	set(o, t, ST_STATS, s->stats ? status_stats_json(s->stats) : NULL);
	return o;
}

json_t *
proto_check_json(const struct check_verdict *v, const struct t2_summary *t2)
{
	const struct proto_field *t = proto_check_fields;
	const struct proto_field *cs = check_schema_fields;
	json_t *o = json_object(), *sch = json_object(), *p = json_array();

	if (o == NULL || sch == NULL || p == NULL) {
		json_decref(o);
		json_decref(sch);
		json_decref(p);
		return NULL;
	}
	set(sch, cs, CS_SAFE, int_json((long long)v->safe));
	set(sch, cs, CS_REFUSED, int_json((long long)v->refused));
	set(sch, cs, CS_DRIFT, int_json((long long)v->drift));
	for (int i = 0; i < v->nproblems; i++)
		json_array_append_new(p, json_string(v->problems[i]));
	set(o, t, CK_CLEAN, json_boolean(v->clean));
	set(o, t, CK_SCHEMA, sch);
	set(o, t, CK_ENH, proto_t2_json(t2));
	set(o, t, CK_PROBLEMS, p);
	return o;
}

json_t *
proto_reload_json(const struct t1_summary *t1, const struct t2_summary *t2)
{
	const struct proto_field *t = proto_reload_fields;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set(o, t, RL_SCHEMA, t1 ? proto_t1_json(t1) : NULL);
	set(o, t, RL_ENH, t2 ? proto_t2_json(t2) : NULL);
	return o;
}

static json_t *
version_db_json(const struct version_info *v)
{
	const struct proto_field *t = version_db_fields;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set(o, t, VD_HOST, str_or_null(v->db_host));
	set(o, t, VD_PORT, str_or_null(v->db_port));
	set(o, t, VD_DBNAME, str_or_null(v->db_name));
	set(o, t, VD_USER, str_or_null(v->db_user));
	return o;
}

json_t *
proto_version_json(const struct version_info *v)
{
	const struct proto_field *t = proto_version_fields;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set(o, t, VE_DAEMON, json_string(v->daemon));
	set(o, t, VE_PROTO, int_json(v->proto));
	set(o, t, VE_SERVER, str_or_null(v->server));
	set(o, t, VE_SERVER_NUM, int_json(v->server_num));
	set(o, t, VE_DATABASE, version_db_json(v));
	return o;
}

/* ---- reading ---- */

json_t *
proto_field_get(const json_t *obj, const struct proto_field *t, int i)
{
	return json_object_get(obj, t[i].name);
}

const struct proto_field *
proto_field_find(const struct proto_field *t, const char *name)
{
	for (; t && t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static int
fields_check(json_t *obj, const struct proto_field *t,
    const char *path, struct merr *e)
{
	const struct proto_field *f;
	const char *key;
	char sub[sizeof(e->field)];
	json_t *v, *row;
	size_t i;

	json_object_foreach(obj, key, v) {
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
		    key);
		if ((f = proto_field_find(t, key)) == NULL) {
			merr_set(e, MERR_INPUT, "unknown field '%s'", sub);
			snprintf(e->field, sizeof(e->field), "%s", sub);
			return -1;
		}
		if (f->type == PF_OBJ && json_is_object(v) &&
		    fields_check(v, f->sub, sub, e) == -1)
			return -1;
		if (f->type == PF_ROWS)
			json_array_foreach(v, i, row)
				if (fields_check(row, f->sub, sub, e) == -1)
					return -1;
	}
	return 0;
}

int
proto_fields_check(json_t *obj, const struct proto_field *t,
    struct merr *e)
{
	return fields_check(obj, t, "", e);
}
