/*
 * fuzz_modelsql.c - a model SQL file (core/model_sql.c, sqltok.c): the
 * views, functions, triggers and policies of a models folder, through
 * mload_sql() as model_load_dir() reads each *.sql file.
 */
#include "fuzz.h"
#include "model_int.h"
#include "schema.h"

static void
fuzz_modelsql(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct schema *s = schema_new();
	struct merr e;

	if (s == NULL)
		abort();
	merr_clear(&e);
	(void)mload_sql(s, "fuzz.sql", text, &e);
	schema_free(s);
	free(text);
}

FUZZ_TARGET(fuzz_modelsql)
