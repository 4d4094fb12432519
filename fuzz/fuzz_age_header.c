/* fuzz_age_header: the age header parser, then a whole decryption. */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rso_age.h"
#include "rso_age_priv.h"
#include "rso_err.h"

/* The spec's example key: seeds encrypted to it reach the payload code. */
#define KEY "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"

struct mem {
	const uint8_t *p;
	size_t len, off;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	/* Small reads exercise the buffering edges too. */
	size_t k = m->len - m->off < len ? m->len - m->off : len;

	if (k > 4099)
		k = 4099;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rso_age_identities *ids;
	struct rso_age_header h;
	struct rso_age_reader *r;
	struct rso_error e;
	struct mem m = { data, size, 0 };
	const void *p;
	size_t used;

	if (ids == NULL) {
		ids = rso_age_identities_new();
		/*
		 * No passphrase: scrypt stanzas are checked but never derived,
		 * since a legal work factor (up to 2^22) costs seconds and GiBs.
		 */
		rso_age_identities_add(ids, KEY, &e);
	}
	if (rso_age_header_parse((const char *)data, size, &h, &used, &e) == 0) {
		if (used > size || h.nst == 0 || h.maclen > used)
			__builtin_trap();
		rso_age_header_free(&h);
	}
	if ((r = rso_age_reader_new(mem_read, &m, "fuzz", ids, &e)) != NULL) {
		while (rso_age_read_next(r, &p, &e) > 0)
			;
		rso_age_reader_free(r);
	}
	return 0;
}
