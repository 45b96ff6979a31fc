/*
 * cmd.h - the command table and its one dispatcher.
 *
 * Each command is a row: its spec (name, access class, confirmation and
 * argument checks, shared with migratectl through core/cmdspec.h), what
 * it needs here (the database, exclusivity), the function that runs on
 * the loop when it arrives, the one that runs on the database worker, and
 * the one that turns its result into the reply.  The daemon's own jobs
 * (start-up, recheck, reload, refresh, ping, denied, stop) are rows too.
 * A request is looked up by name once, in cmd_dispatch(); from then on the
 * job carries the row.
 *
 * Rows are static and constant.  cmd_job() returns a job the caller owns
 * until it submits it (dbloop_submit); its done callback frees it.
 */
#ifndef MIGRATED_CMD_H
#define MIGRATED_CMD_H

#include <stddef.h>

#include <jansson.h>

#include "cmdspec.h"
#include "err.h"
#include "job.h"

struct conn;
struct migrated;
struct opctx;

#define CMD_DB		0x01	/* needs the database */
#define CMD_EXCL	0x02	/* mutating: one at a time */
#define CMD_TIER1	0x04	/* runs tier 1: its result is the state
				   (ready, or degraded when it fails) */

struct cmd;
/* Loop: serve the request (usually by submitting a job); 1: a job serves
 * it, 0: answered. */
typedef int	(*cmd_loop_fn)(struct migrated *, struct conn *,
		    const struct cmd *, struct proto_request *);
/* Worker: run the job; 0 or -1 with e set. */
typedef int	(*cmd_run_fn)(struct opctx *, struct merr *e);
/* Loop: the job's result as the reply's data (new reference). */
typedef json_t	*(*cmd_reply_fn)(const struct job *);

struct cmd {
	const struct cmd_spec	*spec;
	int			 flags;		/* CMD_DB, CMD_EXCL */
	cmd_loop_fn		 loop;
	cmd_run_fn		 run;		/* NULL: answered on the loop */
	cmd_reply_fn		 reply;		/* NULL: {} */
	const void		*arg;		/* for run (a tier-2 op) */
};

enum cmd_internal {
	CMD_STARTUP, CMD_RECHECK, CMD_RELOAD, CMD_REFRESH, CMD_PING,
	CMD_SYNC, CMD_DENIED, CMD_STOP, CMD_NINTERNAL
};

const struct cmd *cmd_internal(enum cmd_internal);
const char	*cmd_name(const struct cmd *);

/* Serve one request line: 0 answered, 1 a job now serves it. */
int	cmd_dispatch(void *migrated, struct conn *, const char *line,
	    size_t len);
/* The client reload that waited for a running operation: run it now (or
 * answer it, when the daemon stops). */
void	cmd_reload_resume(struct migrated *);
/*
 * A client's reload after its preflight (daemon_reload_parsed): submit
 * tier 1's run as its job (1), or 0 when the client left or was told
 * busy (the caller runs the reload as its own).
 */
int	cmd_reload_submit(struct migrated *, uint64_t conn_id);
/* ... or the preflight failed: the client gets e (if still there). */
void	cmd_reload_failed(struct migrated *, uint64_t conn_id,
	    const struct merr *e);
/* Answer the wait-ready clients once ready or stopping. */
void	cmd_ready_resume(struct migrated *);
/* A job of the daemon's own for cmd, on the current configuration. */
struct job *cmd_job(struct migrated *, const struct cmd *, job_done_fn);

/* May the peer of c run a command of that access (the ACLs of cfg)? */
struct config;
struct conn;
int	cmd_allowed(const struct config *, const struct conn *,
	    enum cmd_access);

#endif
