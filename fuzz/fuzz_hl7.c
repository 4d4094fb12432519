/* fuzz_hl7: an HL7 v2 file split into messages and each message read.
 * No crash, no hang, no leak; every span inside the input and starting
 * at an MSH; every value read out valid UTF-8 without control characters
 * (C0 or C1); and the file split as it is read, a few bytes at a time,
 * into the same messages or the same fault as held whole, each read by
 * its bytes with long runs cut as they should be. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rso_hl7_read.h"
#include "../t/unit/hl7_thinned.h"
#include "rso_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
clean(const char *s, size_t size)
{
	size_t n = strnlen(s, size), i, k;
	uint32_t cp;

	if (n == size)
		abort();		/* not terminated */
	for (i = 0; i < n; i += k) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			abort();
		if ((unsigned char)s[i] == 0xC2 && i + 1 < n &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9F)
			abort();	/* a C1 control */
		k = rso_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (k == 0)
			abort();
	}
}

static void
check(const struct rso_doc_info *d)
{
	int i;

	clean(d->patient.name, sizeof(d->patient.name));
	clean(d->patient.birth_date, sizeof(d->patient.birth_date));
	clean(d->patient.sex, sizeof(d->patient.sex));
	for (i = 0; i < d->patient.nid; i++) {
		clean(d->patient.id[i].system, sizeof(d->patient.id[i].system));
		clean(d->patient.id[i].value, sizeof(d->patient.id[i].value));
	}
	clean(d->type, sizeof(d->type));
	clean(d->code, sizeof(d->code));
	clean(d->title, sizeof(d->title));
	clean(d->date, sizeof(d->date));
	clean(d->source, sizeof(d->source));
	clean(d->author, sizeof(d->author));
	clean(d->token, sizeof(d->token));
}

/*
 * The stream from a file, a window of 1 to 13 bytes at a time, runs cut
 * to 0 (none) to 6 bytes: the messages of v (n of them; split's fault
 * why when v is NULL, any messages before it), their bytes thinned as
 * hl7_thinned() has them.
 */
static void
same_stream(const char *buf, size_t size, const struct rso_hl7_span *v,
    size_t n, const char *why)
{
	struct rso_hl7_stream *s;
	struct rso_hl7_span span;
	struct rso_doc_info d;
	const char *msg;
	char swhy[128], *want = malloc(size + 1);
	size_t k = 0, mlen, cap = size % 7;
	int rc, fd = memfd_create("fuzz_hl7", 0);

	if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
		abort();
	s = rso_hl7_stream_fd(fd, size, 1 + size % 13);
	rso_hl7_stream_thin(s, cap);
	if (rso_hl7_stream_sniff(s) != rso_hl7_sniff(buf, size))
		abort();
	while ((rc = rso_hl7_next(s, &msg, &mlen, &span, swhy,
	    sizeof(swhy))) == 1) {
		if (span.off + span.len > size || mlen != hl7_thinned(buf +
		    span.off, span.len, cap, want) || memcmp(msg, want, mlen))
			abort();
		if (rso_hl7_read(msg, mlen, &d, swhy, sizeof(swhy)) == 0)
			check(&d);
		if (v != NULL && (k >= n || span.off != v[k].off ||
		    span.len != v[k].len))
			abort();
		k++;
	}
	if (v != NULL ? rc != 0 || k != n : rc != -1 || strcmp(why, swhy) != 0)
		abort();
	rso_hl7_stream_free(s);
	free(want);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct rso_hl7_span *v;
	struct rso_doc_info d;
	char why[128];
	size_t n, i, end = 0;

	if (rso_hl7_read(buf, size, &d, why, sizeof(why)) == 0)
		check(&d);
	if (rso_hl7_split(buf, size, &v, &n, why, sizeof(why)) != 0) {
		if (v != NULL || n != 0 || strnlen(why, sizeof(why)) == 0)
			abort();
		same_stream(buf, size, NULL, 0, why);
		return 0;
	}
	same_stream(buf, size, v, n, why);
	if (!rso_hl7_sniff(buf, size) || n == 0)
		abort();	/* whatever splits must be what the inbox sniffs */
	for (i = 0; i < n; i++) {
		if (v[i].off < end || v[i].len < 4 || v[i].off + v[i].len > size ||
		    memcmp(buf + v[i].off, "MSH", 3) != 0)
			abort();
		end = v[i].off + v[i].len;
		if (rso_hl7_read(buf + v[i].off, v[i].len, &d, why,
		    sizeof(why)) == 0)
			check(&d);
	}
	free(v);
	return 0;
}
