/*
 * plan.h - desired schema vs actual schema -> an ordered list of changes.
 *
 * Each change has a class:
 *   PLAN_SAFE     applied by tier 1 (create, add nullable column, widen a
 *                 type, drop NOT NULL, set a default, comments, indexes
 *                 and constraints the lock-safe way, add an enum value);
 *   PLAN_REFUSED  needs a tier-2 migration (reason + hint say why/what);
 *   PLAN_DRIFT    the database has something the models do not mention;
 *                 reported, never dropped;
 *   PLAN_TIER2    what would be drift, but an applied tier-2 enhancement
 *                 created it (plan_opts.owned): informational only, not
 *                 counted as drift (reason says which enhancement).
 * and a step list.  Steps of a change in phase PLAN_TX run inside the one
 * tier-1 transaction; a change in phase PLAN_ONLINE (CREATE INDEX
 * CONCURRENTLY, NOT VALID + VALIDATE on an existing table) runs after it,
 * each step on its own (step->tx says whether in a short transaction),
 * with its cleanup statement run when a step fails.  PLAN_PRE changes (new
 * enum values: PostgreSQL cannot use a value added in the same
 * transaction) commit first, each in its own short transaction.
 *
 * Ownership: a struct plan owns its changes and all their strings;
 * plan_free() releases everything.  plan_format_text() returns a malloc'd
 * string (caller frees); plan_to_json() a new reference (json_decref()).
 */
#ifndef MIGRATE_PLAN_H
#define MIGRATE_PLAN_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "schema.h"

enum plan_class { PLAN_SAFE, PLAN_REFUSED, PLAN_DRIFT, PLAN_TIER2 };
enum plan_phase { PLAN_TX, PLAN_ONLINE, PLAN_PRE };

struct plan_step {
	char	*sql;
	int	 tx;		/* PLAN_ONLINE: run in its own transaction */
};

/*
 * What a safe change's SQL needs from the database, beyond what the plan
 * itself creates: checked by core/plancheck.h before anything is applied
 * (a change whose need is not met is refused, with the reason).
 */
enum plan_need_kind {
	NEED_TYPE = 't',	/* name: a type (SQL spelling) exists */
	NEED_TYPE_ON_PATH = 'T',	/* name: a type's name, arg: a
					   search_path ("a", "b"): built in or
					   in one of those schemas */
	NEED_OPCLASS = 'o',	/* name: operator class, sch: its schema or
				   NULL, arg: the access method */
	NEED_DEFAULT_OPCLASS = 'd',	/* name: a type; arg: the method */
	NEED_COLLATION = 'c',	/* name: a collation, sch: schema or NULL */
	NEED_FUNCTION = 'f',	/* name: a function, sch: schema or NULL */
	NEED_CHANGE = 'p',	/* name: "kind target" of another change of
				   the plan that must stay safe */
	NEED_NO_VIEW = 'v',	/* name: a column of table arg in schema sch
				   that no view or rule uses (ALTER COLUMN
				   TYPE refuses those) */
	NEED_RELATION = 'r',	/* name: a relation a default names as text
				   ('x'::regclass, nextval('x')) exists */
	NEED_EXPR_OPCLASS = 'e',	/* name: an expression key with its
				   columns as typed NULLs ("lower((NULL::
				   text))"), arg: the method: its type has a
				   default operator class for it */
};

struct plan_need {
	char	 kind;
	char	*name;
	char	*sch;
	char	*arg;
	char	*what;		/* for the reason: "column 'a'", ... */
};

struct plan_change {
	enum plan_class	 cls;
	enum plan_phase	 phase;
	char		*kind;		/* "create table", "add column", ... */
	char		*target;	/* schema.table[.column|.name] */
	char		*reason;	/* one line */
	char		*hint;		/* refused/drift: what to do, or NULL */
	struct plan_step *steps;	/* SAFE only; none for others */
	size_t		 nsteps;
	char		*cleanup;	/* ONLINE: undo after a failed step */
	char		*check;		/* check: query for a violating row */
	int		 rank;		/* execution order (plan.c) */
	struct plan_need *needs;	/* SAFE only */
	size_t		 nneeds;
};

struct plan {
	struct plan_change *v;
	size_t		 n;
	size_t		 nsafe, nrefused, ndrift, ntier2;
	char		 hash[65];	/* SHA-256 of the text form */
};

/*
 * An object an applied tier-2 enhancement created (kinds and targets as
 * migset_objects() in migset.h gives them; "constraint" stands for every
 * constraint kind, "type" for all the values of an enum).  Borrowed.
 */
struct plan_owner {
	const char	*kind;
	const char	*target;
	const char	*detail;	/* "enum value": the label */
	const char	*by;		/* the enhancement, for the reason */
};

/* The kind of plan_owner that can claim a drift change of kind, or NULL:
   none (no enhancement's statement is read as making one). */
const char *plan_owner_kind(const char *kind);

/* Names of tables never reported as drift (the project's own tables);
 * tables of actual that are another migration tool's history (found by
 * adopt_table_tool(): not drift either); objects owned by tier 2
 * (PLAN_TIER2 instead of PLAN_DRIFT).  All borrowed. */
struct plan_opts {
	const char	*own_schema;
	const char	*own_tables[4];	/* NULL-terminated */
	const struct sch_table *const *histories;
	size_t		 nhistories;
	const struct plan_owner *owned;
	size_t		 nowned;
};

/*
 * Compare desired with actual: a pure function of its arguments (no
 * database; names and literals are quoted by quote.h), so the same
 * schemas and options give the same plan.  opts may be NULL.  Tables of
 * actual with rows == -1 count as non-empty.  Fails only when out of
 * memory or when a name or text is not valid UTF-8 (MERR_INPUT).
 */
int	plan_compute(const struct schema *desired,
	    const struct schema *actual, const struct plan_opts *,
	    struct plan **out, struct merr *);
void	plan_free(struct plan *);

/*
 * Turn change i (safe) into a refusal: its steps go, reason and hint
 * (taken over) say why.  Then plan_settle() once: changes that need a
 * refused one are refused in turn, and the plan is sorted and hashed
 * again.  -1 only when out of memory (the plan stays valid).
 */
int	plan_refuse(struct plan *, size_t i, char *reason, char *hint);
int	plan_settle(struct plan *);
/* Free a change's needs (plan_free() does it for every change). */
void	plan_needs_free(struct plan_change *);

/* Number of SQL statements the safe changes would run. */
size_t	plan_statements(const struct plan *);

/*
 * Text: for each change "-- [safe|refused|drift] kind target: reason"
 * (+ "--   hint: ..."), then its SQL statements, then a summary line.
 */
int	plan_format_text(const struct plan *, char **out, struct merr *);
/* {"hash", "safe", "refused", "drift", "tier2", "changes": [{class, kind, target,
 * reason, hint, phase, sql: [...]}]} */
json_t	*plan_to_json(const struct plan *);

const char *plan_class_name(enum plan_class);

#endif
