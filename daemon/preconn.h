/*
 * preconn.h - the worker's first connection, opened on a thread of its own
 * while the daemon's start reads the migrations folder.
 *
 * A new connection is a new backend, forked and authenticated by the
 * server: 3-25 ms, most of it the server's CPU, which the folder read
 * (the daemon's) need not wait for.  The worker takes it at its first
 * dbworker_db() (dbloop.h), or connects itself when the start was for
 * another database.  A failed connection is the worker's failure, not
 * tried again at once (it may have taken connect_timeout).  The models
 * load before it starts (a bad one exits at once); a start that fails
 * after (a folder that cannot be read) says so at once, and its exit
 * waits for the attempt to end: connect_timeout an address (none with
 * connect_timeout=0, as libpq means it: SIGTERM still ends it).  The
 * LISTEN connection is not opened early: on 2 cores, with the folder
 * read, two or three backends started at once were ready no sooner than
 * one (measured); the first start opens it after ready (latelisten.h).
 * The lock's is opened by the start only when a file
 * may run (daemon/optier.c, tier2_lockdb()).
 * Ownership: the struct is the daemon's; the connection is moved out by
 * preconn_connect(), else closed by preconn_drop().
 */
#ifndef MIGRATED_PRECONN_H
#define MIGRATED_PRECONN_H

#include <pthread.h>

#include "db.h"
#include "err.h"

struct preconn {
	pthread_t	 th;
	int		 running;	/* a thread to join */
	char		*conninfo;	/* what it connects to */
	struct db	 db;
	struct merr	 err;
	int		 rc;
};

/* Start connecting to conninfo; nothing started when it cannot (-1). */
int	preconn_start(struct preconn *, const char *conninfo);
/* Wait for it and close what was not taken; the struct can start again. */
void	preconn_drop(struct preconn *);
/*
 * db_connect(d, conninfo) but the first time: *pp's connection, or its
 * failure, when it is for conninfo (*pp is NULL then; NULL: none).
 */
int	preconn_connect(struct preconn **pp, struct db *d,
	    const char *conninfo, struct merr *e);

#endif
