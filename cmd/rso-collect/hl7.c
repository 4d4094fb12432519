/* rso-collect: inbox -- HL7 v2 files, each message a record of its
 * patient's case. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs.h"
#include "rso_hl7_read.h"

#define HL7_MEDIA "application/hl7-v2"

/* "message 3"; "member 2: message 3" for a member of an entry. */
static void
message_where(const struct filing_item *it, unsigned k, char where[64])
{
	if (strcmp(it->where, "entry") == 0)
		snprintf(where, 64, "message %u", k);
	else
		snprintf(where, 64, "%.40s: message %u", it->where, k);
}

/*
 * Every message read before any is filed: one bad message rejects the
 * file whole, so that what staff fix and drop again is the file they
 * had, and nothing of it is filed twice or half.
 */
static int
check_all(const struct filing_item *it, const char *buf,
    const struct rso_hl7_span *v, size_t n, struct rso_error *e)
{
	struct rso_doc_info d;
	char why[128];
	size_t i;

	for (i = 0; i < n; i++)
		if (rso_hl7_read(buf + v[i].off, v[i].len, &d, why,
		    sizeof(why)) != 0)
			return rso_error_set(e, EX_DATAERR, "%s: message %zu: %s",
			    it->where, i + 1, why);
	return 0;
}

/* Split, check every message, then add each as a record. */
static int
take_messages(struct inbox *ib, struct arrival *a, struct filing_item *it,
    const char *buf, size_t n, struct rso_error *e)
{
	struct rso_hl7_span *v;
	struct rso_doc_info *d;
	char why[128], where[64];
	size_t count, i;
	int rc;

	if (rso_hl7_split(buf, n, &v, &count, why, sizeof(why)) != 0)
		return rso_error_set(e, EX_DATAERR, "%s: %s", it->where, why);
	if ((long long)count > ib->lim.members) {
		free(v);
		return rso_error_set(e, EX_DATAERR, "%s: more than %lld messages "
		    "(inbox.max_members)", it->where, ib->lim.members);
	}
	if ((rc = check_all(it, buf, v, count, e)) != 0) {
		free(v);
		return rc;
	}
	/* Read again as each is added: only a batch's worth is held. */
	for (i = 0; rc == 0 && i < count; i++) {
		d = docs_new("hl7v2");
		rso_hl7_read(buf + v[i].off, v[i].len, d, why, sizeof(why));
		message_where(it, (unsigned)(i + 1), where);
		rc = docs_add(ib, a, it, buf + v[i].off, v[i].len, HL7_MEDIA, d,
		    where, e);
	}
	free(v);
	return rc;
}

int
hl7_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    const char *buf, size_t n, struct rso_error *e)
{
	int rc;

	if (!rso_hl7_sniff(buf, n))
		return 1;
	rc = take_messages(ib, a, it, buf, n, e);
	/* The file is its messages, each filed (or the whole rejected):
	 * never itself a record. */
	filing_release(it);
	return rc;
}
