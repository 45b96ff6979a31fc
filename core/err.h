/*
 * err.h - the error struct every fallible function in libmigrate fills.
 *
 * Functions return 0 on success and -1 on failure; details go into a
 * caller-supplied struct merr.  Nothing in core/ prints an error: the caller
 * decides where it goes.  All strings are inline buffers (no ownership).
 */
#ifndef MIGRATE_ERR_H
#define MIGRATE_ERR_H

#include <stddef.h>

enum merr_code {
	MERR_OK = 0,
	MERR_USAGE,		/* bad arguments or options */
	MERR_CONFIG,		/* bad configuration file */
	MERR_INPUT,		/* bad model / migration file or request */
	MERR_IO,		/* file system or socket error */
	MERR_DB,		/* database error (sqlstate set when known) */
	MERR_CONNECT,		/* database unreachable */
	MERR_LOCKED,		/* lock timeout after retries */
	MERR_REFUSED,		/* hazardous change refused */
	MERR_STATE,		/* dirty / checksum / out-of-order state */
	MERR_PERM,		/* permission denied */
	MERR_BUSY,		/* another operation is running */
	MERR_NOMEM,
	MERR_INTERNAL,
};

struct merr {
	enum merr_code	code;
	char		msg[512];
	char		detail[512];
	char		hint[512];
	char		file[256];	/* input errors: file name */
	int		line;		/* 1-based, 0 when unknown */
	int		col;		/* 1-based, 0 when unknown */
	char		field[128];	/* config key or JSON field */
	char		sqlstate[6];	/* PostgreSQL SQLSTATE or "" */
};

void	merr_clear(struct merr *);
int	merr_set(struct merr *, enum merr_code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	merr_setpos(struct merr *, enum merr_code, const char *file,
	    int line, int col, const char *, ...)
	    __attribute__((format(printf, 6, 7)));
void	merr_detail(struct merr *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	merr_hint(struct merr *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
const char *merr_code_name(enum merr_code);

/*
 * Format "file:line:col: msg" (position parts omitted when unknown) into
 * buf.  Detail and hint are not included; callers print them on their own
 * lines as PostgreSQL's tools do.
 */
void	merr_format(const struct merr *, char *buf, size_t len);

#endif
