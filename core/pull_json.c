/*
 * pull_json.c - a pull's result on the wire (`migratectl pull`): the
 * daemon reads the catalogs and sends the files; migratectl writes them
 * where its user asked.  One field table (proto_status.h) names the keys
 * for both sides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pull.h"

static const struct proto_field file_fields[] = {
	[PF_FILE_NAME] = { "name", PF_STR, "file", NULL },
	[PF_FILE_TEXT] = { "text", PF_STR, "text", NULL },
	[PF_FILE_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};
static const struct proto_field note_fields[] = {
	[PF_NOTE_KIND] = { "kind", PF_STR, "kind", NULL },
	[PF_NOTE_NAME] = { "name", PF_STR, "object", NULL },
	[PF_NOTE_DETAIL] = { "detail", PF_STR, "detail", NULL },
	[PF_NOTE_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};
const struct proto_field proto_pull_fields[] = {
	[PF_TABLES] = { "tables", PF_INT, "tables", NULL },
	[PF_ENUMS] = { "enums", PF_INT, "enum types", NULL },
	[PF_FILES] = { "files", PF_ROWS, "files", file_fields },
	[PF_NOTES] = { "notes", PF_ROWS, "not said", note_fields },
	[PF_NFIELDS] = { NULL, PF_STR, NULL, NULL },
};

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
pull_result_to_json(const struct pull_result *r, int with_text)
{
	json_t *o = json_object(), *files = json_array(), *notes = json_array();
	json_t *x;
	int bad = o == NULL || files == NULL || notes == NULL;

	for (size_t i = 0; !bad && i < r->files.n; i++) {
		bad = (x = json_object()) == NULL ||
		    json_array_append_new(files, x) == -1 ||
		    json_object_set_new(x, file_fields[PF_FILE_NAME].name,
		    json_string(r->files.v[i].name)) == -1 || (with_text &&
		    json_object_set_new(x, file_fields[PF_FILE_TEXT].name,
		    json_string(r->files.v[i].text)) == -1);
	}
	for (size_t i = 0; !bad && i < r->notes.n; i++) {
		const struct pull_note *n = &r->notes.v[i];

		bad = (x = json_object()) == NULL ||
		    json_array_append_new(notes, x) == -1 ||
		    json_object_set_new(x, note_fields[PF_NOTE_KIND].name,
		    json_string(n->kind)) == -1 ||
		    json_object_set_new(x, note_fields[PF_NOTE_NAME].name,
		    json_string(n->name)) == -1 ||
		    json_object_set_new(x, note_fields[PF_NOTE_DETAIL].name,
		    str_or_null(n->detail)) == -1;
	}
	if (bad || json_object_set_new(o, proto_pull_fields[PF_TABLES].name,
	    json_integer((json_int_t)r->tables)) == -1 ||
	    json_object_set_new(o, proto_pull_fields[PF_ENUMS].name,
	    json_integer((json_int_t)r->enums)) == -1 ||
	    json_object_set(o, proto_pull_fields[PF_FILES].name, files) ||
	    json_object_set(o, proto_pull_fields[PF_NOTES].name, notes)) {
		json_decref(o);
		o = NULL;
	}
	json_decref(files);
	json_decref(notes);
	return o;
}

/* A string member of row x, or NULL when absent (null allowed: opt). */
static int
row_str(json_t *x, const char *key, int opt, const char **out)
{
	json_t *v = json_object_get(x, key);

	*out = json_string_value(v);
	return *out || (opt && (v == NULL || json_is_null(v))) ? 0 : -1;
}

/* A name migratectl may write: a model file or the notes, no path. */
static int
file_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (*s == '.' || strchr(s, '/'))
		return 0;
	return !strcmp(s, PULL_NOTES_FILE) || (n > 5 &&
	    !strcmp(s + n - 5, ".yaml")) || (n > 4 &&
	    !strcmp(s + n - 4, ".sql"));
}

static int
from_json_bad(struct merr *e, const char *field)
{
	merr_set(e, MERR_INPUT, "malformed pull result: '%s'", field);
	snprintf(e->field, sizeof(e->field), "%s", field);
	return -1;
}

int
pull_result_from_json(json_t *o, struct pull_result *r, struct merr *e)
{
	json_t *files = proto_field_get(o, proto_pull_fields, PF_FILES);
	json_t *notes = proto_field_get(o, proto_pull_fields, PF_NOTES), *x;
	const char *a, *b, *c;
	size_t i;

	if (!json_is_array(files) || !json_is_array(notes))
		return from_json_bad(e, json_is_array(files) ? "notes" :
		    "files");
	r->tables = (size_t)json_integer_value(proto_field_get(o,
	    proto_pull_fields, PF_TABLES));
	r->enums = (size_t)json_integer_value(proto_field_get(o,
	    proto_pull_fields, PF_ENUMS));
	json_array_foreach(files, i, x) {
		char *name, *text;

		if (row_str(x, "name", 0, &a) || row_str(x, "text", 0, &b) ||
		    !file_name_ok(a))
			return from_json_bad(e, "files");
		name = strdup(a);
		text = strdup(b);
		if (name == NULL || text == NULL ||
		    pull_files_add(&r->files, name, text) == -1) {
			free(name);
			free(text);
			return merr_set(e, MERR_NOMEM, "out of memory");
		}
	}
	json_array_foreach(notes, i, x) {
		if (row_str(x, "kind", 0, &a) || row_str(x, "name", 0, &b) ||
		    row_str(x, "detail", 1, &c))
			return from_json_bad(e, "notes");
		if (pull_note_add(&r->notes, a, b, c) == -1)
			return merr_set(e, MERR_NOMEM, "out of memory");
	}
	return 0;
}

void
pull_result_init(struct pull_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
pull_result_release(struct pull_result *r)
{
	for (size_t i = 0; i < r->notes.n; i++) {
		free(r->notes.v[i].kind);
		free(r->notes.v[i].name);
		free(r->notes.v[i].detail);
	}
	free(r->notes.v);
	for (size_t i = 0; i < r->files.n; i++) {
		free(r->files.v[i].name);
		free(r->files.v[i].text);
	}
	free(r->files.v);
	memset(r, 0, sizeof(*r));
}

int
pull_note_add(struct pull_notes *ns, const char *kind, const char *name,
    const char *detail)
{
	struct pull_note *v, *x;

	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 32;

		if ((v = realloc(ns->v, cap * sizeof(*v))) == NULL)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	x = &ns->v[ns->n++];
	x->kind = strdup(kind);
	x->name = strdup(name);
	x->detail = detail ? strdup(detail) : NULL;
	return (x->kind && x->name && (!detail || x->detail)) ? 0 : -1;
}

int
pull_files_add(struct pull_files *fs, char *name, char *text)
{
	struct pull_file *v;

	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? 2 * fs->cap : 64;

		if ((v = realloc(fs->v, cap * sizeof(*v))) == NULL)
			return -1;
		fs->v = v;
		fs->cap = cap;
	}
	fs->v[fs->n].name = name;
	fs->v[fs->n].text = text;
	fs->n++;
	return 0;
}
