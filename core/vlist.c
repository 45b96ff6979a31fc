/* vlist.c - a set of strings, sorted once (vlist.h). */
#include <stdlib.h>
#include <string.h>

#include "vlist.h"

static int
vlist_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
vlist_make(struct vlist *l, const char *const *v, size_t n)
{
	size_t i, bytes = 0;
	char *p;

	memset(l, 0, sizeof(*l));
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		bytes += strlen(v[i]) + 1;
	if ((l->v = malloc(n * sizeof(*l->v) + bytes)) == NULL)
		return -1;
	p = (char *)(l->v + n);
	for (i = 0; i < n; i++) {
		l->v[i] = p;
		p = stpcpy(p, v[i]) + 1;
	}
	l->n = n;
	qsort(l->v, n, sizeof(*l->v), vlist_cmp);
	return 0;
}

int
vlist_has(const struct vlist *l, const char *s)
{
	return l->n && bsearch(&s, l->v, l->n, sizeof(*l->v),
	    vlist_cmp) != NULL;
}

void
vlist_release(struct vlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
