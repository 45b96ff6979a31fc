/*
 * ops.h - what the worker does for each job: tier 1, tier 2 and the audit
 * (core/tier1.h, core/migrate.h, core/audit.h), and how their results
 * reach the daemon's state.
 *
 * ops_run() runs on the worker thread only; everything else here runs on
 * the loop thread.  struct ops is the worker's private state (the audit
 * writer); it hangs off struct dbloop.wstate.
 */
#ifndef MIGRATED_OPS_H
#define MIGRATED_OPS_H

#include "config.h"
#include "dbloop.h"
#include "err.h"

struct conn;
struct migrated;
struct ops;

struct ops	*ops_new(void);
void		 ops_free(struct ops *);

/* Worker: run job j by its name. */
void	ops_run(struct dbloop *, struct job *);

/* Loop: fold a finished job's results into the daemon's state. */
void	ops_done(struct migrated *, struct job *);
/* Loop: an internal job (startup, recheck, ping, refresh, stop). */
struct job *ops_job(struct migrated *, const char *name, job_done_fn);
/*
 * Start-up and reload, before any database work: the models load and the
 * migration files parse.  Errors carry file, line and column.
 */
int	ops_preflight(const struct config *, struct merr *);
/*
 * Loop: record a denied request through the event hook, at most
 * DENY_RECORD_MAX per uid in DENY_WINDOW_SEC; the next recorded one says
 * how many were not.  1: recorded (log it too), 0: suppressed.
 */
int	ops_record_denied(struct migrated *, struct conn *, const char *cmd);

#endif
