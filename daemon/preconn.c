/* preconn.c - the worker's first connection, opened early (preconn.h). */
#include <stdlib.h>
#include <string.h>

#include "preconn.h"

static void *
preconn_main(void *arg)
{
	struct preconn *p = arg;

	merr_clear(&p->err);
	p->rc = db_connect(&p->db, p->conninfo, "migrated", &p->err);
	return NULL;
}

int
preconn_start(struct preconn *p, const char *conninfo)
{
	memset(p, 0, sizeof(*p));
	if ((p->conninfo = strdup(conninfo ? conninfo : "")) == NULL)
		return -1;
	if (pthread_create(&p->th, NULL, preconn_main, p) != 0) {
		free(p->conninfo);
		p->conninfo = NULL;
		return -1;
	}
	p->running = 1;
	return 0;
}

/* Join the thread, if any; 1 when there was one. */
static int
preconn_join(struct preconn *p)
{
	if (!p->running)
		return 0;
	pthread_join(p->th, NULL);
	p->running = 0;
	return 1;
}

/*
 * Wait for it.  0: the connection, moved into *out; -1: its failure in e;
 * 1: nothing to take (never started, taken already, or for another
 * conninfo: closed).
 */
static int
preconn_take(struct preconn *p, const char *conninfo, struct db *out,
    struct merr *e)
{
	int rc = 1;

	if (!preconn_join(p))
		return 1;
	if (strcmp(p->conninfo, conninfo ? conninfo : "") != 0) {
		db_close(&p->db);
	} else if (p->rc == -1) {
		*e = p->err;
		rc = -1;
	} else {
		*out = p->db;
		rc = 0;
	}
	memset(&p->db, 0, sizeof(p->db));
	free(p->conninfo);
	p->conninfo = NULL;
	return rc;
}

void
preconn_drop(struct preconn *p)
{
	preconn_join(p);
	db_close(&p->db);
	free(p->conninfo);
	p->conninfo = NULL;
}

int
preconn_connect(struct preconn **pp, struct db *d, const char *conninfo,
    struct merr *e)
{
	struct preconn *p = *pp;
	int rc;

	*pp = NULL;
	if (p && (rc = preconn_take(p, conninfo, d, e)) != 1)
		return rc;
	return db_connect(d, conninfo, "migrated", e);
}
