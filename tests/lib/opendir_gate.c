/*
 * opendir_gate.c - LD_PRELOAD for tests: opendir() of the folder
 * $GATE_DIR waits until the file $GATE_FILE exists, having made
 * $GATE_FILE.held, so that a test acts while a process is held at a known
 * point of its start (45_wait_ready.sh: the daemon reading its migrations
 * folder, before its loop takes any connection).  Built by the test:
 *   cc -shared -fPIC -o gate.so tests/lib/opendir_gate.c -ldl
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

DIR *
opendir(const char *name)
{
	static DIR *(*real)(const char *);
	const char *dir = getenv("GATE_DIR"), *file = getenv("GATE_FILE");
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	char held[4096];
	int fd;

	if (real == NULL)
		real = (DIR *(*)(const char *))dlsym(RTLD_NEXT, "opendir");
	if (dir && file && strcmp(name, dir) == 0) {
		snprintf(held, sizeof(held), "%s.held", file);
		if ((fd = open(held, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) != -1)
			close(fd);
		while (access(file, F_OK) != 0)
			nanosleep(&nap, NULL);
	}
	return real(name);
}
