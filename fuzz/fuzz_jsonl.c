/* fuzz_jsonl: the JSON lines reader on any bytes, and a request check on
 * every object it yields.  No crash, no hang, no leak. */
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
	char *canon;
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
		(void)rso_json_str(obj, "patient.name");
		free(canon);
		json_decref(obj);
	}
	rso_jsonl_close(r);
	fclose(fp);
	return 0;
}
