/*
 * opctx.h - private to ops.c and optier.c: the worker's state and the
 * context of one operation.  Worker thread only.
 */
#ifndef MIGRATED_OPCTX_H
#define MIGRATED_OPCTX_H

#include "config.h"
#include "db.h"
#include "dbloop.h"
#include "event.h"

#include "audit.h"
#include "migrate.h"
#include "model.h"
#include "tier1.h"

struct ops {
	struct db	 lockdb;	/* idle connection for the lock */
	char		*lockinfo;	/* the conninfo lockdb was opened with */
	struct audit	 audit;
	int		 audit_ready;
	char		*audit_for;	/* database + table it was set for */
	int		 started;	/* daemon.start recorded */
	struct migset	 cache;		/* the folder, re-read only on change */
};

struct opctx {
	struct dbloop		*d;
	struct job		*j;
	struct ops		*o;
	const struct config	*cfg;
	struct db		*db;
	struct event_hook	 hook;
};

int	ops_connect(struct opctx *, struct merr *);
int	ops_emit(struct opctx *, const char *action, const char *target,
	    const char *detail, int ok, struct merr *);

/* optier.c */
int	op_startup(struct opctx *, struct merr *);
int	op_refresh(struct opctx *, struct merr *);
int	op_check(struct opctx *, struct merr *);
int	op_plan(struct opctx *, struct merr *);
int	op_tier2(struct opctx *, struct merr *);
int	op_log(struct opctx *, struct merr *);
int	op_audit(struct opctx *, struct merr *);

#endif
