/* latelisten.c - the first start's LISTEN connection, after ready. */
#include <string.h>

#include "announce.h"
#include "latelisten.h"

static void *
latelisten_main(void *arg)
{
	struct latelisten *l = arg;
	const struct config *cfg = &l->cfg->cfg;

	merr_clear(&l->err);
	l->rc = announce_connect(&l->db, cfg, &l->err);
	uv_async_send(&l->async);
	return NULL;
}

/* The thread is over: join it, give back the configuration. */
static void
latelisten_join(struct latelisten *l)
{
	if (!l->running)
		return;
	pthread_join(l->th, NULL);
	l->running = 0;
	cfgref_put(l->cfg);
	l->cfg = NULL;
}

static void
latelisten_cb(uv_async_t *h)
{
	struct latelisten *l = h->data;
	struct db db;
	struct merr err;

	if (!l->running || l->closing)
		return;
	latelisten_join(l);
	/* moved out first: done may start another */
	db = l->db;
	err = l->err;
	memset(&l->db, 0, sizeof(l->db));
	l->done(l->arg, l->rc, &db, &err);
	db_close(&db);		/* not taken */
}

void
latelisten_init(struct latelisten *l, uv_loop_t *loop, latelisten_fn done,
    void *arg)
{
	memset(l, 0, sizeof(*l));
	l->done = done;
	l->arg = arg;
	uv_async_init(loop, &l->async, latelisten_cb);
	l->async.data = l;
}

int
latelisten_start(struct latelisten *l, struct cfgref *cfg)
{
	if (l->running)
		return 0;
	if (l->closing)
		return -1;
	memset(&l->db, 0, sizeof(l->db));
	l->cfg = cfgref_get(cfg);
	if (pthread_create(&l->th, NULL, latelisten_main, l) != 0) {
		cfgref_put(l->cfg);
		l->cfg = NULL;
		return -1;
	}
	l->running = 1;
	return 0;
}

int
latelisten_running(const struct latelisten *l)
{
	return l->running;
}

void
latelisten_close(struct latelisten *l)
{
	if (l->closing++)
		return;
	latelisten_join(l);
	db_close(&l->db);
	uv_close((uv_handle_t *)&l->async, NULL);
}
