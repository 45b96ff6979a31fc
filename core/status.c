/* status.c - the daemon's summaries and verdicts as C structs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

static int
dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	if (s && (*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

/* ---- tier 1 ---- */

void
t1_summary_init(struct t1_summary *s)
{
	memset(s, 0, sizeof(*s));
}

static void
t1_problems_free(struct t1_problem *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].kind);
		free(v[i].target);
		free(v[i].reason);
		free(v[i].hint);
	}
	free(v);
}

void
t1_summary_release(struct t1_summary *s)
{
	t1_problems_free(s->problems, s->nproblems);
	t1_summary_init(s);
}

/* The refused and drift changes, at most T1_PROBLEMS_MAX (not what applied
 * enhancements created: that is in sync). */
static int
t1_problems(struct t1_summary *s, const struct plan *p, struct merr *e)
{
	struct t1_problem *t;

	if (p == NULL || p->n == 0)
		return 0;
	if ((s->problems = calloc(p->n < T1_PROBLEMS_MAX ? p->n :
	    T1_PROBLEMS_MAX, sizeof(*s->problems))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (size_t i = 0; i < p->n && s->nproblems < T1_PROBLEMS_MAX; i++) {
		const struct plan_change *c = &p->v[i];

		if (c->cls == PLAN_SAFE || c->cls == PLAN_TIER2)
			continue;
		t = &s->problems[s->nproblems++];
		t->cls = plan_class_name(c->cls);
		if (dup_opt(&t->kind, c->kind) == -1 ||
		    dup_opt(&t->target, c->target) == -1 ||
		    dup_opt(&t->reason, c->reason) == -1 ||
		    dup_opt(&t->hint, c->hint) == -1)
			return merr_set(e, MERR_NOMEM, "out of memory");
	}
	return 0;
}

int
t1_summary_plan(struct t1_summary *s, const struct plan *p, struct merr *e)
{
	t1_summary_release(s);
	s->available = 1;
	s->planned = 1;
	s->pending_safe = p->nsafe;
	s->refused = p->nrefused;
	s->drift = p->ndrift;
	if (t1_problems(s, p, e) == -1) {
		t1_summary_release(s);
		return -1;
	}
	return 0;
}

int
t1_summary_run(struct t1_summary *s, const struct tier1_report *r,
    const struct plan *p, struct merr *e)
{
	t1_summary_release(s);
	s->available = 1;
	s->ran = 1;
	s->applied = r->applied;
	s->refused = r->refused;
	s->drift = r->drift;
	s->statements = r->statements;
	s->duration_ms = r->duration_ms;
	s->waited = r->waited;
	if (t1_problems(s, p, e) == -1) {
		t1_summary_release(s);
		return -1;
	}
	return 0;
}

void
t1_summary_merge(struct t1_summary *dst, struct t1_summary *src)
{
	t1_problems_free(dst->problems, dst->nproblems);
	dst->available = 1;
	dst->planned = 1;
	dst->pending_safe = src->pending_safe;
	dst->refused = src->refused;
	dst->drift = src->drift;
	dst->problems = src->problems;
	dst->nproblems = src->nproblems;
	src->problems = NULL;
	src->nproblems = 0;
	t1_summary_release(src);
}

static size_t
add(char *buf, size_t len, size_t off, const char *fmt, size_t n,
    const char *plural)
{
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, fmt, n,
		    n == 1 ? "" : plural);
	return off;
}

void
t1_summary_line(const struct t1_summary *s, char *buf, size_t len)
{
	size_t off;

	if (s == NULL) {
		snprintf(buf, len, "schema not checked yet");
		return;
	}
	if (!s->available) {
		snprintf(buf, len, "tier 1 not built");
		return;
	}
	if (s->refused == 0 && s->drift == 0 && s->pending_safe == 0) {
		snprintf(buf, len, "schema in sync");
		return;
	}
	off = (size_t)snprintf(buf, len, "schema:");
	if (s->pending_safe)
		off = add(buf, len, off, " %zu change%s to apply,",
		    s->pending_safe, "s");
	if (s->refused)
		off = add(buf, len, off, " %zu change%s refused,", s->refused,
		    "s");
	if (s->drift)
		off = add(buf, len, off, " %zu drift%s,", s->drift, "");
	if (off > 0 && off <= len)
		buf[off - 1] = '\0';	/* the last comma */
}

/* ---- tier 2 ---- */

void
t2_summary_init(struct t2_summary *s)
{
	memset(s, 0, sizeof(*s));
}

void
t2_summary_release(struct t2_summary *s)
{
	for (size_t i = 0; i < s->npending; i++)
		free(s->pending[i]);
	free(s->pending);
	for (size_t i = 0; i < s->ndirty; i++) {
		free(s->dirty[i].name);
		free(s->dirty[i].direction);
		free(s->dirty[i].error);
	}
	free(s->dirty);
	for (size_t i = 0; i < s->nwarnings; i++)
		free(s->warnings[i]);
	free(s->warnings);
	t2_summary_forget_clean(s);
	t2_summary_init(s);
}

void
t2_summary_forget_clean(struct t2_summary *s)
{
	for (size_t i = 0; i < s->nclean; i++)
		free(s->clean[i]);
	free(s->clean);
	s->clean = NULL;
	s->nclean = 0;
}

void
t2_summary_move(struct t2_summary *dst, struct t2_summary *src)
{
	t2_summary_release(dst);
	*dst = *src;
	t2_summary_init(src);
}

/*
 * "20240110_150000_add_user_preferences", as the file (sql-migrate's
 * version is the whole name: its name is empty)
 */
static char *
t2_name(const struct migrate_row *w)
{
	char *n;

	if (asprintf(&n, "%s%s%s", w->version, w->name && *w->name ? "_" : "",
	    w->name ? w->name : "") == -1)
		return NULL;
	return n;
}

static int
t2_dirty_add(struct t2_summary *s, const struct migrate_row *w)
{
	struct t2_dirty *d = &s->dirty[s->ndirty++];

	d->stmt_done = w->stmt_done;
	d->nstmts = w->nstmts;
	if ((d->name = t2_name(w)) == NULL ||
	    dup_opt(&d->direction, w->direction) == -1 ||
	    dup_opt(&d->error, w->error) == -1)
		return -1;
	return 0;
}

static int
t2_rows(struct t2_summary *s, const struct migrate_result *r)
{
	if (r->nrows == 0)
		return 0;
	if ((s->pending = calloc(r->nrows, sizeof(*s->pending))) == NULL ||
	    (s->dirty = calloc(r->nrows, sizeof(*s->dirty))) == NULL)
		return -1;
	for (size_t i = 0; i < r->nrows; i++) {
		const struct migrate_row *w = &r->rows[i];

		if (w->state == MIG_PENDING) {
			if ((s->pending[s->npending] = t2_name(w)) == NULL)
				return -1;
			s->npending++;
		} else if (w->state == MIG_DIRTY && t2_dirty_add(s, w) == -1)
			return -1;
	}
	return 0;
}

/*
 * t2_summary.clean: "version/checksum/rollback checksum" of each version
 * applied, the checksum the table's (the file's when it did not change
 * since), the rollback's its file's as read ("" none).  Unsorted: made at
 * every status, sorted only by the rare reader (daemon/check.c).
 */
static int
t2_clean(struct t2_summary *s, const struct migrate_result *r)
{
	if (r->nrows == 0)
		return 0;
	if ((s->clean = calloc(r->nrows, sizeof(*s->clean))) == NULL)
		return -1;
	for (size_t i = 0; i < r->nrows; i++) {
		const struct migrate_row *w = &r->rows[i];

		if (w->state != MIG_APPLIED || !w->checksum)
			continue;
		if (asprintf(&s->clean[s->nclean], "%s/%s/%s", w->version,
		    w->checksum, w->down_checksum) == -1)
			return -1;
		s->nclean++;
	}
	return 0;
}

/* The rollback-syntax findings, "file:line:col: message". */
static int
t2_warnings(struct t2_summary *s, const struct migrate_result *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->lint.n; i++)
		n += r->lint.v[i].rule == LINT_ROLLBACK_SYNTAX;
	if (n == 0)
		return 0;
	if ((s->warnings = calloc(n, sizeof(*s->warnings))) == NULL)
		return -1;
	for (size_t i = 0; i < r->lint.n; i++) {
		const struct lint_finding *f = &r->lint.v[i];

		if (f->rule != LINT_ROLLBACK_SYNTAX)
			continue;
		if (asprintf(&s->warnings[s->nwarnings], "%s:%d:%d: %s",
		    f->file, f->line, f->col, f->message) == -1)
			return -1;
		s->nwarnings++;
	}
	return 0;
}

int
t2_summary_from(struct t2_summary *s, const struct migrate_result *r,
    struct merr *e)
{
	t2_summary_release(s);
	s->available = 1;
	snprintf(s->current, sizeof(s->current), "%s", r->current);
	s->applied = r->napplied;
	s->drift = r->ndrift;
	s->missing = r->nmissing;
	s->out_of_order = r->nooo;
	s->dirty_count = r->ndirty;
	if (t2_rows(s, r) == -1 || t2_warnings(s, r) == -1 ||
	    t2_clean(s, r) == -1) {
		t2_summary_release(s);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	return 0;
}

void
t2_summary_line(const struct t2_summary *s, char *buf, size_t len)
{
	size_t off;

	if (s == NULL || !s->available) {
		snprintf(buf, len, "%s", s ? "tier 2 not built" : "");
		return;
	}
	if (s->ndirty > 0) {
		snprintf(buf, len, "enhancement %s is dirty", s->dirty[0].name);
		return;
	}
	if (s->npending == 0) {
		snprintf(buf, len, "no enhancement pending");
		return;
	}
	off = (size_t)snprintf(buf, len, "%zu enhancement%s pending: ",
	    s->npending, s->npending == 1 ? "" : "s");
	for (size_t i = 0; i < s->npending && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? ", " : "", s->pending[i]);
}

/* ---- check ---- */

/* "3 drift item(s)" when n > 0 */
static void
check_count(struct check_verdict *v, size_t n, const char *what)
{
	if (n > 0 && v->nproblems < CHECK_PROBLEMS_MAX)
		snprintf(v->problems[v->nproblems++], sizeof(v->problems[0]),
		    "%zu %s", n, what);
}

static void
check_flag(struct check_verdict *v, int set, const char *what)
{
	if (set && v->nproblems < CHECK_PROBLEMS_MAX)
		snprintf(v->problems[v->nproblems++], sizeof(v->problems[0]),
		    "%s", what);
}

void
check_verdict_make(struct check_verdict *v, const struct plan *p,
    const struct t2_summary *t2)
{
	memset(v, 0, sizeof(*v));
	v->safe = p->nsafe;
	v->refused = p->nrefused;
	v->drift = p->ndrift;
	check_count(v, p->nsafe, "schema change(s) not applied yet");
	check_count(v, p->nrefused, "schema change(s) refused");
	check_count(v, p->ndrift, "drift item(s)");
	check_count(v, t2->npending, "enhancement(s) pending");
	check_flag(v, t2->dirty_count > 0, "a dirty enhancement");
	check_flag(v, t2->drift > 0, "an applied enhancement was edited "
	    "(checksum)");
	v->clean = v->nproblems == 0;
}

/* ---- the daemon ---- */

static void
status_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
status_idle_line(const struct daemon_status *s, char *buf, size_t len)
{
	char schema[256], pending[512];
	int n;

	t1_summary_line(s->t1, schema, sizeof(schema));
	t2_summary_line(s->t2, pending, sizeof(pending));
	n = snprintf(buf, len, "%s%s%s", schema, pending[0] ? "; " : "",
	    pending);
	/* e.g. a migration file that does not parse */
	if (s->last_error && s->last_error[0] && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "; error: %s",
		    s->last_error);
	/* still on the old configuration: say so */
	if (s->reload_error && s->reload_error[0] && n > 0 &&
	    (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; reload failed, old "
		    "configuration kept: %s", s->reload_error);
}

const char *
daemon_state_name(const struct daemon_status *s)
{
	if (s->stopping)
		return "stopping";
	if (s->degraded)
		return "degraded";
	return s->ready ? "ready" : "starting";
}

void
daemon_status_line(const struct daemon_status *s, char *buf, size_t len)
{
	char when[32];

	if (s->stopping) {
		snprintf(buf, len, "stopping%s%s", s->busy_op ?
		    ": finishing " : "", s->busy_op ? s->busy_op : "");
	} else if (!s->db_up && s->db_down_since == 0) {
		snprintf(buf, len, "starting: connecting to the database");
	} else if (!s->db_up) {
		status_time(s->db_down_since, when, sizeof(when));
		snprintf(buf, len, "%sdatabase unavailable since %s",
		    s->ready ? "" : "starting: ", when);
	} else if (s->degraded) {
		snprintf(buf, len, "degraded: %s", s->last_error &&
		    s->last_error[0] ? s->last_error : "the last run failed");
	} else if (!s->ready) {
		snprintf(buf, len, "starting: running tier 1");
	} else if (s->busy_op) {
		status_time(s->busy_since, when, sizeof(when));
		snprintf(buf, len, "%s in progress since %s", s->busy_op,
		    when);
	} else {
		status_idle_line(s, buf, len);
	}
}
