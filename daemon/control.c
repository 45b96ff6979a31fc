/* control.c - the control socket server. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "notify.h"

struct wreq {
	uv_write_t	 req;
	struct conn	*c;
	char		*buf;
};

static void	control_conn_close(struct conn *);

/* Is a live daemon answering on path?  1 yes, 0 no (stale or absent). */
static int
control_in_use(const char *path)
{
	struct sockaddr_un sa;
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

static int
control_prepare_path(const char *path, struct merr *e)
{
	struct stat st;

	if (control_in_use(path)) {
		merr_set(e, MERR_IO, "control socket '%s' is already in use",
		    path);
		merr_hint(e, "another migrated is running on it; stop it, or "
		    "set another socket path");
		return -1;
	}
	if (lstat(path, &st) == -1)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		merr_set(e, MERR_IO, "control socket '%s' exists and is not "
		    "a socket", path);
		return -1;
	}
	if (unlink(path) == -1) {
		merr_set(e, MERR_IO, "cannot remove stale control socket "
		    "'%s': %s", path, strerror(errno));
		return -1;
	}
	log_info("removed stale control socket %s", path);
	return 0;
}

/* The socket's group from cfg; *gid (gid_t)-1 when none is named. */
static int
control_group(const struct config *cfg, gid_t *gid, struct merr *e)
{
	struct group *gr;

	*gid = (gid_t)-1;
	if (cfg->socket_group == NULL)
		return 0;
	if ((gr = getgrnam(cfg->socket_group)) == NULL) {
		merr_set(e, MERR_CONFIG, "unknown group '%s' for the control "
		    "socket", cfg->socket_group);
		snprintf(e->field, sizeof(e->field), "socket.group");
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

int
control_check(const struct config *cfg, struct merr *e)
{
	gid_t gid;

	return control_group(cfg, &gid, e);
}

static int
control_set_owner(const char *path, const struct config *cfg,
    struct merr *e)
{
	gid_t gid;

	if (chmod(path, cfg->socket_mode) == -1)
		return merr_set(e, MERR_IO, "cannot set mode %04o on '%s': %s",
		    (unsigned)cfg->socket_mode, path, strerror(errno));
	if (control_group(cfg, &gid, e) == -1)
		return -1;
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1)
		return merr_set(e, MERR_IO, "cannot set group '%s' on '%s': %s",
		    cfg->socket_group, path, strerror(errno));
	return 0;
}

/*
 * libuv 1.44 (Debian 12) has no uv_pipe_bind2(), and uv_pipe_bind()
 * silently truncates a long path: bind ourselves, with the length checked
 * (config_load refuses paths of 108 bytes or more), under a umask that
 * keeps the socket private until chmod gives it the configured mode.
 */
static int
control_bind(const char *path, const struct config *cfg, struct merr *e)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return merr_set(e, MERR_CONFIG, "socket path '%s' is too long",
		    path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return merr_set(e, MERR_IO, "socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		umask(old);
		merr_set(e, MERR_IO, "cannot create control socket '%s': %s",
		    path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (control_set_owner(path, cfg, e) == -1 || listen(fd, 64) == -1) {
		if (e->msg[0] == '\0')
			merr_set(e, MERR_IO, "listen: %s", strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

#define CONTROL_MAX_PWBUF	(16 * 1024 * 1024)	/* for getpwuid_r */

/* The name of uid into c->user, or leave the number there. */
static void
control_peer_name(struct conn *c)
{
	struct passwd pw, *res = NULL;
	long max = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = max > 0 ? (size_t)max : 4096;
	char *buf = NULL, *nbuf;
	int rc;

	for (;;) {
		if ((nbuf = realloc(buf, len)) == NULL) {
			rc = ENOMEM;
			break;
		}
		buf = nbuf;
		rc = getpwuid_r(c->uid, &pw, buf, len, &res);
		if (rc != ERANGE || len >= CONTROL_MAX_PWBUF)
			break;
		len *= 2;
	}
	if (rc == 0 && res)
		snprintf(c->user, sizeof(c->user), "%s", pw.pw_name);
	else if (rc != 0)
		log_warnx("control: cannot look up uid %ld: %s", (long)c->uid,
		    strerror(rc));
	free(buf);
}

static void
control_peer(struct conn *c)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uv_os_fd_t fd = -1;

	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	c->pid = -1;
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
		c->uid = cr.uid;
		c->gid = cr.gid;
		c->pid = cr.pid;
	}
	snprintf(c->user, sizeof(c->user), "%ld", (long)c->uid);
	control_peer_name(c);
	/* the peer's real supplementary groups, from the kernel too */
	len = sizeof(c->groups);
	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, c->groups,
	    &len) == 0)
		c->ngroups = (int)(len / sizeof(gid_t));
	else
		c->ngroups = 0;	/* too many or unknown: primary gid only */
}

static void
control_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	buf->base = malloc(65536);
	buf->len = buf->base ? 65536 : 0;
}

/* Serve buffered lines until one starts a job or none is left. */
static void
control_serve(struct conn *c)
{
	char *line;
	size_t len;
	int rc;

	while (!c->inflight && !c->closing && !c->close_after_write) {
		rc = proto_buf_next(&c->in, &line, &len);
		if (rc == 0)
			break;
		if (rc == -1) {
			struct merr e;

			merr_clear(&e);
			merr_set(&e, MERR_INPUT, "request too large: more than "
			    "%d bytes", PROTO_MAX_REQUEST);
			control_send(c, proto_error(NULL, PROTO_TOO_LARGE, &e));
			continue;
		}
		if (len == 0)
			continue;
		if (c->ctl->serve(c->ctl->arg, c, line, len) == 1)
			c->inflight = 1;
	}
	if (c->inflight || c->closing || c->close_after_write)
		uv_read_stop((uv_stream_t *)&c->pipe);
}

static void
control_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = (struct conn *)s;

	if (n < 0) {
		free(buf->base);
		control_conn_close(c);
		return;
	}
	if (n > 0 && proto_buf_append(&c->in, buf->base, (size_t)n) == -1) {
		log_warnx("control: out of memory, dropping uid %ld",
		    (long)c->uid);
		free(buf->base);
		control_conn_close(c);
		return;
	}
	free(buf->base);
	c->active = uv_now(c->pipe.loop);
	control_serve(c);
}

void
control_done(struct conn *c)
{
	c->inflight = 0;
	c->active = uv_now(c->pipe.loop);
	if (c->closing)
		return;
	control_serve(c);
	if (!c->inflight && !c->closing && !c->close_after_write)
		uv_read_start((uv_stream_t *)&c->pipe, control_alloc_cb,
		    control_read_cb);
}

static void
control_conn_closed(uv_handle_t *h)
{
	struct conn *c = (struct conn *)h;

	proto_buf_release(&c->in);
	free(c);
}

static void
control_conn_close(struct conn *c)
{
	struct conn **pp;

	if (c->closing)
		return;
	c->closing = 1;
	for (pp = &c->ctl->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			c->ctl->nconns--;
			break;
		}
	log_debug("control: uid %ld pid %ld disconnected", (long)c->uid,
	    (long)c->pid);
	uv_close((uv_handle_t *)&c->pipe, control_conn_closed);
}

static void
control_write_cb(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct conn *c = w->c;

	free(w->buf);
	free(w);
	c->writes--;
	if (status < 0 || (c->close_after_write && c->writes == 0))
		control_conn_close(c);
}

/* Queue buf (taken over, len bytes) for c; a client that does not read
   its replies is dropped, and so is one we have no memory for. */
static void
control_write(struct conn *c, char *buf, size_t len)
{
	struct wreq *w;
	uv_buf_t b;

	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
	    CONTROL_MAX_QUEUED) {
		log_warnx("control: uid %ld pid %ld does not read its "
		    "replies, dropping it", (long)c->uid, (long)c->pid);
		free(buf);
		control_conn_close(c);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		free(buf);
		control_conn_close(c);
		return;
	}
	w->c = c;
	w->buf = buf;
	b = uv_buf_init(w->buf, (unsigned)len);
	c->writes++;
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1,
	    control_write_cb) != 0) {
		c->writes--;
		free(w->buf);
		free(w);
		control_conn_close(c);
	}
}

void
control_send(struct conn *c, json_t *msg)
{
	char *buf;
	size_t len;

	if (msg == NULL || c->closing) {
		json_decref(msg);
		return;
	}
	buf = proto_encode(msg, &len);
	json_decref(msg);
	if (buf == NULL) {
		control_conn_close(c);	/* out of memory: drop this one */
		return;
	}
	control_write(c, buf, len);
}

/* msgs (taken over) in one write. */
void
control_send_all(struct conn *c, json_t *msgs)
{
	size_t i, len, off = 0, cap = 0;
	char *line, *buf = NULL, *nbuf;
	json_t *msg;

	if (c->closing || json_array_size(msgs) == 0)
		goto out;
	json_array_foreach(msgs, i, msg) {
		if (msg == NULL || (line = proto_encode(msg, &len)) == NULL)
			goto nomem;
		if (off + len > cap) {
			cap = (off + len) * 2;
			if ((nbuf = realloc(buf, cap)) == NULL) {
				free(line);
				goto nomem;
			}
			buf = nbuf;
		}
		memcpy(buf + off, line, len);
		off += len;
		free(line);
	}
	control_write(c, buf, off);
	buf = NULL;
	goto out;
nomem:
	control_conn_close(c);	/* out of memory: drop this one */
out:
	free(buf);
	json_decref(msgs);
}

static int
control_count_uid(struct control *ctl, uid_t uid)
{
	int n = 0;

	for (struct conn *c = ctl->conns; c; c = c->next)
		if (c->uid == uid)
			n++;
	return n;
}

static int
control_idle(const struct conn *c)
{
	return !c->inflight && !c->writes && !c->closing &&
	    !c->close_after_write;
}

/*
 * Make room for uid's new connection: its least recently used idle one
 * goes (a client that left sockets open must not lock its own uid out).
 * 0: room made, -1: all of them are busy.
 */
static int
control_evict_idle(struct control *ctl, uid_t uid, const struct conn *keep)
{
	struct conn *old = NULL;

	for (struct conn *c = ctl->conns; c; c = c->next)
		if (c != keep && c->uid == uid && control_idle(c) &&
		    (old == NULL || c->active < old->active))
			old = c;
	if (old == NULL)
		return -1;
	log_info("control: uid %ld has %d connections: closing its idle one "
	    "of pid %ld", (long)uid, CONTROL_MAX_PER_UID, (long)old->pid);
	control_conn_close(old);
	return 0;
}

static void
control_idle_cb(uv_timer_t *t)
{
	struct control *ctl = t->data;
	uint64_t now = uv_now(t->loop);
	struct conn *c, *next;

	for (c = ctl->conns; c; c = next) {
		next = c->next;
		if (control_idle(c) && now - c->active >= CONTROL_IDLE_MS) {
			log_debug("control: uid %ld pid %ld idle for %d s: "
			    "closed", (long)c->uid, (long)c->pid,
			    CONTROL_IDLE_MS / 1000);
			control_conn_close(c);
		}
	}
}

static void
control_refuse(struct conn *c, enum proto_code code, const char *msg)
{
	struct merr e;

	merr_clear(&e);
	merr_set(&e, MERR_BUSY, "%s", msg);
	log_warnx("control: refused uid %ld pid %ld: %s", (long)c->uid,
	    (long)c->pid, msg);
	c->close_after_write = 1;
	control_send(c, proto_error(NULL, code, &e));
}

static void
control_accept_cb(uv_stream_t *server, int status)
{
	struct control *ctl = server->data;
	struct conn *c;
	char msg[128];
	int privileged;

	if (status < 0) {
		log_warnx("control: accept: %s", uv_strerror(status));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("control: out of memory");
		return;
	}
	uv_pipe_init(server->loop, &c->pipe, 0);
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		uv_close((uv_handle_t *)&c->pipe, control_conn_closed);
		return;
	}
	c->ctl = ctl;
	c->id = ++ctl->next_id;
	proto_buf_init(&c->in, PROTO_MAX_REQUEST);
	control_peer(c);
	c->next = ctl->conns;
	ctl->conns = c;
	ctl->nconns++;
	log_debug("control: uid %ld (%s) pid %ld connected", (long)c->uid,
	    c->user, (long)c->pid);
	if (ctl->stopping) {
		control_refuse(c, PROTO_SHUTDOWN, "the daemon is stopping");
		return;
	}
	c->active = uv_now(server->loop);
	/* root and the daemon's own uid are never locked out */
	privileged = c->uid == 0 || c->uid == geteuid();
	if (!privileged && control_count_uid(ctl, c->uid) >
	    CONTROL_MAX_PER_UID && control_evict_idle(ctl, c->uid, c) == -1) {
		snprintf(msg, sizeof(msg), "too many connections from uid %ld "
		    "(at most %d), all busy", (long)c->uid,
		    CONTROL_MAX_PER_UID);
		control_refuse(c, PROTO_LIMIT, msg);
		return;
	}
	if (ctl->nconns > CONTROL_MAX_CONNS +
	    (privileged ? CONTROL_RESERVE : 0)) {
		snprintf(msg, sizeof(msg), "too many connections (at most %d)",
		    CONTROL_MAX_CONNS);
		control_refuse(c, PROTO_LIMIT, msg);
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, control_alloc_cb,
	    control_read_cb);
}

int
control_listen(struct control *ctl, control_serve_fn serve, void *arg,
    uv_loop_t *loop, const struct config *cfg, struct merr *e)
{
	int fd, rc;

	memset(ctl, 0, sizeof(*ctl));
	ctl->serve = serve;
	ctl->arg = arg;
	if ((fd = notify_listen_fd()) >= 0) {
		log_info("control socket passed by systemd (fd %d)", fd);
	} else {
		snprintf(ctl->path, sizeof(ctl->path), "%s", cfg->socket_path);
		if (control_prepare_path(ctl->path, e) == -1 ||
		    (fd = control_bind(ctl->path, cfg, e)) == -1)
			return -1;
		ctl->created = 1;
	}
	uv_pipe_init(loop, &ctl->listener, 0);
	ctl->listener.data = ctl;
	ctl->listening = 1;
	uv_timer_init(loop, &ctl->idle);
	ctl->idle.data = ctl;
	uv_timer_start(&ctl->idle, control_idle_cb, CONTROL_IDLE_MS / 4,
	    CONTROL_IDLE_MS / 4);
	ctl->idle_on = 1;
	if ((rc = uv_pipe_open(&ctl->listener, fd)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&ctl->listener, 64,
	    control_accept_cb)) != 0) {
		merr_set(e, MERR_IO, "cannot listen on the control socket: %s",
		    uv_strerror(rc));
		control_close(ctl);
		return -1;
	}
	if (ctl->created)
		log_info("listening on %s (mode %04o%s%s)", ctl->path,
		    (unsigned)cfg->socket_mode, cfg->socket_group ?
		    ", group " : "", cfg->socket_group ? cfg->socket_group :
		    "");
	return 0;
}

void
control_stop_accepting(struct control *ctl)
{
	ctl->stopping = 1;
	if (ctl->idle_on) {
		uv_close((uv_handle_t *)&ctl->idle, NULL);
		ctl->idle_on = 0;
	}
	if (!ctl->listening)
		return;
	ctl->listening = 0;
	uv_close((uv_handle_t *)&ctl->listener, NULL);
	if (ctl->created && ctl->path[0])
		unlink(ctl->path);
	ctl->created = 0;
}

/* Close every connection; one with replies still queued after they go. */
void
control_close(struct control *ctl)
{
	struct conn *c, *next;

	control_stop_accepting(ctl);
	for (c = ctl->conns; c; c = next) {
		next = c->next;
		if (c->writes > 0) {
			c->close_after_write = 1;
			uv_read_stop((uv_stream_t *)&c->pipe);
		} else {
			control_conn_close(c);
		}
	}
}

struct conn *
control_find(struct control *ctl, uint64_t id)
{
	for (struct conn *c = ctl->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}
