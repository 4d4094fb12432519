/* Unit tests for rso_doc: document codes, tokens in text, dates, names. */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "rso_doc.h"
#include "rso_name.h"
#include "tap.h"

int
main(void)
{
	struct rso_doc_patient p;
	char tok[RSO_TOKEN_LEN], iso[11], buf[8];
	const char *t;


	ok(strcmp(rso_doc_type_of_code("11506-3"), "note") == 0, "progress note");
	ok(strcmp(rso_doc_type_of_code("11526-1"), "pathology") == 0,
	    "pathology study");
	ok(strcmp(rso_doc_type_of_code("18748-4"), "imaging") == 0,
	    "diagnostic imaging report");
	ok(strcmp(rso_doc_type_of_code("99999-9"), "report") == 0,
	    "an unknown code is a report");
	ok(rso_doc_type_of_code("") == NULL, "no code, no type");

	t = "Cover sheet: re REQ-7K3M9Q, records enclosed";
	ok(rso_doc_find_token(t, strlen(t), tok) == 0 &&
	    strcmp(tok, "REQ-7K3M9Q") == 0, "a token in text");
	t = "XREQ-7K3M9Q";
	ok(rso_doc_find_token(t, strlen(t), tok) == -1, "not inside a word");
	t = "REQ-7K3M9QX";
	ok(rso_doc_find_token(t, strlen(t), tok) == -1, "not a longer word");
	t = "REQ-7K3M9I";
	ok(rso_doc_find_token(t, strlen(t), tok) == -1, "I is not base32");
	t = "REQ-7K3M9Q";
	ok(rso_doc_find_token(t, 9, tok) == -1, "cut short by n");
	ok(rso_doc_find_token(t, 10, tok) == 0, "exactly n");

	ok(rso_doc_date("20260315", iso) == 0 && strcmp(iso, "2026-03-15") ==
	    0, "HL7 date");
	ok(rso_doc_date("202603151230-0500", iso) == 0 &&
	    strcmp(iso, "2026-03-15") == 0, "HL7 timestamp");
	ok(rso_doc_date("2026-03-15T12:30:00Z", iso) == 0, "FHIR dateTime");
	ok(rso_doc_date("2026-03-15", iso) == 0, "FHIR date");
	ok(rso_doc_date("20260230", iso) == -1, "no 30 February");
	ok(rso_doc_date("2026", iso) == -1, "a year is not a day");
	ok(rso_doc_date("2026-03", iso) == -1, "a month is not a day");
	ok(rso_doc_date("2026-03-15x", iso) == -1, "trailing junk");

	rso_doc_copy(buf, sizeof(buf), "abc\tdé\xc3\xa9", -1);
	ok(strcmp(buf, "abc d\xc3\xa9") == 0, "never half a character");

	memset(&p, 0, sizeof(p));
	rso_doc_set_name(&p, "Müller", "Anna Q");
	ok(strcmp(p.name, "Müller^Anna Q") == 0, "PN from parts");
	ok(rso_name_match(p.name, "Anna Q. Muller"), "and it matches");
	rso_doc_set_name(&p, "A^B", "C=D");
	ok(strcmp(p.name, "A B^C D") == 0, "separators inside parts");
	rso_doc_set_name(&p, NULL, NULL);
	ok(p.name[0] == '\0', "no name");
	rso_doc_add_id(&p, "2.16.840.1.113883.19.5", "MRN-1");
	rso_doc_add_id(&p, "x", "");
	ok(p.nid == 1 && strcmp(p.id[0].value, "MRN-1") == 0, "identifiers");
	for (int i = 0; i < 20; i++)
		rso_doc_add_id(&p, "s", "v");
	ok(p.nid == RSO_DOC_IDS, "bounded");
	return tap_done();
}
