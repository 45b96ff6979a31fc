/*
 * forkgate.h - fork() from a worker thread while the loop thread waits
 * at a known point.
 *
 * The fleet service starts each member's process from its libuv worker
 * thread (fleet.c), and the child goes on to run the C library, libpq,
 * OpenSSL and libyaml.  A fork copies every lock as it is at that
 * instant but only the forking thread: had the loop thread been inside
 * malloc() (an allocator that does not reset its locks in the child,
 * as AddressSanitizer's does not), the child would wait on that lock
 * forever.  So around each fork the worker asks the loop thread to
 * park in forkgate's own callback, where it holds nothing, and lets it
 * go once fork() has returned.  libuv's other pool threads are idle in
 * the fleet service (one pass runs at a time, and nothing else is
 * queued), waiting on their condition variable.
 *
 * One worker forks at a time (asked is a flag, not a count): the fleet
 * service runs one pass at a time.
 *
 * forkgate_enter() and forkgate_leave() are called on the worker,
 * everything else on the loop thread.  The loop must keep running while
 * a worker may still enter (fleetd closes the gate only once no pass
 * runs).
 */
#ifndef MIGRATED_FORKGATE_H
#define MIGRATED_FORKGATE_H

#include <uv.h>

struct forkgate {
	uv_async_t	 async;
	uv_mutex_t	 mu;
	uv_cond_t	 cv;
	int		 asked;		/* a worker is about to fork */
	int		 parked;	/* the loop thread waits for it */
	int		 open;		/* forkgate_init() done, not closed
					   (loop thread only) */
};

int	forkgate_init(struct forkgate *, uv_loop_t *);
void	forkgate_close(struct forkgate *);
/* worker: returns once the loop thread is parked */
void	forkgate_enter(void *gate);
/* worker: the loop thread goes on */
void	forkgate_leave(void *gate);

#endif
