/* pacer.c - see pacer.h. */
#include <string.h>

#include "pacer.h"

#define PAUSE_STEP_MIN_MS	5	/* the smallest pause step */
#define BUSY_SETTLE		4	/* steady windows before the busy
					   baseline follows their mean */
#define REST_SHARE		4	/* the rest: a quarter of the
					   batch's time (see pacer.h) */
#define RATE_DRIFT		32	/* a window's count may be a 32nd
					   short with nothing wrong (pacer.h) */

void
pacer_init(struct pacer *p, const struct pace_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = *lim;
	p->size = lim->size;
	p->pause_ms = lim->pause_ms;
	p->step = lim->size / 8 > lim->min_size ? lim->size / 8 :
	    lim->min_size;
	p->probe_base_us = -1;
	p->taken_us = -1;
	p->rate.xid = -1;
	p->rate.base = -1;
	p->rate.last = -1;
	p->rate.avg = -1;
	p->window_us = -1;
	p->busy.base = -1;
	p->busy.last = -1;
	p->busy.avg = -1;
	p->decision = lim->adaptive ? PACE_HOLD : PACE_FIXED;
	p->reason = lim->adaptive ? "first batch" : "fixed size and pause";
}

/* The median of n > 0 values (of two in the middle, their mean). */
static long
median(const long *a, int n)
{
	long v[PACER_NBASE], t;
	int i, j;

	memcpy(v, a, sizeof(long) * (size_t)n);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Room for one more in a of *n of at most max: the oldest goes when it
 * is full (the baselines keep the last ones).
 */
static void
keep_last(void *a, size_t size, int *n, int max)
{
	if (*n < max)
		return;
	memmove(a, (char *)a + size, size * (size_t)(max - 1));
	(*n)--;
}

void
pacer_baseline(struct pacer *p, long probe_us)
{
	if (probe_us < 0)
		return;
	keep_last(p->base, sizeof(p->base[0]), &p->nbase, PACER_NBASE);
	p->base[p->nbase++] = probe_us;
	p->probe_base_us = median(p->base, p->nbase);
}

long
pacer_probe_limit_us(const struct pacer *p)
{
	long b = p->probe_base_us;

	if (b < 0)
		return -1;
	return b * 4 > b + 2000 ? b * 4 : b + 2000;
}

static void	busy_stats(struct pace_busy *);

/*
 * A gap of the write rate's ended: the busy samples since the last one
 * are its own; the baseline keeps the gaps the write rate keeps, and
 * the samples after them, so that the two cover the same time.
 */
static void
busy_gap(struct pace_busy *u)
{
	if (u->ngap == PACER_NBASE - 1) {	/* the oldest leaves */
		u->nbase -= u->gap[0].n;
		u->base_sum -= u->gap[0].sum;
		u->base_sq -= u->gap[0].sq;
	}
	keep_last(u->gap, sizeof(u->gap[0]), &u->ngap, PACER_NBASE - 1);
	u->gap[u->ngap++] = u->cur;
	memset(&u->cur, 0, sizeof(u->cur));
	busy_stats(u);
}

void
pacer_rate_baseline(struct pacer *p, long long xid, long long at_us)
{
	struct pace_rate *r = &p->rate;

	if (xid < 0)
		return;
	if (r->xid >= 0 && at_us > r->at_us) {
		keep_last(r->gap, sizeof(r->gap[0]), &r->ngap,
		    PACER_NBASE - 1);
		/* less this probe's own id */
		r->gap[r->ngap++] = (long)((xid - r->xid - 1) * 1000000 /
		    (at_us - r->at_us));
		r->gap_us = (long)(at_us - r->at_us);
		r->base = median(r->gap, r->ngap);
		busy_gap(&p->busy);
	}
	r->xid = xid;		/* the first window starts here */
	r->at_us = p->window_us = p->taken_us = at_us;
}

int
pacer_baselines_usable(const struct pacer *p, long long now_us)
{
	return p->taken_us >= 0 && now_us - p->taken_us <=
	    PACER_BASE_MAX_AGE_US;
}

void
pacer_adopt_baselines(struct pacer *p, const struct pacer *from)
{
	struct pace_rate *r = &p->rate;
	struct pace_busy *u = &p->busy;

	memcpy(p->base, from->base, sizeof(p->base));
	p->nbase = from->nbase;
	p->probe_base_us = from->probe_base_us;
	p->taken_us = from->taken_us;
	memcpy(r->gap, from->rate.gap, sizeof(r->gap));
	r->ngap = from->rate.ngap;
	r->gap_us = from->rate.gap_us;
	r->base = from->rate.base;
	u->nbase = from->busy.nbase;
	u->base_sum = from->busy.base_sum;
	u->base_sq = from->busy.base_sq;
	memcpy(u->gap, from->busy.gap, sizeof(u->gap));
	u->ngap = from->busy.ngap;
	u->base = from->busy.base;
	u->spread = from->busy.spread;
}

void
pacer_rate_restart(struct pacer *p, long long xid, long long at_us)
{
	p->rate.xid = xid < 0 ? -1 : xid;
	p->rate.at_us = at_us;
	p->rate.own = 0;
	p->window_us = xid < 0 ? -1 : at_us;
}

static long
clamp(long v, long lo, long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The pause step: a quarter of the target, at least PAUSE_STEP_MIN_MS. */
static long
pause_step(const struct pacer *p)
{
	return p->lim.target_ms / 4 > PAUSE_STEP_MIN_MS ?
	    p->lim.target_ms / 4 : PAUSE_STEP_MIN_MS;
}

/* Less: the next batch takes size rows, and with more_pause waits longer. */
static enum pace_decision
back_off(struct pacer *p, long size, int more_pause, const char *why)
{
	long before = p->size, was = p->pause_ms, pause;

	p->size = clamp(size, p->lim.min_size, p->lim.max_size);
	if (more_pause) {
		pause = was * 2 > pause_step(p) ? was * 2 : pause_step(p);
		p->pause_ms = clamp(pause, 0, p->lim.max_pause_ms);
	}
	p->reason = why;
	/* at min_size and max_pause already: nothing left to give */
	return p->size == before && p->pause_ms == was ? PACE_HOLD :
	    PACE_SHRINK;
}

/*
 * More: the pause halves (gone below PAUSE_STEP_MIN_MS), the size grows
 * by one step, or less where the last batch's rate says the target is.
 */
static enum pace_decision
speed_up(struct pacer *p, const struct pace_sample *s)
{
	long before = p->size, pause = p->pause_ms, next, fit;

	p->pause_ms = pause / 2 >= PAUSE_STEP_MIN_MS ? pause / 2 : 0;
	next = p->size + p->step;
	if (s->rows > 0 && s->ms > 0) {
		fit = (long)((long long)p->lim.target_ms * s->rows / s->ms);
		if (fit < next)
			next = fit > p->size ? fit : p->size;
	}
	p->size = clamp(next, p->lim.min_size, p->lim.max_size);
	if (p->size == before && p->pause_ms == pause) {
		p->reason = p->size == p->lim.max_size ? "at max_size" :
		    "next step would pass the target";
		return PACE_HOLD;
	}
	p->reason = "under the target";
	return PACE_GROW;
}

/*
 * A batch over the target: the size its rate says lands at 7/8 of the
 * target, but at least half the size (a batch slowed by a lock or a
 * stall says little about the next one).
 */
static long
over_target(const struct pacer *p, const struct pace_sample *s)
{
	long fit = s->rows > 0 ? (long)((long long)p->lim.target_ms * 7 *
	    s->rows / ((long long)s->ms * 8)) : 0;

	return fit > p->size / 2 ? fit : p->size / 2;
}

/* A window's verdict on the application, the worst last. */
enum rate_verdict {
	RATE_NONE,		/* no window ended, or nothing to judge */
	RATE_STEADY,		/* at its rate, as busy as before */
	RATE_CATCHING_UP,	/* not yet: size held */
	RATE_BEHIND,		/* fewer writes than before */
	RATE_BUSIER,		/* more sessions in the server than before */
};

/* The integer square root of n >= 0 (Newton's method). */
static long
isqrt(long n)
{
	long x = n, y = (n + 1) / 2;

	while (y < x) {
		x = y;
		y = (x + n / x) / 2;
	}
	return x;
}

int
pacer_rate_settled(const struct pacer *p)
{
	const struct pace_rate *r = &p->rate;
	long long n;
	long noise;

	if (r->xid < 0)		/* no ids: nothing to wait for */
		return 1;
	if (r->ngap < PACER_NBASE - 1)
		return 0;
	/* a gap's count varies by its square root */
	n = (long long)r->base * r->gap_us / 1000000;
	noise = (long)(isqrt((long)n) * 1000000LL / r->gap_us);
	return r->gap[r->ngap - 1] >= r->base - noise;
}

/*
 * The floor keeps the backfill idle 4/5 of the time: four batches'
 * time (a batch measured at 0 ms counts as 1), or max_pause_ms, which
 * the floor cannot pass.
 */
static int
backfill_idle(const struct pacer *p, const struct pace_sample *s)
{
	long four = s->ms > 1 ? s->ms * 4 : 4;

	return p->rate.floor_ms >= (four < p->lim.max_pause_ms ? four :
	    p->lim.max_pause_ms);
}

/* k times the busy baseline b, but no more than cap (hundredths). */
static long
rel(long b, long k, long cap)
{
	return k * b < cap ? k * b : cap;
}

/*
 * Little's law: the application's busy sessions (smoothed over the
 * windows before this one) are more than its write rate (smoothed)
 * explains at the time each write took before the first batch (the
 * busy mean then, over the write rate then: the median of the gaps),
 * past the "not caught up" mark (twice that, two sessions at most, a
 * quarter at least; see busy_window()).  An application that asks for
 * fewer writes has as many fewer sessions busy; one that makes fewer
 * with as many or more busy is starved by the server.  0 when either
 * is unknown.
 */
static int
starved(const struct pacer *p)
{
	const struct pace_busy *u = &p->busy;
	const struct pace_rate *r = &p->rate;
	long b0, r0, expect, mark;

	if (u->nbase == 0 || u->avg < 0 || r->avg < 0 || r->ngap == 0 ||
	    (r0 = median(r->gap, r->ngap)) <= 0)
		return 0;
	b0 = (long)(u->base_sum / u->nbase);
	expect = (long)((long long)b0 * r->avg / r0);
	mark = rel(b0, 1, 200) > 25 ? rel(b0, 1, 200) : 25;
	return u->avg > expect + mark;
}

/*
 * Count this batch's ids (its own, one per retry, the probes'); at the
 * end of a window, what the application wrote against the baseline
 * moves the deficit, which says whether it is behind.
 */
static enum rate_verdict
rate_window(struct pacer *p, const struct pace_sample *s, int ended)
{
	struct pace_rate *r = &p->rate;
	long long others, us = s->at_us - r->at_us;
	long expect, noise, w, cap;

	if (r->base <= 0 || s->xid < 0)
		return RATE_NONE;
	if (r->xid < 0) {	/* no probe started the window: this batch */
		r->xid = s->xid;
		r->at_us = s->at_us;
		r->own = 0;
		return RATE_NONE;
	}
	r->own += 1 + s->retries + s->probes;
	if (!ended || us <= 0)
		return RATE_NONE;
	others = s->xid - r->xid - r->own;
	r->last = (long)(others > 0 ? others * 1000000 / us : 0);
	r->avg = r->avg < 0 ? r->last : r->avg + (r->last - r->avg) / 8;
	r->xid = s->xid;
	r->at_us = s->at_us;
	r->own = 0;
	expect = (long)((long long)r->base * us / 1000000);
	/* the count's own noise, and the drift of what the application
	   asks for and of the baseline's estimate of it */
	noise = (isqrt(expect) > 1 ? isqrt(expect) : 1) +
	    expect / RATE_DRIFT;
	w = expect - (long)others - noise;	/* short beyond the noise */
	cap = r->base / 4 > 4 * noise ? r->base / 4 : 4 * noise;
	r->deficit = clamp(r->deficit - r->deficit / 8 + w, 0, cap);
	if (w > 0 && r->deficit > 2 * noise && backfill_idle(p, s) &&
	    r->avg < r->base && !starved(p)) {
		/* as few with the backfill idle 4/5 of the time, and not
		   starved: the application may ask for less than before,
		   not the backfill's fault; the baseline comes down to its
		   rate over the last windows (one window's, short by a
		   stall, would take it below what the application asks,
		   and hide the next time it falls behind), by an eighth at
		   most (a server too busy for it either way is not a
		   reason to go faster) */
		r->base = r->avg > r->base - r->base / 8 ? r->avg :
		    r->base - r->base / 8;
		r->deficit = 0;
		return RATE_STEADY;
	}
	if (w > 0 && r->deficit > 2 * noise)
		return RATE_BEHIND;
	return r->deficit > noise ? RATE_CATCHING_UP : RATE_STEADY;
}

/* From b towards t, by an eighth of b (and one hundredth) at most. */
static long
towards(long b, long t)
{
	long step = b / 8 + 1;

	if (t > b)
		return t < b + step ? t : b + step;
	return t > b - step ? t : b - step;
}

/*
 * At the end of a window: the application's busy sessions, the
 * window's mean against the baseline's, beyond the noise of a mean of
 * that many samples (see pacer.h); rv, the same window's verdict on its
 * writes.
 */
static enum rate_verdict
busy_window(struct pacer *p, const struct pace_sample *s,
    enum rate_verdict rv)
{
	struct pace_busy *u = &p->busy;
	enum rate_verdict v;
	long m, noise, over, cap;

	if (u->base < 0 || u->n == 0)
		return RATE_NONE;	/* its samples go to the next window */
	m = u->sum * 100 / u->n;
	noise = u->spread / isqrt(u->n);
	/* its statements three times as long as before (Little's law:
	   the same rate, three times the sessions) but no more than four
	   sessions, and half a session at least; not caught up past twice
	   as long but two sessions, and a quarter of a session at least
	   (with nothing busy before, one busy sample would hold the size
	   for ever) */
	over = 2 * noise > 50 ? 2 * noise : 50;
	over = over > rel(u->base, 2, 400) ? over : rel(u->base, 2, 400);
	noise = noise > 25 ? noise : 25;
	noise = noise > rel(u->base, 1, 200) ? noise : rel(u->base, 1, 200);
	u->last = m;
	u->sum = u->n = 0;
	u->avg = u->avg < 0 ? m : u->avg + (m - u->avg) / 8;
	if (m > u->base + noise && backfill_idle(p, s) &&
	    rv != RATE_BEHIND && rv != RATE_CATCHING_UP) {
		/* as busy with the backfill idle 4/5 of the time, and
		   writing at its rate (short of it, its sessions wait for
		   the server, not for more work): the application may have
		   more to do than before; up
		   towards the window's mean, by an eighth at most; the
		   floor held until the mean is within the mark (lowered,
		   it would no longer keep the backfill idle: slower
		   again, doubled) */
		u->base = towards(u->base, m);
		u->steady = u->unsettled = 0;
		return RATE_CATCHING_UP;
	}
	v = m > u->base + over ? RATE_BUSIER : m > u->base + noise ?
	    RATE_CATCHING_UP : RATE_STEADY;
	/* not caught up window after window, the floor below the idle
	   mark: nothing would change (the size held, the floor kept, the
	   baseline not raised): busier, the floor doubles up to the mark,
	   where the baseline follows the application's level */
	u->unsettled = v == RATE_CATCHING_UP ? u->unsettled + 1 : 0;
	if (u->unsettled >= BUSY_SETTLE) {
		u->unsettled = 0;
		v = RATE_BUSIER;
	}
	u->steady = v == RATE_STEADY ? u->steady + 1 : 0;
	if (u->steady >= BUSY_SETTLE) {	/* follows the smoothed mean */
		/* up no further than the mean before the first batch and
		   its own noise: a backfill adding less than the noise a
		   window would otherwise take it up step by step */
		cap = u->base_sum / u->nbase + u->spread / isqrt(u->nbase);
		if (cap < u->base)	/* never pushed down by the cap */
			cap = u->base;
		u->base = towards(u->base, u->avg < cap ? u->avg : cap);
	}
	return v;
}

/*
 * The floor of the pause from a window's verdict: behind or busier
 * doubles it (to one batch's time at least), catching up keeps it, at
 * its rate lowers it by a quarter (one step at least).
 */
static void
floor_window(struct pacer *p, const struct pace_sample *s,
    enum rate_verdict v)
{
	struct pace_rate *r = &p->rate;
	long step = pause_step(p), up;

	if (v == RATE_BEHIND || v == RATE_BUSIER) {
		up = r->floor_ms * 2 > s->ms ? r->floor_ms * 2 : s->ms;
		r->floor_ms = clamp(up > step ? up : step, 0,
		    p->lim.max_pause_ms);
		r->owed = 1;
	} else if (v == RATE_CATCHING_UP) {
		r->owed = 1;
	} else if (v == RATE_STEADY) {
		r->owed = 0;
		step = r->floor_ms / 4 > step ? r->floor_ms / 4 : step;
		r->floor_ms = r->floor_ms > step ? r->floor_ms - step : 0;
	}
}

/* The worse of the two verdicts of one window. */
static enum rate_verdict
worse(enum rate_verdict a, enum rate_verdict b)
{
	return a > b ? a : b;
}

/* The busy baseline's mean and spread from its samples; none: -1. */
static void
busy_stats(struct pace_busy *u)
{
	long long mean, var;

	if (u->nbase == 0) {
		u->base = -1;
		u->spread = 0;
		return;
	}
	mean = u->base_sum / u->nbase;
	var = u->base_sq / u->nbase - mean * mean;
	u->base = (long)mean;
	u->spread = isqrt((long)(var > 0 ? var : 0));
}

void
pacer_busy_baseline(struct pacer *p, long busy)
{
	struct pace_busy *u = &p->busy;
	long long v = busy * 100;

	if (busy < 0)
		return;
	u->nbase++;
	u->base_sum += v;
	u->base_sq += v * v;
	u->cur.n++;
	u->cur.sum += v;
	u->cur.sq += v * v;
	busy_stats(u);
}

long
pacer_busy_gap_ms(long long left_us)
{
	if (left_us < PACER_BUSY_GAP_MS * 1000 / 2)
		return 0;
	if (left_us >= PACER_BUSY_GAP_MS * 1000)
		return PACER_BUSY_GAP_MS;
	return (long)((left_us + 999) / 1000);
}

void
pacer_busy_sample(struct pacer *p, long busy)
{
	if (busy < 0 || p->busy.base < 0)
		return;
	p->busy.sum += busy;
	p->busy.n++;
}

enum pace_decision
pacer_update(struct pacer *p, const struct pace_sample *s)
{
	long limit = pacer_probe_limit_us(p), pause = p->pause_ms;
	enum rate_verdict v;
	int ended;

	p->batches++;
	if (!p->lim.adaptive)
		return p->decision = PACE_FIXED;
	pacer_busy_sample(p, s->busy);
	if (p->window_us < 0)	/* no rate baseline: from the first batch */
		p->window_us = s->at_us;
	ended = s->at_us >= 0 && s->at_us - p->window_us >= PACER_WINDOW_US;
	v = rate_window(p, s, ended);
	if (ended) {
		v = worse(v, busy_window(p, s, v));
		p->window_us = s->at_us;
	}
	floor_window(p, s, v);
	if (s->retries > 0)	/* pacer_retry() halved the size */
		p->decision = back_off(p, p->size, 1, "lock timeout");
	else if (s->ms > p->lim.target_ms)	/* pause once it cannot shrink */
		p->decision = back_off(p, over_target(p, s),
		    p->size == p->lim.min_size, "batch over the target");
	else if (limit >= 0 && s->probe_us > limit)
		p->decision = back_off(p, p->size - p->size / 4, 1,
		    "probe slow: server busy");
	else if (v == RATE_BEHIND || v == RATE_BUSIER) {
		p->reason = v == RATE_BEHIND ?
		    "application behind: fewer writes than before" :
		    "application slower: more of its sessions busy than before";
		p->decision = p->rate.floor_ms > pause ? PACE_SHRINK :
		    PACE_HOLD;
	} else if (p->rate.owed) {	/* until a window says it is not */
		p->reason = "application not caught up yet: size held";
		p->decision = PACE_HOLD;
	} else
		p->decision = speed_up(p, s);
	if (p->pause_ms < p->rate.floor_ms)	/* the application's floor */
		p->pause_ms = p->rate.floor_ms;
	p->rest_ms = 0;
	if ((long long)p->rate.base * p->lim.target_ms >= 1000)
		p->rest_ms = clamp(s->ms / REST_SHARE, 0, p->lim.max_pause_ms);
	return p->decision;
}

long
pacer_pause_ms(const struct pacer *p)
{
	return p->pause_ms > p->rest_ms ? p->pause_ms : p->rest_ms;
}

void
pacer_retry(struct pacer *p)
{
	if (p->lim.adaptive)
		p->size = clamp(p->size / 2, p->lim.min_size, p->lim.max_size);
}

const char *
pacer_decision_name(enum pace_decision d)
{
	switch (d) {
	case PACE_HOLD:
		return "hold";
	case PACE_GROW:
		return "grow";
	case PACE_SHRINK:
		return "shrink";
	default:
		return "fixed";
	}
}
