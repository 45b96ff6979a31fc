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
 * After audit_verify() walked the chain to res->head_id: does the table
 * still hold the recorded head?  Fills res->reason and res->missing_from /
 * missing_to (the ids of the rows that are gone) when it does not, and
 * returns 1; 0 when it does (or head says nothing about this table).
 */
int	audit_head_check(struct db *, const char *table,
	    const struct audit_head *, struct audit_verify_result *,
	    struct merr *);

#endif
