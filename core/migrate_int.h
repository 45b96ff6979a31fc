/*
 * migrate_int.h - shared by migrate.c (read-only operations), migapply.c
 * (up, down, goto, force, redo) and migjson.c.  Not for other modules.
 */
#ifndef MIGRATE_MIGRATE_INT_H
#define MIGRATE_MIGRATE_INT_H

#include "migrate.h"
#include "tracking.h"

/* One operation's view of the world. */
struct mstate {
	const struct mig_env	*env;
	struct migset		 own;	/* when env->cache is NULL */
	struct migset		*set;	/* own or env->cache */
	struct tracking		 trk;	/* owned, or env->trk_read's */
	int			 trk_borrowed;
	int			 locked;
};

/* mstate_load flags */
#define MST_MUTATE	1	/* lock, create the table, adopt (below) */
#define MST_NOADOPT	2	/* with MST_MUTATE: neither mstate_first()
				   nor the table created */
#define MST_TRK_READ	4	/* without MST_MUTATE: env->trk_read, when
				   given, is the table (borrowed: nothing
				   may change s->trk) */

int	mstate_load(struct mstate *, const struct mig_env *, int flags,
	    struct merr *);
/* migadopt.c: rename an old build's table or adopt another tool's
 * history, before the first mutation (res may be NULL) */
int	mstate_first(struct mstate *, struct migrate_result *, struct merr *);
/*
 * migadopt.c, for migrate_check_status(): where migrated has no table
 * yet, the rows its first run would record from another tool's history
 * (mstate_first()), in s->trk only, and res->notice saying so.  A
 * history that run would refuse (MERR_STATE) leaves s as it is, the
 * refusal in res->notice; any other failure is -1 with e.
 */
int	mstate_as_adopted(struct mstate *, struct migrate_result *,
	    struct merr *);
void	mstate_release(struct mstate *);
int	mstate_rows(struct mstate *, struct migrate_result *, struct merr *);
/*
 * The newest applied version's key ("" when none; dirty rows and
 * repeatables aside), and its version in cur when cur is not NULL.
 */
void	mstate_newest(const struct mstate *, char key[MIG_KEY_MAX],
	    char *cur, size_t curlen);
/*
 * Does up run m, whose row is t (NULL: none)?  Not applied, dirty, or a
 * repeatable whose checksum changed.
 */
int	mstate_pending(const struct migration *m, const struct trk_row *t);
/*
 * Is m's file the one t recorded: its checksum, or another tool's that
 * adoption recorded (adopt_sum_check) and the file has again?
 */
int	mstate_sum_same(const struct trk_row *t, const struct migration *m);
int	mres_step(struct migrate_result *, const struct migration *,
	    const char *action, long ms, int statements, struct merr *);
/* Free and forget the rows (not the steps) of a result. */
void	mres_rows_clear(struct migrate_result *);

#endif
