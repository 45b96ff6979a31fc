/*
 * watch.h - libuv file-system events on the migrations folder, debounced:
 * the callback runs once the folder has been quiet for WATCH_SETTLE_MS.
 *
 * inotify watches an inode, not a path: a deploy that puts another folder
 * in the configured path's place (a symlink switched, as Capistrano-style
 * releases do, or a folder renamed over, or removed and made again) leaves
 * the watch on the old folder, which no longer changes.  So the path is
 * also stat'ed every WATCH_POLL_MS (uv_fs_poll): a new device or inode, or
 * the folder back after it was missing, moves the watch to the folder now
 * there and counts as a change.  A self event of the watched folder (its
 * name, with no file name) moves it at the next settle too, for a folder
 * made again on the inode number it had.
 * The folder's own folders are watched too (each its own handle,
 * allocated, kept in step with the folder at every settle): Prisma's and
 * Diesel's migrations are folders (NAME/migration.sql), and an edit
 * inside one changes nothing of the folder itself; Drizzle's journal is
 * meta/_journal.json.  An event there names "NAME/file".
 * The poll handle is allocated: libuv 1.44 may still have a stat of the
 * old path on its pool when a poll is stopped, and asserts if that handle
 * was started again meanwhile; a new path gets a new handle, the old one
 * closed (and freed by its close callback).  The other handles are
 * embedded; watch_close() closes them all.
 */
#ifndef MIGRATED_WATCH_H
#define MIGRATED_WATCH_H

#include <limits.h>
#include <uv.h>

#define WATCH_SETTLE_MS	300
#define WATCH_POLL_MS	1000

#define WATCH_SUBS_MAX	4096	/* folders of the folder watched, at most */

struct watch_sub;

struct watch {
	uv_fs_event_t	 ev;
	struct watch_sub **subs;	/* the folder's folders, watched */
	size_t		 nsubs;
	uv_fs_poll_t	*poll;		/* a new one for each path (below) */
	uv_timer_t	 settle;
	int		 active;
	int		 inited;
	int		 moved;		/* a self event: watch again at settle */
	uv_loop_t	*loop;
	char		 dir[PATH_MAX];	/* the configured path */
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
