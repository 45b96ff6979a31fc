/* forkgate.c - the loop thread parked around a worker's fork (forkgate.h). */
#include <string.h>

#include "forkgate.h"

/* The loop thread: wait here while a worker forks. */
static void
gate_cb(uv_async_t *h)
{
	struct forkgate *g = h->data;

	uv_mutex_lock(&g->mu);
	while (g->asked) {
		g->parked = 1;
		uv_cond_broadcast(&g->cv);
		uv_cond_wait(&g->cv, &g->mu);
	}
	g->parked = 0;
	uv_mutex_unlock(&g->mu);
}

int
forkgate_init(struct forkgate *g, uv_loop_t *loop)
{
	memset(g, 0, sizeof(*g));
	if (uv_mutex_init(&g->mu) != 0)
		return -1;
	if (uv_cond_init(&g->cv) != 0) {
		uv_mutex_destroy(&g->mu);
		return -1;
	}
	if (uv_async_init(loop, &g->async, gate_cb) != 0) {
		uv_cond_destroy(&g->cv);
		uv_mutex_destroy(&g->mu);
		return -1;
	}
	g->async.data = g;
	g->open = 1;
	return 0;
}

static void
gate_closed(uv_handle_t *h)
{
	struct forkgate *g = h->data;

	uv_cond_destroy(&g->cv);
	uv_mutex_destroy(&g->mu);
}

void
forkgate_close(struct forkgate *g)
{
	if (!g->open)
		return;
	g->open = 0;
	uv_close((uv_handle_t *)&g->async, gate_closed);
}

void
forkgate_enter(void *gate)
{
	struct forkgate *g = gate;

	uv_mutex_lock(&g->mu);
	g->asked = 1;
	uv_async_send(&g->async);
	while (!g->parked)
		uv_cond_wait(&g->cv, &g->mu);
	uv_mutex_unlock(&g->mu);
}

void
forkgate_leave(void *gate)
{
	struct forkgate *g = gate;

	uv_mutex_lock(&g->mu);
	g->asked = 0;
	uv_cond_broadcast(&g->cv);
	uv_mutex_unlock(&g->mu);
}
