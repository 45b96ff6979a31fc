/*
 * fuzz_config.c - the configuration file (core/config.c, core/ydoc.c):
 * the input is written to a scratch file and loaded with config_load(),
 * as `migrated -c FILE` does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static char cfg_path[64];

static void
cfg_remove(void)
{
	(void)unlink(cfg_path);
}

static void
fuzz_config(const uint8_t *data, size_t size)
{
	const char *path = cfg_path;
	struct config_overrides o;
	struct config c;
	struct merr e;
	FILE *f;

	if (cfg_path[0] == '\0') {
		int fd;

		snprintf(cfg_path, sizeof(cfg_path),
		    "/tmp/migrated-fuzz-cfg.XXXXXX");
		if ((fd = mkstemp(cfg_path)) == -1)
			abort();
		close(fd);
		atexit(cfg_remove);
		unsetenv("DATABASE_URL");
	}
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	memset(&o, 0, sizeof(o));
	merr_clear(&e);
	if (config_load(&c, path, &o, &e) == 0)
		config_release(&c);
}

FUZZ_TARGET(fuzz_config)
