/* main.c - migratectl: the command-line client of migrated. */
#include <stdio.h>
#include <string.h>

#include "version.h"

int
main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-V") ||
	    !strcmp(argv[1], "--version"))) {
		printf("migratectl %s\n", MIGRATED_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: migratectl [-s SOCKET] [--json] COMMAND "
	    "[ARGS]\n");
	return 2;
}
