/*
 * watch.h - libuv file-system events on the migrations folder, debounced:
 * the callback runs once the folder has been quiet for WATCH_SETTLE_MS.
 * Handles are embedded; watch_close() closes them.
 */
#ifndef MIGRATED_WATCH_H
#define MIGRATED_WATCH_H

#include <uv.h>

#define WATCH_SETTLE_MS	300

struct watch {
	uv_fs_event_t	 ev;
	uv_timer_t	 settle;
	int		 active;
	int		 inited;
	char		 last[256];	/* last file name seen */
	void		(*cb)(void *arg, const char *file);
	void		*arg;
};

int	watch_init(struct watch *, uv_loop_t *, void (*cb)(void *,
	    const char *), void *arg);
/* (Re)start watching dir; 0 or a libuv error code. */
int	watch_start(struct watch *, const char *dir);
/*
 * Stop watching (a stop began).  Linux frees the inotify watch a grace
 * period later, and closing the inotify descriptor (uv_loop_close) waits
 * for that: 8-20 ms here.  Stopping first lets it pass while the daemon
 * says goodbye to the database.
 */
void	watch_stop(struct watch *);
void	watch_close(struct watch *);

#endif
