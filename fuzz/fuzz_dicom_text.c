/* fuzz_dicom_text: DICOM text in any (0008,0005) value, decoded to UTF-8. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rso_dicom.h"
#include "rso_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input: the character set value, a newline, then the raw value. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 128 ? size : 128);
	char cs[129], out[256];
	size_t k, n, i;
	uint32_t cp;

	k = nl ? (size_t)(nl - data) : 0;
	memcpy(cs, data, k);
	cs[k] = '\0';
	if (memchr(cs, '\0', k) != NULL)
		return 0;
	if (nl)
		k++;
	rso_dicom_text_decode(cs, data + k, size - k, size & 1, out,
	    sizeof(out));
	/* Whatever came in, what comes out is valid UTF-8. */
	for (n = strlen(out), i = 0; i < n; i += k)
		if ((k = rso_utf8_decode((const unsigned char *)out + i, n - i,
		    &cp)) == 0)
			abort();
	return 0;
}
