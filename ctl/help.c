/* help.c - migratectl's help texts (see help.h). */
#include <string.h>

#include "help.h"

static const struct ctl_help helps[] = {
	{ "status", "status [--member NAME]",
	  "the daemon's state: schema, pending, database",
	  "Show the daemon's state: whether tier 1 is in sync with the "
	  "models,\nthe current version, the pending enhancements, a dirty "
	  "state, the\noperation in progress and the database connection.\n"
	  "A fleet (one migrated, many databases): how many members are in\n"
	  "sync, pending or failed, which, and the slowest; --member NAME\n"
	  "shows that member: its state, version, pending count, error and\n"
	  "when its tier 1 was last read.\n" },
	{ "check", "check", "exit 0 when in sync and nothing is pending, "
	  "else 3",
	  "Exit 0 only when the schema is in sync with the models and no\n"
	  "enhancement is pending; exit 3 otherwise, naming what is pending "
	  "or\ndrifts.  A gate for CI and deploy scripts.\n" },
	{ "plan", "plan", "what tier 1 would change, and why not",
	  "Show the tier-1 plan against the live database: each change that\n"
	  "would be applied, refused or reported as drift, with its SQL and\n"
	  "reason.  Nothing changes.\n" },
	{ "list", "list", "every enhancement and its state",
	  "List every enhancement with its version, name and state (applied,\n"
	  "pending, missing, dirty, edited after apply), and when and by whom "
	  "it\nwas applied.\n" },
	{ "up", "up [N] [--to VERSION] [--out-of-order] [--dry-run] "
	  "[--member NAME]",
	  "apply pending enhancements",
	  "Apply the pending enhancements in version order: all of them, the\n"
	  "next N, or those up to and including VERSION.  An enhancement "
	  "older\nthan the newest applied one is refused unless "
	  "--out-of-order is\ngiven.  --dry-run shows what would be applied "
	  "and changes nothing.\nA fleet: every member (the discovery query "
	  "run again first, new\nmembers brought up to date), or --member "
	  "NAME only; exit 1 when a\nmember failed, the others applied.  "
	  "Tier 2 alone where tier 1 is\nknown, as for one database: check "
	  "reads every member's catalogs.\n" },
	{ "down", "down [N | --all] [--to VERSION] [--dry-run] [--yes]",
	  "roll back applied enhancements",
	  "Roll back the last applied enhancement, the last N, those newer "
	  "than\nVERSION, or all of them, each with its rollback file.  If "
	  "any of them\nhas no rollback, nothing is done.  Asks on a "
	  "terminal, naming what\nit will roll back; elsewhere it needs "
	  "--yes.  --dry-run shows what\nwould be rolled back.\n" },
	{ "goto", "goto VERSION [--yes]", "apply or roll back to a version",
	  "Apply or roll back until VERSION is the newest applied "
	  "enhancement\n(0: none).  Rolling back asks on a terminal, naming "
	  "what it will roll\nback; elsewhere it needs --yes.\n" },
	{ "force", "force VERSION [--yes]", "record a version without "
	  "running SQL",
	  "Record VERSION as the current version and clear the dirty state\n"
	  "without running any SQL, after the database was repaired by "
	  "hand.\nRecorded in the audit table.  Needs confirmation.\n" },
	{ "redo", "redo [--yes]", "roll back the last enhancement and apply "
	  "it again",
	  "Roll back the last applied enhancement and apply it again.  Needs\n"
	  "confirmation; the prompt names the enhancement.\n" },
	{ "adopt", "adopt [--from TOOL] [--dry-run]",
	  "take another tool's history as applied",
	  "Read the history table of golang-migrate, goose, dbmate, Flyway,\n"
	  "Diesel, Prisma, pop, sql-migrate, tern, Atlas, SQLx,\n"
	  "node-pg-migrate, Supabase, Drizzle or postgrator (TOOL) and record\n"
	  "its applied versions as applied without running any SQL, in one\n"
	  "transaction with one audit row.\n"
	  "Without --from, the only history in the database.  A dirty\n"
	  "golang-migrate or SQLx version, a failed Flyway row or a part-way\n"
	  "Atlas file is refused with the way out.  --dry-run shows what\n"
	  "would be recorded.\n" },
	{ "baseline", "baseline VERSION [--dry-run] [--yes]",
	  "count everything up to VERSION as applied",
	  "For a database whose history is gone: record every enhancement up\n"
	  "to and including VERSION as applied without running SQL (Flyway's\n"
	  "baseline).  Refused once any version is recorded (use force).\n"
	  "Needs confirmation; audited.\n" },
	{ "validate", "validate [--strict]", "parse and lint the enhancements",
	  "Parse and lint every enhancement with PostgreSQL's parser and "
	  "check\nthe checksums of the applied ones; each finding names "
	  "file, line and\ncolumn.  A rollback that does not parse is a "
	  "warning; with --strict\n(for CI) it is an error and the exit "
	  "status is 1.\n" },
	{ "create", "create NAME", "write a new enhancement (no daemon "
	  "needed)",
	  "Create a new enhancement NAME (lower case letters, digits and\n"
	  "underscores) in the migrations folder (--migrations, or the\n"
	  "configuration's), in the folder's own layout: the next number or\n"
	  "the current UTC time as the folder does, with its rollback (and,\n"
	  "natively, a description).  Runs locally; never overwrites.\n" },
	{ "pull", "pull DIR [--force]", "write models from the live database",
	  "Write a models folder from the daemon's database, one file per\n"
	  "table, whole or not at all.  DIR must be empty, or hold only model\n"
	  "files with --force.  What the model format cannot say is listed in\n"
	  "DIR/PULL_NOTES.md and the exit status is then 3.\n" },
	{ "log", "log [--since TIME] [--version V] [--limit N] [--markdown]",
	  "the history from the audit table",
	  "The history of what was applied and rolled back, newest first: "
	  "since\nTIME (a date, a timestamp or a duration such as 7d), for "
	  "one version,\nat most N entries; --markdown writes the format of "
	  "MIGRATIONS_LOG.md.\n" },
	{ "audit", "audit verify", "verify the audit table's hash chain",
	  "Recompute the hash chain of the audit table and report the first "
	  "row\nthat does not match, if any, and whether the table is still\n"
	  "append-only.  The result also feeds `metrics`.\n" },
	{ "reload", "reload", "re-read the configuration and rerun tier 1",
	  "Make the daemon read its configuration and models again and rerun\n"
	  "tier 1, as SIGHUP does, and wait for the result: exit 1 when it\n"
	  "failed (the old configuration then stays in use).\n" },
	{ "version", "version", "daemon, client, protocol and server versions",
	  "Print the daemon's version and protocol, migratectl's own, the\n"
	  "database server's version (SHOW server_version), and where the\n"
	  "daemon is connected (host, port, database, user; never a "
	  "password).\n" },
	{ "conninfo", "conninfo", "the daemon's database as a connection "
	  "string",
	  "Print the daemon's database as a libpq connection string, without\n"
	  "its password: psql \"$(migratectl conninfo)\", pg_dump.  The "
	  "password,\nif one is needed, comes from PGPASSWORD or ~/.pgpass as "
	  "usual.\n" },
	{ "metrics", "metrics [-o FILE]", "the state in Prometheus text "
	  "format",
	  "Print the daemon's state in the Prometheus text exposition "
	  "format:\nup and ready, pending enhancements and the age of the "
	  "oldest, tier-1\nrefused and drift counts, the last run of each "
	  "tier, failures, dirty\nstate, the audit chain.  A daemon that "
	  "cannot be reached gives\nmigrated_up 0 (exit 0).  -o FILE writes "
	  "FILE atomically (a temporary\nfile renamed), for node_exporter's "
	  "textfile collector.\n" },
	{ "wait-ready", "wait-ready [--timeout S] [--pid PID]", "wait until "
	  "tier 1 is done",
	  "Wait until the daemon has finished its start-up (tier 1 done) and\n"
	  "answers, then exit 0.  While it is degraded it is not ready.  Exit "
	  "1\nwhen it answers but is not ready within S seconds (default 60), "
	  "or at\nonce when it exits first (PID: the daemon's, from its start: "
	  "migrated &\nmigratectl wait-ready --pid $!), 4 when it could not "
	  "be reached at all.\n" },
	{ "help", "help [COMMAND]", "this list, or one command's paragraph",
	  "Without COMMAND, the commands, the options and the exit codes; "
	  "with\nCOMMAND, what it does.  `migratectl COMMAND --help` is the "
	  "same.\n" },
};

#define NHELPS	(sizeof(helps) / sizeof(helps[0]))

const struct ctl_help *
help_find(const char *name)
{
	for (size_t i = 0; name && i < NHELPS; i++)
		if (!strcmp(helps[i].name, name))
			return &helps[i];
	return NULL;
}

const char *
help_usage(const char *name)
{
	const struct ctl_help *h = help_find(name);

	return h ? h->usage : "COMMAND";
}

void
help_all(FILE *f, const char *config_path)
{
	fprintf(f, "usage: migratectl [-s SOCKET | --service NAME] [-c FILE] "
	    "[--json] [--yes]\n                  COMMAND [ARGS]\n\n"
	    "commands:\n");
	for (size_t i = 0; i < NHELPS; i++)
		fprintf(f, "  %-11s %s\n", helps[i].name, helps[i].summary);
	fprintf(f, "\n'migratectl help COMMAND' or 'migratectl COMMAND "
	    "--help' says more.\n"
	    "\noptions:\n"
	    "  -s, --socket PATH    control socket of migrated\n"
	    "  --service NAME, -n NAME\n"
	    "                       the socket /run/migrated/NAME.sock of\n"
	    "                       migrated@NAME.service (not migrated's -n, "
	    "which\n"
	    "                       checks a configuration)\n"
	    "  -c FILE              read the socket path (and, for create, "
	    "the\n"
	    "                       migrations folder) from FILE\n"
	    "                       (default %s)\n"
	    "  --migrations DIR     migrations folder for create\n"
	    "  --json               print the daemon's JSON objects, one per "
	    "line\n"
	    "  -y, --yes            confirm destructive operations (down, "
	    "goto back,\n"
	    "                       force, redo) without asking\n"
	    "\nenvironment:\n"
	    "  MIGRATED_SOCKET      the socket when neither -s, --service nor "
	    "-c is\n"
	    "                       given\n"
	    "\nexit status:\n"
	    "  0 ok, 1 operation failed, 2 usage error, 3 pending changes or "
	    "drift (check),\n"
	    "  4 daemon unreachable, 5 permission denied\n", config_path);
}

void
help_command(FILE *f, const struct ctl_help *h)
{
	fprintf(f, "usage: migratectl %s\n\n%s", h->usage, h->text);
}
