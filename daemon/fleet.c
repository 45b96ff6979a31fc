/* fleet.c - the one-shot modes over a fleet of databases (fleet.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fleet.h"
#include "log.h"
#include "migrate.h"
#include "oneshot.h"
#include "plan.h"
#include "status.h"
#include "t1call.h"

#define FLEET_NAMES_SHOWN	8	/* failed names listed in the summary */

static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Plan and read the tracking table: the verdict of check. */
static int
check_run(const struct config *cfg, struct check_verdict *v,
    struct fleet_report *rep, struct merr *e)
{
	struct t2_summary t2;
	struct migrate_result r;
	struct plan *p = NULL;
	struct mig_env env;
	struct db db;
	int rc;

	memset(&env, 0, sizeof(env));
	env.cfg = cfg;
	env.db = &db;
	migrate_result_init(&r);
	t2_summary_init(&t2);
	if ((rc = db_connect(&db, cfg->database, "migrated check", e)) == 0) {
		rc = t1_call(&env, T1_PLAN_ONLY, NULL, &p, e);
		if (rc == 0)
			rc = migrate_check_status(&env, &r, e);
		if (rc == 0 && r.notice)	/* another tool's history */
			log_info("check: %s", r.notice);
		if (rc == 0)
			rc = t2_summary_from(&t2, &r, e);
		db_close(&db);
	}
	if (rc == 0) {
		check_verdict_make(v, p, &t2);
		if (rep) {
			rep->clean = v->clean;
			rep->t1_read = 1;
			rep->t1_clean = v->safe + v->refused + v->drift == 0;
			rep->pending = (long)t2.npending;
			snprintf(rep->version, sizeof(rep->version), "%s",
			    t2.current);
		}
	}
	plan_free(p);
	t2_summary_release(&t2);
	migrate_result_release(&r);
	return rc;
}

/* check on one database, its verdict logged; rep (may be NULL) filled */
static int
check_once(const struct config *cfg, struct fleet_report *rep)
{
	struct check_verdict v;
	struct merr e;

	merr_clear(&e);
	if (check_run(cfg, &v, rep, &e) == -1) {
		log_merr("error", &e);
		if (rep)
			merr_format(&e, rep->error, sizeof(rep->error));
		return 1;
	}
	for (int i = 0; i < v.nproblems; i++)
		log_warnx("check: %s", v.problems[i]);
	if (v.clean)
		log_info("check: in sync, nothing pending");
	return v.clean ? 0 : 3;
}

int
oneshot_check(const struct config *cfg)
{
	return check_once(cfg, NULL);
}

/* smaller than PIPE_BUF: one write, whole or not at all */
static void
member_send(const struct fleet_report *rep, int fd)
{
	if (write(fd, rep, sizeof(*rep)) != (ssize_t)sizeof(*rep))
		log_warn("cannot report to the daemon");
}

/*
 * After work that changed something or failed: the member's state read
 * again (o->report), on a connection of its own.
 */
static void
member_report(const struct config *mc, int rc, const struct merr *err,
    struct fleet_report *rep)
{
	struct check_verdict v;
	struct merr e;

	merr_clear(&e);
	if (rc != 0)
		merr_format(err, rep->error, sizeof(rep->error));
	if (check_run(mc, &v, rep, &e) == -1 && rc == 0)
		merr_format(&e, rep->error, sizeof(rep->error));
}

/*
 * The member's process: the single-database mode on its connection
 * (t2only: tier 2 alone, fleet_opts).
 */
static void __attribute__((noreturn))
member_main(const struct config *cfg, const struct fleet_member *m,
    const struct fleet_opts *o, int t2only, int fd)
{
	struct config mc = *cfg;	/* borrowed: this process exits */
	struct fleet_report rep;
	struct merr err;
	char prog[128];
	int rc, known = 0;

	snprintf(prog, sizeof(prog), "migrated[%s]", m->name);
	log_init(prog, o->verbose, getenv("JOURNAL_STREAM") != NULL);
	mc.database = m->conninfo;
	mc.fleet.on = 0;
	merr_clear(&err);
	memset(&rep, 0, sizeof(rep));
	/* check: its one read is the report; work: read again if it
	   changed something (oneshot_member) */
	if (o->check) {
		rc = check_once(&mc, &rep);
		known = 1;
	} else
		rc = oneshot_member(&mc, o->up, t2only, &err, &rep, &known);
	if (fd != -1) {
		if (!known)
			member_report(&mc, rc, &err, &rep);
		member_send(&rep, fd);
	}
	fflush(stdout);
	_exit(rc);
}

static int
member_start(const struct config *cfg, const struct fleet_member *m,
    const struct fleet_opts *o, int t2only, struct fleet_outcome *out)
{
	int fds[2] = { -1, -1 };
	pid_t pid;

	if (o->report && pipe2(fds, O_CLOEXEC) == -1) {
		log_warn("cannot start the process of member '%s'", m->name);
		return -1;
	}
	if (o->fork_enter)
		o->fork_enter(o->fork_arg);
	fflush(stdout);		/* nothing buffered copied into the child */
	fflush(stderr);
	pid = fork();
	if (pid != 0 && o->fork_leave)
		o->fork_leave(o->fork_arg);
	if (pid == -1) {
		log_warn("cannot start the process of member '%s'", m->name);
		if (fds[0] != -1) {
			close(fds[0]);
			close(fds[1]);
		}
		return -1;
	}
	if (pid == 0) {
		if (fds[0] != -1)
			close(fds[0]);
		member_main(cfg, m, o, t2only, fds[1]);
	}
	if (fds[1] != -1)
		close(fds[1]);
	out->fd = fds[0];
	out->pid = pid;
	out->t0 = now_ms();
	return 0;
}

/* Its exit and report, once member i's process has ended. */
static void
member_ended(struct fleet_outcome *o, int st)
{
	o->pid = 0;
	o->done = 1;
	o->ms = now_ms() - o->t0;
	o->rc = WIFEXITED(st) ? WEXITSTATUS(st) :
	    128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	if (o->fd != -1) {
		o->reported = read(o->fd, &o->rep, sizeof(o->rep)) ==
		    (ssize_t)sizeof(o->rep);
		close(o->fd);
		o->fd = -1;
	}
}

/*
 * Wait until a member's process ends; -1 when no child is left.  The
 * members are this process's only children (migrated starts no other),
 * so the first to end is waited for, whichever it is.
 */
static int
member_reap(struct fleet_outcome *v, size_t n, size_t *which)
{
	siginfo_t si;
	int st;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (waitpid(si.si_pid, &st, 0) == -1 && errno == EINTR)
			;
		for (size_t i = 0; i < n; i++)
			if (v[i].pid == si.si_pid) {
				member_ended(&v[i], st);
				*which = i;
				return 0;
			}
	}
}

void
fleet_each(const struct config *cfg, const struct fleet_list *l,
    const struct fleet_opts *o, struct fleet_outcome *v)
{
	size_t next = 0, running = 0, which;

	for (size_t i = 0; i < l->n; i++)
		v[i].fd = -1;
	while (next < l->n || running > 0) {
		if (o->stop && *o->stop)
			next = l->n;	/* finish what runs, start nothing */
		while (running < (size_t)cfg->fleet.parallel && next < l->n) {
			if (member_start(cfg, &l->v[next], o, o->t2only &&
			    o->t2only[next], &v[next]) == 0)
				running++;
			else
				v[next].done = 1, v[next].rc = 1;
			next++;
		}
		if (running == 0 || member_reap(v, l->n, &which) == -1)
			break;
		running--;
		if (o->each)
			o->each(o->each_arg, which, &v[which]);
	}
}

/* "3 failed (a, b, c)" into f, for members whose exit code is rc. */
static size_t
summary_names(FILE *f, const char *what, const struct fleet_list *l,
    const struct fleet_outcome *v, int want)
{
	size_t cnt = 0;

	for (size_t i = 0; i < l->n; i++)
		if (v[i].done && v[i].rc != 0 && (want == 0 ?
		    v[i].rc != 3 : v[i].rc == want))
			cnt++;
	if (cnt == 0)
		return 0;
	fprintf(f, ", %zu %s (", cnt, what);
	for (size_t i = 0, shown = 0; i < l->n; i++) {
		if (!v[i].done || v[i].rc == 0 || (want == 0 ? v[i].rc == 3 :
		    v[i].rc != want))
			continue;
		if (shown++ == FLEET_NAMES_SHOWN) {
			fprintf(f, ", ...");
			break;
		}
		fprintf(f, "%s%s", shown > 1 ? ", " : "", l->v[i].name);
	}
	fputc(')', f);
	return cnt;
}

/* The fleet's one line: how many ok, pending, failed, the slowest. */
static int
fleet_summary(const struct fleet_list *l, const struct fleet_outcome *v,
    const struct fleet_opts *o, long ms)
{
	size_t ok = 0, slow = 0, failed, pending = 0;
	char *line = NULL;
	size_t len;
	FILE *f;

	for (size_t i = 0; i < l->n; i++) {
		ok += v[i].done && v[i].rc == 0;
		if (v[i].ms > v[slow].ms)
			slow = i;
	}
	if ((f = open_memstream(&line, &len)) == NULL)
		return 1;
	fprintf(f, "fleet: %zu member%s, %zu %s", l->n, l->n == 1 ? "" : "s",
	    ok, o->check ? "in sync" : "done");
	if (o->check)
		pending = summary_names(f, "pending", l, v, 3);
	failed = summary_names(f, "failed", l, v, 0);
	if (l->n)
		fprintf(f, "; slowest '%s' %ld ms", l->v[slow].name,
		    v[slow].ms);
	fprintf(f, "; %ld ms in all", ms);
	if (fclose(f) == 0 && line) {
		if (failed || pending)
			log_warnx("%s", line);
		else
			log_info("%s", line);
	}
	free(line);
	return failed ? 1 : pending ? 3 : 0;
}

int
fleet_run(const struct config *cfg, const struct fleet_opts *o)
{
	struct fleet_outcome *v;
	struct fleet_list l, one;
	const struct fleet_member *m;
	struct merr e;
	long t0 = now_ms();
	int rc;

	merr_clear(&e);
	if (fleet_members(cfg, &l, &e) == -1) {
		log_merr("error", &e);
		return 1;
	}
	one = l;
	if (o->member) {
		if ((m = fleet_find(&l, o->member)) == NULL) {
			log_errorx("error: no member '%s' in the fleet (%zu "
			    "members)", o->member, l.n);
			fleet_list_release(&l);
			return 1;
		}
		one.v = l.v + (m - l.v);	/* a view into l */
		one.n = 1;
	}
	if ((v = calloc(one.n ? one.n : 1, sizeof(*v))) == NULL) {
		log_errorx("error: out of memory");
		fleet_list_release(&l);
		return 1;
	}
	log_info("fleet: %zu member%s, %ld in parallel", one.n,
	    one.n == 1 ? "" : "s", cfg->fleet.parallel);
	fleet_each(cfg, &one, o, v);
	rc = fleet_summary(&one, v, o, now_ms() - t0);
	free(v);
	fleet_list_release(&l);
	return rc;
}
