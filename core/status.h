/*
 * status.h - what the daemon reports, as C structs: the tier-1 and tier-2
 * summaries, the verdict of `check`, and the daemon's status with its
 * one-line form (the systemd STATUS= line).
 *
 * migrated's status and check, `migrated --once` and STATUS= are all made
 * from these, so they agree by construction.  JSON is made from them in
 * one place, proto_status.c.
 *
 * Ownership: a summary owns its strings and arrays; *_release frees them
 * and leaves the struct empty (as after *_init).  struct daemon_status
 * only borrows: every pointer in it belongs to the caller.
 */
#ifndef MIGRATE_STATUS_H
#define MIGRATE_STATUS_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "migrate.h"
#include "plan.h"
#include "tier1.h"

#define T1_PROBLEMS_MAX		20	/* refused and drift items kept */
#define CHECK_PROBLEMS_MAX	6

/* A change tier 1 did not apply: refused or drift. */
struct t1_problem {
	const char	*cls;		/* plan_class_name(): static */
	char		*kind, *target, *reason, *hint;	/* may be NULL */
};

/* Tier 1: the last run, and the last plan. */
struct t1_summary {
	int		 available;	/* tier 1 ran or planned once */
	int		 ran;		/* the run fields below are set */
	size_t		 applied, statements;
	long		 duration_ms;
	int		 waited;	/* another process held the lock */
	int		 planned;	/* pending_safe is set */
	size_t		 pending_safe, refused, drift;
	struct t1_problem *problems;
	size_t		 nproblems;
};

/* A tier-2 enhancement whose statement-by-statement run stopped. */
struct t2_dirty {
	char		*name;		/* "20240110_150000_add_x" */
	char		*direction;	/* "up" / "down", may be NULL */
	int		 stmt_done, nstmts;
	char		*error;		/* may be NULL */
};

/* Tier 2: counts and the names that matter. */
struct t2_summary {
	int		 available;
	char		 current[MIG_VERSION_MAX];	/* "" when none */
	int		 applied, drift, missing, out_of_order, dirty_count;
	char		**pending;	/* file names, npending of them */
	size_t		 npending;
	struct t2_dirty	*dirty;
	size_t		 ndirty;
	char		**warnings;	/* "file:line:col: message" of each
					   rollback known not to parse */
	size_t		 nwarnings;
	char		**clean;	/* the versions applied, as
					   "version/checksum/rollback
					   checksum", unsorted (status.c) */
	size_t		 nclean;
};

/* check: clean, or what is not. */
struct check_verdict {
	int		 clean;
	size_t		 safe, refused, drift;	/* from the plan */
	char		 problems[CHECK_PROBLEMS_MAX][80];
	int		 nproblems;
};

/*
 * What the daemon counted since it started, for monitoring (`migratectl
 * metrics`): times are wall-clock seconds, 0 when it never happened.
 */
struct daemon_stats {
	time_t		 started;
	time_t		 t1_ran_at;	/* the last tier-1 run that ended */
	long		 t1_duration_ms;
	long		 t1_failures;	/* tier-1 runs that failed */
	time_t		 t2_at;		/* the last up/down/goto/force/redo */
	const char	*t2_op;		/* its command (static), or NULL */
	long		 t2_duration_ms;
	int		 t2_ok;
	long		 t2_failures;	/* those that ended in an error */
	time_t		 pending_since;	/* the oldest pending enhancement
					   was first seen (0: none) */
	time_t		 audit_verified_at;	/* the last `audit verify` */
	int		 audit_ok;	/* intact and guarded */
	long long	 audit_rows, audit_head_id;
	char		 audit_head[65];
};

/* The daemon's state as status shows it; everything borrowed. */
struct daemon_status {
	const char	*version;
	int		 proto;
	long		 pid;
	long		 uptime_s;
	int		 ready, stopping;
	int		 degraded;	/* tier 1 failed since it was ready */
	int		 db_up;
	const char	*db_where;	/* "" or NULL: unknown */
	/* the server last reached ("" or NULL: unknown); db_role is
	   "primary", "standby" or "read-only" (core/db.h) */
	const char	*db_host, *db_port, *db_role;
	const char	*db_error;
	time_t		 db_down_since;	/* 0: never connected yet */
	const char	*busy_op;	/* NULL: idle */
	time_t		 busy_since;
	long		 busy_uid;
	const struct t1_summary	*t1;	/* NULL: not known yet */
	const struct t2_summary	*t2;
	const char	*last_error;	/* "" or NULL: none */
	const char	*apply;		/* config_apply_name() */
	const char	*config;	/* path, or NULL */
	const char	*reload_error;	/* "" or NULL: the last reload took */
	long		 reloads;	/* reloads whose config step ended */
	long		 jobs;		/* database jobs queued or running */
	const struct daemon_stats *stats;	/* NULL: not known */
};

/* The daemon's and the database server's versions (`version`). */
struct version_info {
	char		 daemon[32];
	int		 proto;
	char		 server[64];	/* SHOW server_version */
	int		 server_num;	/* PQserverVersion(): 160004 */
	/* the daemon's connection, never its password (PQhost() etc.) */
	char		 db_host[256], db_port[32], db_name[128], db_user[128];
};

void	t1_summary_init(struct t1_summary *);
void	t1_summary_release(struct t1_summary *);
/* From a plan: pending_safe, refused, drift and the problems. */
int	t1_summary_plan(struct t1_summary *, const struct plan *,
	    struct merr *);
/* From a tier-1 run and the last plan it computed (may be NULL). */
int	t1_summary_run(struct t1_summary *, const struct tier1_report *,
	    const struct plan *, struct merr *);
/* Take a fresh plan's fields (planned) from src into dst; src emptied. */
void	t1_summary_merge(struct t1_summary *dst, struct t1_summary *src);
/* "schema in sync" / "schema: 1 change refused, 2 drift" */
void	t1_summary_line(const struct t1_summary *, char *buf, size_t len);

void	t2_summary_init(struct t2_summary *);
void	t2_summary_release(struct t2_summary *);
int	t2_summary_from(struct t2_summary *, const struct migrate_result *,
	    struct merr *);
/* "1 enhancement pending: 20240110_150000_add_user_preferences" */
void	t2_summary_line(const struct t2_summary *, char *buf, size_t len);
/* Move src into dst (dst released first); src left empty. */
void	t2_summary_move(struct t2_summary *dst, struct t2_summary *src);
/* s->clean emptied: nothing known to be applied any more. */
void	t2_summary_forget_clean(struct t2_summary *s);

/* The verdict of check from the plan and tier 2's summary. */
void	check_verdict_make(struct check_verdict *, const struct plan *,
	    const struct t2_summary *);

/* The one-line status: STATUS= and status's "status" field. */
void	daemon_status_line(const struct daemon_status *, char *buf,
	    size_t len);
/*
 * The daemon's state, one of:
 *   starting   tier 1 has not reached the models yet (or no database)
 *   ready      tier 1 reached the models at its last run: an application
 *              may start (wait-ready succeeds)
 *   degraded   tier 1 failed after it had been ready (a reload, a
 *              recheck): the service goes on, wait-ready fails, check
 *              says why, until a run succeeds again
 *   stopping   after SIGTERM
 */
const char *daemon_state_name(const struct daemon_status *);

#endif
