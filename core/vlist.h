/*
 * vlist.h - a set of version strings, sorted once, for lookups.
 * Ownership: the list owns one allocation, v: its n pointers, then the
 * strings they point to (bytes in all); vlist_release() frees it.
 */
#ifndef MIGRATED_VLIST_H
#define MIGRATED_VLIST_H

#include <stddef.h>

struct vlist {
	char		**v;	/* strcmp() order */
	size_t		 n;
	size_t		 bytes;
};

/* l (empty) holds a copy of the n strings of v; -1: out of memory. */
int	vlist_make(struct vlist *l, const char *const *v, size_t n);
/* dst (empty) becomes a copy of src; -1: out of memory, dst empty. */
int	vlist_copy(struct vlist *dst, const struct vlist *src);
int	vlist_has(const struct vlist *, const char *s);
void	vlist_release(struct vlist *);

#endif
