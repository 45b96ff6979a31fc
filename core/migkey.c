/*
 * migkey.c - the sort key of a version, as its tool orders versions
 * (migset_key(), migset.h): keys compare with strcmp().
 */
#include <stdio.h>
#include <string.h>

#include "migset.h"

/*
 * One number as a key part: its length (as a letter) then its digits,
 * leading zeros dropped, so that strcmp() compares numbers.
 */
static int
key_number(const char *d, size_t n, char *out, size_t cap)
{
	while (n > 0 && *d == '0') {
		d++;
		n--;
	}
	if (n > 40 || n + 2 > cap)
		return -1;
	out[0] = (char)('A' + n);
	memcpy(out + 1, d, n);
	out[n + 1] = '\0';
	return (int)n + 1;
}

static int
all_digits(const char *v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return i > 0;
}

/*
 * Diesel's version is its folder's name up to '_' without the dashes
 * (2019-02-26-002946_x is 20190226002946, as __diesel_schema_migrations
 * holds it): a command's version may be written either way.
 */
static int
key_diesel(const char *v, char key[MIG_KEY_MAX])
{
	size_t n = 0;

	for (; *v; v++) {
		if (*v == '-' && n > 0 && v[1] != '\0' && v[1] != '-')
			continue;
		if (*v < '0' || *v > '9' || n + 1 >= MIG_KEY_MAX)
			return -1;
		key[n++] = *v;
	}
	key[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* Native and single: YYYYMMDD sorts as YYYYMMDD_000000. */
static int
key_native(const char *v, char key[MIG_KEY_MAX])
{
	char digits[MIG_VERSION_MAX + 6];
	size_t i, n = 0;

	for (i = 0; v[i]; i++) {
		if (v[i] == '_' && i == 8 && n == 8)
			continue;
		if (v[i] < '0' || v[i] > '9' || n + 1 >= MIG_VERSION_MAX)
			return -1;
		digits[n++] = v[i];
	}
	if (n == 0 || n > 19)
		return -1;
	/* the number times 10^6, without converting (every up reads
	   a thousand of these) */
	if (n == 8 && digits[0] >= '1' && digits[0] <= '2' &&
	    (digits[4] == '0' || digits[4] == '1')) {
		memcpy(digits + n, "000000", 6);
		n += 6;
	}
	return key_number(digits, n, key, MIG_KEY_MAX) == -1 ? -1 : 0;
}

/*
 * Flyway: parts split by '.' or '_', compared as numbers one by one,
 * trailing zero parts dropped (1.0 is 1); R__desc after every version,
 * by description ('_' read as ' ', as Flyway does).
 */
static int
key_flyway(const char *v, char key[MIG_KEY_MAX])
{
	size_t n = 0, keep = 0, len;
	int w;

	if (strncmp(v, "R__", 3) == 0) {
		if (strlen(v) + 1 >= MIG_KEY_MAX)
			return -1;
		key[0] = MIG_KEY_REPEATABLE;
		for (len = 3; v[len]; len++)
			key[len - 2] = v[len] == '_' ? ' ' : v[len];
		key[len - 2] = '\0';
		return 0;
	}
	for (;;) {
		len = strspn(v, "0123456789");
		if (len == 0 || (w = key_number(v, len, key + n,
		    MIG_KEY_MAX - n)) == -1)
			return -1;
		n += (size_t)w;
		if (w > 1 || keep == 0)	/* the first part stays */
			keep = n;
		if (v[len] == '\0')
			break;
		if (v[len] != '.' && v[len] != '_')
			return -1;
		v += len + 1;
	}
	key[keep] = '\0';
	return 0;
}

/*
 * sql-migrate: its id (the file name) by its leading number, then as a
 * string (sqlparse's byId): the number's key, then the name with .sql.
 */
static int
key_sqlmigrate(const char *v, char key[MIG_KEY_MAX])
{
	size_t d = strspn(v, "0123456789"), len = strlen(v);
	int n;

	if (len > 4 && strcmp(v + len - 4, ".sql") == 0)
		len -= 4;	/* the id as gorp_migrations holds it */
	if (d == 0 || (n = key_number(v, d, key, MIG_KEY_MAX)) == -1 ||
	    (size_t)n + len + 6 >= MIG_KEY_MAX)
		return -1;
	snprintf(key + n, MIG_KEY_MAX - (size_t)n, " %.*s.sql", (int)len, v);
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Hinnant's). */
static long long
civil_days(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/*
 * node-pg-migrate: its number in ms (getNumericPrefix): a 17-digit
 * prefix is a UTC time YYYYMMDDhhmmssSSS, any other a number as it is.
 */
static int
key_npgm(const char *v, char key[MIG_KEY_MAX])
{
	char ms[24];
	int f[7], w[7] = { 4, 2, 2, 2, 2, 2, 3 };
	long long t;

	if (strlen(v) != 17 || !all_digits(v))
		return key_native(v, key);
	for (int i = 0, at = 0; i < 7; at += w[i++])
		for (int k = f[i] = 0; k < w[i]; k++)
			f[i] = f[i] * 10 + (v[at + k] - '0');
	t = ((civil_days(f[0], (unsigned)f[1], (unsigned)f[2]) * 24 + f[3]) *
	    60 + f[4]) * 60 + f[5];
	snprintf(ms, sizeof(ms), "%lld", t * 1000 + f[6]);
	return key_number(ms, strlen(ms), key, MIG_KEY_MAX) == -1 ? -1 : 0;
}

int
migset_key(enum mig_layout l, const char *v, char key[MIG_KEY_MAX])
{
	switch (l) {
	case MIG_LAYOUT_NPGM:
		return key_npgm(v, key);
	case MIG_LAYOUT_SQLMIGRATE:
		return key_sqlmigrate(v, key);
	case MIG_LAYOUT_FLYWAY:
		return key_flyway(v, key);
	case MIG_LAYOUT_DIESEL:		/* Diesel its versions as strings:
					   2026-07-30-140000-0000 is July's */
		return key_diesel(v, key);
	case MIG_LAYOUT_DBMATE:		/* dbmate sorts file names */
	case MIG_LAYOUT_POP:		/* pop compares strings too */
	case MIG_LAYOUT_PRISMA:		/* and Prisma its folders' names */
		if (!all_digits(v) || strlen(v) >= MIG_KEY_MAX)
			return -1;
		snprintf(key, MIG_KEY_MAX, "%s", v);
		return 0;
	case MIG_LAYOUT_GOLANG:
	case MIG_LAYOUT_TERN:
	case MIG_LAYOUT_POSTGRATOR:
	case MIG_LAYOUT_GOOSE:		/* plain numbers */
		if (!all_digits(v))
			return -1;
		return key_number(v, strlen(v), key, MIG_KEY_MAX) == -1 ?
		    -1 : 0;
	default:
		return key_native(v, key);
	}
}
