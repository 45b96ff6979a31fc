/*
 * stats.h - what the daemon counts for monitoring (status "stats",
 * `migratectl metrics`): the last run of each tier, failures, since when
 * the oldest pending enhancement waits, the last audit verification.
 *
 * Loop thread only.  struct stats owns its array of first-seen times;
 * stats_release() frees it.
 */
#ifndef MIGRATED_STATS_H
#define MIGRATED_STATS_H

#include <time.h>

#include "job.h"
#include "status.h"

struct stats {
	struct daemon_stats	 s;
	time_t			*seen;	/* when each pending name was first
					   seen, parallel to the status's */
	size_t			 nseen;
};

void	stats_init(struct stats *, time_t started);
void	stats_release(struct stats *);
/*
 * Fold a finished job in.  old: tier 2's summary before the job's fresh
 * one (j->res.t2, when has_t2) replaces it; the first-seen time of a name
 * pending in both is kept.
 */
void	stats_fold(struct stats *, const struct job *,
	    const struct t2_summary *old);

#endif
