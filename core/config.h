/*
 * config.h - the migrated configuration: one YAML file plus overrides.
 *
 * config_load() parses into a fresh struct and validates it completely;
 * on error the struct is released and nothing else changes, so a reload
 * can keep the old one (bgpd's reconfigure).  All strings are owned by
 * the struct and freed by config_release().
 */
#ifndef MIGRATE_CONFIG_H
#define MIGRATE_CONFIG_H

#include <sys/types.h>

#include "err.h"
#include "fleet.h"

#define CONFIG_DEFAULT_PATH	"/etc/migrated/migrated.yaml"
#define CONFIG_DEFAULT_SOCKET	"/run/migrated/migrated.sock"

enum apply_mode {
	APPLY_ON_COMMAND = 0,	/* tier 2 only on `migratectl up` */
	APPLY_ON_START,		/* tier 2 pending applied at start-up */
	APPLY_WHEN_PENDING,	/* tier 2 applied when the watcher sees it */
};

struct config_acl {
	char	**users;	/* NULL-terminated, or NULL */
	char	**groups;
};

struct config {
	char		*path;		/* file it came from, or NULL */
	char		*database;	/* conninfo or URI; NULL: libpq env */
	char		*models_dir;
	char		*migrations_dir;
	char		*socket_path;
	char		*socket_group;	/* NULL: leave as created */
	mode_t		 socket_mode;
	struct config_acl read_acl;
	struct config_acl admin_acl;
	long		 lock_timeout_ms;
	long		 statement_timeout_ms;	/* 0: none */
	long		 lock_retries;
	long		 retry_backoff_ms;
	char		*schema;	/* schema of our own tables */
	char		*tracking_table;
	int		 tracking_default;	/* tracking_table not given */
	char		*audit_table;
	enum apply_mode	 apply;
	long		 batch_pause_ms;
	/*
	 * Pacing of a batch line without pause= (core/pacer.h): a batch
	 * should not take longer than batch_target_ms (0: no pacing, fixed
	 * batches with batch_pause_ms between them), and the pacer never
	 * waits longer than batch_max_pause_ms between two.
	 */
	long		 batch_target_ms;
	long		 batch_max_pause_ms;
	/*
	 * The nice value of the server backend while it runs a file with a
	 * paced batch line, when the server is on this host (core/prio.h);
	 * 0: leave it as it is.
	 */
	long		 batch_nice;
	/*
	 * Where the daemon keeps what must live outside the database: the
	 * audit chain's head (core/audit_head.h) and failures the database
	 * could not take (daemon/pending.c); NULL: nowhere (in memory).
	 * Default: systemd's $STATE_DIRECTORY (StateDirectory= in the unit).
	 */
	char		*state_dir;
	struct fleet_config fleet;	/* fleet.on: one service, many
					   databases (core/fleet.h) */
};

/*
 * The tracking table's default name.  Builds before 2026-11-30 called it
 * schema_migrations, the name golang-migrate and dbmate use for theirs:
 * such a table of ours is renamed (tracking_upgrade) on first start.
 */
#define CONFIG_TRACKING_TABLE	"migrated_versions"
#define CONFIG_TRACKING_LEGACY	"schema_migrations"

/* Command-line overrides; NULL fields leave the file's value. */
struct config_overrides {
	const char	*database;
	const char	*models_dir;
	const char	*migrations_dir;
	const char	*socket_path;
	const char	*state_dir;
};

void	config_init(struct config *);	/* the defaults */
void	config_release(struct config *);

/*
 * Load path (NULL: defaults only), then apply DATABASE_URL when the file
 * names no database and $STATE_DIRECTORY (systemd's StateDirectory=, its
 * first folder) when it names no state_dir, then the overrides.  With path NULL and the default
 * file absent, defaults are used.
 */
int	config_load(struct config *, const char *path,
	    const struct config_overrides *, struct merr *);
/*
 * config_load() as a client reads the file (migratectl: the socket path
 * and the migrations folder): the same checks but the connection string,
 * which only the daemon uses (so the client needs no libpq).
 */
int	config_read(struct config *, const char *path,
	    const struct config_overrides *, struct merr *);
/* config_read() with the fleet key's checks by libpq and libpg_query
 * (core/fleet.h): what config_load() runs. */
int	config_read_checked(struct config *, const char *path,
	    const struct config_overrides *, const struct fleet_checks *,
	    struct merr *);

/* Check that the models and migrations folders (and state_dir) exist
 * and are folders. */
int	config_check_paths(const struct config *, struct merr *);
/*
 * "/home", "/root" or "/run/user" when path is under one of them (which
 * the units' ProtectHome=yes hides from the service), else NULL.
 */
const char *config_protected_home(const char *path);

const char *config_apply_name(enum apply_mode);

#endif
