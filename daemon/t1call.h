/*
 * t1call.h - the daemon's one door to tier 1 (core/tier1.h).  Every plan
 * and every apply, in the service and in --plan/--once, goes through
 * t1_call(), so a change to tier 1's interface is made here only.
 */
#ifndef MIGRATED_T1CALL_H
#define MIGRATED_T1CALL_H

#include <signal.h>

#include "config.h"
#include "db.h"
#include "event.h"
#include "plan.h"
#include "tier1.h"

struct t1_call {
	const struct config		*cfg;
	struct db			*db;	/* NULL: tier 1 connects */
	const struct event_hook		*hook;	/* apply: events, audit */
	volatile sig_atomic_t		*stop;	/* apply: stop flag, or NULL */
	int				 apply;	/* 0: plan only */
};

/*
 * Plan (read-only) or apply.  *out gets the last plan (caller plan_free()s,
 * also on failure); rep is filled by an apply and may be NULL for a plan.
 */
int	t1_call(const struct t1_call *, struct tier1_report *rep,
	    struct plan **out, struct merr *);

#endif
