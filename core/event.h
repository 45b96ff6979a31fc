/*
 * event.h - what tier 1 and tier 2 report about each action they take.
 *
 * The planner/runner modules do not know about the audit table: they call
 * an event hook, and the daemon connects that hook to audit_record().  The
 * hook is called
 *   - inside the transaction that makes the change, before COMMIT, for a
 *     change that succeeds (so the change and its record commit together;
 *     a hook failure aborts the change), and
 *   - after the ROLLBACK, outside any transaction, for a failure or a
 *     refusal (ev->ok == 0), so the failure is recorded on its own.
 * For work that runs outside a transaction (CREATE INDEX CONCURRENTLY) it
 * is called right after the statement, in autocommit mode.
 *
 * All pointers in these structs are borrowed for the duration of the call.
 */
#ifndef MIGRATE_EVENT_H
#define MIGRATE_EVENT_H

#include <sys/types.h>

struct db;
struct merr;

/* Who asked: a socket peer (from SO_PEERCRED) or the daemon itself. */
struct actor {
	int		 is_daemon;	/* start-up / watcher work */
	uid_t		 uid;
	pid_t		 pid;
	const char	*user;		/* name of uid, or NULL */
};

struct mig_event {
	/*
	 * Dotted action name, one of:
	 *   daemon.start daemon.stop daemon.reload daemon.switchover
	 *   tier1.plan tier1.apply tier1.refuse tier1.fail
	 *   tier2.apply tier2.rollback tier2.fail tier2.force tier2.refuse
	 *   tier2.adopt tier2.baseline tier2.upgrade
	 *   lock.wait lock.retry  request.denied
	 */
	const char	*action;
	const char	*target;	/* object or version, or NULL */
	const char	*detail;	/* SQL or explanation, or NULL */
	const char	*checksum;	/* hex SHA-256, or NULL */
	long		 duration_ms;	/* -1 when not applicable */
	int		 statements;	/* statements executed, or 0 */
	int		 ok;		/* 1 success, 0 failure/refusal */
	const char	*sqlstate;	/* failure: SQLSTATE or NULL */
	const char	*error;		/* failure: message or NULL */
	/*
	 * failure: the transaction it reports on (struct db's ntx), when
	 * that is not the connection's current one (a COMMIT in flight when
	 * the next file's BEGIN went out, runner.h); 0: the current one
	 */
	unsigned long	 tx;
	/*
	 * success: its transaction's COMMIT is read later (a tier-2 file's
	 * COMMIT goes out with the next file, runner.h): the hook records
	 * it with the transaction and says nothing of it yet; event_said()
	 * follows once it is known to have committed
	 */
	int		 unread;
};

typedef int (*event_fn)(void *arg, struct db *, const struct actor *,
	    const struct mig_event *, struct merr *);

/* Says (logs) an event whose record was made with ev->unread set. */
typedef void (*event_said_fn)(void *arg, const struct actor *,
	    const struct mig_event *);
/*
 * Optional: called with the idle work connection once the lock is held,
 * right before tier 1 runs the changes it will record, so that the hook
 * makes its table ready on that session (whose catalog caches the
 * changes load anyway) instead of on another one.  A failure fails the
 * operation before any change is made.
 */
typedef int (*event_ready_fn)(void *arg, struct db *, struct merr *);

struct event_hook {
	event_fn	 fn;		/* NULL: nothing is recorded */
	void		*arg;
	const struct actor *actor;
	event_said_fn	 said;		/* NULL: nothing is said */
	event_ready_fn	 ready;		/* NULL: nothing to prepare */
};

/* Call the hook if there is one; returns its result or 0. */
static inline int
event_emit(const struct event_hook *h, struct db *db,
    const struct mig_event *ev, struct merr *e)
{
	if (h == NULL || h->fn == NULL)
		return 0;
	return h->fn(h->arg, db, h->actor, ev, e);
}

/*
 * ev, recorded earlier with ev->unread set, committed: the hook says so
 * (ev is the same event, its unread flag aside).
 */
static inline void
event_said(const struct event_hook *h, const struct mig_event *ev)
{
	if (h && h->said)
		h->said(h->arg, h->actor, ev);
}

/* Call the hook's ready function if there is one; its result or 0. */
static inline int
event_ready(const struct event_hook *h, struct db *db, struct merr *e)
{
	if (h == NULL || h->fn == NULL || h->ready == NULL)
		return 0;
	return h->ready(h->arg, db, e);
}

#endif
