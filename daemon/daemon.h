/*
 * daemon.h - the state of one migrated process.
 *
 * One struct migrated, owned by main(), holds everything; handles are
 * embedded and find their way back through handle->data.  Only the loop
 * thread touches it, except struct dbloop's queues (see dbloop.c).
 */
#ifndef MIGRATED_DAEMON_H
#define MIGRATED_DAEMON_H

/*
 * The service's exit status for a start that restarting cannot heal: a
 * bad configuration, model or migration file, a refused password, an
 * unknown database or role (EX_CONFIG; the units name it in
 * RestartPreventExitStatus=).  Anything else that stops a start is 1.
 */
#define EXIT_CANNOT_HEAL	78

#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "check.h"
#include "config.h"
#include "control.h"
#include "dblisten.h"
#include "dbloop.h"
#include "job.h"
#include "latelisten.h"
#include "notify.h"
#include "reload.h"
#include "stats.h"
#include "status.h"
#include "watch.h"

struct ops;

#define DENY_RECORD_MAX		5	/* denials recorded per uid */
#define DENY_WINDOW_SEC		60	/* ... in this many seconds */
#define DENY_SLOTS		16	/* uids tracked at once */
#define READY_WAITERS		16	/* wait-ready clients held at once */

/* Recent denials of one uid, to bound their log lines and audit rows. */
struct denylimit {
	uid_t	 uid;
	time_t	 since;		/* window start, 0: free slot */
	int	 recorded;
	long	 suppressed;
};

/* What status reports; kept current by job completions on the loop. */
struct dstate {
	time_t	 started;
	int	 ready;		/* tier 1 ran once: READY=1 sent */
	int	 degraded;	/* tier 1 failed since (status.h) */
	int	 reloading;	/* RELOADING=1 sent, READY=1 not yet */
	int	 db_up;
	char	 db_where[256];
	struct db_server db_srv;	/* the server last reached */
	char	 db_error[512];
	time_t	 db_down_since;
	const char *busy_op;	/* running mutating command, or NULL */
	time_t	 busy_since;
	long	 busy_uid;
	int	 has_t1, has_t2;
	struct t1_summary t1;	/* last tier-1 report (and plan) */
	struct t2_summary t2;	/* last tier-2 status */
	char	 last_error[512];
	char	 check_error[512];	/* the folder's, from check.c */
	char	 notified[1024];	/* the last STATUS= sent */
	char	 reload_error[512];	/* the last reload was refused: why */
	long	 reloads;	/* reloads whose config step ended (ok or not) */
	struct stats stats;	/* for monitoring */
};

struct migrated {
	uv_loop_t		*loop;
	const char		*config_path;
	struct config_overrides	 overrides;
	struct cfgref		*cfg;
	struct control		 control;
	struct dbloop		 dbloop;
	struct preconn		 pre;		/* the worker's first
						   connection, opened early */
	struct dblisten		 listen;	/* other daemons, liveness */
	struct latelisten	 late;		/* its first, after ready */
	char			 origin[ANNOUNCE_ORIGIN_MAX];	/* our id */
	struct notify		 notify;
	struct watch		 watch;
	struct check		 check;		/* folder validation */
	struct reload		 reload;	/* a reload's preflight */
	uv_signal_t		 sigterm, sigint, sighup;
	uv_timer_t		 reconnect;	/* backoff after a lost db */
	uv_timer_t		 ping;		/* idle liveness check */
	uv_timer_t		 late_check;	/* the files the start trusted */
	int			 late_check_owed;	/* due while busy */
	uv_timer_t		 listen_late;	/* the first LISTEN's */
	long			 reconnect_ms;
	int			 reconnecting;
	int			 rechecking;	/* start-up/recheck queued */
	int			 refresh_owed;	/* the folder changed while
						   it could not be read or
						   applied: daemon_refresh() */
	int			 sync_running;	/* a sync job is queued */
	int			 sync_want;	/* ... and another is due */
	int			 stopping;	/* signals received */
	int			 reload_pending;	/* SIGHUP while busy */
	uint64_t		 reload_conn;	/* a client's reload waits */
	/* clients whose status waits until ready (wait-ready), 0: free */
	uint64_t		 ready_conns[READY_WAITERS];
	int			 finishing;	/* handles being closed */
	struct ops		*ops;		/* the worker's state */
	struct denylimit	 deny[DENY_SLOTS];
	int			 exit_code;
	struct dstate		 st;
};

/* daemon.c: life cycle, state, status */
/* Run the daemon until it stops; cfg is taken over.  Returns exit code. */
int	daemon_main(const char *config_path, const struct config_overrides *,
	    struct config *cfg);
void	daemon_status_changed(struct migrated *);
/* The state as status reports it; s borrows from m. */
void	daemon_status_get(struct migrated *, struct daemon_status *s);
/* Fold a finished job's results into the state (loop thread). */
void	daemon_fold(struct migrated *, struct job *);
void	daemon_db_lost(struct migrated *, const struct merr *);
void	daemon_shutdown(struct migrated *, int sig);
/*
 * Start a reload (who: the client's connection id, 0 for SIGHUP; uid: who
 * asked): a fresh configuration checked off the loop, then swapped in and
 * tier 1 run with it; the old one kept on any error.  -1: e says why none
 * started (logged).  Not while busy_op is set (the callers defer it).
 */
int	daemon_reload_start(struct migrated *, uint64_t who, long uid,
	    struct merr *e);

#endif
