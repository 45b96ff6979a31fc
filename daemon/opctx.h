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

/*
 * The tiers are built in parallel; a build without one of them answers
 * its commands with "not available in this build".
 */
#if defined(__has_include)
#if __has_include("tier1.h")
#define HAVE_TIER1 1
#include "tier1.h"
#endif
#if __has_include("migrate.h")
#define HAVE_TIER2 1
#include "migrate.h"
#endif
#if __has_include("audit.h")
#define HAVE_AUDIT 1
#include "audit.h"
#endif
#endif

struct ops {
	struct db	 lockdb;	/* idle connection for the lock */
#ifdef HAVE_AUDIT
	struct audit	 audit;
	int		 audit_ready;
	char		 audit_for[256];	/* schema.table it was set for */
#endif
	int		 started;	/* daemon.start recorded */
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
