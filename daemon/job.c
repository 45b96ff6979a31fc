/* job.c - the daemon's jobs and the configuration they hold (job.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

struct cfgref *
cfgref_new(void)
{
	struct cfgref *r = calloc(1, sizeof(*r));

	if (r)
		r->refs = 1;
	return r;
}

struct cfgref *
cfgref_get(struct cfgref *r)
{
	r->refs++;
	return r;
}

void
cfgref_put(struct cfgref *r)
{
	if (r && --r->refs == 0) {
		config_release(&r->cfg);
		free(r);
	}
}

struct job *
job_of(struct dbtask *t)
{
	return (struct job *)(void *)((char *)t - offsetof(struct job, task));
}

/* The dbtask is done: back to the job's own callback. */
static void
job_task_done(void *arg, struct dbtask *t)
{
	struct job *j = job_of(t);

	(void)arg;
	j->done(j->done_arg, j);
}

struct job *
job_new(const struct cmd *cmd, struct cfgref *cfg, dbtask_run_fn run,
    job_done_fn done, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->task.run = run;
	j->task.done = job_task_done;
	j->cmd = cmd;
	j->done = done;
	j->done_arg = arg;
	j->cfg = cfgref_get(cfg);
	j->actor.is_daemon = 1;
	j->actor.uid = (uid_t)-1;
	j->actor.pid = -1;
	j->started = time(NULL);
	proto_request_init(&j->req);
	t1_summary_init(&j->res.t1);
	t2_summary_init(&j->res.t2);
	migrate_result_init(&j->res.tier2);
	return j;
}

static void
job_result_release(struct job_result *r)
{
	t1_summary_release(&r->t1);
	t2_summary_release(&r->t2);
	migrate_result_release(&r->tier2);
	if (r->plan)
		plan_free(r->plan);
	free(r->plan_text);
	audit_rows_release(&r->rows);
	free(r->markdown);
	db_close(&r->listen);
	pull_result_release(&r->pull);
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	proto_request_release(&j->req);
	job_result_release(&j->res);
	cfgref_put(j->cfg);
	free(j);
}
