/* fleet.c - the one-shot modes over a fleet of databases (fleet.h). */
#include <errno.h>
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

/* One member's outcome, as its process exited. */
struct fleet_outcome {
	pid_t	pid;		/* running: its process; else 0 */
	int	rc;		/* exit code; 128 + signal when killed */
	long	ms;		/* how long it took */
	long	t0;		/* start, ms on the monotonic clock */
	int	done;
};

static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int
oneshot_check(const struct config *cfg)
{
	struct check_verdict v;
	struct t2_summary t2;
	struct migrate_result r;
	struct plan *p = NULL;
	struct mig_env env;
	struct db db;
	struct merr e;
	int rc;

	merr_clear(&e);
	memset(&env, 0, sizeof(env));
	env.cfg = cfg;
	env.db = &db;
	migrate_result_init(&r);
	t2_summary_init(&t2);
	if ((rc = db_connect(&db, cfg->database, "migrated check", &e)) == 0) {
		rc = t1_call(&env, T1_PLAN_ONLY, NULL, &p, &e);
		if (rc == 0)
			rc = migrate_status(&env, &r, &e);
		if (rc == 0)
			rc = t2_summary_from(&t2, &r, &e);
		db_close(&db);
	}
	if (rc == 0) {
		check_verdict_make(&v, p, &t2);
		for (int i = 0; i < v.nproblems; i++)
			log_warnx("check: %s", v.problems[i]);
		if (v.clean)
			log_info("check: in sync, nothing pending");
		rc = v.clean ? 0 : 3;
	} else {
		log_merr("error", &e);
		rc = 1;
	}
	plan_free(p);
	t2_summary_release(&t2);
	migrate_result_release(&r);
	return rc;
}

/* The member's process: the single-database mode on its connection. */
static void __attribute__((noreturn))
member_main(const struct config *cfg, const struct fleet_member *m,
    const struct fleet_opts *o)
{
	struct config mc = *cfg;	/* borrowed: this process exits */
	char prog[128];
	int rc;

	snprintf(prog, sizeof(prog), "migrated[%s]", m->name);
	log_init(prog, o->verbose, getenv("JOURNAL_STREAM") != NULL);
	mc.database = m->conninfo;
	mc.fleet.on = 0;
	rc = o->check ? oneshot_check(&mc) : oneshot_member(&mc, o->up);
	fflush(stdout);
	_exit(rc);
}

static int
member_start(const struct config *cfg, const struct fleet_member *m,
    const struct fleet_opts *o, struct fleet_outcome *out)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		log_warn("cannot start the process of member '%s'", m->name);
		return -1;
	}
	if (pid == 0)
		member_main(cfg, m, o);
	out->pid = pid;
	out->t0 = now_ms();
	return 0;
}

/* Wait for one member's process; -1 when none is left. */
static int
member_reap(struct fleet_outcome *v, size_t n)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, 0)) == -1 && errno == EINTR)
		;
	if (pid == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i].pid != pid)
			continue;
		v[i].pid = 0;
		v[i].done = 1;
		v[i].ms = now_ms() - v[i].t0;
		v[i].rc = WIFEXITED(st) ? WEXITSTATUS(st) :
		    128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		break;
	}
	return 0;
}

/* Run every member, at most parallel at a time. */
static void
fleet_each(const struct config *cfg, const struct fleet_list *l,
    const struct fleet_opts *o, struct fleet_outcome *v)
{
	size_t next = 0, running = 0;

	while (next < l->n || running > 0) {
		while (running < (size_t)cfg->fleet.parallel && next < l->n) {
			if (member_start(cfg, &l->v[next], o, &v[next]) == 0)
				running++;
			else
				v[next].done = 1, v[next].rc = 1;
			next++;
		}
		if (running == 0 || member_reap(v, l->n) == -1)
			break;
		running--;
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
