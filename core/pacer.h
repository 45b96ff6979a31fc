/*
 * pacer.h - the pace of a batched backfill: how many rows the next batch
 * takes and how long to wait before it.
 *
 * Fixed (a directive with pause= and no pacing option): every batch has
 * the same size and pause.  Adaptive: additive increase, multiplicative
 * decrease (AIMD, as TCP's congestion control) on four signals measured
 * after every batch:
 *   - the batch's own time, begin to commit, against the target: the
 *     application waits at most that long for a row the batch holds;
 *   - a probe, a trivial write transaction timed after a commit once a
 *     window, against its own median before the first batch: when it is
 *     slow, the server is short of CPU or I/O for everyone;
 *   - the application's write rate: each batch's transaction id less
 *     the one before, less the ids the backfill and its probes took
 *     themselves, per second, on windows of PACER_WINDOW_US, against the
 *     median of the same over the last four gaps between the probes
 *     before the first batch (a burst of catching up after an index
 *     build, in one of those gaps, left out: taken over them all, it
 *     once made pgbench at 5,000 a second 5,138, and found it behind
 *     ten windows); while the last gap is short of that median beyond
 *     its noise, the application is still coming down from such a
 *     burst (pgbench at 4,000 a second read as 5,454 and 6,012 on a
 *     slow host): more probes, up to PACER_NBASE_MAX
 *     (pacer_rate_settled()).  A burst that outlasts them (5,771 and
 *     6,311 a second for pgbench at 5,000) is not waited for: the
 *     batches of a file whose first statement to run is not one take
 *     all their baselines before it (backfill.c), their first window
 *     started by a probe (pacer_rate_restart()).  A window's count N
 *     varies by about sqrt(N) on its own, and by a few per cent more:
 *     what the application asks for drifts (pgbench's schedule at 5,000
 *     a second: 4,943 to 5,128 a second, second by second), and the
 *     baseline is itself a sample (5,058 and 5,099 a second for it);
 *     past sqrt(N) alone, a baseline 2% high found about a third of the
 *     windows short.  So only what a window is short beyond its noise,
 *     sqrt(N) + N/32, counts, and adds up (a CUSUM) to the deficit,
 *     which keeps 7/8 of itself a window and stops at a quarter of a
 *     second's writes.  Short in this window with a deficit past twice
 *     the noise: the application is behind, waiting for the CPU, the
 *     WAL or the locks the batches take; a deficit past the noise left:
 *     catching up; less: at its rate.  The probe's own time does not
 *     show this: it runs between batches;
 *   - the application's time in the server: how many other sessions are
 *     running a statement (pg_stat_activity), sampled as each batch
 *     starts and every PACER_BUSY_GAP_MS of a pause, averaged over the
 *     same windows, against the same before the first batch.  By
 *     Little's law that mean is the application's rate times the time
 *     its statements take, waits for the WAL flush, the CPU and the
 *     locks included: it rises as soon as they take longer, and stays up
 *     while the application runs behind at its rate (a lag that does
 *     not grow, which the write rate cannot see).  A window's mean over
 *     n samples varies by the samples' spread before the first batch
 *     over sqrt(n): past twice that, half a session, and twice the
 *     baseline (its statements three times as long) or four sessions,
 *     whichever is less, above it, the application is busier (as
 *     behind, below); past once, a quarter of a session, and the
 *     baseline (twice as long) or two sessions, whichever is less, it
 *     has not caught up yet.  An application with all but two of its
 *     sessions or fewer idle before the first batch (6 of 8 busy) can
 *     pass neither: the write rate alone sees it fall behind.
 * A batch over the target shrinks the size to what its rate says lands
 * under the target, by half at most (and once at min_size doubles the
 * pause instead); one that had to be retried after a lock timeout
 * halves the size and doubles the pause; a slow probe takes a quarter off
 * the size and doubles the pause; otherwise the pause halves and the size
 * grows by one step (an eighth of the first), or less: no further than
 * the last batch's rate says still fits the target.  All within the
 * limits.  Under all this, a floor for the pause set by the write rate,
 * once a window: an application behind doubles it (to one batch's time
 * at least: half the time for the backfill), one catching up keeps it,
 * one at its rate lowers it by a quarter (one step at least); the
 * busier of the two signals decides; from a
 * window that finds it behind or catching up to one that finds it at its
 * rate, no batch grows (the batches in between would otherwise undo the
 * longer pause with larger sizes); one still
 * behind while the floor is four batches' time (the backfill idle 4/5 of
 * the time) may ask for less than before, unless it is starved (by
 * Little's law, its busy sessions, smoothed, more than its smoothed
 * write rate explains at the time each write took before the first
 * batch, past the "not caught up" mark: an application that asks for
 * less has as many fewer sessions busy): the baseline comes down
 * towards its smoothed rate over the last windows (not the one window's,
 * which a stall makes short), by an eighth at most; one still busier
 * (or not caught up) then, while it writes at its rate, may have more
 * to do than before: the busy baseline goes up towards the window's
 * mean, by an eighth at most, the
 * floor held until the mean is within the "not caught up" mark of it
 * (see above).  "Four batches' time" is max_pause_ms
 * when that is less (the floor cannot pass it); a batch measured at
 * 0 ms counts as 1 ms.  After four windows in a row found
 * steady by the busy sessions, their baseline follows the windows'
 * smoothed mean, up or down, by an eighth at most a window (up no
 * further than the mean before the first batch and its own noise, which
 * the backfill's own load, a little at a time, would pass): taken while
 * the application caught up (after an index build), it was more than
 * the application's own; following it down alone, on every window, it
 * settled under the mean of a noisy count (and found the application
 * slower on one window in ten).
 *
 * While the application writes once a target's time or more often
 * (its write baseline: 50 a second for a target of 20 ms, one write or
 * more a batch; the rest goes with the baseline when that comes down),
 * the pause is a quarter of the batch's time at least, the rest (within
 * max_pause; rest_ms, kept apart from the pause the rules above decide
 * on): the backfill runs about 4/5 of the time at most, and what a
 * batch made the application wait for (its row locks, the flush of the
 * WAL it wrote ahead of their commits) drains before the next one.
 *
 * "Before the first batch" above: when the baselines were taken, before
 * the first batch or before its file's first statement (backfill.c).
 *
 * No I/O, no allocation: backfill.c feeds it the measurements.
 */
#ifndef MIGRATE_PACER_H
#define MIGRATE_PACER_H

#define PACER_NBASE	5	/* probes pacer_baseline() keeps */
#define PACER_NBASE_MAX	15	/* probes before the first batch, at
				   most, while the write rate settles */
#define PACER_WINDOW_US	200000	/* the write rate's window */
#define PACER_BUSY_GAP_MS 20	/* between busy samples in a pause */
#define PACER_BASE_MAX_AGE_US (300LL * 1000000) /* a later batch of the
				   file uses baselines this old at most */

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
	long long	xid;		/* the batch's transaction id, -1 */
	long long	at_us;		/* when it was taken */
	int		probes;		/* ids probes took since the batch
					   before (after the baselines' and
					   the one that starts the window) */
	long		busy;		/* the application's busy sessions
					   as it started, -1: unknown */
};

/* The application's write rate: transaction ids others took. */
struct pace_rate {
	long long	xid;		/* the window's first, -1: none */
	long long	at_us;
	long		own;		/* ids the backfill took since */
	long		gap[PACER_NBASE - 1]; /* per second between two
					   probes before the first batch,
					   the last ones */
	int		ngap;
	long		gap_us;		/* the last gap's length */
	long		base;		/* their median (a burst of catching
					   up in one gap left out), -1 */
	long		last;		/* the last window's, -1: none */
	long		avg;		/* the windows', smoothed (each
					   counts for an eighth), -1: none */
	long		deficit;	/* writes short of the baseline,
					   beyond the noise (see above) */
	long		floor_ms;	/* the pause it asks for */
	int		owed;		/* the last window found the
					   application behind or catching
					   up: no batch grows until one
					   finds it at its rate */
};

/* Busy samples: how many, their sum and the sum of their squares. */
struct pace_sums {
	long		n;
	long long	sum;
	long long	sq;
};

/*
 * The application's busy sessions (other client backends running a
 * statement), in hundredths of a session.
 */
struct pace_busy {
	long		nbase;		/* samples before the first batch, */
	long long	base_sum;
	long long	base_sq;	/* of the squares, for the spread */
	struct pace_sums gap[PACER_NBASE - 1]; /* of which in each gap the
					   write rate keeps */
	int		ngap;
	struct pace_sums cur;		/* and since the last probe */
	long		base;		/* their mean, -1: unknown */
	long		spread;		/* a sample's standard deviation */
	long		sum;		/* this window's samples, */
	long		n;		/* how many */
	long		last;		/* the last window's mean, -1: none */
	long		avg;		/* the windows', smoothed (each
					   counts for an eighth), -1: none */
	int		steady;		/* windows in a row found steady */
	int		unsettled;	/* ... found not caught up */
};

struct pacer {
	struct pace_limits	lim;
	long			size;		/* the next batch's */
	long			pause_ms;	/* before the next batch, */
	long			rest_ms;	/* or this, if longer */
	long			step;		/* additive size step */
	long			probe_base_us;	/* -1: unknown */
	long			base[PACER_NBASE]; /* probes before the first */
	int			nbase;
	long long		taken_us;	/* the baselines' last probe,
						   -1: none */
	long long		window_us;	/* this window's start, -1 */
	struct pace_rate	rate;
	struct pace_busy	busy;
	long long		batches;
	enum pace_decision	decision;	/* the last one */
	const char		*reason;	/* static, for the last one */
};

void	pacer_init(struct pacer *, const struct pace_limits *);
/* One probe before the first batch (the baseline is the median of the
   last PACER_NBASE). */
void	pacer_baseline(struct pacer *, long probe_us);
/* A probe's transaction id before the first batch: the first starts the
   window of the baseline rate, each later one ends it. */
void	pacer_rate_baseline(struct pacer *, long long xid, long long at_us);
/*
 * The write baseline has settled: four gaps, the last not short of
 * their median by more than its count's noise (the square root); one
 * still short, the application is still coming down from a burst of
 * catching up (after an index build): probe again, up to
 * PACER_NBASE_MAX.  The baselines then keep what the last gaps saw:
 * the probes' time the last PACER_NBASE probes, the busy sessions the
 * samples in the four gaps and after.  A burst at one rate that lasts
 * past the first five probes and then stops is not seen: it settles at
 * once.  No ids at all: settled.
 */
int	pacer_rate_settled(const struct pacer *);
/*
 * The baselines may serve a later batch of the file at now_us: a probe
 * answered, no longer than PACER_BASE_MAX_AGE_US ago (an hour's index
 * build later, the server may be slower for everyone, and the
 * application write more: neither baseline would follow).
 */
int	pacer_baselines_usable(const struct pacer *, long long now_us);
/*
 * The baselines (probe, write rate, busy sessions) of another pacer,
 * taken earlier (before its file's first statement, backfill.c): p
 * keeps its own limits, pace and windows.
 */
void	pacer_adopt_baselines(struct pacer *, const struct pacer *from);
/*
 * Baselines taken a while ago: the first window starts at this probe's
 * id, the ids taken since the baselines' last probe not counted (xid
 * -1: the first batch opens the window at its own id).
 */
void	pacer_rate_restart(struct pacer *, long long xid, long long at_us);
/* A busy sample before the first batch (-1: none). */
void	pacer_busy_baseline(struct pacer *, long busy);
/* A busy sample in a pause (-1: none): it counts in the window. */
void	pacer_busy_sample(struct pacer *, long busy);
/* How long a pause with left_us to go sleeps before its next busy
   sample: PACER_BUSY_GAP_MS, or what is left rounded up to the ms; 0
   under half a gap: the rest without one (samples so close together
   count the same sessions twice). */
long	pacer_busy_gap_ms(long long left_us);
/* Decide size and pause for the next batch from the one just done. */
enum pace_decision pacer_update(struct pacer *, const struct pace_sample *);
/* The pause before the next batch: pause_ms, or the rest if longer. */
long	pacer_pause_ms(const struct pacer *);
/* A batch is tried again after a lock timeout: adaptive, halve its size. */
void	pacer_retry(struct pacer *);
/* The probe time above which the server counts as slowed down, or -1. */
long	pacer_probe_limit_us(const struct pacer *);
const char *pacer_decision_name(enum pace_decision);

#endif
