/*
 * relopts.h - storage parameters (WITH (...)) of a table or an index:
 * NULL-terminated lists of "name=value" as pg_class.reloptions keeps
 * them, compared by name, values as PostgreSQL reads them (70 and 70.0,
 * off and false are the same).  Nothing here allocates but
 * relopts_split(), whose two strings are the caller's.
 */
#ifndef MIGRATE_RELOPTS_H
#define MIGRATE_RELOPTS_H

/* The same names with the same values, in any order. */
int		 relopts_equal(char *const *a, char *const *b);
/* The value of name in v, or NULL. */
const char	*relopts_get(char *const *v, const char *name);
/* "name=value" -> malloc'd *name and *value; -1: no '=' or no memory. */
int		 relopts_split(const char *kv, char **name, char **value);
/* A name the models may say: lower-case letters, digits and '_'. */
int		 relopts_name_ok(const char *name);

#endif
