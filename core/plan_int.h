/*
 * plan_int.h - shared by the planner's files (plan.c, plan_keys.c,
 * plan_sql.c); not for other modules.  Every char * these functions
 * return is malloc'd and the caller's; on allocation failure they
 * return NULL and set x->nomem (or x->badutf8 when a name or text to
 * quote is not valid UTF-8).
 */
#ifndef MIGRATE_PLAN_INT_H
#define MIGRATE_PLAN_INT_H

#include "plan.h"

struct pctx {
	const struct schema	*want, *have;
	const struct plan_opts	*opts;
	struct plan		*p;
	struct merr		*e;
	struct sch_memo		*memo;	/* parsed expressions */
	unsigned char		*made;	/* per want table: MADE_* */
	int			 nomem;
	int			 badutf8;	/* a name or text to quote */
};

enum { MADE_NEW = 1, MADE_BUSY, MADE_DONE };

/* Track pointers a function builds so one call frees them all. */
struct strs {
	char	*v[16];
	int	 n;
};

char		*plan_fmt(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* Keep p in s (freed by plan_strs_free); returns p or "" */
const char	*plan_keep(struct pctx *, struct strs *, char *p);
void		 plan_strs_free(struct strs *);
char		*plan_ident(struct pctx *, const char *);
char		*plan_qual(struct pctx *, const char *, const char *);
char		*plan_literal(struct pctx *, const char *);
char		*plan_identlist(struct pctx *, char *const *);
char		*plan_coltype(struct pctx *, const struct sch_column *);
const char	*plan_action_sql(char);
char		*plan_col_sql(struct pctx *, const struct sch_column *);
/* " COLLATE \"x\"", "" for NULL */
char		*plan_collate_sql(struct pctx *, const char *collation);
const char	*plan_identity_sql(char identity);
char		*plan_con_body(struct pctx *, const struct sch_constraint *,
		    int not_valid);
char		*plan_con_sql(struct pctx *, const struct sch_constraint *,
		    int not_valid);
char		*plan_index_keys(struct pctx *, const struct sch_table *,
		    const struct sch_index *);
char		*plan_index_sql(struct pctx *, const struct sch_table *,
		    const struct sch_index *, int concurrently);
char		*plan_comment_sql(struct pctx *, const struct sch_table *,
		    const char *col, const char *text);
char		*plan_index_comment_sql(struct pctx *, const struct sch_table *,
		    const struct sch_index *);
/* " DEFERRABLE INITIALLY DEFERRED", " NOT DEFERRABLE", ... ("" with
 * explicit 0: nothing, the default) */
const char	*plan_defer_sql(int deferrable, int deferred, int explicit);
/* " WITH (fillfactor = '70', ...)" for storage parameters, "" for none;
 * set: "fillfactor = '70', ..."; reset: "name, ..." of the names of have
 * that want does not give ("" for none) */
char		*plan_with_sql(struct pctx *, char *const *storage);
char		*plan_relopts_set(struct pctx *, char *const *want);
char		*plan_relopts_reset(struct pctx *, char *const *want,
		    char *const *have);
/* " INCLUDE (a, b)", "" for none */
char		*plan_include_sql(struct pctx *, char *const *include);

/* plan.c: the change list (strings taken over, may be NULL) */
extern const char HINT_MIGRATION[];
struct plan_change *plan_add(struct pctx *, int rank, enum plan_class,
		    const char *kind, char *target, char *reason, char *hint);
/* The same with the rank in tenths: the SQL objects fall between */
struct plan_change *plan_add_at(struct pctx *, int rank10, enum plan_class,
		    const char *kind, char *target, char *reason, char *hint);
void		 plan_step(struct pctx *, struct plan_change *, char *sql,
		    int tx);
/* Record what safe change c needs from the database (plan.h). */
void		 plan_need(struct pctx *, struct plan_change *, char kind,
		    const char *name, const char *sch, const char *arg,
		    const char *what);
void		 plan_drift(struct pctx *, const char *kind, char *target,
		    char *reason, const char *detail);
char		*plan_refuse_hint(void);
char		*plan_tname(const struct sch_table *);

/* plan_needs.c: what a safe change needs from the database */
void		 plan_needs_expr(struct pctx *, struct plan_change *,
		    const char *expr, const char *what);
void		 plan_needs_type(struct pctx *, struct plan_change *,
		    const char *type, int is_domain, int ext,
		    const char *what);
void		 plan_needs_column(struct pctx *, struct plan_change *,
		    const struct sch_column *);
void		 plan_needs_index(struct pctx *, struct plan_change *,
		    const struct sch_table *, const struct sch_index *);
/* NEED_CHANGE: "kind sch.name[.col]" must stay safe */
void		 plan_needs_change(struct pctx *, struct plan_change *,
		    const char *kind, const char *sch, const char *name,
		    const char *col);
void		 plan_needs_constraint(struct pctx *, struct plan_change *,
		    const struct sch_table *, const struct sch_constraint *);

/* plan_columns.c: serial and generated (1: refused, look no further),
 * collation */
int		 plan_column_kind(struct pctx *, const struct sch_table *,
		    const struct sch_column *want, const struct sch_column *);
void		 plan_collation(struct pctx *, const struct sch_table *,
		    const struct sch_column *want, const struct sch_column *);

/* plan_objects.c: extensions, sequences, domains */
void		 plan_extensions(struct pctx *);
void		 plan_sequences(struct pctx *);
/* A serial column's sequence options against the database's sequence. */
void		 plan_serial_seq(struct pctx *, const struct sch_column *w,
		    const struct sch_column *h);
/* ALTER SEQUENCE for a new serial column whose options are not the
   defaults (its sequence named as PostgreSQL names it), or NULL. */
char		*plan_serial_seq_sql(struct pctx *, const struct sch_column *);
void		 plan_domains(struct pctx *);

/* plan_sqlobj.c: views, functions, triggers, policies and row level
 * security (after plan_tables()) */
void		 plan_sqlobjects(struct pctx *);

/* plan_keys.c: constraints and indexes of a table that exists */
void		 plan_constraints(struct pctx *, const struct sch_table *want,
		    const struct sch_table *have);
void		 plan_indexes(struct pctx *, const struct sch_table *want,
		    const struct sch_table *have);
/* Storage parameters of table or index sch.name: ALTER ... SET / RESET
 * (safe: they apply to what is written next), rank10 */
void		 plan_storage(struct pctx *, int rank10, const char *kind,
		    const char *sch, const char *name, char *const *want,
		    char *const *have);

#endif
