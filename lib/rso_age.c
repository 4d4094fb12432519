/* rso_age: age v1 encryption and decryption streams (header, STREAM, armor). */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "rso_age.h"
#include "rso_age_priv.h"
#include "rso_err.h"
#include "rso_keep.h"
#include "rso_text.h"

#define X25519_INFO	"age-encryption.org/v1/X25519"
#define SCRYPT_SALT	"age-encryption.org/v1/scrypt"
#define SCRYPT_SALTLEN	16

/*
 * Ciphertext goes out in batches of W_SLOTS chunks and comes in through a
 * buffer of R_SLOTS chunks: big enough for few system calls, small enough
 * to keep the whole process well under 16 MiB.
 */
#define W_SLOTS		16
#define R_SLOTS		16
#define ARMOR_BUF	(65 * 1024)	/* whole 65-byte lines */

/* A writer's batch, kept from one writer to the next (rso_keep.h says
 * why). */
static struct rso_keep obuf_kept = RSO_KEEP_INIT(W_SLOTS * RSO_AGE_CHUNK_ENC,
    64, 2);

/* One ChaCha20-Poly1305 seal or open with the STREAM nonce. */
static void
stream_nonce(unsigned char iv[12], uint64_t counter, int last)
{
	int i;

	/* 11-byte big-endian counter; we never exceed 64 bits of it. */
	memset(iv, 0, 12);
	for (i = 0; i < 8; i++)
		iv[10 - i] = (unsigned char)(counter >> (8 * i));
	iv[11] = last ? 1 : 0;
}

/* Seal len bytes at p in place with a fresh nonce; the tag goes after. */
static int
aead_seal(gcry_cipher_hd_t h, const unsigned char iv[12], unsigned char *p,
    size_t len)
{
	if (gcry_cipher_reset(h) != 0 || gcry_cipher_setiv(h, iv, 12) != 0 ||
	    gcry_cipher_encrypt(h, p, len, NULL, 0) != 0 ||
	    gcry_cipher_gettag(h, p + len, RSO_AGE_TAG) != 0)
		return -1;
	return 0;
}

/* Open len bytes (tag included) in place; 0, or -1 if it does not verify. */
static int
aead_open(gcry_cipher_hd_t h, const unsigned char iv[12], unsigned char *p,
    size_t len)
{
	if (len < RSO_AGE_TAG || gcry_cipher_reset(h) != 0 ||
	    gcry_cipher_setiv(h, iv, 12) != 0 ||
	    gcry_cipher_decrypt(h, p, len - RSO_AGE_TAG, NULL, 0) != 0 ||
	    gcry_cipher_checktag(h, p + len - RSO_AGE_TAG, RSO_AGE_TAG) != 0)
		return -1;
	return 0;
}

static int
aead_new(gcry_cipher_hd_t *h, const unsigned char key[RSO_AGE_KEY])
{
	if (gcry_cipher_open(h, GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_POLY1305,
	    GCRY_CIPHER_SECURE) != 0)
		return -1;
	if (gcry_cipher_setkey(*h, key, RSO_AGE_KEY) != 0) {
		gcry_cipher_close(*h);
		return -1;
	}
	return 0;
}

/* Wrap or unwrap a file key: ChaCha20-Poly1305 with a zero nonce. */
static int
wrap_filekey(const unsigned char *key, const unsigned char *fk,
    unsigned char body[RSO_AGE_FILEKEY + RSO_AGE_TAG])
{
	static const unsigned char zero[12];
	gcry_cipher_hd_t h;
	int rc;

	if (aead_new(&h, key) != 0)
		return -1;
	memcpy(body, fk, RSO_AGE_FILEKEY);
	rc = aead_seal(h, zero, body, RSO_AGE_FILEKEY);
	gcry_cipher_close(h);
	return rc;
}

static int
unwrap_filekey(const unsigned char *key, const unsigned char *body,
    unsigned char *fk)
{
	static const unsigned char zero[12];
	unsigned char *tmp = rso_age_xsecure(RSO_AGE_FILEKEY + RSO_AGE_TAG);
	gcry_cipher_hd_t h;
	int rc = -1;

	if (aead_new(&h, key) == 0) {
		memcpy(tmp, body, RSO_AGE_FILEKEY + RSO_AGE_TAG);
		rc = aead_open(h, zero, tmp, RSO_AGE_FILEKEY + RSO_AGE_TAG);
		if (rc == 0)
			memcpy(fk, tmp, RSO_AGE_FILEKEY);
		gcry_cipher_close(h);
	}
	rso_age_secfree(tmp, RSO_AGE_FILEKEY + RSO_AGE_TAG);
	return rc;
}

/* The X25519 wrap key for share and recipient, from a shared secret. */
static int
x25519_wrapkey(unsigned char *key, const unsigned char *shared,
    const unsigned char *share, const unsigned char *pk)
{
	unsigned char salt[2 * RSO_AGE_KEY];

	memcpy(salt, share, RSO_AGE_KEY);
	memcpy(salt + RSO_AGE_KEY, pk, RSO_AGE_KEY);
	return rso_age_hkdf(key, shared, RSO_AGE_KEY, salt, sizeof(salt),
	    X25519_INFO);
}

static int
scrypt_wrapkey(unsigned char *key, const char *pass, size_t passlen,
    const unsigned char *salt, int logn)
{
	unsigned char s[sizeof(SCRYPT_SALT) - 1 + SCRYPT_SALTLEN];

	memcpy(s, SCRYPT_SALT, sizeof(SCRYPT_SALT) - 1);
	memcpy(s + sizeof(SCRYPT_SALT) - 1, salt, SCRYPT_SALTLEN);
	/* libgcrypt: subalgo is N, iterations is p; r is fixed at 8. */
	if (gcry_kdf_derive(pass, passlen, GCRY_KDF_SCRYPT, 1 << logn, s,
	    sizeof(s), 1, RSO_AGE_KEY, key) != 0)
		return -1;
	return 0;
}

static void
text_b64(struct rso_text *t, const void *s, size_t n)
{
	char buf[64];
	const unsigned char *p = s;
	size_t k;

	/* In multiples of 3 bytes, so the pieces join into one encoding. */
	while (n > 0) {
		k = n > 45 ? 45 : n;
		rso_text_add(t, buf, rso_b64_encode(buf, p, k, 0));
		p += k;
		n -= k;
	}
}

/* A stanza: "-> args\n" and the body wrapped at 64 columns. */
static void
text_stanza(struct rso_text *t, const char *args, const unsigned char *body,
    size_t bodylen)
{
	struct rso_text b = { 0 };
	size_t off;

	rso_text_add(t, "-> ", 3);
	rso_text_add(t, args, strlen(args));
	rso_text_add(t, "\n", 1);
	text_b64(&b, body, bodylen);
	/* Every line full but the last, which is shorter, maybe empty. */
	for (off = 0; b.len - off >= RSO_AGE_COLUMNS; off += RSO_AGE_COLUMNS) {
		rso_text_add(t, b.p + off, RSO_AGE_COLUMNS);
		rso_text_add(t, "\n", 1);
	}
	rso_text_add(t, b.p + off, b.len - off);
	rso_text_add(t, "\n", 1);
	free(b.p);
}

static int
stanza_x25519(struct rso_text *t, const unsigned char *pk, const unsigned char *fk)
{
	unsigned char *eph = rso_age_xsecure(RSO_AGE_KEY);
	unsigned char *shared = rso_age_xsecure(RSO_AGE_KEY);
	unsigned char *key = rso_age_xsecure(RSO_AGE_KEY);
	unsigned char share[RSO_AGE_KEY], body[RSO_AGE_FILEKEY + RSO_AGE_TAG];
	struct rso_text args = { 0 };
	int rc = -1;

	gcry_randomize(eph, RSO_AGE_KEY, GCRY_STRONG_RANDOM);
	if (rso_age_x25519(share, eph, NULL) != 0 ||
	    rso_age_x25519(shared, eph, pk) != 0 ||
	    x25519_wrapkey(key, shared, share, pk) != 0 ||
	    wrap_filekey(key, fk, body) != 0)
		goto out;
	rso_text_add(&args, "X25519 ", 7);
	text_b64(&args, share, sizeof(share));
	text_stanza(t, args.p, body, sizeof(body));
	rc = 0;
out:
	free(args.p);
	rso_age_secfree(eph, RSO_AGE_KEY);
	rso_age_secfree(shared, RSO_AGE_KEY);
	rso_age_secfree(key, RSO_AGE_KEY);
	return rc;
}

static int
stanza_scrypt(struct rso_text *t, const struct rso_age_recipients *r,
    const unsigned char *fk)
{
	unsigned char *key = rso_age_xsecure(RSO_AGE_KEY);
	unsigned char salt[SCRYPT_SALTLEN], body[RSO_AGE_FILEKEY + RSO_AGE_TAG];
	struct rso_text args = { 0 };
	char n[16];
	int rc = -1;

	gcry_randomize(salt, sizeof(salt), GCRY_STRONG_RANDOM);
	if (scrypt_wrapkey(key, r->pass, r->passlen, salt, r->logn) != 0 ||
	    wrap_filekey(key, fk, body) != 0)
		goto out;
	rso_text_add(&args, "scrypt ", 7);
	text_b64(&args, salt, sizeof(salt));
	snprintf(n, sizeof(n), " %d", r->logn);
	rso_text_add(&args, n, strlen(n));
	text_stanza(t, args.p, body, sizeof(body));
	rc = 0;
out:
	free(args.p);
	rso_age_secfree(key, RSO_AGE_KEY);
	return rc;
}

/* The header MAC over text (which ends with "---"). */
static int
header_mac(unsigned char mac[32], const unsigned char *fk, const char *text,
    size_t len)
{
	unsigned char *key = rso_age_xsecure(RSO_AGE_KEY);
	gcry_md_hd_t h;
	int rc = -1;

	if (rso_age_hkdf(key, fk, RSO_AGE_FILEKEY, NULL, 0, "header") != 0 ||
	    gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC |
	    GCRY_MD_FLAG_SECURE) != 0)
		goto out;
	if (gcry_md_setkey(h, key, RSO_AGE_KEY) == 0) {
		gcry_md_write(h, text, len);
		memcpy(mac, gcry_md_read(h, 0), 32);
		rc = 0;
	}
	gcry_md_close(h);
out:
	rso_age_secfree(key, RSO_AGE_KEY);
	return rc;
}

/* Encryption. */

struct rso_age_writer {
	rso_age_write_fn *fn;
	void *ctx;
	int fd;
	int armor;
	gcry_cipher_hd_t h;
	uint64_t counter;
	unsigned char *obuf;	/* W_SLOTS chunk slots */
	size_t slot;		/* the slot being filled */
	size_t fill;		/* plaintext bytes in it */
	unsigned char carry[48];	/* armor: bytes short of a line */
	size_t ncarry;
	char *abuf;		/* armor: text waiting to go out */
	size_t alen;
	int failed;
};

static int
fd_write(void *ctx, const void *buf, size_t len)
{
	return rso_write_all(*(int *)ctx, buf, len);
}

static int
out_raw(struct rso_age_writer *w, const void *p, size_t n, struct rso_error *e)
{
	if (n == 0 || w->fn(w->ctx, p, n) == 0)
		return 0;
	w->failed = 1;
	return rso_error_set(e, EX_IOERR, "write: %s", strerror(errno));
}

static int
armor_flush(struct rso_age_writer *w, struct rso_error *e)
{
	int rc = out_raw(w, w->abuf, w->alen, e);

	w->alen = 0;
	return rc;
}

/* One armor line of n <= 48 bytes. */
static int
armor_line(struct rso_age_writer *w, const unsigned char *p, size_t n,
    struct rso_error *e)
{
	if (w->alen + 66 > ARMOR_BUF && armor_flush(w, e) != 0)
		return -1;
	w->alen += rso_b64_encode(w->abuf + w->alen, p, n, 1);
	w->abuf[w->alen++] = '\n';
	return 0;
}

/* Ciphertext out, through the armor when asked for. */
static int
emit(struct rso_age_writer *w, const unsigned char *p, size_t n,
    struct rso_error *e)
{
	size_t k;

	if (!w->armor)
		return out_raw(w, p, n, e);
	if (w->ncarry > 0) {
		k = 48 - w->ncarry < n ? 48 - w->ncarry : n;
		memcpy(w->carry + w->ncarry, p, k);
		w->ncarry += k;
		p += k;
		n -= k;
		if (w->ncarry < 48)
			return 0;
		if (armor_line(w, w->carry, 48, e) != 0)
			return -1;
		w->ncarry = 0;
	}
	for (; n >= 48; p += 48, n -= 48)
		if (armor_line(w, p, 48, e) != 0)
			return -1;
	memcpy(w->carry, p, n);
	w->ncarry = n;
	return 0;
}

static int
build_header(struct rso_text *t, const struct rso_age_recipients *r,
    const unsigned char *fk, struct rso_error *e)
{
	unsigned char mac[32];
	char m[48];
	size_t i;

	rso_text_add(t, "age-encryption.org/v1\n", 22);
	for (i = 0; i < r->n; i++)
		if (stanza_x25519(t, r->pk[i], fk) != 0)
			return rso_error_set(e, EX_DATAERR,
			    "recipient %zu: not a valid X25519 key", i + 1);
	if (r->pass != NULL && stanza_scrypt(t, r, fk) != 0)
		return rso_error_set(e, EX_SOFTWARE, "scrypt: failed");
	rso_text_add(t, "---", 3);
	if (header_mac(mac, fk, t->p, t->len) != 0)
		return rso_error_set(e, EX_SOFTWARE, "header MAC: failed");
	m[0] = ' ';
	rso_text_add(t, m, 1 + rso_b64_encode(m + 1, mac, sizeof(mac), 0));
	rso_text_add(t, "\n", 1);
	return 0;
}

struct rso_age_writer *
rso_age_writer_new(rso_age_write_fn *fn, void *ctx,
    const struct rso_age_recipients *r, int flags, struct rso_error *e)
{
	struct rso_age_writer *w;
	unsigned char *fk, *pkey, nonce[RSO_AGE_NONCE];
	struct rso_text t = { 0 };
	int rc;

	if (rso_age_init(e) != 0)
		return NULL;
	if (r == NULL || rso_age_recipients_count(r) == 0) {
		rso_error_set(e, EX_USAGE, "no recipients");
		return NULL;
	}
	w = rso_xcalloc(1, sizeof(*w));
	w->fn = fn;
	w->ctx = ctx;
	w->armor = (flags & RSO_AGE_ARMOR) != 0;
	if ((w->obuf = rso_keep_take(&obuf_kept)) == NULL)
		rso_die(EX_OSERR, "malloc");
	if (w->armor)
		w->abuf = rso_xmalloc(ARMOR_BUF);
	fk = rso_age_xsecure(RSO_AGE_FILEKEY);
	pkey = rso_age_xsecure(RSO_AGE_KEY);
	gcry_randomize(fk, RSO_AGE_FILEKEY, GCRY_STRONG_RANDOM);
	gcry_randomize(nonce, sizeof(nonce), GCRY_STRONG_RANDOM);
	rc = build_header(&t, r, fk, e);
	if (rc == 0 && (rso_age_hkdf(pkey, fk, RSO_AGE_FILEKEY, nonce,
	    sizeof(nonce), "payload") != 0 || aead_new(&w->h, pkey) != 0))
		rc = rso_error_set(e, EX_SOFTWARE, "payload key: failed");
	rso_age_secfree(fk, RSO_AGE_FILEKEY);
	rso_age_secfree(pkey, RSO_AGE_KEY);
	if (rc == 0 && w->armor && out_raw(w,
	    "-----BEGIN AGE ENCRYPTED FILE-----\n", 35, e) != 0)
		rc = EX_IOERR;
	if (rc == 0 && (emit(w, (unsigned char *)t.p, t.len, e) != 0 ||
	    emit(w, nonce, sizeof(nonce), e) != 0))
		rc = EX_IOERR;
	free(t.p);
	if (rc != 0) {
		if (w->h != NULL)
			gcry_cipher_close(w->h);
		w->h = NULL;
		rso_age_writer_free(w);
		return NULL;
	}
	return w;
}

struct rso_age_writer *
rso_age_writer_fd(int fd, const struct rso_age_recipients *r, int flags,
    struct rso_error *e)
{
	struct rso_age_writer *w;
	int *fdp = rso_xmalloc(sizeof(int));

	*fdp = fd;
	w = rso_age_writer_new(fd_write, fdp, r, flags, e);
	if (w == NULL)
		free(fdp);
	else
		w->fd = 1;	/* owns ctx */
	return w;
}

/*
 * Seal the current slot, its plaintext taken from src (NULL: already in
 * the slot); flush the batch when every slot is used.
 */
static int
seal_slot(struct rso_age_writer *w, const unsigned char *src, int last,
    struct rso_error *e)
{
	unsigned char iv[12], *p = w->obuf + w->slot * RSO_AGE_CHUNK_ENC;
	int bad;

	stream_nonce(iv, w->counter, last);
	if (src == NULL)
		bad = aead_seal(w->h, iv, p, w->fill);
	else
		bad = gcry_cipher_reset(w->h) != 0 ||
		    gcry_cipher_setiv(w->h, iv, 12) != 0 ||
		    gcry_cipher_encrypt(w->h, p, w->fill, src, w->fill) != 0 ||
		    gcry_cipher_gettag(w->h, p + w->fill, RSO_AGE_TAG) != 0;
	if (bad) {
		w->failed = 1;
		return rso_error_set(e, EX_SOFTWARE, "chacha20-poly1305: failed");
	}
	w->counter++;
	if (++w->slot == W_SLOTS || last) {
		size_t n = (w->slot - 1) * RSO_AGE_CHUNK_ENC + w->fill +
		    RSO_AGE_TAG;

		if (emit(w, w->obuf, n, e) != 0)
			return EX_IOERR;
		w->slot = 0;
	}
	w->fill = 0;
	return 0;
}

int
rso_age_write(struct rso_age_writer *w, const void *buf, size_t len,
    struct rso_error *e)
{
	const unsigned char *p = buf;
	size_t k;
	int rc;

	if (w->failed)
		return rso_error_set(e, EX_SOFTWARE, "write after a failure");
	while (len > 0) {
		/* A full chunk is sealed only once more data proves it is
		 * not the last one. */
		if (w->fill == RSO_AGE_CHUNK && (rc = seal_slot(w, NULL, 0, e)) !=
		    0)
			return rc;
		if (w->fill == 0 && len > RSO_AGE_CHUNK) {
			/* A whole chunk with more after it: no copy needed. */
			w->fill = RSO_AGE_CHUNK;
			if ((rc = seal_slot(w, p, 0, e)) != 0)
				return rc;
			p += RSO_AGE_CHUNK;
			len -= RSO_AGE_CHUNK;
			continue;
		}
		k = RSO_AGE_CHUNK - w->fill < len ? RSO_AGE_CHUNK - w->fill : len;
		memcpy(w->obuf + w->slot * RSO_AGE_CHUNK_ENC + w->fill, p, k);
		w->fill += k;
		p += k;
		len -= k;
	}
	return 0;
}

int
rso_age_writer_close(struct rso_age_writer *w, struct rso_error *e)
{
	int rc;

	if (w->failed) {
		rso_age_writer_free(w);
		return rso_error_set(e, EX_SOFTWARE, "close after a failure");
	}
	rc = seal_slot(w, NULL, 1, e);
	if (rc == 0 && w->armor) {
		if ((w->ncarry > 0 && armor_line(w, w->carry, w->ncarry, e) != 0) ||
		    armor_flush(w, e) != 0 ||
		    out_raw(w, "-----END AGE ENCRYPTED FILE-----\n", 33, e) != 0)
			rc = EX_IOERR;
	}
	rso_age_writer_free(w);
	return rc;
}

void
rso_age_writer_free(struct rso_age_writer *w)
{
	if (w == NULL)
		return;
	if (w->h != NULL)
		gcry_cipher_close(w->h);
	if (w->fd)
		free(w->ctx);
	rso_keep_give(&obuf_kept, w->obuf);
	free(w->abuf);
	free(w);
}

/* Decryption. */

#define R_BUF	(R_SLOTS * RSO_AGE_CHUNK_ENC)

/* A reader's buffer, kept from one reader to the next: a walk over a
 * case's segments opens one after another. */
static struct rso_keep rbuf_kept = RSO_KEEP_INIT(R_BUF, 64, 2);

struct rso_age_reader {
	struct rso_age_src *src;
	char *name;
	int fd;
	void *fdctx;
	unsigned char *buf;
	size_t start, end;	/* buffered input: buf[start..end) */
	int eof;
	gcry_cipher_hd_t h;
	uint64_t counter;
	int done;		/* the final chunk was read */
	unsigned char *cur;	/* decrypted, not yet returned */
	size_t curlen;
	struct rso_error err;	/* sticky */
};

static ssize_t
fd_read(void *ctx, void *buf, size_t len)
{
	return read(*(int *)ctx, buf, len);
}

static int
rd_fail(struct rso_age_reader *r, int status, const char *what)
{
	return rso_error_set(&r->err, status, "%s: %s", r->name, what);
}

/* Buffer at least need bytes unless the input ends first. */
static int
rd_fill(struct rso_age_reader *r, size_t need)
{
	ssize_t n;

	while (r->end - r->start < need && !r->eof) {
		if (R_BUF - r->start < need) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		n = rso_age_src_read(r->src, r->buf + r->end, R_BUF - r->end,
		    &r->err);
		if (n < 0) {
			char what[sizeof(r->err.msg)];

			snprintf(what, sizeof(what), "%s", r->err.msg);
			return rd_fail(r, r->err.status, what);
		}
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
	return 0;
}

/* Read the header into t, through its "---" line. */
static int
rd_header_text(struct rso_age_reader *r, struct rso_text *t)
{
	unsigned char *nl;
	size_t n;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl == NULL) {
			if (r->eof) {
				rso_text_add(t, r->buf + r->start, r->end - r->start);
				r->start = r->end;
				return 0;	/* the parser says "truncated" */
			}
			if (r->end - r->start >= R_BUF - 1 ||
			    t->len + r->end - r->start > RSO_AGE_HEADER_MAX)
				return rd_fail(r, EX_DATAERR, "header: too long");
			if (rd_fill(r, r->end - r->start + 1) != 0)
				return -1;
			continue;
		}
		n = (size_t)(nl - (r->buf + r->start)) + 1;
		if (t->len + n > RSO_AGE_HEADER_MAX)
			return rd_fail(r, EX_DATAERR, "header: too long");
		rso_text_add(t, r->buf + r->start, n);
		r->start += n;
		if (n >= 4 && memcmp(t->p + t->len - n, "---", 3) == 0)
			return 0;
	}
}

/* Check the stanzas age defines; others are left for other software. */
static int
rd_check_stanzas(struct rso_age_reader *r, const struct rso_age_header *h,
    int *scrypt)
{
	unsigned char tmp[RSO_AGE_KEY];
	const struct rso_age_stanza *st;
	const char *n;
	size_t i;

	*scrypt = 0;
	for (i = 0; i < h->nst; i++) {
		st = &h->st[i];
		if (strcmp(st->args[0], "X25519") == 0) {
			if (st->nargs != 2 || rso_b64_decode(tmp, sizeof(tmp),
			    st->args[1], strlen(st->args[1]), 0) != RSO_AGE_KEY ||
			    st->bodylen != RSO_AGE_FILEKEY + RSO_AGE_TAG)
				return rd_fail(r, EX_DATAERR,
				    "header: malformed X25519 stanza");
		} else if (strcmp(st->args[0], "scrypt") == 0) {
			if (st->nargs != 3 || rso_b64_decode(tmp, sizeof(tmp),
			    st->args[1], strlen(st->args[1]), 0) !=
			    SCRYPT_SALTLEN ||
			    st->bodylen != RSO_AGE_FILEKEY + RSO_AGE_TAG)
				return rd_fail(r, EX_DATAERR,
				    "header: malformed scrypt stanza");
			n = st->args[2];
			if (n[0] < '1' || n[0] > '9' ||
			    strspn(n, "0123456789") != strlen(n))
				return rd_fail(r, EX_DATAERR,
				    "header: malformed scrypt work factor");
			if (strlen(n) > 2 || atoi(n) > RSO_AGE_SCRYPT_MAXLOGN)
				return rd_fail(r, EX_DATAERR,
				    "header: scrypt work factor too large");
			*scrypt = 1;
		}
	}
	if (*scrypt && h->nst != 1)
		return rd_fail(r, EX_DATAERR,
		    "header: an scrypt stanza must be the only one");
	return 0;
}

static int
rd_unwrap_scrypt(struct rso_age_reader *r, const struct rso_age_header *h,
    const struct rso_age_identities *ids, unsigned char *fk)
{
	const struct rso_age_stanza *st = &h->st[0];
	unsigned char salt[SCRYPT_SALTLEN], *key;
	char *pass = ids->pass, *asked = NULL;
	size_t passlen = ids->passlen;
	int rc;

	if (pass == NULL && ids->prompt != NULL) {
		asked = rso_age_xsecure(1024);
		if (ids->prompt(ids->promptctx, asked, 1024, &passlen,
		    &r->err) != 0) {
			rso_age_secfree(asked, 1024);
			return -1;
		}
		pass = asked;
	}
	if (pass == NULL)
		return rd_fail(r, EX_NOPERM,
		    "passphrase-encrypted, and no passphrase given");
	rso_b64_decode(salt, sizeof(salt), st->args[1], strlen(st->args[1]), 0);
	key = rso_age_xsecure(RSO_AGE_KEY);
	rc = scrypt_wrapkey(key, pass, passlen, salt, atoi(st->args[2]));
	if (rc != 0)
		rc = rd_fail(r, EX_SOFTWARE, "scrypt: failed");
	else if (unwrap_filekey(key, st->body, fk) != 0)
		rc = rd_fail(r, EX_NOPERM, "wrong passphrase");
	rso_age_secfree(key, RSO_AGE_KEY);
	rso_age_secfree(asked, 1024);
	return rc;
}

static int
rd_unwrap_x25519(struct rso_age_reader *r, const struct rso_age_header *h,
    const struct rso_age_identities *ids, unsigned char *fk)
{
	unsigned char share[RSO_AGE_KEY];
	unsigned char *shared = rso_age_xsecure(RSO_AGE_KEY);
	unsigned char *key = rso_age_xsecure(RSO_AGE_KEY);
	const struct rso_age_stanza *st;
	size_t i, j;
	int rc = 1;

	for (i = 0; i < h->nst && rc == 1; i++) {
		st = &h->st[i];
		if (strcmp(st->args[0], "X25519") != 0)
			continue;
		rso_b64_decode(share, sizeof(share), st->args[1],
		    strlen(st->args[1]), 0);
		for (j = 0; j < ids->n; j++) {
			if (rso_age_x25519(shared, ids->sk[j], share) != 0) {
				rc = rd_fail(r, EX_DATAERR,
				    "header: X25519 share is a low-order point");
				break;
			}
			if (x25519_wrapkey(key, shared, share, ids->pk[j]) != 0) {
				rc = rd_fail(r, EX_SOFTWARE, "hkdf: failed");
				break;
			}
			if (unwrap_filekey(key, st->body, fk) == 0) {
				rc = 0;
				break;
			}
		}
	}
	if (rc == 1)
		rc = rd_fail(r, EX_NOPERM, ids->n == 0 ? "no identity given "
		    "(use -i or RSO_IDENTITY)" :
		    "no identity matches any of the file's recipients");
	rso_age_secfree(shared, RSO_AGE_KEY);
	rso_age_secfree(key, RSO_AGE_KEY);
	return rc;
}

/* Header through payload key: everything before the first chunk. */
static int
rd_open(struct rso_age_reader *r, const struct rso_age_identities *ids)
{
	struct rso_age_header h;
	struct rso_text t = { 0 };
	unsigned char mac[32], *fk, *pkey;
	size_t consumed;
	int scrypt, rc;

	if (rd_header_text(r, &t) != 0) {
		free(t.p);
		return -1;
	}
	if (rso_age_header_parse(t.p ? t.p : "", t.len, &h, &consumed,
	    &r->err) != 0) {
		char what[sizeof(r->err.msg)];

		free(t.p);
		snprintf(what, sizeof(what), "%s", r->err.msg);
		return rd_fail(r, EX_DATAERR, what);
	}
	fk = rso_age_xsecure(RSO_AGE_FILEKEY);
	pkey = rso_age_xsecure(RSO_AGE_KEY);
	if ((rc = rd_check_stanzas(r, &h, &scrypt)) != 0)
		goto out;
	rc = scrypt ? rd_unwrap_scrypt(r, &h, ids, fk) :
	    rd_unwrap_x25519(r, &h, ids, fk);
	if (rc != 0)
		goto out;
	if (header_mac(mac, fk, t.p, h.maclen) != 0) {
		rc = rd_fail(r, EX_SOFTWARE, "hmac: failed");
		goto out;
	}
	/* Constant-time comparison of the MAC. */
	{
		unsigned char d = 0;
		size_t i;

		for (i = 0; i < sizeof(mac); i++)
			d |= mac[i] ^ h.mac[i];
		if (d != 0) {
			rc = rd_fail(r, EX_DATAERR,
			    "header: MAC does not verify");
			goto out;
		}
	}
	if ((rc = rd_fill(r, RSO_AGE_NONCE)) != 0)
		goto out;
	if (r->end - r->start < RSO_AGE_NONCE) {
		rc = rd_fail(r, EX_DATAERR, "payload: truncated nonce");
		goto out;
	}
	if (rso_age_hkdf(pkey, fk, RSO_AGE_FILEKEY, r->buf + r->start,
	    RSO_AGE_NONCE, "payload") != 0 || aead_new(&r->h, pkey) != 0) {
		rc = rd_fail(r, EX_SOFTWARE, "payload key: failed");
		goto out;
	}
	r->start += RSO_AGE_NONCE;
out:
	rso_age_secfree(fk, RSO_AGE_FILEKEY);
	rso_age_secfree(pkey, RSO_AGE_KEY);
	rso_age_header_free(&h);
	free(t.p);
	return rc;
}

struct rso_age_reader *
rso_age_reader_new(rso_age_read_fn *fn, void *ctx, const char *name,
    const struct rso_age_identities *ids, struct rso_error *e)
{
	static const struct rso_age_identities none;
	struct rso_age_reader *r;

	if (rso_age_init(e) != 0)
		return NULL;
	r = rso_xcalloc(1, sizeof(*r));
	r->src = rso_age_src_new(fn, ctx);
	r->name = rso_xstrdup(name ? name : "<stdin>");
	if ((r->buf = rso_keep_take(&rbuf_kept)) == NULL)
		rso_die(EX_OSERR, "malloc");
	if (rd_open(r, ids ? ids : &none) != 0) {
		if (e != NULL)
			*e = r->err;
		rso_age_reader_free(r);
		return NULL;
	}
	return r;
}

struct rso_age_reader *
rso_age_reader_fd(int fd, const char *name,
    const struct rso_age_identities *ids, struct rso_error *e)
{
	struct rso_age_reader *r;
	int *fdp = rso_xmalloc(sizeof(int));

	*fdp = fd;
	r = rso_age_reader_new(fd_read, fdp, name, ids, e);
	if (r == NULL)
		free(fdp);
	else
		r->fdctx = fdp;
	return r;
}

/*
 * Decrypt the next chunk in place.  A chunk followed by more input is a
 * middle chunk; the one that ends the input is the final chunk.  On a tag
 * failure the other reading is tried, only to say what is wrong.
 */
static int
rd_chunk(struct rso_age_reader *r)
{
	unsigned char iv[12], *p;
	size_t n;
	int last;

	if (rd_fill(r, RSO_AGE_CHUNK_ENC + 1) != 0)
		return -1;
	n = r->end - r->start;
	if (n == 0)
		return rd_fail(r, EX_DATAERR, "payload: truncated "
		    "(no final chunk)");
	last = n <= RSO_AGE_CHUNK_ENC;
	if (!last)
		n = RSO_AGE_CHUNK_ENC;
	if (n < RSO_AGE_TAG)
		return rd_fail(r, EX_DATAERR, "payload: truncated chunk");
	p = r->buf + r->start;
	stream_nonce(iv, r->counter, last);
	if (aead_open(r->h, iv, p, n) != 0) {
		int other = 0;

		/* Undo the keystream, then try the other flag. */
		if (n == RSO_AGE_CHUNK_ENC) {
			/* Same key and nonce: XOR with the keystream again. */
			gcry_cipher_reset(r->h);
			gcry_cipher_setiv(r->h, iv, 12);
			gcry_cipher_encrypt(r->h, p, n - RSO_AGE_TAG, NULL, 0);
			stream_nonce(iv, r->counter, !last);
			other = aead_open(r->h, iv, p, n) == 0;
		}
		if (other && last)
			return rd_fail(r, EX_DATAERR, "payload: truncated "
			    "(no final chunk)");
		if (other)
			return rd_fail(r, EX_DATAERR,
			    "payload: data after the final chunk");
		return rd_fail(r, EX_DATAERR,
		    "payload: chunk does not authenticate");
	}
	if (last && n == RSO_AGE_TAG && r->counter > 0)
		return rd_fail(r, EX_DATAERR, "payload: empty final chunk");
	r->counter++;
	r->start += n;
	r->cur = p;
	r->curlen = n - RSO_AGE_TAG;
	r->done = last;
	return 0;
}

ssize_t
rso_age_read_next(struct rso_age_reader *r, const void **p,
    struct rso_error *e)
{
	size_t n;

	if (r->err.status != 0)
		goto fail;
	while (r->curlen == 0) {
		if (r->done)
			return 0;
		if (rd_chunk(r) != 0)
			goto fail;
	}
	*p = r->cur;
	n = r->curlen;
	r->cur += n;
	r->curlen = 0;
	return (ssize_t)n;
fail:
	if (e != NULL)
		*e = r->err;
	return -1;
}

ssize_t
rso_age_read(struct rso_age_reader *r, void *buf, size_t len,
    struct rso_error *e)
{
	size_t k;

	if (r->err.status != 0)
		goto fail;
	while (r->curlen == 0) {
		if (r->done || len == 0)
			return 0;
		if (rd_chunk(r) != 0)
			goto fail;
	}
	k = r->curlen < len ? r->curlen : len;
	memcpy(buf, r->cur, k);
	r->cur += k;
	r->curlen -= k;
	return (ssize_t)k;
fail:
	if (e != NULL)
		*e = r->err;
	return -1;
}

void
rso_age_reader_free(struct rso_age_reader *r)
{
	if (r == NULL)
		return;
	if (r->h != NULL)
		gcry_cipher_close(r->h);
	rso_age_src_free(r->src);
	free(r->fdctx);
	free(r->name);
	rso_keep_give(&rbuf_kept, r->buf);
	free(r);
}
