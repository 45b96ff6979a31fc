/*
 * notify.h - the systemd notify and socket-activation protocols, spoken
 * directly (no libsystemd), as systemd's notify-selfcontained-example.c.
 *
 * Without $NOTIFY_SOCKET every call is a no-op.  The watchdog timer is
 * embedded and closed by notify_close().
 */
#ifndef MIGRATED_NOTIFY_H
#define MIGRATED_NOTIFY_H

#include <stdint.h>

#include <uv.h>

struct notify {
	char		path[108];	/* $NOTIFY_SOCKET, "" when unset */
	int		fd;		/* SOCK_DGRAM, -1 until first use */
	uint64_t	watchdog_usec;	/* 0: no watchdog */
	uv_timer_t	watchdog;
	int		timer_on;
};

void	notify_init(struct notify *, uv_loop_t *);
/* Send "READY=1", "STATUS=...", "STOPPING=1", ...: 0, or -errno. */
int	notify_send(struct notify *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	notify_close(struct notify *);

/*
 * The first socket passed by systemd ($LISTEN_FDS, $LISTEN_PID, fd 3), or
 * -1 when not socket-activated.  The variables are unset afterwards.
 */
int	notify_listen_fd(void);

#endif
