/* fuzz_xdm: METADATA.XML of an XDM zip, as the inbox reads it. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rso_xdm_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever came in: a clean refusal, or entries whose strings end and
 * whose URIs stay inside their folder. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rso_xdm_meta m;
	struct rso_error e = { 0, "" };
	size_t i;

	if (rso_xdm_parse((const char *)data, size, &m, &e) == 0) {
		for (i = 0; i < m.n; i++) {
			if (strlen(m.entry[i].uri) >= sizeof(m.entry[i].uri) ||
			    m.entry[i].uri[0] == '/' ||
			    strstr(m.entry[i].uri, "..") == m.entry[i].uri ||
			    strlen(m.entry[i].sha1) != 40 ||
			    m.entry[i].size < 0 ||
			    strlen(m.entry[i].doc.patient.name) >=
			    sizeof(m.entry[i].doc.patient.name))
				abort();
		}
	} else if (e.status != EX_DATAERR || e.msg[0] == '\0')
		abort();
	rso_xdm_meta_free(&m);
	return 0;
}
