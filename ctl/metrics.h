/*
 * metrics.h - the daemon's status in the Prometheus text exposition
 * format (version 0.0.4), for node_exporter's textfile collector.
 *
 * Every sample carries the label service="NAME".  A daemon that could not
 * be asked (status NULL) is reported as migrated_up 0 and nothing else.
 */
#ifndef MIGRATECTL_METRICS_H
#define MIGRATECTL_METRICS_H

#include <time.h>

#include <jansson.h>

#include "err.h"

/*
 * Render status (the data of a status reply, borrowed; NULL: unreachable)
 * and write it to path, atomically (a temporary file in the same folder,
 * renamed), or to stdout when path is NULL.  0, or -1 with e set; a
 * failed write leaves path as it was.
 */
int	metrics_write(const char *path, const char *service, time_t now,
	    json_t *status, struct merr *e);

#endif
