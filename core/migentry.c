/*
 * migentry.c - one entry of the migrations folder, opened or stat'ed.
 *
 * A symbolic link is followed only while its resolution stays inside the
 * folder: openat2(2)'s RESOLVE_BENEATH makes the kernel refuse an absolute
 * link, or one that climbs out with "..", with EXDEV, with no window
 * between a check and the open.  Kubernetes shows a ConfigMap's files as
 * links into a hidden folder beside them (x.sql -> ..data/x.sql, ..data ->
 * ..2026_11_30_08_00_00.1), and swaps ..data to update them.  A link out
 * of the folder may point anywhere (a secret the daemon can read and the
 * folder's writers cannot): it is never read.  Without openat2 (Linux
 * before 5.6, or a seccomp filter that refuses it with ENOSYS or EPERM)
 * no link is followed.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <unistd.h>

#include "migset.h"

int
mig_entry_open(int dirfd, const char *name, int flags)
{
	struct open_how how;
	int fd;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	/* EAGAIN: a rename raced a ".." of the resolution: try again */
	for (int tries = 0; tries < 3; tries++)
		if ((fd = (int)syscall(SYS_openat2, dirfd, name, &how,
		    sizeof(how))) != -1 || errno != EAGAIN)
			break;
	/* no openat2, or a seccomp filter's EPERM: no link followed */
	if (fd == -1 && (errno == ENOSYS || errno == EPERM))
		fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

int
mig_entry_stat(int dirfd, const char *name, struct stat *st)
{
	int fd, rc;

	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISLNK(st->st_mode))
		return 0;
	if ((fd = mig_entry_open(dirfd, name, O_PATH)) == -1)
		return -1;
	rc = fstat(fd, st);
	close(fd);
	/* without openat2, O_PATH | O_NOFOLLOW opened the link itself */
	if (rc == 0 && S_ISLNK(st->st_mode)) {
		errno = ELOOP;
		return -1;
	}
	return rc;
}

const char *
mig_entry_why(int err)
{
	switch (err) {
	case ELOOP:
		return "a symbolic link, not followed";
	case EXDEV:
		return "a symbolic link out of the migrations folder, "
		    "not followed";
	case ENOENT:
		return "a symbolic link to nothing";
	default:
		return strerror(err);
	}
}
