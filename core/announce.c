/* announce.c - LISTEN/NOTIFY between the daemons of one deployment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "config.h"
#include "db.h"
#include "hash.h"
#include "quote.h"

#define CHANNEL_PREFIX	"migrated:"

void
announce_channel(const struct config *cfg, char buf[ANNOUNCE_CHANNEL_MAX])
{
	char hex[HASH_HEX], *full;
	int n;

	n = asprintf(&full, CHANNEL_PREFIX "%s.%s", cfg->schema,
	    cfg->tracking_table);
	if (n > 0 && n < ANNOUNCE_CHANNEL_MAX) {
		memcpy(buf, full, (size_t)n + 1);
	} else {
		hash_hex(n > 0 ? full : "", n > 0 ? (size_t)n : 0, hex);
		snprintf(buf, ANNOUNCE_CHANNEL_MAX, CHANNEL_PREFIX "%.32s",
		    hex);
	}
	if (n >= 0)
		free(full);
}

int
announce_listen(struct db *d, const struct config *cfg, struct merr *e)
{
	char chan[ANNOUNCE_CHANNEL_MAX], *q, *sql;
	int rc;

	announce_channel(cfg, chan);
	if ((q = quote_ident(chan)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (asprintf(&sql, "LISTEN %s", q) == -1) {
		free(q);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	free(q);
	rc = db_exec(d, sql, e);
	free(sql);
	return rc;
}

int
announce_connect(struct db *d, const struct config *cfg, struct merr *e)
{
	if (db_connect(d, cfg->database, "migrated listen", e) == -1)
		return -1;
	/* the role asked by db_connect() just now */
	if (db_writable_asked(d, "listen for other daemons", e) == -1 ||
	    announce_listen(d, cfg, e) == -1) {
		db_close(d);
		return -1;
	}
	return 0;
}

void
announce_payload(char *buf, size_t len, const char *origin,
    const char *action, const char *target)
{
	snprintf(buf, len, "%s %s %s", origin, action, target ? target : "-");
}

int
announce_change(struct db *d, const struct config *cfg, const char *origin,
    const char *action, const char *target, struct merr *e)
{
	char chan[ANNOUNCE_CHANNEL_MAX], payload[512];
	const char *p[2] = { chan, payload };

	announce_channel(cfg, chan);
	announce_payload(payload, sizeof(payload), origin, action, target);
	/* in a pipelined transaction: sent without waiting */
	return db_send_rec(d, "SELECT pg_notify($1, $2)", 2, p, NULL, NULL,
	    e);
}

int
announce_now(struct db *d, const struct config *cfg, const char *origin,
    const char *action, const char *target, struct merr *e)
{
	char chan[ANNOUNCE_CHANNEL_MAX], payload[512];
	const char *p[2] = { chan, payload };
	PGresult *res = NULL;
	int rc;

	announce_channel(cfg, chan);
	announce_payload(payload, sizeof(payload), origin, action, target);
	rc = db_query(d, "SELECT pg_notify($1, $2)", 2, p, &res, e);
	PQclear(res);
	return rc;
}

int
announce_wanted(const char *action)
{
	static const char *const changes[] = {
		"tier1.apply", "tier2.apply", "tier2.rollback", "tier2.force",
		"tier2.fail", "tier2.adopt", "tier2.baseline", "tier2.upgrade",
		"daemon.start", NULL
	};

	for (int i = 0; changes[i]; i++)
		if (strcmp(action, changes[i]) == 0)
			return 1;
	return 0;
}

void
announce_owe(struct announce_run *r, const char *action, const char *target)
{
	r->owed = 1;
	snprintf(r->action, sizeof(r->action), "%s", action);
	snprintf(r->target, sizeof(r->target), "%s", target ? target : "-");
}

int
announce_settle(struct announce_run *r, struct db *d,
    const struct config *cfg, const char *origin, struct merr *e)
{
	if (!r->owed)
		return 0;
	if (announce_now(d, cfg, origin, r->action, r->target, e) == -1)
		return -1;
	r->owed = 0;
	return 0;
}

void
announce_origin(const char *payload, char buf[ANNOUNCE_ORIGIN_MAX])
{
	size_t n = payload ? strcspn(payload, " ") : 0;

	if (n >= ANNOUNCE_ORIGIN_MAX)
		n = ANNOUNCE_ORIGIN_MAX - 1;
	if (n)
		memcpy(buf, payload, n);
	buf[n] = '\0';
}
