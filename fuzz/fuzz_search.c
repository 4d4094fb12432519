/* fuzz_search: search terms and names as anyone may type them -- the
 * folding (libunistring and the stroke letters) and the term parser on
 * any bytes.  No crash, no hang, no leak; folding is idempotent. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_fold.h"
#include "rso_search.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int
check_word(const char *w, void *ctx)
{
	char *again = rso_fold(w, strlen(w));

	(void)ctx;
	/* A folded word folds to itself: keys stored and terms typed meet. */
	if (again == NULL || strcmp(again, w) != 0)
		abort();
	free(again);
	return 0;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = malloc(size + 1), *argv[8], *p;
	struct rso_search *q;
	struct rso_error e;
	int argc = 0;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	free(rso_fold(text, size));
	rso_fold_words(text, check_word, NULL);
	/* NUL bytes split the input into operands. */
	for (p = text; argc < 8 && p <= text + size; p += strlen(p) + 1)
		argv[argc++] = p;
	if (rso_search_parse(argc, argv, &q, &e) == 0)
		rso_search_free(q);
	free(text);
	return 0;
}
