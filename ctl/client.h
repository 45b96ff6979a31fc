/*
 * client.h - migratectl's side of the control socket: connect, send one
 * request, read the reply stream up to its end marker.
 */
#ifndef MIGRATECTL_CLIENT_H
#define MIGRATECTL_CLIENT_H

#include <sys/types.h>

#include "err.h"
#include "proto.h"

#define CLIENT_MAX_REPLY	(64 * 1024 * 1024)	/* one reply line */

struct client {
	int			 fd;
	const char		*path;
	struct proto_buf	 in;
	int			 closed;	/* the daemon's end went
						   (not a timeout) */
};

/*
 * Connect to path.  Errors: MERR_CONNECT (no daemon there: exit 4) or
 * MERR_PERM (the socket's permissions: exit 5).
 */
int	client_open(struct client *, const char *path, struct merr *);
void	client_close(struct client *);
/*
 * The pid of the process that last called listen() on the socket
 * (SO_PEERCRED): the daemon, also under socket activation; 0 unknown.
 */
pid_t	client_peer(const struct client *);
/*
 * Has process pid exited (gone, or a zombie its parent has not waited
 * for yet)?  0 when it runs, or when that cannot be told.
 */
int	client_peer_exited(pid_t pid);
/* Give up reading a reply after ms milliseconds (client_next fails). */
int	client_timeout(struct client *, long ms);
int	client_send(struct client *, const struct proto_request *,
	    struct merr *);
/*
 * Read the next message; rep is the caller's to release.  Returns 1 for a
 * message, -1 on error (connection closed before the end marker, bad
 * reply).
 */
int	client_next(struct client *, struct proto_reply *, struct merr *);
/* Is a whole message already read (client_next will not wait)? */
int	client_ready(const struct client *);

#endif
