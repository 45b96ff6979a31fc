/*
 * proto_status.h - the daemon's typed state (status.h) as JSON, and the
 * schema of those objects: one field table per object, with each field's
 * name, type and label.
 *
 * Both sides read the same tables: migrated builds its JSON from them,
 * migratectl's text output prints from them by the same indices, so a
 * renamed key renames both; proto_fields_check() finds a key a table does
 * not know (the unit test keeps the tables and the JSON in step).
 *
 * Ownership: proto_*_json() return new references (json_decref()).
 */
#ifndef MIGRATE_PROTO_STATUS_H
#define MIGRATE_PROTO_STATUS_H

#include <jansson.h>

#include "err.h"
#include "status.h"

enum pf_type { PF_STR, PF_INT, PF_BOOL, PF_OBJ, PF_ROWS, PF_STRS };

struct proto_field {
	const char			*name;	/* the JSON key */
	enum pf_type			 type;
	const char			*label;	/* for text output */
	const struct proto_field	*sub;	/* PF_OBJ, PF_ROWS: members */
};

/* status */
enum { ST_VERSION, ST_PROTO, ST_PID, ST_UPTIME, ST_READY, ST_STOPPING,
    ST_STATE, ST_STATUS, ST_DATABASE, ST_BUSY, ST_SCHEMA, ST_ENH,
    ST_LAST_ERROR, ST_APPLY, ST_CONFIG, ST_RELOADS, ST_RELOAD_ERROR,
    ST_JOBS, ST_STATS,
    ST_NFIELDS };
/* status "stats": what the daemon counted, for `migratectl metrics` */
enum { SS_STARTED, SS_T1_AT, SS_T1_MS, SS_T1_FAILURES, SS_T2_AT, SS_T2_OP,
    SS_T2_MS, SS_T2_OK, SS_T2_FAILURES, SS_PENDING_SINCE, SS_AUDIT_AT,
    SS_AUDIT_OK, SS_AUDIT_ROWS, SS_AUDIT_HEAD_ID, SS_AUDIT_HEAD,
    SS_NFIELDS };
enum { DB_AVAILABLE, DB_WHERE, DB_HOST, DB_PORT, DB_ROLE, DB_ERROR,
    DB_DOWN_SINCE, DB_NFIELDS };
enum { BUSY_OP, BUSY_SINCE, BUSY_UID, BUSY_NFIELDS };
/* tier 1 ("schema") and its problems */
enum { T1_AVAILABLE, T1_APPLIED, T1_REFUSED, T1_DRIFT, T1_STATEMENTS,
    T1_DURATION, T1_WAITED, T1_PENDING_SAFE, T1_PROBLEMS, T1_NFIELDS };
enum { PR_CLASS, PR_KIND, PR_TARGET, PR_REASON, PR_HINT, PR_NFIELDS };
/* tier 2 ("enhancements") and its dirty rows */
enum { T2_AVAILABLE, T2_CURRENT, T2_APPLIED, T2_DRIFT, T2_MISSING, T2_OOO,
    T2_DIRTY_COUNT, T2_PENDING, T2_DIRTY, T2_WARNINGS, T2_NFIELDS };
enum { DI_NAME, DI_DIRECTION, DI_STMT_DONE, DI_NSTMTS, DI_ERROR,
    DI_NFIELDS };
/* check */
enum { CK_CLEAN, CK_SCHEMA, CK_ENH, CK_PROBLEMS, CK_NFIELDS };
enum { CS_SAFE, CS_REFUSED, CS_DRIFT, CS_NFIELDS };
/* reload */
enum { RL_SCHEMA, RL_ENH, RL_NFIELDS };
/* version */
enum { VE_DAEMON, VE_PROTO, VE_SERVER, VE_SERVER_NUM, VE_DATABASE,
    VE_CLIENT, VE_CLIENT_PROTO, VE_NFIELDS };
/* version "database": the daemon's connection without its password */
enum { VD_HOST, VD_PORT, VD_DBNAME, VD_USER, VD_NFIELDS };

/* Each table ends with a { NULL } row after its *_NFIELDS fields. */
extern const struct proto_field proto_status_fields[];
extern const struct proto_field proto_t1_fields[];
extern const struct proto_field proto_t2_fields[];
extern const struct proto_field proto_check_fields[];
extern const struct proto_field proto_reload_fields[];
extern const struct proto_field proto_version_fields[];

json_t	*proto_t1_json(const struct t1_summary *);
json_t	*proto_t2_json(const struct t2_summary *);
json_t	*proto_status_json(const struct daemon_status *);
json_t	*proto_check_json(const struct check_verdict *,
	    const struct t2_summary *);
json_t	*proto_reload_json(const struct t1_summary *,
	    const struct t2_summary *);
json_t	*proto_version_json(const struct version_info *);

/* The field of table t named name, or NULL. */
const struct proto_field *proto_field_find(const struct proto_field *t,
	    const char *name);
/* obj's value for field i of table t (borrowed), or NULL. */
json_t	*proto_field_get(const json_t *obj, const struct proto_field *t,
	    int i);
/*
 * Is every key of obj (and of its nested objects and rows) in table t?
 * 0, or -1 with e naming the first unknown key as "a.b" in e->field.
 */
int	proto_fields_check(json_t *obj, const struct proto_field *t,
	    struct merr *);

#endif
