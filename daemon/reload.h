/*
 * reload.h - a reload's preflight off the loop: the configuration file
 * loaded into a fresh struct, its paths checked, the models loaded and
 * the migrations folder parsed and linted (ops_preflight), all on a libuv
 * pool thread, so that `status` and the other commands are answered and
 * SIGTERM is handled while a huge migration file is parsed (issue 12,
 * item 6).  One preflight runs at a time (reload_idle() says whether one
 * does); the caller keeps a second reload from starting meanwhile.
 * reload_stop() makes a running one give up between statements.
 * Ownership: the fresh configuration belongs to the work request until
 * the done callback, which takes it over (NULL when the preflight failed
 * or was stopped).  The request borrows path and overrides, which must
 * outlive it.
 */
#ifndef MIGRATED_RELOAD_H
#define MIGRATED_RELOAD_H

#include <signal.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "err.h"
#include "job.h"

/*
 * Loop thread: fresh is the checked configuration (the callee's to keep or
 * put), or NULL with e set (e->code MERR_STATE after reload_stop()).  who
 * is what reload_start() was given.
 */
typedef void (*reload_done_fn)(void *arg, uint64_t who, struct cfgref *fresh,
    const struct merr *e);

struct reload {
	uv_work_t			 req;
	uv_loop_t			*loop;
	const char			*path;	/* borrowed */
	const struct config_overrides	*ov;	/* borrowed */
	struct cfgref			*fresh;	/* the request's until done */
	uint64_t			 who;	/* the caller's tag */
	volatile sig_atomic_t		 stop;
	int				 running;
	int				 rc;
	struct merr			 err;
	reload_done_fn			 done;
	void				*arg;
};

void	reload_init(struct reload *, uv_loop_t *, const char *path,
	    const struct config_overrides *, reload_done_fn, void *arg);
/* Start a preflight; -1 with e set when one runs or none can start. */
int	reload_start(struct reload *, uint64_t who, struct merr *e);
/* Give up (SIGTERM): the running preflight ends soon, reporting a stop. */
void	reload_stop(struct reload *);
int	reload_idle(const struct reload *);

#endif
