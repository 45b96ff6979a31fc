/*
 * fuzz_model.c - a model file (core/model.c, model_index.c,
 * model_check.c, ydoc.c) through model_load_string(), which loads and
 * resolves one document as model_load_dir() does each file.
 */
#include "fuzz.h"
#include "model.h"

static void
fuzz_model(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct schema *s = NULL;
	struct merr e;

	merr_clear(&e);
	if (model_load_string("fuzz.yaml", text, &s, &e) == 0)
		schema_free(s);
	free(text);
}

FUZZ_TARGET(fuzz_model)
