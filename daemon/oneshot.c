/* oneshot.c - `migrated --plan` and `migrated --once` (see oneshot.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "announce.h"
#include "audit.h"
#include "db.h"
#include "event.h"
#include "fleet.h"
#include "lint.h"
#include "log.h"
#include "migrate.h"
#include "oneshot.h"
#include "plan.h"
#include "preconn.h"
#include "pull.h"
#include "status.h"
#include "t1call.h"


int
oneshot_plan(const struct config *cfg)
{
	struct mig_env env = { .cfg = cfg };	/* no db: tier 1 connects */
	struct plan *p;
	struct merr e;
	char *text;

	merr_clear(&e);
	if (t1_call(&env, T1_PLAN_ONLY, NULL, &p, &e) == -1 ||
	    plan_format_text(p, &text, &e) == -1) {
		log_merr("error", &e);
		if (p)
			plan_free(p);
		return 1;
	}
	fputs(text, stdout);
	free(text);
	plan_free(p);
	return 0;
}

struct oneshot_member;
static int oneshot_run(const struct config *, int up, const char *baseline,
    struct oneshot_member *);

/*
 * --once is audited like the service.  The audit table is made ready
 * only when it is needed, so a host that finds nothing to do pays nothing
 * for it, and each row is written in the transaction of its change.
 * Tier 1 tells the hook when it is about to apply (event_ready): the
 * work connection is idle then, under the lock, and has run only
 * migrated's own statements, so the table is made ready there, in a
 * short transaction of its own committed before the first change (a
 * fresh database's first DDL then loads the catalog caches once, for the
 * audit table and the changes alike, not once on each of two backends).
 * Otherwise the table is made ready on the first event, on an idle
 * connection, not the one whose transaction the event is in: the lock
 * connection when the lock was taken (every change is made under it),
 * else one of its own.  The lock connection may take that short
 * transaction: it runs only migrated's own statements (never a migration
 * file's, which could let go of the lock), audit_ensure() takes and lets
 * go of the audit table's own lock key, rolls back what fails and leaves
 * the session idle again, and the session lock is held across
 * transactions.  A fleet member's cold run is two connections, not three.
 */
struct oneshot_audit {
	const struct config	*cfg;
	struct db		*lockdb;	/* env's, may be unconnected */
	struct db		 db;		/* our own, when used */
	struct audit		 a;
	int			 ready;
	int			 defer;		/* a fleet member: announce
						   once, after the run */
	char			 action[32];	/* the last change deferred */
	char			 target[128];
};

/* idle: a connection of migrated's own to use (NULL: choose one) */
static int
oneshot_audit_ready(struct oneshot_audit *oa, struct db *idle,
    struct merr *e)
{
	struct db *adb = idle ? idle : oa->lockdb;

	if (adb == NULL || adb->conn == NULL || !db_ok(adb)) {
		if (db_connect(&oa->db, oa->cfg->database, "migrated audit",
		    e) == -1)
			return -1;
		adb = &oa->db;
	}
	if (audit_open(&oa->a, adb, oa->cfg, e) == -1) {
		db_close(&oa->db);
		return -1;
	}
	oa->ready = 1;
	return 0;
}

static int
oneshot_hook(void *arg, struct db *db, const struct actor *who,
    const struct mig_event *ev, struct merr *e)
{
	struct oneshot_audit *oa = arg;

	if (!oa->ready && oneshot_audit_ready(oa, NULL, e) == -1)
		return -1;
	if (audit_record(&oa->a, db, who, ev, e) == -1)
		return -1;
	/* the running daemons read their state again (core/announce.h) */
	if (!announce_wanted(ev->action))
		return 0;
	if (!oa->defer)
		return announce_change(db, oa->cfg, "once", ev->action,
		    ev->target, e);
	snprintf(oa->action, sizeof(oa->action), "%s", ev->action);
	snprintf(oa->target, sizeof(oa->target), "%s", ev->target ?
	    ev->target : "-");
	return 0;
}

/* Tier 1 is about to apply: the table made ready on db, idle. */
static int
oneshot_ready(void *arg, struct db *db, struct merr *e)
{
	struct oneshot_audit *oa = arg;

	if (oa->ready)
		return 0;
	if (db->conn == NULL || !db_ok(db) ||
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE ||
	    PQpipelineStatus(db->conn) != PQ_PIPELINE_OFF)
		return 0;	/* made ready on the first event instead */
	return oneshot_audit_ready(oa, db, e);
}

/* A fleet member's changes, announced once on its idle connection. */
static void
oneshot_announce(struct db *db, const struct oneshot_audit *oa)
{
	struct merr e;

	merr_clear(&e);
	if (oa->action[0] && (!db_ok(db) || announce_now(db, oa->cfg, "once",
	    oa->action, oa->target, &e) == -1))
		log_warnx("the running daemons were not told of the change: "
		    "%s", e.msg[0] ? e.msg : "connection lost");
}

static void
oneshot_problems(const struct plan *p)
{
	for (size_t i = 0; p && i < p->n; i++) {
		const struct plan_change *c = &p->v[i];

		if (c->cls == PLAN_SAFE)
			continue;
		if (c->cls == PLAN_REFUSED)
			log_warnx("refused: %s %s: %s", c->kind, c->target,
			    c->reason);
		else
			log_info("%s: %s %s: %s", plan_class_name(c->cls),
			    c->kind, c->target, c->reason);
		if (c->cls == PLAN_REFUSED && c->hint)
			log_warnx("hint: %s", c->hint);
	}
}

static void
oneshot_report(const struct tier1_report *rep)
{
	if (rep->statements == 0)
		log_info("tier 1: up to date (%zu refused, %zu drift)%s",
		    rep->refused, rep->drift, rep->waited ?
		    ", after waiting for another migrated" : "");
	else
		log_info("tier 1: applied %zu change%s, %zu statement%s in "
		    "%ld ms (%zu refused, %zu drift)", rep->applied,
		    rep->applied == 1 ? "" : "s", rep->statements,
		    rep->statements == 1 ? "" : "s", rep->duration_ms,
		    rep->refused, rep->drift);
}

/* The same summary line as the service's status and STATUS=. */
static void
oneshot_summary(const struct tier1_report *rep, const struct plan *p)
{
	struct t1_summary s;
	struct merr e;
	char line[256];

	t1_summary_init(&s);
	merr_clear(&e);
	if (t1_summary_run(&s, rep, p, &e) == 0) {
		t1_summary_line(&s, line, sizeof(line));
		log_info("status: %s", line);
	}
	t1_summary_release(&s);
}

/* What tier 2 did, one line a file, as the service logs it. */
static void
oneshot_t2_steps(const struct migrate_result *r)
{
	for (size_t i = 0; i < r->nsteps; i++)
		log_info("tier2.%s '%s%s%s' in %ld ms, %d statement%s",
		    r->steps[i].action, r->steps[i].version,
		    r->steps[i].name && *r->steps[i].name ? "_" : "",
		    r->steps[i].name ? r->steps[i].name : "",
		    r->steps[i].duration_ms, r->steps[i].statements,
		    r->steps[i].statements == 1 ? "" : "s");
}

/* Where tier 2 left the database, after n files ("" current: none). */
static void
oneshot_t2_line(size_t n, const char *current)
{
	log_info("tier 2: %zu applied, current version %s", n,
	    current[0] ? current : "none");
}

/* Its lint findings, its files, and where it left the database. */
static void
oneshot_t2_report(const struct migrate_result *r)
{
	for (size_t i = 0; i < r->lint.n; i++) {
		const struct lint_finding *f = &r->lint.v[i];

		log_warnx("%s:%d:%d: %s [%s]", f->file, f->line, f->col,
		    f->message, lint_rule_name(f->rule));
	}
	oneshot_t2_steps(r);
	oneshot_t2_line(r->nsteps, r->current);
}

/*
 * Before tier 1, as the service starts: rename an old build's tracking
 * table, or adopt another tool's history.  A refusal is a warning here
 * (tier 1 may still run); --up then refuses with the same words.
 * *untracked: migrated has no table there and nothing was to adopt (a
 * database new to it).
 */
static int
oneshot_takeover(struct mig_env *env, int *untracked, struct merr *e)
{
	struct migrate_result r;
	struct merr why;
	int need, tracked, rc;

	merr_clear(&why);
	migrate_result_init(&r);
	rc = migrate_takeover_needed(env, &need, &tracked, &why);
	*untracked = rc == 0 && !need && !tracked;
	if (rc == 0 && need)
		rc = migrate_takeover(env, &r, &why);
	if (rc == 0) {
		if (r.nsteps)
			log_info("tier 2: %zu version%s adopted as applied, up "
			    "to %s", r.nsteps, r.nsteps == 1 ? "" : "s",
			    r.steps[r.nsteps - 1].version);
		if (r.notice)
			log_warnx("%s", r.notice);
	} else if (why.code == MERR_CONNECT) {
		*e = why;
	} else {
		log_merr("warning", &why);
	}
	migrate_result_release(&r);
	return why.code == MERR_CONNECT ? -1 : 0;
}

/*
 * --baseline VERSION on a database new to migrated: recorded when the
 * database holds a history migrated cannot read (the first run would
 * refuse), else not needed.  *untracked is cleared once it is recorded.
 */
static int
oneshot_baseline(struct mig_env *env, const char *version, int *untracked,
    struct merr *e)
{
	struct migrate_opts o = { .yes = 1 };
	struct migrate_result r;
	struct adopt_foreign f;
	int found, rc;

	if (adopt_foreign(env->db, &f, &found, e) == -1)
		return -1;
	if (!found) {
		log_info("tier 2: --baseline %s not needed: no other tool's "
		    "history here", version);
		return 0;
	}
	migrate_result_init(&r);
	if ((rc = migrate_baseline(env, version, &o, &r, e)) == 0) {
		log_info("tier 2: baseline %s over %s's history (%s): %zu "
		    "version%s recorded as applied", version, f.tool, f.table,
		    r.nsteps, r.nsteps == 1 ? "" : "s");
		*untracked = 0;
	}
	migrate_result_release(&r);
	return rc;
}

/*
 * Tier 2 after tier 1, as `migratectl up` runs it through the service:
 * the same lock, transactions, audit rows and refusals.
 */
static int
oneshot_up(struct mig_env *env, struct merr *e)
{
	struct migrate_opts o;
	struct migrate_result r;
	int rc;

	memset(&o, 0, sizeof(o));
	migrate_result_init(&r);
	rc = migrate_up(env, &o, &r, e);
	if (rc == 0)
		oneshot_t2_report(&r);
	else	/* the files committed before the one that failed */
		oneshot_t2_steps(&r);
	if (rc == -1 && env->held && r.nsteps == 0 && !db_ok(env->lockdb))
		log_warnx("tier 2 not run: the migration lock taken before "
		    "tier 1 was lost with its connection");
	migrate_result_release(&r);
	return rc;
}

/*
 * A fleet member's state from the tracking rows r and the plan p just
 * made: with no plan (a tier-2-only run), the verdict is tier 2's alone
 * and says so.
 */
static int
oneshot_fill(const struct migrate_result *r, const struct plan *p,
    struct fleet_report *rep)
{
	static const struct plan unread;	/* nothing of tier 1 */
	struct t2_summary t2;
	struct check_verdict v;
	struct merr e;
	int rc;

	merr_clear(&e);
	t2_summary_init(&t2);
	rc = t2_summary_from(&t2, r, &e);
	if (rc == 0) {
		check_verdict_make(&v, p ? p : &unread, &t2);
		rep->clean = v.clean;
		rep->t1_read = p != NULL;
		rep->t1_clean = p && v.safe + v.refused + v.drift == 0;
		rep->pending = (long)t2.npending;
		snprintf(rep->version, sizeof(rep->version), "%s", t2.current);
	}
	t2_summary_release(&t2);
	return rc;
}

/*
 * Is tier 2 settled (migrate_settled(): every file applied as it is, no
 * session holding the lock, one read on the work connection)?  Then a
 * single database's up has nothing to do and takes no lock: tier 1 takes
 * it only if it has work (reading again under it), and a run with none
 * opens no lock connection (a new backend: 3-20 ms).  cur: the current
 * version.  A database new to migrated is not settled.
 */
static int
oneshot_settled(struct mig_env *env, int untracked, char *cur, size_t len)
{
	struct migrate_result r;
	struct merr ignore;
	int settled;

	if (untracked)
		return 0;
	migrate_result_init(&r);
	merr_clear(&ignore);
	settled = migrate_settled(env, &r, &ignore) == 1;
	if (settled)
		snprintf(cur, len, "%s", r.current);
	migrate_result_release(&r);
	return settled;
}

/*
 * A fleet member with nothing pending: the tracking table read on the
 * work connection says so, and no lock connection is opened (200 members
 * up to date, 200 backends fewer).  With work, migrate_up reads it again
 * under the lock.  When tier 1 changed nothing either (stmts 0), that
 * read is the member's state (rep, may be NULL; *known set): nothing was
 * done since, on this connection, that a second read could see.
 */
static int
oneshot_nothing_pending(struct mig_env *env, const struct plan *p,
    size_t stmts, struct fleet_report *rep, int *known)
{
	struct migrate_result r;
	struct merr ignore;
	int none;

	migrate_result_init(&r);
	merr_clear(&ignore);
	none = migrate_status(env, &r, &ignore) == 0 && r.npending == 0 &&
	    r.ndirty == 0 && r.nooo == 0 && r.ndrift == 0;
	if (none)
		oneshot_t2_line(0, r.current);
	if (none && rep && stmts == 0)
		*known = oneshot_fill(&r, p, rep) == 0;
	migrate_result_release(&r);
	return none;
}

/*
 * A fleet member's state after a run that changed nothing: the plan just
 * made is the database's, and the tracking table is read again.
 */
static int
oneshot_state(struct mig_env *env, const struct plan *p,
    struct fleet_report *rep)
{
	struct migrate_result r;
	struct merr e;
	int rc;

	merr_clear(&e);
	migrate_result_init(&r);
	rc = migrate_status(env, &r, &e);
	if (rc == 0)
		rc = oneshot_fill(&r, p, rep);
	migrate_result_release(&r);
	return rc;
}

/*
 * Tier 2 is going to take the lock: take it now if it is free, before
 * tier 1 reads anything, and hold it through both tiers.  Tier 1 then
 * reads the catalogs and plans once, under the lock, instead of once
 * before it and again under it (tier1.h), and the lock is not let go and
 * taken again between the tiers.  One try, no wait: when another session
 * holds the lock, nothing changes (tier 1 reads first and takes the lock
 * only when it has work, waiting for it; tier 2 takes it again).  Any
 * other failure (a pooler in transaction mode, a standby, no second
 * connection) is the one tier 1 or tier 2 would have met taking it.
 * *held: 1 when taken (env->held then: tier 1 and tier 2 check that the
 * lock's connection is still there instead of taking it, runner.h).
 */
static int
oneshot_lock_first(struct mig_env *env, int *held, struct merr *e)
{
	int took, waited;

	*held = 0;
	if (runner_lock(env, 0, &took, &waited, e) == -1) {
		if (e->code != MERR_BUSY)
			return -1;
		merr_clear(e);
		return 0;
	}
	*held = env->held = took;
	return 0;
}

struct oneshot_member {
	struct merr		*err;	/* NULL: not a fleet member */
	struct fleet_report	*rep;	/* NULL: no state wanted */
	int			*known;
	int			 t2only;	/* tier 1 not run */
};

int
oneshot_once(const struct config *cfg, int up, const char *baseline)
{
	struct oneshot_member m = { NULL, NULL, NULL, 0 };

	return oneshot_run(cfg, up, baseline, &m);
}

int
oneshot_member(const struct config *cfg, int up, int t2only,
    struct merr *err, struct fleet_report *rep, int *known)
{
	struct oneshot_member m = { err, rep, known, t2only };

	*known = 0;
	return oneshot_run(cfg, up, NULL, &m);
}

/* Tier 1, told as it went; *p: its plan (the caller frees it). */
static int
oneshot_tier1(struct mig_env *env, struct plan **p, struct merr *e,
    struct tier1_report *rep)
{
	if (t1_call(env, T1_APPLY, rep, p, e) == -1)
		return -1;
	oneshot_problems(*p);
	oneshot_report(rep);
	oneshot_summary(rep, *p);
	return 0;
}

/*
 * Both tiers as asked, on env->db (connected).  *held: the lock was
 * taken before tier 1 and is the caller's to let go.
 */
static int
oneshot_tiers(struct mig_env *env, int t2, const char *baseline,
    const struct oneshot_member *m, int *held, struct merr *e)
{
	const int defer = m->err != NULL;
	struct tier1_report rep;
	struct plan *p = NULL;
	char cur[MIG_VERSION_MAX];
	int rc, untracked = 0, ran_up = 0, settled = 0;

	memset(&rep, 0, sizeof(rep));
	/* nothing is tried on a standby: not even the audit table (the
	 * role db_connect() just asked) */
	rc = db_writable_asked(env->db, "run --once", e);
	if (rc == 0)
		rc = oneshot_takeover(env, &untracked, e);
	if (rc == 0 && baseline && untracked)
		rc = oneshot_baseline(env, baseline, &untracked, e);
	/* a single database's up takes the lock unless tier 2 is settled;
	 * a fleet member's when migrated is new there (a cold member) and a
	 * file may be pending (else it takes none and makes no tracking
	 * table) */
	if (rc == 0 && t2 && !defer)
		settled = oneshot_settled(env, untracked, cur, sizeof(cur));
	if (rc == 0 && t2 && !m->t2only && (defer ? untracked &&
	    migset_maybe_any(env->cfg->migrations_dir) : !settled))
		rc = oneshot_lock_first(env, held, e);
	/* a run that may apply: each step looks at the folder again, under
	   the lock (a file written while it was read is read again) */
	if (*held)
		env->cache_fresh = 0;
	if (rc == 0 && !m->t2only)
		rc = oneshot_tier1(env, &p, e, &rep);
	if (rc == 0 && t2 && settled)
		oneshot_t2_line(0, cur);
	else if (rc == 0 && t2 && !(defer && !*held &&
	    oneshot_nothing_pending(env, p, rep.statements, m->rep,
	    m->known))) {
		ran_up = 1;
		rc = oneshot_up(env, e);
	}
	/* nothing changed: no second connection to read it again */
	if (rc == 0 && m->rep && !*m->known && !ran_up && rep.statements == 0)
		*m->known = oneshot_state(env, p, m->rep) == 0;
	plan_free(p);
	return rc;
}

/*
 * The connection, and for a single database's tier 2 the folder, read
 * meanwhile (the connection opens on a thread: a new backend, the
 * server's CPU) and taken as the folder (env->cache_fresh) until the run
 * takes the lock to apply (oneshot_tiers()).  A folder that cannot be
 * read is left unread, for tier 2 to meet where it did; the
 * connection's failure is the run's.
 */
static int
oneshot_connect(struct mig_env *env, struct db *db, int preload,
    struct merr *e)
{
	struct preconn pre, *pp = NULL;
	struct merr ignore;

	if (preload) {
		if (preconn_start(&pre, env->cfg->database) == 0)
			pp = &pre;
		merr_clear(&ignore);
		env->cache_fresh = migset_load(env->cache,
		    env->cfg->migrations_dir, &ignore) == 0;
	}
	return preconn_connect(&pp, db, env->cfg->database, e);
}

/* m->err: a fleet member's, which also gets the error (NULL: none) */
static int
oneshot_run(const struct config *cfg, int up, const char *baseline,
    struct oneshot_member *m)
{
	const struct actor self = { .is_daemon = 1 };
	struct db db, lockdb = { 0 };
	struct oneshot_audit oa = { .cfg = cfg, .lockdb = &lockdb,
	    .defer = m->err != NULL };
	struct event_hook hook = { .fn = oneshot_hook, .arg = &oa,
	    .actor = &self, .ready = oneshot_ready };
	struct migset folder;
	struct mig_env env;
	struct merr e;
	int rc, held = 0, t2 = up || cfg->apply != APPLY_ON_COMMAND;

	merr_clear(&e);
	memset(&env, 0, sizeof(env));
	memset(&folder, 0, sizeof(folder));
	env.cfg = cfg;
	env.db = &db;
	env.lockdb = &lockdb;	/* connected only when there is work */
	env.hook = &hook;
	env.actor = &self;
	env.cache = &folder;	/* read once, for both tiers */
	/* a bad model fails before any event: no audit table either */
	if ((rc = oneshot_connect(&env, &db, t2 && m->err == NULL,
	    &e)) == 0) {
		rc = oneshot_tiers(&env, t2, baseline, m, &held, &e);
		oneshot_announce(&db, &oa);
		db_close(&db);
	}
	if (held)
		db_unlock(&lockdb, NULL);
	db_close(&lockdb);
	if (oa.ready) {
		audit_release(&oa.a);
		db_close(&oa.db);
	}
	migset_release(&folder);
	if (rc == -1) {
		log_merr("error", &e);
		if (m->err)
			*m->err = e;
		return 1;
	}
	return 0;
}

int
oneshot_pull(const struct config *cfg, const char *dir, int force)
{
	struct pull_opts o = { .own_schema = cfg->schema, .own_tables = {
	    cfg->tracking_table, cfg->audit_table, NULL }, .force = force };
	struct pull_result r;
	struct merr e;
	struct db db;
	int rc;

	merr_clear(&e);
	pull_result_init(&r);
	if ((rc = db_connect(&db, cfg->database, "migrated pull", &e)) == 0) {
		rc = pull_run(&db, dir, &o, &r, &e);
		db_close(&db);
	}
	if (rc == -1) {
		log_merr("error", &e);
		pull_result_release(&r);
		return 1;
	}
	for (size_t i = 0; i < r.notes.n; i++)
		log_warnx("not said: %s %s: %s", r.notes.v[i].kind,
		    r.notes.v[i].name, r.notes.v[i].detail ?
		    r.notes.v[i].detail : "");
	printf("pulled %zu tables and %zu enum types into %s (%zu files)\n",
	    r.tables, r.enums, dir, r.files.n);
	if (r.notes.n)
		printf("%zu objects not said: see %s/%s\n", r.notes.n, dir,
		    PULL_NOTES_FILE);
	rc = r.notes.n ? ONESHOT_PULL_NOTES : 0;
	pull_result_release(&r);
	return rc;
}
