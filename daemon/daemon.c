/*
 * daemon.c - the life cycle of migrated: start-up order, signals,
 * reconnecting, reload, the status it reports, and an orderly stop.
 *
 * Start-up: listen on the control socket (status answers once the folder
 * is read), read the folder, then the worker connects (retrying with
 * capped exponential backoff, each attempt logged), parses the files that
 * may run, runs tier 1 and reads tier 2's status; only then READY=1.  A
 * file that does not parse exits 78 with nothing written; a tier-1
 * failure at start-up that is not the database being away exits 1, like
 * a configuration error.
 */
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "ops.h"
#include "version.h"

#define RECONNECT_MIN_MS	500
#define RECONNECT_MAX_MS	30000
#define PING_MS			2000
/*
 * After ready, the files the start did not parse (applied, unchanged
 * since) are parsed on a pool thread (check.c), off the start's path and
 * out of the way of the first commands: due while one runs (an `up` of a
 * thousand files right after ready), it waits until LATE_CHECK_MS after
 * it ended rather than take a core from the apply or its reply.
 */
#define LATE_CHECK_MS		1000
#define LISTEN_LATE_MS		200	/* the first LISTEN, after ready */
#define LISTEN_RETRY_MS		2000	/* no thread for it: again */

static void	daemon_finish(struct migrated *);
static void	daemon_late_check_cb(uv_timer_t *);
static void	daemon_refresh(struct migrated *);
static void	daemon_submit_startup(struct migrated *);
static void	daemon_sighup(struct migrated *);

void
daemon_status_get(struct migrated *m, struct daemon_status *s)
{
	struct dstate *st = &m->st;

	memset(s, 0, sizeof(*s));
	s->version = MIGRATED_VERSION;
	s->proto = PROTO_VERSION;
	s->pid = (long)getpid();
	s->uptime_s = (long)(time(NULL) - st->started);
	s->ready = st->ready && !st->degraded;
	s->degraded = st->ready && st->degraded;
	s->stopping = m->stopping != 0;
	s->db_up = st->db_up;
	s->db_where = st->db_where;
	s->db_host = st->db_srv.host;
	s->db_port = st->db_srv.port;
	s->db_role = st->db_srv.host[0] ? db_role_name(st->db_srv.role) : "";
	s->db_error = st->db_error;
	s->db_down_since = st->db_down_since;
	s->busy_op = st->busy_op;
	s->busy_since = st->busy_since;
	s->busy_uid = st->busy_uid;
	s->t1 = st->has_t1 ? &st->t1 : NULL;
	s->t2 = st->has_t2 ? &st->t2 : NULL;
	/* an error of the last run first, else the folder's */
	s->last_error = st->last_error[0] ? st->last_error : st->check_error;
	s->apply = config_apply_name(m->cfg->cfg.apply);
	s->config = m->cfg->cfg.path;
	s->reload_error = st->reload_error;
	s->reloads = st->reloads;
	s->jobs = m->dbloop.pending;
	s->stats = &st->stats.s;
}

/*
 * A tier-1 run (start-up, recheck, reload, from a signal or a client)
 * decides the state: once ready, a failed run makes the daemon degraded
 * (not ready: wait-ready fails, STATUS= says why) until a run succeeds.
 * A reload ends with READY=1 either way (systemd waits for it after
 * RELOADING=1).
 */
static void
daemon_tier1_state(struct migrated *m, const struct job *j)
{
	if (m->st.reloading && j->cmd == cmd_internal(CMD_RELOAD)) {
		m->st.reloading = 0;
		notify_send(&m->notify, "READY=1");
	}
	if (!m->st.ready || j->db_lost || m->stopping)
		return;
	if (j->rc == 0 && m->st.degraded) {
		m->st.degraded = 0;
		log_notice("tier 1 reached the models again: ready");
	} else if (j->rc == -1 && !m->st.degraded) {
		m->st.degraded = 1;
		merr_format(&j->err, m->st.last_error,
		    sizeof(m->st.last_error));
		log_warnx("degraded: %s", m->st.last_error);
	}
}

/* systemd learns that a reload started (and when: MONOTONIC_USEC). */
static void
daemon_reloading(struct migrated *m)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	m->st.reloading = 1;
	notify_send(&m->notify, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
}

void
daemon_fold(struct migrated *m, struct job *j)
{
	struct job_result *r = &j->res;

	stats_fold(&m->st.stats, j, &m->st.t2);
	if (r->t1_kind == T1_PLANNED && m->st.has_t1) {
		t1_summary_merge(&m->st.t1, &r->t1);
	} else if (r->t1_kind != T1_NONE) {
		t1_summary_release(&m->st.t1);
		m->st.t1 = r->t1;
		t1_summary_init(&r->t1);
		m->st.has_t1 = 1;
	}
	if (r->has_t2) {
		t2_summary_move(&m->st.t2, &r->t2);
		m->st.has_t2 = 1;
	}
	if (j->db_where[0]) {
		memcpy(m->st.db_where, j->db_where, sizeof(m->st.db_where));
		m->st.db_srv = j->db_srv;
	} else if (j->db_lost) {
		m->st.db_srv.role = DB_ROLE_UNKNOWN;	/* none reached */
	}
	if (r->listen.conn && !m->stopping)
		dblisten_take(&m->listen, &r->listen);
	if (j->db_lost)
		daemon_db_lost(m, &j->err);
	else if (!m->st.db_up && m->reconnecting && !m->stopping &&
	    (j->cmd->flags & CMD_DB) && j->rc == 0) {
		/* a command reached the database thought lost: read the
		   state again now, not at the next retry */
		uv_timer_stop(&m->reconnect);
		m->reconnecting = 0;
		daemon_submit_startup(m);
	}
	if (j->cmd->flags & CMD_TIER1)
		daemon_tier1_state(m, j);
}

static void
daemon_line(struct migrated *m, char *buf, size_t len)
{
	struct daemon_status s;

	daemon_status_get(m, &s);
	daemon_status_line(&s, buf, len);
}

void
daemon_status_changed(struct migrated *m)
{
	char line[sizeof(m->st.notified)];

	if (m->finishing)
		return;
	daemon_line(m, line, sizeof(line));
	if (strcmp(line, m->st.notified)) {
		memcpy(m->st.notified, line, sizeof(line));
		notify_send(&m->notify, "STATUS=%s", line);
	}
	if (m->reload_conn && (!m->st.busy_op || m->stopping))
		cmd_reload_resume(m);
	cmd_ready_resume(m);
	if (m->stopping && dbloop_idle(&m->dbloop) &&
	    reload_idle(&m->reload) && !latelisten_running(&m->late)) {
		daemon_finish(m);
		return;
	}
	if (m->reload_pending && !m->st.busy_op && !m->stopping) {
		m->reload_pending = 0;
		daemon_sighup(m);
	}
	if (m->refresh_owed && m->st.db_up && !m->st.busy_op && !m->stopping)
		daemon_refresh(m);
	if (m->late_check_owed && !m->st.busy_op && !m->stopping) {
		m->late_check_owed = 0;	/* not in the way of its reply */
		uv_timer_start(&m->late_check, daemon_late_check_cb,
		    LATE_CHECK_MS, 0);
	}
}

static void
daemon_reconnect_cb(uv_timer_t *t)
{
	struct migrated *m = t->data;

	m->reconnecting = 0;
	if (!m->stopping)
		daemon_submit_startup(m);
}

void
daemon_db_lost(struct migrated *m, const struct merr *e)
{
	if (m->st.db_up || m->st.db_down_since == 0) {
		m->st.db_down_since = time(NULL);
		m->reconnect_ms = RECONNECT_MIN_MS;
	} else if (m->reconnect_ms < RECONNECT_MAX_MS) {
		m->reconnect_ms *= 2;
		if (m->reconnect_ms > RECONNECT_MAX_MS)
			m->reconnect_ms = RECONNECT_MAX_MS;
	}
	m->st.db_up = 0;
	snprintf(m->st.db_error, sizeof(m->st.db_error), "%s", e->msg);
	dblisten_drop(&m->listen);
	if (m->rechecking) {
		log_warnx("database unavailable: %s; checking again once the "
		    "running job ends", e->msg);
		return;
	}
	log_warnx("database unavailable: %s; retrying in %ld ms", e->msg,
	    m->reconnect_ms);
	if (!m->reconnecting && !m->stopping) {
		m->reconnecting = 1;
		uv_timer_start(&m->reconnect, daemon_reconnect_cb,
		    (uint64_t)m->reconnect_ms, 0);
	}
}

static void
daemon_late_check_cb(uv_timer_t *t)
{
	struct migrated *m = t->data;

	if (m->st.busy_op)
		m->late_check_owed = 1;	/* daemon_status_changed() */
	else if (!m->stopping)
		(void)check_start(&m->check, m->cfg, 0);
}

static void	daemon_listen_late(struct migrated *);

/* startup / recheck finished: ready, back, or a start-up failure. */
static void
daemon_startup_done(void *arg, struct job *j)
{
	struct migrated *m = arg;
	int was_up = m->st.db_up;

	if (j->cmd == cmd_internal(CMD_STARTUP) ||
	    j->cmd == cmd_internal(CMD_RECHECK))
		m->rechecking = 0;
	daemon_fold(m, j);
	if (j->rc == 0) {
		m->st.db_up = 1;
		m->st.last_error[0] = '\0';
		daemon_listen_late(m);
		if (!was_up && m->st.db_down_since && m->st.ready)
			log_notice("database available again at %s",
			    m->st.db_where);
		if (!m->st.ready) {
			m->st.ready = 1;
			notify_send(&m->notify, "READY=1");
			log_info("ready (%s)", m->st.db_where);
			if (!m->stopping)
				uv_timer_start(&m->late_check,
				    daemon_late_check_cb, LATE_CHECK_MS, 0);
		}
	} else if (!m->st.ready && j->res.unchecked && !j->db_lost) {
		/* a bad file stopped the start before anything was written:
		   no goodbye row either (the database is not marked up) */
		if (!m->stopping) {
			log_merr("error", &j->err);
			m->exit_code = j->err.code == MERR_INPUT ?
			    EXIT_CANNOT_HEAL : 1;
		}
		daemon_shutdown(m, 0);
	} else if (!m->st.ready && j->err.code == MERR_CONFIG) {
		/* a refused password will not heal by waiting: say so, stop */
		log_merr(cmd_name(j->cmd), &j->err);
		m->exit_code = EXIT_CANNOT_HEAL;
		daemon_shutdown(m, 0);
	} else if (!j->db_lost) {
		m->st.db_up = 1;
		merr_format(&j->err, m->st.last_error,
		    sizeof(m->st.last_error));
		log_merr(cmd_name(j->cmd), &j->err);
		if (!m->st.ready) {
			/* a stop that interrupted it is not a failure */
			if (!m->stopping)
				m->exit_code = j->err.code == MERR_INPUT ?
				    EXIT_CANNOT_HEAL : 1;
			daemon_shutdown(m, 0);
		}
	}
	if (j->mutating)
		m->st.busy_op = NULL;
	job_free(j);
	daemon_status_changed(m);
}

static const char *
signame(int sig)
{
	switch (sig) {
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "signal";
	}
}

static void
daemon_submit_startup(struct migrated *m)
{
	struct job *j = cmd_job(m, cmd_internal(m->st.ready ? CMD_RECHECK :
	    CMD_STARTUP), daemon_startup_done);

	if (m->st.ready)
		log_info("database is back: re-checking the schema");
	if (j) {
		m->rechecking = 1;
		dbloop_submit(&m->dbloop, &j->task);
	}
}

static void
daemon_ping_done(void *arg, struct job *j)
{
	struct migrated *m = arg;

	daemon_fold(m, j);
	job_free(j);
	daemon_status_changed(m);
}

static void
daemon_ping_cb(uv_timer_t *t)
{
	struct migrated *m = t->data;
	struct job *j;

	if (!m->st.db_up || m->stopping || !dbloop_idle(&m->dbloop))
		return;
	if ((j = cmd_job(m, cmd_internal(CMD_PING), daemon_ping_done)) != NULL)
		dbloop_submit(&m->dbloop, &j->task);
}

static void	daemon_sync(struct migrated *);

static void
daemon_sync_done(void *arg, struct job *j)
{
	struct migrated *m = arg;

	m->sync_running = 0;
	daemon_fold(m, j);
	job_free(j);
	if (m->sync_want) {
		m->sync_want = 0;
		daemon_sync(m);
	}
	daemon_status_changed(m);
}

/*
 * The folder's files were all parsed (and linted, after a change:
 * check.c), or not.  The check after ready (the files the start did
 * not parse) says only what fails.
 */
static void
daemon_check_done(void *arg, int rc, const struct merr *e, int lint)
{
	struct migrated *m = arg;

	if (m->finishing)
		return;
	if (rc == 0) {
		m->st.check_error[0] = '\0';
		if (lint)
			log_info("migrations folder validated");
		else
			log_debug("migrations folder validated (the files the "
			    "start did not parse)");
	} else {
		merr_format(e, m->st.check_error, sizeof(m->st.check_error));
		log_merr("refresh", e);
	}
	daemon_status_changed(m);
}

/*
 * Another daemon announced a change: read the state again.  One sync job
 * at a time; a change announced while one is queued or running gets one
 * more after it, so the last read always follows the last change.
 */
static void
daemon_sync_job(struct migrated *m, int folder_as_read)
{
	struct job *j;

	if (!m->st.ready || !m->st.db_up || m->stopping)
		return;
	if (m->sync_running) {
		m->sync_want = 1;
		return;
	}
	if ((j = cmd_job(m, cmd_internal(CMD_SYNC), daemon_sync_done)) == NULL)
		return;
	j->folder_as_read = folder_as_read;
	m->sync_running = 1;
	dbloop_submit(&m->dbloop, &j->task);
}

static void
daemon_sync(struct migrated *m)
{
	daemon_sync_job(m, 0);
}

static void
daemon_changed_cb(void *arg)
{
	daemon_sync(arg);
}

/* The listening connection saw the server go, whatever the worker does. */
static void
daemon_listen_lost(void *arg, const char *why)
{
	struct migrated *m = arg;
	struct merr e;

	if (!m->st.db_up || m->stopping)
		return;
	merr_clear(&e);
	merr_set(&e, MERR_CONNECT, "%s", why);
	m->st.db_srv.role = DB_ROLE_UNKNOWN;	/* gone, or read-only now */
	daemon_db_lost(m, &e);
	daemon_status_changed(m);
}

/*
 * The first start's LISTEN connection is open (latelisten.h): the loop
 * takes it, then reads the state again for what other daemons announced
 * before it listened.  Not needed when a recheck opened one meanwhile, or
 * the database is not up; a failure counts as the connection lost.
 */
static void
daemon_listen_late_done(void *arg, int rc, struct db *db,
    const struct merr *e)
{
	struct migrated *m = arg;

	if (m->stopping || !m->st.db_up || dblisten_active(&m->listen)) {
		log_debug("the LISTEN connection opened after ready is not "
		    "needed (%s): closed", m->stopping ? "stopping" :
		    m->st.db_up ? "a recheck opened one" : "database down");
		if (m->stopping)	/* the stop waited for it */
			daemon_status_changed(m);
		return;		/* db is closed by latelisten.c */
	}
	if (rc == -1) {
		daemon_listen_lost(m, e->msg);
		return;
	}
	dblisten_take(&m->listen, db);
	log_debug("listening for other daemons");
	/* the database's news; the folder's are the watcher's (and a look
	   would spend one of a short-lived daemon's cold looks: fgate.h) */
	daemon_sync_job(m, 1);
}

/*
 * LISTEN_LATE_MS after ready: a command sent as soon as the daemon is
 * ready (a deploy's wait-ready && up) neither shares the server's CPU
 * with a new backend nor waits for the read that follows it.  Whatever
 * the worker does then: a long up is when the loop must see the server
 * go (43_db_outage.sh).
 */
static void
daemon_listen_timer_cb(uv_timer_t *t)
{
	struct migrated *m = t->data;

	if (m->stopping || !m->st.db_up || dblisten_active(&m->listen) ||
	    latelisten_running(&m->late))
		return;
	if (latelisten_start(&m->late, m->cfg) == -1) {
		log_warnx("cannot start a thread to listen for other daemons: "
		    "trying again in %d ms", LISTEN_RETRY_MS);
		uv_timer_start(&m->listen_late, daemon_listen_timer_cb,
		    LISTEN_RETRY_MS, 0);
	}
}

/* Up, and nothing listens yet: open it off the start's path. */
static void
daemon_listen_late(struct migrated *m)
{
	if (m->stopping || dblisten_active(&m->listen) ||
	    latelisten_running(&m->late) ||
	    uv_is_active((uv_handle_t *)&m->listen_late))
		return;
	uv_timer_start(&m->listen_late, daemon_listen_timer_cb,
	    LISTEN_LATE_MS, 0);
}

/*
 * A refresh cut off by a lost database is owed again (the recheck once it
 * is back applies nothing).
 */
static void
daemon_refresh_done(void *arg, struct job *j)
{
	struct migrated *m = arg;

	if (j->db_lost)
		m->refresh_owed = 1;
	daemon_startup_done(arg, j);
}

/*
 * The worker reads the folder's state again, and applies what is pending
 * when the configuration says so.  Owed while the database is not up
 * (the start, or the recheck of a database back, may have looked at the
 * folder before the change) and, when it would apply, while another
 * operation runs (a reload applies nothing; an up may have looked
 * before): asked for once the daemon is up and free
 * (daemon_status_changed()).
 */
static void
daemon_refresh(struct migrated *m)
{
	int apply = m->cfg->cfg.apply == APPLY_WHEN_PENDING;
	struct job *j;

	if (m->stopping)
		return;
	if (!m->st.db_up || (apply && m->st.busy_op)) {
		m->refresh_owed = 1;
		return;
	}
	m->refresh_owed = 0;
	if ((j = cmd_job(m, cmd_internal(CMD_REFRESH), daemon_refresh_done))
	    == NULL)
		return;
	if (apply) {
		j->mutating = 1;
		m->st.busy_op = "up";
		m->st.busy_since = time(NULL);
		m->st.busy_uid = (long)geteuid();
	}
	dbloop_submit(&m->dbloop, &j->task);
}

/*
 * The watcher: the migrations folder settled after a change.  The files
 * are parsed on a pool thread (check.c: a huge file must not hold up the
 * commands behind it); the worker only reads the folder's state.
 */
static void
daemon_watch_cb(void *arg, const char *file)
{
	struct migrated *m = arg;

	log_info("migrations folder changed ('%s'): revalidating", file);
	if (!m->stopping)
		(void)check_start(&m->check, m->cfg, 1);
	daemon_refresh(m);
}

static void
daemon_reload_failed(struct migrated *m, const struct merr *e)
{
	if (m->stopping) {
		log_info("reload given up: %s", e->msg);
		return;
	}
	log_merr("reload failed, keeping the old configuration", e);
	merr_format(e, m->st.reload_error, sizeof(m->st.reload_error));
	m->st.reloads++;
}

/* A reload ended without a tier-1 run: not busy, READY=1 to systemd. */
static void
daemon_reload_over(struct migrated *m)
{
	m->st.busy_op = NULL;
	if (m->st.reloading) {
		m->st.reloading = 0;
		notify_send(&m->notify, "READY=1");
	}
}

/* The checked configuration (reload.c) replaces the old one. */
static void
daemon_reload_swap(struct migrated *m, struct cfgref *fresh)
{
	struct config *old = &m->cfg->cfg;

	if (strcmp(old->socket_path, fresh->cfg.socket_path))
		log_warnx("reload: a new socket path takes effect at the next "
		    "start");
	if (strcmp(old->migrations_dir, fresh->cfg.migrations_dir) &&
	    !m->stopping)
		watch_start(&m->watch, fresh->cfg.migrations_dir);
	cfgref_put(m->cfg);
	m->cfg = fresh;
	/* another database, table or folder, maybe: the watcher lints
	   every file until a status is read under this configuration */
	t2_summary_forget_clean(&m->st.t2);
	log_info("configuration reloaded%s%s", fresh->cfg.path ? " from " :
	    "", fresh->cfg.path ? fresh->cfg.path : "");
	m->st.reload_error[0] = '\0';
	m->st.reloads++;
}

static void
daemon_reload_done(void *arg, struct job *j)
{
	daemon_startup_done(arg, j);
}

/* Tier 1 again with the new configuration, for a SIGHUP. */
static void
daemon_reload_job(struct migrated *m)
{
	struct job *j;

	if (!m->st.db_up || (j = cmd_job(m, cmd_internal(CMD_RELOAD),
	    daemon_reload_done)) == NULL) {
		daemon_reload_over(m);
		return;
	}
	j->mutating = 1;	/* busy_op stays "reload" until it ends */
	dbloop_submit(&m->dbloop, &j->task);
}

/*
 * The preflight ended (loop thread).  fresh: the new configuration, now
 * ours: swap it in, then tier 1 runs with it as the client's job (who, a
 * connection id) or the daemon's own (SIGHUP, or the client left).
 */
static void
daemon_reload_parsed(void *arg, uint64_t who, struct cfgref *fresh,
    const struct merr *e)
{
	struct migrated *m = arg;

	if (fresh == NULL) {
		daemon_reload_failed(m, e);
		daemon_reload_over(m);
		if (who)
			cmd_reload_failed(m, who, e);
	} else {
		daemon_reload_swap(m, fresh);
		if (who == 0 || cmd_reload_submit(m, who) == 0)
			daemon_reload_job(m);
	}
	daemon_status_changed(m);
}

/*
 * A reload starts (SIGHUP: who 0; a client: its connection id).  The new
 * configuration is loaded and its models and migration files parsed on a
 * pool thread (reload.c): commands are answered and SIGTERM is handled
 * meanwhile.  The daemon is busy with "reload" from now until its tier-1
 * run ends, so a mutating command is told busy and another reload (a
 * client's, or SIGHUP) waits for this one and runs after it.
 */
int
daemon_reload_start(struct migrated *m, uint64_t who, long uid,
    struct merr *e)
{
	if (reload_start(&m->reload, who, e) == -1) {
		daemon_reload_failed(m, e);
		return -1;
	}
	m->st.busy_op = "reload";
	m->st.busy_since = time(NULL);
	m->st.busy_uid = uid;
	daemon_reloading(m);
	log_info("reload: checking the configuration, the models and the "
	    "migrations folder");
	daemon_status_changed(m);
	return 0;
}

static void
daemon_sighup(struct migrated *m)
{
	struct merr e;

	merr_clear(&e);
	if (m->stopping)
		return;
	if (m->st.busy_op) {
		log_info("SIGHUP: reload deferred until %s finishes",
		    m->st.busy_op);
		m->reload_pending = 1;
		return;
	}
	log_info("SIGHUP: reloading");
	(void)daemon_reload_start(m, 0, (long)geteuid(), &e);
}

static void
daemon_signal_cb(uv_signal_t *h, int sig)
{
	struct migrated *m = h->data;

	if (sig == SIGHUP)
		daemon_sighup(m);
	else
		daemon_shutdown(m, sig);
}

static void
daemon_stop_done(void *arg, struct job *j)
{
	job_free(j);
	daemon_status_changed(arg);
}

void
daemon_shutdown(struct migrated *m, int sig)
{
	struct job *j;

	if (m->stopping++) {
		if (sig == 0 || m->finishing)
			return;
		log_warnx("%s again: cancelling the running statement",
		    signame(sig));
		m->exit_code = 1;
		m->dbloop.stop = 1;
		dbloop_cancel(&m->dbloop);	/* tier 1 and tier 2 alike */
		return;
	}
	if (sig)
		log_notice("%s: stopping%s%s", signame(sig), m->st.busy_op ?
		    " once the current transaction of " : "",
		    m->st.busy_op ? m->st.busy_op : "");
	notify_send(&m->notify, "STOPPING=1");
	m->dbloop.stop = 1;
	watch_stop(&m->watch);	/* first: its kernel teardown takes a while */
	check_stop(&m->check);
	reload_stop(&m->reload);
	control_stop_accepting(&m->control);
	uv_timer_stop(&m->ping);
	uv_timer_stop(&m->reconnect);
	uv_timer_stop(&m->late_check);
	uv_timer_stop(&m->listen_late);
	if (m->st.db_up && (j = cmd_job(m, cmd_internal(CMD_STOP),
	    daemon_stop_done))) {
		j->exit_code = m->exit_code;
		dbloop_submit(&m->dbloop, &j->task);
	}
	daemon_status_changed(m);
}

/* Everything idle: close every handle so that uv_run() returns. */
static void
daemon_finish(struct migrated *m)
{
	if (m->finishing++)
		return;
	control_close(&m->control);
	dbloop_stop(&m->dbloop);
	dblisten_close(&m->listen);
	latelisten_close(&m->late);
	watch_close(&m->watch);
	notify_close(&m->notify);
	uv_close((uv_handle_t *)&m->reconnect, NULL);
	uv_close((uv_handle_t *)&m->ping, NULL);
	uv_close((uv_handle_t *)&m->late_check, NULL);
	uv_close((uv_handle_t *)&m->listen_late, NULL);
	uv_close((uv_handle_t *)&m->sigterm, NULL);
	uv_close((uv_handle_t *)&m->sigint, NULL);
	uv_close((uv_handle_t *)&m->sighup, NULL);
}

/*
 * A tier-2 file committed ("done") whose announcement the worker left
 * out of its transaction (core/announce.h): the other daemons hear of it
 * within DBLISTEN_TELL_MS, whatever the next file takes.
 */
static void
daemon_tell(struct migrated *m, const struct job *j, json_t *data)
{
	char chan[ANNOUNCE_CHANNEL_MAX], payload[512];
	const char *phase = json_string_value(json_object_get(data, "phase"));
	const char *dir = json_string_value(json_object_get(data,
	    "direction"));
	const char *v = json_string_value(json_object_get(data, "version"));

	if (phase == NULL || strcmp(phase, "done") != 0)
		return;
	announce_channel(&j->cfg->cfg, chan);
	announce_payload(payload, sizeof(payload), m->origin,
	    dir && strcmp(dir, "down") == 0 ? "tier2.rollback" : "tier2.apply",
	    v);
	dblisten_tell(&m->listen, chan, payload);
}

/* A run of progress objects: one write of as many messages. */
static void
daemon_progress(void *arg, struct dbtask *t, json_t *batch)
{
	struct migrated *m = arg;
	struct job *j = job_of(t);
	struct conn *c = j->conn_id ? control_find(&m->control, j->conn_id) :
	    NULL;
	json_t *msgs = c ? json_array() : NULL, *data;
	size_t i;

	json_array_foreach(batch, i, data) {
		if (j->mutating)
			daemon_tell(m, j, data);
		if (msgs)
			json_array_append_new(msgs, proto_progress(
			    cmd_name(j->cmd), json_incref(data)));
	}
	json_decref(batch);
	if (msgs)
		control_send_all(c, msgs);
}

static void
daemon_handles(struct migrated *m)
{
	uv_signal_init(m->loop, &m->sigterm);
	uv_signal_init(m->loop, &m->sigint);
	uv_signal_init(m->loop, &m->sighup);
	m->sigterm.data = m->sigint.data = m->sighup.data = m;
	uv_signal_start(&m->sigterm, daemon_signal_cb, SIGTERM);
	uv_signal_start(&m->sigint, daemon_signal_cb, SIGINT);
	uv_signal_start(&m->sighup, daemon_signal_cb, SIGHUP);
	uv_timer_init(m->loop, &m->reconnect);
	uv_timer_init(m->loop, &m->ping);
	uv_timer_init(m->loop, &m->late_check);
	uv_timer_init(m->loop, &m->listen_late);
	m->reconnect.data = m->ping.data = m->late_check.data = m;
	m->listen_late.data = m;
	uv_timer_start(&m->ping, daemon_ping_cb, PING_MS, PING_MS);
	notify_init(&m->notify, m->loop);
	dblisten_init(&m->listen, m->loop, m->origin, daemon_changed_cb,
	    daemon_listen_lost, m);
	latelisten_init(&m->late, m->loop, daemon_listen_late_done, m);
	check_init(&m->check, m->loop, &m->st.t2, daemon_check_done, m);
	reload_init(&m->reload, m->loop, m->config_path, &m->overrides,
	    daemon_reload_parsed, m);
}


/*
 * What our announcements carry, so that we skip our own: 32 random hex
 * digits (a pid repeats across hosts and containers).
 */
static void
daemon_origin(struct migrated *m)
{
	unsigned char b[(ANNOUNCE_ORIGIN_MAX - 1) / 2];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* no entropy yet: time and pid are unique enough here */
		snprintf(m->origin, sizeof(m->origin), "%lx-%lx",
		    (unsigned long)time(NULL), (unsigned long)getpid());
		return;
	}
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(m->origin + 2 * i, 3, "%02x", b[i]);
}

/* 0: started; else the exit status (EXIT_CANNOT_HEAL or 1). */
static int
daemon_start(struct migrated *m)
{
	struct migset set;
	struct merr e;
	int rc, listening;

	merr_clear(&e);
	memset(&set, 0, sizeof(set));
	/*
	 * The socket first: `migratectl wait-ready`, started beside the
	 * daemon, connects at once and is answered the moment the daemon is
	 * ready, instead of trying again later; the loop serves it once the
	 * folder is read.  A folder that cannot be read closes it (no socket
	 * left).
	 */
	listening = (rc = control_listen(&m->control, cmd_dispatch, m,
	    m->loop, &m->cfg->cfg, &e)) == 0;
	/* a bad model fails before anything connects */
	if (rc == 0 && (rc = ops_models(&m->cfg->cfg, &e)) == 0) {
		if (preconn_start(&m->pre, m->cfg->cfg.database) == -1)
			log_debug("start: no thread to connect while the "
			    "folder is read: connecting after it");
		/* watched before it is read: a change after the read shows,
		   and the start's job takes the read as its look (ops.h) */
		watch_init(&m->watch, m->loop, daemon_watch_cb, m);
		watch_start(&m->watch, m->cfg->cfg.migrations_dir);
		rc = ops_preload(&m->cfg->cfg, &set, &e);
	}
	if (rc == -1) {
		if (listening)
			control_close(&m->control);
		watch_close(&m->watch);
		migset_release(&set);
		log_merr("error", &e);
		return e.code == MERR_INPUT || e.code == MERR_CONFIG ?
		    EXIT_CANNOT_HEAL : 1;
	}
	log_debug("start: models loaded, migrations folder read");
	daemon_origin(m);
	if ((m->ops = ops_new(m->origin)) == NULL ||
	    (rc = dbloop_init(&m->dbloop, m->loop, daemon_progress, m)) != 0) {
		migset_release(&set);
		log_errorx("error: cannot start the worker");
		control_close(&m->control);
		watch_close(&m->watch);
		return 1;
	}
	ops_keep(m->ops, &set);	/* before the worker starts */
	m->dbloop.wstate = m->ops;
	m->dbloop.pre = &m->pre;
	if ((rc = dbloop_start(&m->dbloop)) != 0) {
		log_errorx("error: cannot start the worker: %s",
		    uv_strerror(rc));
		control_close(&m->control);
		watch_close(&m->watch);
		dbloop_stop(&m->dbloop);
		return 1;
	}
	daemon_handles(m);
	daemon_submit_startup(m);
	daemon_status_changed(m);
	return 0;
}

int
daemon_main(const char *config_path, const struct config_overrides *ov,
    struct config *cfg)
{
	struct migrated m;
	uv_loop_t loop;
	int rc;

	memset(&m, 0, sizeof(m));
	signal(SIGPIPE, SIG_IGN);
	if ((m.cfg = cfgref_new()) == NULL) {
		config_release(cfg);
		return 1;
	}
	m.cfg->cfg = *cfg;		/* taken over */
	config_init(cfg);
	m.config_path = config_path;
	m.overrides = *ov;
	m.st.started = time(NULL);
	stats_init(&m.st.stats, m.st.started);
	m.st.db_down_since = 0;
	uv_loop_init(&loop);
	m.loop = &loop;
	log_info("starting migrated %s (pid %ld)", MIGRATED_VERSION,
	    (long)getpid());
	if ((rc = daemon_start(&m)) != 0) {
		uv_run(&loop, UV_RUN_DEFAULT);
		m.exit_code = rc;
	} else {
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	if ((rc = uv_loop_close(&loop)) != 0)
		log_warnx("event loop closed with handles open: %s",
		    uv_strerror(rc));
	t1_summary_release(&m.st.t1);
	t2_summary_release(&m.st.t2);
	stats_release(&m.st.stats);
	preconn_drop(&m.pre);	/* when the worker did not take it */
	ops_free(m.ops);
	cfgref_put(m.cfg);
	log_info("stopped (exit %d)", m.exit_code);
	return m.exit_code;
}
