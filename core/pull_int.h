/*
 * pull_int.h - what core/pull_prep.c and core/pull_objects.c share while
 * they shape a catalog schema for writing (pull.h).  Nothing here is
 * exported from the library's point of view: pull_prep() is the entry.
 *
 * Ownership: struct prep borrows the schema, notes and options it is
 * given; its type spelling cache (traw, tout) is its own, freed by
 * pull_prep().
 */
#ifndef MIGRATE_PULL_INT_H
#define MIGRATE_PULL_INT_H

#include "pull.h"

struct prep {
	struct schema		*s;
	struct pull_notes	*notes;
	char			**traw, **tout;	/* spellings made */
	char			**serial_seqs;	/* serials' sequences */
	char			**nextvals;	/* "sch.name" per nextval() */
	const struct pull_opts	*o;
	int			 own_audit;	/* ours: its guard too */
	int			 nomem;
};

/* A note "kind | sch.obj[.what] | detail" (detail from fmt, may be NULL). */
void	prep_note(struct prep *, const char *kind, const char *sch,
	    const char *obj, const char *what, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* Remove column ci of t, noted, with every key, index and reference that
   uses it. */
void	prep_drop_column(struct prep *, struct sch_table *, size_t ci,
	    const char *why);
/* The spelling to write for built-in type canon, or NULL: cannot say. */
const char *prep_type_spelling(struct prep *, const char *canon);
/* 'x'::type on a column of that type -> 'x' (c->type still canonical). */
void	prep_default_plain(struct prep *, struct sch_column *);
/* "(a > 0)" -> "a > 0" when the outer parentheses enclose it all. */
void	prep_strip_parens(char *);
/* A quoted or bare identifier with '.' parts at *pp, unquoted (malloc'd). */
char	*prep_ident_at(const char **pp);
/* Has a name a dot (the model format reads it as schema.name)? */
int	prep_dotted(const char *);
/* "sch.name" or "sch.name[]" with one dot only (an enum or domain). */
int	prep_one_dot(const char *type);
/* Does the model loader read an extension's type as the catalog spells
   it ("citext", "ext.ltree", "vector(3)")? */
int	prep_ext_type_ok(const char *type);

/* core/pull_objects.c: extensions, domains, sequences, serial columns */
void	prep_extensions(struct prep *, const struct pull_facts *);
void	prep_domain_drop(struct prep *, size_t i, const char *why);
void	prep_domains(struct prep *);
void	prep_sequences_prune(struct prep *);
void	prep_serial(struct prep *, struct sch_table *, struct sch_column *);
int	prep_nextval_written(struct prep *, const char *def);
void	prep_sequences_done(struct prep *);

#endif
