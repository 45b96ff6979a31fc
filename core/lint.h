/*
 * lint.h - the classic hazards of a migration, found in the parse tree.
 *
 * The rules read the pg_query_parse JSON of each statement (walked with
 * jansson).  A rule is silenced for one statement by a comment before it:
 *     -- migrated:nolint index-concurrently add-column-idempotent
 * Findings are warnings: `validate` and `up` report them, they do not
 * stop anything.  An unknown rule name in a nolint comment is an error.
 *
 * Ownership: a struct lint_list owns its findings; lint_list_release().
 */
#ifndef MIGRATE_LINT_H
#define MIGRATE_LINT_H

#include <stddef.h>

#include "err.h"

struct mig_script;

enum lint_rule {
	LINT_INDEX_CONCURRENTLY = 0,	/* CREATE INDEX on an existing table
					   without CONCURRENTLY */
	LINT_ADD_COLUMN_NOT_NULL,	/* ADD COLUMN NOT NULL, no DEFAULT */
	LINT_ALTER_COLUMN_TYPE,		/* ALTER COLUMN ... TYPE */
	LINT_CONSTRAINT_NOT_VALID,	/* ADD FOREIGN KEY / CHECK without
					   NOT VALID */
	LINT_UNBOUNDED_DML,		/* UPDATE / DELETE without WHERE */
	LINT_ADD_COLUMN_IDEMPOTENT,	/* ADD COLUMN without IF NOT EXISTS */
	LINT_CREATE_INDEX_IDEMPOTENT,	/* CREATE INDEX without IF NOT EXISTS */
	LINT_ROLLBACK_SYNTAX,		/* a rollback that does not parse
					   (an error only when it is run) */
	LINT_NRULES
};

struct lint_finding {
	enum lint_rule	 rule;
	char		 file[256];
	int		 line;
	int		 col;
	int		 stmt;			/* 1-based statement number */
	char		 message[384];
	char		 hint[256];
};

struct lint_list {
	struct lint_finding *v;
	size_t		 n, cap;	/* cap: room in v (grown by doubling) */
};

void	lint_list_init(struct lint_list *);
void	lint_list_release(struct lint_list *);

/* "index-concurrently", ... and back; -1 when unknown. */
const char *lint_rule_name(enum lint_rule);
int	lint_rule_lookup(const char *name);

/*
 * Check every statement of a parsed script and append findings.  Tables
 * created earlier in the same script are new, not "existing".  Fails only
 * on an unknown rule in a nolint comment (positioned) or a broken tree.
 * The findings depend on the script alone: they are made once and kept
 * in it (mig_script.lint), and copied from there by the next call.
 * With out NULL only the nolint comments are checked (no tree is read):
 * the errors without the findings, for a check that would drop them.
 */
int	lint_script(struct mig_script *, struct lint_list *, struct merr *);
/* Make and keep the findings of a parsed script, as lint_script does. */
int	lint_keep(struct mig_script *, struct merr *);
/* Append a finding made of an error (its file, position and message). */
int	lint_add_error(struct lint_list *, enum lint_rule,
	    const struct merr *why, const char *hint, struct merr *);

#endif
