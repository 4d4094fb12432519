/* Unit tests for rso_doc: document codes, tokens in text, dates, names. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_doc.h"
#include "rso_name.h"
#include "tap.h"

/*
 * The token found a window at a time is the one found in the whole,
 * wherever it stands across a window's edge and whatever stands around
 * it there: written at each offset near each edge (and near the file's
 * end), with a blank, a letter or a hyphen before and after, in a file
 * of three windows and a bit.
 */
static void
test_token_fd(void)
{
	static const char around[] = " x-";
	size_t size = 3 * RSO_DOC_WINDOW + 7, edge, at, k;
	char *text = malloc(size), tok[RSO_TOKEN_LEN], want[RSO_TOKEN_LEN];
	char path[] = "/tmp/test_doc.XXXXXX";
	int fd = mkstemp(path), same = 1, cases = 0, found = 0, w, f;

	unlink(path);
	for (edge = RSO_DOC_WINDOW; edge <= size; edge += RSO_DOC_WINDOW) {
		if (edge > 3 * RSO_DOC_WINDOW)
			edge = size;
		for (at = edge - 12; at <= edge + 1 && at + 10 <= size; at++)
			for (k = 0; k < 9; k++) {
				memset(text, '.', size);
				memcpy(text + at, "REQ-7K3M9Q", 10);
				if (at > 0)
					text[at - 1] = around[k / 3];
				if (at + 10 < size)
					text[at + 10] = around[k % 3];
				if (pwrite(fd, text, size, 0) != (ssize_t)size)
					abort();
				w = rso_doc_find_token(text, size, want);
				f = rso_doc_find_token_fd(fd, (off_t)size, tok);
				same &= w == f && (w != 0 || strcmp(tok, want) == 0);
				found += w == 0;
				cases++;
			}
	}
	ok(same, "a token a window at a time is the whole's (%d placings, "
	    "%d standing alone)", cases, found);
	ok(found > 0 && found < cases, "...some found, some not");
	memset(text, '.', size);
	if (pwrite(fd, text, size, 0) != (ssize_t)size)
		abort();
	ok(rso_doc_find_token_fd(fd, (off_t)size + 5, tok) == -2,
	    "a file shorter than it was: -2");
	close(fd);
	ok(rso_doc_find_token_fd(fd, 10, tok) == -2, "unreadable: -2");
	free(text);
}

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
	test_token_fd();

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
