/* client.c - talking to migrated over its Unix socket. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

int
client_open(struct client *c, const char *path, struct merr *e)
{
	struct sockaddr_un sa;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->path = path;
	proto_buf_init(&c->in, CLIENT_MAX_REPLY);
	if (strlen(path) >= sizeof(sa.sun_path))
		return merr_set(e, MERR_USAGE, "socket path '%s' is too long",
		    path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return merr_set(e, MERR_IO, "socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	if (errno == EACCES || errno == EPERM) {
		merr_set(e, MERR_PERM, "permission denied on control socket "
		    "'%s'", path);
		merr_hint(e, "the socket's group and mode decide who may "
		    "connect (socket.group, socket.mode)");
	} else {
		merr_set(e, MERR_CONNECT, "cannot connect to migrated at "
		    "'%s': %s", path, strerror(errno));
		merr_hint(e, "is migrated running? (systemctl status "
		    "migrated; -s SOCKET, --service NAME or MIGRATED_SOCKET "
		    "picks another)");
	}
	client_close(c);
	return -1;
}

void
client_close(struct client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	proto_buf_release(&c->in);
}

pid_t
client_peer(const struct client *c)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (c->fd == -1 || getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &uc,
	    &len) == -1 || len != sizeof(uc))
		return 0;
	return uc.pid;
}

int
client_peer_exited(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int zombie = 0;

	if (pid <= 1)
		return 0;
	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	/* after ')': the command may hold spaces and parentheses */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL &&
	    p[1] == ' ')
		zombie = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return zombie;
}

/*
 * The daemon may have refused the connection (too many from this uid,
 * stopping) and closed it before the request was sent: its reply, if
 * any, says why, which beats "Broken pipe".
 */
static int
client_refused(struct client *c, int err, struct merr *e)
{
	struct proto_reply rep;
	struct merr ignore;

	merr_clear(&ignore);
	memset(&rep, 0, sizeof(rep));
	if (client_next(c, &rep, &ignore) == 1 && rep.code != PROTO_OK) {
		*e = rep.err;
		proto_reply_release(&rep);
		return -1;
	}
	if (rep.msg)
		proto_reply_release(&rep);
	return merr_set(e, MERR_CONNECT, "cannot send to migrated: %s",
	    strerror(err));
}

int
client_timeout(struct client *c, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int
client_send(struct client *c, const struct proto_request *r, struct merr *e)
{
	json_t *o = proto_request_to_json(r);
	char *line;
	size_t len, off = 0;
	ssize_t n;

	line = o ? proto_encode(o, &len) : NULL;
	json_decref(o);
	if (line == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(line);
			return client_refused(c, errno, e);
		}
		off += (size_t)n;
	}
	free(line);
	return 0;
}

int
client_next(struct client *c, struct proto_reply *rep, struct merr *e)
{
	char buf[65536], *line;
	size_t len;
	ssize_t n;
	int rc;

	for (;;) {
		rc = proto_buf_next(&c->in, &line, &len);
		if (rc == -1)
			return merr_set(e, MERR_INPUT, "reply from migrated is "
			    "too large");
		if (rc == 1) {
			if (len == 0)
				continue;
			if (proto_reply_parse(line, len, rep, e) == -1)
				return -1;
			return 1;
		}
		n = read(c->fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK))
			c->closed = 1;
		if (n <= 0)
			return merr_set(e, MERR_CONNECT, "connection to migrated "
			    "closed before the end of the reply%s%s",
			    n ? ": " : "", n ? strerror(errno) : "");
		if (proto_buf_append(&c->in, buf, (size_t)n) == -1)
			return merr_set(e, MERR_NOMEM, "out of memory");
	}
}

int
client_ready(const struct client *c)
{
	const struct proto_buf *b = &c->in;

	return b->data && b->len > b->start &&
	    memchr(b->data + b->start, '\n', b->len - b->start) != NULL;
}
