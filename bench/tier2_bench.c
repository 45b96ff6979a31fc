/*
 * tier2_bench.c - drive libmigrate in-process for bench/tier2.sh:
 *     tier2_bench up|status DIR [REPEAT [cache]]
 * connects with the PG* environment, runs the operation REPEAT times and
 * prints the wall time of each run in milliseconds (one per line).  With
 * "cache" the migset is kept across runs (env.cache), as the daemon keeps
 * it: files are stat()ed, not read, when nothing changed.
 * No daemon and no socket: this measures the core, not the protocol.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "migrate.h"

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	struct config_overrides o;
	struct migrate_opts opts;
	struct migrate_result res;
	struct config cfg;
	struct db db, lockdb;
	struct actor actor = { 0, 0, 0, "bench" };
	struct mig_env env;
	struct migset cache;
	struct merr e;
	int i, n = argc > 3 ? atoi(argv[3]) : 1, rc;
	double t0;

	if (argc < 3 || (strcmp(argv[1], "up") && strcmp(argv[1], "status"))) {
		fprintf(stderr, "usage: tier2_bench up|status DIR [REPEAT]\n");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.migrations_dir = argv[2];
	merr_clear(&e);
	if (config_load(&cfg, NULL, &o, &e) == -1 ||
	    db_connect(&db, cfg.database, "tier2-bench", &e) == -1 ||
	    db_connect(&lockdb, cfg.database, "tier2-bench-lock", &e) == -1) {
		fprintf(stderr, "tier2_bench: %s\n", e.msg);
		return 1;
	}
	memset(&env, 0, sizeof(env));
	env.cfg = &cfg;
	env.db = &db;
	env.lockdb = &lockdb;
	env.actor = &actor;
	memset(&cache, 0, sizeof(cache));
	if (argc > 4 && strcmp(argv[4], "cache") == 0)
		env.cache = &cache;
	memset(&opts, 0, sizeof(opts));
	for (i = 0; i < n; i++) {
		migrate_result_init(&res);
		t0 = now_ms();
		rc = strcmp(argv[1], "up") == 0 ?
		    migrate_up(&env, &opts, &res, &e) :
		    migrate_status(&env, &res, &e);
		printf("%.3f\n", now_ms() - t0);
		migrate_result_release(&res);
		if (rc == -1) {
			fprintf(stderr, "tier2_bench: %s\n", e.msg);
			return 1;
		}
	}
	migset_release(&cache);
	db_close(&db);
	db_close(&lockdb);
	config_release(&cfg);
	return 0;
}
