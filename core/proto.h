/*
 * proto.h - the control protocol between migratectl and migrated.
 *
 * Line-delimited JSON over a SOCK_STREAM Unix socket (docs/protocol.md).
 * A request is one object on one line: {"cmd":"up","steps":2}.  The reply
 * is zero or more {"type":"progress",...} lines followed by exactly one
 * {"type":"result",...,"end":true} line, the end marker.  Every message
 * carries "proto": PROTO_VERSION.
 *
 * Ownership: json_t values returned by proto_* are new references the
 * caller owns (json_decref); "data" arguments are stolen.  Strings in
 * struct proto_request are owned by it and freed by proto_request_release.
 */
#ifndef MIGRATE_PROTO_H
#define MIGRATE_PROTO_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "version.h"

#define PROTO_VERSION		MIGRATED_PROTO_VERSION
#define PROTO_MAX_REQUEST	(64 * 1024)	/* bytes, newline included */

/* Result codes: one enum, one string table (bgpd's ctl_results). */
enum proto_code {
	PROTO_OK = 0,
	PROTO_FAILED,		/* the operation ran and failed */
	PROTO_MALFORMED,	/* not JSON, not an object, no "cmd" */
	PROTO_TOO_LARGE,	/* request longer than PROTO_MAX_REQUEST */
	PROTO_UNKNOWN_CMD,
	PROTO_BAD_ARG,		/* missing, unknown or mistyped field */
	PROTO_BAD_VERSION,	/* client speaks a newer protocol */
	PROTO_DENIED,		/* permission denied */
	PROTO_BUSY,		/* another mutating operation runs */
	PROTO_UNAVAILABLE,	/* database unavailable */
	PROTO_NOT_AVAILABLE,	/* not available in this build */
	PROTO_CONFIRM,		/* destructive: resend with "yes": true */
	PROTO_SHUTDOWN,		/* the daemon is stopping */
	PROTO_LIMIT,		/* too many connections */
	PROTO_INTERNAL,
	PROTO_UNREACHABLE,	/* client side: no daemon on the socket */
	PROTO_NCODES
};

const char	*proto_code_name(enum proto_code);	/* "busy" */
const char	*proto_code_text(enum proto_code);	/* "another ..." */
enum proto_code	 proto_code_from_name(const char *);	/* unknown: INTERNAL */
enum proto_code	 proto_code_from_merr(const struct merr *);

/*
 * One request struct for every command; fields a command does not take
 * stay unset (NULL, -1, 0).  The daemon validates the fields a command
 * accepts against its proto_arg list.
 */
struct proto_request {
	char	 cmd[32];
	long	 proto;		/* client's protocol version, 0: absent */
	long	 steps;		/* up/down N, -1: absent */
	long	 limit;		/* log: rows, -1: absent */
	int	 all;		/* down --all */
	int	 yes;		/* confirmed a destructive operation */
	int	 dry_run;
	int	 out_of_order;
	int	 markdown;	/* log --markdown */
	int	 strict;	/* validate --strict */
	int	 wait_ready;	/* status: answer once ready (wait-ready) */
	char	*to;		/* up/down --to VERSION */
	char	*version;	/* goto/force VERSION, log --version */
	char	*since;		/* log --since TIME */
	char	*sub;		/* audit SUBCOMMAND */
	char	*from;		/* adopt --from TOOL */
	char	*member;	/* status/up --member NAME (a fleet) */
};

enum proto_argtype { PA_INT, PA_BOOL, PA_STR };

struct proto_arg {
	const char		*name;
	enum proto_argtype	 type;
	size_t			 off;	/* offsetof(struct proto_request) */
	int			 required;
};
#define PROTO_ARG(n, t, f, req) \
	{ n, t, offsetof(struct proto_request, f), req }

void	proto_request_init(struct proto_request *);
void	proto_request_release(struct proto_request *);

/*
 * Parse one request line (without its newline).  On success *obj holds
 * the parsed object (caller decrefs) and r->cmd and r->proto are set.
 * Errors name the JSON field (e->field) or the column of a syntax error.
 */
int	proto_request_parse(const char *line, size_t len,
	    struct proto_request *r, json_t **obj, struct merr *e);
/*
 * Check obj's fields against args (NULL-name terminated; "cmd" and
 * "proto" are always allowed) and fill r.  Unknown fields, wrong types
 * and missing required fields are errors naming the field.
 */
int	proto_request_args(json_t *obj, const struct proto_arg *args,
	    struct proto_request *r, struct merr *e);
/* The request as a JSON object with its set fields (client side). */
json_t	*proto_request_to_json(const struct proto_request *r);

/* Replies. */
json_t	*proto_result(const char *cmd, json_t *data);
json_t	*proto_error(const char *cmd, enum proto_code,
	    const struct merr *e);
json_t	*proto_progress(const char *cmd, json_t *data);
/* One compact line with its trailing newline; caller frees. */
char	*proto_encode(const json_t *msg, size_t *len);

/* A parsed reply line (client side); msg owned by the struct. */
struct proto_reply {
	json_t		*msg;
	int		 is_result;	/* result (end marker) vs progress */
	enum proto_code	 code;
	json_t		*data;		/* borrowed from msg, may be NULL */
	struct merr	 err;		/* filled when code != PROTO_OK */
};
int	proto_reply_parse(const char *line, size_t len,
	    struct proto_reply *rep, struct merr *e);
void	proto_reply_release(struct proto_reply *);

/* Copy a merr into a JSON error object and back. */
json_t	*proto_merr_to_json(const struct merr *e);
void	proto_merr_from_json(const json_t *obj, struct merr *e);

/*
 * A bounded line buffer for either side of the socket.  proto_buf_next()
 * returns 1 with a line (no newline, NUL-terminated, valid until the next
 * call), 0 when no full line is buffered, or -1 once when a line grew past
 * max: the buffer then discards up to the next newline and carries on.
 */
struct proto_buf {
	char	*data;
	size_t	 len, cap, max, start;
	int	 discarding;
};
void	proto_buf_init(struct proto_buf *, size_t max);
void	proto_buf_release(struct proto_buf *);
int	proto_buf_append(struct proto_buf *, const char *, size_t);
int	proto_buf_next(struct proto_buf *, char **line, size_t *len);

#endif
