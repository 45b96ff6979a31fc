/*
 * latelisten.h - the LISTEN connection of the first start, opened once
 * the daemon is ready, on a thread of its own.
 *
 * The start needs one connection (the worker's, opened early: preconn.h).
 * A second backend forked and authenticated during the start costs the
 * server's CPU that the start's own queries wait for: on 2 cores, 10 ms
 * of a 65-75 ms start, and the stop that follows a short run is slower
 * too (measured: the README).  So the first start leaves it out and the
 * loop opens it here, LISTEN_LATE_MS after READY=1 (daemon.c), while
 * commands run: the worker is not held up, and no command waits for the
 * connect (the read that follows it is a job).  What other daemons
 * announce before the LISTEN is lost, so the daemon reads the state again
 * once it listens (daemon.c).  A recheck or a reload (the database back)
 * opens it in the job, as before: it is also how the loop sees the
 * server go.
 * Ownership: the struct is the daemon's; the connection is handed to the
 * done callback (which owns it then) or closed here; the configuration
 * reference taken at latelisten_start() is put back on the loop thread.
 */
#ifndef MIGRATED_LATELISTEN_H
#define MIGRATED_LATELISTEN_H

#include <pthread.h>
#include <uv.h>

#include "db.h"
#include "err.h"
#include "job.h"

/* On the loop thread: rc 0 with *db to take (moved out), or -1 with e. */
typedef void (*latelisten_fn)(void *arg, int rc, struct db *db,
    const struct merr *e);

struct latelisten {
	uv_async_t	 async;		/* first: the handle is it */
	pthread_t	 th;
	int		 running;	/* a thread to join */
	int		 closing;
	struct cfgref	*cfg;		/* held while it runs */
	struct db	 db;
	struct merr	 err;
	int		 rc;
	latelisten_fn	 done;
	void		*arg;
};

void	latelisten_init(struct latelisten *, uv_loop_t *, latelisten_fn,
	    void *arg);
/* Open it on a thread; 0 started or running already, -1 not started. */
int	latelisten_start(struct latelisten *, struct cfgref *);
int	latelisten_running(const struct latelisten *);
/*
 * Close what it opened and the handle; no callback after.  The daemon
 * calls it once the thread is over (its stop waits for the callback,
 * without holding up the loop); a thread still running is waited for.
 */
void	latelisten_close(struct latelisten *);

#endif
