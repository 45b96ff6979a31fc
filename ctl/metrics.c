/* metrics.c - status as Prometheus metrics (see metrics.h). */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "proto_status.h"

struct mout {
	FILE		*f;
	char		 labels[256];	/* service="..." */
};

/* A label value: backslash, double quote and newline escaped. */
static void
label_escape(const char *v, char *buf, size_t len)
{
	size_t o = 0;

	for (; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			buf[o++] = '\\';
			buf[o++] = *v == '\n' ? 'n' : *v;
		} else {
			buf[o++] = *v;
		}
	}
	buf[o] = '\0';
}

static void
family(struct mout *m, const char *name, const char *type, const char *help)
{
	fprintf(m->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One family with one sample. */
static void
metric(struct mout *m, const char *name, const char *type, const char *help,
    double v)
{
	family(m, name, type, help);
	fprintf(m->f, "%s{%s} %.17g\n", name, m->labels, v);
}

static json_t *
get(json_t *o, const struct proto_field *t, int i)
{
	return proto_field_get(o, t, i);
}

static double
num(json_t *o, const struct proto_field *t, int i)
{
	json_t *v = get(o, t, i);

	if (json_is_boolean(v))
		return json_is_true(v);
	return json_is_number(v) ? json_number_value(v) : 0;
}

static void
metrics_daemon(struct mout *m, json_t *d)
{
	const struct proto_field *t = proto_status_fields;
	const struct proto_field *dt = t[ST_DATABASE].sub;
	const char *state = json_string_value(get(d, t, ST_STATE));
	const char *ver = json_string_value(get(d, t, ST_VERSION));
	json_t *st = get(d, t, ST_STATS);
	char esc[128];

	metric(m, "migrated_ready", "gauge", "Tier 1 reached the models: "
	    "applications may start (1) or not (0).", num(d, t, ST_READY));
	metric(m, "migrated_degraded", "gauge", "Tier 1 failed after the "
	    "daemon had been ready.", state && !strcmp(state, "degraded"));
	metric(m, "migrated_stopping", "gauge", "The daemon is stopping.",
	    num(d, t, ST_STOPPING));
	label_escape(ver ? ver : "", esc, sizeof(esc));
	family(m, "migrated_info", "gauge", "The daemon's version.");
	fprintf(m->f, "migrated_info{%s,version=\"%s\"} 1\n", m->labels, esc);
	if (json_is_object(st))
		metric(m, "migrated_start_time_seconds", "gauge", "When the "
		    "daemon started, in seconds since the epoch.",
		    num(st, t[ST_STATS].sub, SS_STARTED));
	metric(m, "migrated_database_up", "gauge", "The daemon's database "
	    "connection works.", num(get(d, t, ST_DATABASE), dt,
	    DB_AVAILABLE));
	metric(m, "migrated_busy", "gauge", "A mutating operation is "
	    "running.", json_is_object(get(d, t, ST_BUSY)));
}

static void
metrics_tier1(struct mout *m, json_t *t1, json_t *st)
{
	const struct proto_field *t = proto_t1_fields;
	const struct proto_field *s = proto_status_fields[ST_STATS].sub;

	if (json_is_true(get(t1, t, T1_AVAILABLE))) {
		metric(m, "migrated_tier1_pending_changes", "gauge", "Safe "
		    "changes the last tier-1 plan would still apply.",
		    num(t1, t, T1_PENDING_SAFE));
		metric(m, "migrated_tier1_refused_changes", "gauge", "Changes "
		    "tier 1 refuses as hazardous (models ahead of the "
		    "database).", num(t1, t, T1_REFUSED));
		metric(m, "migrated_tier1_drift_changes", "gauge", "Objects "
		    "the database has that the models do not say.",
		    num(t1, t, T1_DRIFT));
	}
	if (!json_is_object(st))
		return;
	if (num(st, s, SS_T1_AT) > 0) {
		metric(m, "migrated_tier1_last_run_timestamp_seconds", "gauge",
		    "When the last successful tier-1 run ended.",
		    num(st, s, SS_T1_AT));
		metric(m, "migrated_tier1_last_run_duration_seconds", "gauge",
		    "How long the last successful tier-1 run took.",
		    num(st, s, SS_T1_MS) / 1000);
	}
	metric(m, "migrated_tier1_failures_total", "counter", "Tier-1 runs "
	    "that failed since the daemon started.",
	    num(st, s, SS_T1_FAILURES));
}

static void
metrics_tier2(struct mout *m, json_t *t2, json_t *st, time_t now)
{
	const struct proto_field *t = proto_t2_fields;
	const struct proto_field *s = proto_status_fields[ST_STATS].sub;
	double since = num(st, s, SS_PENDING_SINCE);

	if (json_is_true(get(t2, t, T2_AVAILABLE))) {
		metric(m, "migrated_tier2_pending", "gauge", "Enhancements "
		    "waiting to be applied.",
		    (double)json_array_size(get(t2, t, T2_PENDING)));
		metric(m, "migrated_tier2_oldest_pending_age_seconds", "gauge",
		    "How long the oldest pending enhancement has waited, "
		    "since this daemon first saw it (0: none pending).",
		    json_array_size(get(t2, t, T2_PENDING)) && since > 0 ?
		    (double)now - since : 0);
		metric(m, "migrated_tier2_dirty", "gauge", "Enhancements "
		    "whose statement-by-statement run stopped half way.",
		    num(t2, t, T2_DIRTY_COUNT));
		metric(m, "migrated_tier2_edited_after_apply", "gauge",
		    "Applied enhancements whose file changed since.",
		    num(t2, t, T2_DRIFT));
		metric(m, "migrated_tier2_missing", "gauge", "Applied "
		    "enhancements whose file is gone.", num(t2, t, T2_MISSING));
	}
	if (!json_is_object(st))
		return;
	if (num(st, s, SS_T2_AT) > 0) {
		metric(m, "migrated_tier2_last_apply_timestamp_seconds",
		    "gauge", "When the last up, down, goto, force or redo "
		    "ended.", num(st, s, SS_T2_AT));
		metric(m, "migrated_tier2_last_apply_duration_seconds",
		    "gauge", "How long it ran.", num(st, s, SS_T2_MS) / 1000);
		metric(m, "migrated_tier2_last_apply_success", "gauge",
		    "It succeeded (1) or failed (0).", num(st, s, SS_T2_OK));
	}
	metric(m, "migrated_tier2_failures_total", "counter", "Tier-2 "
	    "operations that failed since the daemon started.",
	    num(st, s, SS_T2_FAILURES));
}

/* The last `audit verify` this daemon ran; nothing when none ran yet. */
static void
metrics_audit(struct mout *m, json_t *st)
{
	const struct proto_field *s = proto_status_fields[ST_STATS].sub;
	const char *head = json_string_value(get(st, s, SS_AUDIT_HEAD));
	char esc[80];

	if (num(st, s, SS_AUDIT_AT) <= 0)
		return;
	metric(m, "migrated_audit_chain_ok", "gauge", "The audit table's "
	    "hash chain was intact and append-only at the last verify.",
	    num(st, s, SS_AUDIT_OK));
	metric(m, "migrated_audit_chain_verified_timestamp_seconds", "gauge",
	    "When the chain was last verified.", num(st, s, SS_AUDIT_AT));
	metric(m, "migrated_audit_chain_rows", "gauge", "Rows checked at the "
	    "last verify.", num(st, s, SS_AUDIT_ROWS));
	metric(m, "migrated_audit_chain_head_id", "gauge", "The id of the "
	    "last row checked.", num(st, s, SS_AUDIT_HEAD_ID));
	label_escape(head ? head : "", esc, sizeof(esc));
	family(m, "migrated_audit_chain_head_info", "gauge", "The hash of "
	    "the last row checked (record it elsewhere to detect a "
	    "rewritten table).");
	fprintf(m->f, "migrated_audit_chain_head_info{%s,hash=\"%s\"} 1\n",
	    m->labels, esc);
}

static void
metrics_render(struct mout *m, json_t *d, time_t now)
{
	const struct proto_field *t = proto_status_fields;
	json_t *st = get(d, t, ST_STATS);

	metric(m, "migrated_up", "gauge", "migratectl reached the daemon "
	    "(1) or not (0).", d != NULL);
	if (d == NULL)
		return;
	metrics_daemon(m, d);
	metrics_tier1(m, get(d, t, ST_SCHEMA), st);
	metrics_tier2(m, get(d, t, ST_ENH), st, now);
	if (json_is_object(st))
		metrics_audit(m, st);
}

/* buf to path through a temporary file in the same folder. */
static int
write_atomic(const char *path, const char *buf, size_t len, struct merr *e)
{
	char tmp[4096];
	FILE *f;
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp))
		return merr_set(e, MERR_USAGE, "'%s': path too long", path);
	if ((fd = mkstemp(tmp)) == -1)
		return merr_set(e, MERR_IO, "cannot create a file beside '%s': "
		    "%s", path, strerror(errno));
	/* node_exporter runs as another user: the file is world-readable */
	if (fchmod(fd, 0644) == -1 || (f = fdopen(fd, "w")) == NULL) {
		err = errno;
		close(fd);
		goto fail;
	}
	if (fwrite(buf, 1, len, f) != len || fflush(f) == EOF ||
	    fsync(fileno(f)) == -1) {
		err = errno;
		fclose(f);
		goto fail;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		err = errno;
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return merr_set(e, MERR_IO, "cannot write '%s': %s", path,
	    strerror(err));
}

int
metrics_write(const char *path, const char *service, time_t now,
    json_t *status, struct merr *e)
{
	struct mout m;
	char *buf = NULL, esc[200];
	size_t len = 0;
	int rc;

	if ((m.f = open_memstream(&buf, &len)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	label_escape(service, esc, sizeof(esc));
	snprintf(m.labels, sizeof(m.labels), "service=\"%s\"", esc);
	metrics_render(&m, status, now);
	if (fclose(m.f) == EOF) {
		free(buf);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	if (path)
		rc = write_atomic(path, buf, len, e);
	else if ((rc = fwrite(buf, 1, len, stdout) == len &&
	    fflush(stdout) == 0 ? 0 : -1) == -1)
		merr_set(e, MERR_IO, "cannot write to stdout: %s",
		    strerror(errno));
	free(buf);
	return rc;
}
