/* hl7_thinned.h: the oracle for rso_hl7_stream's view of a message, for
 * test_hl7_read and fuzz_hl7 (which includes it from t/unit). */
/* SPDX-License-Identifier: ISC */
#ifndef HL7_THINNED_H
#define HL7_THINNED_H

#include <stddef.h>
#include <string.h>

/*
 * What the stream gives to read a message of n bytes at m by, runs cut
 * to cap (0: m itself), into out (n bytes at least): written here
 * another way from the stream's, over the message held whole.  Its
 * length.
 */
static inline size_t
hl7_thinned(const char *m, size_t n, size_t cap, char *out)
{
	unsigned char ends[256] = { 0 };
	size_t i, k, run = 0, len = 0;

	if (cap == 0) {
		memcpy(out, m, n);
		return n;
	}
	ends['\r'] = ends['\n'] = 1;
	if (n >= 4)
		ends[(unsigned char)m[3]] = 1;
	for (k = 4; k < n && k < 9 && m[k] != m[3] && m[k] != '\r' &&
	    m[k] != '\n'; k++)
		ends[(unsigned char)m[k]] = 1;
	for (i = 0; i < n; i++) {
		if (ends[(unsigned char)m[i]])
			run = 0;
		else if (++run > cap)
			continue;
		out[len++] = m[i];
	}
	return len;
}

#endif
