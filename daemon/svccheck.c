/* svccheck.c - -n for the service: ProtectHome and its user (svccheck.h). */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "svccheck.h"

int
svccheck_home(const struct config *c)
{
	const char *dirs[] = { c->models_dir, c->migrations_dir, c->path };
	const char *what[] = { "models folder", "migrations folder",
	    "configuration" };
	int n = 0;

	for (int i = 0; i < 3; i++) {
		const char *home = config_protected_home(dirs[i]);

		if (home == NULL)
			continue;
		log_warnx("warning: %s '%s' is under %s, which the units' "
		    "ProtectHome=yes hide from the service", what[i], dirs[i],
		    home);
		log_warnx("hint: move it (e.g. to /srv), or set "
		    "ProtectHome=read-only in a drop-in");
		n++;
	}
	return n;
}

/* Child: can path be read (a folder: listed, and each file in it)? */
static int
readable(const char *user, const char *path, int is_dir)
{
	char file[4096];
	struct dirent *de;
	DIR *d;
	int fd, bad = 0;

	if (!is_dir) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			log_errorx("error: user '%s' cannot read '%s': %s",
			    user, path, strerror(errno));
			return 1;
		}
		close(fd);
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		log_errorx("error: user '%s' cannot read the folder '%s': %s",
		    user, path, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		bad += readable(user, file, de->d_type == DT_DIR);
	}
	closedir(d);
	return bad;
}

/* Child: become pw, then read everything; exit status: files unread. */
static void __attribute__((noreturn))
svccheck_child(const struct config *c, const struct passwd *pw)
{
	int bad = 0;

	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		log_warn("cannot become user '%s'", pw->pw_name);
		_exit(1);
	}
	if (c->path)
		bad += readable(pw->pw_name, c->path, 0);
	bad += readable(pw->pw_name, c->models_dir, 1);
	bad += readable(pw->pw_name, c->migrations_dir, 1);
	_exit(bad > 0);
}

int
svccheck_user(const struct config *c, const char *user)
{
	const struct passwd *pw;
	int status;
	pid_t pid;

	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user ? user : SVCCHECK_USER)) == NULL) {
		if (user) {
			log_errorx("error: no user '%s'", user);
			return -1;
		}
		log_debug("no user '%s' here: what the service may read is "
		    "not checked", SVCCHECK_USER);
		return 0;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_warn("fork");
		return -1;
	}
	if (pid == 0)
		svccheck_child(c, pw);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	log_errorx("hint: the service runs as '%s' (User= in the unit): give "
	    "its group read access (chgrp %s, chmod g+r, and g+x on the "
	    "folders)", pw->pw_name, pw->pw_name);
	return -1;
}
