/* reply.c - command results as reply data (see reply.h). */
#include "proto_status.h"
#include "reply.h"

json_t *
reply_plan(const struct job *j)
{
	json_t *o = plan_to_json(j->res.plan);

	if (o && j->res.plan_text)
		json_object_set_new(o, "text", json_string(j->res.plan_text));
	return o;
}

json_t *
reply_pull(const struct job *j)
{
	return pull_result_to_json(&j->res.pull, 1);
}

json_t *
reply_tier2(const struct job *j)
{
	return migrate_result_to_json(&j->res.tier2);
}

json_t *
reply_check(const struct job *j)
{
	return proto_check_json(&j->res.check, &j->res.t2);
}

/* what the reload found (not yet merged into the daemon's state) */
json_t *
reply_reload(const struct job *j)
{
	return proto_reload_json(j->res.t1_kind ? &j->res.t1 : NULL,
	    j->res.has_t2 ? &j->res.t2 : NULL);
}

json_t *
reply_log(const struct job *j)
{
	if (j->req.markdown)
		return json_pack("{s:s?}", "markdown", j->res.markdown);
	return json_pack("{s:o}", "rows", audit_rows_json(&j->res.rows));
}

json_t *
reply_audit(const struct job *j)
{
	const struct audit_verify_result *v = &j->res.verify;

	return json_pack("{s:b, s:I, s:I, s:s, s:b}", "intact", 1, "rows",
	    (json_int_t)v->rows, "head_id", (json_int_t)v->head_id, "head",
	    v->head, "guarded", v->guarded);
}

json_t *
reply_version(const struct job *j)
{
	return proto_version_json(&j->res.version);
}
