/* fuzz_csv: the CSV reader on any bytes, each record through the JSON
 * mapping and back out through the writer.  No crash, no hang, no leak. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>

#include "rso_csv.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const lists[] = { "questions", NULL };
	char *header[] = { "ref", "patient.name", "questions", "questions.1" };
	FILE *fp, *sink;
	struct rso_csv *c;
	struct rso_error e;
	char **f;
	size_t n, i;
	json_t *j;
	int rc;

	if (size == 0 || (fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	sink = fopen("/dev/null", "w");
	c = rso_csv_open(fp);
	while ((rc = rso_csv_next(c, &f, &n, &e)) != 0) {
		if (rc < 0)
			continue;
		j = rso_csv_to_json(header, 4, f, n, lists, &e);
		json_decref(j);
		for (i = 0; sink && i < n; i++)
			rso_csv_cell(sink, f[i], i == 0);
	}
	rso_csv_close(c);
	fclose(fp);
	if (sink)
		fclose(sink);
	return 0;
}
