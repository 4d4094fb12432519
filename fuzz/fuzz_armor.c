/* fuzz_armor: the armor detector and decoder. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rso_age_priv.h"
#include "rso_err.h"

struct mem {
	const uint8_t *p;
	size_t len, off;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t k = m->len - m->off < len ? m->len - m->off : len;

	if (k > 1031)
		k = 1031;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rso_age_src *s;
	struct mem m = { data, size, 0 };
	struct rso_error e;
	unsigned char out[777];
	ssize_t n;
	size_t total = 0;

	s = rso_age_src_new(mem_read, &m);
	while ((n = rso_age_src_read(s, out, sizeof(out), &e)) > 0)
		total += (size_t)n;
	/* Decoded armor is never larger than its input. */
	if (n == 0 && rso_age_src_armored(s) && total > size)
		__builtin_trap();
	rso_age_src_free(s);
	return 0;
}
