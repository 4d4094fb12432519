/* fuzz_jsonl: the JSON lines reader on any bytes, and a request check on
 * every object it yields.  No crash, no hang, no leak; and the canonical
 * text rso writes itself is json_dumps's to the byte (hashes of stored
 * requests are over it). */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_err.h"
#include "rso_jsonl.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	FILE *fp;
	struct rso_jsonl *r;
	json_t *obj;
	char *canon, *dumped;
	int rc;

	if (size == 0)
		return 0;
	fp = fmemopen((void *)data, size, "r");
	if (fp == NULL)
		return 0;
	r = rso_jsonl_open(fp, "fuzz");
	while ((rc = rso_jsonl_next(r, &obj)) != 0) {
		if (rc < 0)
			continue;
		canon = rso_json_canonical(obj);
		dumped = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
		if ((canon == NULL) != (dumped == NULL) ||
		    (canon != NULL && strcmp(canon, dumped) != 0))
			abort();
		(void)rso_json_str(obj, "patient.name");
		free(canon);
		free(dumped);
		json_decref(obj);
	}
	rso_jsonl_close(r);
	fclose(fp);
	return 0;
}
