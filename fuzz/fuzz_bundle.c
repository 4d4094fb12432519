/* fuzz_bundle: the FHIR Bundle reader on any bytes, with a bound on the
 * attachments, every attachment's bytes read through, from memory and
 * from a file.  No crash, no hang, no leak, and the same from both. */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_bundle.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int
take(void *ctx, const struct rso_bundle_att *a, struct rso_error *e)
{
	unsigned *sum = ctx;
	size_t i;

	(void)e;
	/* Every byte handed over must be readable, every string ended. */
	for (i = 0; i < a->n; i++)
		*sum += a->data[i];
	*sum += (unsigned)strlen(a->media) + (unsigned)strlen(a->where) +
	    (unsigned)strlen(a->doc.patient.name) + (unsigned)strlen(a->doc.title);
	return 0;
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
	}
	close(fd);
	return 0;
}
