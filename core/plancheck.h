/*
 * plancheck.h - "safe" means it will apply: the needs of a plan's safe
 * changes (plan.h, struct plan_need) checked against the database before
 * anything runs.
 *
 * One query for every need of the plan: types, operator classes (named,
 * or the default one of a key's type for its index method, as CREATE
 * INDEX looks it up: the type, its domain's base type, a binary-coercible
 * type, the polymorphic anyarray / anyenum / anyrange), collations (of
 * the database's encoding) and functions (visible on the search path, or
 * in the schema named); an expression key's type is the server's: the
 * expression, its columns as typed NULLs, made a temporary view
 * (pg_temp.migrated_key_N) whose column type is checked like a column
 * key's.  When the plan creates extensions or has such keys, the query runs
 * in a transaction that first creates them (each in a savepoint, so one
 * that fails is named with the server's own error) and is then rolled
 * back: what an extension brings counts as there, exactly as it will be
 * when the plan runs.  A plan without safe changes costs nothing.
 *
 * A change whose need is not met becomes PLAN_REFUSED with the reason
 * ("would fail: type \"citext\" does not exist (column 'email')") and a
 * hint (the extension that provides a well-known type, operator class or
 * function; "name an operator class" for a key without a default one);
 * then every change that builds on a refused one is refused too
 * (plan_settle()).
 */
#ifndef MIGRATE_PLANCHECK_H
#define MIGRATE_PLANCHECK_H

#include "db.h"
#include "err.h"
#include "plan.h"

/*
 * Check p's needs on db (idle, outside a transaction) and refuse what
 * would fail; lock_ms/stmt_ms bound the check's own statements.  -1 when
 * the check itself cannot run (the error in e; p may then be partly
 * refused, and is still valid).
 */
int	plancheck_run(struct db *, struct plan *p, long lock_ms, long stmt_ms,
	    struct merr *);

#endif
