/* pending.c - failure records waiting for the database (pending.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "audit_head.h"
#include "log.h"
#include "pending.h"
#include "tracking.h"

void
pending_init(struct pending *p)
{
	memset(p, 0, sizeof(*p));
}

void
pending_release(struct pending *p)
{
	json_decref(p->v);
	free(p->dir);
	pending_init(p);
}

int
pending_wanted(const struct mig_event *ev, struct db *db,
    const struct merr *why)
{
	size_t n = strlen(ev->action);

	return !ev->ok && n > 5 && strcmp(ev->action + n - 5, ".fail") == 0 &&
	    (!db_ok(db) || why->code == MERR_CONNECT);
}

static char *
pending_path(const char *dir, const char *name)
{
	char *path;

	return asprintf(&path, "%s/%s", dir, name) == -1 ? NULL : path;
}

/*
 * Read STATE_DIR/pending-audit.json the first time (a missing file is
 * empty); the folder of the start-up configuration stays the one used.
 */
static void
pending_load(struct pending *p, const struct config *cfg)
{
	json_error_t je;
	json_t *old;
	char *path;

	if (p->v || (p->v = json_array()) == NULL || cfg->state_dir == NULL)
		return;
	if ((p->dir = strdup(cfg->state_dir)) == NULL ||
	    (path = pending_path(p->dir, PENDING_FILE)) == NULL)
		return;
	old = json_load_file(path, 0, &je);

	if (json_is_array(old)) {
		json_array_extend(p->v, old);
		log_notice("%zu audit entr%s kept in '%s' wait for the "
		    "database", json_array_size(old),
		    json_array_size(old) == 1 ? "y" : "ies", path);
	} else if (old || access(path, F_OK) == 0) {
		log_warnx("cannot read '%s' (line %d): %s; keeping it aside",
		    path, je.line, je.text);
	}
	json_decref(old);
	free(path);
}

/* Write the array (or remove the file when empty); durably. */
static void
pending_save(struct pending *p)
{
	char *path, *tmp;
	int fd;

	if (p->dir == NULL || (path = pending_path(p->dir, PENDING_FILE)) ==
	    NULL)
		return;
	if (json_array_size(p->v) == 0) {
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("cannot remove '%s'", path);
		free(path);
		return;
	}
	if ((tmp = pending_path(p->dir, "." PENDING_FILE ".tmp")) == NULL) {
		free(path);
		return;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || json_dumpfd(p->v, fd, JSON_COMPACT) == -1 ||
	    fsync(fd) == -1 || rename(tmp, path) == -1)
		log_warn("cannot keep the audit entry in '%s'", path);
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	free(path);
}

void
pending_add(struct pending *p, const struct config *cfg,
    const struct actor *a, const struct mig_event *ev, long long row_id,
    const char *row_hash, const struct audit_doubt *by)
{
	char at[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *o;

	pending_load(p, cfg);
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s?, s:s?, s:s?, s:I, s:i, s:s?, s:s?, s:s, "
	    "s:b, s:I, s:I, s:s?}", "action", ev->action, "target", ev->target,
	    "detail", ev->detail, "checksum", ev->checksum, "duration_ms",
	    (json_int_t)ev->duration_ms, "statements", ev->statements,
	    "sqlstate", ev->sqlstate, "error", ev->error, "at", at,
	    "daemon", a->is_daemon, "uid", (json_int_t)a->uid, "pid",
	    (json_int_t)a->pid, "user", a->user);
	if (o && row_id > 0 && (json_object_set_new(o, "commit_row",
	    json_integer(row_id)) == -1 || json_object_set_new(o,
	    "commit_hash", json_string(row_hash)) == -1)) {
		json_decref(o);
		o = NULL;
	}
	if (o && row_id <= 0 && by && (json_object_set_new(o, "doubt_after",
	    json_integer(by->after)) == -1 || json_object_set_new(o,
	    "doubt_pid", json_integer(by->daemon_pid)) == -1 ||
	    (by->host && json_object_set_new(o, "doubt_host",
	    json_string(by->host)) == -1))) {
		json_decref(o);
		o = NULL;
	}
	if (o == NULL || p->v == NULL || json_array_append_new(p->v, o) == -1) {
		log_warnx("cannot keep the audit entry of %s: out of memory",
		    ev->action);
		return;
	}
	log_warnx("%s%s%s: the database is gone: its audit entry waits "
	    "until it is back%s", ev->action, ev->target ? " " : "",
	    ev->target ? ev->target : "", p->dir ? "" :
	    " (in memory only: no state_dir)");
	pending_save(p);
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A tier-2 file that stopped half-way: its tracking row says why. */
static int
pending_dirty(struct db *db, const struct config *cfg, const char *target,
    const char *error, const char *sqlstate, struct merr *e)
{
	struct tracking t;
	int rc = 0;

	if (target == NULL || tracking_load(db, cfg, &t, e) == -1)
		return target ? -1 : 0;
	for (size_t i = 0; i < t.n && rc == 0; i++) {
		size_t n = strlen(t.v[i].version);

		if (t.v[i].dirty && strncmp(target, t.v[i].version, n) == 0 &&
		    (target[n] == '\0' || target[n] == '_'))
			rc = tracking_fail(db, cfg, t.v[i].version, error,
			    sqlstate, e);
	}
	tracking_release(&t);
	return rc;
}

/*
 * Did the transaction of a failure kept with an in-doubt COMMIT commit
 * after all?  Its audit row, by id and hash, says (pending.h): 1 yes, 0
 * no (or nothing to look up), -1 a database error.
 */
static int
pending_committed(json_t *o, struct db *db, struct audit *a,
    struct merr *e)
{
	long long id = json_integer_value(json_object_get(o, "commit_row"));
	const char *want = jstr(o, "commit_hash");
	json_t *after = json_object_get(o, "doubt_after");
	struct audit_doubt by = { json_integer_value(after), jstr(o, "target"),
	    jstr(o, "checksum"), json_integer_value(json_object_get(o,
	    "doubt_pid")), jstr(o, "doubt_host") };
	char hash[65];
	int found;

	if ((id <= 0 || want == NULL) && json_is_integer(after) && by.target) {
		if (audit_doubt_find(db, a->table, &by, &found, e) == -1)
			return -1;
		return found;
	}
	if (id <= 0 || want == NULL)
		return 0;
	if (audit_head_lookup(db, a->table, id, &found, hash, e) == -1)
		return -1;
	return found && strcmp(hash, want) == 0;
}

/* One kept event: its audit row, the dirty row's error, the notice. */
static int
pending_write(json_t *o, const struct config *cfg, struct db *db,
    struct audit *a, const char *origin, struct merr *e)
{
	struct mig_event ev;
	struct actor who;
	char error[1024];

	memset(&ev, 0, sizeof(ev));
	memset(&who, 0, sizeof(who));
	ev.action = jstr(o, "action");
	ev.target = jstr(o, "target");
	ev.detail = jstr(o, "detail");
	ev.checksum = jstr(o, "checksum");
	ev.duration_ms = (long)json_integer_value(json_object_get(o,
	    "duration_ms"));
	ev.statements = (int)json_integer_value(json_object_get(o,
	    "statements"));
	ev.sqlstate = jstr(o, "sqlstate");
	snprintf(error, sizeof(error), "%s (at %s, while the database went "
	    "away; recorded once it was back)", jstr(o, "error") ?
	    jstr(o, "error") : "interrupted", jstr(o, "at") ? jstr(o, "at") :
	    "?");
	ev.error = error;
	who.is_daemon = json_is_true(json_object_get(o, "daemon"));
	who.uid = (uid_t)json_integer_value(json_object_get(o, "uid"));
	who.pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	who.user = jstr(o, "user");
	if (ev.action == NULL)
		return 0;	/* not ours: dropped */
	switch (pending_committed(o, db, a, e)) {
	case -1:
		return -1;
	case 1:
		if (json_object_get(o, "commit_row"))
			log_notice("%s%s%s: not recorded: the connection was "
			    "lost after its COMMIT, and the database holds "
			    "that transaction's audit row %lld: it committed",
			    ev.action, ev.target ? " " : "", ev.target ?
			    ev.target : "", (long long)json_integer_value(
			    json_object_get(o, "commit_row")));
		else
			log_notice("%s%s%s: not recorded: the connection was "
			    "lost after its COMMIT, and the database holds "
			    "its success row, found by its content: it "
			    "committed", ev.action, ev.target ? " " : "",
			    ev.target ? ev.target : "");
		return 0;
	}
	/* all or nothing: a retry must not write the row twice */
	if (db_exec(db, "BEGIN", e) == -1 ||
	    audit_record(a, db, &who, &ev, e) == -1 ||
	    pending_dirty(db, cfg, ev.target, error, ev.sqlstate, e) == -1 ||
	    announce_change(db, cfg, origin, ev.action, ev.target, e) == -1 ||
	    db_exec(db, "COMMIT", e) == -1) {
		struct merr ignore;

		merr_clear(&ignore);
		db_exec(db, "ROLLBACK", &ignore);
		return -1;
	}
	log_notice("%s%s%s: recorded in the audit table now that the "
	    "database is back", ev.action, ev.target ? " " : "",
	    ev.target ? ev.target : "");
	return 0;
}

int
pending_none(const struct pending *p)
{
	return p->v != NULL && json_array_size(p->v) == 0;
}

int
pending_flush(struct pending *p, const struct config *cfg, struct db *db,
    struct audit *a, const char *origin, struct merr *e)
{
	int rc = 0;

	pending_load(p, cfg);
	if (p->v == NULL || json_array_size(p->v) == 0)
		return 0;
	while (json_array_size(p->v) > 0 && rc == 0) {
		if ((rc = pending_write(json_array_get(p->v, 0), cfg, db, a,
		    origin, e)) == 0)
			json_array_remove(p->v, 0);
	}
	pending_save(p);
	return rc;
}
