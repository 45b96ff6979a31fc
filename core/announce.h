/*
 * announce.h - every daemon on one database learns of every change made by
 * any of them: PostgreSQL's LISTEN/NOTIFY on one channel per deployment.
 *
 * The channel is named after the configured schema and tracking table, so
 * two deployments that share a database (each with its own tables) do not
 * hear each other.  A change is announced inside the transaction that
 * makes it (pg_notify is delivered at COMMIT, and not at all on a
 * rollback); the payload says who made it ("ORIGIN ACTION TARGET") so
 * that a daemon can skip its own.
 */
#ifndef MIGRATE_ANNOUNCE_H
#define MIGRATE_ANNOUNCE_H

#include <stddef.h>

#include "err.h"

struct config;
struct db;

/* NAMEDATALEN: 63 bytes and a NUL */
#define ANNOUNCE_CHANNEL_MAX	64
#define ANNOUNCE_ORIGIN_MAX	33	/* 32 characters and a NUL */

/*
 * "migrated:SCHEMA.TABLE" (the tracking table); when that is longer than
 * 63 bytes, "migrated:" and the first 32 hex digits of its SHA-256.
 */
void	announce_channel(const struct config *,
	    char buf[ANNOUNCE_CHANNEL_MAX]);
/* LISTEN on the channel of cfg (the identifier quoted). */
int	announce_listen(struct db *, const struct config *, struct merr *);
/*
 * Open d ("migrated listen") to cfg's database and LISTEN there, on a
 * server that takes writes (as the worker's); closed again on error.
 */
int	announce_connect(struct db *d, const struct config *cfg,
	    struct merr *);
/* "ORIGIN ACTION TARGET" ("-" for a NULL target) into buf. */
void	announce_payload(char *buf, size_t len, const char *origin,
	    const char *action, const char *target);
/* NOTIFY the channel of cfg: "ORIGIN ACTION TARGET" (target may be NULL). */
int	announce_change(struct db *, const struct config *,
	    const char *origin, const char *action, const char *target,
	    struct merr *);
/*
 * The same, at once and in a transaction of its own (d idle): the fleet
 * announces each member's changes once, after its run, because a NOTIFY
 * in a transaction holds PostgreSQL's cluster-wide notification lock
 * through that transaction's commit, serializing the commits of every
 * database that announces (daemon/fleet.c).
 */
int	announce_now(struct db *d, const struct config *cfg,
	    const char *origin, const char *action, const char *target,
	    struct merr *e);
/* Does action change what status shows (tier-1 apply, tier-2 apply,
 * rollback, force, failure, adopt, baseline, the tracking table's
 * upgrade), or may a run before it have left changes unsaid (a daemon's
 * start, after a crash: see struct announce_run)?  The others are not
 * announced. */
int	announce_wanted(const char *action);

/*
 * The changes of a run not announced in their transactions: a tier-2
 * file whose COMMIT goes out with the next file's statements (a NOTIFY
 * costs its transaction the cluster-wide notification lock through
 * COMMIT and wakes every listening daemon, the applying one included:
 * about 100 µs of the server's CPU a file).  The daemon's loop says them
 * at most every DBLISTEN_TELL_MS while the run goes on (daemon/dblisten.h)
 * and the worker once it is over (announce_settle); a daemon killed in
 * the middle of a run may leave that much unsaid, and its start is
 * announced, so the others read again when it comes back.  Owned by the
 * caller.
 */
struct announce_run {
	int	 owed;		/* changes committed and not announced */
	char	 action[32];	/* the last owed change */
	char	 target[128];
};

/* The change is owed: said by announce_settle(). */
void	announce_owe(struct announce_run *, const char *action,
	    const char *target);
/* What is owed, said at once on d (idle); 0 when nothing is owed. */
int	announce_settle(struct announce_run *, struct db *d,
	    const struct config *cfg, const char *origin, struct merr *e);
/* The ORIGIN of a payload, copied into buf ("" when there is none). */
void	announce_origin(const char *payload, char buf[ANNOUNCE_ORIGIN_MAX]);

#endif
