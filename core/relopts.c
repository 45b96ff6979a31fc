/* relopts.c - storage parameters of tables and indexes (relopts.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relopts.h"

/* "name=value": the value when kv is name's, else NULL. */
static const char *
kv_value(const char *kv, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(kv, name, n) && kv[n] == '=' ? kv + n + 1 : NULL;
}

const char *
relopts_get(char *const *v, const char *name)
{
	const char *r;

	for (size_t i = 0; v && v[i]; i++)
		if ((r = kv_value(v[i], name)) != NULL)
			return r;
	return NULL;
}

/* A boolean spelling: 1 true, 0 false, -1 not one. */
static int
bool_word(const char *s)
{
	static const char *const t[] = { "true", "on", "yes" };
	static const char *const f[] = { "false", "off", "no" };

	for (int i = 0; i < 3; i++) {
		if (!strcasecmp(s, t[i]))
			return 1;
		if (!strcasecmp(s, f[i]))
			return 0;
	}
	return -1;
}

static int
value_equal(const char *a, const char *b)
{
	char *ea, *eb;
	double da = strtod(a, &ea), db = strtod(b, &eb);

	if (*a && *b && *ea == '\0' && *eb == '\0')
		return da == db;
	if (bool_word(a) != -1 || bool_word(b) != -1)
		return bool_word(a) == bool_word(b);
	return !strcasecmp(a, b);
}

/* Every name of a is in b with an equal value. */
static int
relopts_within(char *const *a, char *const *b)
{
	for (size_t i = 0; a && a[i]; i++) {
		const char *eq = strchr(a[i], '='), *bv;
		char name[128];

		if (eq == NULL || (size_t)(eq - a[i]) >= sizeof(name))
			return 0;
		memcpy(name, a[i], (size_t)(eq - a[i]));
		name[eq - a[i]] = '\0';
		if ((bv = relopts_get(b, name)) == NULL ||
		    !value_equal(eq + 1, bv))
			return 0;
	}
	return 1;
}

int
relopts_equal(char *const *a, char *const *b)
{
	return relopts_within(a, b) && relopts_within(b, a);
}

int
relopts_split(const char *kv, char **name, char **value)
{
	const char *eq = strchr(kv, '=');

	*name = *value = NULL;
	if (eq == NULL)
		return -1;
	*name = strndup(kv, (size_t)(eq - kv));
	*value = strdup(eq + 1);
	if (*name && *value)
		return 0;
	free(*name);
	free(*value);
	*name = *value = NULL;
	return -1;
}

int
relopts_name_ok(const char *name)
{
	if (*name == '\0' || strlen(name) > 63)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '_'))
			return 0;
	return 1;
}
