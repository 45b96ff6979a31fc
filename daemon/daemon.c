/*
 * daemon.c - the life cycle of migrated: start-up order, signals,
 * reconnecting, reload, the status it reports, and an orderly stop.
 *
 * Start-up: listen on the control socket (status answers from the first
 * moment), then the worker connects (retrying with capped exponential
 * backoff, each attempt logged), runs tier 1 and reads tier 2's status;
 * only then READY=1.  A tier-1 failure at start-up that is not the
 * database being away exits 1, like a configuration error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "ops.h"
#include "version.h"

#define RECONNECT_MIN_MS	500
#define RECONNECT_MAX_MS	30000
#define PING_MS			2000

static void	daemon_finish(struct migrated *);
static void	daemon_submit_startup(struct migrated *);
static void	daemon_sighup(struct migrated *);

struct cfgref *
cfgref_new(void)
{
	struct cfgref *r = calloc(1, sizeof(*r));

	if (r)
		r->refs = 1;
	return r;
}

struct cfgref *
cfgref_get(struct cfgref *r)
{
	r->refs++;
	return r;
}

void
cfgref_put(struct cfgref *r)
{
	if (r && --r->refs == 0) {
		config_release(&r->cfg);
		free(r);
	}
}

static void
daemon_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "schema in sync" / "schema: 1 change refused, 2 drift" */
static void
status_schema(const json_t *t1, char *buf, size_t len)
{
	json_int_t refused, drift, safe;
	int n;

	if (t1 == NULL) {
		snprintf(buf, len, "schema not checked yet");
		return;
	}
	if (!json_is_true(json_object_get(t1, "available"))) {
		snprintf(buf, len, "tier 1 not built");
		return;
	}
	refused = json_integer_value(json_object_get(t1, "refused"));
	drift = json_integer_value(json_object_get(t1, "drift"));
	safe = json_integer_value(json_object_get(t1, "pending_safe"));
	if (refused == 0 && drift == 0 && safe == 0) {
		snprintf(buf, len, "schema in sync");
		return;
	}
	n = snprintf(buf, len, "schema:");
	if (safe && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %lld change%s to "
		    "apply,", (long long)safe, safe == 1 ? "" : "s");
	if (refused && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %lld change%s "
		    "refused,", (long long)refused, refused == 1 ? "" : "s");
	if (drift && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %lld drift,",
		    (long long)drift);
	if (n > 0 && (size_t)n <= len)
		buf[n - 1] = '\0';	/* the last comma */
}

/* "1 enhancement pending: 20240110_150000_add_user_preferences" */
static void
status_pending(const json_t *t2, char *buf, size_t len)
{
	const json_t *p, *d, *v;
	size_t n, i, off;

	if (t2 == NULL || !json_is_true(json_object_get(t2, "available"))) {
		snprintf(buf, len, "%s", t2 ? "tier 2 not built" : "");
		return;
	}
	p = json_object_get(t2, "pending");
	d = json_object_get(t2, "dirty");
	if (json_array_size(d) > 0) {
		snprintf(buf, len, "enhancement %s is dirty",
		    json_string_value(json_object_get(json_array_get(d, 0),
		    "name")));
		return;
	}
	if ((n = json_array_size(p)) == 0) {
		snprintf(buf, len, "no enhancement pending");
		return;
	}
	off = (size_t)snprintf(buf, len, "%zu enhancement%s pending: ", n,
	    n == 1 ? "" : "s");
	json_array_foreach(p, i, v) {
		if (off >= len)
			break;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? ", " : "", json_string_value(v));
	}
}

static void
status_line(struct migrated *m, char *buf, size_t len)
{
	struct dstate *s = &m->st;
	char when[32];
	int n;

	if (m->stopping) {
		snprintf(buf, len, "stopping%s%s", s->busy_op ?
		    ": finishing " : "", s->busy_op ? s->busy_op : "");
	} else if (!s->db_up && s->db_down_since == 0) {
		snprintf(buf, len, "starting: connecting to the database");
	} else if (!s->db_up) {
		daemon_time(s->db_down_since, when, sizeof(when));
		snprintf(buf, len, "%sdatabase unavailable since %s",
		    s->ready ? "" : "starting: ", when);
	} else if (!s->ready) {
		snprintf(buf, len, "starting: running tier 1");
	} else if (s->busy_op) {
		daemon_time(s->busy_since, when, sizeof(when));
		snprintf(buf, len, "%s in progress since %s", s->busy_op,
		    when);
	} else {
		status_schema(s->tier1, s->schema_line,
		    sizeof(s->schema_line));
		status_pending(s->tier2, s->pending_line,
		    sizeof(s->pending_line));
		n = snprintf(buf, len, "%s%s%s", s->schema_line,
		    s->pending_line[0] ? "; " : "", s->pending_line);
		/* e.g. a migration file that does not parse */
		if (s->last_error[0] && n > 0 && (size_t)n < len)
			snprintf(buf + n, len - (size_t)n, "; error: %s",
			    s->last_error);
	}
}

json_t *
daemon_status_json(struct migrated *m)
{
	struct dstate *s = &m->st;
	char line[1024], since[32], down[32];
	json_t *busy = json_null();

	status_line(m, line, sizeof(line));
	if (s->busy_op) {
		daemon_time(s->busy_since, since, sizeof(since));
		busy = json_pack("{s:s, s:s, s:I}", "op", s->busy_op, "since",
		    since, "uid", (json_int_t)s->busy_uid);
	}
	daemon_time(s->db_down_since, down, sizeof(down));
	return json_pack("{s:s, s:i, s:I, s:I, s:b, s:b, s:s, "
	    "s:{s:b, s:s?, s:s?, s:s?}, s:o, s:O?, s:O?, s:s?, s:s, s:s?, "
	    "s:I, s:i}",
	    "version", MIGRATED_VERSION, "proto", PROTO_VERSION,
	    "pid", (json_int_t)getpid(),
	    "uptime_s", (json_int_t)(time(NULL) - s->started),
	    "ready", s->ready, "stopping", m->stopping != 0, "status", line,
	    "database", "available", s->db_up,
	    "where", s->db_where[0] ? s->db_where : NULL,
	    "error", s->db_up || !s->db_error[0] ? NULL : s->db_error,
	    "down_since", s->db_up ? NULL : down,
	    "busy", busy, "schema", s->tier1, "enhancements", s->tier2,
	    "last_error", s->last_error[0] ? s->last_error : NULL,
	    "apply", config_apply_name(m->cfg->cfg.apply),
	    "config", m->cfg->cfg.path,
	    "reloads", (json_int_t)s->reloads,
	    "jobs", m->dbloop.pending);
}

void
daemon_status_changed(struct migrated *m)
{
	char line[sizeof(m->st.notified)];

	if (m->finishing)
		return;
	status_line(m, line, sizeof(line));
	if (strcmp(line, m->st.notified)) {
		memcpy(m->st.notified, line, sizeof(line));
		notify_send(&m->notify, "STATUS=%s", line);
	}
	if (m->stopping && dbloop_idle(&m->dbloop)) {
		daemon_finish(m);
		return;
	}
	if (m->reload_pending && !m->st.busy_op && !m->stopping) {
		m->reload_pending = 0;
		daemon_sighup(m);
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
	log_warnx("database unavailable: %s; retrying in %ld ms", e->msg,
	    m->reconnect_ms);
	if (!m->reconnecting && !m->stopping) {
		m->reconnecting = 1;
		uv_timer_start(&m->reconnect, daemon_reconnect_cb,
		    (uint64_t)m->reconnect_ms, 0);
	}
}

/* startup / recheck finished: ready, back, or a start-up failure. */
static void
daemon_startup_done(void *arg, struct job *j)
{
	struct migrated *m = arg;
	int was_up = m->st.db_up;

	ops_done(m, j);
	if (j->rc == 0) {
		m->st.db_up = 1;
		m->st.last_error[0] = '\0';
		if (!was_up && m->st.db_down_since && m->st.ready)
			log_notice("database available again at %s",
			    m->st.db_where);
		if (!m->st.ready) {
			m->st.ready = 1;
			notify_send(&m->notify, "READY=1");
			log_info("ready (%s)", m->st.db_where);
		}
	} else if (!j->db_lost) {
		m->st.db_up = 1;
		merr_format(&j->err, m->st.last_error,
		    sizeof(m->st.last_error));
		log_merr(j->name, &j->err);
		if (!m->st.ready) {
			m->exit_code = 1;
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
	struct job *j = ops_job(m, m->st.ready ? "recheck" : "startup",
	    daemon_startup_done);

	if (m->st.ready)
		log_info("database is back: re-checking the schema");
	if (j)
		dbloop_submit(&m->dbloop, j);
}

static void
daemon_ping_done(void *arg, struct job *j)
{
	struct migrated *m = arg;

	ops_done(m, j);
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
	if ((j = ops_job(m, "ping", daemon_ping_done)) != NULL)
		dbloop_submit(&m->dbloop, j);
}

/* The watcher: the migrations folder settled after a change. */
static void
daemon_watch_cb(void *arg, const char *file)
{
	struct migrated *m = arg;
	struct job *j;

	log_info("migrations folder changed ('%s'): revalidating", file);
	if (!m->st.db_up || m->stopping ||
	    (j = ops_job(m, "refresh", daemon_startup_done)) == NULL)
		return;
	if (m->cfg->cfg.apply == APPLY_WHEN_PENDING && !m->st.busy_op) {
		j->mutating = 1;
		m->st.busy_op = "up";
		m->st.busy_since = time(NULL);
		m->st.busy_uid = (long)geteuid();
	}
	dbloop_submit(&m->dbloop, j);
}

static int
daemon_reload_failed(struct migrated *m, const struct merr *e)
{
	log_merr("reload failed, keeping the old configuration", e);
	m->st.reloads++;
	return -1;
}

int
daemon_reload(struct migrated *m, struct merr *e)
{
	struct cfgref *fresh = cfgref_new();
	struct config *old = &m->cfg->cfg;

	if (fresh == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (config_load(&fresh->cfg, m->config_path, &m->overrides, e) == -1) {
		free(fresh);
		return daemon_reload_failed(m, e);
	}
	if (config_check_paths(&fresh->cfg, e) == -1 ||
	    ops_preflight(&fresh->cfg, e) == -1) {
		cfgref_put(fresh);
		return daemon_reload_failed(m, e);
	}
	if (strcmp(old->socket_path, fresh->cfg.socket_path))
		log_warnx("reload: a new socket path takes effect at the next "
		    "start");
	if (strcmp(old->migrations_dir, fresh->cfg.migrations_dir))
		watch_start(&m->watch, fresh->cfg.migrations_dir);
	cfgref_put(m->cfg);
	m->cfg = fresh;
	log_info("configuration reloaded%s%s", fresh->cfg.path ? " from " :
	    "", fresh->cfg.path ? fresh->cfg.path : "");
	m->st.reloads++;
	return 0;
}

static void
daemon_reload_done(void *arg, struct job *j)
{
	daemon_startup_done(arg, j);
}

static void
daemon_sighup(struct migrated *m)
{
	struct merr e;
	struct job *j;

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
	if (daemon_reload(m, &e) == -1)
		return;
	if (!m->st.db_up || (j = ops_job(m, "reload", daemon_reload_done))
	    == NULL)
		return;
	j->mutating = 1;
	m->st.busy_op = "reload";
	m->st.busy_since = time(NULL);
	m->st.busy_uid = (long)geteuid();
	dbloop_submit(&m->dbloop, j);
	daemon_status_changed(m);
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
	control_stop_accepting(&m->control);
	uv_timer_stop(&m->ping);
	uv_timer_stop(&m->reconnect);
	if (m->st.db_up && (j = ops_job(m, "stop", daemon_stop_done))) {
		snprintf(j->user, sizeof(j->user), "%d", m->exit_code);
		j->req.sub = strdup(j->user);
		dbloop_submit(&m->dbloop, j);
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
	watch_close(&m->watch);
	notify_close(&m->notify);
	uv_close((uv_handle_t *)&m->reconnect, NULL);
	uv_close((uv_handle_t *)&m->ping, NULL);
	uv_close((uv_handle_t *)&m->sigterm, NULL);
	uv_close((uv_handle_t *)&m->sigint, NULL);
	uv_close((uv_handle_t *)&m->sighup, NULL);
}

static void
daemon_progress(void *arg, struct job *j, json_t *data)
{
	struct migrated *m = arg;
	struct conn *c = j->conn_id ? control_find(&m->control, j->conn_id) :
	    NULL;

	if (c)
		control_send(c, proto_progress(j->name, data));
	else
		json_decref(data);
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
	m->reconnect.data = m->ping.data = m;
	uv_timer_start(&m->ping, daemon_ping_cb, PING_MS, PING_MS);
	notify_init(&m->notify, m->loop);
	watch_init(&m->watch, m->loop, daemon_watch_cb, m);
	watch_start(&m->watch, m->cfg->cfg.migrations_dir);
}


static int
daemon_start(struct migrated *m)
{
	struct merr e;
	int rc;

	merr_clear(&e);
	if (ops_preflight(&m->cfg->cfg, &e) == -1 ||
	    control_listen(&m->control, m, m->loop, &m->cfg->cfg, &e) == -1) {
		log_merr("error", &e);
		return -1;
	}
	if ((m->ops = ops_new()) == NULL ||
	    (rc = dbloop_init(&m->dbloop, m->loop, daemon_progress, m)) != 0) {
		log_errorx("error: cannot start the worker");
		control_close(&m->control);
		return -1;
	}
	m->dbloop.wstate = m->ops;
	if ((rc = dbloop_start(&m->dbloop)) != 0) {
		log_errorx("error: cannot start the worker: %s",
		    uv_strerror(rc));
		control_close(&m->control);
		dbloop_stop(&m->dbloop);
		return -1;
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
	m.st.db_down_since = 0;
	uv_loop_init(&loop);
	m.loop = &loop;
	log_info("starting migrated %s (pid %ld)", MIGRATED_VERSION,
	    (long)getpid());
	if (daemon_start(&m) == -1) {
		uv_run(&loop, UV_RUN_DEFAULT);
		m.exit_code = 1;
	} else {
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	if ((rc = uv_loop_close(&loop)) != 0)
		log_warnx("event loop closed with handles open: %s",
		    uv_strerror(rc));
	json_decref(m.st.tier1);
	json_decref(m.st.tier2);
	ops_free(m.ops);
	cfgref_put(m.cfg);
	log_info("stopped (exit %d)", m.exit_code);
	return m.exit_code;
}
