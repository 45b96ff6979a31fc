/* ydoc.c - libyaml document loading with positioned errors. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ydoc.h"

static int
ydoc_parse(struct ydoc *y, yaml_parser_t *p, struct merr *e)
{
	if (!yaml_parser_load(p, &y->doc)) {
		const yaml_mark_t *m = p->problem ? &p->problem_mark :
		    &p->context_mark;
		merr_setpos(e, MERR_CONFIG, y->path, (int)m->line + 1,
		    (int)m->column + 1, "invalid YAML: %s%s%s",
		    p->problem ? p->problem : "syntax error",
		    p->context ? " " : "", p->context ? p->context : "");
		return -1;
	}
	y->loaded = 1;
	return 0;
}

FILE *
ydoc_fopen(const char *path, struct merr *e)
{
	struct stat st;
	FILE *f;
	int fd;

	/* not blocking: a FIFO is refused after fstat(), not read */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		merr_setpos(e, MERR_IO, path, 0, 0, "cannot open: %s",
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		merr_setpos(e, MERR_IO, path, 0, 0, "cannot read: %s",
		    strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		merr_setpos(e, MERR_INPUT, path, 0, 0, "cannot read: not a "
		    "regular file");
		close(fd);
		return NULL;
	}
	/* a regular file: read as any (some network file systems heed it) */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if ((f = fdopen(fd, "r")) == NULL) {
		merr_set(e, MERR_NOMEM, "out of memory");
		close(fd);
	}
	return f;
}

int
ydoc_load_fp(struct ydoc *y, const char *path, FILE *f, struct merr *e)
{
	yaml_parser_t p;
	int rc;

	memset(y, 0, sizeof(*y));
	snprintf(y->path, sizeof(y->path), "%s", path);
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	rc = ydoc_parse(y, &p, e);
	yaml_parser_delete(&p);
	return rc;
}

int
ydoc_load(struct ydoc *y, const char *path, struct merr *e)
{
	FILE *f;
	int rc;

	memset(y, 0, sizeof(*y));
	if ((f = fopen(path, "r")) == NULL)
		return merr_setpos(e, MERR_IO, path, 0, 0, "cannot open: %s",
		    strerror(errno));
	rc = ydoc_load_fp(y, path, f, e);
	fclose(f);
	return rc;
}

int
ydoc_load_string(struct ydoc *y, const char *name, const char *text,
    size_t len, struct merr *e)
{
	yaml_parser_t p;
	int rc;

	memset(y, 0, sizeof(*y));
	snprintf(y->path, sizeof(y->path), "%s", name);
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	rc = ydoc_parse(y, &p, e);
	yaml_parser_delete(&p);
	return rc;
}

void
ydoc_release(struct ydoc *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = 0;
}

yaml_node_t *
ydoc_root(struct ydoc *y)
{
	return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

yaml_node_t *
ydoc_node(struct ydoc *y, yaml_node_item_t i)
{
	return yaml_document_get_node(&y->doc, i);
}

int
ydoc_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

int
ydoc_col(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.column + 1 : 0;
}

const char *
ydoc_scalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

int
ydoc_error(struct ydoc *y, const yaml_node_t *n, const char *field,
    struct merr *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	merr_setpos(e, MERR_CONFIG, y->path, ydoc_line(n), ydoc_col(n), "%s",
	    "");
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
ydoc_string(struct ydoc *y, yaml_node_t *n, const char *field, char **out,
    struct merr *e)
{
	const char *s = ydoc_scalar(n);

	if (s == NULL)
		return ydoc_error(y, n, field, e, "'%s' must be a string",
		    field);
	if ((*out = strdup(s)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return 0;
}

int
ydoc_bool(struct ydoc *y, yaml_node_t *n, const char *field, int *out,
    struct merr *e)
{
	const char *s = ydoc_scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes") ||
	    !strcmp(s, "on")))
		*out = 1;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "no") ||
	    !strcmp(s, "off")))
		*out = 0;
	else
		return ydoc_error(y, n, field, e,
		    "'%s' must be true or false", field);
	return 0;
}

int
ydoc_long(struct ydoc *y, yaml_node_t *n, const char *field, long min,
    long max, long *out, struct merr *e)
{
	const char *s = ydoc_scalar(n);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		goto bad;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return ydoc_error(y, n, field, e,
	    "'%s' must be an integer between %ld and %ld", field, min, max);
}

int
ydoc_duration_ms(struct ydoc *y, yaml_node_t *n, const char *field,
    long *out, struct merr *e)
{
	const char *s = ydoc_scalar(n);
	char *end;
	double v;
	long mult = 1;

	if (s == NULL || *s == '\0' || *s == '-')
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		goto bad;
	if (!strcmp(end, "") || !strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else
		goto bad;
	if (v * mult > (double)INT_MAX)
		goto bad;
	*out = (long)(v * mult);
	return 0;
bad:
	return ydoc_error(y, n, field, e,
	    "'%s' must be a duration such as 500ms, 2s or 1m", field);
}

void
ydoc_strlist_free(char **l)
{
	if (l == NULL)
		return;
	for (char **p = l; *p; p++)
		free(*p);
	free(l);
}

int
ydoc_strlist(struct ydoc *y, yaml_node_t *n, const char *field, char ***out,
    struct merr *e)
{
	yaml_node_item_t *it;
	size_t cnt = 0, i = 0;
	char **l;

	if (n->type == YAML_SCALAR_NODE) {
		if ((l = calloc(2, sizeof(*l))) == NULL ||
		    (l[0] = strdup(ydoc_scalar(n))) == NULL) {
			free(l);
			return merr_set(e, MERR_NOMEM, "out of memory");
		}
		*out = l;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return ydoc_error(y, n, field, e,
		    "'%s' must be a list of names", field);
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++)
		cnt++;
	if ((l = calloc(cnt + 1, sizeof(*l))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *c = ydoc_node(y, *it);
		const char *s = ydoc_scalar(c);

		if (s == NULL) {
			ydoc_strlist_free(l);
			return ydoc_error(y, c, field, e,
			    "'%s' entries must be names", field);
		}
		if ((l[i] = strdup(s)) == NULL) {
			ydoc_strlist_free(l);
			return merr_set(e, MERR_NOMEM, "out of memory");
		}
	}
	*out = l;
	return 0;
}

static void
ydoc_keylist(const char *const keys[], char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; keys[i] && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    keys[i]);
}

/* A key worth quoting in an error: a short name, not a line of text. */
static int
ydoc_namelike(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n >= 63 || !(isalnum((unsigned char)s[n]) ||
		    strchr("_-.", s[n])))
			return 0;
	return n > 0;
}

int
ydoc_mapping(struct ydoc *y, yaml_node_t *n, const char *what,
    const char *const keys[], ydoc_pair_fn fn, void *arg, struct merr *e)
{
	yaml_node_pair_t *p, *q;
	char known[512];

	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return ydoc_error(y, n, what, e, "%s must be a mapping", what);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t *k = ydoc_node(y, p->key);
		yaml_node_t *v = ydoc_node(y, p->value);
		const char *ks = ydoc_scalar(k);
		int i;

		if (ks == NULL)
			return ydoc_error(y, k, what, e,
			    "%s: keys must be plain names", what);
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			const char *prev = ydoc_scalar(ydoc_node(y, q->key));

			if (prev && !strcmp(prev, ks))
				return ydoc_error(y, k, ks, e,
				    "duplicate key '%s' in %s", ks, what);
		}
		for (i = 0; keys && keys[i]; i++)
			if (!strcmp(keys[i], ks))
				break;
		if (keys == NULL)
			i = -1;		/* any key: names chosen by the user */
		else if (keys[i] == NULL) {
			ydoc_keylist(keys, known, sizeof(known));
			if (ydoc_namelike(ks))
				ydoc_error(y, k, ks, e, "unknown key '%s' in %s",
				    ks, what);
			else	/* never quote what may be a secret's text */
				ydoc_error(y, k, NULL, e, "unknown key in %s: "
				    "not a name (is this a %s file?)", what,
				    what);
			merr_hint(e, "known keys: %s", known);
			return -1;
		}
		if (fn(y, i, k, v, arg, e) == -1)
			return -1;
	}
	return 0;
}
