/* fuzz_dicom: the DICOM header reader on any bytes, from memory and
 * through a source that hands out a few bytes at a time (the path a
 * stream from an archive takes).  No crash, no hang, valid UTF-8 out. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_dicom.h"
#include "rso_name.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

struct dribble {
	const unsigned char *p;
	size_t n, off;
};

static ssize_t
dribble_read(void *ctx, void *buf, size_t n)
{
	struct dribble *d = ctx;
	size_t k = d->n - d->off;

	if (k > 7)
		k = 7;	/* short reads exercise every refill boundary */
	if (k > n)
		k = n;
	memcpy(buf, d->p + d->off, k);
	d->off += k;
	return (ssize_t)k;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct rso_dicom_info a, b;
	struct rso_error e;
	struct dribble d = { data, size, 0 };
	int ra, rb;

	char written[256];

	(void)rso_dicom_sniff(data, size);
	/* The bytes as a written name, against a PN and the other way. */
	snprintf(written, sizeof(written), "%.*s", (int)(size < 255 ? size :
	    255), (const char *)data);
	(void)rso_name_match("DOE^JANE^Q=TEST^X", written);
	(void)rso_name_match(written, "Jane Doe");
	ra = rso_dicom_read_mem(data, size, &a, &e);
	rb = rso_dicom_read(dribble_read, NULL, &d, &b, &e);
	/*
	 * The same bytes read the same way, whatever the read sizes -- except
	 * that a deflated stream inflated in bigger pieces may meet corrupt
	 * data past the stop point that smaller pieces never reach.
	 */
	if (ra == 0 && rb == 0 && memcmp(a.sop_instance_uid,
	    b.sop_instance_uid, sizeof(a.sop_instance_uid)) != 0)
		abort();
	if ((ra == 0) != (rb == 0) && (ra == 0 ? a.syntax : b.syntax) !=
	    RSO_DICOM_DEFLATED_LE)
		abort();
	return 0;
}
