/*
 * runner.h - the one executor of both tiers.
 *
 * runner_exec() runs a struct work (work.h), whoever produced it: a tier-1
 * plan (tier1.c) or tier-2 scripts (runner_run_list() below,
 * runner_script.c).
 * It owns everything that touches PostgreSQL on the way: transactions,
 * SET LOCAL lock_timeout and statement_timeout, the retry on a lock
 * timeout (55P03) with backoff, CONCURRENTLY statements outside a
 * transaction, settling a step that may have been cut off, the stop flag
 * (read between steps and between units), and the calls that let the
 * producer record progress and audit rows in the right transaction.
 *
 * runner_run_list() is tier 2's producer.  Transaction modes (decided by migset
 * from the parse tree):
 *   MIG_TX_ONE       BEGIN; SET LOCAL timeouts; statements; tracking row;
 *                    tier2.apply event; COMMIT.  A lock timeout rolls back
 *                    and retries (bounded, backoff); any failure leaves no
 *                    trace but the tier2.fail event emitted after ROLLBACK.
 *   MIG_TX_NONE      statement by statement in autocommit: a dirty
 *                    tracking row first, its progress after each
 *                    statement, the finish + tier2.apply in one short
 *                    transaction at the end.  A failure or a stop keeps the
 *                    row dirty with the statement reached and the error;
 *                    the next run resumes at that statement.  A CREATE
 *                    INDEX CONCURRENTLY that was cut off is settled on
 *                    resume or retry: a valid index counts as done, an
 *                    INVALID one is dropped (CONCURRENTLY) and rebuilt.
 *   MIG_TX_EXPLICIT  the file's own BEGIN/COMMIT are run as written, with
 *                    progress recorded inside them (so it commits or rolls
 *                    back with them).
 * Batched backfills ("-- migrated:batch size=N" before an UPDATE) run by
 * primary key in batches, each batch its own transaction that also
 * records the batch's last key, with a pause between batches; the table
 * needs a single-column primary key (refused otherwise).  Size and pause
 * are N and pause= when the line gives a pause and no pacing option;
 * otherwise core/pacer.h adapts them after every batch.
 *
 * The stop flag is read between statements and between batches.
 */
#ifndef MIGRATE_RUNNER_H
#define MIGRATE_RUNNER_H

#include <signal.h>
#include <stddef.h>

#include "err.h"
#include "event.h"
#include "work.h"

struct config;
struct db;
struct migration;
struct migset;
struct trk_row;

/* A batch's pace: how it went and what comes next (core/pacer.h). */
struct progress_pace {
	long long	 batch;		/* 1-based, in this run */
	long long	 rows;		/* rows it took */
	long		 ms;		/* begin to commit, retries included */
	int		 retries;	/* lock timeouts it had */
	long		 probe_us;	/* the probe after it, -1: none */
	long		 probe_limit_us; /* slow above this, -1: unknown */
	long		 rate;		/* the application's writes per
					   second, last window, -1: none */
	long		 base_rate;	/* the baseline compared with
					   (before the first batch, then
					   adjusted: docs/zero-downtime.md),
					   -1 */
	long		 busy;		/* the application's busy sessions,
					   last window's mean, in hundredths,
					   -1: none or not visible */
	long		 base_busy;	/* the baseline compared with (as
					   base_rate), -1: unknown or not
					   visible */
	long		 target_ms;	/* 0: fixed pace */
	const char	*decision;	/* "fixed" "hold" "grow" "shrink" */
	const char	*reason;
	long		 size;		/* the next batch's */
	long		 pause_ms;	/* before the next batch */
};

/* What the progress callback sees; all pointers borrowed for the call. */
struct progress {
	const char	*phase;		/* "start" "statement" "batch"
					   "retry" "done" "fail" */
	const char	*version;
	const char	*name;
	const char	*direction;	/* "up" / "down" */
	int		 stmt;		/* 1-based statement, 0: none */
	int		 nstmts;
	long long	 rows_done;	/* batches: rows done so far */
	long long	 rows_total;	/* batches: estimate, -1: unknown */
	long		 elapsed_ms;
	const char	*message;	/* error or note, or NULL */
	const struct progress_pace *pace; /* "batch" phase, else NULL */
};

typedef void (*progress_fn)(void *arg, const struct progress *);

struct tracking;

/* Everything an operation needs from its caller; all borrowed. */
struct mig_env {
	const struct config	*cfg;
	struct db		*db;	/* the work connection, idle */
	/*
	 * An idle connection on which migrate_* and tier1_apply take the
	 * advisory lock (DB_LOCK_KEY, runner_lock()) for mutating
	 * operations, connected on first need when conn is NULL; NULL
	 * means the caller already holds it (or knowingly runs without it).
	 */
	struct db		*lockdb;
	/*
	 * 1: the caller took the lock on lockdb (runner_lock()) and holds
	 * it across operations; runner_lock() then checks that its session
	 * is still there (the lock ends with it) instead of taking it.
	 */
	int			 held;
	const struct event_hook	*hook;	/* NULL: nothing audited */
	const struct actor	*actor;	/* who asked: applied_by */
	progress_fn		 progress;	/* NULL: none */
	void			*progress_arg;
	volatile sig_atomic_t	*stop;	/* NULL: never stops */
	/*
	 * Optional: a migset the caller keeps across operations (zeroed at
	 * first); migrate_* and tier 1 refresh it with migset_refresh()
	 * instead of reading every file each time.  One operation at a time.
	 */
	struct migset		*cache;
	/*
	 * The caller stands for cache being the folder as this job sees it
	 * (looked at earlier in the same job, or its watch saw no change):
	 * it is used as it is.
	 */
	int			 cache_fresh;
	/*
	 * Optional: the tracking table as this job read it moments ago
	 * (migrate_check_pending()'s keep), which migrate_status() uses
	 * instead of reading it again.  NULL: read.
	 */
	const struct tracking	*trk_read;
	/* Fault injection for tests (work.h, fault); NULL otherwise. */
	void			(*fault)(void *arg, const char *point);
	void			*fault_arg;
};

enum run_dir { RUN_UP = 0, RUN_DOWN };

/* The executor's state while it runs one work (borrowed pointers). */
struct runner {
	struct db		*db;
	volatile sig_atomic_t	*stop;	/* NULL: never stops */
	const struct work	*w;
	const struct work_unit	*u;	/* the unit running */
	size_t			 step;	/* its step running (nsteps: none) */
	int			 attempt;	/* 0, then 1.. on retries */
	int			 start_due;	/* "start" after the held COMMIT */
	int			 held_failed;	/* the held COMMIT failed */
	int			 unchained;	/* its COMMIT read in its attempt */
};

typedef int (*runner_fn)(struct db *, void *arg, struct merr *);

/*
 * Run every unit of w in order on db, which is idle; stop at the first
 * failure (after the target's fail callback).
 */
int	runner_exec(struct db *, volatile sig_atomic_t *stop,
	    const struct work *, struct merr *);
/*
 * A COMMIT left in flight from one work to the next (work.h, chain):
 * owned by the caller of runner_exec(), zeroed before the first work.
 * After runner_exec() returns, held is w when w's last COMMIT is still
 * in flight (its "done" progress comes once it is read), and failed is
 * the work whose held COMMIT was read and did not commit (its unit's
 * fail callback has run; runner_exec() returned -1 with its error).
 * w's own work, sent behind that COMMIT with no Sync between, was then
 * skipped; but when that COMMIT's result was lost with the connection
 * (08007), w's COMMIT, sent ahead under the guard, may have committed
 * too: its own audit row says so.
 */
struct runner_chain {
	const struct work	*held;
	const struct work	*failed;
	int			 attempt;	/* held's: 0, then 1.. on retries */
};
/*
 * Read the COMMIT in flight, if any, and leave pipeline mode: 0 when it
 * committed (its work's "done" progress), also after a lock timeout
 * there that its unit's retries overcame (the unit ran again, as a
 * whole, its COMMIT read at once); -1 when not (its unit's fail
 * callback, c->failed, e; SQLSTATE 08007 when the connection was lost,
 * or when the result is not known).
 *
 * runner_exec() reads the stop flag once for each unit: with a COMMIT in
 * flight and the flag up (or a unit that cannot go with it), it ends the
 * chain first; it never returns -1 with another work's COMMIT still in
 * flight.
 */
int	runner_chain_end(struct db *, volatile sig_atomic_t *stop,
	    struct runner_chain *, struct merr *);
/* A runner for runner_tx() outside runner_exec() (no unit). */
void	runner_init(struct runner *, struct db *, volatile sig_atomic_t *stop,
	    const struct work *);
/*
 * fn inside BEGIN ... COMMIT with the work's SET LOCAL timeouts; on a lock
 * timeout roll back, wait and run it again (w->lim.retries times at most,
 * not once stopped).  After the last failed try e->code is MERR_LOCKED.
 */
int	runner_tx(struct runner *, runner_fn, void *arg, struct merr *);
/* The same in autocommit, with session timeouts reset afterwards. */
int	runner_notx(struct runner *, runner_fn, void *arg, struct merr *);
int	runner_stopped(const struct runner *);

/*
 * The first word of the message of a work the stop flag ended (MERR_STATE
 * is used for other refusals too).
 */
#define RUNNER_INTERRUPTED	"interrupted"

/*
 * Take the advisory lock on env->lockdb (db_lock_take) for one operation,
 * waiting at most wait_ms (-1: until free or *env->stop).  A lockdb not
 * connected yet (conn NULL) is connected with cfg->database first; the
 * caller closes it.  *took: 1 when this call took the lock (0 when
 * env->lockdb is NULL: the caller holds it); *waited may be NULL.
 * env->held: the lock taken before is checked instead, with one round
 * trip on its connection: ended (the server ended the backend, an idle
 * timeout, a proxy), the lock ended with it and another session may
 * hold it now: -1, nothing is to run.
 */
int	runner_lock(const struct mig_env *, long wait_ms, int *took,
	    int *waited, struct merr *);

/*
 * Run the forward (RUN_UP) or rollback (RUN_DOWN) scripts of v[0..n),
 * which must be prepared, in order, on env->db; stop at the first
 * failure, or before the next file once *env->stop is set (MERR_STATE,
 * "interrupted before"). resume[i] is v[i]'s dirty tracking row or NULL.
 * A file's COMMIT goes out with the next file's first message (work.h,
 * chain): done(arg, i, ms, stmts, e) is called for each file once its
 * COMMIT is known to have committed, in order; a -1 from it stops the
 * run.  A file whose COMMIT fails is that run's failure: nothing of the
 * file after it ran.
 */
typedef int (*runner_done_fn)(void *arg, size_t i, long ms, int stmts,
    struct merr *);
int	runner_run_list(const struct mig_env *, struct migration *const *v,
	    size_t n, enum run_dir, const struct trk_row *const *resume,
	    runner_done_fn done, void *arg, struct merr *);

/* "alice", "uid 1001", or "migrated" for the daemon itself. */
void	runner_actor_name(const struct actor *, char *buf, size_t len);

#endif
