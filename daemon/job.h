/*
 * job.h - one piece of the daemon's database work: a command from the
 * table (cmd.h) with its payload, run on the worker (ops.c) and answered
 * on the loop (cmd.c, daemon.c).
 *
 * A job embeds the dbloop hand-off (struct dbtask) and owns everything in
 * it: the request, a reference to its configuration, and the typed
 * results the worker leaves for the loop.  job_free() releases it all.
 * Jobs are created and freed on the loop thread only; between submit and
 * done the worker alone touches them.
 */
#ifndef MIGRATED_JOB_H
#define MIGRATED_JOB_H

#include <stdint.h>
#include <time.h>

#include "audit.h"
#include "config.h"
#include "dbloop.h"
#include "err.h"
#include "event.h"
#include "migrate.h"
#include "plan.h"
#include "proto.h"
#include "pull.h"
#include "status.h"

struct cmd;
struct job;

typedef void (*job_done_fn)(void *arg, struct job *);

/*
 * A configuration shared by the loop and the jobs that run with it.  The
 * reference count is only touched on the loop thread (jobs are created and
 * freed there); the worker only reads the config.
 */
struct cfgref {
	int		refs;
	struct config	cfg;
};

struct cfgref	*cfgref_new(void);
struct cfgref	*cfgref_get(struct cfgref *);
void		 cfgref_put(struct cfgref *);

enum t1_fresh { T1_NONE = 0, T1_RAN, T1_PLANNED };

/* What the worker found; each command's reply function reads its part. */
struct job_result {
	enum t1_fresh		 t1_kind;	/* what t1 holds */
	struct t1_summary	 t1;
	int			 has_t2;
	struct t2_summary	 t2;		/* tier 2's status */
	struct migrate_result	 tier2;		/* a tier-2 command's result */
	struct plan		*plan;		/* plan */
	char			*plan_text;
	struct check_verdict	 check;
	struct audit_rows	 rows;		/* log */
	char			*markdown;	/* log --markdown */
	struct audit_verify_result verify;	/* audit verify */
	struct version_info	 version;
	struct db		 listen;	/* LISTENs: for the loop */
	struct pull_result	 pull;		/* pull: the files */
	int			 unchecked;	/* start: the folder check did
						   not pass, nothing written */
};

struct job {
	struct dbtask		 task;		/* the hand-off; first */
	const struct cmd	*cmd;		/* what to run */
	int			 mutating;
	int			 announced;	/* the worker said what it
						   owed at its end (ops.c) */
	uint64_t		 conn_id;	/* 0: no client waiting */
	/* payload */
	struct proto_request	 req;		/* the client's arguments */
	long			 suppressed;	/* denied: unrecorded before */
	int			 exit_code;	/* stop */
	int			 folder_as_read;	/* sync: the cached folder,
						   not looked at */
	struct actor		 actor;
	char			 user[64];
	struct cfgref		*cfg;		/* reference held by the job */
	time_t			 started;
	/* written by the worker, read on the loop */
	long			 ran_ms;	/* how long run() took */
	int			 rc;
	enum proto_code		 code;		/* when rc == -1 */
	struct merr		 err;
	int			 db_lost;	/* the connection went away */
	char			 db_where[256];
	struct db_server	 db_srv;	/* the server it reached */
	struct job_result	 res;
	job_done_fn		 done;
	void			*done_arg;
};

/*
 * A job for cmd with a new reference to cfg, run on the worker by run and
 * handed back to done(arg, job) on the loop; NULL: no memory.
 */
struct job	*job_new(const struct cmd *, struct cfgref *, dbtask_run_fn run,
		    job_done_fn done, void *arg);
void		 job_free(struct job *);
/* The job a dbtask belongs to. */
struct job	*job_of(struct dbtask *);

#endif
