/*
 * runner_int.h - a tier-2 script run, shared by runner_script.c (the
 * script as a work, and its tracking target) and backfill.c (batched
 * UPDATEs).  Not for other modules.
 */
#ifndef MIGRATE_RUNNER_INT_H
#define MIGRATE_RUNNER_INT_H

#include "db.h"
#include "migset.h"
#include "pacer.h"
#include "prio.h"
#include "runner.h"

struct trk_row;

struct run {
	const struct mig_env	*env;
	const struct migration	*m;
	const struct mig_script	*sc;
	const char		*dirname;	/* "up" / "down" */
	const struct trk_row	*resume;
	struct work		 w;
	struct work_unit	 u;
	int			 marked;	/* the dirty row is ours */
	int			 stmt;		/* current, 0-based */
	int			 executed;	/* statements run */
	long			 t0;		/* mtime_now_ms() at start */
	long			 done_ms;	/* t0 to its COMMIT read */
	long			 ok_ms;		/* t0 to its success record */
	unsigned long		 tx;		/* the transaction (db ntx) its
						   records went into, or 0 */
	char			 actor[128];
	/* the current batched statement */
	long long		 rows_done;
	long long		 rows_total;
	const struct progress_pace *pace;	/* for "batch" events */
	struct prio		 prio;	/* the backend's, lowered for a
					   paced file (core/prio.h) */
	/* the baselines of the file's paced batches, taken before its
	   statements (backfill_baseline()) or by its first paced batch
	   (bf_pace_init()) */
	struct pacer		 early;
	int			 early_taken;
};

long	run_elapsed_ms(const struct run *);
void	run_progress(const struct run *, const char *phase,
	    const char *message);
/* Run one statement's SQL; a failure names the file, line and statement. */
int	run_sql(struct run *, const struct mig_stmt *, const char *sql,
	    struct merr *);
/* The same naming, for a statement's error read from a pipeline. */
void	run_sql_failed(struct run *, const struct mig_stmt *, struct merr *);

/* backfill.c: the batched UPDATE at r->stmt, its batches through ex. */
int	backfill_run(struct run *, struct runner *ex, const struct mig_stmt *,
	    struct merr *);
/* The batch line of st is paced (core/pacer.h). */
int	backfill_paced(const struct run *, const struct mig_stmt *);
/*
 * Before a unit's first statement: when a later one is a paced batch,
 * the baselines of its paced batches, taken now (after prio_begin(),
 * at the priority the batches run at).
 */
void	backfill_baseline(struct run *, const struct work_unit *);
/* The unit's first paced batch (u->nsteps: none). */
size_t	backfill_first_paced(const struct run *, const struct work_unit *);
/* Refuse early a batch on an existing table without a usable key. */
int	backfill_check(struct run *, const struct mig_stmt *, struct merr *);

#endif
