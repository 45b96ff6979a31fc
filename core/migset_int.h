/*
 * migset_int.h - shared between migset.c (folder), migparse.c (statements)
 * and migcreate.c (new files).  Not for other modules.
 */
#ifndef MIGRATE_MIGSET_INT_H
#define MIGRATE_MIGSET_INT_H

#include <stddef.h>

#include "migset.h"

int	mig_read_file(const char *path, char **text, size_t *len,
	    struct merr *);
void	mig_sha256_hex(const char *data, size_t len,
	    char out[MIG_SHA256_HEX]);
/* The start of the "-- +++++ UP" / "DOWN" line in text, or NULL. */
const char *mig_find_marker(const char *text, const char *which);
/* Split a single-layout file (m->up.text) into up and down scripts. */
int	mig_single_split(struct migration *, struct merr *);
/* Split, parse and classify sc->text; fills stmts, tx, directives. */
int	mig_parse_script(struct mig_script *, struct merr *);
/* Line and column (1-based, columns in characters) of a byte offset. */
void	mig_offset_pos(const char *text, size_t off, int *line, int *col);
/*
 * The same for offsets that mostly grow (statement after statement): it
 * goes on from the last position asked, so a whole file costs one pass.
 */
struct mig_cursor {
	size_t	off;
	int	line, col;
};
void	mig_cursor_pos(const char *text, struct mig_cursor *,
	    size_t off, int *line, int *col);

#endif
