/*
 * tier1.h - tier 1: the models folder applied to the database, safely.
 *
 * tier1_plan() is read-only.  tier1_apply() is the whole start-up job, on
 * the caller's connections:
 *   1. load the models (bad models: error, nothing touched);
 *   2. read the catalogs and plan; nothing safe to apply -> return without
 *      ever taking the lock (an up-to-date host never queues);
 *   3. take the session advisory lock on env->lockdb (db_lock_take: wait
 *      until it is free or *env->stop; refuse behind a transaction-mode
 *      pooler);
 *   4. re-read and re-plan (another process may have applied meanwhile);
 *      env->held (the lock checked still held instead) or env->lockdb
 *      NULL: the caller holds the lock, the read of step 2 was made
 *      under it and is the one applied (3 and 4 are skipped);
 *   5. tell the hook, on the idle work connection (event_ready: --once
 *      makes its audit table there), then turn the plan into a work
 *      (work.h) and run it with runner_exec():
 *      each PLAN_PRE change in short transactions of its own, every
 *      PLAN_TX change in one transaction, then each PLAN_ONLINE change
 *      step by step (CONCURRENTLY / NOT VALID + VALIDATE), its cleanup
 *      run when it fails; the stop flag is read between steps;
 *   6. unlock (unless the caller holds the lock).
 * Events (core/event.h): "tier1.plan" (checksum = plan hash, detail =
 * counts) and "tier1.apply" per change inside the transaction that makes
 * it; "tier1.refuse" per refused change and "tier1.fail" after a
 * rollback, outside any transaction; "lock.retry" on each lock-timeout
 * retry.
 */
#ifndef MIGRATE_TIER1_H
#define MIGRATE_TIER1_H

#include "config.h"
#include "db.h"
#include "err.h"
#include "event.h"
#include "plan.h"
#include "runner.h"

struct tier1_report {
	size_t	applied;	/* changes applied */
	size_t	refused;
	size_t	drift;
	size_t	statements;	/* SQL statements executed */
	int	waited;		/* 1: another process held the lock */
	int	locked;		/* 1: this process took the lock */
	long	duration_ms;
};

/*
 * Plan without changing anything, with env's cfg and db (an open
 * connection, or NULL to connect with cfg->database), and its cache of
 * the migrations folder if any (cache, cache_fresh: the applied
 * enhancements are read from it for what they created, not from the
 * folder; it may be refreshed, migset_refresh(), and its files are left
 * as they were, parsed or not).  *out: the caller's (plan_free()).
 */
int	tier1_plan(const struct mig_env *, struct plan **out, struct merr *);

/*
 * Apply, with env's cfg, db (idle), lockdb, hook, stop and cache (as
 * tier1_plan(); actor and progress are not used).  An env->lockdb not
 * yet connected (conn NULL) is connected only when there is something to
 * apply (runner_lock); the caller closes it.  On success *rep says what
 * was done; refused changes are not a failure.  If out is not NULL it
 * receives the last plan computed (caller frees).
 */
int	tier1_apply(const struct mig_env *, struct tier1_report *,
	    struct plan **out, struct merr *);

#endif
