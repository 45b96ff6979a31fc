/* reload.c - a reload's preflight on a pool thread (reload.h). */
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "reload.h"

void
reload_init(struct reload *r, uv_loop_t *loop, const char *path,
    const struct config_overrides *ov, reload_done_fn done, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->loop = loop;
	r->path = path;
	r->ov = ov;
	r->done = done;
	r->arg = arg;
	r->req.data = r;
}

/* Pool thread: the fresh configuration, checked whole; no shared state. */
static void
reload_work(uv_work_t *req)
{
	struct reload *r = req->data;
	struct config *c = &r->fresh->cfg;

	merr_clear(&r->err);
	r->rc = -1;
	if (config_load(c, r->path, r->ov, &r->err) == -1)
		return;
	r->rc = config_check_paths(c, &r->err) == -1 ||
	    ops_preflight(c, NULL, &r->stop, &r->err) == -1 ? -1 : 0;
}

/* Loop thread: hand the configuration over, or say why there is none. */
static void
reload_after(uv_work_t *req, int status)
{
	struct reload *r = req->data;
	struct cfgref *fresh = r->fresh;

	r->fresh = NULL;
	r->running = 0;
	if (status != 0 && r->rc == 0) {
		r->rc = -1;
		merr_set(&r->err, MERR_INTERNAL, "reload: %s",
		    uv_strerror(status));
	}
	if (r->stop && r->rc == 0) {	/* done just as the stop came */
		r->rc = -1;
		merr_set(&r->err, MERR_STATE, "reload given up: stopping");
	}
	if (r->rc == -1) {
		cfgref_put(fresh);
		fresh = NULL;
	}
	r->done(r->arg, r->who, fresh, &r->err);
}

int
reload_start(struct reload *r, uint64_t who, struct merr *e)
{
	int rc;

	if (r->running)
		return merr_set(e, MERR_BUSY, "a reload is already running");
	if (r->stop)
		return merr_set(e, MERR_STATE, "the daemon is stopping");
	if ((r->fresh = cfgref_new()) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	r->who = who;
	r->rc = 0;
	if ((rc = uv_queue_work(r->loop, &r->req, reload_work,
	    reload_after)) != 0) {
		free(r->fresh);		/* nothing loaded into it yet */
		r->fresh = NULL;
		return merr_set(e, MERR_INTERNAL, "cannot start the reload: %s",
		    uv_strerror(rc));
	}
	r->running = 1;
	return 0;
}

void
reload_stop(struct reload *r)
{
	r->stop = 1;
}

int
reload_idle(const struct reload *r)
{
	return !r->running;
}
