/*
 * oneshot.h - `migrated --plan` and `migrated --once [--up]`: the schema
 * work without the daemon (CI jobs, init containers, hosts without
 * systemd).  Both return the process exit code.
 */
#ifndef MIGRATED_ONESHOT_H
#define MIGRATED_ONESHOT_H

#include "config.h"

/* Print the plan (SQL + one line per change) to stdout; change nothing.
 * 0: printed (whatever it holds), 1: error. */
int	oneshot_plan(const struct config *);

/*
 * Apply tier 1 and report on stderr; then, with up (or a configured
 * apply: on-start / when-pending), every pending tier-2 migration, as
 * `migratectl up` would.  0: done (refused tier-1 changes are warnings),
 * 1: error (the failing file rolled back, or kept dirty to resume).
 * baseline (may be NULL): Flyway's baselineOnMigrate for a database
 * another tool migrated: when migrated has no history there, none to
 * adopt, and the database holds a history it cannot read (Knex's ...),
 * every version up to baseline is recorded as applied first, instead
 * of the refusal; anywhere else it is not needed and changes nothing.
 */
int	oneshot_once(const struct config *, int up, const char *baseline);
/*
 * The same for one member of a fleet (daemon/fleet.c): its changes are
 * announced to running daemons once, after the run (core/announce.h),
 * and *err gets the error when it returns 1.  rep (may be NULL): when
 * the run changed nothing, the member's state from the plan it made and
 * its tracking table read again on the same connection (what a second
 * check would read) and *known set to 1; else *known is 0 and the state
 * is the caller's to read.  t2only: tier 1 is not run and the catalogs
 * not read (the service's up on a member whose tier 1 it knows, as the
 * single-database daemon's up): takeover, then tier 2 as up runs it;
 * rep->t1_read says whether rep covers tier 1.
 */
struct fleet_report;
int	oneshot_member(const struct config *, int up, int t2only,
	    struct merr *err, struct fleet_report *rep, int *known);

/* `migrated --pull DIR [--force]` (core/pull.h): write a models folder
 * from the database.  0: every object written, ONESHOT_PULL_NOTES:
 * written, and what could not be said is listed on stderr and in
 * DIR/PULL_NOTES.md, 1: error (nothing written). */
#define ONESHOT_PULL_NOTES	3
int	oneshot_pull(const struct config *, const char *dir, int force);

#endif
