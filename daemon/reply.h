/*
 * reply.h - how each command's result becomes its reply (loop thread):
 * the typed results a job carries (job.h) turned into JSON by core's
 * codecs (proto_status.h, plan_to_json, migrate_result_to_json, ...).
 * Each returns a new reference, or NULL (the reply then carries {}).
 */
#ifndef MIGRATED_REPLY_H
#define MIGRATED_REPLY_H

#include <jansson.h>

#include "job.h"

json_t	*reply_plan(const struct job *);
json_t	*reply_pull(const struct job *);
json_t	*reply_tier2(const struct job *);
json_t	*reply_check(const struct job *);
json_t	*reply_reload(const struct job *);
json_t	*reply_log(const struct job *);
json_t	*reply_audit(const struct job *);
json_t	*reply_version(const struct job *);

#endif
