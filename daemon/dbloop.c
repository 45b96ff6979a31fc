/*
 * dbloop.c - how database work runs without blocking the event loop.
 *
 * The choice: ONE worker thread with one hand-off, not libpq's asynchronous
 * API on the loop.  core/ (tier 1, tier 2, audit) is plain blocking libpq
 * code that is easy to test on its own; running it on a thread keeps it
 * that way, and the loop thread never calls libpq except PQcancel.
 *
 * The hand-off, in both directions under one mutex (mu):
 *
 *   loop thread                          worker thread
 *   -----------                          -------------
 *   dbloop_submit(task) -- queue -->     pops the task, runs task->run()
 *                                        with the worker's own struct db
 *   async callback      <-- out ---      dbworker_progress(): progress
 *     on_progress()                      messages, then a "done" message
 *     task->done(), task freed           when task->run() returns
 *
 * A task belongs to the loop until submit, to the worker while it is in
 * the queue or running, and to the loop again from its done message on.
 * The worker touches nothing else: what a task needs (for the daemon, a
 * job: daemon/job.h) is embedded around it, and so are its results.
 *
 * So `status` never waits: it is answered on the loop from the state that
 * task completions keep current, while a long `up` holds the worker.
 * Tasks run one at a time in submission order; the control server admits one
 * mutating job at a time and answers a second with "busy".
 *
 * Cancelling: db_cancel() is PQcancel on a PGcancel object, which libpq
 * documents as safe from another thread; mu guards the worker replacing
 * its connection while the loop cancels.  The graceful stop flag is a
 * sig_atomic_t that the runner checks between steps, for both tiers.
 */
#include <stdlib.h>
#include <string.h>

#include "dbloop.h"
#include "log.h"

static void
dbloop_post(struct dbloop *d, struct dbtask *t, json_t *progress)
{
	struct dbmsg *m = calloc(1, sizeof(*m));
	int wake;

	if (m == NULL) {
		/* progress is best effort; a done message must arrive */
		json_decref(progress);
		if (progress)
			return;
		while ((m = calloc(1, sizeof(*m))) == NULL)
			uv_sleep(10);
	}
	m->task = t;
	m->progress = progress;
	uv_mutex_lock(&d->mu);
	*d->out_tail = m;
	d->out_tail = &m->next;
	wake = progress == NULL || !d->batching;
	uv_mutex_unlock(&d->mu);
	if (wake)	/* a done message is never held back */
		uv_async_send(&d->async);
}

void
dbworker_progress(struct dbloop *d, struct dbtask *t, json_t *data)
{
	if (data)
		dbloop_post(d, t, data);
}

static void
dbworker_close(struct dbloop *d)
{
	uv_mutex_lock(&d->mu);
	db_close(&d->db);
	uv_mutex_unlock(&d->mu);
	free(d->conninfo);
	d->conninfo = NULL;
}

struct db *
dbworker_db(struct dbloop *d, const char *conninfo, struct merr *e)
{
	struct db fresh;
	const char *ci = conninfo ? conninfo : "";

	if (d->db.conn && (d->conninfo == NULL || strcmp(d->conninfo, ci)))
		dbworker_close(d);	/* reloaded with another database */
	/* found dead before anything was sent, or its server no longer
	   takes writes (a switchover): connect again (libpq picks the
	   primary of a multi-host conninfo) and go on */
	if (d->db.conn && (!db_alive(&d->db) ||
	    db_role_now(&d->db) != DB_ROLE_PRIMARY))
		dbworker_close(d);
	if (d->db.conn)
		return &d->db;
	/* the first time, the one opened while the start read the folder */
	if (preconn_connect(&d->pre, &fresh, conninfo, e) == -1)
		return NULL;
	if ((d->conninfo = strdup(ci)) == NULL) {
		db_close(&fresh);
		merr_set(e, MERR_NOMEM, "out of memory");
		return NULL;
	}
	uv_mutex_lock(&d->mu);
	d->db = fresh;
	uv_mutex_unlock(&d->mu);
	return &d->db;
}

int
dbworker_check(struct dbloop *d)
{
	if (d->db.conn && !db_ok(&d->db)) {
		dbworker_close(d);
		return -1;
	}
	return 0;
}

static void
dbworker_main(void *arg)
{
	struct dbloop *d = arg;
	struct dbtask *t;

	for (;;) {
		uv_mutex_lock(&d->mu);
		while (d->queue == NULL && !d->quit)
			uv_cond_wait(&d->cv, &d->mu);
		if ((t = d->queue) == NULL) {	/* quit and nothing left */
			uv_mutex_unlock(&d->mu);
			break;
		}
		if ((d->queue = t->next) == NULL)
			d->queue_tail = &d->queue;
		t->next = NULL;
		uv_mutex_unlock(&d->mu);
		t->run(d, t);
		dbloop_post(d, t, NULL);
	}
	dbworker_close(d);
}

/* A run of one task's progress objects, as one array. */
static struct dbmsg *
dbloop_deliver(struct dbloop *d, struct dbmsg *m)
{
	struct dbtask *t = m->task;
	json_t *batch = json_array();
	struct dbmsg *next;

	for (; m && m->progress && m->task == t; m = next) {
		next = m->next;
		if (batch)
			json_array_append_new(batch, m->progress);
		else
			json_decref(m->progress);	/* best effort */
		free(m);
	}
	if (batch)
		d->on_progress(d->arg, t, batch);
	return m;
}

/* Everything posted so far; the number of progress objects. */
static int
dbloop_drain(struct dbloop *d)
{
	struct dbmsg *m, *next;
	int n = 0;

	uv_mutex_lock(&d->mu);
	m = d->out;
	d->out = NULL;
	d->out_tail = &d->out;
	uv_mutex_unlock(&d->mu);
	while (m) {
		if (m->progress) {
			n++;
			m = dbloop_deliver(d, m);
			continue;
		}
		next = m->next;
		d->pending--;
		m->task->done(m->task->arg, m->task);
		free(m);
		m = next;
	}
	return n;
}

/* Progress came: what follows within DBLOOP_BATCH_MS waits for tick. */
static void
dbloop_tick_cb(uv_timer_t *h)
{
	struct dbloop *d = h->data;
	int quiet;

	uv_mutex_lock(&d->mu);
	if ((quiet = d->out == NULL) != 0)
		d->batching = 0;	/* the next one wakes the loop */
	uv_mutex_unlock(&d->mu);
	if (quiet)
		return;
	dbloop_drain(d);
	uv_timer_start(&d->tick, dbloop_tick_cb, DBLOOP_BATCH_MS, 0);
}

static void
dbloop_async_cb(uv_async_t *h)
{
	struct dbloop *d = h->data;

	if (dbloop_drain(d) == 0 || d->batching || d->quit)
		return;
	uv_mutex_lock(&d->mu);
	d->batching = 1;
	uv_mutex_unlock(&d->mu);
	uv_timer_start(&d->tick, dbloop_tick_cb, DBLOOP_BATCH_MS, 0);
}

int
dbloop_init(struct dbloop *d, uv_loop_t *loop, dbloop_progress_fn fn,
    void *arg)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->queue_tail = &d->queue;
	d->out_tail = &d->out;
	d->on_progress = fn;
	d->arg = arg;
	if ((rc = uv_mutex_init(&d->mu)) != 0)
		return rc;
	if ((rc = uv_cond_init(&d->cv)) != 0) {
		uv_mutex_destroy(&d->mu);
		return rc;
	}
	if ((rc = uv_async_init(loop, &d->async, dbloop_async_cb)) != 0) {
		uv_cond_destroy(&d->cv);
		uv_mutex_destroy(&d->mu);
		return rc;
	}
	d->async.data = d;
	if ((rc = uv_timer_init(loop, &d->tick)) != 0) {
		uv_close((uv_handle_t *)&d->async, NULL);
		uv_cond_destroy(&d->cv);
		uv_mutex_destroy(&d->mu);
		return rc;
	}
	d->tick.data = d;
	return 0;
}

int
dbloop_start(struct dbloop *d)
{
	int rc = uv_thread_create(&d->thread, dbworker_main, d);

	if (rc == 0)
		d->started = 1;
	return rc;
}

void
dbloop_submit(struct dbloop *d, struct dbtask *t)
{
	t->next = NULL;
	d->pending++;
	uv_mutex_lock(&d->mu);
	*d->queue_tail = t;
	d->queue_tail = &t->next;
	uv_cond_signal(&d->cv);
	uv_mutex_unlock(&d->mu);
}

int
dbloop_idle(struct dbloop *d)
{
	return d->pending == 0;
}

int
dbloop_full(struct dbloop *d)
{
	return d->pending >= DBLOOP_MAX_PENDING;
}

void
dbloop_cancel(struct dbloop *d)
{
	uv_mutex_lock(&d->mu);
	if (d->db.conn && db_cancel(&d->db) == 0)
		log_notice("cancel request sent to the database");
	uv_mutex_unlock(&d->mu);
}

static void
dbloop_closed(uv_handle_t *h)
{
	struct dbloop *d = h->data;

	uv_cond_destroy(&d->cv);
	uv_mutex_destroy(&d->mu);
}

void
dbloop_stop(struct dbloop *d)
{
	if (d->started) {
		uv_mutex_lock(&d->mu);
		d->quit = 1;
		uv_cond_signal(&d->cv);
		uv_mutex_unlock(&d->mu);
		uv_thread_join(&d->thread);
		d->started = 0;
		dbloop_drain(d);	/* deliver what is left */
	}
	uv_close((uv_handle_t *)&d->tick, NULL);
	uv_close((uv_handle_t *)&d->async, dbloop_closed);
}
