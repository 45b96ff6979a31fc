/* test_config.c - config loading: defaults, every key, positioned errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static char *
write_tmp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "cfg-%d.yaml", (int)getpid());
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_full(void **state)
{
	struct config c;
	struct merr e;
	const char *p = write_tmp(
	    "database: \"host=/tmp dbname=app\"\n"
	    "models: /srv/models\n"
	    "migrations: mig\n"
	    "schema: ops\n"
	    "tracking_table: versions\n"
	    "audit_table: trail\n"
	    "socket: { path: /run/x.sock, group: wheel, mode: 0640 }\n"
	    "access:\n"
	    "  read: { users: [alice, bob], groups: staff }\n"
	    "  admin: { users: [root] }\n"
	    "timeouts: { lock: 1500ms, statement: 1m, lock_retries: 3,"
	    " retry_backoff: 1s }\n"
	    "apply: when-pending\n");

	(void)state;
	merr_clear(&e);
	assert_int_equal(config_load(&c, p, NULL, &e), 0);
	assert_string_equal(c.database, "host=/tmp dbname=app");
	assert_string_equal(c.models_dir, "/srv/models");
	assert_string_equal(c.migrations_dir, "mig");	/* no folder in p */
	assert_string_equal(c.schema, "ops");
	assert_string_equal(c.tracking_table, "versions");
	assert_int_equal(c.tracking_default, 0);
	assert_string_equal(c.audit_table, "trail");
	assert_string_equal(c.socket_path, "/run/x.sock");
	assert_string_equal(c.socket_group, "wheel");
	assert_int_equal(c.socket_mode, 0640);
	assert_string_equal(c.read_acl.users[1], "bob");
	assert_null(c.read_acl.users[2]);
	assert_string_equal(c.read_acl.groups[0], "staff");
	assert_string_equal(c.admin_acl.users[0], "root");
	assert_int_equal(c.lock_timeout_ms, 1500);
	assert_int_equal(c.statement_timeout_ms, 60000);
	assert_int_equal(c.lock_retries, 3);
	assert_int_equal(c.retry_backoff_ms, 1000);
	assert_int_equal(c.apply, APPLY_WHEN_PENDING);
	config_release(&c);
	unlink(p);
}

static void
test_defaults_and_overrides(void **state)
{
	struct config c;
	struct merr e;
	struct config_overrides o = { .database = "dbname=x",
	    .models_dir = "m", .migrations_dir = "g", .socket_path = "s" };
	const char *p = write_tmp("database: dbname=file\n");

	(void)state;
	setenv("DATABASE_URL", "postgres:///fromenv", 1);
	assert_int_equal(config_load(&c, p, NULL, &e), 0);
	assert_string_equal(c.database, "dbname=file");	/* file wins */
	assert_string_equal(c.schema, "public");
	assert_string_equal(c.tracking_table, "migrated_versions");
	assert_int_equal(c.tracking_default, 1);
	assert_int_equal(c.socket_mode, 0660);
	assert_int_equal(c.lock_timeout_ms, 2000);
	assert_int_equal(c.apply, APPLY_ON_COMMAND);
	config_release(&c);
	p = write_tmp("models: m\n");
	assert_int_equal(config_load(&c, p, NULL, &e), 0);
	assert_string_equal(c.database, "postgres:///fromenv");
	config_release(&c);
	assert_int_equal(config_load(&c, p, &o, &e), 0);
	assert_string_equal(c.database, "dbname=x");	/* flag wins */
	assert_string_equal(c.models_dir, "m");
	assert_string_equal(c.socket_path, "s");
	config_release(&c);
	unsetenv("DATABASE_URL");
	unlink(p);
}

/* state_dir: from the file, else systemd's STATE_DIRECTORY (its first). */
static void
test_state_dir(void **state)
{
	struct config c;
	struct merr e;
	const char *p = write_tmp("models: m\n");

	(void)state;
	unsetenv("STATE_DIRECTORY");
	assert_int_equal(config_load(&c, p, NULL, &e), 0);
	assert_null(c.state_dir);
	config_release(&c);
	setenv("STATE_DIRECTORY", "/var/lib/migrated:/var/lib/other", 1);
	assert_int_equal(config_load(&c, p, NULL, &e), 0);
	assert_string_equal(c.state_dir, "/var/lib/migrated");
	config_release(&c);
	p = write_tmp("state_dir: /srv/state\n");
	assert_int_equal(config_load(&c, p, NULL, &e), 0);
	assert_string_equal(c.state_dir, "/srv/state");
	config_release(&c);
	unsetenv("STATE_DIRECTORY");
	unlink(p);
}

struct bad {
	const char	*text;
	int		 line, col;
	const char	*field;
	const char	*msg;
};

static void
test_errors(void **state)
{
	static const struct bad cases[] = {
		{ "database: x\nbogus: 1\n", 2, 1, "bogus",
		    "unknown key 'bogus' in configuration" },
		/* migrated -c /etc/shadow: the line is never quoted */
		{ "root:$6$salt$hash:19000:0:99999:7:::\n", 1, 1, "",
		    "unknown key in configuration: not a name (is this a "
		    "configuration file?)" },
		{ "timeouts:\n  lock: soon\n", 2, 9, "timeouts.lock",
		    "'timeouts.lock' must be a duration" },
		{ "socket: { mode: 999999 }\n", 1, 17, "socket.mode",
		    "'socket.mode' must be an integer" },
		{ "apply: always\n", 1, 8, "apply", "'apply' must be" },
		{ "schema: \"Bad Name\"\n", 1, 9, "schema",
		    "'schema' must be a lower-case identifier" },
		{ "models: [a]\n", 1, 9, "models", "'models' must be a path" },
		{ "database: a\ndatabase: b\n", 2, 1, "database",
		    "duplicate key 'database'" },
		{ "access: { read: { uids: [1] } }\n", 1, 19, "uids",
		    "unknown key 'uids' in access.read" },
		{ "database: [unclosed\n", 2, 1, "", "invalid YAML" },
	};
	struct config c;
	struct merr e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = write_tmp(cases[i].text);

		merr_clear(&e);
		assert_int_equal(config_load(&c, p, NULL, &e), -1);
		assert_int_equal(e.code, MERR_CONFIG);
		assert_string_equal(e.file, p);
		assert_int_equal(e.line, cases[i].line);
		assert_int_equal(e.col, cases[i].col);
		assert_string_equal(e.field, cases[i].field);
		if (strstr(e.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg,
			    cases[i].msg);
		unlink(p);
	}
}

static void
test_missing_file(void **state)
{
	struct config c;
	struct merr e;

	(void)state;
	assert_int_equal(config_load(&c, "/nonexistent/m.yaml", NULL, &e),
	    -1);
	assert_int_equal(e.code, MERR_IO);
	assert_string_equal(e.file, "/nonexistent/m.yaml");
	assert_non_null(strstr(e.msg, "cannot open"));
}

static void
test_paths(void **state)
{
	struct config c;
	struct merr e;
	struct config_overrides o = { .models_dir = "/nonexistent-models",
	    .migrations_dir = "." };

	(void)state;
	assert_int_equal(config_load(&c, NULL, &o, &e), 0);
	assert_int_equal(config_check_paths(&c, &e), -1);
	assert_string_equal(e.field, "models");
	assert_non_null(strstr(e.msg, "'/nonexistent-models' does not exist"));
	config_release(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults_and_overrides),
		cmocka_unit_test(test_state_dir),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
