/* t1call.c - the one call into tier 1 (see t1call.h). */
#include <string.h>

#include "t1call.h"

int
t1_call(const struct t1_call *c, struct tier1_report *rep,
    struct plan **out, struct merr *e)
{
	*out = NULL;
	if (rep)
		memset(rep, 0, sizeof(*rep));
	if (!c->apply)
		return tier1_plan(c->cfg, c->db, out, e);
	/* today tier 1 opens its own connections and has no stop flag */
	return tier1_apply(c->cfg, c->hook, rep, out, e);
}
