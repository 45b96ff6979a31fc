/*
 * dblisten.h - the loop's own database connection: it LISTENs for the
 * changes other daemons on the database announce (core/announce.h),
 * announces the changes the worker committed without (dblisten_tell), and
 * it tells the loop at once when the server goes away, whatever the
 * worker is doing.
 *
 * The worker opens it (a blocking connect and LISTEN, in the start-up,
 * recheck and reload jobs, before they read the state) and hands it over
 * in the job's result; from then on the loop owns it and drives it with
 * libpq's non-blocking calls on a uv_poll_t: nothing here blocks.  The
 * server closing it (a stop, a restart, a crash, a terminated backend) is
 * seen as soon as the socket turns readable; a ping every DBLISTEN_PING_MS
 * that stays unanswered for DBLISTEN_DEAD_MS catches a server or network
 * that stops answering without closing anything, and a server that stops
 * taking writes (a standby now, or default_transaction_read_only: what
 * PostgreSQL 14 and later report with each answer) counts as lost too, so
 * that the daemon connects again, to the new primary.
 *
 * Ownership: struct dblisten is embedded in struct migrated; it owns the
 * connection it took until dblisten_drop() or dblisten_close().
 */
#ifndef MIGRATED_DBLISTEN_H
#define MIGRATED_DBLISTEN_H

#include <uv.h>

#include "announce.h"
#include "db.h"

#define DBLISTEN_PING_MS	2000
#define DBLISTEN_DEAD_MS	5000
#define DBLISTEN_TELL_MS	100	/* the longest a change waits */

struct dblisten;

/* Another daemon changed the state (loop thread). */
typedef void (*dblisten_change_fn)(void *arg);
/* The connection is gone: why (loop thread); it was dropped already. */
typedef void (*dblisten_lost_fn)(void *arg, const char *why);

/* One connection and the poll handle on its socket; freed on close. */
struct dblisten_conn {
	uv_poll_t		 poll;	/* first: the handle is it */
	struct db		 db;
	struct dblisten		*l;
	char			 said[256];	/* its last word */
};

struct dblisten {
	uv_loop_t		*loop;
	uv_timer_t		 ping;
	struct dblisten_conn	*c;		/* NULL: none */
	uint64_t		 ping_sent;	/* uv_now(), 0: none out (a
						   ping or an announcement) */
	uv_timer_t		 tell;		/* says what is owed */
	int			 owed;
	char			 chan[ANNOUNCE_CHANNEL_MAX];
	char			 payload[512];
	char			 self[ANNOUNCE_ORIGIN_MAX]; /* skip ours */
	dblisten_change_fn	 on_change;
	dblisten_lost_fn	 on_lost;
	void			*arg;
	int			 closing;
};

void	dblisten_init(struct dblisten *, uv_loop_t *, const char *self,
	    dblisten_change_fn, dblisten_lost_fn, void *arg);
/* Take over a connection that LISTENs (*db is emptied); the old goes. */
void	dblisten_take(struct dblisten *, struct db *db);
/* Close the connection, if any (the database was found gone). */
void	dblisten_drop(struct dblisten *);
int	dblisten_active(const struct dblisten *);
/*
 * Announce a change the worker committed without (core/announce.h,
 * struct announce_run), on this connection, within DBLISTEN_TELL_MS: the
 * changes that come meanwhile go in the same NOTIFY.  Dropped with the
 * connection (the worker says what it owes at the end of its job).
 */
void	dblisten_tell(struct dblisten *, const char *chan,
	    const char *payload);
/* What dblisten_tell() still owes is left out (said by the worker). */
void	dblisten_untell(struct dblisten *);
/* Close everything (the daemon stops). */
void	dblisten_close(struct dblisten *);

#endif
