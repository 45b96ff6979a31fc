/*
 * sqltok.h - the tokens of an SQL statement, just enough to find the
 * parts of a CREATE statement that libpg_query's parse tree gives no
 * position for (the word after CREATE [OR REPLACE], the end of a name,
 * the query of a materialized view, a policy's USING (...)).  The parse
 * tree says what the statement is; this only says where.
 *
 * Whitespace and comments (--, nested block comments) are skipped;
 * string constants ('', E'', B'', X'', U&''), quoted identifiers and
 * dollar-quoted strings are one token each, so nothing inside them is
 * ever taken for a word or a parenthesis.
 */
#ifndef MIGRATE_SQLTOK_H
#define MIGRATE_SQLTOK_H

#include <stddef.h>

enum sqltok_kind {
	SQLTOK_END,		/* nothing left */
	SQLTOK_WORD,		/* a key word, a bare name or a number */
	SQLTOK_QIDENT,		/* "quoted name" */
	SQLTOK_STRING,		/* a string constant, also $$...$$ */
	SQLTOK_PUNCT,		/* one character: ( ) , . ; and operators */
};

struct sqltok {
	enum sqltok_kind kind;
	size_t		 off, end;	/* [off, end) in the text */
};

/* The token at or after *pos; *pos moves past it. */
void	sqltok_next(const char *s, size_t *pos, struct sqltok *);
/* 1 when t is the word w (either case) or the punctuation w. */
int	sqltok_is(const char *s, const struct sqltok *t, const char *w);
/* The end of a (qualified) name starting at off: "a", "s"."a", s . a. */
size_t	sqltok_name_end(const char *s, size_t off);
/*
 * From *pos, the next word w at parenthesis depth 0 (0), or -1 when the
 * text ends first; *pos is then the offset of the word.
 */
int	sqltok_find(const char *s, size_t *pos, const char *w);

#endif
