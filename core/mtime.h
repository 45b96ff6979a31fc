/*
 * mtime.h - the monotonic clock and the one sleep of libmigrate.
 */
#ifndef MIGRATE_MTIME_H
#define MIGRATE_MTIME_H

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin). */
long	mtime_now_ms(void);
/* Microseconds on the same clock. */
long long mtime_now_us(void);
/* Sleep ms milliseconds, resuming after signals; ms <= 0 returns at once. */
void	mtime_sleep_ms(long ms);

#endif
