/* rso_age_priv: the age v1 building blocks, for lib/ and its tests only. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_AGE_PRIV_H
#define RSO_AGE_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rso_age.h"
#include "rso_err.h"

/* Sizes fixed by the age v1 format. */
#define RSO_AGE_FILEKEY		16
#define RSO_AGE_KEY		32	/* X25519 scalars and points, AEAD keys */
#define RSO_AGE_TAG		16	/* Poly1305 */
#define RSO_AGE_NONCE		16	/* payload nonce */
#define RSO_AGE_CHUNK		65536	/* plaintext per STREAM chunk */
#define RSO_AGE_CHUNK_ENC	(RSO_AGE_CHUNK + RSO_AGE_TAG)
#define RSO_AGE_COLUMNS		64	/* header body and armor line width */
#define RSO_AGE_HEADER_MAX	(1024 * 1024)	/* larger headers are refused */

/*
 * Base64, standard alphabet.  pad = 0 is age's header encoding (no '=');
 * pad = 1 is the armor's.  Encoding returns the characters written (no
 * NUL).  Decoding accepts only the canonical encoding (RFC 4648 3.5: unused
 * bits zero, '=' exactly where pad requires it) and returns the bytes
 * written, or -1 for anything else, or when dstsize is too small.
 */
size_t rso_b64_enclen(size_t n, int pad);
size_t rso_b64_encode(char *dst, const void *src, size_t n, int pad);
ssize_t rso_b64_decode(void *dst, size_t dstsize, const char *src, size_t n,
    int pad);

/*
 * Bech32 (BIP 173, no length limit, checksum over the lowercase form).
 * Encoding writes a NUL-terminated string in upper case when upper != 0;
 * returns 0, or -1 when dstsize is too small.  Decoding refuses mixed
 * case, bad characters, a bad checksum and non-zero padding bits; it
 * copies the human-readable part in the string's own case into hrp and
 * returns the number of data bytes, or -1.
 */
int rso_bech32_encode(char *dst, size_t dstsize, const char *hrp,
    const void *data, size_t len, int upper);
ssize_t rso_bech32_decode(char *hrp, size_t hrpsize, void *data,
    size_t datasize, const char *s);

/* HKDF-SHA-256 (RFC 5869) with a 32-byte output; returns 0 or -1. */
int rso_age_hkdf(unsigned char out[RSO_AGE_KEY], const void *ikm,
    size_t ikmlen, const void *salt, size_t saltlen, const char *info);

/*
 * X25519 (RFC 7748): out = scalar * point, or scalar * base point when
 * point is NULL.  Returns 0, or -1 on failure or an all-zero result (a
 * low-order point), which age requires to be refused.
 */
int rso_age_x25519(unsigned char out[RSO_AGE_KEY],
    const unsigned char scalar[RSO_AGE_KEY], const unsigned char *point);

/* One recipient stanza: arguments (args[0] is the type) and body. */
struct rso_age_stanza {
	char **args;
	size_t nargs;
	unsigned char *body;
	size_t bodylen;
};

/* A parsed v1 header. */
struct rso_age_header {
	struct rso_age_stanza *st;
	size_t nst;
	size_t maclen;		/* bytes of the header the MAC covers */
	unsigned char mac[32];
	char *text;		/* private copy the args point into */
};

/*
 * Parse the header at the start of buf (len bytes) by every rule of the
 * v1 grammar: version line, one or more stanzas (arguments of VCHARs,
 * single spaces, a body of canonical unpadded base64 in 64-column lines
 * ending with a shorter one), and the "--- MAC" line.  On success fills h,
 * sets *consumed to the header's length and returns 0; otherwise returns
 * EX_DATAERR with a "header: WHAT" message.  Semantics (known stanza
 * types, the MAC) are checked by the reader, not here.
 */
int rso_age_header_parse(const char *buf, size_t len,
    struct rso_age_header *h, size_t *consumed, struct rso_error *e);
void rso_age_header_free(struct rso_age_header *h);

/*
 * The byte source under a reader: it detects ASCII armor (a first
 * non-blank line starting "-----BEGIN") and decodes it strictly (RFC 7468
 * strict PEM, 64 columns, canonical padded base64, LF or CRLF, blank lines
 * only before and after, under 1 KiB of them), or passes binary through.
 * Read returns bytes, 0 at the end, or -1 with e filled (EX_DATAERR for bad
 * armor, EX_IOERR for a failed read).
 */
struct rso_age_src;
struct rso_age_src *rso_age_src_new(rso_age_read_fn *fn, void *ctx);
ssize_t rso_age_src_read(struct rso_age_src *s, void *buf, size_t len,
    struct rso_error *e);
int rso_age_src_armored(const struct rso_age_src *s);
void rso_age_src_free(struct rso_age_src *s);

/* Key sets (opaque to callers of rso_age.h). */
struct rso_age_recipients {
	unsigned char (*pk)[RSO_AGE_KEY];	/* X25519 public keys */
	size_t n, cap;
	char *pass;		/* scrypt passphrase, secure memory */
	size_t passlen;
	int logn;
};

struct rso_age_identities {
	unsigned char **sk;	/* X25519 secret keys, secure memory */
	unsigned char (*pk)[RSO_AGE_KEY];
	size_t n, cap;
	char *pass;		/* secure memory */
	size_t passlen;
	rso_age_pass_fn *prompt;
	void *promptctx;
};

#endif
