/*
 * fleetd.h - the service over a fleet (core/fleet.h): one migrated for
 * many databases.
 *
 * At start, tier 1 on every member (and tier 2 with apply: on-start or
 * when-pending); `migratectl up [--member NAME]` applies tier 2 to every
 * member (or one); `status [--member NAME]` and `check` answer from what
 * the members' last runs reported; discover runs again on up, on reload
 * (SIGHUP or `migratectl reload`) and every fleet.rediscover, and a member
 * it finds for the first time is brought up to date (tier 1 and 2).
 *
 * The work runs on one worker thread, which forks each member's process
 * (daemon/fleet.c), fleet.parallel at a time: a member that fails is
 * reported and the others go on.  One pass at a time; a command that
 * needs one while another runs is answered 'busy'.
 */
#ifndef MIGRATED_FLEETD_H
#define MIGRATED_FLEETD_H

#include "config.h"

/* Serve until SIGTERM/SIGINT; cfg is taken over.  The exit status. */
int	fleetd_main(const char *config_path, const struct config_overrides *,
	    struct config *cfg, int verbose);

#endif
