/* fuzz_bundle: the FHIR Bundle reader on any bytes, with a bound on the
 * attachments, every attachment's bytes read through, from memory, from
 * a file, and from a file with its index spilled to a spool past 1 to 8
 * keys.  No crash, no hang, no leak, and the same from all three. */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_bundle.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int
sum_put(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	const unsigned char *b = p;
	unsigned *sum = ctx;
	size_t i;

	(void)e;
	for (i = 0; i < n; i++)
		*sum += b[i];
	return 0;
}

static int
take(void *ctx, const struct rso_bundle_att *a, struct rso_error *e)
{
	unsigned *sum = ctx;

	/* Every byte handed over must be readable, every string ended. */
	*sum += (unsigned)strlen(a->media) + (unsigned)strlen(a->where) +
	    (unsigned)strlen(a->doc.patient.name) +
	    (unsigned)strlen(a->doc.title) + (unsigned)a->n;
	return rso_bundle_att_read(a, sum_put, sum, e);
}

static int
spool(void *ctx)
{
	(void)ctx;
	return memfd_create("fuzz_bundle_spill", 0);
}

static void
note(void *ctx, const char *what)
{
	*(unsigned *)ctx += (unsigned)strlen(what);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	unsigned sum = 0, fsum = 0;
	struct rso_bundle_reader r = { 64, take, note, &sum };
	struct rso_doc_info b;
	struct rso_error e, fe;
	int rc, frc, fd;

	rc = rso_bundle_read((const char *)data, size, &r, &b, &e);
	if ((fd = memfd_create("fuzz_bundle", 0)) < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		r.ctx = &fsum;
		frc = rso_bundle_read_fd(fd, size, &r, &b, &fe);
		if (frc != rc || fsum != sum || (rc > 1 &&
		    strcmp(e.msg, fe.msg) != 0))
			abort();
		fsum = 0;
		r.spool = spool;
		rso_bundle_thin_spill(1 + (size ? data[0] % 8 : 0));
		frc = rso_bundle_read_fd(fd, size, &r, &b, &fe);
		rso_bundle_thin_spill(0);
		if (frc != rc || fsum != sum || (rc > 1 &&
		    strcmp(e.msg, fe.msg) != 0))
			abort();
	}
	close(fd);
	return 0;
}
