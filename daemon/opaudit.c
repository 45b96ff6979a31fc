/*
 * opaudit.c - the operations that read rather than change: the audit log
 * and its verification (core/audit.h), the versions, and the daemon's
 * small jobs (ping, a denied request, stop).  Worker thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_head.h"
#include "opctx.h"
#include "ops.h"
#include "version.h"

int
op_ping(struct opctx *x, struct merr *e)
{
	if (ops_connect(x, e) == -1)
		return -1;
	return db_exec(x->db, "SELECT 1", e);
}

int
op_denied(struct opctx *x, struct merr *e)
{
	char detail[128];

	if (ops_connect(x, e) == -1)
		return -1;
	snprintf(detail, sizeof(detail), "permission denied for uid %ld",
	    (long)x->j->actor.uid);
	if (x->j->suppressed > 0)
		snprintf(detail + strlen(detail), sizeof(detail) -
		    strlen(detail), "; %ld more denials before this one not "
		    "recorded", x->j->suppressed);
	return ops_emit(x, "request.denied", x->j->req.cmd, detail, 0, e);
}

int
op_stop(struct opctx *x, struct merr *e)
{
	char detail[128];

	fgate_quit(&x->o->gate);	/* first: its teardown takes a while */
	if (!x->d->db.conn || ops_connect(x, e) == -1)
		return -1;	/* never reconnect just to say goodbye */
	snprintf(detail, sizeof(detail), "pid %ld, exit %d", (long)getpid(),
	    x->j->exit_code);
	return ops_emit(x, "daemon.stop", MIGRATED_VERSION, detail, 1, e);
}

/* Where the daemon is connected, as libpq says: never the password. */
static void
version_conn(PGconn *c, struct version_info *v)
{
	const char *host = PQhost(c), *port = PQport(c);
	const char *db = PQdb(c), *user = PQuser(c);

	snprintf(v->db_host, sizeof(v->db_host), "%s", host ? host : "");
	snprintf(v->db_port, sizeof(v->db_port), "%s", port ? port : "");
	snprintf(v->db_name, sizeof(v->db_name), "%s", db ? db : "");
	snprintf(v->db_user, sizeof(v->db_user), "%s", user ? user : "");
}

/* version: ours, and the server's as it reports itself. */
int
op_version(struct opctx *x, struct merr *e)
{
	struct version_info *v = &x->j->res.version;
	const char *s;

	if (ops_connect(x, e) == -1)
		return -1;
	snprintf(v->daemon, sizeof(v->daemon), "%s", MIGRATED_VERSION);
	v->proto = MIGRATED_PROTO_VERSION;
	v->server_num = PQserverVersion(x->db->conn);
	if ((s = PQparameterStatus(x->db->conn, "server_version")) == NULL)
		return merr_set(e, MERR_INTERNAL, "the server did not report "
		    "its version");
	snprintf(v->server, sizeof(v->server), "%s", s);
	version_conn(x->db->conn, v);
	return 0;
}

static char *
log_markdown(struct opctx *x, const struct audit_rows *rows)
{
	const char *db = PQdb(x->db->conn);
	struct migrate_result r;
	struct mig_env env;
	struct audit_version *v;
	struct merr ignore;
	char *md;

	migrate_result_init(&r);
	tier2_env(x, &env, 0, &ignore);
	if (migrate_list(&env, &r, &ignore) == -1)
		r.nrows = 0;
	v = calloc(r.nrows + 1, sizeof(*v));
	for (size_t i = 0; v && i < r.nrows; i++) {
		v[i].version = r.rows[i].version;
		v[i].name = r.rows[i].name;
	}
	md = audit_render_markdown(rows, v, v ? r.nrows : 0, db);
	free(v);
	migrate_result_release(&r);
	return md;
}

int
op_log(struct opctx *x, struct merr *e)
{
	const struct proto_request *q = &x->j->req;
	struct audit_filter f;

	memset(&f, 0, sizeof(f));
	f.since = q->since;
	f.version = q->version;
	f.action = q->markdown ? "tier2" : NULL;
	f.limit = q->limit >= 0 ? q->limit : (q->markdown ? 0 : 100);
	if (ops_connect(x, e) == -1 ||
	    audit_query(x->db, x->cfg, &f, &x->j->res.rows, e) == -1) {
		if (e->code == MERR_INPUT)
			x->j->code = PROTO_BAD_ARG;
		return -1;
	}
	if (q->markdown)
		x->j->res.markdown = log_markdown(x, &x->j->res.rows);
	return 0;
}

/*
 * The chain is intact inside the table: does it still reach the newest
 * row this daemon recorded outside it (STATE_DIR/audit-head)?  A deleted
 * tail leaves an intact chain; only the recorded head shows it.
 */
static int
verify_head(struct opctx *x, struct audit_verify_result *v, struct merr *e)
{
	struct audit_head rec;
	int rc;

	if (x->cfg->state_dir == NULL)
		return 0;
	if (audit_head_read(x->cfg->state_dir, &rec, e) == -1)
		return -1;
	if ((rc = audit_head_check(x->db, x->o->audit.table, &rec, v,
	    e)) != 1)
		return rc;
	merr_set(e, MERR_STATE, "audit chain broken: %s", v->reason);
	merr_detail(e, "%lld rows checked; the head was recorded in %s/%s",
	    v->rows, x->cfg->state_dir, AUDIT_HEAD_FILE);
	merr_hint(e, "the rows are gone from the table; the journal's "
	    "\"audit head\" lines and backups tell what they were");
	return -1;
}

int
op_audit(struct opctx *x, struct merr *e)
{
	struct audit_verify_result *v = &x->j->res.verify;

	if (strcmp(x->j->req.sub, "verify")) {
		x->j->code = PROTO_BAD_ARG;
		merr_set(e, MERR_USAGE, "unknown audit subcommand '%s'",
		    x->j->req.sub);
		snprintf(e->field, sizeof(e->field), "sub");
		merr_hint(e, "subcommands: verify");
		return -1;
	}
	if (ops_connect(x, e) == -1 || audit_verify(x->db, x->cfg, v, e))
		return -1;
	if (v->broken_id) {
		merr_set(e, MERR_STATE, "audit chain broken at row %lld: %s",
		    v->broken_id, v->reason);
		merr_detail(e, "%lld rows checked", v->rows);
		return -1;
	}
	if (verify_head(x, v, e) != 0)
		return -1;
	if (!v->guarded)
		return merr_set(e, MERR_STATE, "audit table is not "
		    "append-only: its trigger is missing or disabled");
	return 0;
}
