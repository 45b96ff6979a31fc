/*
 * opctx.h - private to the worker's modules (ops.c, optier.c, opaudit.c):
 * the worker's state and the context of one operation.  Worker thread
 * only.
 */
#ifndef MIGRATED_OPCTX_H
#define MIGRATED_OPCTX_H

#include "config.h"
#include "db.h"
#include "dbloop.h"
#include "event.h"
#include "fgate.h"
#include "job.h"

#include "announce.h"
#include "audit.h"
#include "migrate.h"
#include "model.h"
#include "pending.h"
#include "tracking.h"

struct ops {
	struct db	 lockdb;	/* idle connection for the lock */
	char		*lockinfo;	/* the conninfo lockdb was opened with */
	struct audit	 audit;
	int		 audit_ready;
	char		*audit_for;	/* database + table it was set for */
	int		 started;	/* daemon.start recorded */
	int		 checked;	/* the start's folder check passed */
	struct tracking	 start_trk;	/* the table as that check read it,
					   for the start's status (once);
					   has_start_trk: there is one,
					   read at start_trk_ms (mtime) */
	int		 has_start_trk;
	long		 start_trk_ms;
	long long	 head_id;	/* the audit head recorded last */
	int		 head_gone;	/* its row vanished: said so, kept */
	struct migset	 cache;		/* the folder, re-read only on change */
	struct fgate	 gate;		/* may cache stand unlooked at? */
	long		 preload_ms;	/* cache is the start's read, taken then
					   (ops_keep; mtime), 0: looked since */
	char		 origin[ANNOUNCE_ORIGIN_MAX];	/* in our NOTIFYs */
	struct pending	 pending;	/* failures waiting for the db */
	struct db_server primary;	/* the primary of the last job */
	struct announce_run ann;	/* changes owed to the others */
};

struct opctx {
	struct dbloop		*d;
	struct job		*j;
	struct ops		*o;
	const struct config	*cfg;
	struct db		*db;
	struct event_hook	 hook;
	int			 looked;	/* at the folder (tier2_env()) */
	int			 role_asked;	/* by ops_worker() */
};

/*
 * The worker's connection in x->db, its server a writable primary (else
 * MERR_CONNECT: a standby is waited for like a server away).  Asked once
 * a job, as db_writable() asks (an idle backend applies a reload only at
 * its next statement), and not at all when this call opened it
 * (db_connect() asked).
 */
int	ops_worker(struct opctx *, struct merr *);
int	ops_connect(struct opctx *, struct merr *);
/*
 * 1 when the worker's connection is as ops_connect() left it at an
 * earlier job, told without a round trip: open and alive, its server the
 * same primary as last reported, the audit table ready for this
 * configuration, no failure kept to write (x->db set).  Its server's
 * writability is then for the caller to ask, in its own statement.
 * 0: call ops_connect().
 */
int	ops_attached(struct opctx *);
int	ops_emit(struct opctx *, const char *action, const char *target,
	    const char *detail, int ok, struct merr *);

/* optier.c, for opaudit.c: the tier-2 environment of this operation. */
int	tier2_env(struct opctx *, struct mig_env *, int locking,
	    struct merr *);

#endif
