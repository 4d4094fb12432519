/* fuzz_manifest: a transfer archive's records.jsonl line, from a partner,
 * into a record to index; what is accepted keeps the archive rules,
 * its name beginning with its item. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
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
		char *end;
		long item = strtol(r.name + 8, &end, 10);

		/* Its name begins with its item: found by it on import. */
		if (item != r.item || *end != '-' || !isdigit((unsigned char)
		    r.name[8]))
			abort();
		if (strncmp(r.name, "records/", 8) != 0 ||
		    !rso_seg_name_ok(r.name) || strlen(r.sha256) != 64 ||
		    r.size < 0 || r.item < 1 ||
		    !rso_record_type_valid(r.type) ||
		    (r.sop_uid == NULL) != (r.study_uid == NULL))
			abort();
	} else if (why[0] == '\0' || strlen(why) >= sizeof(why))
		abort();
	json_decref(j);
	return 0;
}
