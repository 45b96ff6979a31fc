/*
 * migadopt.c - taking over a database: adopt another tool's history,
 * baseline one whose history is gone, and rename the tracking table of an
 * older build.  Each is one transaction with its tracking rows and one
 * audit row, under the migration lock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "config.h"
#include "db.h"
#include "migrate.h"
#include "migrate_int.h"
#include "tracking.h"

/* Append ", v" (or "v") to a growing detail text; NULL on no memory. */
static char *
text_add(char *t, const char *sep, const char *v)
{
	char *n;

	if (t == NULL)
		return NULL;
	if (asprintf(&n, "%s%s%s", t, *t ? sep : "", v) == -1)
		n = NULL;
	free(t);
	return n;
}

/* "golang-migrate public.schema_migrations: 3 versions ...": malloc'd. */
static char *
adopt_detail(const struct adopt_hist *h, const struct adopt_map *m)
{
	char *t = strdup(""), *head = NULL, *out = NULL;
	size_t i;

	for (i = 0; i < m->napplied; i++)
		t = text_add(t, ", ", m->applied[i]->version);
	if (t && asprintf(&head, "%s %s: %zu version%s taken as applied%s%s",
	    adopt_tool_name(h->src.tool), h->src.table, m->napplied,
	    m->napplied == 1 ? "" : "s", m->napplied ? ": " : "", t) == -1)
		head = NULL;
	free(t);
	if (head == NULL || m->nunknown == 0)
		return head;
	t = strdup("");
	for (i = 0; i < m->nunknown; i++)
		t = text_add(t, ", ", m->unknown[i]);
	if (t && asprintf(&out, "%s; in the history but not in the folder: "
	    "%s", head, t) == -1)
		out = NULL;
	free(t);
	free(head);
	return out;
}

struct take_ctx {
	struct mstate		*s;
	struct migration	**v;	/* to record */
	char			**sums;	/* beside each: another checksum to
					   record than its file's, or NULL
					   (adopt_map's recsum); NULL: none */
	size_t			 n;
	const char		*action;	/* tier2.adopt / tier2.baseline */
	const char		*target;
	const char		*detail;
	char			 actor[128];
};

/* Create the table if need be, record the versions, one audit row. */
static int
take_body(struct db *d, void *arg, struct merr *e)
{
	struct take_ctx *f = arg;
	const struct config *cfg = f->s->env->cfg;
	struct mig_event ev;

	if (!f->s->trk.exists && tracking_init(d, cfg, e) == -1)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		struct trk_row w;

		memset(&w, 0, sizeof(w));
		w.version = f->v[i]->version;
		w.name = f->v[i]->name;
		w.checksum = f->sums && f->sums[i] ? f->sums[i] :
		    f->v[i]->checksum;
		w.applied_by = f->actor;
		w.direction = (char *)(uintptr_t)"up";
		if (tracking_put(d, cfg, &w, e) == -1)
			return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.action = f->action;
	ev.target = f->target;
	ev.detail = f->detail;
	ev.duration_ms = -1;
	ev.ok = 1;
	return event_emit(f->s->env->hook, d, &ev, e);
}

static int
take(struct take_ctx *f, struct merr *e)
{
	const struct config *cfg = f->s->env->cfg;
	struct work w = { .lim = { cfg->lock_timeout_ms,
	    cfg->statement_timeout_ms, (int)cfg->lock_retries,
	    cfg->retry_backoff_ms } };
	struct runner ex;
	int rc;

	runner_actor_name(f->s->env->actor, f->actor, sizeof(f->actor));
	runner_init(&ex, f->s->env->db, f->s->env->stop, &w);
	if ((rc = runner_tx(&ex, take_body, f, e)) == 0) {
		tracking_release(&f->s->trk);
		rc = tracking_load(f->s->env->db, cfg, &f->s->trk, e);
	}
	return rc;
}

/* The versions of m not recorded yet (a re-run adopts only those). */
static size_t
not_recorded(const struct mstate *s, struct adopt_map *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->napplied; i++) {
		if (tracking_find(&s->trk, m->applied[i]->version) != NULL) {
			m->nmodified -= m->recsum[i] != NULL;
			free(m->recsum[i]);
			continue;
		}
		m->recsum[n] = m->recsum[i];
		m->applied[n++] = m->applied[i];
	}
	return m->napplied = n;
}

/* "R__a.sql, R__b.sql": the changed repeatables' files; malloc'd. */
static char *
changed_files(const struct adopt_map *m)
{
	char *t = strdup("");

	for (size_t i = 0; i < m->nchanged; i++) {
		const char *f = mig_script_file(&m->changed[i]->up);

		t = text_add(t, ", ", f);
	}
	return t;
}

/* "a.sql, b.sql": the files of m's applied versions a tool ran otherwise */
static char *
modified_files(const struct adopt_map *m)
{
	char *t = strdup("");

	for (size_t i = 0; i < m->napplied; i++) {
		const char *f = mig_script_file(&m->applied[i]->up);

		if (m->recsum[i])
			t = text_add(t, ", ", f);
	}
	return t;
}

/* "...; ...": what adoption met that the folder does not say, or NULL */
static void
notice_set(struct migrate_result *res, const struct adopt_hist *h,
    const struct adopt_map *m)
{
	const char *tool = adopt_tool_name(h->src.tool);
	char *t, *part[3] = { NULL, NULL, NULL }, *all;
	int n = 0;

	if (res == NULL || (m->nunknown == 0 && m->nchanged == 0 &&
	    m->nmodified == 0))
		return;
	if (m->nunknown && (t = strdup("")) != NULL) {
		for (size_t i = 0; i < m->nunknown; i++)
			t = text_add(t, ", ", m->unknown[i]);
		if (t && asprintf(&part[n++], "%s's history (%s) records %zu "
		    "version%s with no file in the folder, not recorded: %s",
		    tool, h->src.table, m->nunknown, m->nunknown == 1 ? "" :
		    "s", t) == -1)
			part[--n] = NULL;
		free(t);
	}
	if (m->nchanged && (t = changed_files(m)) != NULL) {
		if (asprintf(&part[n++], "%zu repeatable migration%s changed "
		    "since %s ran %s (another checksum), pending: %s",
		    m->nchanged, m->nchanged == 1 ? "" : "s", tool,
		    m->nchanged == 1 ? "it" : "them", t) == -1)
			part[--n] = NULL;
		free(t);
	}
	if (m->nmodified && (t = modified_files(m)) != NULL) {
		if (asprintf(&part[n++], "%zu file%s changed since %s ran %s "
		    "(another checksum), recorded as changed: up stops at %s "
		    "until %s restored or forced: %s", m->nmodified,
		    m->nmodified == 1 ? "" : "s", tool, m->nmodified == 1 ?
		    "it" : "them", m->nmodified == 1 ? "it" : "them",
		    m->nmodified == 1 ? "it is" : "they are", t) == -1)
			part[--n] = NULL;
		free(t);
	}
	all = n ? strdup(part[0]) : NULL;
	for (int i = 1; all && i < n; i++)
		all = text_add(all, "; ", part[i]);
	for (int i = 0; i < n; i++)
		free(part[i]);
	free(res->notice);
	res->notice = all;
}

/* Adopt h: record what it says is applied, audited as tier2.adopt. */
static int
adopt_take(struct mstate *s, const struct adopt_hist *h, int dry_run,
    struct migrate_result *res, struct merr *e)
{
	struct take_ctx f;
	struct adopt_map m;
	char *detail;
	int rc = 0;

	if (adopt_map(s->set, h, &m, e) == -1)
		return -1;
	not_recorded(s, &m);
	notice_set(res, h, &m);
	if ((detail = adopt_detail(h, &m)) == NULL) {
		adopt_map_release(&m);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	memset(&f, 0, sizeof(f));
	f.s = s;
	f.v = m.applied;
	f.sums = m.recsum;
	f.n = m.napplied;
	f.action = "tier2.adopt";
	f.target = adopt_tool_name(h->src.tool);
	f.detail = detail;
	if (!dry_run && (s->trk.exists == 0 || m.napplied))
		rc = take(&f, e);
	for (size_t i = 0; rc == 0 && res && i < m.napplied; i++)
		rc = mres_step(res, m.applied[i], dry_run ? "would adopt" :
		    "adopt", 0, 0, e);
	free(detail);
	adopt_map_release(&m);
	return rc;
}

/*
 * The one history to adopt: from names the tool, else exactly one.  With
 * quiet, finding none is not an error (out->tool is ADOPT_NONE).
 */
/*
 * tern's files without any separator (irreversible ones, as 'tern new'
 * says to write them) read as plain ones: versions 1..N, no gap, as tern
 * numbers them.
 */
static int
tern_numbered(const struct migset *set)
{
	char n[24];
	int cmp;

	if (set->layout != MIG_LAYOUT_NATIVE)
		return 0;
	for (size_t i = 0; i < set->n; i++) {
		snprintf(n, sizeof(n), "%zu", i + 1);
		if (adopt_vcmp(set->v[i].version, n, &cmp) == -1 || cmp != 0)
			return 0;
	}
	return set->n > 0;
}

/*
 * Without --from, the tables whose shape many an application's own table
 * could have count only for a folder of their tool's files: tern's
 * schema_version(version) for a tern folder, Atlas's revisions beside an
 * atlas.sum or for plain files (not a goose folder that left Atlas
 * behind, as Hatchet did).
 */
static int
fits_folder(enum adopt_tool t, const struct migset *set)
{
	if (t == ADOPT_TERN)
		return set->layout == MIG_LAYOUT_TERN || tern_numbered(set);
	if (t == ADOPT_ATLAS)
		return set->atlas || set->layout == MIG_LAYOUT_NATIVE ||
		    set->layout == MIG_LAYOUT_GOLANG;
	return 1;
}

/*
 * No history to adopt, and migrated has none: a folder of files and a
 * history no tool migrated reads (Knex's, Alembic's ...) is refused, as
 * Flyway refuses a schema with no history of its own, until 'baseline'
 * says what of the folder is applied.
 */
static int
foreign_refused(const struct mstate *s, struct merr *e)
{
	struct adopt_foreign f;
	int found;

	if (s->set->n == 0)
		return 0;
	if (adopt_foreign(s->env->db, &f, &found, e) == -1)
		return -1;
	if (!found)
		return 0;
	merr_set(e, MERR_STATE, "the database holds %s's history (%s), which "
	    "migrated cannot read: whether the folder's files ran here "
	    "cannot be told", f.tool, f.table);
	merr_detail(e, "%srunning them again could repeat what they did or "
	    "stop half-way on what they made", f.unreadable ? "the role "
	    "may not even read the table (no SELECT); " : "");
	merr_hint(e, "record what is applied with 'migratectl baseline "
	    "VERSION' or 'migrated --once --baseline VERSION' (the newest "
	    "version that ran here; 0 when none of the folder's files did), "
	    "then run again");
	return -1;
}

static int
adopt_choose(struct mstate *s, const char *from, int quiet,
    struct adopt_src *out, struct merr *e)
{
	struct adopt_src found[ADOPT_MAX_FOUND];
	enum adopt_tool want = ADOPT_NONE;
	char names[256] = "";
	size_t n, i;

	if (from && (want = adopt_tool_from_name(from)) == ADOPT_NONE)
		return merr_set(e, MERR_USAGE, "unknown tool '%s': say "
		    "golang-migrate, goose, dbmate, flyway, diesel, prisma, "
		    "pop, sql-migrate, tern, atlas, sqlx, node-pg-migrate, "
		    "supabase, drizzle or postgrator",
		    from);
	if (adopt_detect(s->env->db, s->env->cfg, found, &n, e) == -1)
		return -1;
	for (i = 0; want == ADOPT_NONE && i < n;)
		if (!fits_folder(found[i].tool, s->set))
			found[i] = found[--n];
		else
			i++;
	for (i = 0; i < n; i++) {
		if (want != ADOPT_NONE && found[i].tool == want) {
			*out = found[i];
			return 0;
		}
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		    "%s%s (%s)", i ? ", " : "", adopt_tool_name(found[i].tool),
		    found[i].table);
	}
	if (want == ADOPT_NONE && n == 1) {
		*out = found[0];
		return 0;
	}
	out->tool = ADOPT_NONE;
	if (quiet && n == 0)
		return foreign_refused(s, e);
	if (n > 1 && want == ADOPT_NONE) {
		merr_set(e, MERR_STATE, "found the histories of %zu tools: %s",
		    n, names);
		merr_hint(e, "say which one tells the truth with 'migratectl "
		    "adopt --from TOOL'");
		return -1;
	}
	merr_set(e, MERR_STATE, "no history of %s in the database",
	    want ? adopt_tool_name(want) : "another tool");
	merr_detail(e, "looked in schema current_schema() for "
	    "schema_migrations (golang-migrate, dbmate), goose_db_version, "
	    "flyway_schema_history, __diesel_schema_migrations, "
	    "_prisma_migrations, schema_migration (pop), "
	    "gorp_migrations (sql-migrate), schema_version (tern), "
	    "atlas_schema_revisions (Atlas, also in its own schema), "
	    "_sqlx_migrations (SQLx), pgmigrations (node-pg-migrate), "
	    "supabase_migrations.schema_migrations (Supabase), "
	    "__drizzle_migrations (Drizzle, also in schema drizzle) and "
	    "schemaversion (postgrator)%s%s",
	    n ? "; found " : "", names);
	merr_hint(e, "if the history is gone, record what is applied with "
	    "'migratectl baseline VERSION'");
	return -1;
}

/* An old build's table: renamed in one transaction, audited. */
static int
upgrade_body(struct db *d, void *arg, struct merr *e)
{
	struct mstate *s = arg;
	const struct config *cfg = s->env->cfg;
	struct mig_event ev;
	char detail[300];

	if (tracking_upgrade(d, cfg, e) == -1)
		return -1;
	snprintf(detail, sizeof(detail), "renamed %s.%s (the tracking table "
	    "of builds before 2026-11-30) to %s.%s", cfg->schema,
	    CONFIG_TRACKING_LEGACY, cfg->schema, cfg->tracking_table);
	memset(&ev, 0, sizeof(ev));
	ev.action = "tier2.upgrade";
	ev.target = cfg->tracking_table;
	ev.detail = detail;
	ev.duration_ms = -1;
	ev.ok = 1;
	return event_emit(s->env->hook, d, &ev, e);
}

static int
upgrade(struct mstate *s, struct merr *e)
{
	const struct config *cfg = s->env->cfg;
	struct work w = { .lim = { cfg->lock_timeout_ms,
	    cfg->statement_timeout_ms, (int)cfg->lock_retries,
	    cfg->retry_backoff_ms } };
	struct runner ex;

	runner_init(&ex, s->env->db, s->env->stop, &w);
	if (runner_tx(&ex, upgrade_body, s, e) == -1)
		return -1;
	tracking_release(&s->trk);
	return tracking_load(s->env->db, cfg, &s->trk, e);
}

/*
 * Before the first mutation, under the lock: rename an old build's table,
 * or, when migrated has no table yet, adopt the one other history there
 * is.  Several histories, a dirty or failed one: refused (nothing runs).
 * res (may be NULL) receives the adopted versions as steps.
 */
int
mstate_first(struct mstate *s, struct migrate_result *res, struct merr *e)
{
	struct adopt_src src;
	struct adopt_hist h;
	int rc;

	if (s->trk.legacy)
		return upgrade(s, e);
	if (s->trk.exists)
		return 0;
	if (adopt_choose(s, NULL, 1, &src, e) == -1)
		return -1;
	if (src.tool == ADOPT_NONE)
		return 0;
	if (adopt_read(s->env->db, &src, s->set->dir, &h, e) == -1)
		return -1;
	rc = adopt_take(s, &h, 0, res, e);
	adopt_hist_release(&h);
	return rc;
}

/* The versions of m as rows by tool: s->trk (in memory), res->notice. */
static int
assume(struct mstate *s, const struct adopt_hist *h,
    const struct adopt_map *m, struct migrate_result *res, struct merr *e)
{
	const char *tool = adopt_tool_name(h->src.tool), *upto = NULL;
	struct trk_row *rows;
	char *was, *why = NULL;
	int rc;

	if (m->napplied == 0)
		return 0;
	/* the newest version, a repeatable (sorted last) aside */
	for (size_t i = m->napplied; upto == NULL && i > 0; i--)
		if (m->applied[i - 1]->key[0] != MIG_KEY_REPEATABLE)
			upto = m->applied[i - 1]->version;
	if ((rows = calloc(m->napplied, sizeof(*rows))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (size_t i = 0; i < m->napplied; i++) {
		rows[i].version = m->applied[i]->version;
		rows[i].name = m->applied[i]->name;
		rows[i].checksum = m->recsum[i] ? m->recsum[i] :
		    m->applied[i]->checksum;
		rows[i].applied_by = (char *)(uintptr_t)tool;
	}
	rc = tracking_assume(&s->trk, rows, m->napplied, e);
	free(rows);
	was = res->notice;
	if (rc == 0 && asprintf(&why, "no history of migrated's here yet: "
	    "its first run takes %zu version%s as applied from %s's %s%s%s%s, "
	    "running none%s%s", m->napplied, m->napplied == 1 ? "" : "s", tool,
	    h->src.table, upto ? " (up to " : "", upto ? upto : "",
	    upto ? ")" : "", was ? "; " : "", was ? was : "") == -1)
		rc = merr_set(e, MERR_NOMEM, "out of memory");
	if (rc == 0) {
		free(was);
		res->notice = why;
	}
	return rc;
}

int
mstate_as_adopted(struct mstate *s, struct migrate_result *res,
    struct merr *e)
{
	struct adopt_src src;
	struct adopt_hist h;
	struct adopt_map m;
	struct merr why;
	int rc;

	if (s->trk.exists || s->env->db == NULL)
		return 0;
	merr_clear(&why);
	if (adopt_choose(s, NULL, 1, &src, &why) == 0 &&
	    src.tool == ADOPT_NONE)
		return 0;
	if (why.code == 0 && adopt_read(s->env->db, &src, s->set->dir, &h,
	    &why) == 0) {
		if ((rc = adopt_map(s->set, &h, &m, e)) == 0) {
			notice_set(res, &h, &m);
			rc = assume(s, &h, &m, res, e);
			adopt_map_release(&m);
		}
		adopt_hist_release(&h);
		return rc;
	}
	if (why.code != MERR_STATE) {	/* not a refusal: out of memory,
					   no access, the database gone */
		*e = why;
		return -1;
	}
	free(res->notice);
	if (asprintf(&res->notice, "no history of migrated's here yet, and "
	    "its first run will refuse another tool's: %s", why.msg) == -1)
		res->notice = NULL;
	return 0;
}

int
migrate_adopt(const struct mig_env *env, const char *from,
    const struct migrate_opts *o, struct migrate_result *res,
    struct merr *e)
{
	struct adopt_src src;
	struct adopt_hist h;
	struct mstate s;
	int rc = -1;

	res->op = "adopt";
	if (mstate_load(&s, env, (o->dry_run ? 0 : MST_MUTATE) | MST_NOADOPT,
	    e) == -1)
		return -1;
	if (s.trk.legacy && !o->dry_run && upgrade(&s, e) == -1)
		goto out;
	if (adopt_choose(&s, from, 0, &src, e) == -1 ||
	    adopt_read(env->db, &src, s.set->dir, &h, e) == -1)
		goto out;
	rc = adopt_take(&s, &h, o->dry_run, res, e);
	adopt_hist_release(&h);
	if (rc == 0)
		rc = mstate_rows(&s, res, e);
out:
	mstate_release(&s);
	return rc;
}

/*
 * Is m's version at most v, in the folder's own order (its keys: pop,
 * Diesel, Prisma and dbmate compare strings, so "202607301400000000" is
 * before "20261101000000").  sql-migrate's versions are file names: v is
 * one (up to it in the folder's order), or a number (the files numbered
 * up to it, sql-migrate's ExecVersion).
 */
static int
version_upto(const struct migset *set, const struct migration *m,
    const char *v, const struct migration *at)
{
	char num[MIG_VERSION_MAX], key[MIG_KEY_MAX];
	int cmp;

	if (set->layout != MIG_LAYOUT_SQLMIGRATE)
		return migset_key(set->layout, v, key) == 0 &&
		    strcmp(m->key, key) <= 0;
	if (at)
		return strcmp(m->key, at->key) <= 0;
	snprintf(num, sizeof(num), "%.*s", (int)strspn(m->version,
	    "0123456789"), m->version);
	return adopt_vcmp(num, v, &cmp) == 0 && cmp <= 0;
}

/* sql-migrate's baseline: a number, or the version of a file (at). */
static int
baseline_version(const struct migset *set, const char *v,
    const struct migration **at, struct merr *e)
{
	char key[MIG_KEY_MAX];

	*at = NULL;
	if (set->layout != MIG_LAYOUT_SQLMIGRATE) {
		if (migset_key(set->layout, v, key) == 0)
			return 0;
	} else if (v[strspn(v, "0123456789")] == '\0' ||
	    (*at = migset_find(set, v)) != NULL) {
		return 0;
	}
	return merr_set(e, MERR_USAGE, "'%s' is not a version%s", v,
	    set->layout == MIG_LAYOUT_SQLMIGRATE ? " of the folder" : "");
}

int
migrate_baseline(const struct mig_env *env, const char *version,
    const struct migrate_opts *o, struct migrate_result *res,
    struct merr *e)
{
	const struct migration *at;
	struct migration **v = NULL;
	struct take_ctx f;
	struct mstate s;
	char detail[300], vkey[MIG_KEY_MAX];
	size_t n = 0;
	int rc = -1;

	res->op = "baseline";
	if (!o->yes && !o->dry_run) {
		merr_set(e, MERR_REFUSED, "baseline needs confirmation");
		merr_hint(e, "run it again with --yes (migratectl asks on a "
		    "terminal)");
		return -1;
	}
	if (version[0] < '0' || version[0] > '9')
		return merr_set(e, MERR_USAGE, "'%s' is not a version",
		    version);
	if (mstate_load(&s, env, (o->dry_run ? 0 : MST_MUTATE) | MST_NOADOPT,
	    e) == -1)
		return -1;
	if (baseline_version(s.set, version, &at, e) == -1)
		goto out;
	/* Diesel's 2026-11-01-000000 named as its table holds it */
	if (s.set->layout == MIG_LAYOUT_DIESEL &&
	    migset_key(s.set->layout, version, vkey) == 0)
		version = vkey;
	if (s.trk.legacy && !o->dry_run && upgrade(&s, e) == -1)
		goto out;
	if (s.trk.n > 0) {
		merr_set(e, MERR_STATE, "cannot baseline: %zu version%s "
		    "already recorded", s.trk.n, s.trk.n == 1 ? " is" : "s are");
		merr_hint(e, "a baseline starts a history; to move an existing "
		    "one use 'migratectl force %s'", version);
		goto out;
	}
	if (s.set->n && (v = calloc(s.set->n, sizeof(*v))) == NULL) {
		merr_set(e, MERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s.set->n; i++)
		if (version_upto(s.set, &s.set->v[i], version, at))
			v[n++] = &s.set->v[i];
	snprintf(detail, sizeof(detail), "everything up to %s counts as "
	    "applied: %zu version%s recorded without running SQL", version, n,
	    n == 1 ? "" : "s");
	memset(&f, 0, sizeof(f));
	f.s = &s;
	f.v = v;
	f.n = n;
	f.action = "tier2.baseline";
	f.target = version;
	f.detail = detail;
	if (!o->dry_run && take(&f, e) == -1)
		goto out;
	rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = mres_step(res, v[i], o->dry_run ? "would baseline" :
		    "baseline", 0, 0, e);
	if (rc == 0)
		rc = mstate_rows(&s, res, e);
out:
	free(v);
	mstate_release(&s);
	return rc;
}

int
migrate_takeover_needed(const struct mig_env *env, int *need, int *tracked,
    struct merr *e)
{
	struct adopt_src found[ADOPT_MAX_FOUND];
	struct tracking t;
	size_t n = 0;
	int ours, legacy;

	*need = 0;
	if (tracked)
		*tracked = 0;
	if (tracking_state(env->db, env->cfg, &t, e) == -1)
		return -1;
	ours = t.exists && !t.legacy;
	legacy = t.legacy;
	tracking_release(&t);
	if (!ours && !legacy &&
	    adopt_detect(env->db, env->cfg, found, &n, e) == -1)
		return -1;
	*need = legacy || (!ours && n > 0);
	if (tracked)
		*tracked = ours || legacy;
	return 0;
}

int
migrate_takeover(const struct mig_env *env, struct migrate_result *res,
    struct merr *e)
{
	struct mstate s;
	int rc;

	res->op = "adopt";
	if (mstate_load(&s, env, MST_MUTATE | MST_NOADOPT, e) == -1)
		return -1;
	rc = mstate_first(&s, res, e);
	if (rc == 0)
		rc = mstate_rows(&s, res, e);
	mstate_release(&s);
	return rc;
}
