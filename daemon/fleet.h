/*
 * fleet.h - `migrated --once [--up]` and `migrated --check` over a fleet
 * (core/fleet.h): each member in a process of its own, at most
 * fleet.parallel at a time, each with its own connections, lock,
 * tracking and audit rows.  A member that fails is reported and the
 * others carry on.  Both return the process exit code.
 */
#ifndef MIGRATED_FLEET_H
#define MIGRATED_FLEET_H

#include "config.h"

struct fleet_opts {
	int		 up;		/* --once --up */
	int		 check;		/* --check instead of --once */
	const char	*member;	/* --member NAME: that one only */
	int		 verbose;	/* -v, for the members' logs */
};

/*
 * 0: every member done (or, with check, in sync with nothing pending);
 * 3 (check): a member not in sync; 1: a member failed, or the members
 * could not be listed.
 */
int	fleet_run(const struct config *, const struct fleet_opts *);

/* `migrated --check` on one database: 0 in sync, 3 not, 1 error. */
int	oneshot_check(const struct config *);

#endif
