/* watch.c - the migrations folder watcher. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "watch.h"

static void
watch_settled(uv_timer_t *t)
{
	struct watch *w = t->data;

	w->cb(w->arg, w->last);
}

static void
watch_event(uv_fs_event_t *h, const char *file, int events, int status)
{
	struct watch *w = h->data;

	if (status < 0) {
		log_warnx("watch: %s", uv_strerror(status));
		return;
	}
	(void)events;
	snprintf(w->last, sizeof(w->last), "%s", file ? file : "");
	log_debug("watch: '%s' changed", w->last);
	/* every event pushes the deadline back: act once it settles */
	uv_timer_start(&w->settle, watch_settled, WATCH_SETTLE_MS, 0);
}

int
watch_init(struct watch *w, uv_loop_t *loop, void (*cb)(void *,
    const char *), void *arg)
{
	memset(w, 0, sizeof(*w));
	w->cb = cb;
	w->arg = arg;
	uv_fs_event_init(loop, &w->ev);
	uv_timer_init(loop, &w->settle);
	w->ev.data = w;
	w->settle.data = w;
	w->inited = 1;
	return 0;
}

int
watch_start(struct watch *w, const char *dir)
{
	int rc;

	if (w->active) {
		uv_fs_event_stop(&w->ev);
		w->active = 0;
	}
	if ((rc = uv_fs_event_start(&w->ev, watch_event, dir, 0)) != 0) {
		log_warnx("cannot watch '%s': %s", dir, uv_strerror(rc));
		return rc;
	}
	w->active = 1;
	log_debug("watching %s", dir);
	return 0;
}

void
watch_stop(struct watch *w)
{
	if (!w->inited || !w->active)
		return;
	uv_fs_event_stop(&w->ev);
	uv_timer_stop(&w->settle);
	w->active = 0;
}

void
watch_close(struct watch *w)
{
	if (!w->inited)
		return;
	w->inited = 0;
	uv_close((uv_handle_t *)&w->ev, NULL);
	uv_close((uv_handle_t *)&w->settle, NULL);
}
