/* prio.c - see prio.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db.h"
#include "prio.h"

#define CAP_SYS_NICE_BIT	23	/* linux/capability.h */

/* The parent of process pid, from /proc/pid/stat, or -1. */
static int
parent_of(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold anything, even ')' */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* This process may lower a nice value again (CAP_SYS_NICE). */
static int
can_renice(void)
{
	char line[256];
	unsigned long long cap = 0;
	int found = 0;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &cap) == 1;
	fclose(f);
	return found && (cap >> CAP_SYS_NICE_BIT & 1);
}

/* Is process pid in this process's PID namespace? */
static int
same_pidns(int pid)
{
	char path[64], ours[64], theirs[64];
	ssize_t a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	a = readlink("/proc/self/ns/pid", ours, sizeof(ours));
	b = readlink(path, theirs, sizeof(theirs));
	return a > 0 && a == b && memcmp(ours, theirs, (size_t)a) == 0;
}

/* The postmaster at the other end of d's Unix socket, or -1 (e says). */
static int
server_pid(struct db *d, struct merr *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ucred uc;
	int fd = PQsocket(d->conn);

	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    ss.ss_family != AF_UNIX) {
		merr_set(e, MERR_STATE, "the server is not on a Unix socket "
		    "of this host");
		return -1;
	}
	len = sizeof(uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1 ||
	    uc.pid <= 0) {
		merr_set(e, MERR_STATE, "the server's process is not visible "
		    "from here (another PID namespace)");
		return -1;
	}
	/* PQbackendPID() is a pid in the server's namespace */
	if (!same_pidns(uc.pid)) {
		merr_set(e, MERR_STATE, "the server runs in another PID "
		    "namespace");
		return -1;
	}
	return uc.pid;
}

int
prio_lower(struct prio *p, struct db *d, int nice, struct merr *e)
{
	int pid = PQbackendPID(d->conn), pm, was;

	p->pid = 0;
	if ((pm = server_pid(d, e)) == -1)
		return -1;
	if (pid <= 0 || parent_of(pid) != pm)
		return merr_set(e, MERR_STATE, "backend %d is not a child of "
		    "the server's process %d here", pid, pm);
	if (!can_renice())
		return merr_set(e, MERR_STATE, "no CAP_SYS_NICE to give "
		    "backend %d its priority back afterwards", pid);
	errno = 0;
	was = getpriority(PRIO_PROCESS, (id_t)pid);
	if (was == -1 && errno != 0)
		return merr_set(e, MERR_STATE, "cannot read the priority of "
		    "backend %d: %s", pid, strerror(errno));
	if (was >= nice)
		return merr_set(e, MERR_STATE, "backend %d already at nice %d",
		    pid, was);
	if (setpriority(PRIO_PROCESS, (id_t)pid, nice) == -1)
		return merr_set(e, MERR_STATE, "cannot lower the priority of "
		    "backend %d: %s", pid, strerror(errno));
	p->pid = pid;
	p->saved = was;
	return 0;
}

int
prio_restore(struct prio *p, struct db *d, struct merr *e)
{
	int pid = p->pid;

	if (pid == 0)
		return 0;
	p->pid = 0;
	/* the connection lost, its backend has exited: pid may be another's */
	if (!db_ok(d) || PQbackendPID(d->conn) != pid)
		return 0;
	if (setpriority(PRIO_PROCESS, (id_t)pid, p->saved) == -1 &&
	    errno != ESRCH)
		return merr_set(e, MERR_STATE, "cannot give backend %d its "
		    "priority back: %s", pid, strerror(errno));
	return 0;
}
