/* check.c - the migrations folder validated on a pool thread (check.h). */
#include <string.h>

#include "check.h"
#include "lint.h"
#include "log.h"
#include "migrate.h"
#include "status.h"

void
check_init(struct check *c, uv_loop_t *loop, const struct t2_summary *t2,
    check_done_fn done, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->t2 = t2;
	c->done = done;
	c->arg = arg;
	c->req.data = c;
	lint_list_init(&c->lint);
}

/* Pool thread: parse and lint every file, no database, no shared state. */
static void
check_work(uv_work_t *req)
{
	struct check *c = req->data;
	struct migrate_result r;
	struct mig_env env;

	memset(&env, 0, sizeof(env));
	env.cfg = &c->cfg->cfg;
	env.stop = &c->stop;
	merr_clear(&c->err);
	migrate_result_init(&r);
	c->rc = c->linting ? migrate_validate_known(&env, 0, &c->known, &r,
	    &c->err) : migrate_check(&env, &c->err);
	/* the findings go to the loop, which logs them */
	c->lint = r.lint;
	lint_list_init(&r.lint);
	migrate_result_release(&r);
}

static int check_run(struct check *, struct cfgref *, int lint);

/*
 * Loop thread: report, then run the check asked for meanwhile (the folder
 * changed), which reports instead of a check that does not lint.
 */
static void
check_after(uv_work_t *req, int status)
{
	struct check *c = req->data;
	struct cfgref *next = c->next;

	c->running = 0;
	c->next = NULL;
	cfgref_put(c->cfg);
	c->cfg = NULL;
	vlist_release(&c->known);
	if (status == 0 && !c->stop && (c->linting || next == NULL)) {
		for (size_t i = 0; i < c->lint.n; i++) {
			const struct lint_finding *f = &c->lint.v[i];

			log_warnx("lint: %s:%d:%d: %s (%s)", f->file, f->line,
			    f->col, f->message, lint_rule_name(f->rule));
		}
		c->done(c->arg, c->rc, &c->err, c->linting);
	}
	lint_list_release(&c->lint);
	if (next && !c->stop && check_run(c, next, 1) == 0)
		return;
	cfgref_put(next);
}

static int
check_run(struct check *c, struct cfgref *cfg, int lint)
{
	int rc;

	c->cfg = cfg;
	c->linting = lint;
	c->running = 1;
	/* out of memory: every file's findings, as without a status */
	if (lint && c->t2 && c->t2->available && vlist_make(&c->known,
	    (const char *const *)c->t2->clean, c->t2->nclean) == -1)
		log_warnx("lint: out of memory: the applied files' findings "
		    "are logged too");
	if ((rc = uv_queue_work(c->loop, &c->req, check_work,
	    check_after)) != 0) {
		vlist_release(&c->known);
		c->running = 0;
		c->cfg = NULL;
		log_warnx("cannot validate the migrations folder: %s",
		    uv_strerror(rc));
		return -1;
	}
	return 0;
}

int
check_start(struct check *c, struct cfgref *cfg, int lint)
{
	if (c->stop)
		return -1;
	if (c->running && !lint)
		return 0;	/* the running one covers it */
	if (c->running) {
		cfgref_put(c->next);
		c->next = cfgref_get(cfg);
		return 0;
	}
	if (check_run(c, cfgref_get(cfg), lint) == -1) {
		cfgref_put(cfg);
		return -1;
	}
	return 0;
}

void
check_stop(struct check *c)
{
	c->stop = 1;
}

int
check_idle(const struct check *c)
{
	return !c->running;
}
