/*
 * fleet.h - one service, many databases: the `fleet:` key of the
 * configuration and the list of members it names.
 *
 *   fleet:
 *     members: [tenant_a, "host=db2 dbname=tenant_b"]
 *     discover: SELECT datname FROM pg_database WHERE datname LIKE 'tenant_%'
 *     parallel: 4
 *     rediscover: 1m
 *
 * A member is a database name on the server of 'database' (its
 * connection string with dbname replaced) or a connection string of its
 * own; discover is a query run, read-only, on 'database' whose first
 * column gives more database names.  Each member gets the same models and
 * migrations, and its own lock, tracking and audit rows.
 *
 * Every string is owned by the struct that holds it and freed by its
 * _release().  Member connection strings may hold a password: they are
 * never logged, only member names are.
 */
#ifndef MIGRATE_FLEET_H
#define MIGRATE_FLEET_H

#include <stddef.h>
#include <yaml.h>

#include "err.h"

struct config;
struct ydoc;

#define FLEET_PARALLEL_DEFAULT	4
#define FLEET_PARALLEL_MAX	64
#define FLEET_REDISCOVER_MS	60000

struct fleet_config {
	int	  on;		/* the configuration has a fleet key */
	char	**members;	/* as written, NULL-terminated; or NULL */
	char	 *discover;	/* one SELECT, or NULL */
	long	  parallel;
	long	  rediscover_ms;	/* the service runs discover again
					   this often; 0: only on up/reload */
};

struct fleet_member {
	char	*name;		/* its database name: logs, --member */
	char	*conninfo;	/* what to connect to; may hold a password */
};

struct fleet_list {
	struct fleet_member	*v;	/* sorted by name, names unique */
	size_t			 n;
};

void	fleet_config_init(struct fleet_config *);
void	fleet_config_release(struct fleet_config *);
/*
 * What is checked of the `fleet` key by libpq (a member's connection
 * string) and by libpg_query (discover: one SELECT).  config_load() hands
 * fleet_checks to the parse, config_read() hands none, so that a client
 * that only reads the file (migratectl) loads neither library.
 */
struct fleet_checks {
	int	(*member)(struct ydoc *, yaml_node_t *, const char *member,
		    struct merr *);
	int	(*discover)(struct ydoc *, yaml_node_t *, const char *sql,
		    struct merr *);
};
extern const struct fleet_checks fleet_checks;
/* As libpq's expand_dbname: is s a connection string (or a URI)? */
int	fleet_is_conninfo(const char *s);

/*
 * The value of the `fleet` key; errors name fleet.KEY, line and column.
 * chk: the checks above, or NULL for none.
 */
int	fleet_config_parse(struct ydoc *, yaml_node_t *, struct fleet_config *,
	    const struct fleet_checks *chk, struct merr *);

void	fleet_list_init(struct fleet_list *);
void	fleet_list_release(struct fleet_list *);
/* The member called name, or NULL. */
const struct fleet_member *fleet_find(const struct fleet_list *,
	    const char *name);

/*
 * The members now: the configured ones, then what discover returns (run
 * on cfg->database in a read-only transaction), duplicates dropped.
 */
int	fleet_members(const struct config *, struct fleet_list *,
	    struct merr *);

/*
 * A member as written (a database name or a connection string) into its
 * name and connection string; base is 'database' (NULL: libpq's
 * environment).  *name and *conninfo: caller frees.
 */
int	fleet_member_resolve(const char *base, const char *member, char **name,
	    char **conninfo, struct merr *);

#endif
