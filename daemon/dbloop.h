/*
 * dbloop.h - database work on one worker thread, handed off to the loop.
 *
 * A task is created on the loop thread, queued with dbloop_submit(), run
 * on the worker (task->run), and handed back to the loop (task->done),
 * which frees it.  While it runs, the worker may post progress objects
 * with dbworker_progress(); they reach the loop in order, before done.
 * Progress is batched when it comes fast: the first object after a quiet
 * spell wakes the loop at once, the ones that follow within
 * DBLOOP_BATCH_MS wait for the next tick of a timer and are handed over
 * together (a thousand small files cost the loop and the client a few
 * hundred wake-ups, not two thousand); none waits longer than that.
 * The task is embedded in the caller's own struct (container_of), so this
 * module knows nothing of what the work is.
 * Ownership: the queue owns a task from submit until done is called; done
 * must free it.  Progress json_t are stolen.
 */
#ifndef MIGRATED_DBLOOP_H
#define MIGRATED_DBLOOP_H

#include <signal.h>

#include <jansson.h>
#include <uv.h>

#include "db.h"
#include "err.h"
#include "preconn.h"

#define DBLOOP_MAX_PENDING	512	/* > every connection's one job */
#define DBLOOP_BATCH_MS		20	/* the longest progress waits */

struct dbloop;
struct dbtask;

typedef void (*dbtask_run_fn)(struct dbloop *, struct dbtask *); /* worker */
typedef void (*dbtask_done_fn)(void *arg, struct dbtask *);	  /* loop */

struct dbtask {
	struct dbtask	*next;
	dbtask_run_fn	 run;
	dbtask_done_fn	 done;
	void		*arg;		/* for done */
};

/*
 * Called on the loop thread with a JSON array of one task's progress
 * objects, in order (stolen).
 */
typedef void (*dbloop_progress_fn)(void *arg, struct dbtask *, json_t *);

struct dbmsg {
	struct dbmsg	*next;
	struct dbtask	*task;
	json_t		*progress;	/* NULL: the task is done */
};

struct dbloop {
	uv_thread_t		 thread;
	uv_mutex_t		 mu;
	uv_cond_t		 cv;
	uv_async_t		 async;
	uv_timer_t		 tick;		/* hands progress over */
	int			 batching;	/* the worker does not wake
						   the loop for progress (mu;
						   written on the loop only) */
	struct dbtask		*queue, **queue_tail;
	struct dbmsg		*out, **out_tail;
	int			 quit;
	int			 started;
	int			 pending;	/* loop side: tasks not yet done */
	/* worker-owned; mu guards replacing db (db_cancel reads it) */
	struct db		 db;
	char			*conninfo;	/* what db was opened with */
	struct preconn		*pre;		/* the first one, opened early
						   (set before the start) */
	volatile sig_atomic_t	 stop;		/* graceful stop requested */
	void			*wstate;	/* worker-only state of the user */
	dbloop_progress_fn	 on_progress;
	void			*arg;
};

int	dbloop_init(struct dbloop *, uv_loop_t *, dbloop_progress_fn,
	    void *arg);
int	dbloop_start(struct dbloop *);
void	dbloop_submit(struct dbloop *, struct dbtask *);
int	dbloop_idle(struct dbloop *);
/* Are DBLOOP_MAX_PENDING tasks queued or running?  Refuse more then. */
int	dbloop_full(struct dbloop *);
/* Cancel the running statement (second signal); loop thread. */
void	dbloop_cancel(struct dbloop *);
/* Stop the worker once its queue is empty and join it; closes async. */
void	dbloop_stop(struct dbloop *);

/*
 * Worker side: the connection (connects when needed), a health check
 * after each task (-1: it broke and was closed), and progress.
 */
struct db	*dbworker_db(struct dbloop *, const char *conninfo,
		    struct merr *);
int		 dbworker_check(struct dbloop *);
void		 dbworker_progress(struct dbloop *, struct dbtask *, json_t *);

#endif
