/*
 * fleet_config.c - the `fleet:` key of the configuration (fleet.h), as
 * config_read() parses it: no libpq and no libpg_query (their checks are
 * fleet_checks, in fleet.c), so that migratectl loads neither.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "ydoc.h"

void
fleet_config_init(struct fleet_config *f)
{
	memset(f, 0, sizeof(*f));
	f->parallel = FLEET_PARALLEL_DEFAULT;
	f->rediscover_ms = FLEET_REDISCOVER_MS;
}

void
fleet_config_release(struct fleet_config *f)
{
	ydoc_strlist_free(f->members);
	free(f->discover);
	fleet_config_init(f);
}

/* The fleet key's value while it is parsed. */
struct fleet_parse {
	struct fleet_config		*f;
	const struct fleet_checks	*chk;	/* NULL: none */
};

static int
members_parse(struct ydoc *y, yaml_node_t *n, struct fleet_parse *fp,
    struct merr *e)
{
	struct fleet_config *f = fp->f;
	yaml_node_item_t *it;

	if (n->type != YAML_SEQUENCE_NODE)
		return ydoc_error(y, n, "fleet.members", e, "'fleet.members' "
		    "must be a list of database names or connection strings");
	if (ydoc_strlist(y, n, "fleet.members", &f->members, e) == -1)
		return -1;
	it = n->data.sequence.items.start;
	for (size_t i = 0; f->members[i]; i++, it++) {
		yaml_node_t *c = ydoc_node(y, *it);
		const char *m = f->members[i];

		if (*m == '\0')
			return ydoc_error(y, c, "fleet.members", e, "a member "
			    "of 'fleet.members' must not be empty");
		if (fp->chk && fp->chk->member(y, c, m, e) == -1)
			return -1;
	}
	return 0;
}

static int
discover_parse(struct ydoc *y, yaml_node_t *n, struct fleet_parse *fp,
    struct merr *e)
{
	if (ydoc_string(y, n, "fleet.discover", &fp->f->discover, e) == -1)
		return -1;
	return fp->chk ? fp->chk->discover(y, n, fp->f->discover, e) : 0;
}

static const char *const fleet_keys[] = { "members", "discover", "parallel",
    "rediscover", NULL };

static int
fleet_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct fleet_parse *fp = arg;
	struct fleet_config *f = fp->f;

	(void)k;
	switch (key) {
	case 0:
		return members_parse(y, v, fp, e);
	case 1:
		return discover_parse(y, v, fp, e);
	case 2:
		return ydoc_long(y, v, "fleet.parallel", 1, FLEET_PARALLEL_MAX,
		    &f->parallel, e);
	default:
		return ydoc_duration_ms(y, v, "fleet.rediscover",
		    &f->rediscover_ms, e);
	}
}

int
fleet_config_parse(struct ydoc *y, yaml_node_t *v, struct fleet_config *f,
    const struct fleet_checks *chk, struct merr *e)
{
	struct fleet_parse fp = { f, chk };

	if (ydoc_mapping(y, v, "fleet", fleet_keys, fleet_pair, &fp, e) == -1)
		return -1;
	if (f->members == NULL && f->discover == NULL)
		return ydoc_error(y, v, "fleet", e, "'fleet' needs 'members', "
		    "'discover' or both");
	f->on = 1;
	return 0;
}

/* As libpq's expand_dbname: a string with '=' or a URI is a conninfo. */
int
fleet_is_conninfo(const char *s)
{
	return strchr(s, '=') != NULL || !strncmp(s, "postgresql://", 13) ||
	    !strncmp(s, "postgres://", 11);
}
