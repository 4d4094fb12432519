/* rso_hash: SHA-256 through libgcrypt, and libgcrypt's one-time set-up. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "rso_age.h"
#include "rso_err.h"
#include "rso_hash.h"

/*
 * libgcrypt has one owner of its set-up, rso_age_init (secure memory that
 * grows, warnings off); hashing needs the same initialised library.
 */
void
rso_gcrypt_init(void)
{
	struct rso_error e;

	if (rso_age_init(&e) != 0)
		rso_diex(EX_SOFTWARE, "%s", e.msg);
}

char *
rso_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

void
rso_sha256(const void *buf, size_t len, unsigned char *md)
{
	rso_gcrypt_init();
	gcry_md_hash_buffer(GCRY_MD_SHA256, md, buf, len);
}

char *
rso_sha256_hex(const void *buf, size_t len, char *hex)
{
	unsigned char md[RSO_SHA256_LEN];

	rso_sha256(buf, len, md);
	return rso_hex(md, sizeof(md), hex);
}

char *
rso_sha256_hex_pair(const void *a, size_t alen, const void *b, size_t blen,
    char *hex)
{
	/*
	 * One call over both: opening and closing a libgcrypt context
	 * (rso_sha256_new) cost as much as hashing an event.
	 */
	gcry_buffer_t iov[2] = {
		{ alen, 0, alen, (void *)a },
		{ blen, 0, blen, (void *)b },
	};
	unsigned char md[RSO_SHA256_LEN];

	rso_gcrypt_init();
	if (gcry_md_hash_buffers(GCRY_MD_SHA256, 0, md, iov, 2) != 0)
		rso_diex(EX_SOFTWARE, "libgcrypt: cannot hash with SHA-256");
	return rso_hex(md, sizeof(md), hex);
}

void
rso_sha1(const void *buf, size_t len, unsigned char *md)
{
	rso_gcrypt_init();
	gcry_md_hash_buffer(GCRY_MD_SHA1, md, buf, len);
}

struct rso_sha256 {
	gcry_md_hd_t md;
};

struct rso_sha256 *
rso_sha256_new(void)
{
	struct rso_sha256 *h = rso_xmalloc(sizeof(*h));

	rso_gcrypt_init();
	if (gcry_md_open(&h->md, GCRY_MD_SHA256, 0) != 0)
		rso_diex(EX_SOFTWARE, "libgcrypt: cannot open SHA-256");
	return h;
}

void
rso_sha256_update(struct rso_sha256 *h, const void *buf, size_t len)
{
	gcry_md_write(h->md, buf, len);
}

char *
rso_sha256_final_hex(struct rso_sha256 *h, char *hex)
{
	rso_hex(gcry_md_read(h->md, GCRY_MD_SHA256), RSO_SHA256_LEN, hex);
	gcry_md_close(h->md);
	free(h);
	return hex;
}

void
rso_uuid_oid(const char *what, char *out, size_t n)
{
	unsigned char md[RSO_SHA256_LEN];
	unsigned __int128 v = 0;
	char digits[48];
	int i = (int)sizeof(digits) - 1;
	size_t k;

	rso_sha256(what, strlen(what), md);
	for (k = 0; k < 16; k++)
		v = v << 8 | md[k];
	digits[i] = '\0';
	do {
		digits[--i] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0);
	snprintf(out, n, "2.25.%s", &digits[i]);
}
