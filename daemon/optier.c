/*
 * optier.c - the operations behind the tier commands and the daemon's own
 * start-up jobs: tier 1 (through t1call.h) and tier 2 (core/migrate.h).
 * Worker thread.
 *
 * Each op_* leaves its typed result in x->j->res (job.h): the summaries
 * status keeps (t1, t2) and what the command's reply function reads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "mtime.h"
#include "opctx.h"
#include "ops.h"
#include "t1call.h"
#include "version.h"

/* ---- tier 1 ---- */

static int
tier1_planned(struct opctx *x, struct plan **plan, struct merr *e)
{
	struct mig_env env;

	tier2_env(x, &env, 0, e);
	if (t1_call(&env, T1_PLAN_ONLY, NULL, plan, e) == -1) {
		if (*plan)
			plan_free(*plan);
		*plan = NULL;
		return -1;
	}
	return 0;
}

/*
 * After tier 2 changed the database: plan again (read-only) so that the
 * status shows drift a migration introduced.  The loop merges it into the
 * last tier-1 report.
 */
static void
tier1_replan(struct opctx *x)
{
	struct plan *plan = NULL;
	struct merr ignore;

	merr_clear(&ignore);
	if (tier1_planned(x, &plan, &ignore) == -1)
		return;
	if (t1_summary_plan(&x->j->res.t1, plan, &ignore) == 0)
		x->j->res.t1_kind = T1_PLANNED;
	plan_free(plan);
}

/* On the worker's connections; a stop or a cancel reaches it. */
static int
tier1_run(struct opctx *x, struct merr *e)
{
	struct tier1_report rep;
	struct plan *plan = NULL;
	struct mig_env env;
	int rc;

	if (tier2_env(x, &env, 1, e) == -1)
		return -1;
	rc = t1_call(&env, T1_APPLY, &rep, &plan, e);
	if (rc == 0 && (rc = t1_summary_run(&x->j->res.t1, &rep, plan, e)) == 0)
		x->j->res.t1_kind = T1_RAN;
	if (plan)
		plan_free(plan);
	return rc;
}

int
op_plan(struct opctx *x, struct merr *e)
{
	struct job_result *r = &x->j->res;

	if (ops_connect(x, e) == -1 || tier1_planned(x, &r->plan, e) == -1)
		return -1;
	return plan_format_text(r->plan, &r->plan_text, e);
}

/*
 * The models of the database, as `migrated --pull` writes them; the
 * files go back to migratectl, which writes them where its user asked.
 */
int
op_pull(struct opctx *x, struct merr *e)
{
	struct pull_opts o = { .own_schema = x->cfg->schema, .own_tables = {
	    x->cfg->tracking_table, x->cfg->audit_table, NULL } };

	if (ops_connect(x, e) == -1)
		return -1;
	if (pull_read(x->db, &o, &x->j->res.pull, e) == 0)
		return 0;
	if (e->code == MERR_INTERNAL)	/* our bug: in the daemon's log too */
		log_merr("pull", e);
	return -1;
}

/* ---- tier 2 ---- */

struct t2_op {
	int	(*fn)(const struct mig_env *, const struct proto_request *,
		    const struct migrate_opts *, struct migrate_result *,
		    struct merr *);
};

static int
t2_list_fn(const struct mig_env *env, const struct proto_request *q,
    const struct migrate_opts *o, struct migrate_result *r, struct merr *e)
{
	(void)q;
	(void)o;
	return migrate_list(env, r, e);
}

static int
t2_validate_fn(const struct mig_env *env, const struct proto_request *q,
    const struct migrate_opts *o, struct migrate_result *r, struct merr *e)
{
	(void)o;
	return migrate_validate(env, q->strict, r, e);
}

static int
t2_up_fn(const struct mig_env *env, const struct proto_request *q,
    const struct migrate_opts *o, struct migrate_result *r, struct merr *e)
{
	(void)q;
	return migrate_up(env, o, r, e);
}

static int
t2_down_fn(const struct mig_env *env, const struct proto_request *q,
    const struct migrate_opts *o, struct migrate_result *r, struct merr *e)
{
	(void)q;
	return migrate_down(env, o, r, e);
}

static int
t2_goto_fn(const struct mig_env *env, const struct proto_request *q,
    const struct migrate_opts *o, struct migrate_result *r, struct merr *e)
{
	return migrate_goto(env, q->version, o, r, e);
}

static int
t2_force_fn(const struct mig_env *env, const struct proto_request *q,
    const struct migrate_opts *o, struct migrate_result *r, struct merr *e)
{
	return migrate_force(env, q->version, o, r, e);
}

static int
t2_redo_fn(const struct mig_env *env, const struct proto_request *q,
    const struct migrate_opts *o, struct migrate_result *r, struct merr *e)
{
	(void)q;
	return migrate_redo(env, o, r, e);
}

static int
t2_adopt_fn(const struct mig_env *env, const struct proto_request *q,
    const struct migrate_opts *o, struct migrate_result *r, struct merr *e)
{
	return migrate_adopt(env, q->from, o, r, e);
}

static int
t2_baseline_fn(const struct mig_env *env, const struct proto_request *q,
    const struct migrate_opts *o, struct migrate_result *r, struct merr *e)
{
	return migrate_baseline(env, q->version, o, r, e);
}

const struct t2_op t2_list = { t2_list_fn };
const struct t2_op t2_validate = { t2_validate_fn };
const struct t2_op t2_up = { t2_up_fn };
const struct t2_op t2_down = { t2_down_fn };
const struct t2_op t2_goto = { t2_goto_fn };
const struct t2_op t2_force = { t2_force_fn };
const struct t2_op t2_redo = { t2_redo_fn };
const struct t2_op t2_adopt = { t2_adopt_fn };
const struct t2_op t2_baseline = { t2_baseline_fn };

/* A batch's pace as the "pace" object of its event (docs/protocol.md). */
static json_t *
pace_json(const struct progress_pace *c)
{
	if (c == NULL)
		return NULL;
	return json_pack("{s:I, s:I, s:I, s:i, s:f, s:f, s:I, s:I, s:f, "
	    "s:f, s:I, s:s, s:s, s:I, s:I}", "batch", (json_int_t)c->batch,
	    "rows", (json_int_t)c->rows, "ms", (json_int_t)c->ms, "retries",
	    c->retries, "probe_ms", c->probe_us >= 0 ? c->probe_us / 1000.0 :
	    -1.0, "probe_limit_ms", c->probe_limit_us >= 0 ?
	    c->probe_limit_us / 1000.0 : -1.0, "rate", (json_int_t)c->rate,
	    "base_rate", (json_int_t)c->base_rate, "busy", c->busy >= 0 ?
	    c->busy / 100.0 : -1.0, "base_busy", c->base_busy >= 0 ?
	    c->base_busy / 100.0 : -1.0, "target_ms",
	    (json_int_t)c->target_ms, "decision", c->decision, "reason",
	    c->reason, "size", (json_int_t)c->size, "pause_ms",
	    (json_int_t)c->pause_ms);
}

static void
tier2_progress(void *arg, const struct progress *p)
{
	struct opctx *x = arg;

	dbworker_progress(x->d, &x->j->task, json_pack("{s:s?, s:s?, s:s?, "
	    "s:s?, s:i, s:i, s:I, s:I, s:I, s:s?, s:o*}", "phase", p->phase,
	    "version", p->version, "name", p->name, "direction",
	    p->direction, "stmt", p->stmt, "nstmts", p->nstmts,
	    "rows_done", (json_int_t)p->rows_done, "rows_total",
	    (json_int_t)p->rows_total, "elapsed_ms",
	    (json_int_t)p->elapsed_ms, "message", p->message, "pace",
	    pace_json(p->pace)));
}

/*
 * The idle connection the tier-2 lock is taken on.  Opened by the first
 * job that takes the lock (runner_lock()), or by the start when a file
 * may run (side_lock()), not otherwise: one backend fewer to wait for
 * before ready, and an up with nothing to do needs none
 * (migrate_up_settled()).  Checked before each job that may lock;
 * lockinfo is the database it is, or will be, opened for.
 */
static int
tier2_lockdb(struct opctx *x, struct merr *e)
{
	const char *ci = x->cfg->database ? x->cfg->database : "";

	/* reloaded with another database, the server restarted, or it no
	   longer takes writes (a switchover: libpq finds the new primary) */
	if (x->o->lockdb.conn && (strcmp(x->o->lockinfo, ci) ||
	    !db_alive(&x->o->lockdb) ||
	    db_role_now(&x->o->lockdb) != DB_ROLE_PRIMARY))
		db_close(&x->o->lockdb);
	if (x->o->lockdb.conn)
		return 0;
	free(x->o->lockinfo);
	if ((x->o->lockinfo = strdup(ci)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return 0;
}

/*
 * The start's read of the folder stands for the first job's look when
 * that job comes to the folder this soon after it (its connection was
 * quick): the loop's watch, started before the read, sees a change made
 * since, and makes it a refresh of its own.  Later (a slow connect: up to
 * connect_timeout), the job looks, as every other job does: what it acts
 * on, `apply: on-start` included, is the folder once connected, and a
 * write the watch cannot see (through a hard link from elsewhere) is read.
 */
#define PRELOAD_LOOK_MS		50
#define START_TRK_MS		50	/* tier2_status() */

/*
 * Is the folder's cache the folder?  Looked at once a job, at its first
 * tier-2 step: the job acts on the folder as it was then.  A change after
 * is the next job's: the watcher's refresh, which comes after this job
 * (queued behind it, or owed: daemon_refresh()), or the next command's.
 * Nothing to look at when the watch saw no change since the cache was
 * last refreshed (fgate.h); else it is refreshed here, and the watch
 * trusted again.  A refresh that fails is left for the operation to meet
 * and report (mstate_load()), and looked at again by the job's next step.
 * The first job's look is the start's read when the job comes to the
 * folder within PRELOAD_LOOK_MS of it (ops_keep()); it counts as a look
 * of the gate's all the same, so that the entries are watched from the
 * same command either way.
 */
static int
tier2_folder(struct opctx *x)
{
	const char *dir = x->cfg->migrations_dir;
	struct merr ignore;
	int changed, preloaded;

	if (x->looked)
		return 1;
	/* ops_run() forgets the start's read once the first job ends */
	preloaded = x->o->preload_ms &&
	    mtime_now_ms() - x->o->preload_ms < PRELOAD_LOOK_MS;
	if (!fgate_quiet(&x->o->gate, dir)) {
		merr_clear(&ignore);
		if (!preloaded && migset_refresh(&x->o->cache, dir, &changed,
		    &ignore) == -1)
			return 0;
		fgate_trust(&x->o->gate, &x->o->cache);
		if (preloaded)
			log_debug("migrations folder looked at: as the start "
			    "read it (watched since)");
		else
			log_debug("migrations folder looked at: %s%s",
			    changed ? "read again" : "unchanged",
			    x->o->gate.trusted ? "" :
			    " (not watched: looked at every time)");
	}
	x->looked = 1;
	return 1;
}

/* tier2_env() but the look at the folder (cache_fresh 0). */
static int
tier2_env_unlooked(struct opctx *x, struct mig_env *env, int locking,
    struct merr *e)
{
	memset(env, 0, sizeof(*env));
	env->cfg = x->cfg;
	env->db = x->db;
	env->hook = &x->hook;
	env->actor = &x->j->actor;
	env->progress = tier2_progress;
	env->progress_arg = x;
	env->stop = &x->d->stop;
	env->cache = &x->o->cache;
	if (!locking)
		return 0;
	if (tier2_lockdb(x, e) == -1)
		return -1;
	env->lockdb = &x->o->lockdb;
	return 0;
}

int
tier2_env(struct opctx *x, struct mig_env *env, int locking,
    struct merr *e)
{
	int rc = tier2_env_unlooked(x, env, locking, e);

	env->cache_fresh = tier2_folder(x);
	return rc;
}

/* The start's read of the tracking table, no longer the table's state. */
static void
start_trk_drop(struct ops *o)
{
	tracking_release(&o->start_trk);
	o->has_start_trk = 0;
}

/*
 * Tier 2's status into the job's summary.  The first start's takes the
 * tracking table as its folder check read it (start_check()), when that
 * was less than START_TRK_MS ago and its takeover changed nothing: the
 * start itself writes nothing to the table in between.  What another
 * daemon wrote in those few ms shows at the next read, as it would had
 * it come just after this one: the read once the daemon listens
 * (latelisten.h), an up's own check.  A start that waited (tier 1 on a
 * lock, a slow server) reads the table again.
 */
static int
tier2_status(struct opctx *x, struct merr *e)
{
	struct migrate_result r;
	struct mig_env env;
	int rc;

	migrate_result_init(&r);
	tier2_env(x, &env, 0, e);
	if (x->o->has_start_trk &&
	    mtime_now_ms() - x->o->start_trk_ms < START_TRK_MS)
		env.trk_read = &x->o->start_trk;
	if ((rc = migrate_status(&env, &r, e)) == 0 &&
	    (rc = t2_summary_from(&x->j->res.t2, &r, e)) == 0)
		x->j->res.has_t2 = 1;
	migrate_result_release(&r);
	start_trk_drop(x->o);
	return rc;
}

static void
tier2_opts(const struct proto_request *q, struct migrate_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->steps = q->steps > 0 ? (int)q->steps : 0;
	o->target = q->to;
	o->all = q->all;
	o->allow_out_of_order = q->out_of_order;
	o->yes = q->yes;
	o->dry_run = q->dry_run;
}

/*
 * up with nothing pending, answered in one round trip on the connection
 * an earlier job left (migrate_up_settled: the server's writability, the
 * lock's holder and the tracking rows in one read).  0 with r untouched:
 * anything else is for the locked path, whose answer stands.
 */
static int
tier2_settled(struct opctx *x, struct migrate_result *r)
{
	struct settled_read q;
	struct migrate_opts o;
	struct mig_env env;
	struct merr ignore;

	merr_clear(&ignore);
	if (!ops_attached(x) ||
	    tier2_env_unlooked(x, &env, 1, &ignore) == -1)
		return 0;
	tier2_opts(&x->j->req, &o);
	/* the read first: the folder is looked at while the server works */
	if (migrate_up_settled_send(&env, &o, &q, &ignore) == -1)
		return 0;
	env.cache_fresh = tier2_folder(x);
	if (migrate_settled_end(&env, &q, r, &ignore) == 1) {
		log_debug("up: nothing pending (one read, no lock)");
		return 1;
	}
	return 0;
}

int
op_tier2(struct opctx *x, struct merr *e)
{
	const struct t2_op *op = x->j->cmd->arg;
	const struct proto_request *q = &x->j->req;
	struct migrate_result *r = &x->j->res.tier2;
	struct migrate_opts o;
	struct mig_env env;
	struct merr ignore;
	int rc, changed;

	if (op == &t2_up && tier2_settled(x, r))
		return 0;	/* changed nothing: status stays as it is */
	if (ops_connect(x, e) == -1 ||
	    tier2_env(x, &env, x->j->mutating, e) == -1)
		return -1;
	tier2_opts(q, &o);
	rc = op->fn(&env, q, &o, r, e);
	/* a failure may have changed something (statement-wise files) */
	changed = rc == -1 || r->nsteps > 0;
	/* goto backwards: the operation found it needs confirming */
	if (rc == -1 && e->code == MERR_REFUSED && !q->yes &&
	    cmdspec_confirms(x->j->cmd->spec))
		x->j->code = PROTO_CONFIRM;
	/* an up with nothing to do changed nothing: status stays as it is */
	if (db_ok(x->db) && (!x->j->mutating || changed)) {
		merr_clear(&ignore);
		tier2_status(x, &ignore);
		if (x->j->mutating)
			tier1_replan(x);
	}
	return rc;
}

/* Apply what is pending as the daemon itself (apply: on-start etc.). */
static int
tier2_autoup(struct opctx *x, struct merr *e)
{
	struct migrate_result r;
	struct migrate_opts o;
	struct mig_env env;
	int rc;

	if (tier2_env(x, &env, 1, e) == -1)
		return -1;
	memset(&o, 0, sizeof(o));
	migrate_result_init(&r);
	rc = migrate_up(&env, &o, &r, e);
	migrate_result_release(&r);
	if (rc == 0)
		rc = tier2_status(x, e);
	return rc;
}

/* What the takeover did, in the log. */
static void
takeover_log(const struct migrate_result *r)
{
	if (r->nsteps)
		log_info("tier 2: %zu version%s adopted as applied, up to %s",
		    r->nsteps, r->nsteps == 1 ? "" : "s",
		    r->steps[r->nsteps - 1].version);
	if (r->notice)
		log_warnx("%s", r->notice);
}

/*
 * Before tier 1: rename an old build's tracking table, or adopt another
 * tool's history (core/migadopt.c).  A refusal (a dirty history, a busy
 * lock) is logged and the start goes on: up refuses with the same words
 * until it is resolved.  Only a lost connection fails the start.
 */
static int
tier2_takeover(struct opctx *x, struct merr *e)
{
	struct migrate_result r;
	struct mig_env env;
	struct merr why;
	int need, rc = 0;

	merr_clear(&why);
	/* the start's check read migrated's own table: nothing to take */
	if (x->o->has_start_trk && x->o->start_trk.exists &&
	    !x->o->start_trk.legacy)
		return 0;
	tier2_env(x, &env, 0, e);
	if (migrate_takeover_needed(&env, &need, NULL, &why) == 0 && !need)
		return 0;
	start_trk_drop(x->o);	/* the table may change here */
	migrate_result_init(&r);
	if (why.code == 0 && tier2_env(x, &env, 1, &why) == 0 &&
	    migrate_takeover(&env, &r, &why) == 0)
		takeover_log(&r);
	if (why.code == MERR_CONNECT) {
		*e = why;
		rc = -1;
	} else if (why.code != 0) {
		log_merr("warning", &why);
	}
	migrate_result_release(&r);
	return rc;
}

/* ---- the daemon's own jobs ---- */

enum start_kind { START_FIRST, START_AGAIN, START_RELOAD };

/*
 * The loop's LISTEN connection (dblisten.h), opened before the state is
 * read so that no change announced after the read is missed; on the
 * worker's server, which takes writes (ops_connect).
 */
static int
ops_listen(struct opctx *x, struct merr *e)
{
	return announce_connect(&x->j->res.listen, x->cfg, e);
}

/*
 * The start's other connections, each opened on a thread of its own: a
 * new backend and an authentication, round trips that need not queue
 * behind the worker's.  The LISTEN one, a recheck's or a reload's (it
 * fails the job), while the worker checks the folder and the audit
 * table.  The lock's while it checks the audit table, and only when a
 * file may run (an up is likely to follow, and would wait for it; else
 * no job may ever need it: tier2_lockdb()), its session known as its
 * own when direct (db_connect(): a no-op up is then answered without
 * the lock, migrate_up_settled()); runner_lock() opens it if this could
 * not.  Only the worker thread touches them otherwise.
 */
struct side_conns {
	struct opctx	*x;
	struct merr	 e;
	int		 rc;
};

static void *
side_connect(void *arg)
{
	struct side_conns *sc = arg;

	merr_clear(&sc->e);
	sc->rc = ops_listen(sc->x, &sc->e);
	return NULL;
}

static void *
side_lock(void *arg)
{
	struct opctx *x = arg;
	struct merr ignore;

	merr_clear(&ignore);
	/* a direct one comes pinned (db_connect() asked) */
	if (tier2_lockdb(x, &ignore) == 0 && x->o->lockdb.conn == NULL)
		(void)db_connect(&x->o->lockdb, x->cfg->database,
		    DB_LOCK_APPNAME, &ignore);
	return NULL;
}

/*
 * The first start's folder check, before anything is written: the files
 * that may run (not applied, dirty, or changed since) parse, read from
 * the tracking table on the worker's connection; an applied file with
 * its tracked checksum parsed when it ran and is checked on a pool
 * thread after ready (daemon.c).  When the database cannot be read
 * (down, a standby, no such table to read), every file parses here, so
 * that a bad file stops the start at once as before.  -1 with e: a bad
 * file (MERR_INPUT), out of memory, stopped, or the connection's error.
 * *nrun: the files that may run (all of them when the table could not
 * be read), 0 once checked.
 */
static int
start_check(struct opctx *x, size_t *nrun, struct merr *e)
{
	struct mig_env env;
	struct merr why;

	*nrun = 0;
	if (x->o->checked)
		return 0;
	merr_clear(&why);
	if (ops_worker(x, &why) == 0) {
		tier2_env(x, &env, 0, e);
		if (migrate_check_pending(&env, nrun, &x->o->start_trk,
		    e) == 0) {
			x->o->checked = 1;
			x->o->has_start_trk = 1;
			x->o->start_trk_ms = mtime_now_ms();
			return 0;
		}
		if (e->code == MERR_INPUT || e->code == MERR_NOMEM ||
		    x->d->stop || !db_ok(x->db))
			return -1;
		why = *e;	/* the table could not be read: all of them */
	}
	tier2_env(x, &env, 0, e);
	env.db = NULL;
	if (migrate_check(&env, e) == -1)
		return -1;
	x->o->checked = 1;
	if (x->db == NULL || why.code == MERR_CONNECT) {
		*e = why;
		return -1;
	}
	*nrun = x->o->cache.n;
	return 0;	/* the start meets that error again where it did */
}

/*
 * ops_connect() beside ops_listen() when listen (a recheck, a reload: the
 * first start's opens once ready, daemon/latelisten.h) and, at the first
 * start, the lock's connection when a file may run; the worker's error
 * first.  The first start checks the folder (start_check()) before
 * ops_connect() writes anything (the audit table, when it is missing).
 */
static int
ops_connect_all(struct opctx *x, int listen, struct merr *e)
{
	struct side_conns sc = { x, { 0 }, 0 };
	pthread_t th, tl;
	int threaded = 0, locking = 0, rc;
	size_t nrun;

	if (listen && !(threaded = pthread_create(&th, NULL, side_connect,
	    &sc) == 0))
		side_connect(&sc);
	if ((rc = start_check(x, &nrun, e)) == 0) {
		locking = nrun > 0 &&
		    pthread_create(&tl, NULL, side_lock, x) == 0;
		rc = ops_connect(x, e);
	}
	if (threaded)
		pthread_join(th, NULL);
	if (locking)
		pthread_join(tl, NULL);
	if (rc == 0 && sc.rc == -1) {
		*e = sc.e;
		rc = -1;
	}
	if (rc == -1)
		db_close(&x->j->res.listen);
	return rc;
}

/*
 * Parse the rollbacks the cached set has not parsed yet, so that status
 * names those that do not parse (it parses nothing itself).  At start
 * and when the folder changed; only running out of memory fails.
 */
static int
tier2_rollbacks(struct opctx *x, struct merr *e)
{
	struct mig_env env;
	struct merr why;

	merr_clear(&why);
	tier2_env(x, &env, 0, e);
	if (migrate_parse_rollbacks(&env, &why) == -1 &&
	    why.code == MERR_NOMEM) {
		*e = why;
		return -1;
	}
	return 0;
}

/*
 * startup (once), recheck (database back) and reload: connect, tier 1,
 * tier-2 status; pending enhancements applied when the config says so.
 */
static int
op_start_steps(struct opctx *x, enum start_kind kind, struct merr *e)
{
	char detail[300];

	/* the first start's LISTEN waits until ready (latelisten.h) */
	if (ops_connect_all(x, kind != START_FIRST, e) == -1) {
		x->j->res.unchecked = !x->o->checked;
		return -1;
	}
	log_debug("start: connected, audit table checked%s",
	    kind != START_FIRST ? ", listening for other daemons" : "");
	if (kind == START_FIRST && !x->o->started) {
		snprintf(detail, sizeof(detail), "pid %ld, config %s",
		    (long)getpid(), x->cfg->path ? x->cfg->path : "(none)");
		if (ops_emit(x, "daemon.start", MIGRATED_VERSION, detail, 1,
		    e) == -1)
			return -1;
		x->o->started = 1;
	}
	if (kind == START_RELOAD && ops_emit(x, "daemon.reload",
	    x->cfg->path, NULL, 1, e) == -1)
		return -1;
	log_debug("start: daemon.start recorded");
	if (tier2_takeover(x, e) == -1)
		return -1;
	log_debug("start: tracking table checked");
	if (tier1_run(x, e) == -1)
		return -1;
	log_debug("start: tier 1 done");
	if (tier2_rollbacks(x, e) == -1)
		return -1;
	log_debug("start: rollbacks parsed");
	if (tier2_status(x, e) == -1)
		return -1;
	log_debug("start: tier 2 status read");
	if (kind == START_FIRST && x->cfg->apply != APPLY_ON_COMMAND &&
	    x->j->res.t2.npending > 0)
		return tier2_autoup(x, e);
	return 0;
}

/* The start's read of the tracking table lives for this job only. */
static int
op_start(struct opctx *x, enum start_kind kind, struct merr *e)
{
	int rc = op_start_steps(x, kind, e);

	start_trk_drop(x->o);
	return rc;
}

int
op_startup(struct opctx *x, struct merr *e)
{
	return op_start(x, START_FIRST, e);
}

int
op_recheck(struct opctx *x, struct merr *e)
{
	return op_start(x, START_AGAIN, e);
}

int
op_reload(struct opctx *x, struct merr *e)
{
	return op_start(x, START_RELOAD, e);
}

/*
 * Another daemon changed the database: read what status shows again, the
 * way check reads it (tier 2's status, tier 1's plan).  The one after the
 * first LISTEN (daemon/latelisten.h) takes the folder as last read.
 */
int
op_sync(struct opctx *x, struct merr *e)
{
	x->looked = x->j->folder_as_read;	/* tier2_folder() */
	if (ops_connect(x, e) == -1 || tier2_status(x, e) == -1)
		return -1;
	tier1_replan(x);
	return 0;
}

/*
 * The watcher saw the folder change: read its state again (and maybe
 * apply).  Parsing and linting every file is not done here but on a
 * pool thread (daemon/check.c), so a huge file holds up no command.
 */
int
op_refresh(struct opctx *x, struct merr *e)
{
	if (ops_connect(x, e) == -1 || tier2_rollbacks(x, e) == -1 ||
	    tier2_status(x, e) == -1)
		return -1;
	if (x->j->mutating && x->j->res.t2.npending > 0)
		return tier2_autoup(x, e);
	return 0;
}

int
op_check(struct opctx *x, struct merr *e)
{
	struct plan *plan = NULL;

	if (ops_connect(x, e) == -1 || tier1_planned(x, &plan, e) == -1)
		return -1;
	if (tier2_status(x, e) == -1) {
		plan_free(plan);
		return -1;
	}
	check_verdict_make(&x->j->res.check, plan, &x->j->res.t2);
	plan_free(plan);
	return 0;
}

/* ---- before connecting ---- */

/*
 * The start's models (ops_models(), before its first connection opens)
 * and folder (ops_preload(): read and hashed; what may run parses on the
 * worker, start_check()).  A reload (or -n) loads the models and parses
 * the folder without a database (ops_preflight()), so that a bad file
 * stops it before anything connects: on a pool thread on reload.
 */
int
ops_models(const struct config *cfg, struct merr *e)
{
	struct schema *s = NULL;

	if (model_load_dir(cfg->models_dir, &s, e) == -1)
		return -1;
	schema_free(s);
	return 0;
}

int
ops_preload(const struct config *cfg, struct migset *keep, struct merr *e)
{
	return migset_load(keep, cfg->migrations_dir, e);
}

int
ops_preflight(const struct config *cfg, struct migset *keep,
    volatile sig_atomic_t *stop, struct merr *e)
{
	struct schema *s = NULL;
	struct mig_env env;

	if (model_load_dir(cfg->models_dir, &s, e) == -1)
		return -1;
	schema_free(s);
	memset(&env, 0, sizeof(env));
	env.cfg = cfg;		/* no database: parse and check only */
	env.cache = keep;
	env.stop = stop;
	return migrate_check(&env, e);
}
