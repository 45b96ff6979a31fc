/*
 * dbloop.h - database work on one worker thread, handed off to the loop.
 *
 * A job is created on the loop thread, queued with dbloop_submit(), run on
 * the worker (job->run), and handed back to the loop (job->done), which
 * frees it.  While it runs, the worker may post progress objects with
 * dbworker_progress(); they reach the loop in order, before done.
 * Ownership: the queue owns a job from submit until done is called; done
 * must free it (job_free).  Progress json_t are stolen.
 */
#ifndef MIGRATED_DBLOOP_H
#define MIGRATED_DBLOOP_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <uv.h>

#include "db.h"
#include "err.h"
#include "event.h"
#include "proto.h"

#define DBLOOP_MAX_PENDING	512	/* > every connection's one job */

struct cfgref;
struct dbloop;
struct job;

typedef void (*job_run_fn)(struct dbloop *, struct job *);	/* worker */
typedef void (*job_done_fn)(void *arg, struct job *);		/* loop */

struct job {
	struct job		*next;
	const char		*name;		/* "up", "connect", ... */
	int			 mutating;
	uint64_t		 conn_id;	/* 0: no client waiting */
	struct proto_request	 req;
	struct actor		 actor;
	char			 user[64];
	struct cfgref		*cfg;		/* reference held by the job */
	job_run_fn		 run;
	job_done_fn		 done;
	void			*arg;		/* for done */
	time_t			 started;
	/* written by the worker, read by done */
	int			 rc;
	enum proto_code		 code;		/* when rc == -1 */
	struct merr		 err;
	json_t			*data;		/* result data, owned */
	int			 db_lost;	/* the connection went away */
	char			 db_where[256];
	json_t			*tier1_state;	/* fresh tier-1 summary */
	json_t			*tier2_state;	/* fresh tier-2 status */
	long			 suppressed;	/* denied: unrecorded */
};

/* Called on the loop thread for each progress object (stolen). */
typedef void (*dbloop_progress_fn)(void *arg, struct job *, json_t *);

struct dbmsg {
	struct dbmsg	*next;
	struct job	*job;
	json_t		*progress;	/* NULL: the job is done */
};

struct dbloop {
	uv_thread_t		 thread;
	uv_mutex_t		 mu;
	uv_cond_t		 cv;
	uv_async_t		 async;
	struct job		*queue, **queue_tail;
	struct dbmsg		*out, **out_tail;
	int			 quit;
	int			 started;
	int			 pending;	/* loop side: jobs not yet done */
	/* worker-owned; mu guards replacing db (db_cancel reads it) */
	struct db		 db;
	char			*conninfo;	/* what db was opened with */
	volatile sig_atomic_t	 stop;		/* graceful stop requested */
	void			*wstate;	/* worker-only state (ops) */
	dbloop_progress_fn	 on_progress;
	void			*arg;
};

int	dbloop_init(struct dbloop *, uv_loop_t *, dbloop_progress_fn,
	    void *arg);
int	dbloop_start(struct dbloop *);
void	dbloop_submit(struct dbloop *, struct job *);
int	dbloop_idle(struct dbloop *);
/* Are DBLOOP_MAX_PENDING jobs queued or running?  Refuse more then. */
int	dbloop_full(struct dbloop *);
/* Cancel the running statement (second signal); loop thread. */
void	dbloop_cancel(struct dbloop *);
/* Stop the worker once its queue is empty and join it; closes async. */
void	dbloop_stop(struct dbloop *);

struct job	*job_new(const char *name, job_run_fn, job_done_fn, void *arg);
void		 job_free(struct job *);

/* Worker side: the connection (connects when needed), progress. */
struct db	*dbworker_db(struct dbloop *, const char *conninfo,
		    struct merr *);
void		 dbworker_progress(struct dbloop *, struct job *, json_t *);

#endif
