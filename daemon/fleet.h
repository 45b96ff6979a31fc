/*
 * fleet.h - `migrated --once [--up]` and `migrated --check` over a fleet
 * (core/fleet.h): each member in a process of its own, at most
 * fleet.parallel at a time, each with its own connections, lock,
 * tracking and audit rows.  A member that fails is reported and the
 * others carry on.  Both return the process exit code.
 */
#ifndef MIGRATED_FLEET_H
#define MIGRATED_FLEET_H

#include <signal.h>
#include <sys/types.h>

#include "config.h"
#include "migrate.h"

struct fleet_outcome;

struct fleet_opts {
	int		 up;		/* --once --up */
	int		 check;		/* --check instead of --once */
	const char	*member;	/* --member NAME: that one only */
	int		 verbose;	/* -v, for the members' logs */
	int		 report;	/* each member reports its state after
					   its work (the service) */
	/* per member of the list (NULL: none): tier 2 only, its catalogs
	   not read (the service's up on a member whose tier 1 it knows,
	   as a single database's up does not plan tier 1 again) */
	const unsigned char *t2only;
	volatile sig_atomic_t *stop;	/* set: start no further member */
	/* called (on fleet_each's thread) as each member's process ends,
	   with its index in the list; NULL: nothing */
	void		(*each)(void *arg, size_t i,
			    const struct fleet_outcome *);
	void		*each_arg;
	/* called on fleet_each's thread just before and just after each
	   fork (NULL: nothing): the service parks its loop thread meanwhile
	   (forkgate.h) */
	void		(*fork_enter)(void *);
	void		(*fork_leave)(void *);
	void		*fork_arg;
};

/*
 * What a member's process says of itself after its work (o->report).
 * t1_read: its catalogs were read and planned by this run, and clean
 * covers both tiers; 0 (a tier-2-only run that changed nothing): clean
 * covers tier 2 alone, and tier 1 is what was last read (the caller's).
 */
struct fleet_report {
	int	clean;			/* in sync, nothing pending */
	int	t1_read;		/* the plan is this run's */
	int	t1_clean;		/* t1_read: nothing safe, refused or
					   drift in that plan */
	long	pending;		/* enhancements pending */
	char	version[MIG_VERSION_MAX];	/* "" when none */
	char	error[512];		/* why it failed, "" when it did not */
};

/* One member's outcome, as its process exited. */
struct fleet_outcome {
	pid_t	pid;		/* running: its process; else 0 */
	int	fd;		/* running, o->report: its report pipe */
	int	rc;		/* exit code; 128 + signal when killed */
	long	ms;		/* how long it took */
	long	t0;		/* start, ms on the monotonic clock */
	int	done;
	int	reported;	/* rep holds what it said */
	struct fleet_report rep;
};

/*
 * Run every member of l, cfg->fleet.parallel at a time, each in a
 * process of its own (fork): v has l->n entries, zeroed.  May run on a
 * thread; waits only for its own children.
 */
void	fleet_each(const struct config *, const struct fleet_list *,
	    const struct fleet_opts *, struct fleet_outcome *v);

/*
 * 0: every member done (or, with check, in sync with nothing pending);
 * 3 (check): a member not in sync; 1: a member failed, or the members
 * could not be listed.
 */
int	fleet_run(const struct config *, const struct fleet_opts *);

/* `migrated --check` on one database: 0 in sync, 3 not, 1 error. */
int	oneshot_check(const struct config *);

#endif
