/*
 * main.c - migrated: arguments and the start-up order.
 *
 * config -> folders -> connect -> tier 1 -> READY -> serve.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "fleet.h"
#include "fleetd.h"
#include "db.h"
#include "log.h"
#include "control.h"
#include "oneshot.h"
#include "ops.h"
#include "svccheck.h"
#include "version.h"

enum { OPT_DATABASE = 256, OPT_MODELS, OPT_MIGRATIONS, OPT_SOCKET, OPT_STATE,
    OPT_PLAN, OPT_ONCE, OPT_UP, OPT_PULL, OPT_FORCE, OPT_CHECK, OPT_MEMBER,
    OPT_BASELINE };

struct options {
	const char		*config;
	struct config_overrides	 o;
	int			 check;		/* -n */
	const char		*user;		/* -n -u USER */
	int			 plan;		/* --plan */
	int			 once;		/* --once */
	int			 up;		/* --once --up */
	const char		*baseline;	/* --once --baseline V */
	const char		*pull;		/* --pull DIR */
	int			 force;		/* --force */
	int			 verify;	/* --check */
	const char		*member;	/* --member NAME */
	int			 verbose;
};

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: migrated [-dnv] [-u USER] [-c FILE] [--database CONNINFO]\n"
	    "                [--models DIR] [--migrations DIR] [--socket PATH]\n"
	    "                [--state-dir DIR]\n"
	    "                [--plan | --once [--up] [--baseline VERSION]]\n"
	    "                [--pull DIR [--force]] [--check] [--member NAME]\n"
	    "  -c FILE          configuration (default %s)\n"
	    "  -n               check the configuration and exit; as root, "
	    "also what\n"
	    "                   the service user may read\n"
	    "  -u USER          with -n: that user (default %s)\n"
	    "  -d, -v           debug logging (migrated never detaches)\n"
	    "  --database S     libpq connection string or URI "
	    "(also DATABASE_URL)\n"
	    "  --models DIR     models folder\n"
	    "  --migrations DIR migrations folder\n"
	    "  --socket PATH    control socket\n"
	    "  --state-dir DIR  where audit entries wait for the database\n"
	    "  --plan           print the tier-1 plan and exit, changing "
	    "nothing\n"
	    "  --once           apply tier 1 and exit\n"
	    "  --up             with --once: then apply every pending "
	    "migration (tier 2)\n"
	    "  --baseline V     with --once: on a database another tool "
	    "migrated (Knex,\n"
	    "                   Alembic ...), with no history of migrated's, "
	    "record V and\n"
	    "                   what comes before as applied first\n"
	    "  --pull DIR       write a models folder from the database and "
	    "exit\n"
	    "                   (exit 3: written, with objects it could not "
	    "say)\n"
	    "  --force          with --pull: replace the model files of "
	    "DIR\n"
	    "  --check          exit 0 when in sync with nothing pending, "
	    "else 3\n"
	    "                   (a fleet: every member)\n"
	    "  --member NAME    with --once or --check: that fleet member "
	    "only\n",
	    CONFIG_DEFAULT_PATH, SVCCHECK_USER);
	exit(code);
}

static void
parse_args(int argc, char **argv, struct options *op)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, OPT_DATABASE },
		{ "models", required_argument, NULL, OPT_MODELS },
		{ "migrations", required_argument, NULL, OPT_MIGRATIONS },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "plan", no_argument, NULL, OPT_PLAN },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "up", no_argument, NULL, OPT_UP },
		{ "pull", required_argument, NULL, OPT_PULL },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "member", required_argument, NULL, OPT_MEMBER },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(op, 0, sizeof(*op));
	while ((ch = getopt_long(argc, argv, "c:dhnu:vV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': op->config = optarg; break;
		case 'n': op->check = 1; break;
		case 'u': op->user = optarg; break;
		case 'd':		/* debug: same as -v, stays in the foreground */
		case 'v': op->verbose++; break;
		case 'V': printf("migrated %s\n", MIGRATED_VERSION); exit(0);
		case 'h': usage(0);
		case OPT_DATABASE: op->o.database = optarg; break;
		case OPT_MODELS: op->o.models_dir = optarg; break;
		case OPT_MIGRATIONS: op->o.migrations_dir = optarg; break;
		case OPT_SOCKET: op->o.socket_path = optarg; break;
		case OPT_STATE: op->o.state_dir = optarg; break;
		case OPT_PLAN: op->plan = 1; break;
		case OPT_ONCE: op->once = 1; break;
		case OPT_UP: op->up = 1; break;
		case OPT_PULL: op->pull = optarg; break;
		case OPT_FORCE: op->force = 1; break;
		case OPT_CHECK: op->verify = 1; break;
		case OPT_MEMBER: op->member = optarg; break;
		case OPT_BASELINE: op->baseline = optarg; break;
		default: usage(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "migrated: unexpected argument '%s'\n",
		    argv[optind]);
		usage(2);
	}
	if (op->plan && op->once) {
		fprintf(stderr, "migrated: --plan and --once exclude each "
		    "other\n");
		usage(2);
	}
	if (op->pull && (op->plan || op->once || op->check)) {
		fprintf(stderr, "migrated: --pull goes alone (not with --plan, "
		    "--once or -n)\n");
		usage(2);
	}
	if (op->force && !op->pull) {
		fprintf(stderr, "migrated: --force goes with --pull\n");
		usage(2);
	}
	if (op->user && !op->check) {
		fprintf(stderr, "migrated: -u goes with -n\n");
		usage(2);
	}
	if (op->verify && (op->once || op->plan || op->pull || op->check)) {
		fprintf(stderr, "migrated: --check goes alone (not with "
		    "--once, --plan, --pull or -n)\n");
		usage(2);
	}
	if (op->member && !op->once && !op->verify) {
		fprintf(stderr, "migrated: --member goes with --once or "
		    "--check\n");
		usage(2);
	}
	if (op->up && !op->once) {
		fprintf(stderr, "migrated: --up goes with --once\n");
		usage(2);
	}
	if (op->baseline && (!op->once || op->member)) {
		fprintf(stderr, "migrated: --baseline goes with --once (one "
		    "database, not a fleet member)\n");
		usage(2);
	}
}


/*
 * A connection attempt gives up after 10 s unless the user's libpq
 * configuration says otherwise: libpq takes connect_timeout from the
 * conninfo, then from a service file, then from PGCONNECT_TIMEOUT, so
 * the default goes in the environment, under the first two and only
 * when the user's environment has none (this process runs no other
 * program that would inherit it).
 */
static void
connect_timeout_default(void)
{
	const char *t = getenv("PGCONNECT_TIMEOUT");

	if (t == NULL || *t == '\0')
		(void)setenv("PGCONNECT_TIMEOUT", "10", 1);
}

int
main(int argc, char **argv)
{
	struct options op;
	struct config cfg;
	struct merr e;
	int rc;

	parse_args(argc, argv, &op);
	connect_timeout_default();
	/* journald reads "<N>" prefixes; a terminal gets plain lines */
	log_init("migrated", op.verbose, getenv("JOURNAL_STREAM") != NULL);
	merr_clear(&e);

	/* --pull writes a models folder: the folders need not exist */
	if (config_load(&cfg, op.config, &op.o, &e) == -1 ||
	    (!op.pull && config_check_paths(&cfg, &e) == -1)) {
		log_merr("error", &e);
		/* the service: restarting will not fix the file */
		return op.check || op.plan || op.once || op.pull ||
		    op.verify ? 1 : EXIT_CANNOT_HEAL;
	}
	if (op.check) {
		/* what the start checks that needs no database */
		svccheck_home(&cfg);
		if (ops_preflight(&cfg, NULL, NULL, &e) == -1 ||
		    control_check(&cfg, &e) == -1) {
			log_merr("error", &e);
			rc = 1;
		} else if (svccheck_user(&cfg, op.user) == -1) {
			rc = 1;		/* each file it cannot read logged */
		} else {
			printf("configuration OK\n");
			rc = 0;
		}
	} else if (op.pull) {
		rc = oneshot_pull(&cfg, op.pull, op.force);
	} else if (op.plan && cfg.fleet.on) {
		log_errorx("error: --plan shows one database's plan, and %s "
		    "names a fleet: use --check (every member)", cfg.path ?
		    cfg.path : "the configuration");
		rc = 1;
	} else if (op.plan) {
		rc = oneshot_plan(&cfg);	/* daemon/oneshot.c */
	} else if (op.baseline && cfg.fleet.on) {
		log_errorx("error: --baseline records one database's history, "
		    "and %s names a fleet", cfg.path ? cfg.path :
		    "the configuration");
		rc = 1;
	} else if ((op.once || op.verify) && cfg.fleet.on) {
		struct fleet_opts fo = { .up = op.up, .check = op.verify,
		    .member = op.member, .verbose = op.verbose };

		rc = fleet_run(&cfg, &fo);	/* daemon/fleet.c */
	} else if (op.member) {
		log_errorx("error: --member needs a fleet (the 'fleet' key "
		    "of the configuration)");
		rc = 1;
	} else if (op.verify) {
		rc = oneshot_check(&cfg);
	} else if (op.once) {
		rc = oneshot_once(&cfg, op.up, op.baseline);
	} else if (cfg.fleet.on) {
		mallopt(M_ARENA_MAX, 1);
		return fleetd_main(op.config, &op.o, &cfg, op.verbose);
	} else {
		/*
		 * The service idles on every host: one malloc arena for the
		 * loop and the worker thread instead of one per thread.
		 */
		mallopt(M_ARENA_MAX, 1);
		return daemon_main(op.config, &op.o, &cfg);	/* daemon.c */
	}
	config_release(&cfg);
	return rc;
}
