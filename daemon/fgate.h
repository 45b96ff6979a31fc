/*
 * fgate.h - may the worker use its cached migrations folder without a
 * look at the folder?  An inotify watch of its own, read by the worker
 * without blocking when a request comes: the kernel queues an event
 * before the write that caused it returns, so a change made before a
 * request was sent is in the queue when the request is served (the
 * loop's watcher, watch.c, may not have read it yet).
 *
 * Trusted only where the watch sees every change: a local file system
 * (not NFS, CIFS, FUSE: another host's writes make no event), no file
 * with other hard links (an edit through another folder's link makes
 * none here), the folder still the one watched (the same device and
 * inode: a folder renamed away and another put in its place, or a
 * symbolic link in the path switched to another release).  An overflow
 * of the queue, a watch removed or any read error trusts nothing until
 * the cache was refreshed again.  Otherwise the cache is stat'ed at
 * every request, as before (migset_refresh()).
 *
 * Worker thread only.  Owns its descriptor and dir; fgate_release().
 */
#ifndef MIGRATED_FGATE_H
#define MIGRATED_FGATE_H

#include <sys/types.h>
#include <time.h>

struct migset;

struct fgate {
	int		 fd;		/* inotify, -1: none */
	int		 wd;		/* the folder's watch, -1: none */
	char		*dir;		/* the path watched */
	dev_t		 dev;		/* what it was when watched */
	ino_t		 ino;
	struct timespec	 mtim, ctim;	/* the folder's own, at the drain */
	int		 local;		/* a file system the watch sees */
	int		 trusted;	/* the cache is the folder since */
};

void	fgate_init(struct fgate *);
/*
 * 1 when nothing changed in dir since fgate_trust(): the cache stands.
 * 0: refresh it (then fgate_trust() on success).  Every event queued is
 * read (dropped) here, and the watch (re)made when dir is another.
 */
int	fgate_quiet(struct fgate *, const char *dir);
/* The cache was just refreshed after a fgate_quiet() that said 0. */
void	fgate_trust(struct fgate *, const struct migset *);
/* The cache was replaced some other way: trust nothing. */
void	fgate_forget(struct fgate *);
void	fgate_release(struct fgate *);

#endif
