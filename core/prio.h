/*
 * prio.h - the CPU priority of our own server backend.
 *
 * A paced file's long steps (CREATE INDEX CONCURRENTLY, the batches of a
 * backfill) are background work: on a server short of CPU they should
 * take what the application leaves, not half of it.  PostgreSQL has no
 * CPU priority of its own, but each session is a process: when the
 * server runs on this host, the backend can be given a higher nice
 * value (setpriority(2)), as the 'prioritize' extension does from
 * inside the server.
 *
 * Only the backend of our own connection, and only when that is certain:
 * the connection is a Unix socket, and the backend's parent is the
 * process the kernel names as the socket's peer (SO_PEERCRED: the
 * postmaster, in our PID namespace, which must be its own too: the pid
 * the server reports is one of its namespace); and only when it can be put back
 * (CAP_SYS_NICE), since the connection serves later work.
 *
 * No allocation; errors in the caller's merr.
 */
#ifndef MIGRATE_PRIO_H
#define MIGRATE_PRIO_H

#include "err.h"

struct db;

struct prio {
	int	pid;	/* the backend lowered, 0: none */
	int	saved;	/* its nice value before */
};

/*
 * Give d's backend nice value nice (1-19).  0 when done; -1 when not,
 * with e saying why (nothing changed): the server is not on this host,
 * no permission, no CAP_SYS_NICE to put it back.
 */
int	prio_lower(struct prio *, struct db *d, int nice, struct merr *e);
/*
 * Put back what prio_lower changed (nothing: 0), if d is still connected
 * to that backend (a lost connection's backend has exited, and its pid
 * may have gone to another process).
 */
int	prio_restore(struct prio *, struct db *d, struct merr *e);

#endif
