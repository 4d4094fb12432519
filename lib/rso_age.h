/* rso_age: age v1 file encryption (X25519 and scrypt), streaming, on libgcrypt. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_AGE_H
#define RSO_AGE_H

#include <stddef.h>
#include <sys/types.h>

#include "rso_err.h"

/*
 * Files are age v1 (age-encryption.org/v1), readable and writable by
 * age(1).  Everything streams: memory stays flat whatever the size.
 * Keys, file keys and passphrases live in libgcrypt secure memory and are
 * wiped when freed.  Statuses are sysexits: EX_DATAERR for a malformed or
 * unauthenticated file or key, EX_NOPERM when no identity or passphrase
 * opens a file, EX_NOINPUT for a missing key file, EX_IOERR for I/O.
 */

/* Length of an "age1..." recipient, and of an "AGE-SECRET-KEY-1..." key. */
#define RSO_AGE_RECIPIENT_LEN	62
#define RSO_AGE_SECRET_LEN	74

/* Default and largest scrypt work factors (log2 N), as age(1). */
#define RSO_AGE_SCRYPT_LOGN	18
#define RSO_AGE_SCRYPT_MAXLOGN	22

/*
 * Initialise libgcrypt (secure memory, self tests) once per process.  Every
 * function below calls it; call it directly only to fail early.
 */
int rso_age_init(struct rso_error *e);

/*
 * Secure memory for a caller's secrets (passphrases): zeroed, dies with
 * EX_OSERR when exhausted, like rso_xmalloc; rso_age_secfree wipes n bytes
 * and frees (NULL is fine).
 */
void *rso_age_xsecure(size_t n);
void rso_age_secfree(void *p, size_t n);

/* Whom a file is encrypted to: X25519 recipients, or one passphrase. */
struct rso_age_recipients;

struct rso_age_recipients *rso_age_recipients_new(void);
void rso_age_recipients_free(struct rso_age_recipients *r);
size_t rso_age_recipients_count(const struct rso_age_recipients *r);

/* Add one "age1..." recipient; EX_DATAERR when s is not one. */
int rso_age_recipients_add(struct rso_age_recipients *r, const char *s,
    struct rso_error *e);

/*
 * Add every recipient of a recipients file: one per line, blank lines and
 * lines starting with '#' ignored (age's format).  EX_NOINPUT when path
 * cannot be opened, EX_DATAERR for a bad line ("PATH:LINE: ...") or a
 * file without recipients.
 */
int rso_age_recipients_load(struct rso_age_recipients *r, const char *path,
    struct rso_error *e);

/*
 * Encrypt with a passphrase instead (scrypt, work factor 2^logn, or the
 * default when logn is 0).  age requires a passphrase to be the only
 * recipient: EX_USAGE if r holds others or pass is empty.
 */
int rso_age_recipients_passphrase(struct rso_age_recipients *r,
    const char *pass, size_t len, int logn, struct rso_error *e);

/* What may open a file: X25519 identities and/or a passphrase. */
struct rso_age_identities;

struct rso_age_identities *rso_age_identities_new(void);
void rso_age_identities_free(struct rso_age_identities *ids);
size_t rso_age_identities_count(const struct rso_age_identities *ids);

/* Add one "AGE-SECRET-KEY-1..." identity; EX_DATAERR when s is not one. */
int rso_age_identities_add(struct rso_age_identities *ids, const char *s,
    struct rso_error *e);

/*
 * Add every identity of an identity file (age-keygen's format: several
 * keys, '#' comments and blank lines).  EX_NOINPUT when path cannot be
 * opened, EX_DATAERR for a bad line or a file without keys.  The file is
 * read into secure memory.
 */
int rso_age_identities_load(struct rso_age_identities *ids, const char *path,
    struct rso_error *e);

/* The passphrase for scrypt files (copied into secure memory). */
int rso_age_identities_passphrase(struct rso_age_identities *ids,
    const char *pass, size_t len, struct rso_error *e);

/*
 * Or a function asked for the passphrase only when a file turns out to be
 * passphrase-encrypted: it writes at most size bytes to buf (secure
 * memory), sets *len and returns 0, or returns a status with e filled.
 */
typedef int rso_age_pass_fn(void *ctx, char *buf, size_t size, size_t *len,
    struct rso_error *e);
void rso_age_identities_prompt(struct rso_age_identities *ids,
    rso_age_pass_fn *fn, void *ctx);

/* Add the recipient of every X25519 identity in ids to r (age-keygen -y). */
int rso_age_identities_recipients(const struct rso_age_identities *ids,
    struct rso_age_recipients *r, struct rso_error *e);

/*
 * A new X25519 identity: *secret (secure memory, free it with
 * rso_age_secret_free) gets "AGE-SECRET-KEY-1...", recipient the matching
 * "age1..." (RSO_AGE_RECIPIENT_LEN + 1 bytes).
 */
int rso_age_keygen(char **secret, char *recipient, struct rso_error *e);
void rso_age_secret_free(char *secret);

/* Output and input as callbacks: write returns 0 or -1 with errno set;
 * read returns bytes read, 0 at end of file, or -1 with errno set. */
typedef int rso_age_write_fn(void *ctx, const void *buf, size_t len);
typedef ssize_t rso_age_read_fn(void *ctx, void *buf, size_t len);

/* Encryption. */
struct rso_age_writer;

enum { RSO_AGE_ARMOR = 1 };	/* flags: PEM-armored output */

/*
 * Start a file for r: the header goes out at once.  Returns NULL with e
 * filled when r is empty or output fails.  flags is 0 or RSO_AGE_ARMOR.
 */
struct rso_age_writer *rso_age_writer_new(rso_age_write_fn *fn, void *ctx,
    const struct rso_age_recipients *r, int flags, struct rso_error *e);
struct rso_age_writer *rso_age_writer_fd(int fd,
    const struct rso_age_recipients *r, int flags, struct rso_error *e);

/* Encrypt len bytes.  Returns 0 or a status (EX_IOERR from the output). */
int rso_age_write(struct rso_age_writer *w, const void *buf, size_t len,
    struct rso_error *e);

/*
 * Write the final chunk (and armor footer) and free w.  Only a file whose
 * close returned 0 is complete.  Returns 0 or a status.
 */
int rso_age_writer_close(struct rso_age_writer *w, struct rso_error *e);

/* Abandon w without finishing the file (after an error). */
void rso_age_writer_free(struct rso_age_writer *w);

/* Decryption. */
struct rso_age_reader;

/*
 * Open a file: detect armor, parse and check the header, unwrap the file
 * key with ids and verify the header MAC.  name is used in messages
 * ("NAME: WHAT").  Returns NULL with e filled: EX_DATAERR for a malformed
 * header or a bad MAC, EX_NOPERM when no identity matches or the
 * passphrase is wrong, EX_IOERR when input fails.
 */
struct rso_age_reader *rso_age_reader_new(rso_age_read_fn *fn, void *ctx,
    const char *name, const struct rso_age_identities *ids,
    struct rso_error *e);
struct rso_age_reader *rso_age_reader_fd(int fd, const char *name,
    const struct rso_age_identities *ids, struct rso_error *e);

/*
 * Decrypt up to len bytes.  Returns bytes, 0 only once the whole payload
 * authenticated (final chunk present, nothing after it), or -1 with e
 * filled (EX_DATAERR for a chunk that does not authenticate, truncation or
 * trailing data).  Data handed out before an error came from chunks that
 * did authenticate, but the file as a whole must be treated as bad.
 */
ssize_t rso_age_read(struct rso_age_reader *r, void *buf, size_t len,
    struct rso_error *e);

/*
 * As rso_age_read without a copy: *p points at the next decrypted bytes,
 * valid until the next call on r.
 */
ssize_t rso_age_read_next(struct rso_age_reader *r, const void **p,
    struct rso_error *e);

void rso_age_reader_free(struct rso_age_reader *r);

#endif
