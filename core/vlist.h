/*
 * vlist.h - a set of strings, copied and sorted once, for lookups.
 * Ownership: the list owns one allocation, v: its n pointers, then the
 * strings they point to; vlist_release() frees it.
 */
#ifndef MIGRATED_VLIST_H
#define MIGRATED_VLIST_H

#include <stddef.h>

struct vlist {
	char		**v;	/* strcmp() order */
	size_t		 n;
};

/* l (empty) holds a copy of the n strings of v; -1: out of memory. */
int	vlist_make(struct vlist *l, const char *const *v, size_t n);
int	vlist_has(const struct vlist *, const char *s);
void	vlist_release(struct vlist *);

#endif
