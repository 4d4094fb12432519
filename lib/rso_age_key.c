/* rso_age_key: libgcrypt set-up, primitives, keys and key files for age. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <gcrypt.h>

#include "rso_age.h"
#include "rso_age_priv.h"
#include "rso_err.h"

#define SECMEM_POOL	(64 * 1024)

static int initialised;

int
rso_age_init(struct rso_error *e)
{
	if (initialised)
		return 0;
	if (gcry_check_version("1.10.0") == NULL)
		return rso_error_set(e, EX_SOFTWARE,
		    "libgcrypt: version 1.10 or later needed");
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		/*
		 * Without CAP_IPC_LOCK mlock may fail; libgcrypt then warns on
		 * stderr at random moments, which would break our one
		 * diagnostic format.  Secure memory still keeps keys apart
		 * and wiped.
		 */
		gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
		gcry_control(GCRYCTL_INIT_SECMEM, SECMEM_POOL, 0);
		gcry_control(GCRYCTL_AUTO_EXPAND_SECMEM, SECMEM_POOL, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	initialised = 1;
	return 0;
}

void *
rso_age_xsecure(size_t n)
{
	void *p;

	rso_age_init(NULL);
	p = gcry_calloc_secure(1, n ? n : 1);
	if (p == NULL)
		rso_die(EX_OSERR, "secure memory");
	return p;
}

void
rso_age_secfree(void *p, size_t n)
{
	if (p == NULL)
		return;
	/* gcry_free wipes secure memory too; this also covers plain memory. */
	if (n)
		explicit_bzero(p, n);
	gcry_free(p);
}

int
rso_age_hkdf(unsigned char out[RSO_AGE_KEY], const void *ikm, size_t ikmlen,
    const void *salt, size_t saltlen, const char *info)
{
	static const unsigned char zeros[32], one = 1;
	unsigned char *prk = rso_age_xsecure(RSO_AGE_KEY);
	gcry_md_hd_t h;
	int rc = -1;

	/* Extract: an absent salt is HashLen zero bytes (RFC 5869 2.2). */
	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC |
	    GCRY_MD_FLAG_SECURE) != 0)
		goto out;
	if (gcry_md_setkey(h, saltlen ? salt : zeros, saltlen ? saltlen :
	    sizeof(zeros)) != 0)
		goto close;
	gcry_md_write(h, ikm, ikmlen);
	memcpy(prk, gcry_md_read(h, 0), RSO_AGE_KEY);
	/* Expand: 32 bytes is one block, T(1) = HMAC(PRK, info || 0x01). */
	gcry_md_reset(h);
	if (gcry_md_setkey(h, prk, RSO_AGE_KEY) != 0)
		goto close;
	gcry_md_write(h, info, strlen(info));
	gcry_md_write(h, &one, 1);
	memcpy(out, gcry_md_read(h, 0), RSO_AGE_KEY);
	rc = 0;
close:
	gcry_md_close(h);
out:
	rso_age_secfree(prk, RSO_AGE_KEY);
	return rc;
}

int
rso_age_x25519(unsigned char out[RSO_AGE_KEY],
    const unsigned char scalar[RSO_AGE_KEY], const unsigned char *point)
{
	unsigned char acc = 0;
	size_t i;

	rso_age_init(NULL);
	if (gcry_ecc_mul_point(GCRY_ECC_CURVE25519, out, scalar, point) != 0)
		return -1;
	/* Constant time: a zero result means a low-order point. */
	for (i = 0; i < RSO_AGE_KEY; i++)
		acc |= out[i];
	return acc == 0 ? -1 : 0;
}

/* Recipients. */

struct rso_age_recipients *
rso_age_recipients_new(void)
{
	return rso_xcalloc(1, sizeof(struct rso_age_recipients));
}

void
rso_age_recipients_free(struct rso_age_recipients *r)
{
	if (r == NULL)
		return;
	free(r->pk);
	rso_age_secfree(r->pass, r->passlen);
	free(r);
}

size_t
rso_age_recipients_count(const struct rso_age_recipients *r)
{
	return r->n + (r->pass != NULL);
}

/* Decode "age1..." into pk; 0 or -1. */
static int
parse_recipient(const char *s, unsigned char pk[RSO_AGE_KEY])
{
	char hrp[8];

	if (rso_bech32_decode(hrp, sizeof(hrp), pk, RSO_AGE_KEY, s) !=
	    RSO_AGE_KEY || strcmp(hrp, "age") != 0)
		return -1;
	return 0;
}

int
rso_age_recipients_add(struct rso_age_recipients *r, const char *s,
    struct rso_error *e)
{
	unsigned char pk[RSO_AGE_KEY];

	if (r->pass != NULL)
		return rso_error_set(e, EX_USAGE,
		    "a passphrase cannot be combined with recipients");
	if (parse_recipient(s, pk) != 0)
		return rso_error_set(e, EX_DATAERR, "malformed recipient");
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4;
		r->pk = rso_xrealloc(r->pk, r->cap * sizeof(*r->pk));
	}
	memcpy(r->pk[r->n++], pk, RSO_AGE_KEY);
	return 0;
}

int
rso_age_recipients_passphrase(struct rso_age_recipients *r, const char *pass,
    size_t len, int logn, struct rso_error *e)
{
	if (r->n > 0 || r->pass != NULL)
		return rso_error_set(e, EX_USAGE,
		    "a passphrase cannot be combined with recipients");
	if (len == 0)
		return rso_error_set(e, EX_USAGE, "empty passphrase");
	if (logn == 0)
		logn = RSO_AGE_SCRYPT_LOGN;
	if (logn < 1 || logn > RSO_AGE_SCRYPT_MAXLOGN)
		return rso_error_set(e, EX_USAGE, "scrypt work factor out of range");
	r->pass = rso_age_xsecure(len);
	memcpy(r->pass, pass, len);
	r->passlen = len;
	r->logn = logn;
	return 0;
}

/*
 * Key files, read through a small secure buffer so that secret keys never
 * sit in ordinary memory.  Lines longer than the buffer are allowed only
 * for comments.
 */
#define KEYFILE_LINE	4096

struct keyfile {
	int fd;
	const char *path;
	char *buf;		/* secure, KEYFILE_LINE bytes */
	size_t s, e;
	int eof;
	unsigned long lineno;
};

/* Next line (NUL-terminated, CR LF or LF stripped); 1, 0 at EOF, -1. */
static int
keyfile_line(struct keyfile *k, char **line, struct rso_error *e)
{
	char *nl;
	size_t next;
	ssize_t n;
	int skipping = 0;

	for (;;) {
		nl = memchr(k->buf + k->s, '\n', k->e - k->s);
		if (nl == NULL && k->eof && k->e > k->s)
			nl = k->buf + k->e;	/* a last line without LF */
		if (nl != NULL) {
			next = (size_t)(nl - k->buf) + 1;
			if (next > k->e)
				next = k->e;
			if (skipping) {
				k->s = next;
				skipping = 0;
				continue;
			}
			*nl = '\0';
			*line = k->buf + k->s;
			k->s = next;
			if (nl > *line && nl[-1] == '\r')
				nl[-1] = '\0';
			k->lineno++;
			return 1;
		}
		if (k->eof)
			return 0;
		if (k->s == 0 && k->e == KEYFILE_LINE - 1) {
			/* A long line: only a comment may be that long. */
			if (!skipping && k->buf[0] != '#') {
				rso_error_set(e, EX_DATAERR, "%s:%lu: line too long",
				    k->path, k->lineno + 1);
				return -1;
			}
			if (!skipping)
				k->lineno++;
			skipping = 1;
			k->e = 0;
		}
		if (k->s > 0) {
			memmove(k->buf, k->buf + k->s, k->e - k->s);
			k->e -= k->s;
			k->s = 0;
		}
		n = read(k->fd, k->buf + k->e, KEYFILE_LINE - 1 - k->e);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rso_error_set(e, EX_IOERR, "%s: %s", k->path,
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			k->eof = 1;
		k->e += (size_t)n;
	}
}

static int
keyfile_open(struct keyfile *k, const char *path, struct rso_error *e)
{
	memset(k, 0, sizeof(*k));
	k->path = path;
	if (strcmp(path, "-") == 0) {
		k->fd = STDIN_FILENO;
		k->path = "<stdin>";
	} else if ((k->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return rso_error_set(e, errno == ENOENT || errno == ENOTDIR ?
		    EX_NOINPUT : EX_NOPERM, "%s: %s", path, strerror(errno));
	}
	k->buf = rso_age_xsecure(KEYFILE_LINE);
	return 0;
}

static void
keyfile_close(struct keyfile *k)
{
	if (k->fd != STDIN_FILENO)
		close(k->fd);
	rso_age_secfree(k->buf, KEYFILE_LINE);
}

static int
is_comment(const char *line)
{
	return line[0] == '\0' || line[0] == '#';
}

int
rso_age_recipients_load(struct rso_age_recipients *r, const char *path,
    struct rso_error *e)
{
	struct keyfile k;
	size_t before = r->n;
	char *line;
	int rc, got;

	if ((rc = keyfile_open(&k, path, e)) != 0)
		return rc;
	rc = 0;
	while ((got = keyfile_line(&k, &line, e)) > 0) {
		if (is_comment(line))
			continue;
		if (rso_age_recipients_add(r, line, e) != 0) {
			rc = rso_error_set(e, EX_DATAERR,
			    "%s:%lu: malformed recipient", k.path, k.lineno);
			break;
		}
	}
	if (got < 0)
		rc = e ? e->status : EX_IOERR;
	else if (rc == 0 && r->n == before)
		rc = rso_error_set(e, EX_DATAERR, "%s: no recipients", k.path);
	keyfile_close(&k);
	return rc;
}

/* Identities. */

struct rso_age_identities *
rso_age_identities_new(void)
{
	return rso_xcalloc(1, sizeof(struct rso_age_identities));
}

void
rso_age_identities_free(struct rso_age_identities *ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < ids->n; i++)
		rso_age_secfree(ids->sk[i], RSO_AGE_KEY);
	free(ids->sk);
	free(ids->pk);
	rso_age_secfree(ids->pass, ids->passlen);
	free(ids);
}

size_t
rso_age_identities_count(const struct rso_age_identities *ids)
{
	return ids->n + (ids->pass != NULL);
}

int
rso_age_identities_add(struct rso_age_identities *ids, const char *s,
    struct rso_error *e)
{
	unsigned char *sk = rso_age_xsecure(RSO_AGE_KEY);
	char hrp[16];

	if (rso_bech32_decode(hrp, sizeof(hrp), sk, RSO_AGE_KEY, s) !=
	    RSO_AGE_KEY || strcmp(hrp, "AGE-SECRET-KEY-") != 0)
		goto bad;
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? ids->cap * 2 : 4;
		ids->sk = rso_xrealloc(ids->sk, ids->cap * sizeof(*ids->sk));
		ids->pk = rso_xrealloc(ids->pk, ids->cap * sizeof(*ids->pk));
	}
	if (rso_age_x25519(ids->pk[ids->n], sk, NULL) != 0)
		goto bad;
	ids->sk[ids->n++] = sk;
	return 0;
bad:
	rso_age_secfree(sk, RSO_AGE_KEY);
	return rso_error_set(e, EX_DATAERR, "malformed secret key");
}

int
rso_age_identities_load(struct rso_age_identities *ids, const char *path,
    struct rso_error *e)
{
	struct keyfile k;
	size_t before = ids->n;
	char *line;
	int rc, got;

	if ((rc = keyfile_open(&k, path, e)) != 0)
		return rc;
	rc = 0;
	while ((got = keyfile_line(&k, &line, e)) > 0) {
		if (is_comment(line))
			continue;
		if (k.lineno == 1 && strncmp(line, "age-encryption.org/", 19) == 0) {
			rc = rso_error_set(e, EX_DATAERR, "%s: encrypted "
			    "identity files are not supported", k.path);
			break;
		}
		if (rso_age_identities_add(ids, line, e) != 0) {
			rc = rso_error_set(e, EX_DATAERR,
			    "%s:%lu: malformed secret key", k.path, k.lineno);
			break;
		}
	}
	if (got < 0)
		rc = e ? e->status : EX_IOERR;
	else if (rc == 0 && ids->n == before)
		rc = rso_error_set(e, EX_DATAERR, "%s: no secret keys", k.path);
	keyfile_close(&k);
	return rc;
}

int
rso_age_identities_passphrase(struct rso_age_identities *ids,
    const char *pass, size_t len, struct rso_error *e)
{
	if (len == 0)
		return rso_error_set(e, EX_USAGE, "empty passphrase");
	rso_age_secfree(ids->pass, ids->passlen);
	ids->pass = rso_age_xsecure(len);
	memcpy(ids->pass, pass, len);
	ids->passlen = len;
	return 0;
}

void
rso_age_identities_prompt(struct rso_age_identities *ids, rso_age_pass_fn *fn,
    void *ctx)
{
	ids->prompt = fn;
	ids->promptctx = ctx;
}

int
rso_age_identities_recipients(const struct rso_age_identities *ids,
    struct rso_age_recipients *r, struct rso_error *e)
{
	char s[RSO_AGE_RECIPIENT_LEN + 1];
	size_t i;
	int rc;

	for (i = 0; i < ids->n; i++) {
		if (rso_bech32_encode(s, sizeof(s), "age", ids->pk[i],
		    RSO_AGE_KEY, 0) != 0)
			return rso_error_set(e, EX_SOFTWARE, "bech32: overflow");
		if ((rc = rso_age_recipients_add(r, s, e)) != 0)
			return rc;
	}
	return 0;
}

static int
getrandom_all(unsigned char *p, size_t n)
{
	ssize_t got;

	while (n > 0) {
		got = getrandom(p, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int
rso_age_keygen(char **secret, char *recipient, struct rso_error *e)
{
	unsigned char *sk, pk[RSO_AGE_KEY];
	int rc;

	if ((rc = rso_age_init(e)) != 0)
		return rc;
	sk = rso_age_xsecure(RSO_AGE_KEY);
	*secret = rso_age_xsecure(RSO_AGE_SECRET_LEN + 1);
	/*
	 * A long-term key straight from the kernel's CSPRNG, as age-keygen
	 * does (libgcrypt's VERY_STRONG level keeps a pool it never frees).
	 */
	if (getrandom_all(sk, RSO_AGE_KEY) != 0 ||
	    rso_age_x25519(pk, sk, NULL) != 0 ||
	    rso_bech32_encode(*secret, RSO_AGE_SECRET_LEN + 1,
	    "AGE-SECRET-KEY-", sk, RSO_AGE_KEY, 1) != 0 ||
	    rso_bech32_encode(recipient, RSO_AGE_RECIPIENT_LEN + 1, "age", pk,
	    RSO_AGE_KEY, 0) != 0) {
		rso_age_secfree(sk, RSO_AGE_KEY);
		rso_age_secret_free(*secret);
		*secret = NULL;
		return rso_error_set(e, EX_SOFTWARE, "keygen: failed");
	}
	rso_age_secfree(sk, RSO_AGE_KEY);
	return 0;
}

void
rso_age_secret_free(char *secret)
{
	rso_age_secfree(secret, secret ? RSO_AGE_SECRET_LEN + 1 : 0);
}
