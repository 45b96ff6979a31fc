/*
 * check.h - the migrations folder validated off the loop and off the
 * database worker: every file split, parsed and linted (migrate_validate
 * without a database) on a libuv pool thread, so that `status`, `log` and
 * the other commands are answered while a huge file is parsed (issue 12,
 * item 6).  One check runs at a time; a change seen while one runs asks
 * for another once it ends.  check_stop() makes a running one give up
 * between statements (SIGTERM).
 * Ownership: the check holds a reference to the configuration it runs
 * with; the done callback borrows the error and runs on the loop.
 */
#ifndef MIGRATED_CHECK_H
#define MIGRATED_CHECK_H

#include <signal.h>

#include <uv.h>

#include "err.h"
#include "job.h"
#include "vlist.h"

struct check;
struct t2_summary;
/*
 * rc 0: every file parses (e unset); -1: e says what (loop thread).
 * lint: the check linted (a changed folder's), or not (check_start()).
 */
typedef void (*check_done_fn)(void *arg, int rc, const struct merr *e,
    int lint);

struct check {
	uv_work_t		 req;
	uv_loop_t		*loop;
	struct cfgref		*cfg;		/* of the running check */
	struct cfgref		*next;		/* asked for while running */
	int			 linting;	/* the running check lints */
	volatile sig_atomic_t	 stop;
	int			 running;
	int			 rc;
	struct merr		 err;
	struct lint_list	 lint;
	/* the versions applied, as the loop knew them when it started */
	struct vlist		 known;
	const struct t2_summary	*t2;		/* the loop's, or NULL */
	check_done_fn		 done;
	void			*arg;
};

/*
 * t2 (may be NULL): the daemon's last tier-2 status, read on the loop
 * thread as each linting check starts: a version it says is applied as
 * its files are gets no finding logged (migrate_validate_known()).
 */
void	check_init(struct check *, uv_loop_t *, const struct t2_summary *t2,
	    check_done_fn, void *arg);
/*
 * Validate the folder of cfg now, or once the running check ends; with
 * lint, the findings of the files not applied yet are logged as warnings
 * (a changed folder: `migratectl validate` lists every file's), without
 * only the errors count (the files the start did not parse: daemon.c),
 * and a check that runs already covers it.
 */
int	check_start(struct check *, struct cfgref *cfg, int lint);
/* Give up (SIGTERM): the running check ends soon, none follows. */
void	check_stop(struct check *);
int	check_idle(const struct check *);

#endif
