/*
 * pending.h - failure records the database could not take because it was
 * gone, kept until it is back.
 *
 * When the server stops in the middle of an operation, the runner reports
 * the failure (tier2.fail, tier1.fail) after the rollback, on a connection
 * that is dead: its audit row cannot be written then.  The worker keeps
 * the event here, in memory and, when a state directory is configured, in
 * STATE_DIR/pending-audit.json (written to a temporary file, synced,
 * renamed), so that a migrated killed before the database returns writes
 * it at its next start.  pending_flush() writes every kept event as an
 * audit row (with the time it happened), announces it to the other
 * daemons, and records its error on the tracking row of a file left dirty.
 *
 * A failure whose COMMIT went out before the connection was lost (SQLSTATE
 * 08007, transaction_resolution_unknown) may have committed after all:
 * on the old server, or, after a switchover, replicated to the new
 * primary.  It is kept with the audit row its transaction inserted (id
 * and hash); once the database is back, a row of that id and hash there
 * means it committed, and the failure, which did not happen, is dropped
 * (logged) instead of written.  Without that row it is recorded as usual.
 *
 * Worker thread only.  struct pending owns its JSON array.
 */
#ifndef MIGRATED_PENDING_H
#define MIGRATED_PENDING_H

#include <jansson.h>

#include "audit.h"
#include "audit_head.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "event.h"

#define PENDING_FILE	"pending-audit.json"

struct pending {
	json_t	*v;	/* array of events; NULL: file not read yet */
	char	*dir;		/* where it was read from, or NULL */
};

void	pending_init(struct pending *);
void	pending_release(struct pending *);
/* 1 when the kept failures were read (a flush ran) and none is left. */
int	pending_none(const struct pending *);
/* Is ev a failure that a lost connection kept out of the audit table? */
int	pending_wanted(const struct mig_event *, struct db *,
	    const struct merr *why);
/*
 * Keep ev (and who asked); the file is rewritten.  Errors are logged.
 * row_id > 0: ev's COMMIT is in doubt, and the audit row row_id (hash
 * row_hash) was inserted in its transaction.  Else by (may be NULL): its
 * COMMIT is in doubt and no row of its transaction was read (the COMMIT
 * went out with the file): its success row is looked for by content
 * (audit_doubt_find()); by->target and by->checksum are ev's.
 */
void	pending_add(struct pending *, const struct config *,
	    const struct actor *, const struct mig_event *,
	    long long row_id, const char *row_hash,
	    const struct audit_doubt *by);
/* Write what is kept, oldest first (audit_ready: a is usable). */
int	pending_flush(struct pending *, const struct config *, struct db *,
	    struct audit *, const char *origin, struct merr *);

#endif
