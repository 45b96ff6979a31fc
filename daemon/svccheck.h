/*
 * svccheck.h - what `migrated -n` checks for the service that a check run
 * from a shell would not see: folders under /home, /root or /run/user
 * (hidden by the units' ProtectHome=yes), and, run as root, whether the
 * service's user can read the configuration, models and migrations.
 */
#ifndef MIGRATED_SVCCHECK_H
#define MIGRATED_SVCCHECK_H

#include "config.h"

/* The user the units run migrated as (User= in migrated.service). */
#define SVCCHECK_USER	"migrated"

/* Warn (log) about each folder ProtectHome=yes hides; how many. */
int	svccheck_home(const struct config *);
/*
 * As root: read every file the start reads as user (NULL: SVCCHECK_USER
 * when it exists), in a child that has become that user; each file it
 * cannot read is logged.  0 all readable (or not root, or no such
 * user: logged at debug level), -1 some are not.
 */
int	svccheck_user(const struct config *, const char *user);

#endif
