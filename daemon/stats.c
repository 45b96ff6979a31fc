/* stats.c - the daemon's counts for monitoring (see stats.h). */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ops.h"
#include "stats.h"

void
stats_init(struct stats *st, time_t started)
{
	memset(st, 0, sizeof(*st));
	st->s.started = started;
}

void
stats_release(struct stats *st)
{
	free(st->seen);
	st->seen = NULL;
	st->nseen = 0;
}

/* When name was first seen pending, from the old list; now if new. */
static time_t
stats_seen(const struct stats *st, const struct t2_summary *old,
    const char *name, time_t now)
{
	for (size_t i = 0; i < old->npending && i < st->nseen; i++)
		if (!strcmp(old->pending[i], name))
			return st->seen[i];
	return now;
}

/* A fresh tier-2 summary: first-seen times for its pending names. */
static void
stats_pending(struct stats *st, const struct t2_summary *old,
    const struct t2_summary *fresh)
{
	time_t now = time(NULL), *seen = NULL, oldest = 0;

	if (fresh->npending > 0 &&
	    (seen = calloc(fresh->npending, sizeof(*seen))) == NULL)
		return;		/* no memory: keep the old times */
	for (size_t i = 0; i < fresh->npending; i++) {
		seen[i] = stats_seen(st, old, fresh->pending[i], now);
		if (oldest == 0 || seen[i] < oldest)
			oldest = seen[i];
	}
	free(st->seen);
	st->seen = seen;
	st->nseen = fresh->npending;
	st->s.pending_since = oldest;
}

/* A tier-2 command that changes the database (not list or validate). */
static int
stats_tier2_change(const struct job *j)
{
	return j->cmd->run == op_tier2 && (j->cmd->flags & CMD_EXCL) &&
	    !j->req.dry_run;
}

static void
stats_tier2(struct stats *st, const struct job *j)
{
	/* a confirmation request or a usage error changed nothing */
	if (j->rc == -1 && (j->code == PROTO_CONFIRM ||
	    j->code == PROTO_BAD_ARG || j->err.code == MERR_USAGE))
		return;
	st->s.t2_at = time(NULL);
	st->s.t2_op = cmd_name(j->cmd);
	st->s.t2_duration_ms = j->ran_ms;
	st->s.t2_ok = j->rc == 0;
	if (j->rc == -1)
		st->s.t2_failures++;
}

static void
stats_audit(struct stats *st, const struct job *j)
{
	const struct audit_verify_result *v = &j->res.verify;

	/* the walk ended (intact or not); a lost connection is no verdict */
	if (j->rc == -1 && j->err.code != MERR_STATE)
		return;
	st->s.audit_verified_at = time(NULL);
	st->s.audit_ok = j->rc == 0;
	st->s.audit_rows = v->rows;
	st->s.audit_head_id = v->head_id;
	memcpy(st->s.audit_head, v->head, sizeof(st->s.audit_head));
}

void
stats_fold(struct stats *st, const struct job *j,
    const struct t2_summary *old)
{
	if (j->res.has_t2)
		stats_pending(st, old, &j->res.t2);
	if (j->cmd->flags & CMD_TIER1) {
		if (j->res.t1_kind == T1_RAN && j->rc == 0) {
			st->s.t1_ran_at = time(NULL);
			st->s.t1_duration_ms = j->res.t1.duration_ms;
		} else if (j->rc == -1 && !j->db_lost) {
			st->s.t1_failures++;
		}
	}
	if (stats_tier2_change(j))
		stats_tier2(st, j);
	if (j->cmd->run == op_audit)
		stats_audit(st, j);
}
