/*
 * pacer.h - the pace of a batched backfill: how many rows the next batch
 * takes and how long to wait before it.
 *
 * Fixed (a directive with pause= and no pacing option): every batch has
 * the same size and pause.  Adaptive: additive increase, multiplicative
 * decrease (AIMD, as TCP's congestion control) on two signals measured
 * after every batch:
 *   - the batch's own time, begin to commit, against the target: the
 *     application waits at most that long for a row the batch holds;
 *   - a probe, a trivial query on a second connection timed right after
 *     the commit, against its own median before the first batch: when it
 *     is slow, the server is short of CPU or I/O for everyone.
 * A batch over the target shrinks the size to what its rate says lands
 * under the target, by half at most (and once at min_size doubles the
 * pause instead); one that had to be retried after a lock timeout
 * halves the size and doubles the pause; a slow probe takes a quarter off
 * the size and doubles the pause; otherwise the pause halves and the size
 * grows by one step (an eighth of the first), or less: no further than
 * the last batch's rate says still fits the target.  All within the
 * limits.
 *
 * No I/O, no allocation: backfill.c feeds it the measurements.
 */
#ifndef MIGRATE_PACER_H
#define MIGRATE_PACER_H

#define PACER_NBASE	5	/* probes pacer_baseline() keeps */

/* What a "-- migrated:batch" line asked for; -1 (0 for adaptive): not given. */
struct pace_spec {
	int	adaptive;	/* the bare word "adaptive" */
	long	min_size;
	long	max_size;
	long	target_ms;
	long	max_pause_ms;
};

/* The limits a pacer works within, all resolved. */
struct pace_limits {
	int	adaptive;
	long	size;		/* the first batch's */
	long	pause_ms;	/* the first pause (fixed: every pause) */
	long	min_size;
	long	max_size;
	long	target_ms;
	long	max_pause_ms;
};

enum pace_decision {
	PACE_FIXED = 0,		/* not adaptive */
	PACE_HOLD,		/* at a limit, or a step would pass target */
	PACE_GROW,
	PACE_SHRINK,
};

/* One batch as measured. */
struct pace_sample {
	long long	rows;
	long		ms;		/* begin to commit, retries included */
	long		probe_us;	/* -1: no probe */
	int		retries;	/* lock timeouts in this batch */
};

struct pacer {
	struct pace_limits	lim;
	long			size;		/* the next batch's */
	long			pause_ms;	/* before the next batch */
	long			step;		/* additive size step */
	long			probe_base_us;	/* -1: unknown */
	long			base[PACER_NBASE]; /* probes before the first */
	int			nbase;
	long long		batches;
	enum pace_decision	decision;	/* the last one */
	const char		*reason;	/* static, for the last one */
};

void	pacer_init(struct pacer *, const struct pace_limits *);
/* One probe before the first batch (the baseline is their median). */
void	pacer_baseline(struct pacer *, long probe_us);
/* Decide size and pause for the next batch from the one just done. */
enum pace_decision pacer_update(struct pacer *, const struct pace_sample *);
/* A batch is tried again after a lock timeout: adaptive, halve its size. */
void	pacer_retry(struct pacer *);
/* The probe time above which the server counts as slowed down, or -1. */
long	pacer_probe_limit_us(const struct pacer *);
const char *pacer_decision_name(enum pace_decision);

#endif
