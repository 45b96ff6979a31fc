/*
 * audit_head.h - the newest audit row a daemon wrote, kept outside the
 * database, so that deleting the newest rows of the chain (which the
 * chain cannot show by itself) is found by `migratectl audit verify`.
 *
 * The head is a small text file, STATE_DIR/audit-head, replaced whole
 * (written to a temporary file, fsync'd, renamed over, the folder
 * fsync'd): it names the database and the table it is about, the row's
 * id and its hash.  The daemon records a row once it is committed, and
 * only while the row it recorded before is still in the table: a head
 * whose row has gone is kept, never replaced, until someone looks.
 *
 * Ownership: plain structs, nothing allocated.
 */
#ifndef MIGRATE_AUDIT_HEAD_H
#define MIGRATE_AUDIT_HEAD_H

#include "audit.h"
#include "db.h"
#include "err.h"

#define AUDIT_HEAD_FILE	"audit-head"

struct audit_head {
	long long	id;		/* 0: none recorded */
	char		hash[65];
	char		table[256];	/* "schema"."table" as quoted */
	char		database[128];	/* the database's name */
};

/* Read dir/audit-head; a missing file is id 0.  Bad content: MERR_STATE. */
int	audit_head_read(const char *dir, struct audit_head *, struct merr *);
/* Replace dir/audit-head atomically (tmp + fsync + rename + fsync). */
int	audit_head_write(const char *dir, const struct audit_head *,
	    struct merr *);

/*
 * The hash of row id of table (a quoted name), in *hash; *found 0 when
 * there is no such row.
 */
int	audit_head_lookup(struct db *, const char *table, long long id,
	    int *found, char hash[65], struct merr *);

/*
 * A tier-2 file whose COMMIT went out with it and whose results were never
 * read (runner.c, commit ahead): no row id is known, so its success row
 * is looked for by content, the first row after the last one this daemon
 * read: action tier2.apply or tier2.rollback, ok, that target and
 * checksum, written by that daemon (pid and host).  *found 1 when there
 * is one: the transaction committed.
 */
struct audit_doubt {
	long long	 after;		/* the last row id read before it */
	const char	*target;
	const char	*checksum;	/* may be NULL */
	long long	 daemon_pid;
	const char	*host;		/* may be NULL */
};
int	audit_doubt_find(struct db *, const char *table,
	    const struct audit_doubt *, int *found, struct merr *);

/*
 * After audit_verify() walked the chain to res->head_id: does the table
 * still hold the recorded head?  Fills res->reason and res->missing_from /
 * missing_to (the ids of the rows that are gone) when it does not, and
 * returns 1; 0 when it does (or head says nothing about this table).
 */
int	audit_head_check(struct db *, const char *table,
	    const struct audit_head *, struct audit_verify_result *,
	    struct merr *);

#endif
