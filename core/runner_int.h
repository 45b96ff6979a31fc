/*
 * runner_int.h - state of one script run, shared by runner.c (modes) and
 * backfill.c (batched UPDATEs).  Not for other modules.
 */
#ifndef MIGRATE_RUNNER_INT_H
#define MIGRATE_RUNNER_INT_H

#include <time.h>

#include "db.h"
#include "migset.h"
#include "runner.h"

struct trk_row;

struct run {
	const struct mig_env	*env;
	const struct migration	*m;
	const struct mig_script	*sc;
	const char		*dirname;	/* "up" / "down" */
	struct db_retry		 retry;
	const struct trk_row	*resume;
	int			 stmt;		/* current, 0-based */
	int			 executed;	/* statements run */
	struct timespec		 t0;
	char			 actor[128];
	/* the current batched statement */
	long long		 rows_done;
	long long		 rows_total;
};

long	run_elapsed_ms(const struct run *);
void	run_progress(const struct run *, const char *phase,
	    const char *message);
int	run_stopped(const struct run *);
/* Run one statement's SQL; a failure names the file, line and statement. */
int	run_sql(struct run *, const struct mig_stmt *, const char *sql,
	    struct merr *);
void	run_sleep_ms(long);

/* backfill.c: the batched UPDATE at r->stmt (its own transactions). */
int	backfill_run(struct run *, const struct mig_stmt *, struct merr *);
/* Refuse early a batch on an existing table without a usable key. */
int	backfill_check(struct run *, const struct mig_stmt *, struct merr *);

#endif
