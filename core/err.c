/* err.c - filling and formatting struct merr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
merr_clear(struct merr *e)
{
	memset(e, 0, sizeof(*e));
}

static int
merr_vset(struct merr *e, enum merr_code code, const char *fmt, va_list ap)
{
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int
merr_set(struct merr *e, enum merr_code code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	merr_vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
merr_setpos(struct merr *e, enum merr_code code, const char *file, int line,
    int col, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	merr_vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

void
merr_detail(struct merr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

void
merr_hint(struct merr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof(e->hint), fmt, ap);
	va_end(ap);
}

const char *
merr_code_name(enum merr_code c)
{
	static const char *names[] = {
		[MERR_OK] = "ok", [MERR_USAGE] = "usage",
		[MERR_CONFIG] = "config", [MERR_INPUT] = "input",
		[MERR_IO] = "io", [MERR_DB] = "database",
		[MERR_CONNECT] = "unavailable", [MERR_LOCKED] = "locked",
		[MERR_REFUSED] = "refused", [MERR_STATE] = "state",
		[MERR_PERM] = "permission", [MERR_BUSY] = "busy",
		[MERR_NOMEM] = "nomem", [MERR_INTERNAL] = "internal",
	};

	if ((size_t)c >= sizeof(names) / sizeof(names[0]) || !names[c])
		return "unknown";
	return names[c];
}

void
merr_format(const struct merr *e, char *buf, size_t len)
{
	if (e->file[0] && e->line > 0 && e->col > 0)
		snprintf(buf, len, "%s:%d:%d: %s", e->file, e->line, e->col,
		    e->msg);
	else if (e->file[0] && e->line > 0)
		snprintf(buf, len, "%s:%d: %s", e->file, e->line, e->msg);
	else if (e->file[0])
		snprintf(buf, len, "%s: %s", e->file, e->msg);
	else
		snprintf(buf, len, "%s", e->msg);
}
