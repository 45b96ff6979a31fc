/*
 * t1call.h - the daemon's one door to tier 1 (core/tier1.h).  Every plan
 * and every apply, in the service and in --plan/--once, goes through
 * t1_call(), so a change to tier 1's interface is made here only.
 */
#ifndef MIGRATED_T1CALL_H
#define MIGRATED_T1CALL_H

#include "err.h"
#include "migrate.h"
#include "plan.h"
#include "tier1.h"

enum t1_what { T1_PLAN_ONLY, T1_APPLY };

/*
 * Plan (read-only: env->cfg and env->db, NULL to let tier 1 connect) or
 * apply (on env's connections, with its hook and stop flag).  *out gets
 * the last plan (caller plan_free()s, also on failure); rep is filled by
 * an apply and may be NULL for a plan.
 */
int	t1_call(const struct mig_env *, enum t1_what, struct tier1_report *rep,
	    struct plan **out, struct merr *);

#endif
