/* watch.c - the migrations folder watcher. */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "watch.h"

static void	watch_event(uv_fs_event_t *, const char *, int, int);
static void	watch_changed(struct watch *, const char *);

/* One folder of the folder, watched by a handle of its own. */
struct watch_sub {
	uv_fs_event_t	 ev;
	struct watch	*w;
	int		 seen;		/* found by the last subs_sync() */
	int		 gone;		/* a self event: removed or moved */
	dev_t		 dev;		/* the folder watched: one made */
	ino_t		 ino;		/* again under its name is another */
	char		 name[256];
};

static void
sub_freed(uv_handle_t *h)
{
	free(h->data);
}

static void
sub_event(uv_fs_event_t *h, const char *file, int events, int status)
{
	struct watch_sub *sub = h->data;
	char what[2 * sizeof(sub->name)];

	(void)events;
	if (status < 0)
		return;		/* gone: the next settle drops it */
	/* libuv names an event of the folder itself by its last component:
	   its watch ends with it, even if one is made again on its inode */
	if (file == NULL || strcmp(file, sub->name) == 0)
		sub->gone = 1;
	snprintf(what, sizeof(what), "%s/%s", sub->name, file ? file : "");
	watch_changed(sub->w, what);
}

/* sub i closed (freed by its close callback) and taken off the list */
static void
sub_drop(struct watch *w, size_t i)
{
	uv_fs_event_stop(&w->subs[i]->ev);
	uv_close((uv_handle_t *)&w->subs[i]->ev, sub_freed);
	w->subs[i] = w->subs[--w->nsubs];
}

/* A watch on folder name (st) of the folder; 0 when it cannot be made. */
static int
sub_add(struct watch *w, const char *name, const struct stat *st)
{
	char path[PATH_MAX + 256];
	struct watch_sub **v, *sub;

	if (w->nsubs >= WATCH_SUBS_MAX || (size_t)snprintf(path,
	    sizeof(path), "%s/%s", w->dir, name) >= sizeof(path) ||
	    (sub = calloc(1, sizeof(*sub))) == NULL)
		return 0;
	if ((v = realloc(w->subs, (w->nsubs + 1) * sizeof(*v))) == NULL) {
		free(sub);
		return 0;
	}
	w->subs = v;
	sub->w = w;
	sub->seen = 1;
	sub->dev = st->st_dev;
	sub->ino = st->st_ino;
	snprintf(sub->name, sizeof(sub->name), "%s", name);
	uv_fs_event_init(w->loop, &sub->ev);
	sub->ev.data = sub;
	if (uv_fs_event_start(&sub->ev, sub_event, path, 0) != 0) {
		uv_close((uv_handle_t *)&sub->ev, sub_freed);
		return 0;
	}
	w->subs[w->nsubs++] = sub;
	return 1;
}

/* The folders of the folder watched, those gone let go (all: none). */
static void
subs_sync(struct watch *w, int none)
{
	struct dirent *de;
	struct stat st;
	size_t i;
	DIR *d;

	for (i = 0; i < w->nsubs; i++)
		w->subs[i]->seen = 0;
	if (!none && (d = opendir(w->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || (de->d_type != DT_DIR &&
			    de->d_type != DT_UNKNOWN) || fstatat(dirfd(d),
			    de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
			    !S_ISDIR(st.st_mode))
				continue;
			for (i = 0; i < w->nsubs &&
			    (strcmp(w->subs[i]->name, de->d_name) ||
			    w->subs[i]->gone || w->subs[i]->dev != st.st_dev ||
			    w->subs[i]->ino != st.st_ino); i++)
				;
			if (i < w->nsubs)
				w->subs[i]->seen = 1;	/* else its old one goes */
			else
				(void)sub_add(w, de->d_name, &st);
		}
		closedir(d);
	}
	for (i = w->nsubs; i-- > 0;)
		if (!w->subs[i]->seen)
			sub_drop(w, i);
}

/* Watch whatever folder the path names now; 0 or a libuv error code. */
static int
watch_again(struct watch *w)
{
	int rc;

	if (w->active) {
		uv_fs_event_stop(&w->ev);
		w->active = 0;
	}
	w->moved = 0;
	subs_sync(w, 1);	/* another folder: its own, below */
	if ((rc = uv_fs_event_start(&w->ev, watch_event, w->dir, 0)) != 0)
		return rc;
	w->active = 1;
	subs_sync(w, 0);
	return 0;
}

static void
watch_settled(uv_timer_t *t)
{
	struct watch *w = t->data;
	int rc;

	if (w->moved && (rc = watch_again(w)) != 0)
		log_warnx("migrations folder '%s' gone: %s", w->dir,
		    uv_strerror(rc));
	else if (w->active)
		subs_sync(w, 0);	/* folders made or gone since */
	w->cb(w->arg, w->last);
}

/* Something changed: act once it settles (every event pushes it back). */
static void
watch_changed(struct watch *w, const char *file)
{
	snprintf(w->last, sizeof(w->last), "%.*s", (int)sizeof(w->last) - 1,
	    file);
	log_debug("watch: '%s' changed", w->last);
	uv_timer_start(&w->settle, watch_settled, WATCH_SETTLE_MS, 0);
}

static void
watch_event(uv_fs_event_t *h, const char *file, int events, int status)
{
	struct watch *w = h->data;
	const char *base;

	if (status < 0) {
		log_warnx("watch: %s", uv_strerror(status));
		return;
	}
	(void)events;
	/* libuv names an event of the folder itself by its last component */
	base = strrchr(w->dir, '/') ? strrchr(w->dir, '/') + 1 : w->dir;
	if (file == NULL || strcmp(file, base) == 0)
		w->moved = 1;
	watch_changed(w, file ? file : "");
}

static int
same_inode(const uv_stat_t *a, const uv_stat_t *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The path stat'ed again: another folder (or one back) is a change. */
static void
watch_polled(uv_fs_poll_t *p, int status, const uv_stat_t *prev,
    const uv_stat_t *curr)
{
	struct watch *w = p->data;
	int rc;

	if (status < 0) {
		log_warnx("migrations folder '%s': %s", w->dir,
		    uv_strerror(status));
		return;
	}
	/* prev is the last stat that worked, even across a failure */
	if (same_inode(prev, curr) && w->active && !w->moved)
		return;		/* a change inside: inotify has it */
	log_info("migrations folder '%s' is another folder now: watching it",
	    w->dir);
	if ((rc = watch_again(w)) != 0)
		log_warnx("cannot watch '%s': %s", w->dir, uv_strerror(rc));
	watch_changed(w, ".");
}

int
watch_init(struct watch *w, uv_loop_t *loop, void (*cb)(void *,
    const char *), void *arg)
{
	memset(w, 0, sizeof(*w));
	w->cb = cb;
	w->arg = arg;
	w->loop = loop;
	uv_fs_event_init(loop, &w->ev);
	uv_timer_init(loop, &w->settle);
	w->ev.data = w;
	w->settle.data = w;
	w->inited = 1;
	return 0;
}

static void
poll_freed(uv_handle_t *h)
{
	free(h);
}

/* Close the poll handle of the last path, if any. */
static void
poll_drop(struct watch *w)
{
	if (w->poll == NULL)
		return;
	uv_close((uv_handle_t *)w->poll, poll_freed);
	w->poll = NULL;
}

int
watch_start(struct watch *w, const char *dir)
{
	int rc;

	if ((size_t)snprintf(w->dir, sizeof(w->dir), "%s", dir) >=
	    sizeof(w->dir)) {
		log_warnx("cannot watch '%s': %s", dir,
		    uv_strerror(UV_ENAMETOOLONG));
		return UV_ENAMETOOLONG;
	}
	/* the poll first: it finds a folder that cannot be watched yet */
	poll_drop(w);
	if ((w->poll = malloc(sizeof(*w->poll))) == NULL) {
		log_warnx("cannot watch '%s': out of memory", dir);
		return UV_ENOMEM;
	}
	uv_fs_poll_init(w->loop, w->poll);
	w->poll->data = w;
	if ((rc = uv_fs_poll_start(w->poll, watch_polled, w->dir,
	    WATCH_POLL_MS)) != 0 || (rc = watch_again(w)) != 0) {
		log_warnx("cannot watch '%s': %s", dir, uv_strerror(rc));
		return rc;
	}
	log_debug("watching %s", dir);
	return 0;
}

void
watch_stop(struct watch *w)
{
	if (!w->inited)
		return;
	if (w->poll)
		uv_fs_poll_stop(w->poll);
	uv_timer_stop(&w->settle);
	if (w->active)
		uv_fs_event_stop(&w->ev);
	w->active = 0;
	subs_sync(w, 1);
}

void
watch_close(struct watch *w)
{
	if (!w->inited)
		return;
	w->inited = 0;
	subs_sync(w, 1);
	free(w->subs);
	w->subs = NULL;
	uv_close((uv_handle_t *)&w->ev, NULL);
	poll_drop(w);
	uv_close((uv_handle_t *)&w->settle, NULL);
}
