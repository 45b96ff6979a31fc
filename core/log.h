/*
 * log.h - one line per event, after OpenBGPD's log.c.
 *
 * Lines go to stderr prefixed with the syslog priority "<N>" that journald
 * reads (log_init(..., 1)), or plain "migrated: " for a terminal.  core/
 * code uses log_debug only; errors travel in struct merr.
 */
#ifndef MIGRATE_LOG_H
#define MIGRATE_LOG_H

#include <stdarg.h>

#define LOG_PRI_ERR	3
#define LOG_PRI_WARNING	4
#define LOG_PRI_NOTICE	5
#define LOG_PRI_INFO	6
#define LOG_PRI_DEBUG	7

/* verbose: 0 info and up, 1 debug; syslog_prefix: "<N>" instead of name */
void	log_init(const char *progname, int verbose, int syslog_prefix);
void	log_setverbose(int);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
struct merr;
/*
 * An error the way PostgreSQL's tools print it: "PREFIX: file:line:col:
 * message (key 'field')", then "detail: ..." and "hint: ..." lines.
 */
void	log_merr(const char *prefix, const struct merr *);
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
