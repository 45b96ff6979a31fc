/*
 * oneshot.h - `migrated --plan` and `migrated --once`: tier 1 without the
 * daemon (hosts without systemd, CI).  Both return the process exit code.
 */
#ifndef MIGRATED_ONESHOT_H
#define MIGRATED_ONESHOT_H

#include "config.h"

/* Print the plan (SQL + one line per change) to stdout; change nothing.
 * 0: printed (whatever it holds), 1: error. */
int	oneshot_plan(const struct config *);

/* Apply tier 1 and report on stderr.  0: done (refused changes are
 * warnings, not a failure), 1: error (nothing half-applied). */
int	oneshot_once(const struct config *);

#endif
