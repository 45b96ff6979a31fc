/*
 * work.h - the one shape the runner executes.
 *
 * A tier-1 plan (tier1.c) and a tier-2 script (runscript.c) are both
 * turned into a struct work, and runner_exec() (runner.h) is the only code
 * that runs their SQL.  A work is a list of units; a unit is what commits
 * together and is recorded as one:
 *
 *   WORK_TX        every step in one transaction (BEGIN + SET LOCAL
 *                  timeouts), the target's records inside it; a lock
 *                  timeout rolls the whole unit back and runs it again.
 *   WORK_EACH      step by step: a step with tx set runs in a short
 *                  transaction of its own, the others in autocommit
 *                  (CREATE INDEX CONCURRENTLY, VACUUM); a step that may
 *                  have been interrupted (a retry, or the first step of a
 *                  resumed unit) is settled first: its check SQL says
 *                  whether its effect is already there (then it is not run
 *                  again), else its cleanup SQL undoes what is left.  The
 *                  unit's finish record commits in a short transaction.
 *   WORK_EXPLICIT  the steps' own BEGIN/COMMIT, as written: a lock timeout
 *                  inside a block rolls back and runs the block again.
 *
 * Ownership: the producer owns every struct and string here; the runner
 * only reads them.
 */
#ifndef MIGRATE_WORK_H
#define MIGRATE_WORK_H

#include <stddef.h>

#include "err.h"

enum work_mode { WORK_TX, WORK_EACH, WORK_EXPLICIT };

struct work_step {
	const char	*sql;
	int		 tx;		/* WORK_EACH: in a short transaction */
	int		 custom;	/* run by work_target.exec, not as SQL */
	int		 several;	/* sql may hold several statements (a
					   goose block): never pipelined */
	const char	*check;		/* one boolean row: effect there, or NULL */
	const char	*cleanup;	/* undo an interrupted attempt, or NULL */
	const void	*src;		/* the producer's: statement, change */
	size_t		 sub;		/* the producer's: index within src */
};

struct work_unit {
	enum work_mode	 mode;
	struct work_step *steps;
	size_t		 nsteps;
	size_t		 start;		/* the first step to run (resume) */
	int		 resumed;	/* steps[start] may have been cut off */
	int		 whole;		/* WORK_EACH: the stop flag is read
					   before the first step only */
	const char	*cleanup;	/* WORK_EACH: undo after a failure */
	const char	*sample;	/* on failure: a row that explains it */
	const void	*src;		/* the producer's: migration, change */
};

/* Timeouts and retries, the same for every step of one work. */
struct work_limits {
	long	lock_ms;		/* SET lock_timeout (0: none) */
	long	stmt_ms;		/* SET statement_timeout (0: none) */
	int	retries;		/* attempts after the first */
	long	backoff_ms;		/* doubled each retry, capped at 10 s */
};

struct runner;
struct runner_chain;

/*
 * What the producer records.  Every callback may be NULL; those that
 * return int abort the unit with -1.  i is the step's index, or nsteps for
 * what is not a step (begin, finish), or nsteps + 1 (fail and retry only)
 * when what failed is the unit's COMMIT (a deferred constraint's check).
 */
struct work_target {
	/* WORK_TX: inside the transaction, before the steps; other modes:
	 * before the first step, outside any transaction */
	int	(*begin)(void *, const struct work_unit *, struct merr *);
	/* after step i, inside its transaction when it has one */
	int	(*step_done)(void *, const struct work_unit *, size_t i,
		    struct merr *);
	/* the unit's success record, inside the transaction that commits
	 * (WORK_EACH and WORK_EXPLICIT: a short one of its own; none when
	 * finish is NULL) */
	int	(*finish)(void *, const struct work_unit *, struct merr *);
	/* after the rollback and the cleanup: word e, record the failure */
	void	(*fail)(void *, const struct work_unit *, size_t i,
		    struct merr *e);
	/* before retrying after a lock timeout (attempt: 1, 2, ...) */
	void	(*retry)(void *, const struct work_unit *, size_t i,
		    int attempt, const struct merr *why);
	/* phase: "start" (a chained work's unit, i 0), "statement" (before
	 * step i), "settled" (step i's check said it was done), "done" */
	void	(*progress)(void *, const struct work_unit *, size_t i,
		    const char *phase, const char *note);
	/* a custom step (batched UPDATE): runs its transactions through
	 * runner_tx() on r */
	int	(*exec)(void *, struct runner *r, const struct work_unit *,
		    size_t i, struct merr *);
	void	*arg;
};

struct work {
	struct work_unit	*units;
	size_t			 nunits;
	struct work_limits	 lim;
	struct work_target	 target;
	/*
	 * WORK_TX units go out in libpq's pipeline mode (db_pipe_begin):
	 * BEGIN, the steps, the target's records and COMMIT are sent
	 * without waiting, read back at the target's first query and at
	 * COMMIT; a failed step is still named by its index.
	 */
	int			 pipeline;
	/*
	 * ... and the session is reset (db_reset_session) right after each
	 * such unit's COMMIT, in the same round trip.
	 */
	int			 reset;
	/*
	 * Works run one after another on one connection (tier 2's files):
	 * the last unit's COMMIT (and session reset) is not waited for
	 * when it is a pipelined WORK_TX unit; the next work's BEGIN and
	 * statements follow it in the same message with no Sync between,
	 * so they run only if it committed, and its result is read (the
	 * server flushes it at once, or, sent ahead, with the next Sync)
	 * before theirs: one round trip a unit.  Every unit gets a "start" progress call, after the "done"
	 * of the unit before it.  NULL: each COMMIT read before returning.
	 * See runner.h, struct runner_chain.
	 */
	struct runner_chain	*chain;
	/*
	 * With a chain: the guard key of the migration lock this work runs
	 * under (struct db.guard of the lock's connection), or 0.  With one,
	 * a unit's COMMIT goes out with its statements, after DB_GUARD_SQL
	 * and a Sync, so that the server commits while the results travel
	 * (commit ahead, runner.c); without, only once they were read.
	 */
	int			 guard;
	/*
	 * Fault injection for tests; NULL otherwise.  fault(fault_arg,
	 * point) is called at these points, where a test may set the stop
	 * flag or cut the connection:
	 *   "decided"     runner_exec() has read the stop flag for a unit
	 *                 and decided whether a COMMIT in flight goes on
	 *   "chain-held"  a unit's COMMIT was left in flight (chain)
	 *   "ahead-sent"  a unit's statements and COMMIT went out (commit
	 *                 ahead), nothing of them read yet
	 *   "step-done"   a step ran, its step_done record not made yet
	 *                 (inside its transaction when it has one)
	 */
	void			(*fault)(void *arg, const char *point);
	void			*fault_arg;
};

#endif
