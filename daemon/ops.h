/*
 * ops.h - what the worker runs for each row of the command table (cmd.h):
 * tier 1 (through t1call.h), tier 2 (core/migrate.h), the audit
 * (core/audit.h) and the daemon's own jobs.  Worker thread only, except
 * ops_new/ops_free and ops_preflight.
 *
 * struct ops is the worker's private state (the audit writer, the lock
 * connection, the folder cache); it hangs off struct dbloop.wstate.  The
 * results go into the job (job.h), typed; nothing here touches the
 * daemon's state.
 */
#ifndef MIGRATED_OPS_H
#define MIGRATED_OPS_H

#include "config.h"
#include "dbloop.h"
#include "err.h"
#include "migset.h"

struct ops;
struct opctx;
struct t2_op;

/* origin: what this daemon's announcements carry (announce.h). */
struct ops	*ops_new(const char *origin);
void		 ops_free(struct ops *);

/* Worker: run the job the task belongs to, by its command's row. */
void	ops_run(struct dbloop *, struct dbtask *);

/*
 * -n and reload, before any database work: the models load and the
 * migration files parse.  Errors carry file, line and column.  A pool
 * thread on reload (reload.c); no shared state.  keep (may be NULL): a
 * zeroed migset that receives the parsed folder.  stop (may be NULL):
 * parsing gives up (MERR_STATE) once *stop is set.
 */
int	ops_preflight(const struct config *, struct migset *keep,
	    volatile sig_atomic_t *stop, struct merr *);
/*
 * The daemon's start: the models load (ops_models(), before anything
 * connects: a bad model exits at once), then the folder is read (names,
 * layout, every file read and hashed) into keep, while the worker's
 * connection opens (preconn.h); which files must parse before ready is
 * known only from the tracking table (op_startup(),
 * migrate_check_pending()).
 */
int	ops_models(const struct config *, struct merr *);
int	ops_preload(const struct config *, struct migset *keep, struct merr *);
/*
 * The folder ops_preload() read, moved into the worker's cache: the first
 * job takes it as its look at the folder when it comes to the folder
 * soon after (optier.c tier2_folder(); the loop's watch started before
 * the read).
 */
void	ops_keep(struct ops *, struct migset *);

/* The rows' worker functions (struct cmd.run). */
int	op_startup(struct opctx *, struct merr *);
int	op_recheck(struct opctx *, struct merr *);
int	op_reload(struct opctx *, struct merr *);
int	op_refresh(struct opctx *, struct merr *);
int	op_check(struct opctx *, struct merr *);
int	op_plan(struct opctx *, struct merr *);
int	op_pull(struct opctx *, struct merr *);
int	op_tier2(struct opctx *, struct merr *);	/* arg: a t2_op */
int	op_log(struct opctx *, struct merr *);
int	op_audit(struct opctx *, struct merr *);
int	op_version(struct opctx *, struct merr *);
int	op_ping(struct opctx *, struct merr *);
int	op_sync(struct opctx *, struct merr *);
int	op_denied(struct opctx *, struct merr *);
int	op_stop(struct opctx *, struct merr *);

/* The tier-2 operations op_tier2 runs (struct cmd.arg). */
extern const struct t2_op t2_list, t2_validate, t2_up, t2_down, t2_goto,
    t2_force, t2_redo, t2_adopt, t2_baseline;

#endif
