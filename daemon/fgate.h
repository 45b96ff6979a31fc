/*
 * fgate.h - may the worker use its cached migrations folder without a
 * look at the folder?  An inotify instance of its own, read by the worker
 * without blocking when a request comes: the kernel queues an event
 * before the write that caused it returns, so a change made before a
 * request was sent is in the queue when the request is served (the
 * loop's watcher, watch.c, may not have read it yet).
 *
 * The folder is watched (names added, removed, renamed; its files
 * written or their attributes changed), and so is every entry of it by
 * its own inode: a file written through a hard link from another folder
 * makes no event on this one.  Trusted only where the watch sees every
 * change: a local file system (not NFS, CIFS, FUSE: another host's
 * writes make no event), the folder still the one watched (the same
 * device and inode: renamed away and another put in its place, or a
 * symbolic link in the path switched to another release), no entry
 * changed within the clock tick of the last look (migset_racy()), each
 * entry's watch made and its stamp the same after.  An overflow of the
 * queue, a watch gone or any read error trusts nothing until the cache
 * was refreshed again.  Untrusted, the cache is stat'ed at every request
 * (migset_refresh()), as before.
 *
 * The entries are watched from the FGATE_COLD_LOOKS + 1st look since the
 * folder was last watched afresh: their watches cost that look about 8 ms
 * for 1,000 files and the stop as much again (the kernel's teardown,
 * fgate_quit()), where a look that stats every file costs 2-3 ms.  A
 * daemon started, asked for up to two commands that read the folder (a
 * job looks once; the start's job may take the start's read of the
 * folder as its look, counted all the same), and stopped (a deploy's or
 * a CI job's) never pays for them.
 *
 * Worker thread only.  Owns its descriptor and dir; fgate_release().
 */
#ifndef MIGRATED_FGATE_H
#define MIGRATED_FGATE_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#define FGATE_COLD_LOOKS	3	/* looks before the entries are watched */

struct migset;

struct fgate {
	int		 fd;		/* inotify, -1: none */
	int		 wd;		/* the folder's watch, -1: none */
	char		*dir;		/* the path watched */
	dev_t		 dev;		/* what it was when watched */
	ino_t		 ino;
	struct timespec	 mtim, ctim;	/* the folder's own, at the drain */
	int		 local;		/* a file system the watch sees */
	size_t		 maxwd;		/* watches made since armed, at most */
	int		 looks;		/* fgate_trust() calls since armed,
					   up to FGATE_COLD_LOOKS */
	int		 trusted;	/* the cache is the folder since */
};

void	fgate_init(struct fgate *);
/*
 * 1 when nothing changed in dir since fgate_trust(): the cache stands.
 * 0: refresh it, then call fgate_trust().  Every event queued is read
 * (dropped) here, and the watch made again when dir is another, gone,
 * or overflowed.
 */
int	fgate_quiet(struct fgate *, const char *dir);
/*
 * The cache was just refreshed after fgate_quiet() said 0: watch its
 * entries and trust it when all of the above holds (from the
 * FGATE_COLD_LOOKS + 1st call on).
 */
void	fgate_trust(struct fgate *, const struct migset *);
/* The cache was replaced some other way: trust nothing. */
void	fgate_forget(struct fgate *);
/*
 * A stop began: every watch removed now (the descriptors of a fresh
 * instance are 1, 2, ...: all up to the highest made), so that the
 * kernel's teardown (a grace period: 10-20 ms for 1,000 watches, paid by
 * whoever closes the descriptor) runs while the daemon says goodbye, and
 * fgate_release() closes at once.  Nothing trusted after.
 */
void	fgate_quit(struct fgate *);
void	fgate_release(struct fgate *);

#endif
