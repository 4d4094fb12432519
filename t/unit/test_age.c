/* Unit tests for rso_age: encodings, primitives, header rules, STREAM rules. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "rso_age.h"
#include "rso_age_priv.h"
#include "rso_err.h"
#include "tap.h"

/* The age spec's example identity and its recipient. */
#define SPEC_SECRET "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
#define SPEC_RECIPIENT "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"

static void
unhex(unsigned char *out, const char *hex)
{
	size_t i;

	for (i = 0; hex[2 * i]; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

/* An in-memory file for the callbacks. */
struct mem {
	unsigned char *p;
	size_t len, cap, off;
	size_t maxread;		/* 0, or the largest read to hand out */
};

static int
mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

static ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t k = m->len - m->off < len ? m->len - m->off : len;

	if (m->maxread && k > m->maxread)
		k = m->maxread;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static void
test_base64(void)
{
	unsigned char b[8];
	char s[16];

	is_int(rso_b64_encode(s, "f", 1, 0), 2, "b64: 1 byte is 2 chars unpadded");
	is_int(memcmp(s, "Zg", 2), 0, "b64: f encodes as Zg");
	is_int(rso_b64_encode(s, "f", 1, 1), 4, "b64: padded is 4 chars");
	is_int(memcmp(s, "Zg==", 4), 0, "b64: f encodes as Zg== padded");
	is_int(rso_b64_decode(b, sizeof(b), "Zg", 2, 0), 1, "b64: Zg decodes");
	is_int(rso_b64_decode(b, sizeof(b), "Zh", 2, 0), -1,
	    "b64: Zh is non-canonical (unused bits set)");
	is_int(rso_b64_decode(b, sizeof(b), "Zm9", 3, 0), -1,
	    "b64: Zm9 is non-canonical");
	is_int(rso_b64_decode(b, sizeof(b), "Zm8", 3, 0), 2, "b64: Zm8 decodes");
	is_int(rso_b64_decode(b, sizeof(b), "Zg==", 4, 0), -1,
	    "b64: padding refused in the header encoding");
	is_int(rso_b64_decode(b, sizeof(b), "Zg==", 4, 1), 1,
	    "b64: padding accepted in the armor encoding");
	is_int(rso_b64_decode(b, sizeof(b), "Zh==", 4, 1), -1,
	    "b64: non-canonical padded refused");
	is_int(rso_b64_decode(b, sizeof(b), "Zg", 2, 1), -1,
	    "b64: missing padding refused in armor");
	is_int(rso_b64_decode(b, sizeof(b), "Z===", 4, 1), -1,
	    "b64: three pad characters refused");
	is_int(rso_b64_decode(b, sizeof(b), "Zg=A", 4, 1), -1,
	    "b64: padding inside refused");
	is_int(rso_b64_decode(b, sizeof(b), "Z", 1, 0), -1,
	    "b64: a lone character refused");
	is_int(rso_b64_decode(b, sizeof(b), "Zm9v\n", 5, 0), -1,
	    "b64: a newline refused");
	is_int(rso_b64_decode(b, 2, "Zm9v", 4, 0), -1,
	    "b64: a too small buffer refused");
	is_int(rso_b64_decode(b, sizeof(b), "", 0, 0), 0, "b64: empty is empty");
}

static void
test_bech32(void)
{
	unsigned char d[64], k[32];
	char hrp[32], s[128];

	is_int(rso_bech32_decode(hrp, sizeof(hrp), d, sizeof(d), "A12UEL5L"), 0,
	    "bech32: BIP173 A12UEL5L is valid (upper case)");
	is_str(hrp, "A", "bech32: hrp keeps its case");
	is_int(rso_bech32_decode(hrp, sizeof(hrp), d, sizeof(d), "a12uel5l"), 0,
	    "bech32: a12uel5l is valid");
	is_int(rso_bech32_decode(hrp, sizeof(hrp), d, sizeof(d), "A12uEL5L"), -1,
	    "bech32: mixed case refused");
	is_int(rso_bech32_decode(hrp, sizeof(hrp), d, sizeof(d), "a12uel5m"), -1,
	    "bech32: bad checksum refused");
	is_int(rso_bech32_decode(hrp, sizeof(hrp), d, sizeof(d), "pzry9x0s0muk"),
	    -1, "bech32: no separator refused");
	is_int(rso_bech32_decode(hrp, sizeof(hrp), d, sizeof(d),
	    "1pzry9x0s0muk"), -1, "bech32: empty hrp refused");
	is_int(rso_bech32_decode(hrp, sizeof(hrp), d, sizeof(d), "x1b4n0q5v"), -1,
	    "bech32: character outside the alphabet refused");
	is_int(rso_bech32_decode(hrp, sizeof(hrp), d, sizeof(d), "li1dgmt3"), -1,
	    "bech32: short checksum refused");
	is_int(rso_bech32_decode(hrp, sizeof(hrp), k, sizeof(k), SPEC_RECIPIENT),
	    32, "bech32: the spec's recipient decodes to 32 bytes");
	is_str(hrp, "age", "bech32: recipient hrp");
	ok(rso_bech32_encode(s, sizeof(s), "age", k, 32, 0) == 0 &&
	    strcmp(s, SPEC_RECIPIENT) == 0, "bech32: re-encodes identically");
	ok(rso_bech32_encode(s, 20, "age", k, 32, 0) == -1,
	    "bech32: encode refuses a short buffer");
	/* Non-zero padding bits: change the last data character. */
	is_int(rso_bech32_decode(hrp, sizeof(hrp), k, sizeof(k),
	    "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73eqsnujwj"), -1,
	    "bech32: tampered data refused");
}

static void
test_hkdf_x25519(void)
{
	unsigned char ikm[22], salt[13], out[32], want[32];
	unsigned char k[32], u[32], r[32];

	/* RFC 5869 A.1, first 32 bytes of the 42-byte OKM. */
	memset(ikm, 0x0b, sizeof(ikm));
	unhex(salt, "000102030405060708090a0b0c");
	unhex(want, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
	ok(rso_age_hkdf(out, ikm, sizeof(ikm), salt, sizeof(salt),
	    "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9") == 0 &&
	    memcmp(out, want, 32) == 0, "hkdf: RFC 5869 test case 1");

	/* RFC 7748 5.2, first vector. */
	unhex(k, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
	unhex(u, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
	unhex(want, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	ok(rso_age_x25519(r, k, u) == 0 && memcmp(r, want, 32) == 0,
	    "x25519: RFC 7748 5.2 vector");
	/* RFC 7748 6.1: Alice's public key from her private key. */
	unhex(k, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(want, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	ok(rso_age_x25519(r, k, NULL) == 0 && memcmp(r, want, 32) == 0,
	    "x25519: RFC 7748 6.1 base point");
	/* ... and the shared secret with Bob's public key. */
	unhex(u, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	unhex(want, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	ok(rso_age_x25519(r, k, u) == 0 && memcmp(r, want, 32) == 0,
	    "x25519: RFC 7748 6.1 shared secret");
	memset(u, 0, sizeof(u));
	ok(rso_age_x25519(r, k, u) == -1, "x25519: the zero point is refused");
	unhex(u, "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
	ok(rso_age_x25519(r, k, u) == -1, "x25519: a low-order point is refused");
}

static void
test_keys(void)
{
	struct rso_age_identities *ids = rso_age_identities_new();
	struct rso_age_recipients *r = rso_age_recipients_new();
	struct rso_error e = { 0 };
	char rec[RSO_AGE_RECIPIENT_LEN + 1], *sec;

	ok(rso_age_identities_add(ids, SPEC_SECRET, &e) == 0,
	    "keys: the spec's identity parses");
	ok(rso_age_identities_recipients(ids, r, &e) == 0 && r->n == 1,
	    "keys: its recipient is derived");
	ok(rso_bech32_encode(rec, sizeof(rec), "age", r->pk[0], 32, 0) == 0 &&
	    strcmp(rec, SPEC_RECIPIENT) == 0, "keys: and matches the spec");
	is_int(rso_age_identities_add(ids, "age-secret-key-1gfpyysjzgfpyysjzgf"
	    "pyysjzgfpyysjzgfpyysjzgfpyysjzgfpq4egaex", &e), EX_DATAERR,
	    "keys: a lower-case secret key is refused (age requires upper)");
	is_int(rso_age_recipients_add(r, "AGE1ZVKYG2LQZRAA2LNJVQEJ32NKUU0UES2S82"
	    "HZRYE869XEEXVN73EQUNUJWJ", &e), EX_DATAERR,
	    "keys: an upper-case recipient is refused (age requires lower)");
	is_int(rso_age_recipients_add(r, SPEC_SECRET, &e), EX_DATAERR,
	    "keys: a secret key is not a recipient");
	ok(rso_age_keygen(&sec, rec, &e) == 0 && strlen(sec) ==
	    RSO_AGE_SECRET_LEN && strlen(rec) == RSO_AGE_RECIPIENT_LEN &&
	    strncmp(sec, "AGE-SECRET-KEY-1", 16) == 0 &&
	    strncmp(rec, "age1", 4) == 0, "keys: keygen makes a key pair");
	ok(rso_age_identities_add(ids, sec, &e) == 0,
	    "keys: a generated key parses");
	rso_age_secret_free(sec);
	rso_age_identities_free(ids);
	rso_age_recipients_free(r);
}

/* Header grammar: each text and the message it must be refused with. */
static void
test_header(void)
{
	static const char mac[] = "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
	static const char b43[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char b64[] =
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	struct {
		const char *stanzas;	/* between version and MAC lines */
		const char *want;	/* NULL: valid */
	} cases[] = {
		{ "-> X25519 abc\n%s\n", NULL },
		{ "-> empty\n\n", NULL },
		{ "-> long\n%2$s\n\n", NULL },
		{ "-> a b c !~\n\n", NULL },
		{ "", "header: no recipient stanza" },
		{ "->X25519 abc\n\n", "header: malformed line" },
		{ "-> \n\n", "header: malformed stanza" },
		{ "->\n\n", "header: malformed line" },
		{ "-> a  b\n\n", "header: malformed stanza" },
		{ "-> a b \n\n", "header: malformed stanza" },
		{ "-> a\tb\n\n", "header: malformed stanza" },
		{ "-> a\r\n\n", "header: malformed stanza" },
		{ "-> a\n%2$sA\n", "header: malformed stanza body" },
		{ "-> a\n%2$s\n", "header: malformed stanza body" },
		{ "-> a\nZg==\n", "header: malformed stanza body" },
		{ "-> a\nZh\n", "header: malformed stanza body" },
		{ "-> a\nZg\r\n", "header: malformed stanza body" },
		{ "-> a\n", "header: malformed stanza body" },
		{ "-> a\n%2$s\n%2$s\n", "header: malformed stanza body" },
		{ "-> a\n\n\n", "header: malformed line" },
	};
	struct rso_age_header h;
	struct rso_error e = { 0 };
	size_t i, used;
	char buf[1024], st[512];
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(st, sizeof(st), cases[i].stanzas, b43, b64);
		snprintf(buf, sizeof(buf), "age-encryption.org/v1\n%s%s", st, mac);
		e.msg[0] = '\0';
		rc = rso_age_header_parse(buf, strlen(buf), &h, &used, &e);
		if (cases[i].want == NULL) {
			ok(rc == 0 && used == strlen(buf), "header %zu: valid", i);
			if (rc == 0)
				rso_age_header_free(&h);
		} else {
			is_str(e.msg, cases[i].want, "header %zu: refused", i);
		}
	}
	snprintf(buf, sizeof(buf), "age-encryption.org/v1\n-> a b\n%s\n%s", b43,
	    mac);
	ok(rso_age_header_parse(buf, strlen(buf), &h, &used, &e) == 0 &&
	    h.nst == 1 && h.st[0].nargs == 2 && strcmp(h.st[0].args[1], "b") == 0 &&
	    h.st[0].bodylen == 32 && h.maclen == strlen(buf) - strlen(mac) + 3,
	    "header: arguments, body and MAC span parsed");
	rso_age_header_free(&h);

#define REFUSE(text, want) do { \
	e.msg[0] = '\0'; \
	rso_age_header_parse(text, strlen(text), &h, &used, &e); \
	is_str(e.msg, want, "header: %s", want); } while (0)
	REFUSE("", "header: truncated");
	REFUSE("age-encr", "header: truncated");
	REFUSE("hello\n", "header: not an age file");
	REFUSE("age-encryption.org/v2\n", "header: unsupported age version");
	REFUSE("age-encryption.org/v1\r\n", "header: unsupported age version");
	REFUSE("age-encryption.org/v1\n-> a\n\n", "header: truncated");
	REFUSE("age-encryption.org/v1\n-> a\n\n---\n", "header: malformed MAC line");
	REFUSE("age-encryption.org/v1\n-> a\n\n--- AAAA\n",
	    "header: malformed MAC line");
	REFUSE("age-encryption.org/v1\n-> a\n\n---  AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	    "header: malformed MAC line");
	REFUSE("age-encryption.org/v1\n-> a\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\n",
	    "header: malformed MAC line");
	REFUSE("age-encryption.org/v1\n-> a\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \n",
	    "header: malformed MAC line");
	REFUSE("age-encryption.org/v1\n-> a\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n",
	    "header: malformed MAC line");
#undef REFUSE
}

/*
 * An independent encoder for files the writer never makes: a chosen file
 * key, one X25519 stanza for pk plus extra stanza text, and chunks of
 * given sizes and final flags.
 */
struct chunk {
	size_t len;
	int last;
};

static void
seal(const unsigned char *key, const unsigned char *iv, unsigned char *p,
    size_t len)
{
	gcry_cipher_hd_t h;

	gcry_cipher_open(&h, GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_POLY1305, 0);
	gcry_cipher_setkey(h, key, 32);
	gcry_cipher_setiv(h, iv, 12);
	gcry_cipher_encrypt(h, p, len, NULL, 0);
	gcry_cipher_gettag(h, p + len, 16);
	gcry_cipher_close(h);
}

static void
hmac(unsigned char *out, const unsigned char *key, const void *p, size_t n)
{
	gcry_md_hd_t h;

	gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC);
	gcry_md_setkey(h, key, 32);
	gcry_md_write(h, p, n);
	memcpy(out, gcry_md_read(h, 0), 32);
	gcry_md_close(h);
}

static void
handmade(struct mem *m, const unsigned char *pk, const char *extra,
    int badmac, const struct chunk *c, size_t nc)
{
	unsigned char fk[16], eph[32], share[32], shared[32], salt[64], key[32];
	unsigned char body[32], nonce[16], iv[12] = { 0 }, mac[32], *buf;
	char hdr[4096], s[64];
	size_t n, i;

	memset(m, 0, sizeof(*m));
	memset(fk, 7, sizeof(fk));
	memset(eph, 9, sizeof(eph));
	rso_age_x25519(share, eph, NULL);
	rso_age_x25519(shared, eph, pk);
	memcpy(salt, share, 32);
	memcpy(salt + 32, pk, 32);
	rso_age_hkdf(key, shared, 32, salt, 64, "age-encryption.org/v1/X25519");
	memcpy(body, fk, 16);
	seal(key, iv, body, 16);
	n = (size_t)snprintf(hdr, sizeof(hdr), "age-encryption.org/v1\n-> X25519 ");
	n += rso_b64_encode(hdr + n, share, 32, 0);
	hdr[n++] = '\n';
	n += rso_b64_encode(hdr + n, body, 32, 0);
	n += (size_t)snprintf(hdr + n, sizeof(hdr) - n, "\n%s---", extra);
	rso_age_hkdf(key, fk, 16, NULL, 0, "header");
	hmac(mac, key, hdr, n);
	mac[0] ^= badmac;
	s[0] = ' ';
	n += (size_t)snprintf(hdr + n, sizeof(hdr) - n, " %.*s\n",
	    (int)rso_b64_encode(s, mac, 32, 0), s);
	mem_write(m, hdr, n);
	memset(nonce, 3, sizeof(nonce));
	mem_write(m, nonce, sizeof(nonce));
	rso_age_hkdf(key, fk, 16, nonce, 16, "payload");
	buf = malloc(RSO_AGE_CHUNK_ENC);
	for (i = 0; i < nc; i++) {
		memset(buf, 'x', c[i].len);
		memset(iv, 0, sizeof(iv));
		iv[10] = (unsigned char)i;
		iv[11] = (unsigned char)c[i].last;
		seal(key, iv, buf, c[i].len);
		mem_write(m, buf, c[i].len + 16);
	}
	free(buf);
}

/* Decrypt m fully; returns bytes, or -1 with e filled. */
static ssize_t
drain(struct mem *m, const struct rso_age_identities *ids, struct rso_error *e)
{
	struct rso_age_reader *r;
	const void *p;
	ssize_t n, total = 0;

	m->off = 0;
	if ((r = rso_age_reader_new(mem_read, m, "f", ids, e)) == NULL)
		return -1;
	while ((n = rso_age_read_next(r, &p, e)) > 0)
		total += n;
	rso_age_reader_free(r);
	return n < 0 ? -1 : total;
}

static void
test_stream(void)
{
	struct rso_age_identities *ids = rso_age_identities_new();
	struct rso_error e = { 0 };
	struct mem m;
	const size_t F = RSO_AGE_CHUNK;
	struct {
		struct chunk c[3];
		size_t nc;
		ssize_t want;		/* bytes, or -1 */
		const char *msg;
	} cases[] = {
		{ { { 0, 1 } }, 1, 0, NULL },
		{ { { 5, 1 } }, 1, 5, NULL },
		{ { { F, 1 } }, 1, (ssize_t)F, NULL },
		{ { { F, 0 }, { 1, 1 } }, 2, (ssize_t)F + 1, NULL },
		{ { { F, 0 }, { F, 1 } }, 2, 2 * (ssize_t)F, NULL },
		{ { { 0 } }, 0, -1, "f: payload: truncated (no final chunk)" },
		{ { { F, 0 } }, 1, -1, "f: payload: truncated (no final chunk)" },
		{ { { 5, 0 } }, 1, -1, "f: payload: chunk does not authenticate" },
		{ { { F, 0 }, { 0, 1 } }, 2, -1, "f: payload: empty final chunk" },
		{ { { F, 1 }, { 1, 1 } }, 2, -1,
		    "f: payload: data after the final chunk" },
		{ { { 5, 0 }, { 1, 1 } }, 2, -1,
		    "f: payload: chunk does not authenticate" },
		{ { { F, 0 }, { F, 0 }, { 1, 0 } }, 3, -1,
		    "f: payload: chunk does not authenticate" },
	};
	unsigned char pk[32];
	size_t i;
	ssize_t got;

	rso_age_identities_add(ids, SPEC_SECRET, &e);
	memcpy(pk, ids->pk[0], 32);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		handmade(&m, pk, "", 0, cases[i].c, cases[i].nc);
		e.msg[0] = '\0';
		got = drain(&m, ids, &e);
		if (cases[i].msg == NULL)
			is_int(got, cases[i].want, "stream %zu: decrypts", i);
		else
			is_str(got < 0 ? e.msg : "(accepted)", cases[i].msg,
			    "stream %zu: refused", i);
		free(m.p);
	}

	/* Byte-level damage to a valid file. */
	handmade(&m, pk, "", 0, (struct chunk[]){ { 100, 1 } }, 1);
	{
		size_t full = m.len, hdrlen = full - 16 - 116;

		m.len = hdrlen + 7;
		is_int(drain(&m, ids, &e), -1, "stream: short nonce refused");
		is_str(e.msg, "f: payload: truncated nonce",
		    "stream: short nonce message");
		m.len = full;
		m.p[m.len - 1] ^= 1;
		is_int(drain(&m, ids, &e), -1, "stream: flipped tag bit refused");
		is_str(e.msg, "f: payload: chunk does not authenticate",
		    "stream: flipped tag bit message");
		m.p[m.len - 1] ^= 1;
		m.len = hdrlen + 16 + 10;
		is_int(drain(&m, ids, &e), -1, "stream: missing tag refused");
		is_str(e.msg, "f: payload: truncated chunk",
		    "stream: missing tag message");
		m.len = full;
		is_int(drain(&m, ids, &e), 100, "stream: the undamaged file reads");
	}
	free(m.p);

	/* Header semantics. */
	handmade(&m, pk, "", 1, (struct chunk[]){ { 1, 1 } }, 1);
	is_int(drain(&m, ids, &e), -1, "header: bad MAC refused");
	is_str(e.msg, "f: header: MAC does not verify", "header: bad MAC message");
	is_int(e.status, EX_DATAERR, "header: bad MAC is a data error");
	free(m.p);
	handmade(&m, pk, "-> unknown-type x\nZm9v\n", 0,
	    (struct chunk[]){ { 1, 1 } }, 1);
	is_int(drain(&m, ids, &e), 1, "header: unknown stanza types are skipped");
	free(m.p);
	handmade(&m, pk, "-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 0,
	    (struct chunk[]){ { 1, 1 } }, 1);
	is_int(drain(&m, ids, &e), -1, "header: scrypt with others refused");
	is_str(e.msg, "f: header: an scrypt stanza must be the only one",
	    "header: scrypt alone message");
	free(m.p);
	handmade(&m, pk, "-> X25519 AAAA\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 0,
	    (struct chunk[]){ { 1, 1 } }, 1);
	is_str(drain(&m, ids, &e) < 0 ? e.msg : "", "f: header: malformed "
	    "X25519 stanza", "header: a short X25519 share is refused");
	free(m.p);
	handmade(&m, pk, "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 0,
	    (struct chunk[]){ { 1, 1 } }, 1);
	is_str(drain(&m, ids, &e) < 0 ? e.msg : "", "f: header: malformed "
	    "X25519 stanza", "header: an extra X25519 argument is refused");
	free(m.p);
	handmade(&m, pk, "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "AAAA\n", 0, (struct chunk[]){ { 1, 1 } }, 1);
	is_str(drain(&m, ids, &e) < 0 ? e.msg : "", "f: header: malformed "
	    "X25519 stanza", "header: a short X25519 body is refused");
	free(m.p);
	/* The zero share comes before ours: a low-order point aborts. */
	handmade(&m, pk, "", 0, (struct chunk[]){ { 1, 1 } }, 1);
	{
		static const char z[] = "age-encryption.org/v1\n-> X25519 "
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
		struct mem m2 = { 0 };

		mem_write(&m2, z, sizeof(z) - 1);
		mem_write(&m2, m.p + 22, m.len - 22);
		is_str(drain(&m2, ids, &e) < 0 ? e.msg : "", "f: header: X25519 "
		    "share is a low-order point", "header: low-order share");
		free(m2.p);
	}
	free(m.p);
	rso_age_identities_free(ids);
}

/* Round trips through the real writer, every boundary size. */
static void
test_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537,
	    16 * 65536, 16 * 65536 + 1, 3 * 1024 * 1024 + 7 };
	struct rso_age_identities *ids = rso_age_identities_new(), *other;
	struct rso_age_recipients *r = rso_age_recipients_new(), *pr;
	struct rso_age_writer *w;
	struct rso_age_reader *rd;
	struct rso_error e = { 0 };
	unsigned char *in, *out;
	size_t i, k, off;
	ssize_t n;
	int armor, ok1;

	rso_age_identities_add(ids, SPEC_SECRET, &e);
	rso_age_identities_recipients(ids, r, &e);
	in = malloc(sizes[7]);
	out = malloc(sizes[7]);
	gcry_randomize(in, sizes[7], GCRY_WEAK_RANDOM);
	for (armor = 0; armor <= 2; armor++)
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct mem m = { 0 };

			w = rso_age_writer_new(mem_write, &m, r,
			    armor == 1 ? RSO_AGE_ARMOR : 0, &e);
			/* Odd write sizes cross chunk boundaries; pass 2
			 * writes all at once (chunks sealed in place). */
			for (off = 0; off < sizes[i]; off += k) {
				k = sizes[i] - off < 40000 || armor == 2 ?
				    sizes[i] - off : 40000;
				rso_age_write(w, in + off, k, &e);
			}
			ok1 = rso_age_writer_close(w, &e) == 0;
			m.maxread = 1000;	/* short reads exercise refills */
			rd = rso_age_reader_new(mem_read, &m, "f", ids, &e);
			for (off = 0; rd != NULL &&
			    (n = rso_age_read(rd, out + off, 7777, &e)) > 0;)
				off += (size_t)n;
			ok(ok1 && rd != NULL && off == sizes[i] &&
			    memcmp(in, out, off) == 0, "roundtrip %s %zu bytes",
			    armor == 1 ? "armored" : armor ? "one write" : "binary",
			    sizes[i]);
			rso_age_reader_free(rd);
			free(m.p);
		}

	/* The wrong key is a key problem, not a data problem. */
	{
		struct mem m = { 0 };

		other = rso_age_identities_new();
		w = rso_age_writer_new(mem_write, &m, r, 0, &e);
		rso_age_write(w, "x", 1, &e);
		rso_age_writer_close(w, &e);
		{
			char *sec, rec[RSO_AGE_RECIPIENT_LEN + 1];

			rso_age_keygen(&sec, rec, &e);
			rso_age_identities_add(other, sec, &e);
			rso_age_secret_free(sec);
		}
		is_int(drain(&m, other, &e), -1, "wrong key refused");
		is_int(e.status, EX_NOPERM, "wrong key is EX_NOPERM");
		is_str(e.msg, "f: no identity matches any of the file's recipients",
		    "wrong key message");
		rso_age_identities_free(other);
		free(m.p);
	}

	/* Passphrases (a low work factor keeps the test quick). */
	{
		struct mem m = { 0 };

		pr = rso_age_recipients_new();
		ok(rso_age_recipients_passphrase(pr, "pw", 2, 10, &e) == 0,
		    "scrypt: passphrase recipient");
		is_int(rso_age_recipients_add(pr, SPEC_RECIPIENT, &e), EX_USAGE,
		    "scrypt: no other recipient beside a passphrase");
		w = rso_age_writer_new(mem_write, &m, pr, 0, &e);
		rso_age_write(w, in, 70000, &e);
		rso_age_writer_close(w, &e);
		other = rso_age_identities_new();
		rso_age_identities_passphrase(other, "pw", 2, &e);
		is_int(drain(&m, other, &e), 70000, "scrypt: round trip");
		rso_age_identities_free(other);
		other = rso_age_identities_new();
		rso_age_identities_passphrase(other, "px", 2, &e);
		is_int(drain(&m, other, &e), -1, "scrypt: wrong passphrase refused");
		is_str(e.msg, "f: wrong passphrase", "scrypt: wrong passphrase message");
		is_int(e.status, EX_NOPERM, "scrypt: wrong passphrase is EX_NOPERM");
		rso_age_identities_free(other);
		is_int(drain(&m, ids, &e), -1, "scrypt: no passphrase refused");
		is_int(e.status, EX_NOPERM, "scrypt: no passphrase is EX_NOPERM");
		/* Work factor 23 is over age's limit: refused before any work. */
		{
			unsigned char *s = memmem(m.p, m.len, " 10\n", 4);

			memcpy(s, " 23\n", 4);
			is_int(drain(&m, ids, &e), -1, "scrypt: work factor 23 refused");
			is_str(e.msg, "f: header: scrypt work factor too large",
			    "scrypt: work factor message");
			memcpy(s, " 010", 4);
			is_int(drain(&m, ids, &e), -1, "scrypt: leading zero refused");
		}
		rso_age_recipients_free(pr);
		free(m.p);
	}
	free(in);
	free(out);
	rso_age_identities_free(ids);
	rso_age_recipients_free(r);
}

/* The armor source on its own. */
static void
test_armor(void)
{
	static const struct {
		const char *text;
		const char *want;	/* NULL: decodes to "hello" */
	} cases[] = {
		{ "-----BEGIN AGE ENCRYPTED FILE-----\naGVsbG8=\n"
		    "-----END AGE ENCRYPTED FILE-----\n", NULL },
		{ " \n\t\n-----BEGIN AGE ENCRYPTED FILE-----\r\naGVsbG8=\r\n"
		    "-----END AGE ENCRYPTED FILE-----\r\n \n", NULL },
		{ "-----BEGIN AGE ENCRYPTED FILE-----\naGVsbG8=\n"
		    "-----END AGE ENCRYPTED FILE-----", NULL },
		{ "-----BEGIN AGE ENCRYPTED FILE-----\naGVsbG8\n"
		    "-----END AGE ENCRYPTED FILE-----\n", "armor: malformed base64" },
		{ "-----BEGIN AGE ENCRYPTED FILE-----\naGVsbG9=\n"
		    "-----END AGE ENCRYPTED FILE-----\n", "armor: malformed base64" },
		{ "-----BEGIN AGE ENCRYPTED FILE-----\naGVs\nbG8=\n"
		    "-----END AGE ENCRYPTED FILE-----\n",
		    "armor: short line before the end" },
		{ "-----BEGIN AGE ENCRYPTED FILE-----\naGVsbG8=\n"
		    "-----END AGE ENCRYPTED FILE-----\nx", "armor: data after the end line" },
		{ "-----BEGIN AGE ENCRYPTED FILE-----\naGVsbG8=\n",
		    "armor: no end line" },
		{ "-----BEGIN AGE ENCRYPTED FILE----- \naGVsbG8=\n"
		    "-----END AGE ENCRYPTED FILE-----\n", "armor: bad begin line" },
		{ "-----BEGIN AGE ENCRYPTED FILE-----\nVersion: 1\naGVsbG8=\n"
		    "-----END AGE ENCRYPTED FILE-----\n", "armor: malformed base64" },
		{ "-----BEGIN AGE ENCRYPTED FILE-----\n\naGVsbG8=\n"
		    "-----END AGE ENCRYPTED FILE-----\n", "armor: malformed base64" },
		{ "-----BEGIN AGE ENCRYPTED FILE-----\n"
		    "aGVsbG8gaGVsbG8gaGVsbG8gaGVsbG8gaGVsbG8gaGVsbG8gaGVsbG8gaGVsbG8gaA==\n"
		    "-----END AGE ENCRYPTED FILE-----\n",
		    "armor: line longer than 64 columns" },
	};
	struct rso_age_src *s;
	struct rso_error e = { 0 };
	char out[256];
	size_t i;
	ssize_t n, total;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mem m = { (unsigned char *)cases[i].text,
		    strlen(cases[i].text), 0, 0, 0 };

		s = rso_age_src_new(mem_read, &m);
		total = 0;
		e.msg[0] = '\0';
		while ((n = rso_age_src_read(s, out + total,
		    sizeof(out) - (size_t)total, &e)) > 0)
			total += n;
		if (cases[i].want == NULL)
			ok(n == 0 && total == 5 && memcmp(out, "hello", 5) == 0 &&
			    rso_age_src_armored(s), "armor %zu: decodes", i);
		else
			is_str(n < 0 ? e.msg : "(accepted)", cases[i].want,
			    "armor %zu: refused", i);
		rso_age_src_free(s);
	}
	{
		char big[2100];
		struct mem m = { (unsigned char *)big, 0, 0, 0, 0 };

		memset(big, '\n', 1100);
		strcpy(big + 1100, "-----BEGIN AGE ENCRYPTED FILE-----\n");
		m.len = strlen(big);
		s = rso_age_src_new(mem_read, &m);
		n = rso_age_src_read(s, out, sizeof(out), &e);
		is_str(n < 0 ? e.msg : "", "armor: too much whitespace before "
		    "the begin line", "armor: leading whitespace is bounded");
		rso_age_src_free(s);
	}
}

int
main(void)
{
	struct rso_error e = { 0 };

	rso_setprogname("test_age");
	ok(rso_age_init(&e) == 0, "libgcrypt initialises");
	test_base64();
	test_bech32();
	test_hkdf_x25519();
	test_keys();
	test_header();
	test_armor();
	test_stream();
	test_roundtrip();
	return tap_done();
}
