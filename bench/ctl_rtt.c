/*
 * ctl_rtt.c - the round trip of one control request alone, without a
 * client process around it: what the daemon takes to answer, plus the
 * socket.  bench/tier2.sh uses it for a no-op `up`.
 *
 *   ctl_rtt SOCKET N [REQUEST]
 *   ctl_rtt -x N PROGRAM [ARG...]
 *
 * N times: connect to SOCKET, send REQUEST (default {"proto":1,"cmd":"up"}),
 * read until the reply's end marker ("end":true, docs/protocol.md), close,
 * as migratectl does; prints the median and the fastest in ms.  The first
 * request is not counted (whatever it may have warmed up).
 *
 * With -x, the whole client instead: fork, exec PROGRAM (its output to
 * /dev/null), wait for its exit, N times (the first not counted); a
 * failed run is an error.  Timed from here, no shell or date(1) process
 * inside the interval.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXN	1000

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One request on a new connection; -1 when it failed. */
static int
once(const char *path, const char *req)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	static char buf[1 << 16];
	size_t have = 0;
	ssize_t n;
	int fd, rc = -1;

	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	/* the end marker is in the last line: keep the tail only */
	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "\"end\":true") || strstr(buf, "\"end\": true")) {
			rc = 0;
			break;
		}
		if (have > sizeof(buf) / 2) {
			memmove(buf, buf + have - 64, 64);
			have = 64;
		}
	}
out:
	close(fd);
	return rc;
}

/* One run of argv, its output to /dev/null; -1 when it failed. */
static int
spawn(char **argv)
{
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static double v[MAXN];
	const char *req = argc > 3 ? argv[3] : "{\"proto\":1,\"cmd\":\"up\"}\n";
	int x = argc > 1 && strcmp(argv[1], "-x") == 0;
	int n = argc > 2 ? atoi(argv[2]) : 0, i;

	if (argc < 3 + x || n < 1 || n > MAXN) {
		fprintf(stderr, "usage: ctl_rtt SOCKET N [REQUEST]\n"
		    "       ctl_rtt -x N PROGRAM [ARG...]\n");
		return 2;
	}
	for (i = -1; i < n; i++) {
		double t = now_ms();

		if (x ? spawn(argv + 3) == -1 : once(argv[1], req) == -1) {
			fprintf(stderr, "ctl_rtt: %s failed\n", x ? argv[3] :
			    argv[1]);
			return 1;
		}
		if (i >= 0)
			v[i] = now_ms() - t;
	}
	qsort(v, (size_t)n, sizeof(v[0]), cmp);
	printf("%.2f %.2f\n", v[n / 2], v[0]);
	return 0;
}
