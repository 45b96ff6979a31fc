/*
 * log.c - stderr logging with syslog priority prefixes.
 *
 * The four settings below are the only mutable statics in core/: they are
 * written once by log_init() at start-up, before any thread exists.  With
 * debug logging on a terminal or file (not journald, which stamps lines
 * itself), each line carries the seconds since log_init(): where a start
 * spends its time reads straight off the log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"

static const char	*log_name = "migrated";
static int		 log_verbose;
static int		 log_syslog;
static struct timespec	 log_t0;

void
log_init(const char *progname, int verbose, int syslog_prefix)
{
	log_name = progname;
	log_verbose = verbose;
	log_syslog = syslog_prefix;
	clock_gettime(CLOCK_MONOTONIC, &log_t0);
}

/* "[0.012] " since log_init(), in debug logging off journald; or "". */
static void
log_stamp(char *buf, size_t len)
{
	struct timespec t;

	buf[0] = '\0';
	if (!log_verbose || log_syslog)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	snprintf(buf, len, "[%.3f] ", (double)(t.tv_sec - log_t0.tv_sec) +
	    (double)(t.tv_nsec - log_t0.tv_nsec) / 1e9);
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char buf[4096], stamp[32];
	int n;

	if (pri == LOG_PRI_DEBUG && !log_verbose)
		return;
	log_stamp(stamp, sizeof(stamp));
	if (log_syslog)
		n = snprintf(buf, sizeof(buf), "<%d>", pri);
	else
		n = snprintf(buf, sizeof(buf), "%s: %s", log_name, stamp);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	/* one event, one line: fold embedded newlines */
	for (char *p = buf + n; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (suffix)
		fprintf(stderr, "%s: %s\n", buf, suffix);
	else
		fprintf(stderr, "%s\n", buf);
	fflush(stderr);
}

#define LOGFN(name, pri, withstrerr)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	int saved = errno;					\
								\
	va_start(ap, fmt);					\
	vlog(pri, fmt, ap, withstrerr ? strerror(saved) : NULL);\
	va_end(ap);						\
	errno = saved;						\
}

LOGFN(log_warn, LOG_PRI_WARNING, 1)
LOGFN(log_warnx, LOG_PRI_WARNING, 0)
LOGFN(log_notice, LOG_PRI_NOTICE, 0)
LOGFN(log_info, LOG_PRI_INFO, 0)
LOGFN(log_debug, LOG_PRI_DEBUG, 0)
LOGFN(log_errorx, LOG_PRI_ERR, 0)

void
log_merr(const char *prefix, const struct merr *e)
{
	char buf[1024];

	merr_format(e, buf, sizeof(buf));
	if (e->field[0] && !strstr(buf, e->field))
		log_errorx("%s: %s (key '%s')", prefix, buf, e->field);
	else
		log_errorx("%s: %s", prefix, buf);
	if (e->detail[0])
		log_errorx("detail: %s", e->detail);
	if (e->hint[0])
		log_errorx("hint: %s", e->hint);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_PRI_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_PRI_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
