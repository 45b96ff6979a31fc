/*
 * tier1.h - tier 1: the models folder applied to the database, safely.
 *
 * tier1_plan() is read-only.  tier1_apply() is the whole start-up job:
 *   1. load the models (bad models: error, nothing touched);
 *   2. read the catalogs and plan; nothing safe to apply -> return without
 *      ever taking the lock (an up-to-date host never queues);
 *   3. take the session advisory lock DB_LOCK_KEY on a connection of its
 *      own that stays idle (never inside a transaction, so CREATE INDEX
 *      CONCURRENTLY does not wait for it); a waiter polls with
 *      pg_try_advisory_lock (50 ms doubling to 1 s) rather than block in
 *      a statement, whose snapshot CREATE INDEX CONCURRENTLY would wait
 *      for; refuse if a transaction-pooling pooler is in between (the
 *      lock would not be held by our session);
 *   4. re-read and re-plan (another process may have applied meanwhile);
 *   5. run the PLAN_TX changes in one transaction (db_tx: lock_timeout,
 *      bounded retries with backoff on 55P03), then each PLAN_ONLINE change
 *      (CONCURRENTLY / NOT VALID + VALIDATE), rebuilding invalid indexes;
 *   6. unlock.
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
 * Plan without changing anything.  db: an open connection, or NULL to
 * connect with cfg->database.  *out: the caller's (plan_free()).
 */
int	tier1_plan(const struct config *, struct db *, struct plan **out,
	    struct merr *);

/*
 * Apply.  Connects with cfg->database (two connections: work + lock).
 * On success *rep says what was done; refused changes are not a failure.
 * If out is not NULL it receives the last plan computed (caller frees).
 */
int	tier1_apply(const struct config *, const struct event_hook *,
	    struct tier1_report *, struct plan **out, struct merr *);

#endif
