/* fuzz_cda: any bytes read as a C-CDA and, when one, shown as HTML. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_cda.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rso_doc_info d;
	struct rso_error e = { 0 };
	char *out = NULL;
	size_t n = 0;
	FILE *fp;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = rso_cda_read((const char *)data, size, &d, &e);
	/* What was read is always a string within its field. */
	if (rc == 0 && (memchr(d.patient.name, '\0', sizeof(d.patient.name))
	    == NULL || memchr(d.title, '\0', sizeof(d.title)) == NULL))
		abort();
	if (rc == -1 && (e.status == 0 || strncmp(e.msg, "line ", 5) != 0))
		abort();
	if ((fp = open_memstream(&out, &n)) == NULL)
		return 0;
	if (rso_cda_render((const char *)data, size, fp, &e) != rc)
		abort();
	fclose(fp);
	/* Nothing from the document may open a tag of its own. */
	if (rc == 0 && (strstr(out, "<script") || strstr(out, "<a ") ||
	    strstr(out, "<link") || strstr(out, "<img")))
		abort();
	free(out);
	return 0;
}
