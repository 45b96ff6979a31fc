/* notify.c - sd_notify and socket activation without libsystemd. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static void
notify_watchdog_cb(uv_timer_t *t)
{
	struct notify *n = t->data;

	notify_send(n, "WATCHDOG=1");
}

static uint64_t
env_u64(const char *name)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return 0;
	return v;
}

void
notify_init(struct notify *n, uv_loop_t *loop)
{
	const char *s = getenv("NOTIFY_SOCKET");
	uint64_t wpid;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (s && (*s == '/' || *s == '@') && strlen(s) < sizeof(n->path))
		snprintf(n->path, sizeof(n->path), "%s", s);
	n->watchdog_usec = env_u64("WATCHDOG_USEC");
	wpid = env_u64("WATCHDOG_PID");
	if (wpid && wpid != (uint64_t)getpid())
		n->watchdog_usec = 0;	/* meant for another process */
	uv_timer_init(loop, &n->watchdog);
	n->watchdog.data = n;
	if (n->watchdog_usec && n->path[0]) {
		uint64_t ms = n->watchdog_usec / 2000;

		uv_timer_start(&n->watchdog, notify_watchdog_cb, 0,
		    ms ? ms : 1);
		n->timer_on = 1;
		log_debug("watchdog: every %llu ms", (unsigned long long)ms);
	}
}

int
notify_send(struct notify *n, const char *fmt, ...)
{
	struct sockaddr_un sa;
	socklen_t salen;
	char msg[1024];
	va_list ap;
	size_t plen;

	if (n->path[0] == '\0')
		return 0;
	if (n->fd == -1 &&
	    (n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	plen = strlen(n->path);
	memcpy(sa.sun_path, n->path, plen);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (n->path[0] == '@' ? 0 : 1));
	if (sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, salen) == -1) {
		log_debug("notify: cannot send to %s: %s", n->path,
		    strerror(errno));
		return -errno;
	}
	return 0;
}

void
notify_close(struct notify *n)
{
	if (n->timer_on)
		uv_timer_stop(&n->watchdog);
	uv_close((uv_handle_t *)&n->watchdog, NULL);
	if (n->fd != -1)
		close(n->fd);
	n->fd = -1;
}

int
notify_listen_fd(void)
{
	uint64_t pid = env_u64("LISTEN_PID"), nfds = env_u64("LISTEN_FDS");
	int fd = 3, flags;

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (pid != (uint64_t)getpid() || nfds < 1)
		return -1;
	if (nfds > 1)
		log_warnx("socket activation: %llu sockets passed, using the "
		    "first", (unsigned long long)nfds);
	for (int i = 3; i < 3 + (int)nfds; i++)
		if ((flags = fcntl(i, F_GETFD)) != -1)
			fcntl(i, F_SETFD, flags | FD_CLOEXEC);
	return fd;
}
