/*
 * config_load.c - the configuration as the daemon loads it: config_read()
 * and the connection strings checked by libpq, the fleet's discover query
 * by libpg_query (see config.h), apart from config.c so that a client
 * reading the file links neither.
 */
#include "config.h"
#include "db.h"

int
config_load(struct config *c, const char *path,
    const struct config_overrides *o, struct merr *e)
{
	if (config_read_checked(c, path, o, &fleet_checks, e) == -1)
		return -1;
	if (db_conninfo_check(c->database, "database", e) == -1) {
		config_release(c);
		return -1;
	}
	return 0;
}
