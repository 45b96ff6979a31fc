/* config.c - YAML configuration, validated completely before use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "ydoc.h"

#define DUP(dst, s) do {						\
	free(dst);							\
	if (((dst) = strdup(s)) == NULL)				\
		return merr_set(e, MERR_NOMEM, "out of memory");	\
} while (0)

void
config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->socket_mode = 0660;
	c->lock_timeout_ms = 2000;
	c->statement_timeout_ms = 0;
	c->lock_retries = 5;
	c->retry_backoff_ms = 200;
	c->batch_pause_ms = 0;
	c->batch_target_ms = 20;
	c->batch_max_pause_ms = 1000;
	c->batch_nice = 19;
	c->apply = APPLY_ON_COMMAND;
	fleet_config_init(&c->fleet);
}

static void
acl_release(struct config_acl *a)
{
	ydoc_strlist_free(a->users);
	ydoc_strlist_free(a->groups);
	a->users = a->groups = NULL;
}

void
config_release(struct config *c)
{
	free(c->path);
	free(c->database);
	free(c->models_dir);
	free(c->migrations_dir);
	free(c->socket_path);
	free(c->state_dir);
	free(c->socket_group);
	free(c->schema);
	free(c->tracking_table);
	free(c->audit_table);
	acl_release(&c->read_acl);
	acl_release(&c->admin_acl);
	fleet_config_release(&c->fleet);
	config_init(c);
}

const char *
config_apply_name(enum apply_mode m)
{
	switch (m) {
	case APPLY_ON_START:
		return "on-start";
	case APPLY_WHEN_PENDING:
		return "when-pending";
	default:
		return "on-command";
	}
}

/*
 * Relative paths in a file are relative to the file's folder, so that a
 * config works the same from any working directory (systemd starts us in /).
 */
static int
set_path(struct ydoc *y, yaml_node_t *v, const char *field, char **dst,
    struct merr *e)
{
	const char *s = ydoc_scalar(v), *slash = strrchr(y->path, '/');
	char *p;
	int n;

	if (s == NULL || *s == '\0')
		return ydoc_error(y, v, field, e, "'%s' must be a path", field);
	if (*s == '/' || slash == NULL) {
		p = strdup(s);
	} else {
		n = (int)(slash - y->path);
		if (asprintf(&p, "%.*s/%s", n, y->path, s) == -1)
			p = NULL;
	}
	if (p == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	free(*dst);
	*dst = p;
	return 0;
}

static int
set_str(struct ydoc *y, yaml_node_t *v, const char *field, char **dst,
    struct merr *e)
{
	char *s;

	if (ydoc_string(y, v, field, &s, e) == -1)
		return -1;
	if (*s == '\0') {
		free(s);
		return ydoc_error(y, v, field, e, "'%s' must not be empty",
		    field);
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* Names of our own tables and schema: plain identifiers only. */
static int
set_ident(struct ydoc *y, yaml_node_t *v, const char *field, char **dst,
    struct merr *e)
{
	const char *s = ydoc_scalar(v);

	if (s == NULL || *s == '\0' || strlen(s) > 63 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s) ||
	    (*s >= '0' && *s <= '9'))
		return ydoc_error(y, v, field, e, "'%s' must be a lower-case "
		    "identifier of at most 63 characters", field);
	return set_str(y, v, field, dst, e);
}

static const char *const socket_keys[] = { "path", "group", "mode", NULL };

static int
socket_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct config *c = arg;
	long mode;

	(void)k;
	switch (key) {
	case 0:
		return set_path(y, v, "socket.path", &c->socket_path, e);
	case 1:
		return set_str(y, v, "socket.group", &c->socket_group, e);
	default:
		if (ydoc_long(y, v, "socket.mode", 0, 0777, &mode, e) == -1)
			return -1;
		c->socket_mode = (mode_t)mode;
		return 0;
	}
}

static const char *const acl_keys[] = { "users", "groups", NULL };

static int
acl_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v, void *arg,
    struct merr *e)
{
	struct config_acl *a = arg;
	char ***dst = key == 0 ? &a->users : &a->groups;

	ydoc_strlist_free(*dst);
	*dst = NULL;
	return ydoc_strlist(y, v, ydoc_scalar(k), dst, e);
}

static const char *const access_keys[] = { "read", "admin", NULL };

static int
access_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct config *c = arg;

	(void)k;
	return ydoc_mapping(y, v, key == 0 ? "access.read" : "access.admin",
	    acl_keys, acl_pair, key == 0 ? &c->read_acl : &c->admin_acl, e);
}

static const char *const timeout_keys[] = { "lock", "statement",
    "lock_retries", "retry_backoff", "batch_pause", "batch_target",
    "batch_max_pause", "batch_nice", NULL };

static int
timeout_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v,
    void *arg, struct merr *e)
{
	struct config *c = arg;

	(void)k;
	switch (key) {
	case 0:
		return ydoc_duration_ms(y, v, "timeouts.lock",
		    &c->lock_timeout_ms, e);
	case 1:
		return ydoc_duration_ms(y, v, "timeouts.statement",
		    &c->statement_timeout_ms, e);
	case 2:
		return ydoc_long(y, v, "timeouts.lock_retries", 0, 100,
		    &c->lock_retries, e);
	case 3:
		return ydoc_duration_ms(y, v, "timeouts.retry_backoff",
		    &c->retry_backoff_ms, e);
	case 4:
		return ydoc_duration_ms(y, v, "timeouts.batch_pause",
		    &c->batch_pause_ms, e);
	case 5:
		return ydoc_duration_ms(y, v, "timeouts.batch_target",
		    &c->batch_target_ms, e);
	case 7:
		return ydoc_long(y, v, "timeouts.batch_nice", 0, 19,
		    &c->batch_nice, e);
	default:
		if (ydoc_duration_ms(y, v, "timeouts.batch_max_pause",
		    &c->batch_max_pause_ms, e) == -1)
			return -1;
		if (c->batch_max_pause_ms < 1)
			return ydoc_error(y, v, "timeouts.batch_max_pause", e,
			    "'timeouts.batch_max_pause' must be at least 1ms");
		return 0;
	}
}

enum { K_DATABASE, K_MODELS, K_MIGRATIONS, K_SCHEMA, K_TRACKING, K_AUDIT,
    K_SOCKET, K_ACCESS, K_TIMEOUTS, K_STATE, K_APPLY, K_FLEET };
static const char *const top_keys[] = { "database", "models", "migrations",
    "schema", "tracking_table", "audit_table", "socket", "access",
    "timeouts", "state_dir", "apply", "fleet", NULL };

/* The file being parsed into c; fleet: the fleet key's checks or NULL. */
struct config_parse {
	struct config			*c;
	const struct fleet_checks	*fleet;
};

static int
top_pair(struct ydoc *y, int key, yaml_node_t *k, yaml_node_t *v, void *arg,
    struct merr *e)
{
	const struct config_parse *p = arg;
	struct config *c = p->c;
	const char *s;

	(void)k;
	switch (key) {
	case K_DATABASE:
		return set_str(y, v, "database", &c->database, e);
	case K_MODELS:
		return set_path(y, v, "models", &c->models_dir, e);
	case K_MIGRATIONS:
		return set_path(y, v, "migrations", &c->migrations_dir, e);
	case K_SCHEMA:
		return set_ident(y, v, "schema", &c->schema, e);
	case K_TRACKING:
		return set_ident(y, v, "tracking_table", &c->tracking_table,
		    e);
	case K_AUDIT:
		return set_ident(y, v, "audit_table", &c->audit_table, e);
	case K_SOCKET:
		if (ydoc_scalar(v))	/* short form: socket: PATH */
			return set_path(y, v, "socket", &c->socket_path, e);
		return ydoc_mapping(y, v, "socket", socket_keys, socket_pair,
		    c, e);
	case K_ACCESS:
		return ydoc_mapping(y, v, "access", access_keys, access_pair,
		    c, e);
	case K_TIMEOUTS:
		return ydoc_mapping(y, v, "timeouts", timeout_keys,
		    timeout_pair, c, e);
	case K_STATE:
		return set_path(y, v, "state_dir", &c->state_dir, e);
	case K_FLEET:
		return fleet_config_parse(y, v, &c->fleet, p->fleet, e);
	default:
		s = ydoc_scalar(v);
		if (s && !strcmp(s, "on-command"))
			c->apply = APPLY_ON_COMMAND;
		else if (s && !strcmp(s, "on-start"))
			c->apply = APPLY_ON_START;
		else if (s && !strcmp(s, "when-pending"))
			c->apply = APPLY_WHEN_PENDING;
		else
			return ydoc_error(y, v, "apply", e, "'apply' must be "
			    "on-command, on-start or when-pending");
		return 0;
	}
}

static int
config_parse_file(struct config *c, const char *path,
    const struct fleet_checks *fleet, struct merr *e)
{
	struct config_parse p = { c, fleet };
	struct ydoc y;
	yaml_node_t *root;
	int rc = 0;

	if (ydoc_load(&y, path, e) == -1) {
		e->code = e->code == MERR_IO ? MERR_IO : MERR_CONFIG;
		return -1;
	}
	if ((root = ydoc_root(&y)) != NULL)
		rc = ydoc_mapping(&y, root, "configuration", top_keys,
		    top_pair, &p, e);
	ydoc_release(&y);
	return rc;
}

static int
config_defaults(struct config *c, struct merr *e)
{
	if (c->models_dir == NULL)
		DUP(c->models_dir, "models");
	if (c->migrations_dir == NULL)
		DUP(c->migrations_dir, "migrations");
	if (c->socket_path == NULL)
		DUP(c->socket_path, CONFIG_DEFAULT_SOCKET);
	if (c->schema == NULL)
		DUP(c->schema, "public");
	if (c->tracking_table == NULL) {
		DUP(c->tracking_table, CONFIG_TRACKING_TABLE);
		c->tracking_default = 1;
	}
	if (c->audit_table == NULL)
		DUP(c->audit_table, "migrated_audit");
	return 0;
}

static int
config_override(struct config *c, const struct config_overrides *o,
    struct merr *e)
{
	const char *url = getenv("DATABASE_URL");
	const char *state = getenv("STATE_DIRECTORY");

	if (c->database == NULL && url && *url)
		DUP(c->database, url);
	if (c->state_dir == NULL && state && *state) {
		/* systemd lists one folder per StateDirectory= entry */
		if ((c->state_dir = strndup(state, strcspn(state, ":"))) ==
		    NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
	}
	if (o == NULL)
		return 0;
	if (o->database)
		DUP(c->database, o->database);
	if (o->models_dir)
		DUP(c->models_dir, o->models_dir);
	if (o->migrations_dir)
		DUP(c->migrations_dir, o->migrations_dir);
	if (o->socket_path)
		DUP(c->socket_path, o->socket_path);
	if (o->state_dir)
		DUP(c->state_dir, o->state_dir);
	return 0;
}

int
config_read(struct config *c, const char *path,
    const struct config_overrides *o, struct merr *e)
{
	return config_read_checked(c, path, o, NULL, e);
}

int
config_read_checked(struct config *c, const char *path,
    const struct config_overrides *o, const struct fleet_checks *fleet,
    struct merr *e)
{
	struct stat st;

	config_init(c);
	if (path == NULL && stat(CONFIG_DEFAULT_PATH, &st) == 0)
		path = CONFIG_DEFAULT_PATH;
	if (path) {
		if ((c->path = strdup(path)) == NULL) {
			merr_set(e, MERR_NOMEM, "out of memory");
			goto fail;
		}
		if (config_parse_file(c, path, fleet, e) == -1)
			goto fail;
	}
	if (config_override(c, o, e) == -1 || config_defaults(c, e) == -1)
		goto fail;
	if (strlen(c->socket_path) >= 108) {
		merr_set(e, MERR_CONFIG, "socket path '%s' is too long "
		    "(at most 107 bytes)", c->socket_path);
		snprintf(e->field, sizeof(e->field), "socket.path");
		goto fail;
	}
	return 0;
fail:
	config_release(c);
	return -1;
}

const char *
config_protected_home(const char *path)
{
	static const char *const homes[] = { "/home", "/root", "/run/user" };

	for (size_t i = 0; path && i < sizeof(homes) / sizeof(homes[0]); i++) {
		size_t n = strlen(homes[i]);

		if (!strncmp(path, homes[i], n) &&
		    (path[n] == '/' || path[n] == '\0'))
			return homes[i];
	}
	return NULL;
}

static int
check_dir(const char *what, const char *key, const char *dir, struct merr *e)
{
	const char *home = config_protected_home(dir);
	struct stat st;

	if (stat(dir, &st) == -1) {
		merr_set(e, MERR_CONFIG, "%s folder '%s' does not exist",
		    what, dir);
		snprintf(e->field, sizeof(e->field), "%s", key);
		if (home)
			merr_hint(e, "under systemd, ProtectHome=yes hides %s "
			    "from migrated: move the folder (e.g. to /srv), or "
			    "set ProtectHome=read-only in a drop-in", home);
		else
			merr_hint(e, "create it, or set '%s' in the "
			    "configuration or --%s on the command line", key,
			    key);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		merr_set(e, MERR_CONFIG, "%s folder '%s' is not a folder",
		    what, dir);
		snprintf(e->field, sizeof(e->field), "%s", key);
		return -1;
	}
	return 0;
}

int
config_check_paths(const struct config *c, struct merr *e)
{
	if (check_dir("models", "models", c->models_dir, e) == -1 ||
	    check_dir("migrations", "migrations", c->migrations_dir, e) == -1)
		return -1;
	if (c->state_dir && check_dir("state", "state_dir", c->state_dir,
	    e) == -1) {
		merr_hint(e, "create it, or set 'state_dir' in the "
		    "configuration or --state-dir on the command line");
		return -1;
	}
	return 0;
}
