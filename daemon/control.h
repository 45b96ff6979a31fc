/*
 * control.h - the control socket: listen, accept, peer credentials,
 * bounded line reading, replies (after bgpd's control.c).
 *
 * A struct conn is owned by the control server from accept until its close
 * callback frees it; other code keeps only its id and looks it up again
 * with control_find(), so a client that disconnects mid-operation leaves
 * nothing dangling.  One request per connection is in flight at a time:
 * reading pauses until control_done().
 */
#ifndef MIGRATED_CONTROL_H
#define MIGRATED_CONTROL_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include "config.h"
#include "err.h"
#include "proto.h"

#define CONTROL_MAX_PER_UID	16	/* connections per peer uid */
#define CONTROL_MAX_CONNS	256	/* all peers together */
#define CONTROL_RESERVE		8	/* more, for root and our own uid */
#define CONTROL_IDLE_MS		60000	/* an idle connection is closed */
#define CONTROL_MAX_QUEUED	(4 * 1024 * 1024)	/* unread reply bytes */
#define CONTROL_MAX_GROUPS	64
#define CONTROL_MAX_DENIALS	3	/* denied requests, then closed */

struct control;
struct conn;

/*
 * Serve one request line from c: 0 answered, 1 a job now serves it (the
 * connection reads no further until control_done()).
 */
typedef int (*control_serve_fn)(void *arg, struct conn *c, const char *line,
    size_t len);

struct conn {
	uv_pipe_t	 pipe;		/* first: the handle is the conn */
	struct conn	*next;
	struct control	*ctl;
	uint64_t	 id;
	uid_t		 uid;		/* from SO_PEERCRED, never the peer */
	gid_t		 gid;
	pid_t		 pid;
	char		 user[64];	/* name of uid, or the number */
	gid_t		 groups[CONTROL_MAX_GROUPS];
	int		 ngroups;
	struct proto_buf in;
	int		 inflight;	/* a request is being served */
	int		 closing;
	int		 close_after_write;
	int		 writes;	/* uv_write requests pending */
	int		 denials;	/* requests denied on it */
	uint64_t	 active;	/* uv_now() of its last request */
};

struct control {
	uv_pipe_t	 listener;
	int		 listening;
	int		 created;	/* we bound path: unlink it at exit */
	char		 path[108];
	struct conn	*conns;
	int		 nconns;
	uint64_t	 next_id;
	int		 stopping;	/* refuse new connections */
	uv_timer_t	 idle;		/* closes idle connections */
	int		 idle_on;
	control_serve_fn serve;
	void		*arg;		/* for serve */
};

/*
 * Take the socket from systemd, or create it at cfg->socket_path with
 * cfg->socket_mode and cfg->socket_group after checking that no live
 * daemon answers on it and removing a stale socket file.
 */
/* What control_listen() would refuse in cfg before binding: the group. */
int	control_check(const struct config *, struct merr *);
int	control_listen(struct control *, control_serve_fn, void *arg,
	    uv_loop_t *, const struct config *, struct merr *);
void	control_stop_accepting(struct control *);
void	control_close(struct control *);
struct conn *control_find(struct control *, uint64_t id);
/* Queue msg (stolen) on c; drops c when it does not read its replies. */
void	control_send(struct conn *, json_t *msg);
/* The messages of an array (stolen), in one write. */
void	control_send_all(struct conn *, json_t *msgs);
/* The request in flight on c is answered: read the next one. */
void	control_done(struct conn *);

#endif
