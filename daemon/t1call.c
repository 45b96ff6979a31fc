/* t1call.c - the one call into tier 1 (see t1call.h). */
#include <string.h>

#include "t1call.h"

int
t1_call(const struct mig_env *env, enum t1_what what,
    struct tier1_report *rep, struct plan **out, struct merr *e)
{
	*out = NULL;
	if (rep)
		memset(rep, 0, sizeof(*rep));
	if (what == T1_PLAN_ONLY)
		return tier1_plan(env, out, e);
	return tier1_apply(env, rep, out, e);
}
