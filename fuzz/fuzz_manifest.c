/* fuzz_manifest: a transfer archive's records.jsonl line, from a partner,
 * into a record to index; what is accepted keeps the archive rules. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_arc.h"
#include "rso_records.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct rso_record r;
	char why[96];
	json_t *j;

	if ((j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return 0;
	if (rso_record_from_manifest(j, &r, why, sizeof(why)) == 0) {
		if (strncmp(r.name, "records/", 8) != 0 ||
		    !rso_seg_name_ok(r.name) || strlen(r.sha256) != 64 ||
		    r.size < 0 || r.item < 1 || r.item > 9999 ||
		    !rso_record_type_valid(r.type) ||
		    (r.sop_uid == NULL) != (r.study_uid == NULL))
			abort();
	} else if (why[0] == '\0' || strlen(why) >= sizeof(why))
		abort();
	json_decref(j);
	return 0;
}
