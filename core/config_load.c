/*
 * config_load.c - the configuration as the daemon loads it: config_read()
 * and the connection string checked by libpq (see config.h), apart from
 * config.c so that a client reading the file links no libpq.
 */
#include "config.h"
#include "db.h"

int
config_load(struct config *c, const char *path,
    const struct config_overrides *o, struct merr *e)
{
	if (config_read(c, path, o, e) == -1)
		return -1;
	if (db_conninfo_check(c->database, "database", e) == -1) {
		config_release(c);
		return -1;
	}
	return 0;
}
