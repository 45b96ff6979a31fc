/*
 * migrate.h - the tier-2 operations: status, list, up, down, goto, force,
 * redo, validate, create.
 *
 * Each operation loads the migrations folder (cfg->migrations_dir) and the
 * tracking table, checks the whole request before changing anything, and
 * fills a struct migrate_result.  Mutating operations (up, down, goto,
 * force, redo) take the advisory lock on env->lockdb (an idle connection,
 * never the one that runs transactions) and create the tracking table when
 * it is missing; when another process holds the lock they fail at once
 * with MERR_BUSY.  Destructive ones (down, goto backwards, force, redo)
 * need opts->yes, else MERR_REFUSED: the client asks on a terminal.
 *
 * up refuses (MERR_STATE) while an applied file's checksum changed, while
 * a rollback is half done, and when a pending version is older than the
 * newest applied one unless opts->allow_out_of_order.  A dirty forward run
 * is resumed at the statement it reached.  Every pending file is parsed
 * and linted before the first one runs.
 *
 * Ownership: a migrate_result owns everything in it; release it with
 * migrate_result_release().  migrate_result_to_json() returns a new
 * reference (caller json_decref()s).
 */
#ifndef MIGRATE_MIGRATE_H
#define MIGRATE_MIGRATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "event.h"
#include "lint.h"
#include "migset.h"
#include "runner.h"
#include "tracking.h"
#include "vlist.h"

struct migrate_opts {
	int		 steps;		/* up/down N; 0: up all, down 1 */
	const char	*target;	/* --to VERSION, or NULL */
	int		 all;		/* down --all */
	int		 allow_out_of_order;
	int		 yes;		/* destructive operations confirmed */
	int		 dry_run;	/* say what would run, run nothing */
};

enum mig_state {
	MIG_PENDING = 0,
	MIG_APPLIED,
	MIG_DIRTY,		/* a statement-by-statement run stopped */
	MIG_MISSING,		/* applied, file no longer in the folder */
};

/* One version as status/list see it. */
struct migrate_row {
	char		 version[MIG_VERSION_MAX];
	char		*name;
	enum mig_state	 state;
	int		 drift;		/* applied checksum != file's */
	int		 out_of_order;	/* pending, older than newest applied */
	int		 has_rollback;
	char		*checksum;	/* the table's: NULL when no row */
	char		 down_checksum[MIG_SHA256_HEX];	/* its rollback
					   file's as read ("" none) */
	char		*applied_at;	/* NULL unless applied */
	char		*applied_by;
	long		 duration_ms;
	char		*direction;	/* dirty: "up" / "down" */
	int		 stmt_done;	/* dirty: statements finished */
	int		 nstmts;	/* dirty: statements in the script
					   (0 when not parsed) */
	char		*error;		/* dirty: why it stopped */
	char		 key[MIG_KEY_MAX];	/* sort key of version */
};

/* One thing an operation did (or would do with dry_run). */
struct migrate_step {
	char		 version[MIG_VERSION_MAX];
	char		*name;
	const char	*action;	/* "apply" "resume" "rollback"
					   "force" "would apply" ... */
	long		 duration_ms;
	int		 statements;
};

struct migrate_result {
	const char	*op;		/* "status", "up", ... */
	const char	*layout;
	char		 current[MIG_VERSION_MAX];	/* "" when none */
	struct migrate_row *rows;
	size_t		 nrows;
	int		 npending, napplied, ndirty, ndrift, nmissing, nooo;
	struct migrate_step *steps;
	size_t		 nsteps, steps_cap;	/* cap: room (doubled) */
	struct lint_list lint;
	char		*paths[3];	/* create: files written */
	char		*notice;	/* a warning worth a line, or NULL */
};

void	migrate_result_init(struct migrate_result *);
void	migrate_result_release(struct migrate_result *);
json_t	*migrate_result_to_json(const struct migrate_result *);

/*
 * status (and list): the folder and the tracking table merged.  Nothing
 * is parsed; rollbacks already known not to parse (a cached set, see
 * migrate_parse_rollbacks) are rollback-syntax findings in res->lint.
 */
int	migrate_status(const struct mig_env *, struct migrate_result *,
	    struct merr *);
/*
 * status for a check that changes nothing (migrated --check): where
 * migrated has no table yet, the versions its first run will adopt from
 * another tool's history (mstate_first()) count as applied, in memory
 * only (applied_at NULL, applied_by the tool's name), and res->notice
 * says so; a history that run would refuse (MERR_STATE: dirty, several
 * tools) is named in res->notice, every file still pending.  Nothing that
 * decides what to run reads it: they adopt first, or meet the refusal.
 */
int	migrate_check_status(const struct mig_env *, struct migrate_result *,
	    struct merr *);
/*
 * Parse every rollback not parsed yet, so that env->cache knows which do
 * not parse (the daemon does it at start and when the folder changes).
 * A rollback that does not parse is no error here; -1 only when out of
 * memory or the folder cannot be read.
 */
int	migrate_parse_rollbacks(const struct mig_env *, struct merr *);
int	migrate_list(const struct mig_env *, struct migrate_result *,
	    struct merr *);
int	migrate_up(const struct mig_env *, const struct migrate_opts *,
	    struct migrate_result *, struct merr *);
/*
 * up with nothing to do, told without the lock: 1, with res as
 * migrate_up() fills it (but its rows: up's reply lists none), when every
 * file of the folder is applied as it is (its checksum recorded, no dirty
 * row) and every recorded version has its file, told by one statement on
 * env->db (tracking_digest_send(): a writable primary, no run holding
 * the lock, migrated's table; the rows' count and digest) and only once
 * env->lockdb passed its session check or, not connected yet, env->db
 * reaches its server directly (db_direct(); the same conninfo).  0 when
 * anything may be pending or the read cannot tell (then migrate_up()
 * decides under the lock, as it always did); -1 only when the folder
 * cannot be read or out of memory.  Nothing is written: a no-op up is no
 * action to audit.
 */
int	migrate_up_settled(const struct mig_env *, const struct migrate_opts *,
	    struct migrate_result *, struct merr *);
/*
 * The same read whatever env->lockdb: 1 when tier 2 is settled (every
 * file applied as it is, every recorded version with its file, no dirty
 * row, no session holding the lock), res filled as above; 0 when it may
 * not be; -1 as above.  `--once --up` on a single database: no lock to
 * take before tier 1 then.
 */
int	migrate_settled(const struct mig_env *, struct migrate_result *,
	    struct merr *);
/*
 * Both in two halves: the read sent (-1 only when out of memory; nothing
 * sent when it cannot tell), then, the caller free to work in between
 * (the server makes the digest meanwhile: the daemon looks at the folder
 * then), the folder taken as env says and the answer read, as above.
 * env->db is used for nothing else in between; every send is followed
 * by its end, whose env may be the send's with the folder's fields set.
 */
struct settled_read {
	struct db		*db;	/* the read went out on it */
	struct trk_digest	 t;
};
int	migrate_settled_send(const struct mig_env *, struct settled_read *,
	    struct merr *);
int	migrate_up_settled_send(const struct mig_env *,
	    const struct migrate_opts *, struct settled_read *,
	    struct merr *);
int	migrate_settled_end(const struct mig_env *, struct settled_read *,
	    struct migrate_result *, struct merr *);
int	migrate_down(const struct mig_env *, const struct migrate_opts *,
	    struct migrate_result *, struct merr *);
int	migrate_goto(const struct mig_env *, const char *version,
	    const struct migrate_opts *, struct migrate_result *,
	    struct merr *);
/*
 * Record "the database is at version" without running SQL: every version
 * up to it is marked applied (checksums refreshed, dirty cleared), every
 * recorded version after it is removed.  Audited as tier2.force.
 */
int	migrate_force(const struct mig_env *, const char *version,
	    const struct migrate_opts *, struct migrate_result *,
	    struct merr *);
int	migrate_redo(const struct mig_env *, const struct migrate_opts *,
	    struct migrate_result *, struct merr *);
/*
 * Take another tool's history as applied (core/adopt.h): from names the
 * tool (golang-migrate, goose, dbmate, flyway) or NULL for the only one
 * found.  Versions already recorded are kept; the others are recorded
 * without running SQL, in one transaction with one tier2.adopt audit row
 * (the tool, its table, the versions).  A dirty golang-migrate version, a
 * failed Flyway row, several histories without from, or none: MERR_STATE
 * with the way out.  Versions of the history with no file are named in
 * res->notice.  The first mutating operation on a database where
 * migrated has no table yet does the same on its own (the only history
 * there is), and so does migrate_takeover().
 */
int	migrate_adopt(const struct mig_env *, const char *from,
	    const struct migrate_opts *, struct migrate_result *,
	    struct merr *);
/*
 * Flyway's baseline: every version up to version (which need not be a
 * file) counts as applied, recorded without running SQL; tier2.baseline.
 * Refused (MERR_STATE) once any version is recorded: that is force's job.
 */
int	migrate_baseline(const struct mig_env *, const char *version,
	    const struct migrate_opts *, struct migrate_result *,
	    struct merr *);
/*
 * What a start does before anything else in tier 2: rename an old
 * build's tracking table, or adopt the only other history when migrated
 * has no table yet.  Called when migrate_takeover_needed() said so (the
 * caller asks first: nothing is asked twice); takes the lock and reads
 * again under it; res->nsteps counts the versions adopted.
 */
int	migrate_takeover(const struct mig_env *, struct migrate_result *,
	    struct merr *);
/*
 * Read-only: would migrate_takeover() do anything?  *tracked (may be
 * NULL): migrated's tracking table is there (an old build's counts).
 */
int	migrate_takeover_needed(const struct mig_env *, int *need,
	    int *tracked, struct merr *);
/*
 * Parse and lint every file (forward and rollback); with env->db set,
 * also report drift, missing and out-of-order versions.  Lint findings
 * are warnings (in res->lint); a forward parse error fails.  A rollback
 * that does not parse is a warning (rollback-syntax), or with strict
 * (validate --strict, for CI) an error at its file:line:col.
 */
int	migrate_validate(const struct mig_env *, int strict,
	    struct migrate_result *, struct merr *);
/*
 * migrate_validate(), but no finding is looked for in a version whose
 * "version/checksum/rollback checksum" is in known (t2_summary.clean:
 * applied as its file is now, its rollback as it was, when the caller
 * last read the table): the daemon's watcher, which reports on the files
 * still to run and those changed since.  Every file is parsed all the
 * same: a forward file's error fails, as in migrate_check().
 */
int	migrate_validate_known(const struct mig_env *, int strict,
	    const struct vlist *known, struct migrate_result *,
	    struct merr *);
/*
 * The errors of migrate_validate() without its findings, and never the
 * database: every file parsed (into env->cache when set), a forward
 * file's error and an unknown nolint rule fail, positioned; a rollback
 * that does not parse is kept on the set for status.  The start-up check.
 */
int	migrate_check(const struct mig_env *, struct merr *);
/*
 * migrate_check() of the files that may still run, the tracking table
 * read on env->db (nothing written): a file not applied, dirty, or
 * changed since it was applied is parsed and its nolint rules checked,
 * positioned, first file first; an applied file whose checksum is the
 * tracked one parsed when it ran and is only read and hashed (the
 * daemon's start; it parses those later, off the start's path).  A
 * rollback is not parsed here (migrate_parse_rollbacks()).  *nrun: how
 * many may run.  keep (may be NULL): a zeroed struct tracking that
 * receives the table as read (the caller's; tracking_release()).
 */
int	migrate_check_pending(const struct mig_env *, size_t *nrun,
	    struct tracking *keep, struct merr *);
/* Local: no database.  See migset_create(). */
int	migrate_create(const char *dir, const char *name, time_t now,
	    struct migrate_result *, struct merr *);

const char *migrate_state_name(enum mig_state);

#endif
