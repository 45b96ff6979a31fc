/*
 * quote.h - PostgreSQL's quoting of identifiers and string literals, as
 * pure functions (no connection, no global state).
 *
 * The output is byte for byte what libpq gives on a connection whose
 * client_encoding is UTF8 (db_connect() asks for UTF8):
 *   quote_ident()     PQescapeIdentifier: always double-quoted, each "
 *                     doubled ("a""b");
 *   quote_literal()   PQescapeLiteral: single-quoted, each ' doubled; when
 *                     the text holds a backslash, each \ is doubled too and
 *                     the result is " E'...'" (with libpq's leading space),
 *                     correct whatever standard_conforming_strings says;
 *   quote_qualified() "schema"."name".
 * Input must be valid UTF-8, as libpq checks it: an invalid or truncated
 * sequence (an overlong form, a surrogate, a byte above F4) is refused.
 * tests/unit/test_quote.c holds the cases; a cluster test compares them
 * with libpq's own functions.
 *
 * Ownership: every function returns a malloc'd string, the caller's
 * (free()); NULL with errno ENOMEM (out of memory) or EILSEQ (not UTF-8).
 */
#ifndef MIGRATE_QUOTE_H
#define MIGRATE_QUOTE_H

char	*quote_ident(const char *name);
char	*quote_literal(const char *text);
char	*quote_qualified(const char *schema, const char *name);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
int	 quote_utf8_len(const unsigned char *s);

#endif
