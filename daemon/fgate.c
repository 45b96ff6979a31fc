/* fgate.c - the worker's watch on the migrations folder (fgate.h). */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/magic.h>

#include "fgate.h"
#include "log.h"
#include "migset.h"

#define DIR_MASK	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | \
	IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	IN_DELETE_SELF | IN_MOVE_SELF)
#define ENTRY_MASK	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW)

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC	0x58465342
#endif
#ifndef F2FS_SUPER_MAGIC
#define F2FS_SUPER_MAGIC 0xF2F52010
#endif

void
fgate_init(struct fgate *g)
{
	memset(g, 0, sizeof(*g));
	g->fd = g->wd = -1;
}

/*
 * File systems whose every change goes through this kernel: another
 * host's write to NFS or CIFS, or a FUSE server's own, makes no event.
 * overlayfs reports what is done through it (its layers must not be
 * changed underneath, its documentation says).
 */
static int
fs_local(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf) == -1)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case EXT4_SUPER_MAGIC:	/* ext2, ext3 too */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
	case F2FS_SUPER_MAGIC:
	case OVERLAYFS_SUPER_MAGIC:
		return 1;
	default:
		return 0;
	}
}

static int
same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/*
 * Watch dir afresh in a new instance (the old one's watches, of entries
 * long gone too, go with it): nothing trusted.
 */
static void
fgate_arm(struct fgate *g, const char *dir, const struct stat *st)
{
	g->trusted = 0;
	g->local = 0;
	g->maxwd = 0;
	g->looks = 0;
	g->wd = -1;
	if (g->fd != -1)
		close(g->fd);
	if (g->dir == NULL || strcmp(g->dir, dir) != 0) {
		free(g->dir);
		g->dir = strdup(dir);
	}
	if ((g->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    g->dir == NULL)
		return;
	if ((g->wd = inotify_add_watch(g->fd, dir, DIR_MASK)) == -1) {
		log_debug("folder watch: cannot watch '%s': %s", dir,
		    strerror(errno));
		return;
	}
	g->dev = st->st_dev;
	g->ino = st->st_ino;
	g->mtim = st->st_mtim;
	g->ctim = st->st_ctim;
	g->local = fs_local(dir);
}

/*
 * Read every event queued: 0 none, 1 some, 2 the folder's watch cannot
 * be trusted any more (events lost, the watch removed, the folder moved
 * or deleted, a read error): watch again.
 */
static int
fgate_drain(struct fgate *g)
{
	char buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	int got = 0;
	ssize_t n;
	char *p;

	for (;;) {
		if ((n = read(g->fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? got : 2;
		}
		if (n <= 0)
			return 2;
		got = 1;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_debug("folder watch: events lost (queue "
				    "overflow)");
				return 2;
			}
			if (ev->wd == g->wd && (ev->mask & (IN_IGNORED |
			    IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT))) {
				log_debug("folder watch: the folder moved "
				    "or went");
				return 2;
			}
		}
	}
}

int
fgate_quiet(struct fgate *g, const char *dir)
{
	struct stat st;
	int r;

	if (stat(dir, &st) == -1) {
		g->trusted = 0;
		return 0;
	}
	if (g->wd == -1 || strcmp(g->dir, dir) != 0 || st.st_dev != g->dev ||
	    st.st_ino != g->ino) {
		fgate_arm(g, dir, &st);
		return 0;
	}
	if ((r = fgate_drain(g)) == 2) {
		fgate_arm(g, dir, &st);
		return 0;
	}
	/* a name added or removed shows here too, whatever the queue said */
	if (!same_time(st.st_mtim, g->mtim) ||
	    !same_time(st.st_ctim, g->ctim)) {
		g->mtim = st.st_mtim;
		g->ctim = st.st_ctim;
		r = 1;
	}
	if (r == 1)
		g->trusted = 0;
	return g->trusted;
}

/*
 * Watch one entry by its inode; 1 when its stamp is still s after.  A
 * symbolic link (followed inside the folder, migentry.c) is never
 * trusted: its target may change where no watch of ours sees it.
 */
static int
watch_entry(struct fgate *g, int dfd, const struct mig_stamp *s)
{
	char path[4096];
	struct stat st;
	int wd;

	if (fstatat(dfd, s->name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    S_ISLNK(st.st_mode))
		return 0;
	/* a folder per migration (Prisma's, Diesel's): a file added to it,
	   or taken away, changes no stamp of the folder's own */
	if (snprintf(path, sizeof(path), "%s/%s", g->dir, s->name) >=
	    (int)sizeof(path) || (wd = inotify_add_watch(g->fd, path,
	    S_ISDIR(st.st_mode) ? DIR_MASK | IN_DONT_FOLLOW : ENTRY_MASK)) ==
	    -1)
		return 0;
	/* the same inode again: the same descriptor; a new one: the next */
	if ((size_t)wd > g->maxwd)
		g->maxwd = (size_t)wd;
	/* a change between the look and the watch shows here */
	return fstatat(dfd, s->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    mig_stamp_is(s, &st);
}

void
fgate_trust(struct fgate *g, const struct migset *set)
{
	size_t i;
	int dfd;

	g->trusted = 0;
	if (g->looks < FGATE_COLD_LOOKS) {
		g->looks++;	/* a daemon stopped soon after never pays */
		return;
	}
	if (g->wd == -1 || !g->local || set->dir == NULL ||
	    strcmp(set->dir, g->dir) != 0 || migset_racy(set))
		return;
	/* entries renamed away keep their watches: start afresh at times */
	if (g->maxwd > 2 * set->nstamps + 64) {
		log_debug("folder watch: %zu watches made for %zu entries, "
		    "watched afresh at the next look", g->maxwd,
		    set->nstamps);
		close(g->fd);
		g->fd = g->wd = -1;
		return;
	}
	if ((dfd = open(g->dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	for (i = 0; i < set->nstamps; i++)
		if (!watch_entry(g, dfd, &set->stamps[i]))
			break;
	close(dfd);
	g->trusted = i == set->nstamps;
}

void
fgate_forget(struct fgate *g)
{
	g->trusted = 0;
}

void
fgate_quit(struct fgate *g)
{
	size_t wd, last = g->maxwd;

	if (g->wd > 0 && (size_t)g->wd > last)
		last = (size_t)g->wd;
	g->trusted = 0;
	if (g->fd == -1)
		return;
	for (wd = 1; wd <= last; wd++)
		(void)inotify_rm_watch(g->fd, (int)wd);	/* some went */
	g->wd = -1;
	g->maxwd = 0;
}

void
fgate_release(struct fgate *g)
{
	if (g->fd != -1)
		close(g->fd);
	free(g->dir);
	fgate_init(g);
}
