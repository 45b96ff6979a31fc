/*
 * dbfence.c - the fence between holders of the migration lock.
 *
 * A tier-2 file's COMMIT goes out with its statements (runner.c, commit
 * ahead), so a backend whose client is gone (the daemon killed, its
 * connection cut) runs the file to its end on its own.  It commits only
 * under the lock it was sent under:
 *
 *   - whoever takes the migration lock (db_lock_take) also takes a guard
 *     key of its own on the same session, (DB_GUARD_CLASS, random), and
 *     lets both go together (db_unlock, or the session's end);
 *   - a file's transaction ends with DB_GUARD_SQL: it takes the fence
 *     (DB_FENCE_KEY) shared, then fails unless the guard key it was sent
 *     under is still held, so nothing commits once that holder let go;
 *   - the next holder waits, before it reads anything, until nobody holds
 *     the fence: a transaction that passed its guard before the key went
 *     has committed or rolled back by then.
 */
#include <sys/random.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "mtime.h"

/* A transaction past its guard is only committing: not long. */
#define FENCE_WAIT_MS	60000

static int
guard_pick(void)
{
	uint32_t k = 0;

	if (getrandom(&k, sizeof(k), GRND_NONBLOCK) != sizeof(k))
		k = (uint32_t)mtime_now_ms() * 2654435761u;
	k &= 0x7fffffff;
	return k ? (int)k : 1;
}

/*
 * One statement: a guard key when d has none (a key some other session
 * holds is not taken: d->guard stays 0), and one try of the fence, which
 * ends with the statement.
 */
static int
fence_try(struct db *d, int *fenced, struct merr *e)
{
	char key[16];
	const char *p[1] = { key };
	PGresult *r;
	int k = d->guard ? d->guard : guard_pick();

	snprintf(key, sizeof(key), "%d", k);
	if (db_query(d, d->guard ? "SELECT true, pg_try_advisory_xact_lock("
	    DB_FENCE_KEY_STR ")" : "SELECT pg_try_advisory_lock("
	    DB_GUARD_CLASS_STR ", $1::int), pg_try_advisory_xact_lock("
	    DB_FENCE_KEY_STR ")", d->guard ? 0 : 1, p, &r, e) == -1)
		return -1;
	if (PQgetvalue(r, 0, 0)[0] == 't')
		d->guard = k;
	*fenced = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	return 0;
}

static int
fence_gave_up(const struct db *d, const volatile sig_atomic_t *stop,
    struct merr *e)
{
	if (stop && *stop)
		return merr_set(e, MERR_STATE, "interrupted while waiting for "
		    "a transaction of a lost migrated session to end");
	merr_set(e, MERR_BUSY, "a transaction of a lost migrated session is "
	    "still committing");
	merr_detail(e, "advisory lock %s was held shared for %d s on %s: a "
	    "file's transaction, sent before its client was lost, between "
	    "its last statement and its COMMIT", DB_FENCE_KEY_STR,
	    FENCE_WAIT_MS / 1000, d->where);
	merr_hint(e, "see pg_stat_activity for the session; try again once "
	    "it has ended");
	return -1;
}

int
db_fence_take(struct db *d, const volatile sig_atomic_t *stop,
    struct merr *e)
{
	long t0 = mtime_now_ms(), pause = 5;
	int fenced = 0, tries = 0;

	do {
		if (tries++ == 16)	/* 16 random keys all taken */
			return merr_set(e, MERR_INTERNAL, "no free guard key "
			    "in class %s", DB_GUARD_CLASS_STR);
		if (fence_try(d, &fenced, e) == -1)
			return -1;
	} while (d->guard == 0);
	while (!fenced) {
		if ((stop && *stop) || mtime_now_ms() - t0 > FENCE_WAIT_MS)
			return fence_gave_up(d, stop, e);
		mtime_sleep_ms(pause);
		if (pause < 200)
			pause *= 2;
		if (fence_try(d, &fenced, e) == -1)
			return -1;
	}
	return 0;
}
